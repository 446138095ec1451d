from __future__ import annotations

import json
from pathlib import Path

from site_builder.build import build
from site_builder.cache import BuildCache, load_cache, save_cache

from .samples import ARTICLE, LIGHT


def snapshot(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_a_warm_build_renders_nothing_and_matches_a_fresh_build(tmp_path: Path, site) -> None:
    content = site({"celebration.md": ARTICLE, "light.md": LIGHT})
    cache = BuildCache()
    first = build(content, tmp_path / "dist", cache=cache)
    second = build(content, tmp_path / "dist", cache=cache)
    assert len(first.rendered) == first.pages and second.rendered == ()
    build(content, tmp_path / "fresh")
    assert snapshot(tmp_path / "dist") == snapshot(tmp_path / "fresh")


def test_an_edit_rerenders_the_article_and_the_pages_that_show_it(tmp_path: Path, site) -> None:
    content = site(
        {"celebration.md": ARTICLE, "light.md": LIGHT, "other.md": "---\ntitle: Other\n---\nText."}
    )
    cache = BuildCache()
    build(content, tmp_path / "dist", cache=cache)
    edited = (
        (content / "light.md").read_text().replace("title: Festivals of light", "title: Festivals of lamps")
    )
    (content / "light.md").write_text(edited)
    result = build(content, tmp_path / "dist", cache=cache)
    build(content, tmp_path / "fresh")
    assert snapshot(tmp_path / "dist") == snapshot(tmp_path / "fresh")
    # light itself, celebration (its See also shows the title), home, A-Z, its tag and category pages
    assert sorted(result.rendered) == [
        "articles/index.html",
        "categories/culture/index.html",
        "celebration/index.html",
        "index.html",
        "light/index.html",
        "tags/festivals/index.html",
    ]


def test_the_cache_survives_a_round_trip_and_ignores_garbage(tmp_path: Path, site) -> None:
    content = site({"light.md": LIGHT})
    cache = BuildCache()
    build(content, tmp_path / "dist", cache=cache)
    save_cache(cache, tmp_path / "cache")
    again = load_cache(tmp_path / "cache")
    assert build(content, tmp_path / "dist", cache=again).rendered == ()
    (tmp_path / "cache" / "folio-build.pickle").write_bytes(b"not a pickle")
    assert load_cache(tmp_path / "cache").articles == {}


def test_a_deleted_output_file_is_rendered_again(tmp_path: Path, site) -> None:
    content = site({"light.md": LIGHT})
    cache = BuildCache()
    build(content, tmp_path / "dist", cache=cache)
    (tmp_path / "dist" / "light" / "index.html").unlink()
    assert build(content, tmp_path / "dist", cache=cache).rendered == ("light/index.html",)
    assert (tmp_path / "dist" / "light" / "index.html").is_file()


def test_parallel_build_matches_a_serial_one(tmp_path: Path, site) -> None:
    files = {
        f"a{i:03d}.md": f"---\ntitle: Article {i}\ntags: [t{i % 3}]\n---\nText {i}.\n\n## Part\n\nMore."
        for i in range(80)
    }
    content = site(files)
    build(content, tmp_path / "serial")
    build(content, tmp_path / "parallel", workers=2)
    assert snapshot(tmp_path / "serial") == snapshot(tmp_path / "parallel")


def test_in_place_updates_write_what_changed_and_remove_what_is_gone(tmp_path: Path, site) -> None:
    content = site({"celebration.md": ARTICLE, "light.md": LIGHT})
    cache = BuildCache()
    out = tmp_path / "dist"
    build(content, out, cache=cache, in_place=True)
    untouched = (out / "celebration" / "index.html").stat().st_ino
    (content / "light.md").unlink()
    result = build(content, out, cache=cache, in_place=True)
    assert not (out / "light").exists()
    assert result.touched is not None and "light/index.html" in result.touched
    assert "celebration/index.html" in result.touched and "404.html" not in result.touched
    build(content, tmp_path / "fresh")
    assert snapshot(out) == snapshot(tmp_path / "fresh")
    assert (out / "celebration" / "index.html").stat().st_ino != untouched  # its See also lost an entry
    before = (out / "404.html").stat().st_ino
    build(content, out, cache=cache, in_place=True)
    assert (out / "404.html").stat().st_ino == before  # unchanged files are not rewritten


def test_an_unchanged_file_is_not_read_again(tmp_path: Path, site, monkeypatch) -> None:
    content = site({"celebration.md": ARTICLE, "light.md": LIGHT})
    cache = BuildCache()
    build(content, tmp_path / "dist", cache=cache)
    read: list[str] = []
    original = __import__("site_builder.content", fromlist=["read_source"]).read_source
    monkeypatch.setattr(
        "site_builder.content.read_source", lambda d, p: read.append(p.name) or original(d, p)
    )
    (content / "light.md").write_text((content / "light.md").read_text() + "\nMore.\n")
    build(content, tmp_path / "dist", cache=cache)
    assert read == ["light.md"]


def test_a_body_edit_reuses_related_articles_and_still_matches_a_fresh_build(tmp_path: Path, site) -> None:
    content = site({"celebration.md": ARTICLE, "light.md": LIGHT})
    cache = BuildCache()
    build(content, tmp_path / "dist", cache=cache)
    key = cache.related_key
    (content / "light.md").write_text((content / "light.md").read_text().replace("Lamps.", "Lamps and oil."))
    result = build(content, tmp_path / "dist", cache=cache)
    assert cache.related_key == key
    assert result.rendered == ("light/index.html",)
    build(content, tmp_path / "fresh")
    assert snapshot(tmp_path / "dist") == snapshot(tmp_path / "fresh")


def test_a_cache_is_written_again_only_when_a_build_changed_it(tmp_path: Path, site) -> None:
    content = site({"light.md": LIGHT})
    build(content, tmp_path / "dist", cache=(cache := BuildCache()))
    save_cache(cache, tmp_path / "cache")
    stored = tmp_path / "cache" / "folio-build.pickle"
    first = stored.stat().st_mtime_ns
    again = load_cache(tmp_path / "cache")
    build(content, tmp_path / "dist", cache=again)
    save_cache(again, tmp_path / "cache")
    assert stored.stat().st_mtime_ns == first
    (content / "light.md").write_text((content / "light.md").read_text() + "\nMore.\n")
    build(content, tmp_path / "dist", cache=again)
    save_cache(again, tmp_path / "cache")
    assert stored.stat().st_mtime_ns != first


def test_deleting_an_old_article_updates_the_home_page_count(tmp_path: Path, site) -> None:
    files = {
        f"a{i:02d}.md": f"---\ntitle: Article {i:02d}\ndate: 2026-01-{i % 28 + 1:02d}\n---\nText."
        for i in range(35)
    }
    content = site(files)
    cache = BuildCache()
    build(content, tmp_path / "dist", cache=cache)
    (content / "a00.md").unlink()  # the oldest: not among the home page's newest 30
    build(content, tmp_path / "dist", cache=cache)
    build(content, tmp_path / "fresh")
    assert "All 34 articles" in (tmp_path / "dist" / "index.html").read_text()
    assert snapshot(tmp_path / "dist") == snapshot(tmp_path / "fresh")


def _inodes(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_ino for p in folder.rglob("*.json")}


def _digests(out: Path) -> dict[str, str]:
    manifest = json.loads((out / "chat" / "index.json").read_text())
    return {a["slug"]: a["digest"] for a in manifest["articles"]}


def test_a_rebuild_rewrites_only_the_chat_files_of_changed_articles(tmp_path: Path, site) -> None:
    content = site({"celebration.md": ARTICLE, "light.md": LIGHT, "other.md": "# Other\n\nText."})
    cache, out = BuildCache(), tmp_path / "dist"
    build(content, out, cache=cache)
    inodes, digests = _inodes(out / "chat"), _digests(out)
    (content / "light.md").write_text((content / "light.md").read_text().replace("Lamps.", "Lamps and oil."))
    (content / "other.md").unlink()
    build(content, out, cache=cache)
    now = _inodes(out / "chat")
    # Unchanged files are hard links to the previous build's: the same inode, not a rewrite.
    assert now["celebration.json"] == inodes["celebration.json"]
    assert now["light.json"] != inodes["light.json"] and "other.json" not in now
    assert "Lamps and oil." in (out / "chat" / "light.json").read_text()
    assert _digests(out) == {"celebration": digests["celebration"], "light": _digests(out)["light"]}
    assert _digests(out)["light"] != digests["light"]
    build(content, tmp_path / "fresh")
    assert snapshot(out) == snapshot(tmp_path / "fresh")


def test_in_place_rebuilds_write_only_the_chat_files_of_changed_articles(tmp_path: Path, site) -> None:
    content = site({"celebration.md": ARTICLE, "light.md": LIGHT})
    cache, out = BuildCache(), tmp_path / "dist"
    build(content, out, cache=cache, in_place=True)
    (content / "light.md").write_text((content / "light.md").read_text().replace("Lamps.", "Lamps and oil."))
    result = build(content, out, cache=cache, in_place=True)
    assert result.touched is not None
    chat = sorted(path for path in result.touched if path.startswith("chat/"))
    # The site-wide word index changes with any article's words ("oil" is new); its head does not.
    assert chat == ["chat/_search/0.json", "chat/index.json", "chat/light.json"]


def test_a_new_base_url_changes_every_chat_digest(tmp_path: Path, site) -> None:
    content = site({"celebration.md": ARTICLE, "light.md": LIGHT})
    cache, out = BuildCache(), tmp_path / "dist"
    build(content, out, cache=cache)
    before = _digests(out)
    (content / "site.toml").write_text('title = "T"\nbase_url = "https://example.org/wiki/"\n')
    build(content, out, cache=cache)
    after = _digests(out)
    assert all(after[slug] != before[slug] for slug in before)
    assert json.loads((out / "chat" / "light.json").read_text())["path"] == "/wiki/light/"


def test_a_folder_page_that_gave_way_takes_its_folder_back_when_the_other_goes(tmp_path: Path, site) -> None:
    content = site(
        {"guides/index.md": "# Guide index\n\nThe guides.\n", "guides/_index.md": "# Guides\n\nAll.\n"}
    )
    cache = BuildCache()
    build(content, tmp_path / "dist", cache=cache)
    assert (tmp_path / "dist/guides/index/index.html").is_file()  # _index.md wins /guides/
    (content / "guides/_index.md").unlink()
    build(content, tmp_path / "dist", cache=cache)
    build(content, tmp_path / "fresh")
    assert snapshot(tmp_path / "dist") == snapshot(tmp_path / "fresh")
    assert not (tmp_path / "dist/guides/index").exists()
