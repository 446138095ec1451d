"""Browser fixtures for the e2e tests: Debian's Chromium driven by Playwright (never its own download)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: apt-get install chromium"
        if os.environ.get("FOLIO_REQUIRE_BROWSER") == "1":
            pytest.fail(message + " (FOLIO_REQUIRE_BROWSER=1: the e2e tests must run)")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser):
    """Factory: a page in a fresh context (fresh sessionStorage); any uncaught page error fails the test."""
    contexts, errors = [], []

    def make(**context_options):
        context = browser.new_context(**{"viewport": {"width": 1100, "height": 900}, **context_options})
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("dialog", lambda dialog: (errors.append(f"dialog: {dialog.message}"), dialog.dismiss()))
        return page

    yield make
    for context in contexts:
        context.close()
    assert not errors, f"errors in the page: {errors}"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def article_opener(new_page, url: str):
    """A function that opens the article at ``url`` in a new page and waits for the chat panel."""

    def open_(**context_options):
        page = new_page(**context_options)
        page.goto(url)
        page.wait_for_selector("aside.chat.chat-ready")
        return page

    return open_
