"""Watch mode latency: from saving an article to the dev server's reload event for its page.

Runs the real ``python -m site_builder watch`` on 127.0.0.1 and listens to its event stream like a browser.
"""

from __future__ import annotations

import http.client
import json
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

EVENTS = "/__folio/events"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def read_events(response: http.client.HTTPResponse, deadline: float):  # type: ignore[no-untyped-def]
    """Yield (name, data) events until the deadline; the socket's timeout bounds each read."""
    name, data = "message", []
    while time.monotonic() < deadline:
        line = response.readline().decode().rstrip("\r\n")
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
        elif not line and data:
            yield name, json.loads("\n".join(data))
            name, data = "message", []


def watch_latency(content: Path, out: Path, rounds: int = 5, timeout: float = 120.0) -> dict[str, float]:
    """Median and worst edit-to-reload-event time over ``rounds`` edits of one article."""
    port = free_port()
    command = [sys.executable, "-m", "site_builder", "watch", "--content", str(content), "--out", str(out),
               "--port", str(port)]
    server = subprocess.Popen(command, cwd=content.parent, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        connection = _connect(port, time.monotonic() + timeout)
        connection.request("GET", EVENTS)
        response = connection.getresponse()
        events = read_events(response, time.monotonic() + timeout)
        next(e for e in events if e[0] == "hello")
        article = sorted(content.glob("*.md"))[1]
        page = f"{article.stem}/index.html"
        times = []
        for n in range(rounds):
            with article.open("a") as file:
                file.write(f"\nWatch benchmark edit {n}.\n")
            saved = time.perf_counter()
            next(e for e in events if e[0] == "reload" and page in e[1].get("pages", []))
            times.append((time.perf_counter() - saved) * 1000)
        connection.close()
        return {"rounds": rounds, "median_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1)}
    finally:
        server.terminate()
        server.wait(timeout=30)


def _connect(port: int, deadline: float) -> http.client.HTTPConnection:
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            connection.connect()
            return connection
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
