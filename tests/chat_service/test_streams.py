"""EventStream as raw ASGI: what happens, in which order, when the reader hangs up."""

from __future__ import annotations

import anyio

from chat_service.streams import EventStream, StreamRegistry


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
