"""A lean fake OpenAI-compatible upstream for the chat benchmark: raw asyncio, one process, 127.0.0.1.

    python bench/chat_upstream.py [--tokens 100] [--interval 0.02]     # prints "port <n>", then serves

`POST /v1/chat/completions` streams the real wire format over HTTP/1.1 chunked transfer, keep-alive:
a role chunk at once, then `--tokens` content chunks `--interval` seconds apart (on an absolute schedule, so
the gaps do not drift), then a finish chunk, a usage chunk and `data: [DONE]`. Every chunk is encoded once at
start-up: at 1,000 streams this server writes 50,000 chunks a second, and it must not be the bottleneck.

A request names itself with `bench-id-<id>` anywhere in its body (the question), and may ask for a shorter
answer with `bench-tokens-<n>`. When a connection closes
before its stream ends, the server records `time.monotonic()` under that id (CLOCK_MONOTONIC is one clock for
every process on Linux, so the load generator can subtract its own close time). `GET /_stats` returns
`{"open": n, "started": n, "completed": n, "disconnects": {id: t}}`. The server stops on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import resource
import signal
import time

WORDS = "the festival of lanterns began in the river towns where boats carried light downstream".split()
_ID = re.compile(rb"bench-id-([\w.-]+)")
_TOKENS = re.compile(rb"bench-tokens-(\d+)")
_HEAD_END = b"\r\n\r\n"
_MAX_HEAD = 64 * 1024


def _frame(data: bytes) -> bytes:
    """One HTTP/1.1 chunk."""
    return b"%x\r\n%s\r\n" % (len(data), data)


def _event(body: dict[str, object]) -> bytes:
    return _frame(b"data: " + json.dumps(body, separators=(",", ":")).encode() + b"\n\n")


def _chunk(delta: dict[str, str], finish_reason: str | None = None) -> bytes:
    choice = {"index": 0, "delta": delta, "finish_reason": finish_reason}
    body = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 0, "model": "bench"}
    return _event({**body, "choices": [choice]})


class Script:
    """The pre-encoded bytes of one streamed answer."""

    def __init__(self, tokens: int, interval: float) -> None:
        self.interval = interval
        head = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
        self.start = head + _chunk({"role": "assistant", "content": ""})
        self.tokens = [_chunk({"content": " " + WORDS[i % len(WORDS)]}) for i in range(tokens)]
        usage = {"prompt_tokens": 500, "completion_tokens": tokens, "total_tokens": 500 + tokens}
        tail = _chunk({}, "stop") + _event(
            {
                "id": "chatcmpl-bench",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": "bench",
                "choices": [],
                "usage": usage,
            }
        )
        self.end = tail + _frame(b"data: [DONE]\n\n") + b"0\r\n\r\n"


class Stats:
    def __init__(self) -> None:
        self.open = self.started = self.completed = 0
        self.disconnects: dict[str, float] = {}

    def as_json(self) -> bytes:
        return json.dumps(
            {
                "open": self.open,
                "started": self.started,
                "completed": self.completed,
                "disconnects": self.disconnects,
            }
        ).encode()


class Upstream(asyncio.Protocol):
    """One connection: parse requests (keep-alive), stream an answer to each completion request."""

    def __init__(self, script: Script, stats: Stats) -> None:
        self.script, self.stats = script, stats
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.stream_id: str | None = None
        self.tokens = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.timer is None and self._next_request():
            pass

    def _next_request(self) -> bool:
        end = self.buffer.find(_HEAD_END)
        if end < 0:
            if len(self.buffer) > _MAX_HEAD:
                self.transport.close()
            return False
        head = self.buffer[:end].decode("latin-1")
        length = 0
        for line in head.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        if len(self.buffer) < end + 4 + length:
            return False
        body = self.buffer[end + 4 : end + 4 + length]
        self.buffer = self.buffer[end + 4 + length :]
        self._respond(head.split(" ", 2), body)
        return True

    def _respond(self, request_line: list[str], body: bytes) -> None:
        method, path = request_line[0], request_line[1]
        if method == "GET" and path == "/_stats":
            payload = self.stats.as_json()
            self.transport.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                b"content-length: %d\r\n\r\n%s" % (len(payload), payload)
            )
        elif method == "POST" and path.endswith("/chat/completions"):
            self._start_stream(body)
        else:
            self.transport.write(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")

    def _start_stream(self, body: bytes) -> None:
        found = _ID.search(body)
        self.stream_id = found.group(1).decode() if found else None
        shorter = _TOKENS.search(body)
        self.tokens = (
            min(int(shorter.group(1)), len(self.script.tokens)) if shorter else len(self.script.tokens)
        )
        self.stats.open += 1
        self.stats.started += 1
        self.transport.write(self.script.start)
        loop = asyncio.get_running_loop()
        self._schedule(loop, loop.time(), 0)

    def _schedule(self, loop: asyncio.AbstractEventLoop, start: float, index: int) -> None:
        self.timer = loop.call_at(start + (index + 1) * self.script.interval, self._send, loop, start, index)

    def _send(self, loop: asyncio.AbstractEventLoop, start: float, index: int) -> None:
        self.transport.write(self.script.tokens[index])
        if index + 1 < self.tokens:
            self._schedule(loop, start, index + 1)
            return
        self.transport.write(self.script.end)
        self.timer = None
        self.stats.open -= 1
        self.stats.completed += 1
        if self.buffer:
            self.data_received(b"")

    def connection_lost(self, exc: Exception | None) -> None:
        if self.timer is None:
            return
        self.timer.cancel()
        self.timer = None
        self.stats.open -= 1
        if self.stream_id is not None:
            self.stats.disconnects[self.stream_id] = time.monotonic()


def raise_fd_limit() -> None:
    """Allow as many open files as the hard limit does: each stream is a socket (two for the service)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def serve(host: str, port: int, script: Script) -> None:
    stats = Stats()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Upstream(script, stats), host, port, backlog=4096)
    print(f"port {server.sockets[0].getsockname()[1]}", flush=True)
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with server:
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tokens", type=int, default=100)
    parser.add_argument("--interval", type=float, default=0.02)
    args = parser.parse_args()
    raise_fd_limit()
    asyncio.run(serve(args.host, args.port, Script(args.tokens, args.interval)))


if __name__ == "__main__":
    main()
