"""Real processes for tests: `python -m chat_service` and `redis-server`, on 127.0.0.1, stopped by pid.

with chat_command(env, "--workers", "2") as service:   # service.url, service.process
    httpx.get(service.url + "/healthz")
with redis_server() as redis:                           # redis.url, redis.stop()
    ...
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop(process: subprocess.Popen, timeout: float = 30.0) -> int:
    """SIGTERM the process by its pid, wait for it (killing it after `timeout`), and return its exit code."""
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
        raise


@dataclass
class Service:
    url: str
    process: subprocess.Popen
    log: IO[str]

    def output(self) -> str:
        """What the service printed so far."""
        self.log.seek(0)
        return self.log.read()

    def children(self) -> set[int]:
        """The pids of the service's child processes (its workers, and multiprocessing's helper)."""
        text = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        return {int(pid) for pid in text.split()}


@contextmanager
def chat_command(env: dict[str, str], *args: str, start_timeout: float = 30.0) -> Iterator[Service]:
    """Run `python -m chat_service --port <free> *args` with `env`; yield once /healthz answers."""
    port = free_port()
    command = [sys.executable, "-m", "chat_service", "--host", "127.0.0.1", "--port", str(port), *args]
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("CHAT_", "OPENAI_"))}
    # A file, not a pipe: a pipe nobody reads would fill up and block the service's logging.
    log = tempfile.TemporaryFile(mode="w+")
    process = subprocess.Popen(
        command, cwd=ROOT, env={**environ, **env}, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_timeout
        while not _answers(url):
            if process.poll() is not None or time.monotonic() > deadline:
                stop(process)
                log.seek(0)
                raise RuntimeError(
                    f"the chat service did not start (exit {process.returncode}):\n{log.read()}"
                )
            time.sleep(0.1)
        yield Service(url, process, log)
    finally:
        if process.poll() is None:
            stop(process)
        log.close()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url + "/healthz", timeout=2, trust_env=False).status_code == 200
    except httpx.HTTPError:
        return False


@dataclass
class Redis:
    url: str
    process: subprocess.Popen

    def stop(self) -> None:
        stop(self.process)


@contextmanager
def redis_server() -> Iterator[Redis]:
    """A throwaway redis-server on 127.0.0.1 (a free port, nothing saved to disk); stopped by its pid."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise FileNotFoundError("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not _redis_answers(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {port}")
            time.sleep(0.05)
        yield Redis(f"redis://127.0.0.1:{port}/0", process)
    finally:
        if process.poll() is None:
            stop(process)


def _redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False
