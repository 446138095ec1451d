"""The Pagefind index that build(search=True) writes, and the search page that reads it."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import rjsmin

from site_builder.build import build
from site_builder.errors import BuildFailed
from site_builder.search import SearchIndexError, index_site

from .samples import ARTICLE, LIGHT, page

SEARCH_JS = Path(__file__).resolve().parents[2] / "site_builder" / "static" / "search.js"


def fragments(out: Path) -> list[dict]:
    """Pagefind's per-page records: gzip, a ``pagefind_dcd`` signature, then JSON."""
    records = []
    for path in sorted((out / "pagefind" / "fragment").iterdir()):
        data = gzip.decompress(path.read_bytes())
        records.append(json.loads(data[data.index(b"{") :]))
    return records


def test_build_with_search_writes_the_pagefind_bundle(built) -> None:
    out, _ = built({"celebration.md": ARTICLE, "light.md": LIGHT}, search=True)
    assert (out / "pagefind" / "pagefind.js").is_file()
    entry = json.loads((out / "pagefind" / "pagefind-entry.json").read_text())
    # Only the two articles: home, tag, category, A-Z and search pages have no data-pagefind-body.
    assert entry["languages"]["en"]["page_count"] == 2


def test_only_the_article_body_is_indexed(built) -> None:
    out, _ = built({"celebration.md": ARTICLE, "light.md": LIGHT}, search=True)
    records = {r["url"]: r for r in fragments(out)}
    assert sorted(records) == ["/celebration/", "/light/"]
    celebration = records["/celebration/"]
    assert celebration["meta"]["title"] == "Celebration"
    assert "Intro paragraph about celebrations." in celebration["content"]
    # Not the page around the body: header, byline, share buttons, "See also".
    assert "Was this helpful" not in celebration["content"]
    assert "Festivals of light" not in celebration["content"]


def test_sections_are_indexed_by_heading_without_permalink_marks(built) -> None:
    out, _ = built({"celebration.md": ARTICLE, "light.md": LIGHT}, search=True)
    record = next(r for r in fragments(out) if r["url"] == "/celebration/")
    headings = {a["id"]: a["text"] for a in record["anchors"] if a["element"] in ("h2", "h3")}
    assert headings == {"history": "History", "ancient-times": "Ancient times", "types": "Types"}
    assert "#" not in record["content"]


def test_build_without_search_has_no_index(built) -> None:
    out, _ = built({"celebration.md": ARTICLE})
    assert not (out / "pagefind").exists()


def test_a_failing_indexer_leaves_the_previous_site(tmp_path: Path, site, monkeypatch) -> None:
    content = site({"celebration.md": ARTICLE})
    out = tmp_path / "dist"
    build(content, out)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(tmp_path / "no-such-pagefind"))
    with pytest.raises(BuildFailed) as caught:
        build(content, out, search=True)
    assert str(caught.value.errors[0]).startswith("pagefind: pagefind did not run")
    assert (out / "celebration" / "index.html").is_file()
    assert not (out / "pagefind").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".dist")] == []


def test_index_site_reports_pagefind_errors(tmp_path: Path, monkeypatch) -> None:
    fake = tmp_path / "pagefind"
    fake.write_text("#!/bin/sh\necho 'Error: no site' >&2\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(fake))
    with pytest.raises(SearchIndexError, match=r"pagefind failed \(3\): Error: no site"):
        index_site(tmp_path)


def test_search_page_loads_the_bundle_and_its_script(built) -> None:
    out, _ = built({"celebration.md": ARTICLE})
    doc = page(out, "search/index.html")
    mount = doc.get_element_by_id("search")
    assert mount.get("data-bundle") == "../pagefind/"
    assert mount.xpath(".//form//input/@name") == ["q"]
    assert mount.find_class("search-status")[0].get("aria-live") == "polite"
    assert mount.find_class("search-results")[0].tag == "ol"
    [script] = doc.xpath("//script[contains(@src, 'search.')]/@src")
    assert (out / "search" / script).resolve().is_file()


def test_every_header_search_box_submits_to_the_search_page(built) -> None:
    out, _ = built({"celebration.md": ARTICLE})
    for path, action in (("index.html", "search/"), ("celebration/index.html", "../search/")):
        form = page(out, path).xpath("//header//form[@role='search']")[0]
        assert form.get("action") == action and form.get("method") == "get"
        assert form.xpath(".//input/@name") == ["q"]


def test_search_script_is_small() -> None:
    assert len(rjsmin.jsmin(SEARCH_JS.read_text()).encode()) < 2048


def test_an_index_left_by_watch_mode_is_made_again_by_the_next_search_build(tmp_path: Path, site) -> None:
    from site_builder.cache import BuildCache

    content, out, cache = site({"light.md": LIGHT}), tmp_path / "dist", BuildCache()
    build(content, out, search=True, cache=cache)
    build(content, out, search=True, cache=cache)  # nothing changed: the index is kept, not made again
    (content / "light.md").write_text(LIGHT + "\nQuokkas carry lanterns too.\n")
    build(content, out, search=False, in_place=True, cache=cache)  # what watch mode does on a save
    assert not any("Quokkas" in r["content"] for r in fragments(out))  # watch mode keeps the last index
    build(content, out, search=True, cache=cache)
    assert any("Quokkas" in r["content"] for r in fragments(out))
