"""Documentation trees in Hugo's and MkDocs' shapes build as they are: every file a page, every problem reported."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from chat_service.__main__ import ChatServer
from chat_service.app import create_app
from chat_service.config import load_settings
from site_builder import knowledge
from site_builder.build import build, check_site
from site_builder.cache import BuildCache
from site_builder.cli import main
from site_builder.errors import BuildFailed, FrontMatterError, LinkError, OutputClash, SkippedFile
from tests.chat_service.support import question, read_stream
from tests.servers import serve

from .crawl import broken_links
from .samples import page
from .trees import BROKEN_HUGO, BROKEN_MKDOCS, HUGO, HUGO_TOML, MKDOCS, write_tree


@pytest.fixture
def hugo(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "content", HUGO, HUGO_TOML)


@pytest.fixture
def mkdocs(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "docs", MKDOCS)


def relative(problem, root: Path) -> str:
    return str(problem).splitlines()[0].removeprefix(root.as_posix() + "/")


def test_every_hugo_file_becomes_a_page(hugo: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    result = build(hugo, out)
    for path in (
        "index.html",  # content/_index.md
        "getting-started/index.html",
        "getting-started/install/index.html",
        "getting-started/first-steps/index.html",
        "configuration/build/index.html",
        "configuration/shortcodes-only/index.html",
        "configuration/deep/nested/page/index.html",
    ):
        assert (out / path).is_file(), path
    # every folder an article's URL passes through has a page, even without an _index.md
    for folder in ("configuration/", "configuration/deep/", "configuration/deep/nested/"):
        assert page(out, folder + "index.html").findtext(".//h1"), folder
    [skipped] = [w for w in result.warnings if isinstance(w, SkippedFile)]
    assert relative(skipped, hugo).startswith("_partial.md: not built: names starting with '_' are partials")


def test_a_section_page_shows_its_text_then_its_pages_in_weight_order(hugo: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    build(hugo, out)
    section = page(out, "getting-started/index.html")
    assert section.findtext(".//h1") == "Getting started"
    assert "Read these pages in order." in section.xpath("string(//div[@id='article-body'])")
    assert section.xpath("//div[@id='article-body']/@data-pagefind-body") == [""]
    entries = section.xpath("//section[@class='entries']//li/a")
    assert [(a.text, a.get("href")) for a in entries] == [
        ("Install", "../getting-started/install/"),
        ("First steps", "../getting-started/first-steps/"),
    ]
    assert "The first things to do." in section.xpath("string(//section[@class='entries'])")  # summary
    generated = page(out, "configuration/index.html")
    assert [li.xpath("string(a)") for li in generated.xpath("//ul[@class='entries-list']/li")] == [
        "Build settings",
        "Deep",
        "Reference card",
    ]
    home = page(out, "index.html")
    assert home.xpath("//nav[@aria-label='Sections']//a/text()") == [
        "Start",
        "Configuration",
        "Guides",
        "A–Z",
    ]
    assert home.findtext(".//h1") == "Handbook"
    assert home.xpath("//div[@class='prose']//a/@href") == ["getting-started/install/"]


def test_breadcrumbs_link_up_through_every_folder(hugo: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    build(hugo, out)
    crumbs = page(out, "configuration/deep/nested/page/index.html").xpath("//nav[@class='breadcrumbs']//li")
    assert [li.xpath("string()") for li in crumbs] == [
        "Home",
        "Configuration",
        "Deep",
        "Nested",
        "Nested page",
    ]
    assert crumbs[-1].get("aria-current") == "page"
    start = page(out, "getting-started/install/index.html").xpath("//nav[@class='breadcrumbs']//a")
    assert [(a.text, a.get("href")) for a in start] == [
        ("Home", "../../"),
        ("Start", "../../getting-started/"),
    ]


def test_toml_and_hugo_keys_are_understood(hugo: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    build(hugo, out)
    install = page(out, "getting-started/install/index.html")
    assert install.xpath("//p[@class='byline']//time/@datetime") == ["2024-01-05", "2024-02-01"]  # lastmod
    first = page(out, "getting-started/first-steps/index.html")
    assert first.xpath("//meta[@name='description']/@content") == ["The first things to do."]  # summary


def test_root_relative_and_ref_links_resolve_relative_to_the_page(hugo: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    build(hugo, out)
    hrefs = page(out, "getting-started/install/index.html").xpath("//div[@id='article-body']//a/@href")
    assert hrefs[:4] == [
        "../../configuration/build/",
        "../../configuration/build/",
        "../../getting-started/first-steps/",
        "../../getting-started/first-steps/#run-it",
    ]
    body_links = "//div[@id='article-body']//a[not(@class='anchor')]/@href"
    back = page(out, "getting-started/first-steps/index.html").xpath(body_links)
    assert back[0] == "../../getting-started/install/"  # {{< ref "install" >}}
    up = page(out, "configuration/build/index.html").xpath(body_links)
    assert up == ["../../", "#input--output"]  # Hugo's name for the heading leads to it
    built_page = page(out, "configuration/build/index.html")
    assert built_page.xpath("//h2[@id='input-output']/span/@id") == ["input--output"]
    assert "{{ .RelPermalink }}" in built_page.xpath("string(//div[@class='highlight'])")  # a fence, not HTML


@pytest.mark.parametrize("tree", ["hugo", "mkdocs"])
def test_every_broken_link_is_reported_at_its_line_by_build_and_check(tree: str, request, tmp_path) -> None:
    content = request.getfixturevalue(tree)
    planted = {"hugo": BROKEN_HUGO, "mkdocs": BROKEN_MKDOCS}[tree]
    expected = sorted(f"{file}:{line}: {href}" for file, line, href in planted)

    def links(problems) -> list[str]:
        found = [p for p in problems if isinstance(p, LinkError) and "image" not in p.message]
        return sorted(f"{relative(p, content).split(': ')[0]}: {p.message.split(': ', 1)[1]}" for p in found)

    assert links(build(content, tmp_path / "dist").warnings) == expected
    assert links(check_site(content)) == expected


@pytest.mark.parametrize("tree", ["hugo", "mkdocs"])
def test_the_check_finds_exactly_what_a_crawler_of_the_built_site_finds(tree, request, tmp_path) -> None:
    content = request.getfixturevalue(tree)
    out = tmp_path / "dist"
    build(content, out, search=False)
    crawled = broken_links(out, base_path="/docs/" if tree == "hugo" else "/")
    # Each broken link of the built site is in one article's page: count them per page.
    per_page: dict[str, int] = {}
    for source_page, _ in crawled:
        per_page[source_page] = per_page.get(source_page, 0) + 1
    reported: dict[str, int] = {}
    for problem in check_site(content):
        if isinstance(problem, LinkError):
            file = relative(problem, content).split(":")[0]
            folder, _, name = file.rpartition("/")
            url = (folder + "/" if folder else "") + (
                "" if name in ("_index.md", "index.md") else name[:-3] + "/"
            )
            url += "index.html"
            reported[url] = reported.get(url, 0) + 1
    assert per_page == reported
    assert crawled, "the trees plant broken links: a crawler that finds none is broken itself"


def test_an_alias_clash_names_both_files_and_strict_makes_it_an_error(hugo: Path, tmp_path: Path) -> None:
    result = build(hugo, tmp_path / "dist")
    [clash] = [w for w in result.warnings if isinstance(w, OutputClash)]
    assert relative(clash, hugo) == (
        "getting-started/install.md:7: alias /old/install/ is also claimed by "
        f"{hugo.as_posix()}/getting-started/first-steps.md:5 (alias), which is built"
    )
    target = page(tmp_path / "dist", "old/install/index.html").xpath("//meta[@http-equiv='refresh']/@content")
    assert target == ["0; url=../../getting-started/first-steps/"]  # the first by path wins
    with pytest.raises(BuildFailed) as failed:
        build(hugo, tmp_path / "strict", strict=True)
    assert any(isinstance(e, OutputClash) for e in failed.value.errors)
    assert not (tmp_path / "strict").exists()


def test_a_page_beats_an_alias_to_its_path(tmp_path: Path) -> None:
    content = write_tree(
        tmp_path / "content",
        {"a.md": "---\ntitle: A\naliases: [/b/]\n---\nText.\n", "b.md": "---\ntitle: B\n---\nText.\n"},
    )
    result = build(content, tmp_path / "dist")
    assert page(tmp_path / "dist", "b/index.html").findtext(".//h1") == "B"
    [clash] = [w for w in result.warnings if isinstance(w, OutputClash)]
    assert relative(clash, content).startswith("a.md:3: alias /b/ is also claimed by ")
    assert str(clash).splitlines()[0].endswith("/b.md (page), which is built")


def test_shortcodes_never_reach_the_html_and_are_reported_once_per_file(hugo: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    result = build(hugo, out)
    for path in out.rglob("*.html"):
        html = path.read_text(encoding="utf-8")
        assert "{{<" not in html and "{{%" not in html and "&gt;}}" not in html, path
    install = page(out, "getting-started/install/index.html")
    assert "Options are optional." in install.xpath("string(//div[@id='article-body'])")  # inner text kept
    notes = [relative(w, hugo) for w in result.warnings if "another generator's syntax" in w.message]
    assert [n.split(" is ")[0] for n in notes] == [
        "configuration/shortcodes-only.md:5: {{< reference-card >}}",
        "getting-started/install.md:16: {{< note >}}",
    ]
    assert "(and 2 more in this file)" in notes[1]


def test_mkdocs_index_files_are_their_folders_pages(mkdocs: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    result = build(mkdocs, out)
    assert result.articles == 4  # about, user-guide (its index.md), install, writing; docs/index.md is home
    assert page(out, "index.html").findtext(".//h1") == "Project docs"
    guide = page(out, "user-guide/index.html")
    assert guide.findtext(".//h1") == "User guide"
    assert [a.text for a in guide.xpath("//section[@class='entries']//a")] == ["Install", "Writing"]
    assert guide.xpath("//div[@id='article-body']//a/@href") == [
        "../user-guide/install/",
        "../user-guide/writing/",
    ]
    assert (
        guide.xpath("string(//div[contains(@class, 'admonition')]/p[@class='admonition-title'])")
        == "Collapsed"
    )
    about = page(out, "about/index.html")
    assert about.xpath("//div[@id='article-body']//a/@href") == ["../user-guide/install/#requirements"]
    assert "::: project.installer" in page(out, "user-guide/install/index.html").xpath("string(//code)")


def test_front_matter_errors_name_file_and_line_in_both_styles(tmp_path: Path) -> None:
    content = write_tree(
        tmp_path / "content",
        {
            "a.md": '+++\ntitle = "A"\nweight = "heavy"\n+++\nText.\n',
            "b.md": '+++\ntitle = "B\n+++\nText.\n',
            "c.md": "---\ntitle: C\nweight: [1]\n---\nText.\n",
        },
    )
    with pytest.raises(BuildFailed) as failed:
        build(content, tmp_path / "dist")
    errors = sorted(relative(e, content) for e in failed.value.errors if isinstance(e, FrontMatterError))
    assert errors[0] == "a.md:3: 'weight' must be a whole number, got \"heavy\""
    assert errors[1].startswith("b.md:2: front matter is not valid TOML")
    assert errors[2] == "c.md:3: 'weight' must be a whole number, got [1]"


def test_a_readme_beside_an_index_keeps_a_page_of_its_own(tmp_path: Path) -> None:
    content = write_tree(
        tmp_path / "docs",
        {
            "guide/index.md": "# Guide\n\nThe guide.\n",
            "guide/README.md": "# Readme\n\nFor GitHub.\n",
            "guide/a.md": "# A\n",
        },
    )
    out = tmp_path / "dist"
    build(content, out)
    assert page(out, "guide/index.html").findtext(".//h1") == "Guide"
    assert page(out, "guide/README/index.html").findtext(".//h1") == "Readme"


def test_a_section_page_is_rendered_again_when_a_listed_title_changes(hugo: Path, tmp_path: Path) -> None:
    cache = BuildCache()
    build(hugo, tmp_path / "dist", cache=cache)
    install = hugo / "getting-started/install.md"
    install.write_text(install.read_text().replace('title = "Install"', 'title = "Installation"'))
    result = build(hugo, tmp_path / "dist", cache=cache)
    assert "getting-started/index.html" in result.rendered
    assert "Installation" in [
        a.text for a in page(tmp_path / "dist", "getting-started/index.html").xpath("//a")
    ]
    folder = hugo / "getting-started/_index.md"
    folder.write_text(folder.read_text().replace("linkTitle: Start", "linkTitle: Begin"))
    result = build(hugo, tmp_path / "dist", cache=cache)
    assert "getting-started/first-steps/index.html" in result.rendered  # its breadcrumbs show the new name


def test_the_cli_prints_each_warning_as_path_line_message(hugo: Path, tmp_path: Path, capsys) -> None:
    assert main(["build", "--content", str(hugo), "--out", str(tmp_path / "dist"), "--no-search"]) == 0
    err = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("  hint:")]
    assert (
        f"{hugo.as_posix()}/_partial.md: warning: not built: names starting with '_' are partials" in err[0]
    )
    assert all(line.startswith(hugo.as_posix() + "/") and ": warning: " in line for line in err)


def test_the_chat_service_starts_on_the_export_and_answers_about_the_empty_page(hugo: Path, tmp_path) -> None:
    out = tmp_path / "dist"
    result = build(hugo, out)
    assert any(
        relative(w, hugo).startswith("configuration/shortcodes-only.md:5: article has no text")
        for w in result.warnings
    )
    app = create_app(load_settings({"CHAT_INDEX": str(out / knowledge.INDEX_PATH)}))
    with (
        serve(app, server_class=ChatServer) as url,
        httpx.Client(base_url=url, timeout=10, trust_env=False) as client,
    ):
        health = client.get("/healthz").json()
        assert health["export"]["loaded"] is True and health["export"]["articles"] == result.articles
        response, events = read_stream(
            client, question("What is the reference card?", "configuration/shortcodes-only")
        )
    assert response.status_code == 200
    meta = dict(events)["meta"]
    assert meta["backend"] == "offline"
    assert meta["sources"][0]["title"] == "Reference card"
    answer = "".join(data["delta"] for name, data in events if name == "token")
    assert "A card drawn by a shortcode." in answer
    assert events[-1][0] == "done"


def test_files_beside_the_articles_are_copied_and_found_both_ways(hugo, mkdocs, tmp_path) -> None:
    build(hugo, tmp_path / "hugo")
    bundle = page(tmp_path / "hugo", "guides/bundle/index.html")
    assert bundle.xpath("//div[@id='article-body']//img/@src") == ["../../guides/bundle/photo.jpg"]
    assert (tmp_path / "hugo/guides/bundle/photo.jpg").read_text() == "a photo\n"
    build(mkdocs, tmp_path / "mkdocs")
    # MkDocs reads a relative address from the file's folder: docs/user-guide/install.md -> docs/img/
    install = page(tmp_path / "mkdocs", "user-guide/install/index.html")
    assert install.xpath("//div[@id='article-body']//img/@src") == ["../../img/shot.png"]
    assert page(tmp_path / "mkdocs", "index.html").xpath("//div[@class='prose']//img/@src") == [
        "img/shot.png"
    ]
    assert (tmp_path / "mkdocs/img/shot.png").is_file()


def test_a_cached_rebuild_of_a_tree_matches_a_fresh_build(hugo: Path, tmp_path: Path) -> None:
    def snapshot(out: Path) -> dict[str, bytes]:
        return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}

    cache = BuildCache()
    build(hugo, tmp_path / "dist", cache=cache)
    (hugo / "configuration/build.md").unlink()  # a link target goes: the pages linking to it change
    (hugo / "configuration/new.md").write_text("---\ntitle: New page\nweight: 1\n---\nText.\n")
    result = build(hugo, tmp_path / "dist", cache=cache)
    assert {"configuration/index.html", "getting-started/install/index.html"} <= set(result.rendered)
    build(hugo, tmp_path / "fresh")
    assert snapshot(tmp_path / "dist") == snapshot(tmp_path / "fresh")


def test_articles_in_a_templates_folder_are_built_beside_the_overrides(tmp_path: Path) -> None:
    content = write_tree(
        tmp_path / "content",
        {"templates/menu.md": "# Menu templates\n\nHow menus render.\n", "templates/404.html": "custom"},
    )
    build(content, tmp_path / "dist")
    assert page(tmp_path / "dist", "templates/menu/index.html").findtext(".//h1") == "Menu templates"
    assert (tmp_path / "dist/404.html").read_text() == "custom"
    assert not (tmp_path / "dist/templates/404.html").exists()


def test_names_with_spaces_give_valid_urls_everywhere(tmp_path: Path) -> None:
    content = write_tree(
        tmp_path / "content", {"My Notes/first note.md": "# First\n\nSee [me](first%20note.md).\n"}
    )
    out = tmp_path / "dist"
    build(content, out)
    hrefs = [
        href
        for path in out.rglob("*.html")
        for href in page(out, path.relative_to(out).as_posix()).xpath("//a/@href | //link/@href")
    ]
    assert "../../My%20Notes/first%20note/" in hrefs and not [h for h in hrefs if " " in h]
    assert broken_links(out) == []


def test_check_names_the_files_it_does_not_look_at_without_failing_on_them(tmp_path: Path, capsys) -> None:
    content = write_tree(tmp_path / "content", {"a.md": "# A\n\nText.\n", "_snippet.md": "Text.\n"})
    assert main(["check", "--content", str(content)]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"{content.as_posix()}/_snippet.md: note: not built: names starting with '_'")


def test_a_zola_tree_keeps_its_tags_and_internal_links(tmp_path: Path) -> None:
    content = write_tree(
        tmp_path / "content",
        {
            "blog/_index.md": '+++\ntitle = "Blog"\nsort_by = "date"\n+++\n',
            "blog/first.md": (
                '+++\ntitle = "First"\ndate = 2024-03-01\n\n[taxonomies]\ntags = ["rust", "web"]\n'
                '[extra]\nmood = "calm"\n+++\nSee [the second](@/blog/second.md#end).\n'
            ),
            "blog/second.md": '+++\ntitle = "Second"\n+++\n## End\n\nDone.\n',
        },
    )
    out = tmp_path / "dist"
    result = build(content, out)
    assert not [w for w in result.warnings if isinstance(w, LinkError)]
    first = page(out, "blog/first/index.html")
    assert first.xpath("//ul[@class='tags']//a/text()") == ["rust", "web"]
    assert first.xpath("//div[@id='article-body']//a/@href") == ["../../blog/second/#end"]
    assert (out / "tags/rust/index.html").is_file()


@pytest.mark.parametrize(
    ("alias", "redirect"),
    [("/old-url", "old-url/"), ("old-name", "examples/old-name/"), ("../old/path/", "old/path/")],
)
def test_aliases_are_read_as_hugo_reads_them(tmp_path: Path, alias: str, redirect: str) -> None:
    content = write_tree(
        tmp_path / "content", {"examples/example-1.md": f"---\ntitle: E\naliases: ['{alias}']\n---\nT.\n"}
    )
    build(content, tmp_path / "dist")
    target = page(tmp_path / "dist", redirect + "index.html").xpath("//meta[@http-equiv='refresh']/@content")
    assert target == ["0; url=" + "../" * redirect.count("/") + "examples/example-1/"]
