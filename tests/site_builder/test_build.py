from __future__ import annotations

import json
from pathlib import Path

import pytest

from site_builder.build import build
from site_builder.errors import BuildFailed

from .samples import ARTICLE, LIGHT, page


def test_article_page_has_everything_a_reader_expects(built) -> None:
    out, result = built({"celebration.md": ARTICLE, "light.md": LIGHT})
    assert result.articles == 2
    doc = page(out, "celebration/index.html")
    assert doc.findtext(".//h1") == "Celebration"
    assert doc.xpath("//meta[@name='description']/@content") == ["Why people celebrate."]
    assert doc.xpath("string(//p[@class='byline'])").split() == [
        "By",
        "Ada",
        "Marsh",
        "14",
        "March",
        "2026",
        "Updated",
        "2",
        "October",
        "2026",
        "1",
        "min",
        "read",
        "Ask",
        "about",
        "this",
        "article",
    ]
    assert doc.xpath("//a[@class='ask-link']/@href") == ["#ask"]
    assert doc.xpath("//ul[@class='tags']//a/@href") == ["../tags/culture/", "../tags/festivals/"]
    assert doc.xpath("//p[@class='kicker']/a/@href") == ["../categories/culture/"]
    assert doc.xpath("//nav[@class='toc']//a/@href") == [
        "#history",
        "#ancient-times",
        "#types",
        "#references",
    ]
    assert doc.xpath("//h2[@id='history']/a[@class='anchor']/@href") == ["#history"]
    assert "A book, 2001." in doc.xpath("string(//section[@class='references'])")
    assert doc.xpath("//section[@class='see-also']//a/@href") == ["../light/"]
    assert doc.xpath("//link[@rel='canonical']/@href") == ["https://example.org/docs/celebration/"]


def test_links_between_articles_resolve_relative_to_the_page(built) -> None:
    out, result = built({"celebration.md": ARTICLE, "light.md": LIGHT})
    assert result.warnings == ()
    hrefs = page(out, "celebration/index.html").xpath("//div[@id='article-body']//a/@href")
    assert "../light/#diwali" in hrefs and "#types" in hrefs


def test_share_correction_helpful_and_chat_mount(built, site) -> None:
    toml = (
        'title = "T"\nbase_url = "https://example.org/"\nchat_endpoint = "https://chat.example.org/chat"\n'
        'correction_url = "https://git.example.org/edit/{source}?title={title}"\n'
    )
    content = site({"a b.md": "---\ntitle: A & B\n---\nText.\n"}, toml=toml)
    result = build(content, content.parent / "dist")
    doc = page(content.parent / "dist", "a b/index.html")
    assert result.articles == 1
    correction = "https://git.example.org/edit/a%20b.md?title=A%20%26%20B"
    assert doc.xpath("//section[@class='correction']//a/@href") == [correction]
    assert doc.xpath("//section[@class='helpful']//a/@href") == [correction]
    assert doc.xpath("//button[@data-copy-link]/@data-copy-link") == ["https://example.org/a%20b/"]
    assert "Email" in doc.xpath("//p[@class='share-links']/a/text()")
    [mount] = doc.xpath("//aside[@class='chat']")
    assert mount.get("data-chat-endpoint") == "https://chat.example.org/chat"
    assert mount.get("data-article") == "a b"


def test_no_chat_endpoint_means_no_panel(built, site) -> None:
    content = site({"a.md": "Text."}, toml='title = "T"\n')
    build(content, content.parent / "dist")
    doc = page(content.parent / "dist", "a/index.html")
    assert doc.xpath("//aside[@class='chat']") == [] and doc.xpath("//a[@class='ask-link']") == []
    assert not any("chat." in src for src in doc.xpath("//script/@src | //link[@rel='stylesheet']/@href"))


def test_site_without_any_front_matter_builds(tmp_path: Path, site) -> None:
    content = site(
        {"history-of-type.md": "# History of Type\n\nMovable type.\n", "notes_2.md": "Just text.\n"},
        toml=None,
    )
    result = build(content, tmp_path / "dist")
    assert result.articles == 2
    doc = page(tmp_path / "dist", "history-of-type/index.html")
    assert doc.findtext(".//h1") == "History of Type"
    assert len(doc.xpath("//h1")) == 1
    assert page(tmp_path / "dist", "notes_2/index.html").findtext(".//h1") == "Notes 2"


def test_home_tags_categories_az_and_404(built) -> None:
    out, _ = built({"celebration.md": ARTICLE, "light.md": LIGHT})
    home = page(out, "index.html")
    assert home.xpath("//ol[@class='cards']//h2/a/text()") == ["Festivals of light", "Celebration"]
    assert "1 min read" in home.xpath("string(//ol[@class='cards'])")
    assert page(out, "tags/festivals/index.html").xpath("//ol[@class='cards']//h2/a/@href") == [
        "../../light/",
        "../../celebration/",
    ]
    assert page(out, "categories/culture/index.html").findtext(".//h1") == "Culture"
    assert page(out, "articles/index.html").xpath("//ul[@class='az']//a/text()") == [
        "Celebration",
        "Festivals of light",
    ]
    not_found = page(out, "404.html")
    assert not_found.xpath("//link[@rel='stylesheet']/@href")[0].startswith("/docs/assets/style.")


def test_assets_are_fingerprinted_and_small(built) -> None:
    out, _ = built({"a.md": "Text."})
    names = sorted(p.name for p in (out / "assets").iterdir())
    assert {"chat.js", "chat.css", "site.js", "style.css"} <= {
        f"{n.split('.')[0]}.{n.split('.')[-1]}" for n in names
    }
    assert all(len(n.split(".")[1]) == 10 for n in names)
    # Minified, all together: the theme (~13 kB) and the chat panel with docking and passages (~25 kB).
    assert sum((out / "assets" / n).stat().st_size for n in names) < 42_000


def test_drafts_are_left_out_unless_asked(tmp_path: Path, site) -> None:
    content = site({"a.md": "Text.", "wip.md": "---\ndraft: true\n---\nSoon."})
    assert build(content, tmp_path / "d1").articles == 1
    assert not (tmp_path / "d1" / "wip").exists()
    assert build(content, tmp_path / "d2", drafts=True).articles == 2


def test_chat_export_has_a_manifest_and_one_file_per_article(built) -> None:
    out, _ = built(
        {"celebration.md": ARTICLE, "light.md": LIGHT, "guides/index.md": "# Guides\n\nAll of them."}
    )
    assert not (out / "chat-export.json").exists()
    manifest = json.loads((out / "chat" / "index.json").read_text())
    assert (manifest["format"], manifest["version"]) == ("folio-chat-export", 2)
    assert manifest["site"] == {
        "title": "Test Site",
        "base_url": "https://example.org/docs/",
        "language": "en",
    }
    entries = {a["slug"]: a for a in manifest["articles"]}
    assert sorted(entries) == ["celebration", "guides", "light"]  # guides/index.md is the page of guides/
    entry = entries["celebration"]
    assert (entry["title"], entry["path"], entry["file"]) == (
        "Celebration",
        "/docs/celebration/",
        "celebration.json",
    )
    assert (entries["guides"]["file"], entries["guides"]["path"]) == ("guides.json", "/docs/guides/")
    article = json.loads((out / "chat" / "celebration.json").read_text())
    assert (article["format"], article["version"]) == ("folio-chat-article", 2)
    assert (article["slug"], article["path"], article["digest"]) == (
        "celebration",
        "/docs/celebration/",
        entry["digest"],
    )
    assert article["description"] == "Why people celebrate."
    assert [(s["heading"], s["anchor"], s["level"]) for s in article["sections"]] == [
        ("Celebration", "", 1),
        ("History", "history", 2),
        ("Ancient times", "ancient-times", 3),
        ("Types", "types", 2),
    ]
    assert article["sections"][0]["text"] == "Intro paragraph about celebrations."
    assert "<" not in json.dumps(article["sections"])
    assert len({a["digest"] for a in manifest["articles"]}) == 3


def test_an_article_named_index_does_not_take_the_manifests_place(built) -> None:
    # content/index.md is the home page's text (not in the export); an article can still be slugged index
    out, _ = built({"a.md": "---\nslug: index\n---\n# Welcome\n\nThe front page.", "light.md": LIGHT})
    manifest = json.loads((out / "chat" / "index.json").read_text())
    [entry] = [a for a in manifest["articles"] if a["slug"] == "index"]
    assert entry["file"] == "_index.json"
    assert json.loads((out / "chat" / "_index.json").read_text())["title"] == "Welcome"


def test_static_files_are_copied_and_custom_templates_override(tmp_path: Path, site) -> None:
    content = site(
        {"a.md": "Text.", "static/img/logo.svg": "<svg/>", "templates/404.html": "custom {{ site.title }}"}
    )
    build(content, tmp_path / "dist")
    assert (tmp_path / "dist" / "img" / "logo.svg").read_text() == "<svg/>"
    assert (tmp_path / "dist" / "404.html").read_text() == "custom Test Site"


def test_aliases_redirect_to_the_article(built) -> None:
    out, _ = built({"new.md": "---\ntitle: New\naliases: [old/path]\n---\nText."})
    doc = page(out, "old/path/index.html")
    assert doc.xpath("//meta[@http-equiv='refresh']/@content") == ["0; url=../../new/"]


def test_all_content_errors_are_reported_together(tmp_path: Path, site) -> None:
    content = site(
        {
            "a.md": "---\ndate: yesterday\n---\nx",
            "b.md": "---\ntitle: ok\ndraft: 3\n---\nx",
            "c.md": "fine",
            "sub/c.md": "---\nslug: x\n---\n",
            "x.md": "fine",
        }
    )
    with pytest.raises(BuildFailed) as caught:
        build(content, tmp_path / "dist")
    assert [str(e).split("\n")[0] for e in caught.value.errors] == [
        f"{content}/a.md:2: 'date' must be a date like 2026-11-24, got \"yesterday\"",
        f"{content}/b.md:3: 'draft' must be true or false, got 3",
    ]


def test_two_articles_with_one_url_name_both_files(tmp_path: Path, site) -> None:
    content = site({"a.md": "---\nslug: same\n---\nx", "same.md": "x"})
    with pytest.raises(BuildFailed) as caught:
        build(content, tmp_path / "dist")
    assert str(caught.value.errors[0]) == (
        f"{content}/same.md: the URL /same/ is also used by {content}/a.md\n"
        "  hint: give one of them another file name or 'slug'"
    )


def test_broken_links_warn_and_fail_under_strict(tmp_path: Path, site) -> None:
    content = site({"a.md": "Intro.\n\n## Part\n\nSee [b](b.md) and [a](a.md#nope).\n", "c.md": "x"})
    result = build(content, tmp_path / "dist")
    assert [str(w).split("\n")[0] for w in result.warnings] == [
        f"{content}/a.md:5: link to a missing article: b.md",
        f"{content}/a.md:5: link to a missing anchor: a.md#nope",
    ]
    with pytest.raises(BuildFailed):
        build(content, tmp_path / "strict", strict=True)
    assert not (tmp_path / "strict").exists()


def test_template_error_names_template_and_line(tmp_path: Path, site) -> None:
    content = site({"a.md": "x", "templates/404.html": "line one\n{{ nope( }}\n"})
    with pytest.raises(BuildFailed) as caught:
        build(content, tmp_path / "dist")
    error = caught.value.errors[0]
    assert error.path.endswith("templates/404.html") and error.line == 2


def test_failed_build_leaves_the_previous_output_untouched(tmp_path: Path, site) -> None:
    content = site({"a.md": "---\ntitle: First\n---\nx"})
    out = tmp_path / "dist"
    build(content, out)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    (content / "a.md").write_text("---\ntitle: Second\ndate: soon\n---\nx")
    with pytest.raises(BuildFailed):
        build(content, out)
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["content", "dist"]


def test_home_shows_the_newest_and_links_to_all(tmp_path: Path, site) -> None:
    files = {
        f"a{i:02d}.md": f"---\ntitle: Article {i:02d}\ndate: 2026-01-{i % 28 + 1:02d}\n---\nText."
        for i in range(35)
    }
    build(site(files), tmp_path / "dist")
    home = page(tmp_path / "dist", "index.html")
    assert len(home.xpath("//ol[@class='cards']/li")) == 30
    assert home.xpath("//p[@class='more']/a/@href") == ["articles/"]
    assert "All 35 articles" in home.xpath("string(//p[@class='more'])")
    assert len(page(tmp_path / "dist", "articles/index.html").xpath("//ul[@class='az']/li")) == 35


def test_tags_that_differ_in_case_share_one_page(tmp_path: Path, site) -> None:
    content = site({"a.md": "---\ntags: [Festivals]\n---\nA.", "b.md": "---\ntags: [festivals]\n---\nB."})
    build(content, tmp_path / "dist")
    doc = page(tmp_path / "dist", "tags/festivals/index.html")
    assert doc.findtext(".//h1") == "Tagged \u201cFestivals\u201d"
    assert len(doc.xpath("//ol[@class='cards']/li")) == 2


def test_a_category_named_like_a_top_folder_is_in_the_header_once(built) -> None:
    guide = "---\ntitle: Writing\ncategory: Guides\n---\nText.\n"
    out, _ = built({"guides/writing.md": guide, "light.md": LIGHT})
    nav = page(out, "index.html").xpath("//nav[@aria-label='Sections']//a")
    assert [(a.text, a.get("href")) for a in nav] == [
        ("Guides", "guides/"),
        ("Culture", "categories/culture/"),
        ("A–Z", "articles/"),
    ]


@pytest.mark.parametrize(
    ("front", "blocked"),
    [
        ("slug: feed.xml", "feed.xml/index.html"),
        ("aliases: [/chat/index.json]", "chat/index.json/index.html"),
    ],
)
def test_a_page_below_a_file_the_build_writes_is_an_error_not_a_crash(tmp_path: Path, site, front, blocked):
    content = site({"a.md": f"---\ntitle: A\n{front}\n---\nText.\n"})
    (tmp_path / "dist").mkdir()
    with pytest.raises(BuildFailed) as failed:
        build(content, tmp_path / "dist")
    [error] = failed.value.errors
    assert str(error).startswith(
        f"{blocked}: cannot be written: {blocked.rpartition('/')[0]} is a file of the site"
    )
    assert not any((tmp_path / "dist").iterdir())  # the last good build (here: none) is left as it was
