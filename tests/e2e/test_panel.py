"""The chat panel on a built sample article with a scripted /chat: streaming, parsing, safety, errors, a11y."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from .axe import assert_no_violations
from .conftest import article_opener
from .scripted import Reply, ScriptedChat, StaticServer, answer, sse
from .site import build_site

pytestmark = pytest.mark.e2e

HISTORY = {"title": "Celebration", "heading": "History", "url": "/celebration/#history"}
INTRO = {"title": "Celebration", "heading": "Celebration", "url": "/celebration/#"}


@dataclass
class Harness:
    chat: ScriptedChat
    url: str


@pytest.fixture(scope="session")
def harness(tmp_path_factory):
    with ScriptedChat() as chat:
        dist = build_site(tmp_path_factory.mktemp("panel-site"), chat.url)
        with StaticServer(dist) as static:
            yield Harness(chat, static.origin + "/celebration/")


@pytest.fixture
def chat(harness) -> ScriptedChat:
    harness.chat.reset()
    return harness.chat


@pytest.fixture
def open_article(harness, new_page):
    return article_opener(new_page, harness.url)


def ask(page, question: str) -> None:
    page.fill("#chat-question", question)
    page.press("#chat-question", "Enter")


def wait_answer(page, state: str = "done"):
    page.wait_for_selector(f".chat-bot.is-{state}")
    return page.locator(".chat-bot").last


def record_growth(page) -> None:
    """Record the length of the streaming answer each time it changes, in window.__lengths."""
    page.evaluate(
        """() => {
        window.__lengths = [];
        new MutationObserver(() => {
          const a = document.querySelector('.chat-bot.is-streaming .chat-answer');
          if (a) window.__lengths.push(a.textContent.length);
        }).observe(document.querySelector('aside.chat'),
                   {subtree: true, childList: true, characterData: true});
    }"""
    )


def test_answer_streams_in_steps_and_sources_link_to_sections(chat, open_article):
    text = "Celebrations are old. The History section traces feasting back to prehistoric times and beyond."
    chat.queue(Reply(chunks=answer(text, sources=[HISTORY, INTRO]), delay=0.06))
    page = open_article()
    record_growth(page)
    ask(page, "How old are celebrations?")
    turn = wait_answer(page)

    lengths = page.evaluate("window.__lengths")
    assert len({n for n in lengths if 0 < n < len(text)}) >= 3, lengths
    assert turn.locator(".chat-answer").inner_text() == text
    assert chat.requests == [
        {"article": "celebration", "messages": [{"role": "user", "content": "How old are celebrations?"}]}
    ]
    hrefs = turn.locator(".chat-sources a").evaluate_all("els => els.map(a => a.getAttribute('href'))")
    assert hrefs == ["#history", "#article-body"]
    for href in hrefs:
        assert page.locator(href).count() == 1
    page.wait_for_function(
        "document.querySelector('.chat [aria-live]').textContent.startsWith('Answer: Celebrations')"
    )


def test_source_link_scrolls_to_the_section_and_highlights_it_briefly(chat, open_article):
    chat.queue(Reply(chunks=answer("See the history.", sources=[HISTORY])))
    page = open_article(reduced_motion="reduce")
    ask(page, "Where is the history?")
    wait_answer(page).locator(".chat-sources a").click()

    heading = page.locator("#history")
    assert "highlighted" in heading.get_attribute("class")
    assert page.evaluate("location.hash") == "#history"
    assert page.evaluate("document.activeElement.id") == "history"
    top = heading.evaluate("h => h.getBoundingClientRect().top")
    assert -2 < top < 100
    assert heading.evaluate("h => getComputedStyle(h).transitionDuration") == "0s"  # reduced motion
    page.wait_for_function(
        "!document.querySelector('#history').classList.contains('highlighted')", timeout=4000
    )


def test_sse_parsing_survives_any_split_of_the_bytes(chat, open_article):
    text = "Leading  spaces,\tnaïve café ☕ and “quotes”.\n\n- one\n- two"
    events = (
        b": a comment line\r\n\r\n"
        + b'event: meta\r\ndata:{"sources": [], "backend": "openai", "model": "m"}\r\n\r\n'
        + b"".join(
            sse("token", {"delta": text[i : i + 4]}).replace(b"\n", b"\r\n") for i in range(0, len(text), 4)
        )
        + b"event: ping\ndata: {}\n\n"
        + sse("done", {"finish_reason": "stop", "usage": None})
    )
    chunks = [events[i : i + 3] for i in range(0, len(events), 3)]  # splits lines, "\r\n" and UTF-8 sequences
    chat.queue(Reply(chunks=chunks, delay=0.002))
    page = open_article()
    ask(page, "Parse this")
    turn = wait_answer(page)

    assert (
        turn.locator(".chat-answer p").first.text_content() == "Leading  spaces,\tnaïve café ☕ and “quotes”."
    )
    assert turn.locator(".chat-answer li").all_text_contents() == ["one", "two"]


def test_markdown_becomes_structure(chat, open_article):
    text = (
        "**Bold** and *em* and `code`.\n\n"
        "1. first\n2. second\n\n"
        "```python\nprint('<b>hi</b>')\n```\n"
        "See [the docs](https://example.org/docs) and [History](#history)."
    )
    chat.queue(Reply(chunks=answer(text, pieces=7)))
    page = open_article()
    ask(page, "Format")
    answer_ = wait_answer(page).locator(".chat-answer")

    assert answer_.locator("strong").text_content() == "Bold"
    assert answer_.locator("em").text_content() == "em"
    assert answer_.locator("p > code").text_content() == "code"
    assert answer_.locator("ol li").all_text_contents() == ["first", "second"]
    assert answer_.locator("pre code").text_content() == "print('<b>hi</b>')"
    links = answer_.locator("a").evaluate_all("els => els.map(a => [a.getAttribute('href'), a.textContent])")
    assert links == [["https://example.org/docs", "the docs"], ["#history", "History"]]


def test_untrusted_markup_renders_as_text_and_runs_nothing(chat, open_article):
    text = (
        'Hi <img src=x onerror="window.__pwned=1;alert(1)"> <script>window.__pwned=2</script> '
        "[click](javascript:window.__pwned=3) [x](javascript:alert(1)) [d](data:text/html,<b>x</b>) "
        '<a href="javascript:alert(1)">a</a> **<svg onload=alert(1)>**'
    )
    sources = [
        {"heading": "Evil", "url": "javascript:alert(1)"},
        {"heading": "<b>x</b>", "url": "/celebration/#history"},
    ]
    chat.queue(Reply(chunks=answer(text, sources=sources, pieces=9)))
    page = open_article()
    ask(page, "<img src=y onerror=alert(2)>")
    turn = wait_answer(page)
    turn.locator("text=[click]").click()  # following the text must not run it either

    panel = page.locator("aside.chat")
    assert panel.locator("img, script, svg, b").count() == 0
    assert panel.locator("a[href^='javascript'], a[href^='data']").count() == 0
    assert page.evaluate("window.__pwned") is None
    assert "<script>window.__pwned=2</script>" in turn.locator(".chat-answer").text_content()
    assert "[x](javascript:alert(1))" in turn.locator(".chat-answer").text_content()
    assert turn.locator(".chat-sources a").all_text_contents() == ["<b>x</b>"]
    assert page.locator(".chat-user .chat-text").text_content() == "<img src=y onerror=alert(2)>"


def test_a_malformed_anchor_in_an_answer_is_text_and_the_panel_survives_a_reload(chat, open_article):
    chat.queue(Reply(chunks=answer("See [this](#%) and [that](#%E0%A4%A).", sources=[HISTORY])))
    page = open_article()
    ask(page, "Anything?")
    turn = wait_answer(page)
    hrefs = turn.locator(".chat-answer a").evaluate_all("els => els.map(a => a.getAttribute('href'))")
    assert all(h.startswith("#") and page.locator(h).count() == 1 for h in hrefs)  # at worst, the article's top
    page.reload()
    assert "See this and that." in wait_answer(page).locator(".chat-answer").text_content()
    chat.queue(Reply(chunks=answer("Still here.", sources=[HISTORY])))
    ask(page, "And now?")
    page.wait_for_function("document.querySelectorAll('.chat-bot').length == 2")


def test_stop_ends_the_stream_at_once_and_keeps_the_partial_answer(chat, open_article):
    chat.queue(Reply(chunks=answer("Partial words then more", sources=[HISTORY])[:4], hold=True))
    page = open_article()
    ask(page, "Tell me everything")
    page.wait_for_function("document.querySelector('.chat-bot .chat-answer').textContent.length > 0")
    assert chat.open_streams == 1
    page.click("text=Stop")

    turn = wait_answer(page, "stopped")
    assert turn.locator(".chat-answer").text_content().startswith("Partial")
    assert "Stopped" in turn.locator(".chat-note").text_content()
    assert chat.wait_closed() == 0
    assert page.locator(".chat-send").is_visible() and not page.locator(".chat-stop").is_visible()
    assert page.evaluate("document.activeElement.id") == "chat-question"


def test_error_event_mid_stream_keeps_the_partial_answer_and_offers_retry(chat, open_article):
    error = sse("error", {"code": "upstream_unavailable", "message": "The model stopped answering."})
    chat.queue(Reply(chunks=[*answer("Half an answer", sources=[HISTORY])[:3], error], delay=0.02))
    page = open_article()
    ask(page, "Why?")
    turn = wait_answer(page, "error")

    assert turn.locator(".chat-answer").text_content() == "Half an "
    note = turn.locator(".chat-error").text_content()
    assert "Incomplete answer" in note and "The model stopped answering." in note

    chat.queue(Reply(chunks=answer("A whole answer")))
    turn.locator("text=Retry").click()
    wait_answer(page)
    assert page.locator(".chat-bot .chat-answer").all_text_contents() == ["A whole answer"]
    assert chat.requests[-1]["messages"] == [{"role": "user", "content": "Why?"}]


def test_http_errors_are_readable_lines(chat, open_article):
    too_many = json.dumps({"error": {"code": "rate_limited", "message": "Too many requests."}}).encode()
    chat.queue(Reply(status=429, chunks=[too_many], headers={"Retry-After": "17"}))
    page = open_article()
    ask(page, "One")
    assert "try again in 17 seconds" in wait_answer(page, "error").locator(".chat-error").text_content()

    bad = json.dumps({"error": {"code": "message_too_long", "message": "The question is too long."}}).encode()
    chat.queue(Reply(status=422, chunks=[bad]))
    ask(page, "Two")
    page.wait_for_function("document.querySelectorAll('.chat-bot.is-error').length === 2")
    assert "The question is too long." in page.locator(".chat-error").last.text_content()
    assert page.locator(".chat-error button").count() == 1  # only the last failure offers Retry


def test_unreachable_service_shows_a_line_and_retry_works(chat, open_article, harness):
    page = open_article()
    page.route(harness.chat.url, lambda route: route.abort("connectionrefused"))
    ask(page, "Anyone there?")
    turn = wait_answer(page, "error")
    assert "can't be reached" in turn.text_content()

    page.unroute(harness.chat.url)
    chat.queue(Reply(chunks=answer("Yes.")))
    turn.locator("text=Retry").click()
    assert wait_answer(page).locator(".chat-answer").text_content() == "Yes."


def test_offline_backend_answers_are_labelled_as_passages(chat, open_article):
    chat.queue(Reply(chunks=answer("> A quoted passage.", sources=[HISTORY], backend="offline")))
    page = open_article()
    ask(page, "Quote it")
    turn = wait_answer(page)
    assert turn.locator(".chat-who").text_content() == "Passages from the article (no AI)"
    assert turn.locator("blockquote").text_content() == "A quoted passage."


def test_conversation_survives_a_reload_and_is_sent_with_the_next_question(chat, open_article):
    chat.queue(Reply(chunks=answer("First answer.")))
    page = open_article()
    ask(page, "First question")
    wait_answer(page)
    page.reload()
    page.wait_for_selector("aside.chat.chat-ready")

    assert page.locator(".chat-user .chat-text").all_text_contents() == ["First question"]
    assert page.locator(".chat-bot .chat-answer").all_text_contents() == ["First answer."]
    assert page.locator(".chat-starters").is_hidden()
    chat.queue(Reply(chunks=answer("Second answer.")))
    ask(page, "Second question")
    wait_answer(page)
    page.wait_for_function("document.querySelectorAll('.chat-bot.is-done').length === 2")
    assert chat.requests[-1]["messages"] == [
        {"role": "user", "content": "First question"},
        {"role": "assistant", "content": "First answer."},
        {"role": "user", "content": "Second question"},
    ]


def test_long_conversations_are_trimmed_to_the_service_limits(chat, open_article):
    page = open_article()
    history = [{"role": ("user", "assistant")[i % 2], "content": f"{i} " + "x" * 6000} for i in range(30)]
    page.evaluate("h => sessionStorage.setItem('folio-chat:v1:celebration', JSON.stringify(h))", history)
    page.reload()
    page.wait_for_selector("aside.chat.chat-ready")
    ask(page, "Last question")
    wait_answer(page)

    sent = chat.requests[-1]["messages"]
    assert sent[-1] == {"role": "user", "content": "Last question"}
    assert sent[0]["role"] == "user"
    assert len(sent) <= 12 and all(len(m["content"]) <= 4000 for m in sent)
    assert len(json.dumps(chat.requests[-1]).encode()) <= 32 * 1024


def test_a_conversation_by_keyboard_only(chat, open_article):
    chat.queue(Reply(chunks=answer("Starter answer.")))
    page = open_article()
    for _ in range(400):  # Tab through the page to the first starter question
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('.chat-starters') !== null"):
            break
    starter = page.evaluate("document.activeElement.textContent")
    assert starter == "What does the article say about history?"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Enter")
    wait_answer(page)
    assert page.evaluate("document.activeElement.id") == "chat-question"

    chat.queue(Reply(chunks=answer("Never finished", sources=[])[:2], hold=True))
    page.keyboard.type("Line one")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("line two")
    page.keyboard.press("Enter")
    page.wait_for_selector(".chat-bot.is-streaming")
    page.wait_for_function("document.querySelector('.chat-bot.is-streaming .chat-answer').textContent !== ''")
    page.keyboard.press("Escape")
    wait_answer(page, "stopped")
    assert chat.requests[-1]["messages"][-1]["content"] == "Line one\nline two"
    assert chat.wait_closed() == 0


def test_starter_questions_come_from_the_article_headings(chat, open_article):
    page = open_article()
    assert page.locator(".chat-starters button").all_text_contents() == [
        "What does the article say about history?",
        "Can you summarize the section “Key concepts”?",
        "What are the key points of “Types of celebration”?",
    ]


def test_copy_and_clear(chat, open_article):
    chat.queue(Reply(chunks=answer("Copy **me**.")))
    page = open_article(permissions=["clipboard-read", "clipboard-write"])
    ask(page, "Copy?")
    wait_answer(page)
    page.click("text=Copy answer")
    assert page.evaluate("navigator.clipboard.readText()") == "Copy **me**."

    page.click("text=Clear conversation")
    assert page.locator(".chat-turn").count() == 0
    assert page.evaluate("sessionStorage.getItem('folio-chat:v1:celebration')") is None
    assert page.locator(".chat-starters").is_visible()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violations_with_an_answer_shown(chat, open_article, scheme):
    text = "An answer with **bold**, a list:\n\n- one\n- two\n\nand `code`."
    chat.queue(Reply(chunks=answer(text, sources=[HISTORY, INTRO])))
    page = open_article(color_scheme=scheme)
    ask(page, "Check me")
    wait_answer(page)
    assert_no_violations(page)


def test_works_at_360_px(chat, open_article):
    chat.queue(
        Reply(chunks=answer("A long answer " * 30 + "https://example.org/a/very/long/url/that/should/wrap"))
    )
    page = open_article(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    ask(page, "Narrow?")
    wait_answer(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    box = page.locator("aside.chat").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360


def test_pages_that_might_answer_what_the_article_does_not_cover(chat, open_article):
    elsewhere = [
        {"title": "Harvest festivals", "heading": "Thanksgiving", "url": "/harvest-festivals/#thanksgiving"},
        {"title": "Festivals of light", "heading": "Festivals of light", "url": "/festivals-of-light/#"},
        {"title": "Evil", "heading": "<b>x</b>", "url": "javascript:alert(1)"},
        {"title": "Elsewhere", "heading": "Data", "url": "data:text/html,<b>x</b>"},
    ]
    meta = {"sources": [], "backend": "openai", "model": "m", "covered": False, "elsewhere": elsewhere}
    chat.queue(
        Reply(
            chunks=[
                sse("meta", meta),
                sse("token", {"delta": "The article does not cover that."}),
                sse("done", {"finish_reason": "stop", "usage": None}),
            ]
        )
    )
    page = open_article()
    ask(page, "How is turkey cooked?")
    turn = wait_answer(page)
    box = turn.locator(".chat-elsewhere")
    assert box.locator("p").text_content() == "This article may not cover that. These pages might:"
    links = box.locator("a")
    assert links.all_text_contents() == ["Harvest festivals: Thanksgiving", "Festivals of light"]
    hrefs = links.evaluate_all("els => els.map(a => new URL(a.href).pathname + new URL(a.href).hash)")
    assert hrefs == ["/harvest-festivals/#thanksgiving", "/festivals-of-light/"]
    assert turn.locator(".chat-sources").count() == 0
    assert page.locator("aside.chat b, aside.chat a[href^='javascript'], aside.chat a[href^='data']").count() == 0

    chat.queue(Reply(chunks=answer("Covered.", sources=[HISTORY])))
    ask(page, "How old are celebrations?")
    page.wait_for_function("document.querySelectorAll('.chat-bot.is-done').length == 2")
    assert page.locator(".chat-bot").last.locator(".chat-elsewhere").count() == 0
    page.reload()  # the list is kept with the conversation
    assert page.locator(".chat-bot").first.locator(".chat-elsewhere a").count() == 2
