"""CHAT_INDEX as the URL of index.json on a real static host on 127.0.0.1 (see static_host.py)."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from chat_service.__main__ import main
from tests.chat_service.static_host import StaticHost
from tests.chat_service.support import question, read_stream, sample_export, wait_until, write_export
from tests.chat_service.test_elsewhere import build_site


@pytest.fixture
def host(export_path: Path) -> Iterator[StaticHost]:
    """The export's folder (tmp_path/chat/) published under /chat/ by a static host."""
    with StaticHost(export_path.parent.parent) as server:
        yield server


def answer_of(events: list) -> str:
    return "".join(data["delta"] for name, data in events if name == "token")


def test_questions_are_answered_from_the_export_at_a_url(start_chat, host: StaticHost):
    url = host.origin + "/chat/index.json"
    with httpx.Client(base_url=start_chat(CHAT_INDEX=url), timeout=10, trust_env=False) as client:
        response, events = read_stream(client, question("Who profits from the holiday season?"))
        assert response.status_code == 200 and events[-1][0] == "done"
        assert "Retailers depend on the holiday season" in answer_of(events)
        export = client.get("/healthz").json()["export"]
        assert (export["path"], export["articles"], export["stale"], export["cached"]) == (url, 2, False, 1)
    [article] = [path for path, _, _ in host.requests if path.startswith("/chat/celebration.json")]
    assert article.startswith("/chat/celebration.json?digest=")
    assert "/chat/guides/writing-articles.json" not in {p.split("?")[0] for p, _, _ in host.requests}


def test_the_manifest_is_checked_with_conditional_requests(start_chat, host: StaticHost):
    url = host.origin + "/chat/index.json"
    with httpx.Client(
        base_url=start_chat(CHAT_INDEX=url, CHAT_INDEX_CHECK_SECONDS="0"), trust_env=False
    ) as client:
        assert wait_until(
            lambda: client.get("/healthz").status_code == 200 and len(host.statuses("/chat/index.json")) >= 3
        )
    statuses = host.statuses("/chat/index.json")
    assert statuses[0] == 200 and set(statuses[1:]) == {304}
    checks = [headers for path, _, headers in host.requests if path == "/chat/index.json"]
    assert checks[1]["if-none-match"].startswith('"') and "if-modified-since" in checks[1]


def test_a_published_edit_reaches_the_next_answers(start_chat, host: StaticHost, export_path: Path):
    url = host.origin + "/chat/index.json"
    with httpx.Client(
        base_url=start_chat(CHAT_INDEX=url, CHAT_INDEX_CHECK_SECONDS="0"), timeout=10, trust_env=False
    ) as client:
        assert "liminal time" in answer_of(read_stream(client, question("What is liminal time?"))[1])
        export = sample_export()
        export["articles"][0]["sections"][2]["text"] = "Scholars call the festival a threshold."
        write_export(export_path, export)

        def answered_from_the_new_text() -> bool:
            return "a threshold" in answer_of(read_stream(client, question("What is the threshold?"))[1])

        assert wait_until(answered_from_the_new_text, timeout=10, interval=0.1)


def test_a_host_that_goes_away_keeps_the_last_good_copy(start_chat, export_path: Path):
    host = StaticHost(export_path.parent.parent).__enter__()
    url = host.origin + "/chat/index.json"
    with httpx.Client(
        base_url=start_chat(CHAT_INDEX=url, CHAT_INDEX_CHECK_SECONDS="0"), timeout=10, trust_env=False
    ) as client:
        assert read_stream(client, question("history"))[0].status_code == 200
        host.__exit__(None, None, None)

        def stale() -> bool:
            return client.get("/healthz").json()["export"]["stale"]

        assert wait_until(stale, timeout=10)
        export = client.get("/healthz").json()["export"]
        assert export["error"].startswith("cannot fetch the chat export: the host cannot be reached")
        assert export["articles"] == 2
        response, events = read_stream(client, question("history"))  # cached: still answered
        assert response.status_code == 200 and events[-1][0] == "done"
        response = client.post("/chat", json=question("markdown?", article="guides/writing-articles"))
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "article_unavailable"
        assert "the host cannot be reached" in response.json()["error"]["message"]


def test_a_file_above_the_size_limit_is_refused(start_chat, host: StaticHost):
    url = host.origin + "/chat/index.json"
    manifest_size = len(httpx.get(url, trust_env=False).content)
    with httpx.Client(
        base_url=start_chat(CHAT_INDEX=url, CHAT_INDEX_MAX_BYTES=str(manifest_size)), trust_env=False
    ) as client:
        response = client.post("/chat", json=question("history"))
        assert response.status_code == 503
        assert "is larger than CHAT_INDEX_MAX_BYTES" in response.json()["error"]["message"]


def test_an_unreachable_url_stops_start_up(monkeypatch: pytest.MonkeyPatch, export_path: Path, capsys):
    host = StaticHost(export_path.parent.parent).__enter__()
    url = host.origin + "/chat/index.json"
    host.__exit__(None, None, None)
    monkeypatch.setenv("CHAT_INDEX", url)
    monkeypatch.setenv("CHAT_INDEX_TIMEOUT", "2")
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"chat service cannot start: {url}: cannot fetch the chat export")


def test_a_missing_manifest_at_the_url_stops_start_up(monkeypatch, host: StaticHost, capsys):
    monkeypatch.setenv("CHAT_INDEX", host.origin + "/nope/index.json")
    assert main([]) == 2
    assert "cannot fetch the chat export: the host answered 404 Not Found" in capsys.readouterr().err


def test_elsewhere_reads_the_site_wide_index_from_the_host(start_chat, tmp_path: Path):
    build_site(tmp_path)
    with StaticHost(tmp_path / "dist") as host:
        url = host.origin + "/chat/index.json"
        with httpx.Client(base_url=start_chat(CHAT_INDEX=url), timeout=10, trust_env=False) as client:
            body = question("How do I turn on two-factor authentication?", article="install")
            meta = read_stream(client, body)[1][0][1]
        fetched = {path.split("?")[0] for path, _, _ in host.requests}
    assert meta["covered"] is False
    assert [item["url"] for item in meta["elsewhere"]] == ["/docs/configuration/#authentication"]
    assert "/chat/_search/index.json" in fetched


def test_a_password_in_the_url_is_used_but_never_shown(start_chat, host: StaticHost, caplog):
    url = host.origin.replace("http://", "http://editor:s3cret-pass@") + "/chat/index.json"
    with httpx.Client(base_url=start_chat(CHAT_INDEX=url), timeout=10, trust_env=False) as client:
        assert read_stream(client, question("history"))[0].status_code == 200
        health = client.get("/healthz").text
    assert host.requests[0][2]["authorization"].startswith("Basic ")  # sent to the host
    assert "s3cret" not in health and host.origin + "/chat/index.json" in health
    assert "s3cret" not in caplog.text
