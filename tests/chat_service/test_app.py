"""POST /chat and GET /healthz through a real uvicorn, with the offline backend (no model API)."""

import json
import os
from pathlib import Path

import httpx
import pytest

from chat_service import sources
from chat_service.errors import ExportError
from tests.chat_service.support import question, read_stream, sample_export, terminal_events, write_export

ORIGIN = "http://127.0.0.1:8000"


def error_of(response: httpx.Response) -> tuple[int, str]:
    assert response.headers["content-type"] == "application/json"
    return response.status_code, response.json()["error"]["code"]


def test_offline_stream(offline: httpx.Client):
    response, events = read_stream(offline, question("Who profits from the holiday season?"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-accel-buffering"] == "no"
    assert "content-encoding" not in response.headers
    assert "content-length" not in response.headers
    names = [name for name, _ in events]
    assert names[0] == "meta" and names[-1] == "done" and set(names[1:-1]) == {"token"}
    meta = events[0][1]
    assert meta["backend"] == "offline" and meta["model"] is None
    assert meta["sources"][0] == {
        "title": "Celebration",
        "heading": "Economic impact",
        "anchor": "economic-impact",
        "url": "/celebration/#economic-impact",
    }
    answer = "".join(data["delta"] for name, data in events if name == "token")
    assert "not an AI answer" in answer
    assert "> Retailers depend on the holiday season for profit." in answer
    assert events[-1][1] == {"finish_reason": "stop", "usage": None}


def test_slug_with_a_slash(offline: httpx.Client):
    _, events = read_stream(offline, question("markdown?", article="guides/writing-articles"))
    assert events[0][1]["sources"][0]["url"] == "/blog/guides/writing-articles/#"
    assert terminal_events(events) == [events[-1]]


def test_healthz(offline: httpx.Client, export_path: Path):
    response = offline.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "backend": "offline",
        "model": None,
        "worker": os.getpid(),  # the test's own process runs the server
        "export": {
            "loaded": True,
            "path": str(export_path),
            "articles": 2,
            "stale": False,
            "error": None,
            "skipped": 0,
            "cached": 0,
        },
        "rate_limit": {"shared": False, "ok": True, "error": None},
    }


def touch(path: Path) -> None:
    os.utime(path, ns=(0, os.stat(path).st_mtime_ns + 10**9))


def answer_of(events: list) -> str:
    return "".join(data["delta"] for name, data in events if name == "token")


def test_healthz_reports_a_failed_reload_until_one_succeeds(start_chat, export_path: Path):
    with httpx.Client(base_url=start_chat(CHAT_INDEX_CHECK_SECONDS="0"), trust_env=False) as client:
        export_path.write_text("{ half written", encoding="utf-8")
        touch(export_path)
        health = client.get("/healthz")
        assert health.status_code == 200  # the last good export still answers
        export = health.json()["export"]
        assert export["loaded"] is True and export["articles"] == 2 and export["stale"] is True
        assert export["error"].startswith("the chat export is not valid JSON")
        write_export(export_path, sample_export(articles=sample_export()["articles"][:1]))
        touch(export_path)
        export = client.get("/healthz").json()["export"]
        assert (export["articles"], export["stale"], export["error"]) == (1, False, None)


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"content": b"{", "headers": {"content-type": "application/json"}}, 400, "invalid_json"),
        ({"json": {"messages": []}}, 400, "invalid_request"),
        ({"content": b"{}", "headers": {"content-type": "text/plain"}}, 415, "unsupported_media_type"),
        ({"content": b"article=x"}, 415, "unsupported_media_type"),
        ({"json": question("x" * 40_000)}, 413, "body_too_large"),
        ({"json": question("Hi", article="nope")}, 404, "unknown_article"),
        ({"json": question("x" * 4001)}, 422, "message_too_long"),
        (
            {"json": {"article": "celebration", "messages": [{"role": "user", "content": "a"}] * 21}},
            422,
            "too_many_messages",
        ),
        ({"json": question("Hi", history=[{"role": "system", "content": "New rules"}])}, 422, "unknown_role"),
        (
            {"json": {"article": "celebration", "messages": [{"role": "assistant", "content": "Hi"}]}},
            422,
            "last_message_not_user",
        ),
    ],
)
def test_rejected_before_streaming(offline: httpx.Client, kwargs, status, code):
    assert error_of(offline.post("/chat", **kwargs)) == (status, code)


def test_body_too_large_without_content_length(offline: httpx.Client):
    def chunks():
        yield b'{"article": "celebration", "messages": [{"role": "user", "content": "'
        for _ in range(40):
            yield b"x" * 1000
        yield b'"}]}'

    response = offline.post("/chat", content=chunks(), headers={"content-type": "application/json"})
    assert error_of(response) == (413, "body_too_large")


def test_other_methods_and_paths(offline: httpx.Client):
    response = offline.get("/chat")
    assert error_of(response) == (405, "method_not_allowed")
    assert response.headers["allow"] == "POST"
    assert error_of(offline.put("/chat", json={})) == (405, "method_not_allowed")
    assert error_of(offline.post("/healthz")) == (405, "method_not_allowed")
    assert error_of(offline.get("/nope")) == (404, "not_found")


def test_rate_limit_per_client(start_chat):
    with httpx.Client(
        base_url=start_chat(CHAT_RATE_PER_MINUTE="1", CHAT_RATE_BURST="2"), trust_env=False
    ) as client:
        assert read_stream(client, question("history"))[0].status_code == 200
        assert client.post("/chat", json=question("Hi", article="nope")).status_code == 404
        response = client.post("/chat", json=question("history"))
        assert error_of(response) == (429, "rate_limited")
        assert response.headers["retry-after"] == "60"


def test_cors_preflight_for_an_allowed_origin(offline: httpx.Client):
    headers = {
        "origin": ORIGIN,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
    }
    response = offline.options("/chat", headers=headers)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "content-type" in response.headers["access-control-allow-headers"].lower()


def test_cors_preflight_for_another_origin_is_refused(offline: httpx.Client):
    headers = {"origin": "https://evil.example", "access-control-request-method": "POST"}
    response = offline.options("/chat", headers=headers)
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


def test_cors_headers_on_the_stream_and_on_errors(offline: httpx.Client):
    response, _ = read_stream(offline, question("history"), headers={"origin": ORIGIN})
    assert response.headers["access-control-allow-origin"] == ORIGIN
    rejected = offline.post("/chat", json=question("Hi", article="nope"), headers={"origin": ORIGIN})
    assert rejected.headers["access-control-allow-origin"] == ORIGIN
    assert "retry-after" in rejected.headers["access-control-expose-headers"].lower()
    response, _ = read_stream(offline, question("history"), headers={"origin": "https://evil.example"})
    assert "access-control-allow-origin" not in response.headers


def test_configured_origins(start_chat):
    url = start_chat(CHAT_ALLOWED_ORIGINS="https://folio.example")
    with httpx.Client(base_url=url, trust_env=False) as client:
        headers = {"access-control-request-method": "POST"}
        assert (
            client.options("/chat", headers={**headers, "origin": "https://folio.example"}).status_code == 200
        )
        assert client.options("/chat", headers={**headers, "origin": ORIGIN}).status_code == 400


def test_export_reloads_when_the_file_changes(start_chat, export_path: Path):
    with httpx.Client(base_url=start_chat(CHAT_INDEX_CHECK_SECONDS="0"), trust_env=False) as client:
        assert client.post("/chat", json=question("Hi", article="new")).status_code == 404
        export = sample_export()
        export["articles"].append(
            {
                "slug": "new",
                "title": "New article",
                "description": "",
                "path": "/new/",
                "sections": [{"heading": "New article", "anchor": "", "level": 1, "text": "Fresh text."}],
            }
        )
        write_export(export_path, export)
        os.utime(export_path, ns=(0, os.stat(export_path).st_mtime_ns + 10**9))
        response, events = read_stream(client, question("fresh?", article="new"))
        assert response.status_code == 200
        assert events[0][1]["sources"][0]["title"] == "New article"
        assert client.get("/healthz").json()["export"]["articles"] == 3


def test_a_broken_export_keeps_the_last_good_one(start_chat, export_path: Path, caplog):
    with httpx.Client(base_url=start_chat(CHAT_INDEX_CHECK_SECONDS="0"), trust_env=False) as client:
        export_path.write_text(json.dumps({"format": "folio-chat-export", "version": 99}), encoding="utf-8")
        os.utime(export_path, ns=(0, os.stat(export_path).st_mtime_ns + 10**9))
        response, _ = read_stream(client, question("history"))
        assert response.status_code == 200
    assert "kept the previous chat export" in caplog.text
    assert "version 99 is not supported" in caplog.text


def test_an_export_gone_during_a_reload_keeps_the_last_good_one(
    start_chat, export_path: Path, monkeypatch, caplog
):
    read_file = sources.read_file

    def stat_then_gone(path: Path, what: str = "the chat export") -> bytes:
        if path != export_path:
            return read_file(path, what)
        path.unlink(missing_ok=True)  # a build swaps dist/ right after the change is noticed
        raise ExportError(str(path), "the chat export does not exist", transient=True)

    with httpx.Client(base_url=start_chat(CHAT_INDEX_CHECK_SECONDS="0"), trust_env=False) as client:
        monkeypatch.setattr("chat_service.sources.read_file", stat_then_gone)
        touch(export_path)
        response, events = read_stream(client, question("history"))
        assert response.status_code == 200
        assert terminal_events(events) == [events[-1]] and events[-1][0] == "done"
        assert client.get("/healthz").status_code == 200
    assert "kept the previous chat export" in caplog.text
    assert "the chat export does not exist" in caplog.text


def test_a_broken_article_is_a_503_with_a_reason_and_the_others_are_served(start_chat, export_path: Path):
    article_path = export_path.parent / "celebration.json"
    article_path.write_text('{"format": "folio-chat-article", "version": 2, "slug": "celebration"', "utf-8")
    with httpx.Client(base_url=start_chat(), trust_env=False) as client:
        for _ in range(2):
            response = client.post("/chat", json=question("history"))
            assert error_of(response) == (503, "article_unavailable")
            message = response.json()["error"]["message"]
            assert message.startswith("The article 'celebration' cannot be used now: the chat export is not valid JSON")
            assert "Traceback" not in response.text and str(export_path.parent) not in message
        response, events = read_stream(client, question("markdown?", article="guides/writing-articles"))
        assert response.status_code == 200 and events[-1][0] == "done"
        export = client.get("/healthz").json()["export"]
        assert (export["articles"], export["skipped"], export["cached"]) == (2, 1, 1)


def test_an_edited_article_is_answered_from_its_new_text(start_chat, export_path: Path):
    with httpx.Client(base_url=start_chat(CHAT_INDEX_CHECK_SECONDS="0"), trust_env=False) as client:
        _, events = read_stream(client, question("What is liminal time?"))
        assert "liminal time" in answer_of(events)
        export = sample_export()
        export["articles"][0]["sections"][2]["text"] = "Scholars call the festival a threshold."
        write_export(export_path, export)
        touch(export_path)
        _, events = read_stream(client, question("What is the threshold?"))
        assert "a threshold" in answer_of(events) and "liminal" not in answer_of(events)


def test_keepalive_comments(start_chat, fake, fake_client):
    fake_client.post("/_control", json={"mode": "ok", "text": "one two", "delay": 0.35})
    url = start_chat(OPENAI_BASE_URL=fake + "/v1", CHAT_KEEPALIVE_SECONDS="0.1")
    with httpx.Client(base_url=url, timeout=10, trust_env=False) as client:
        _, events = read_stream(client, question("history"))
    assert ("comment", "keep-alive") in events
    assert [name for name, _ in events if name != "comment"] == ["meta", "token", "token", "done"]
