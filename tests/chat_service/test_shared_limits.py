"""The rate limit counted in a real redis-server on 127.0.0.1, shared by service instances; failing open."""

import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from chat_service.__main__ import main
from chat_service.config import load_settings
from chat_service.errors import ConfigError
from chat_service.shared_limits import describe
from tests.chat_service.processes import Redis, chat_command, free_port, redis_server
from tests.chat_service.support import question, read_stream


@pytest.fixture
def redis() -> Iterator[Redis]:
    if shutil.which("redis-server") is None and os.environ.get("FOLIO_REQUIRE_BROWSER") != "1":
        pytest.skip("redis-server is not installed (apt-get install redis-server); .ci/run installs it")
    with redis_server() as server:
        yield server


def client_of(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, timeout=10, trust_env=False)


def status_of(client: httpx.Client) -> int:
    response, _ = read_stream(client, question("history"))
    return response.status_code


def test_two_instances_share_one_limit(start_chat, redis: Redis):
    env = {"CHAT_REDIS_URL": redis.url, "CHAT_RATE_PER_MINUTE": "1", "CHAT_RATE_BURST": "3"}
    with client_of(start_chat(**env)) as one, client_of(start_chat(**env)) as two:
        assert [status_of(one), status_of(two), status_of(one)] == [200, 200, 200]
        response = two.post("/chat", json=question("history"))
        assert response.status_code == 429 and response.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(response.headers["retry-after"]) <= 60
        assert one.post("/chat", json=question("history")).status_code == 429
        assert one.get("/healthz").json()["rate_limit"] == {"shared": True, "ok": True, "error": None}


def test_a_failing_redis_fails_open_and_says_so_once(start_chat, redis: Redis, caplog):
    env = {"CHAT_REDIS_URL": redis.url, "CHAT_RATE_PER_MINUTE": "1", "CHAT_RATE_BURST": "1"}
    with client_of(start_chat(**env)) as client:
        assert status_of(client) == 200
        assert client.post("/chat", json=question("history")).status_code == 429
        redis.stop()  # killed mid-test, by its pid
        with caplog.at_level(logging.ERROR, logger="chat_service"):
            assert [status_of(client) for _ in range(4)] == [200] * 4  # served without a limit
        health = client.get("/healthz").json()["rate_limit"]
        assert health["shared"] is True and health["ok"] is False
        assert health["error"].startswith(f"Redis at {describe(redis.url)} failed")
    failures = [r for r in caplog.records if "serving without a rate limit" in r.getMessage()]
    assert len(failures) == 1  # logged once a minute, not once a request


def test_an_unreachable_redis_stops_start_up(monkeypatch: pytest.MonkeyPatch, export_path: Path, capsys):
    url = f"redis://127.0.0.1:{free_port()}/0"
    monkeypatch.setenv("CHAT_INDEX", str(export_path))
    monkeypatch.setenv("CHAT_REDIS_URL", url)
    assert main([]) == 2
    err = capsys.readouterr().err
    assert f"CHAT_REDIS_URL: cannot reach Redis at {describe(url)}" in err


def test_the_redis_url_is_checked_and_its_password_never_shown():
    settings = load_settings({"CHAT_REDIS_URL": "redis://:hunter2@127.0.0.1:6380/2"})
    assert "hunter2" not in repr(settings)
    assert describe(settings.redis_url.reveal()) == "redis://127.0.0.1:6380/2"
    with pytest.raises(ConfigError, match="CHAT_REDIS_URL: must be a URL like redis://127.0.0.1:6379/0"):
        load_settings({"CHAT_REDIS_URL": "127.0.0.1:6379"})


def test_two_workers_with_redis_share_one_limit(export_path: Path, redis: Redis):
    env = {
        "CHAT_INDEX": str(export_path),
        "CHAT_REDIS_URL": redis.url,
        "CHAT_RATE_PER_MINUTE": "1",
        "CHAT_RATE_BURST": "4",
    }
    with chat_command(env, "--workers", "2") as service:
        statuses = []
        for _ in range(8):
            with client_of(service.url) as client:  # a new connection each time, to any worker
                statuses.append(client.post("/chat", json=question("Hi", article="nope")).status_code)
        # 404s count too: the limit is checked first, on every request.
        assert statuses == [404] * 4 + [429] * 4
