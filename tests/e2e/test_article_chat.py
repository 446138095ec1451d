"""The whole system in a browser: the built sample site, the real chat service, the fake OpenAI server.

The static site and the chat service listen on different ports, so every question is a cross-origin request,
as in production when the service runs next to any static host.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from chat_service.__main__ import ChatServer
from chat_service.app import create_app
from chat_service.config import load_settings
from tests.fake_openai import create_app as create_fake
from tests.servers import serve

from .axe import assert_no_violations
from .conftest import article_opener
from .scripted import StaticServer
from .site import build_site
from .test_ask_anywhere import PASSAGE, select_passage
from .test_panel import ask, record_growth, wait_answer

pytestmark = pytest.mark.e2e


@dataclass
class Stack:
    article: str  # URL of the Celebration article
    fake: httpx.Client  # the fake OpenAI server: /_control, /_stats

    def upstream(self, mode: str = "ok", text: str = "The article says so.", delay: float = 0.0) -> None:
        self.fake.post("/_control", json={"mode": mode, "text": text, "delay": delay}).raise_for_status()

    def stats(self) -> dict:
        return self.fake.get("/_stats").json()

    def wait_no_open_streams(self, timeout: float = 10.0) -> int:
        deadline = time.monotonic() + timeout
        while (open_streams := self.stats()["open_streams"]) and time.monotonic() < deadline:
            time.sleep(0.05)
        return open_streams


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Iterator[Stack]:
    work = tmp_path_factory.mktemp("stack")
    # The service needs an export to start and the site needs the service's URL: a first build gives the
    # export (it does not depend on the endpoint), the served build points at the running service.
    first = build_site(work / "first", "http://127.0.0.1:9/chat")
    with (
        serve(create_fake()) as fake,
        StaticServer(work / "site" / "dist") as static,
        httpx.Client(base_url=fake, timeout=10, trust_env=False) as fake_client,
    ):
        env = {
            "OPENAI_BASE_URL": fake + "/v1",
            "OPENAI_API_KEY": "sk-test-not-a-real-key",
            "CHAT_MODEL": "fake-model",
            "CHAT_INDEX": str(first / "chat" / "index.json"),
            "CHAT_ALLOWED_ORIGINS": static.origin,
            "CHAT_RATE_PER_MINUTE": "6000",
            "CHAT_RATE_BURST": "200",
        }
        with serve(create_app(load_settings(env)), server_class=ChatServer) as service:
            build_site(work / "site", service + "/chat")
            yield Stack(static.origin + "/celebration/", fake_client)


@pytest.fixture
def open_article(stack, new_page):
    stack.upstream("ok")
    return article_opener(new_page, stack.article)


ANSWER = (
    "Celebrations are very old. The **History** section traces feasting back to prehistoric sites, "
    "long before writing.\n\n- Feasts marked the seasons.\n- Rites marked the life cycle.\n\n"
    "See [History](#history)."
)


def test_the_answer_streams_in_steps_with_sources_that_exist(stack, open_article):
    stack.upstream("ok", ANSWER, delay=0.03)
    page = open_article()
    record_growth(page)
    ask(page, "How old is the history of celebration?")
    turn = wait_answer(page)

    assert len({n for n in page.evaluate("window.__lengths") if n > 0}) >= 5
    assert turn.locator(".chat-answer li").all_text_contents() == [
        "Feasts marked the seasons.",
        "Rites marked the life cycle.",
    ]
    lines = [line for line in turn.inner_text().split("\n") if line.strip()]
    assert lines[:2] == ["Answer", ANSWER.split("\n")[0].replace("**", "")]
    assert "null" not in turn.inner_text() and "undefined" not in turn.inner_text()
    hrefs = turn.locator(".chat-sources a").evaluate_all("els => els.map(a => a.getAttribute('href'))")
    assert hrefs and all(h.startswith("#") for h in hrefs)
    for href in hrefs:
        assert page.locator(f"[id='{href[1:]}']").count() == 1, href
    sent = stack.stats()["last_request"]["messages"]
    assert sent[-1] == {"role": "user", "content": "How old is the history of celebration?"}


def test_stop_ends_the_stream_and_closes_the_upstream_request(stack, open_article):
    stack.upstream("stall_mid", "First words and then nothing for a long time.")
    page = open_article()
    ask(page, "Tell me everything")
    page.wait_for_function("document.querySelector('.chat-bot .chat-answer').textContent.length > 0")
    assert stack.stats()["open_streams"] == 1
    page.click("text=Stop")

    turn = wait_answer(page, "stopped")
    assert turn.locator(".chat-answer").text_content() == "First words "
    assert stack.wait_no_open_streams() == 0


def test_an_upstream_error_mid_stream_keeps_the_partial_answer(stack, open_article):
    stack.upstream("error_mid", "Partial then broken.")
    page = open_article()
    ask(page, "Break please")
    turn = wait_answer(page, "error")

    assert turn.locator(".chat-answer").text_content() == "Partial "
    note = turn.locator(".chat-error").text_content()
    assert note.startswith("Incomplete answer. ") and len(note) > len("Incomplete answer. Retry") + 10
    assert turn.locator(".chat-error button").text_content() == "Retry"


def test_a_hostile_answer_renders_as_text_and_runs_nothing(stack, open_article):
    stack.upstream(
        "ok",
        'Look <img src=x onerror="window.__pwned=1;alert(1)"> and <script>window.__pwned=2</script> '
        "then [click me](javascript:window.__pwned=3;alert(3)) done.",
    )
    page = open_article()
    ask(page, "Say something hostile")
    turn = wait_answer(page)
    turn.locator("text=[click me]").click()

    text = turn.locator(".chat-answer").text_content()
    assert '<img src=x onerror="window.__pwned=1;alert(1)">' in text and "<script>" in text
    assert page.locator("aside.chat img, aside.chat script").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    assert page.evaluate("window.__pwned") is None  # and no dialog: new_page fails the test on one


def test_a_reload_keeps_the_conversation_and_it_is_sent_again(stack, open_article):
    stack.upstream("ok", "Feasting is the oldest form.")
    page = open_article()
    ask(page, "What is the oldest form?")
    wait_answer(page)
    page.reload()
    page.wait_for_selector("aside.chat.chat-ready")
    assert page.locator(".chat-bot .chat-answer").all_text_contents() == ["Feasting is the oldest form."]

    stack.upstream("ok", "Because food is shared.")
    ask(page, "Why?")
    page.wait_for_function("document.querySelectorAll('.chat-bot.is-done').length === 2")
    sent = [m for m in stack.stats()["last_request"]["messages"] if m["role"] != "system"]
    assert [m["content"] for m in sent][-3:] == [
        "What is the oldest form?",
        "Feasting is the oldest form.",
        "Why?",
    ]


def test_a_keyboard_only_conversation(stack, open_article):
    stack.upstream("ok", "Answered by keyboard.")
    page = open_article()
    page.locator("#ask-title").scroll_into_view_if_needed()
    for _ in range(400):  # Tab through the page to the question box
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "chat-question":
            break
    assert page.evaluate("document.activeElement.id") == "chat-question"
    page.keyboard.type("Keyboard question")
    page.keyboard.press("Enter")
    assert wait_answer(page).locator(".chat-answer").text_content() == "Answered by keyboard."

    stack.upstream("stall_mid", "Two words and a stall.")
    page.keyboard.type("Another")
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('.chat-bot.is-streaming .chat-answer')?.textContent")
    page.keyboard.press("Escape")
    wait_answer(page, "stopped")
    assert stack.wait_no_open_streams() == 0


def test_the_section_of_a_selected_passage_is_the_first_source(stack, open_article):
    stack.upstream("ok", "Turner calls it a threshold: [Liminality and communitas].")
    page = open_article(viewport={"width": 1280, "height": 900})
    selected = select_passage(page, *PASSAGE)
    page.locator(".chat-passage").click()
    ask(page, "What does this mean?")
    turn = wait_answer(page)

    hrefs = turn.locator(".chat-sources a").evaluate_all("els => els.map(a => a.getAttribute('href'))")
    assert hrefs[0] == "#liminality-and-communitas"
    assert turn.locator(".chat-answer a").get_attribute("href") == "#liminality-and-communitas"
    system = stack.stats()["last_request"]["messages"][0]
    assert system["role"] == "system"
    assert "this passage of the article (from the section [Liminality and communitas])" in system["content"]
    assert system["content"].endswith("> " + selected)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_nothing_on_an_article_with_an_answer(stack, open_article, scheme):
    stack.upstream("ok", ANSWER)
    page = open_article(color_scheme=scheme)
    ask(page, "Check the page")
    wait_answer(page)
    assert_no_violations(page)


SHOTS = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {"viewport": {"width": 360, "height": 780}, "is_mobile": True, "has_touch": True},
    "dark": {"viewport": {"width": 1280, "height": 900}, "color_scheme": "dark"},
}


@pytest.mark.parametrize("name", SHOTS)
def test_screenshots_mid_answer_and_finished(stack, open_article, artifacts: Path, name):
    stack.upstream("ok", ANSWER, delay=0.15)
    page = open_article(**SHOTS[name])
    page.locator("aside.chat").screenshot(path=artifacts / f"chat-{name}-start.png")
    ask(page, "How old is the history of celebration?")
    page.wait_for_function(
        "document.querySelector('.chat-bot.is-streaming .chat-answer')?.textContent.length > 40"
    )
    panel = page.locator("aside.chat")
    panel.screenshot(path=artifacts / f"chat-{name}-streaming.png", animations="disabled")
    wait_answer(page)
    panel.screenshot(path=artifacts / f"chat-{name}-done.png", animations="disabled")
    page.screenshot(path=artifacts / f"chat-{name}-page.png", animations="disabled")  # the panel in its page
    source = panel.locator(".chat-sources a:not([href='#article-body'])").first
    target = source.get_attribute("href")
    source.click()  # the page scrolls to the section and highlights it
    page.wait_for_function(
        """id => { const h = document.getElementById(id), probe = document.createElement('i');
                   probe.className = 'highlighted'; probe.style.transition = 'none'; document.body.append(probe);
                   const full = getComputedStyle(probe).backgroundColor; probe.remove();
                   const top = h.getBoundingClientRect().top;  // at rest: the theme's scroll-padding-top
                   return top > 8 && top < 30
                     && getComputedStyle(h).backgroundColor === full; }""",
        arg=target[1:],
    )
    page.screenshot(path=artifacts / f"chat-{name}-source.png")
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
