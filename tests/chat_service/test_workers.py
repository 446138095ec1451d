"""`python -m chat_service --workers N`, run as the real command in a subprocess and stopped by its pid."""

import threading
from pathlib import Path

import httpx
import pytest

from chat_service.__main__ import main, parse_args
from chat_service.config import load_settings
from tests.chat_service.processes import chat_command, stop
from tests.chat_service.support import parse_sse, question, wait_until


def test_workers_come_from_the_option_then_chat_workers_then_one(monkeypatch: pytest.MonkeyPatch, capsys):
    assert parse_args([]).workers is None
    assert load_settings({}).workers == 1
    # Without Redis, more than one worker stops start-up, naming the count main() settled on.
    monkeypatch.setenv("CHAT_WORKERS", "2")
    assert main([]) == 2
    assert "--workers 2: each worker would count the rate limit" in capsys.readouterr().err
    assert main(["--workers", "3"]) == 2
    assert "--workers 3: each worker would count the rate limit" in capsys.readouterr().err


def test_two_workers_serve_one_port(export_path: Path):
    env = {"CHAT_INDEX": str(export_path), "CHAT_RATE_PER_MINUTE": "0"}
    with chat_command(env, "--workers", "2") as service:
        assert wait_until(lambda: len(service.children()) >= 2, timeout=20)
        seen: set[int] = set()

        def ask_health() -> None:
            # A new connection each time: the kernel hands each to whichever worker accepts first.
            with httpx.Client(base_url=service.url, timeout=10, trust_env=False) as client:
                response = client.get("/healthz")
                assert response.status_code == 200 and response.json()["status"] == "ok"
                seen.add(response.json()["worker"])

        def burst() -> bool:
            threads = [threading.Thread(target=ask_health) for _ in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(15)
            return len(seen) >= 2

        assert wait_until(burst, timeout=30, interval=0.05), f"only {seen} answered"
        assert seen <= service.children()
        with httpx.Client(base_url=service.url, timeout=10, trust_env=False) as client:
            with client.stream("POST", "/chat", json=question("history")) as response:
                events = parse_sse(response.iter_lines())
        assert response.status_code == 200 and events[-1][0] == "done"
        assert stop(service.process) == 0


def test_stopping_the_parent_ends_open_streams_with_an_error_and_exits_cleanly(
    export_path: Path, fake: str, fake_client: httpx.Client
):
    fake_client.post("/_control", json={"mode": "ok", "text": "word " * 200, "delay": 0.1})
    env = {
        "CHAT_INDEX": str(export_path),
        "CHAT_RATE_PER_MINUTE": "0",
        "OPENAI_BASE_URL": fake + "/v1",
        "CHAT_SHUTDOWN_GRACE": "0.5",
    }
    with chat_command(env, "--workers", "2") as service:
        with httpx.Client(base_url=service.url, timeout=30, trust_env=False) as client:
            with client.stream("POST", "/chat", json=question("history")) as response:
                lines = response.iter_lines()
                first = [next(lines) for _ in range(4)]  # meta (2 lines and a blank), then a token
                assert first[0] == "event: meta" and first[3] == "event: token"
                stopper = threading.Thread(target=lambda: codes.append(stop(service.process)))
                codes: list[int] = []
                stopper.start()
                events = parse_sse(list(lines))
                stopper.join(40)
        assert events[-1] == (
            "error",
            {"code": "shutting_down", "message": "The service is restarting. Please ask again."},
        )
        assert [name for name, _ in events].count("error") == 1 and "done" not in [n for n, _ in events]
        assert codes == [0]
    assert wait_until(lambda: fake_client.get("/_stats").json()["open_streams"] == 0, timeout=10)


def test_more_than_one_worker_with_a_per_process_limit_stops_start_up(
    monkeypatch: pytest.MonkeyPatch, export_path: Path, capsys
):
    monkeypatch.setenv("CHAT_INDEX", str(export_path))
    monkeypatch.setenv("CHAT_WORKERS", "2")
    assert main([]) == 2
    err = capsys.readouterr().err
    assert "--workers 2: each worker would count the rate limit on its own" in err
    assert "either run one worker (--workers 1" in err and "CHAT_REDIS_URL=redis://host:port/db" in err
