"""An answer's event stream as a raw ASGI response: keep-alives, disconnects, shutdown. No Starlette.

`EventStream(events, registry=..., keepalive=...)` sends `(event, data)` pairs from an async generator as
server-sent events. It guarantees the protocol's last rule: whatever happens after the headers are sent
(an upstream error, a bug, a shutdown), the stream ends with exactly one `done` or `error` event, unless the
reader has already gone, in which case the upstream request is closed at once (by the server's hang-up hook,
`scope[HANG_UP]`, or by the stream's watcher, whichever comes first) and the generator with it.
A `token` event's data is one delta, or a list of deltas that arrived together: each is framed as its own
`token` event, and they go to the server as one message: one write to the socket (the largest single share
of a token's CPU in a profile at 100 streams) for the tokens that piled up while the loop was busy.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping, Sequence
from contextlib import aclosing
from typing import Any

import anyio

from chat_service.errors import UpstreamError
from chat_service.sse import KEEPALIVE, encode_event, encode_token

log = logging.getLogger("chat_service.streams")

Event = tuple[str, object]
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
TERMINAL = frozenset({"done", "error"})
# No Content-Length and no compression: each event must reach the reader as soon as it is sent.
HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]
RAW_SEND = "folio.raw_send"  # the scope key KeepRawSend sets
HANG_UP = "folio.hang_up"  # the scope key of a stream's hang-up hook, for a server that can call it early
SHUTTING_DOWN = {"code": "shutting_down", "message": "The service is restarting. Please ask again."}
INTERNAL_ERROR = {"code": "internal_error", "message": "Something went wrong."}


class KeepRawSend:
    """ASGI middleware: keeps the server's own `send` in the scope, for EventStream's body messages.

    Middleware acts on a response's start only (CORS headers, "has the response started"), yet wraps every
    message in a call of its own; at one message per token that is a share of the CPU worth saving.
    """

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope[RAW_SEND] = send
        await self.app(scope, receive, send)


class OpenStream:
    """One /chat stream in flight, as seen by shutdown: it can be told to stop."""

    def __init__(self) -> None:
        self.stopped = False
        self.scope: anyio.CancelScope | None = None

    def stop(self) -> None:
        self.stopped = True
        if self.scope is not None:
            self.scope.cancel()


class StreamRegistry:
    """The open streams; `drain()` lets them finish for a grace period, then stops the rest."""

    def __init__(self) -> None:
        self.open: set[OpenStream] = set()
        self.draining = False

    async def drain(self, grace: float) -> None:
        """Refuse new streams, wait up to `grace` seconds, then end the rest with an `error` event."""
        self.draining = True
        with anyio.move_on_after(grace):
            while self.open:
                await anyio.sleep(0.05)
        for stream in list(self.open):
            stream.stop()
        with anyio.move_on_after(2.0):  # each needs only to send its error event and close
            while self.open:
                await anyio.sleep(0.02)


class EventStream:
    """A text/event-stream response of (event, data) pairs, with keep-alives and disconnect handling.

    A disconnect first calls each of `on_disconnect` (the upstream request's closer: a loaded event loop
    takes several rounds to carry a cancellation through the generators, and the upstream bills every token
    until then), then cancels the stream, which closes the event generator. A server that sees the
    connection drop can run those closers even sooner through `scope[HANG_UP]` (server.HangUpProtocol).
    Shutdown stops the stream with a final `error` event.
    """

    def __init__(
        self,
        events: AsyncIterator[Event],
        *,
        registry: StreamRegistry,
        keepalive: float,
        on_disconnect: Sequence[Callable[[], None]] = (),
    ) -> None:
        self._events = events
        self._on_disconnect = on_disconnect
        self._registry = registry
        self._keepalive = keepalive
        self._last_sent = time.monotonic()
        self._ended = False
        self._disconnected = False

    async def __call__(self, scope: Scope, receive: Receive, wrapped_send: Send) -> None:
        # The start goes through the middleware (CORS adds its headers); the body, a message per token,
        # straight to the server when KeepRawSend is installed.
        await wrapped_send({"type": "http.response.start", "status": 200, "headers": HEADERS})
        send: Send = scope.get(RAW_SEND, wrapped_send)
        scope[HANG_UP] = self.hang_up
        handle = OpenStream()
        self._registry.open.add(handle)
        try:
            with anyio.CancelScope() as handle.scope:
                # One helper task rather than an anyio task group of two: the group and its tasks cost
                # a tenth of a short answer's CPU.
                watcher = asyncio.get_running_loop().create_task(self._watch(receive, send, handle.scope))
                try:
                    await self._pump(send)
                finally:
                    watcher.cancel()
            if handle.stopped and not self._ended:
                await self._send(send, "error", SHUTTING_DOWN)
            if not self._disconnected:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            self._registry.open.discard(handle)

    async def _send(self, send: Send, event: str, data: object) -> None:
        if event != "token":
            chunk = encode_event(event, data)
        elif isinstance(data, list):
            chunk = b"".join(map(encode_token, data))
        else:
            chunk = encode_token(data)  # type: ignore[arg-type]
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
        self._last_sent = time.monotonic()
        self._ended = self._ended or event in TERMINAL

    async def _pump(self, send: Send) -> None:
        try:
            async with aclosing(self._events) as events:
                async for event, data in events:
                    await self._send(send, event, data)
                    if self._ended:
                        return
            raise RuntimeError("the event generator ended without a done or error event")
        except UpstreamError as error:
            await self._send(send, "error", {"code": error.code, "message": error.message})
        except Exception:
            log.exception("a /chat stream failed")
            if not self._ended:
                await self._send(send, "error", INTERNAL_ERROR)

    async def _watch(self, receive: Receive, send: Send, pump: anyio.CancelScope) -> None:
        """Wait for the reader to leave, then close the upstream and cancel `pump`; meanwhile send a
        keep-alive comment whenever the stream has been quiet for `keepalive` seconds."""
        try:
            while True:
                quiet = self._last_sent + self._keepalive - time.monotonic()
                if quiet <= 0:
                    await send({"type": "http.response.body", "body": KEEPALIVE, "more_body": True})
                    self._last_sent = time.monotonic()
                    continue
                with anyio.move_on_after(quiet):
                    if (await receive())["type"] == "http.disconnect":
                        break
        except Exception:
            # A bug here costs the keep-alives and the early close, not the answer: it goes on to its end.
            log.exception("watching a /chat stream failed")
            return
        self._disconnected = True
        self.hang_up()
        pump.cancel()

    def hang_up(self) -> None:
        """The reader has gone: close the upstream request now. The server may call this the moment it sees
        the connection drop, and the watcher calls it again when it wakes (a closer handed out in between is
        then called too), so each closer must be safe to call twice."""
        for close in self._on_disconnect:
            close()
