"""Asking from anywhere in the article: the control, the docked panel, the passage button, citations, the shortcut.

Run against the built sample article with the scripted /chat (tests/e2e/scripted.py) at 1280 px, at 360 px
(a phone: touch, no hover) and in dark mode; each state is saved to test-artifacts/ask-<view>-<state>.png.
"""

from __future__ import annotations

import json

import pytest

from .axe import assert_no_violations
from .conftest import article_opener
from .scripted import Reply, ScriptedChat, StaticServer, answer
from .site import build_site
from .test_panel import ask, wait_answer

pytestmark = pytest.mark.e2e

DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
VIEWS = {
    "desktop": DESKTOP,
    "mobile": PHONE,
    "dark": {**DESKTOP, "color_scheme": "dark"},
    "dark-mobile": {**PHONE, "color_scheme": "dark"},
}
# From the start of this paragraph to "dissolve": typographic quotes and a footnote number on the way.
PASSAGE = ("#liminality-and-communitas + p", "dissolve")
RECT = "el => { const r = el.getBoundingClientRect(); return {x: r.x, y: r.y, right: r.right, bottom: r.bottom}; }"


@pytest.fixture(scope="session")
def served(tmp_path_factory):
    with ScriptedChat() as chat:
        dist = build_site(tmp_path_factory.mktemp("ask-site"), chat.url)
        with StaticServer(dist) as static:
            yield chat, static.origin


@pytest.fixture
def chat(served) -> ScriptedChat:
    served[0].reset()
    return served[0]


@pytest.fixture
def open_article(served, new_page):
    return article_opener(new_page, served[1] + "/celebration/")


def box(page, selector: str) -> dict:
    return page.locator(selector).first.evaluate(RECT)


def overlap(a: dict, b: dict) -> bool:
    return a["x"] < b["right"] and b["x"] < a["right"] and a["y"] < b["bottom"] and b["y"] < a["bottom"]


def in_viewport(page, rect: dict) -> bool:
    size = page.viewport_size
    return (
        rect["x"] >= 0
        and rect["y"] >= 0
        and rect["right"] <= size["width"]
        and rect["bottom"] <= size["height"]
    )


def to_middle(page) -> float:
    """Scroll to the middle of the article text; return the scroll position."""
    page.evaluate(
        "() => { const p = document.getElementById('article-body');"
        " scrollTo(0, p.offsetTop + p.offsetHeight / 2 - innerHeight / 2); }"
    )
    page.wait_for_function("!document.querySelector('.chat-dock').hidden")
    return page.evaluate("scrollY")


def select_passage(page, paragraph: str, last_word: str, mouse: bool = True) -> str:
    """Select from the start of `paragraph` to the end of `last_word` in it; return the text as selected."""
    page.locator(paragraph).scroll_into_view_if_needed()
    page.evaluate("sel => document.querySelector(sel).scrollIntoView({block: 'center'})", paragraph)
    ends = page.evaluate(
        """([sel, word]) => {
          const p = document.querySelector(sel), walk = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
          const first = walk.nextNode();
          let last = first;
          while (last && !last.data.includes(word)) last = walk.nextNode();
          const range = document.createRange();
          range.setStart(first, 0);
          range.setEnd(last, last.data.indexOf(word) + word.length);
          const rects = range.getClientRects(), a = rects[0], b = rects[rects.length - 1];
          window.__range = range;
          return {x1: a.left + 1, y1: (a.top + a.bottom) / 2, x2: b.right - 1, y2: (b.top + b.bottom) / 2};
        }""",
        [paragraph, last_word],
    )
    if mouse:
        page.mouse.move(ends["x1"], ends["y1"])
        page.mouse.down()
        page.mouse.move(ends["x2"], ends["y2"], steps=8)
        page.mouse.up()
    else:  # a touch selection (long press, then the handles) as the page sees it: a selection and its events
        page.evaluate("() => { getSelection().removeAllRanges(); getSelection().addRange(window.__range); }")
    return page.evaluate("getSelection().toString().replace(/\\s+/g, ' ').trim()")


def is_docked(page) -> bool:
    return page.locator("aside.chat").evaluate("a => a.classList.contains('is-docked')")


@pytest.mark.parametrize("view", VIEWS)
def test_the_control_is_in_view_mid_article_and_covers_neither_text_nor_contents(
    open_article, artifacts, view
):
    page = open_article(**VIEWS[view])
    to_middle(page)
    launch = box(page, ".chat-launch")
    assert page.locator(".chat-launch").is_visible() and in_viewport(page, launch)
    assert page.locator(".chat-launch").get_attribute("aria-keyshortcuts") == "Alt+Shift+Q"
    if "mobile" in view:
        # A bar of its own along the bottom: the text scrolls behind it, never under a bubble.
        bar = box(page, ".chat-dock")
        assert (bar["x"], bar["right"], bar["bottom"]) == (0, 360, 740)
        assert page.locator(".chat-dock").evaluate("d => getComputedStyle(d).backgroundColor") not in (
            "rgba(0, 0, 0, 0)",
            "transparent",
        )
        hit = page.evaluate(
            "([x, y]) => document.elementFromPoint(x, y).closest('.chat-dock') !== null", [5, 735]
        )
        assert hit
    else:
        assert not overlap(launch, box(page, "#article-body"))
        assert not overlap(launch, box(page, ".toc"))
        assert launch["x"] >= box(page, "#article-body")["right"]
    page.screenshot(path=artifacts / f"ask-{view}-reading.png")
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]

    # At the end of the page the panel itself is on screen: the control steps aside, and covers no footer.
    page.evaluate("scrollTo(0, document.documentElement.scrollHeight)")
    page.wait_for_function("document.querySelector('.chat-dock').hidden")
    assert box(page, ".site-footer")["bottom"] <= page.viewport_size["height"] + 1


@pytest.mark.parametrize("view", VIEWS)
def test_opening_focuses_the_question_and_closing_puts_the_reader_back(open_article, artifacts, view):
    page = open_article(**VIEWS[view])
    y = to_middle(page)
    page.click(".chat-launch")
    assert is_docked(page)
    assert page.evaluate("document.activeElement.id") == "chat-question"
    assert page.locator(".chat-launch").get_attribute("aria-expanded") == "true"
    panel, size = box(page, "aside.chat"), page.viewport_size
    if "mobile" in view:  # a bottom sheet over a dimmed, unreachable page
        assert (panel["x"], panel["right"], panel["bottom"]) == (0, 360, 740) and panel["y"] > 0
        assert page.locator(".chat-scrim").is_visible()
        assert page.evaluate("document.getElementById('article-body').closest('[inert]') !== null")
    else:  # beside the article: the text and the contents move aside and stay readable
        assert (panel["y"], panel["right"], panel["bottom"]) == (0, size["width"], size["height"])
        assert box(page, "#article-body")["right"] <= panel["x"]
        assert box(page, ".toc")["right"] <= panel["x"]
        assert page.locator(".chat-scrim").is_hidden()
    assert page.locator(".chat-close").is_visible()
    page.screenshot(path=artifacts / f"ask-{view}-open.png")

    page.keyboard.press("Escape")
    assert not is_docked(page)
    assert abs(page.evaluate("scrollY") - y) <= 1
    assert page.evaluate("document.activeElement.className") == "chat-launch"
    assert page.locator(".chat-launch").get_attribute("aria-expanded") == "false"

    # The shortcut, from a link in the text; the Close button puts the focus back on that link.
    page.locator("#liminality-and-communitas + p sup a").focus()
    page.keyboard.press("Alt+Shift+KeyQ")
    assert is_docked(page) and page.evaluate("document.activeElement.id") == "chat-question"
    page.click(".chat-close")
    assert not is_docked(page)
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#fn:turner"
    assert page.evaluate("getComputedStyle(document.getElementById('article-body')).marginRight") == "0px"


def test_the_link_under_the_title_opens_the_panel_where_the_reader_is(open_article):
    page = open_article(**DESKTOP)
    page.click(".ask-link")
    assert is_docked(page) and page.evaluate("scrollY") == 0
    assert page.evaluate("location.hash") == ""
    page.keyboard.press("Escape")
    assert page.evaluate("document.activeElement.className") == "ask-link"


def test_the_shortcut_does_nothing_while_typing_and_the_hint_shows_it(open_article):
    page = open_article(**DESKTOP)
    assert "Alt+Shift+Q opens this panel from anywhere." in page.locator("#chat-hint").inner_text()
    page.fill("#site-search", "feast")
    page.keyboard.press("Alt+Shift+KeyQ")
    assert not is_docked(page)
    assert page.evaluate("document.activeElement.id") == "site-search"
    page.keyboard.press("Alt+KeyQ")  # not the shortcut: nothing happens either
    page.keyboard.press("Escape")
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("Shift+KeyQ")
    assert not is_docked(page)
    page.keyboard.press("Alt+Shift+KeyQ")
    assert is_docked(page)


@pytest.mark.parametrize("view", VIEWS)
def test_a_selected_passage_is_asked_about(chat, open_article, artifacts, view):
    page = open_article(**VIEWS[view])
    selected = select_passage(page, *PASSAGE, mouse="mobile" not in view)
    assert selected.startswith("The anthropologist Victor Turner") and "“threshold”" in selected
    assert selected.endswith("Liminal periods dissolve")
    button = page.locator(".chat-passage")
    button.wait_for(state="visible")
    near, selection = (
        box(page, ".chat-passage"),
        page.evaluate(
            "() => { const r = getSelection().getRangeAt(0).getBoundingClientRect(); return {y: r.y, bottom: r.bottom}; }"
        ),
    )
    assert selection["y"] - 60 < near["y"] < selection["bottom"] + 60 and in_viewport(page, near)
    assert not overlap(near, box(page, ".chat-launch"))
    page.screenshot(path=artifacts / f"ask-{view}-passage.png")

    button.click()
    assert is_docked(page) and page.evaluate("document.activeElement.id") == "chat-question"
    assert page.locator(".chat-quote").is_visible()
    assert page.locator(".chat-quote-text").text_content() == selected
    assert page.get_attribute("#chat-question", "placeholder") == "Ask about this passage"
    assert button.is_hidden()
    marked = "CSS.highlights.has('chat-passage') && [...CSS.highlights.get('chat-passage')][0].toString()"
    assert page.evaluate(marked).replace("\n", " ") == selected  # still marked in the text
    page.screenshot(path=artifacts / f"ask-{view}-quote.png")

    chat.queue(Reply(chunks=answer("It means a threshold [Liminality and communitas].")))
    ask(page, "What does this mean?")
    wait_answer(page)
    sent = chat.requests[-1]
    assert sent["quote"] == selected
    assert sent["messages"] == [{"role": "user", "content": "What does this mean?"}]
    assert page.locator(".chat-user .chat-quoted").text_content() == selected
    assert page.locator(".chat-quote").is_hidden()  # the passage went with that question
    assert page.evaluate("CSS.highlights.has('chat-passage')") is False
    page.screenshot(path=artifacts / f"ask-{view}-answered.png")

    chat.queue(Reply(chunks=answer("Yes.")))
    ask(page, "And then?")
    page.wait_for_function("document.querySelectorAll('.chat-bot.is-done').length === 2")
    follow_up = chat.requests[-1]
    assert "quote" not in follow_up
    assert follow_up["messages"][0]["content"] == f"> {selected}\n\nWhat does this mean?"


def test_a_long_passage_is_cut_to_the_limit_and_the_request_still_fits(chat, open_article):
    page = open_article(**DESKTOP)
    history = [{"role": ("user", "assistant")[i % 2], "content": f"{i:02} " + "x" * 2947} for i in range(30)]
    # Stored before the panel loads (a reload's pagehide would save the page's own, empty, conversation over it).
    page.add_init_script(
        f"sessionStorage.setItem('folio-chat:v1:celebration', {json.dumps(json.dumps(history))})"
    )
    page.reload()
    page.wait_for_selector("aside.chat.chat-ready")
    page.evaluate(
        """() => { const r = document.createRange();
          r.setStartBefore(document.querySelector('#prehistoric-feasting + p'));
          r.setEndAfter(document.querySelector('#medieval-and-early-modern-festivity + p'));
          getSelection().removeAllRanges(); getSelection().addRange(r);
          document.querySelector('#ancient-civilisations').scrollIntoView(); }"""
    )
    page.locator(".chat-passage").click()
    ask(page, "Summarise this")
    wait_answer(page)
    sent = chat.requests[-1]
    assert 900 < len(sent["quote"]) <= 1000 and sent["quote"].endswith("…")
    assert sent["quote"].startswith("The oldest evidence for celebration is indirect")
    assert sent["messages"][-1] == {"role": "user", "content": "Summarise this"}
    assert len(sent["messages"]) >= 5 and sent["messages"][0]["role"] == "user"
    # The page's own budget (30,000 bytes of conversation, under the service's 32 KiB) counts the quote too.
    assert len(json.dumps(sent, ensure_ascii=False, separators=(",", ":")).encode()) <= 30_000 + 200


def test_no_passage_button_outside_the_article_text(open_article, served):
    page = open_article(**DESKTOP)
    page.locator("h1").click(click_count=3)  # the header
    page.wait_for_timeout(500)
    assert page.locator(".chat-passage").is_hidden()
    page.locator("#chat-hint").click(click_count=3)  # the panel
    page.wait_for_timeout(500)
    assert page.locator(".chat-passage").is_hidden()
    page.locator("#article-body > p").first.click(click_count=3)
    page.locator(".chat-passage").wait_for(state="visible")
    page.locator("#article-body > p").first.click()  # a click ends the selection, and the button goes
    page.locator(".chat-passage").wait_for(state="hidden")

    page.goto(served[1] + "/static-sites/")
    page.wait_for_selector("aside.chat.chat-ready")
    page.locator("#article-body pre").first.click(click_count=3)  # code you are copying from
    page.wait_for_timeout(500)
    assert page.evaluate("getSelection().toString().length") > 0
    assert page.locator(".chat-passage").is_hidden()


@pytest.mark.parametrize("view", ["desktop", "mobile"])
def test_heading_citations_in_an_answer_link_to_their_sections(chat, open_article, view):
    text = (
        "It begins with [Prehistoric feasting] and [Key concepts]; see [Celebration], not [Nowhere] or [1]."
    )
    chat.queue(Reply(chunks=answer(text, pieces=5)))
    page = open_article(**VIEWS[view], reduced_motion="reduce")
    page.click(".chat-launch")
    ask(page, "Where does it begin?")
    turn = wait_answer(page).locator(".chat-answer")
    links = turn.locator("a").evaluate_all("els => els.map(a => [a.getAttribute('href'), a.textContent])")
    assert links == [
        ["#prehistoric-feasting", "Prehistoric feasting"],
        ["#key-concepts", "Key concepts"],
        ["#article-body", "Celebration"],
    ]
    assert turn.text_content() == text  # the brackets stay; [Nowhere] and [1] stay text
    turn.locator("a", has_text="Key concepts").click()
    page.wait_for_function(
        "Math.abs(document.getElementById('key-concepts').getBoundingClientRect().top) < 40"
    )
    assert page.evaluate("location.hash") == "#key-concepts"
    # Beside the article the panel stays open; a bottom sheet gets out of the way of the section.
    assert is_docked(page) == (view == "desktop")


@pytest.mark.parametrize(("view", "scheme"), [("desktop", "light"), ("desktop", "dark"), ("mobile", "dark")])
def test_axe_finds_no_violations_with_the_panel_open(chat, open_article, view, scheme):
    chat.queue(Reply(chunks=answer("See [History] and **this**.")))
    page = open_article(**VIEWS[view], color_scheme=scheme)
    select_passage(page, *PASSAGE, mouse=view == "desktop")
    page.locator(".chat-passage").click()
    ask(page, "What is this?")
    wait_answer(page)
    if view == "desktop":  # beside the article the text stays selectable: a second passage, above the box
        select_passage(page, "#history + h3 + p", "indirect")
        page.locator(".chat-passage").click()
        assert page.locator(".chat-quote").is_visible()
    assert is_docked(page)
    assert_no_violations(page)


def test_the_docked_panel_is_the_end_of_article_panel(chat, open_article):
    chat.queue(Reply(chunks=answer("One conversation.")))
    page = open_article(**DESKTOP)
    to_middle(page)
    page.click(".chat-launch")
    ask(page, "Is it the same?")
    wait_answer(page)
    page.keyboard.press("Escape")
    page.locator("#ask").scroll_into_view_if_needed()
    assert page.locator("#ask .chat-bot .chat-answer").all_text_contents() == ["One conversation."]
    assert page.locator("aside.chat").count() == 1
    page.reload()
    page.wait_for_selector("aside.chat.chat-ready")
    page.click(".ask-link")
    assert page.locator(".chat-user .chat-text").all_text_contents() == ["Is it the same?"]


def test_without_javascript_the_link_goes_to_the_panel(served, new_page):
    page = new_page(**DESKTOP, java_script_enabled=False)
    page.goto(served[1] + "/celebration/")
    assert page.locator(".chat-launch, .chat-passage").count() == 0
    page.click(".ask-link")
    assert page.evaluate("location.hash") == "#ask"
    assert in_viewport(page, box(page, "#ask-title"))
    assert page.locator("#ask noscript").count() == 1
