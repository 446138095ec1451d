"""The search page in Chromium on a built site with its Pagefind index, served over HTTP on 127.0.0.1."""

from __future__ import annotations

import textwrap

import pytest

from site_builder.build import build

from .axe import assert_no_violations
from .scripted import StaticServer

pytestmark = pytest.mark.e2e

FILLER = "A plain paragraph about rivers, paper and evenings by the water. " * 6

# "Lanterns on paper boats" says "lanterns" far more often than "Lanterns" does:
# Pagefind alone ranks it first, so the test shows the re-ranking at work.
ARTICLES = {
    "lanterns.md": f"""
        ---
        title: Lanterns
        description: A short note.
        ---
        One mention of lanterns here. {FILLER}

        ## Making one

        {FILLER}
        """,
    "boats.md": f"""
        ---
        title: Lanterns on paper boats
        description: Boats that carry lanterns.
        ---
        {FILLER}

        ## Floating lanterns

        Lanterns, lanterns and more lanterns: every boat carries lanterns, and the lanterns float.

        Markup stays text: `<img src=x onerror=alert(1)>` and <b>bold</b>.
        """,
    "light.md": """
        ---
        title: Festivals of light
        description: Lamps.
        ---
        Lamps and candles.
        """,
}


@pytest.fixture(scope="module")
def origin(tmp_path_factory):
    root = tmp_path_factory.mktemp("search-site")
    content = root / "content"
    content.mkdir()
    (content / "site.toml").write_text('title = "Search Test"\nbase_url = "http://127.0.0.1/"\n')
    for name, text in ARTICLES.items():
        (content / name).write_text(textwrap.dedent(text).lstrip("\n"))
    build(content, root / "dist", search=True)
    with StaticServer(root / "dist") as server:
        yield server.origin


def search(new_page, origin: str, query: str, **context):
    page = new_page(**context)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{origin}/search/?q={query}")
    page.wait_for_function("document.querySelector('.search-status').textContent.includes(' for ')")
    page.requests = requests
    return page


def titles(page) -> list[str]:
    return page.locator(".search-results h2 a").all_inner_texts()


def test_an_exact_title_match_is_listed_first(new_page, origin) -> None:
    page = search(new_page, origin, "lanterns")
    raw = page.evaluate(
        """async () => {
            const pf = await import(new URL('/pagefind/pagefind.js', location.href));
            const found = await pf.search('lanterns');
            return Promise.all(found.results.map(async (r) => (await r.data()).meta.title));
        }"""
    )
    assert raw[0] == "Lanterns on paper boats", "precondition: Pagefind alone ranks the other article first"
    assert titles(page) == ["Lanterns", "Lanterns on paper boats"]
    assert page.inner_text(".search-status") == "2 results for “lanterns”"


def test_a_title_of_several_words_in_any_case_ranks_first(new_page, origin) -> None:
    page = search(new_page, origin, "FESTIVALS%20OF%20LIGHT")
    assert titles(page)[0] == "Festivals of light"
    assert page.input_value("#search-page-input") == "FESTIVALS OF LIGHT"


def test_a_result_shows_its_excerpt_and_matching_section(new_page, origin) -> None:
    page = search(new_page, origin, "lanterns")
    boats = page.locator(".search-results li").nth(1)
    assert boats.locator("h2 a").get_attribute("href") == "/boats/"
    assert "lanterns" in [m.lower() for m in boats.locator("p mark").all_inner_texts()]
    section = boats.locator(".search-section a")
    assert section.inner_text() == "Floating lanterns"
    assert section.get_attribute("href") == "/boats/#floating-lanterns"
    assert not [url for url in page.requests if not url.startswith(origin)]


def test_excerpts_never_become_markup(new_page, origin) -> None:
    page = search(new_page, origin, "onerror")
    results = page.locator(".search-results")
    assert "<img src=x onerror=alert(1)>" in results.inner_text()
    assert results.locator("img, b, script").count() == 0
    assert results.locator("p").first.evaluate("p => [...p.children].every(c => c.tagName === 'MARK')")


def test_no_results_says_so(new_page, origin) -> None:
    page = search(new_page, origin, "zeppelin")
    assert page.inner_text(".search-status") == "No results for “zeppelin”"
    assert titles(page) == []


def test_keyboard_from_the_header_box_to_an_article(new_page, origin) -> None:
    page = new_page()
    page.goto(origin + "/")
    page.focus("#site-search")
    page.keyboard.type("Lanterns")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=Lanterns")
    page.wait_for_selector(".search-results li")
    page.focus("#search-page-input")
    page.keyboard.press("Tab")  # the page form's button
    page.keyboard.press("Tab")  # the first result
    assert page.evaluate("document.activeElement.textContent") == "Lanterns"
    page.keyboard.press("Enter")
    page.wait_for_url(origin + "/lanterns/")


def test_a_new_query_updates_the_address_and_back_restores_it(new_page, origin) -> None:
    page = search(new_page, origin, "lanterns")
    page.fill("#search-page-input", "lamps")
    page.press("#search-page-input", "Enter")
    page.wait_for_function("document.querySelector('.search-status').textContent.includes('lamps')")
    assert page.url.endswith("/search/?q=lamps")
    assert titles(page) == ["Festivals of light"]
    page.go_back()
    page.wait_for_function("document.querySelector('.search-status').textContent.includes('lanterns')")
    assert titles(page)[0] == "Lanterns"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_results_page_is_accessible(new_page, origin, scheme) -> None:
    page = search(new_page, origin, "lanterns", color_scheme=scheme, viewport={"width": 360, "height": 740})
    assert_no_violations(page)
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
