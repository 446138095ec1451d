"""Processes of the chat benchmark: start and stop them, and read their CPU time and RSS from /proc.

Every wait is a bounded poll; every process started here is stopped here, by its own pid.
"""

from __future__ import annotations

import http.client
import json
import os
import resource
import select
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_TICKS = os.sysconf("SC_CLK_TCK")


def raise_fd_limit() -> None:
    """Raise the soft limit on open files to the hard one; the children started here inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def family(pid: int) -> list[int]:
    """The process and its descendants (the workers of `--workers N`), from /proc."""
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        todo += [int(child) for child in children]
    return pids


def family_cpu_seconds(pid: int) -> float:
    """CPU time of a process and its live descendants."""
    return sum(_or_zero(cpu_seconds, p) for p in family(pid))


def family_rss_kb(pid: int) -> int:
    """RSS of a process and its live descendants (shared pages counted in each)."""
    return sum(_or_zero(rss_kb, p) for p in family(pid))


def _or_zero(read, pid: int):  # type: ignore[no-untyped-def]
    try:
        return read(pid)
    except OSError:
        return 0  # it ended between the listing and the read


def rss_kb(pid: int) -> int:
    """Resident set size of a process in KiB, from /proc/<pid>/status (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL after 15 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def start_upstream(tokens: int, interval: float) -> tuple[subprocess.Popen[bytes], int]:
    """Start bench/chat_upstream.py; return the process and the port it printed."""
    command = [
        sys.executable,
        str(ROOT / "bench" / "chat_upstream.py"),
        "--tokens",
        str(tokens),
        "--interval",
        str(interval),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE)
    ready, _, _ = select.select([process.stdout], [], [], 10.0)
    line = process.stdout.readline().decode() if ready else ""  # type: ignore[union-attr]
    if not line.startswith("port "):
        stop(process)
        raise RuntimeError("the fake upstream did not start within 10 s")
    return process, int(line.split()[1])


def get_json(port: int, path: str, timeout: float = 5.0) -> tuple[int, object]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


def start_service(
    environ: dict[str, str], log_path: Path, python: str = sys.executable, workers: int = 1
) -> tuple[subprocess.Popen[bytes], int]:
    """Start `python -m chat_service` on a free port; return once /healthz answers (at most 20 s)."""
    port = free_port()
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [python, "-m", "chat_service", "--port", str(port), "--workers", str(workers)],
            env={**os.environ, **environ},
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
    deadline = time.monotonic() + 20.0
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if get_json(port, "/healthz", timeout=1.0)[0] == 200:
                return process, port
        except OSError:
            time.sleep(0.05)
    stop(process)
    raise RuntimeError(f"the chat service did not start within 20 s; see {log_path}")


def warm_up(port: int, body: dict[str, object]) -> None:
    """One stream read to its first token, so that lazy imports and first-use costs are behind us."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10.0)
    try:
        connection.request("POST", "/chat", json.dumps(body), {"content-type": "application/json"})
        response = connection.getresponse()
        for _ in range(100):
            if b"event: token" in response.readline():
                break
    finally:
        connection.close()


class Sampler:
    """Sample a process's RSS every `interval` seconds in a thread, between start() and stop()."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.pid, self.interval = pid, interval
        self.peak_kb = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._done.is_set():
            try:
                self.peak_kb = max(self.peak_kb, family_rss_kb(self.pid))
            except OSError:
                return
            self._done.wait(self.interval)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join(5)


def run_load(port: int, target: str, options: list[str], timeout: float) -> dict[str, object]:
    """Run bench/chat_load.py in its own process and return the JSON it prints."""
    command = [
        sys.executable,
        str(ROOT / "bench" / "chat_load.py"),
        "--port",
        str(port),
        "--target",
        target,
        *options,
    ]
    done = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the load generator failed: {done.stderr.decode()[-2000:]}")
    return json.loads(done.stdout)
