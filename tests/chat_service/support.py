"""Helpers for the chat service tests: a small chat export, and reading an SSE stream with httpx."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import httpx

from chat_service.export import Article, parse_article

SECRET = "sk-test-SECRET123"

INTRO = "A celebration is a deliberate break from ordinary time.\n\nCelebrations gather people together."
HISTORY = (
    "The oldest evidence for celebration is feasting on a scale no household needed.\n\n"
    "Monumental stone circles aligned on the sun suggest solstice festivals in Neolithic Britain."
)
CONCEPTS = "Scholars describe the festival as liminal time, when ordinary rules are suspended."
ECONOMY = (
    "Festivals bring tourism and spending to cities.\n\nRetailers depend on the holiday season for profit."
)


def sample_export(**changes: object) -> dict[str, object]:
    """A chat export with two articles, as one dict: the manifest's keys, and `articles` with their sections.

    `write_export` splits it into the manifest and one file per article (docs/contracts.md); `changes`
    override top keys.
    """
    celebration = {
        "slug": "celebration",
        "title": "Celebration",
        "description": "How and why people celebrate.",
        "path": "/celebration/",
        "sections": [
            {"heading": "Celebration", "anchor": "", "level": 1, "text": INTRO},
            {"heading": "History", "anchor": "history", "level": 2, "text": HISTORY},
            {"heading": "Key concepts", "anchor": "key-concepts", "level": 2, "text": CONCEPTS},
            {"heading": "Economic impact", "anchor": "economic-impact", "level": 2, "text": ECONOMY},
        ],
    }
    guide = {
        "slug": "guides/writing-articles",
        "title": "Writing articles",
        "description": "",
        "path": "/blog/guides/writing-articles/",
        "sections": [{"heading": "Writing articles", "anchor": "", "level": 1, "text": "Write in Markdown."}],
    }
    export = {
        "format": "folio-chat-export",
        "version": 2,
        "site": {"title": "Folio", "base_url": "https://example.org/", "language": "en"},
        "articles": [celebration, guide],
    }
    return {**export, **changes}


def article_document(article: dict[str, object]) -> dict[str, object]:
    """One article's file: the article with its format, version and digest (a hash of its content)."""
    digest = hashlib.sha1(json.dumps(article, sort_keys=True).encode()).hexdigest()
    return {"format": "folio-chat-article", "version": 2, **article, "digest": digest}


def sample_article(slug: str = "celebration") -> Article:
    """One article of `sample_export()`, parsed as the service reads it."""
    [article] = [a for a in sample_export()["articles"] if a["slug"] == slug]  # type: ignore[union-attr]
    return parse_article(article_document(article))


def write_export(path: Path, export: dict[str, object]) -> Path:
    """Write `export` (shaped as `sample_export()`) as a manifest at `path` and article files beside it."""
    entries = []
    for article in export.get("articles", []):  # type: ignore[union-attr]
        document = article_document(article)
        file = f"{article['slug']}.json"
        write_json(path.parent / file, document)
        keys = ("slug", "title", "path")
        entries.append({**{k: article[k] for k in keys}, "file": file, "digest": document["digest"]})
    return write_json(path, {**export, "articles": entries})


def write_json(path: Path, data: object) -> Path:
    """Write `data` as JSON to `path` (making its folder) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def question(
    text: str, article: str = "celebration", history: Iterable[dict[str, str]] = ()
) -> dict[str, object]:
    """A /chat body asking `text` about `article`."""
    return {"article": article, "messages": [*history, {"role": "user", "content": text}]}


def parse_sse(lines: Iterable[str]) -> list[tuple[str, object]]:
    """Events of an SSE stream as (event, decoded data); comments become ("comment", text)."""
    events: list[tuple[str, object]] = []
    name = "message"
    for line in lines:
        if line.startswith(":"):
            events.append(("comment", line[1:].strip()))
        elif line.startswith("event: "):
            name = line[len("event: ") :]
        elif line.startswith("data: "):
            events.append((name, json.loads(line[len("data: ") :])))
            name = "message"
    return events


def read_stream(client: httpx.Client, body: object, **kwargs: object) -> tuple[httpx.Response, list]:
    """POST /chat and read the whole stream: (response, events)."""
    with client.stream("POST", "/chat", json=body, **kwargs) as response:
        lines = list(response.iter_lines())
    return response, parse_sse(lines)


def terminal_events(events: list[tuple[str, object]]) -> list[tuple[str, object]]:
    """The done / error events of a stream (a correct stream has exactly one, at the end)."""
    return [event for event in events if event[0] in ("done", "error")]


def wait_until(condition: Callable[[], bool], timeout: float = 5.0, interval: float = 0.02) -> bool:
    """Poll `condition` until it is true or `timeout` seconds pass; return its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()
