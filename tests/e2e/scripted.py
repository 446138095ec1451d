"""Servers for testing the chat panel on a hand-made article page: static files and a scripted /chat.

The scripted /chat answers each POST with the next queued reply, byte for byte, so a test can split events
across network chunks, cut a stream, hold it open, or answer with any status.
Both run in threads on 127.0.0.1.
"""

from __future__ import annotations

import functools
import json
import queue
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HOLD_LIMIT = 30.0  # seconds a held stream stays open at most, so nothing outlives a test


def sse(event: str, data: object) -> bytes:
    """One server-sent event with a JSON payload."""
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


def answer(
    text: str, *, sources: Iterable[dict] = (), backend: str = "openai", pieces: int = 0
) -> list[bytes]:
    """The events of a whole answer: meta, the text as tokens (word by word, or `pieces` slices), done."""
    if pieces:
        step = max(1, -(-len(text) // pieces))
        tokens = [text[i : i + step] for i in range(0, len(text), step)]
    else:
        tokens = [w for w in text.split(" ")]
        tokens = [t + " " for t in tokens[:-1]] + tokens[-1:]
    return [
        sse("meta", {"sources": list(sources), "backend": backend, "model": "test-model"}),
        *(sse("token", {"delta": t}) for t in tokens),
        sse("done", {"finish_reason": "stop", "usage": None}),
    ]


@dataclass
class Reply:
    status: int = 200
    chunks: list[bytes] = field(default_factory=list)
    delay: float = 0.0  # seconds before each chunk
    hold: bool = False  # keep the stream open (with comment lines) until the reader leaves
    headers: dict[str, str] = field(default_factory=dict)


class _Threaded:
    """An HTTP server on 127.0.0.1 (a free port) in a thread, for ``with``."""

    def __init__(self, handler) -> None:  # type: ignore[no-untyped-def]
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):  # type: ignore[no-untyped-def]
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


class ScriptedChat(_Threaded):
    """Replies to POST /chat from a queue; counts open streams; records request bodies."""

    def __init__(self) -> None:
        self.replies: queue.Queue[Reply] = queue.Queue()
        self.requests: list[dict] = []
        self.open_streams = 0
        self.lock = threading.Lock()
        super().__init__(functools.partial(_ChatHandler, self))
        self.url = self.origin + "/chat"

    def queue(self, reply: Reply) -> None:
        self.replies.put(reply)

    def reset(self) -> None:
        while not self.replies.empty():
            self.replies.get_nowait()
        self.requests.clear()

    def wait_closed(self, timeout: float = 10.0) -> int:
        """Wait until no stream is open; return how many are."""
        deadline = time.monotonic() + timeout
        while self.open_streams and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.open_streams


class _ChatHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def __init__(self, chat: ScriptedChat, *args, **kwargs) -> None:
        self.chat = chat
        super().__init__(*args, **kwargs)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - keep test output quiet
        pass

    def _cors(self) -> None:
        self.send_header("Access-Control-Allow-Origin", self.headers.get("Origin") or "*")
        self.send_header("Access-Control-Expose-Headers", "Retry-After")
        self.send_header("Vary", "Origin")

    def do_OPTIONS(self) -> None:
        self.send_response(204)
        self._cors()
        self.send_header("Access-Control-Allow-Methods", "POST")
        self.send_header("Access-Control-Allow-Headers", "content-type")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.chat.requests.append(json.loads(body))
        try:
            reply = self.chat.replies.get_nowait()
        except queue.Empty:
            reply = Reply(chunks=answer("No reply was queued for this question."))
        self.send_response(reply.status)
        self._cors()
        is_stream = reply.status == 200
        self.send_header("Content-Type", "text/event-stream" if is_stream else "application/json")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        with self.chat.lock:
            self.chat.open_streams += 1
        try:
            self._stream(reply)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            with self.chat.lock:
                self.chat.open_streams -= 1
            self.close_connection = True

    def _stream(self, reply: Reply) -> None:
        for chunk in reply.chunks:
            if reply.delay:
                time.sleep(reply.delay)
            self._chunk(chunk)
        deadline = time.monotonic() + HOLD_LIMIT
        while reply.hold and time.monotonic() < deadline:
            time.sleep(0.05)
            self._chunk(b": keep-alive\n\n")  # fails once the reader has gone
        self._chunk(b"")

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()


class StaticServer(_Threaded):
    """Serves a directory over HTTP on 127.0.0.1 in a thread."""

    def __init__(self, root: Path) -> None:
        super().__init__(functools.partial(_QuietFiles, directory=str(root)))


class _QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass
