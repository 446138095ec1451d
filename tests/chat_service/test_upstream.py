"""The chat service against the fake OpenAI-compatible server, through the real SDK and real sockets."""

import logging
import threading

import httpx
import pytest

from chat_service.__main__ import ChatServer
from chat_service.app import create_app
from chat_service.config import load_settings
from tests.chat_service.support import (
    SECRET,
    parse_sse,
    question,
    read_stream,
    terminal_events,
    wait_until,
)
from tests.servers import serve

FAST = {"CHAT_READ_TIMEOUT": "0.5", "CHAT_CONNECT_TIMEOUT": "1"}
KEY_MODES = (
    "ok",
    "auth",
    "rate_limit",
    "server_error",
    "stall_headers",
    "drop_mid",
    "malformed",
    "error_mid",
)


@pytest.fixture
def chat(start_chat, fake):
    """A client of the chat service that talks to the fake server with the secret key."""
    url = start_chat(OPENAI_BASE_URL=fake + "/v1", OPENAI_API_KEY=SECRET, CHAT_MODEL="fake-model", **FAST)
    with httpx.Client(base_url=url, timeout=10, trust_env=False) as client:
        yield client


def control(
    fake_client: httpx.Client, mode: str, text: str = "The article says so.", delay: float = 0.0
) -> None:
    fake_client.post("/_control", json={"mode": mode, "text": text, "delay": delay}).raise_for_status()


def test_streams_the_model_answer(chat, fake_client):
    control(fake_client, "ok", text="Line one,\n  indented [History].")
    response, events = read_stream(chat, question("What did the sun have to do with it?"))
    assert response.status_code == 200
    assert events[0] == (
        "meta",
        {
            "sources": [
                {
                    "title": "Celebration",
                    "heading": "History",
                    "anchor": "history",
                    "url": "/celebration/#history",
                }
            ],
            "backend": "openai",
            "model": "fake-model",
            "covered": True,
        },
    )
    assert (
        "".join(data["delta"] for name, data in events if name == "token")
        == "Line one,\n  indented [History]."
    )
    assert events[-1] == (
        "done",
        {"finish_reason": "stop", "usage": {"prompt_tokens": 10, "completion_tokens": 4, "total_tokens": 14}},
    )
    assert terminal_events(events) == [events[-1]]


def test_sends_the_grounded_conversation(chat, fake_client):
    control(fake_client, "ok")
    history = [{"role": "user", "content": "Hello"}, {"role": "assistant", "content": "Hi!"}]
    read_stream(chat, question("Who profits from the holiday season?", history=history))
    sent = fake_client.get("/_stats").json()["last_request"]
    assert sent["model"] == "fake-model" and sent["stream"] is True
    assert sent["authorization"] == f"Bearer {SECRET}"
    roles = [message["role"] for message in sent["messages"]]
    assert roles == ["system", "user", "assistant", "user"]
    assert "Retailers depend on the holiday season" in sent["messages"][0]["content"]
    assert sent["messages"][-1]["content"] == "Who profits from the holiday season?"


@pytest.mark.parametrize(
    ("mode", "code", "tokens"),
    [
        ("rate_limit", "upstream_rate_limited", 0),
        ("server_error", "upstream_unavailable", 0),
        ("stall_headers", "upstream_timeout", 0),
        ("stall_mid", "upstream_timeout", 2),
        ("drop_mid", "upstream_unavailable", 2),
        ("malformed", "upstream_bad_response", 1),
        ("error_mid", "upstream_error", 1),
        ("truncated", "upstream_bad_response", 2),
    ],
)
def test_every_fault_ends_in_one_error_event(chat, fake_client, mode, code, tokens):
    control(fake_client, mode, text="one two three four")
    response, events = read_stream(chat, question("history"))
    assert response.status_code == 200
    names = [name for name, _ in events]
    assert names == ["meta", *["token"] * tokens, "error"]
    error = events[-1][1]
    assert error["code"] == code
    assert error["message"].startswith("The AI service")
    assert wait_until(lambda: fake_client.get("/_stats").json()["open_streams"] == 0)


def test_no_retries(chat, fake_client):
    control(fake_client, "server_error")
    read_stream(chat, question("history"))
    assert fake_client.get("/_stats").json()["requests"] == 1


def test_slow_tokens_still_arrive(chat, fake_client):
    control(fake_client, "ok", text="slow but steady", delay=0.2)  # each gap < CHAT_READ_TIMEOUT
    _, events = read_stream(chat, question("history"))
    assert [name for name, _ in events] == ["meta", "token", "token", "token", "done"]


def test_unreachable_upstream(start_chat, export_path):
    with serve(create_app(load_settings({"CHAT_INDEX": str(export_path)}))) as gone:
        pass  # the port is free again: nothing listens there now
    url = start_chat(OPENAI_BASE_URL=gone + "/v1", **FAST)
    with httpx.Client(base_url=url, timeout=10, trust_env=False) as client:
        _, events = read_stream(client, question("history"))
    assert [name for name, _ in events] == ["meta", "error"]
    assert events[-1][1]["code"] == "upstream_unavailable"


def test_reader_disconnect_closes_the_upstream_stream(chat, fake_client):
    control(fake_client, "ok", text="word " * 200, delay=0.05)
    with chat.stream("POST", "/chat", json=question("history")) as response:
        lines = response.iter_lines()
        tokens = 0
        while tokens < 2:
            tokens += next(lines).startswith('data: {"delta"')
        assert fake_client.get("/_stats").json()["open_streams"] == 1
    # Leaving the block closed the connection mid-stream.
    assert wait_until(lambda: fake_client.get("/_stats").json()["open_streams"] == 0)


def test_disconnect_during_a_stall(start_chat, fake, fake_client):
    control(fake_client, "stall_mid")
    # A long read timeout: only the reader leaving can end this stream within the test's wait.
    url = start_chat(OPENAI_BASE_URL=fake + "/v1", CHAT_READ_TIMEOUT="30")
    with httpx.Client(base_url=url, timeout=10, trust_env=False) as client:
        with client.stream("POST", "/chat", json=question("history")) as response:
            lines = response.iter_lines()  # keep a reference: a discarded iterator closes the connection
            next(lines)
            assert wait_until(lambda: fake_client.get("/_stats").json()["open_streams"] == 1)
    assert wait_until(lambda: fake_client.get("/_stats").json()["open_streams"] == 0, timeout=5)


def test_the_key_appears_in_no_response_and_no_log(start_chat, fake, fake_client, caplog):
    for name in ("chat_service", "uvicorn", "openai", "httpx2"):
        caplog.set_level(logging.DEBUG, logger=name)
    url = start_chat(OPENAI_BASE_URL=fake + "/v1", OPENAI_API_KEY=SECRET, **FAST)
    bodies = []
    with httpx.Client(base_url=url, timeout=10, trust_env=False) as client:
        for mode in KEY_MODES:
            control(fake_client, mode)
            with client.stream("POST", "/chat", json=question("history")) as response:
                body = response.read().decode()
                bodies.append(str(response.headers) + body)
            if mode == "auth":  # the upstream's error message quotes the key back
                auth_events = parse_sse(body.splitlines())
        bodies.append(client.get("/healthz").text)
        bodies.append(client.post("/chat", json={"article": 1}).text)
    assert fake_client.get("/_stats").json()["last_request"]["authorization"] == f"Bearer {SECRET}"
    control(fake_client, "auth")
    echoed = fake_client.post("/v1/chat/completions", json={}, headers={"authorization": f"Bearer {SECRET}"})
    assert echoed.status_code == 401 and SECRET in echoed.text  # so the key did reach the service
    assert [name for name, _ in auth_events] == ["meta", "error"]
    assert auth_events[-1][1]["code"] == "upstream_auth"
    assert any("status=401" in record.getMessage() for record in caplog.records)
    assert not [body for body in bodies if SECRET in body]
    assert not [record for record in caplog.records if SECRET in record.getMessage()]
    assert SECRET not in caplog.text
    # The SDK's and the HTTP client's debug logging (headers, bodies) was on and seen, not silent.
    assert {"openai._base_client", "httpx2"} <= {record.name for record in caplog.records}


def test_shutdown_ends_open_streams_with_an_error(export_path, fake, fake_client):
    control(fake_client, "stall_mid")
    env = {"CHAT_INDEX": str(export_path), "OPENAI_BASE_URL": fake + "/v1", "CHAT_SHUTDOWN_GRACE": "0.3"}
    events: list = []

    def read(url: str) -> None:
        with httpx.Client(base_url=url, timeout=10, trust_env=False) as client:
            events.extend(read_stream(client, question("history"))[1])

    with serve(create_app(load_settings(env)), server_class=ChatServer) as url:
        reader = threading.Thread(target=read, args=(url,))
        reader.start()
        assert wait_until(lambda: fake_client.get("/_stats").json()["open_streams"] == 1)
    reader.join(10)
    assert not reader.is_alive()
    assert [name for name, _ in events] == ["meta", "token", "token", "error"]
    assert events[-1][1]["code"] == "shutting_down"
    assert wait_until(lambda: fake_client.get("/_stats").json()["open_streams"] == 0)
