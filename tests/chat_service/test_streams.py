"""EventStream as raw ASGI: what happens, in which order, when the reader hangs up."""

from __future__ import annotations

import socket
import threading

import anyio

from chat_service.server import HangUpProtocol
from chat_service.streams import HANG_UP, EventStream, StreamRegistry
from tests.servers import serve


def test_a_hang_up_closes_the_upstream_before_the_cancellation_reaches_the_generator():
    order: list[str] = []

    async def events():
        try:
            yield "meta", {}
            await anyio.sleep(30)
        finally:
            order.append("generator closed")

    async def run() -> None:
        gone = anyio.Event()

        async def receive() -> dict[str, object]:
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message) -> None:
            if message.get("body", b"").startswith(b"event: meta"):
                gone.set()

        registry = StreamRegistry()
        closers = [lambda: order.append("upstream closed")]
        stream = EventStream(events(), registry=registry, keepalive=15, on_disconnect=closers)
        with anyio.fail_after(5):
            await stream({"type": "http"}, receive, send)
        assert not registry.open

    anyio.run(run)
    assert order == ["upstream closed", "generator closed"]


def test_a_closer_handed_out_after_an_early_hang_up_is_called_by_the_next():
    """The server may hang up while the upstream request is still being sent; the watcher's call then
    reaches the closer that arrived in between."""
    closed: list[str] = []
    closers: list = []

    async def events():
        yield "meta", {}

    stream = EventStream(events(), registry=StreamRegistry(), keepalive=15, on_disconnect=closers)
    stream.hang_up()
    closers.append(lambda: closed.append("upstream"))
    stream.hang_up()
    assert closed == ["upstream"]


def test_the_server_calls_a_streams_hang_up_hook_when_its_connection_drops():
    """HangUpProtocol, not the stream's own task: this app never calls receive(), so nothing else could."""
    called = threading.Event()

    async def app(scope, receive, send) -> None:
        scope[HANG_UP] = called.set
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"event: meta\n\n", "more_body": True})
        with anyio.fail_after(10):
            while not called.is_set():
                await anyio.sleep(0.01)

    with serve(app, lifespan="off", http=HangUpProtocol) as url:
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=5) as reader:
            reader.sendall(b"POST /chat HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n")
            assert b"event: meta" in reader.recv(4096)
        assert called.wait(5)
