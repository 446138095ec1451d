"""The HTTP service, the only Starlette user: `create_app(settings)`, POST /chat and GET /healthz.

Every check (rate, media type, size, JSON, conversation, article) runs before the stream starts and fails
with a JSON error body `{"error": {"code", "message"}}`. Once the stream has started, every failure is an
`error` event, and every stream ends with exactly one `done` or `error` event.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing, asynccontextmanager

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from chat_service import limits
from chat_service.config import Settings
from chat_service.errors import ExportError, RequestRejected, UpstreamError
from chat_service.llm import Finish, ModelClient
from chat_service.prompts import build_messages, offline_answer
from chat_service.retrieval import Context, Export, ExportStore, select_context
from chat_service.schemas import ChatRequest, parse_chat_request
from chat_service.sse import KEEPALIVE, encode_event, encode_token

log = logging.getLogger("chat_service")

Event = tuple[str, object]
TERMINAL = frozenset({"done", "error"})
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


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


class ChatState:
    """Everything a request needs, created once per app."""

    def __init__(self, settings: Settings, clock: Callable[[], float]) -> None:
        self.settings = settings
        self.store = ExportStore(
            settings.index_path, check_interval=settings.index_check_seconds, clock=clock
        )
        self.limiter = limits.RateLimiter(
            per_minute=settings.rate_per_minute, burst=settings.rate_burst, clock=clock
        )
        self.streams = StreamRegistry()
        self.model: ModelClient | None = None
        self._reloading = False

    async def current_export(self) -> Export:
        """The export, reloaded first (in a worker thread) if the file changed."""
        if not self._reloading and self.store.changed():
            self._reloading = True
            try:
                export = await anyio.to_thread.run_sync(self.store.reload)
                log.info("reloaded the chat export: %d articles", len(export.articles))
            except ExportError as error:
                log.error("kept the previous chat export: %s", error)
            finally:
                self._reloading = False
        return self.store.export


class EventStream(Response):
    """A text/event-stream response of (event, data) pairs, with keep-alives and disconnect handling.

    A disconnect cancels the stream at once, which closes the event generator and, through it, the
    upstream request. Shutdown stops the stream with a final `error` event.
    """

    media_type = "text/event-stream"

    def __init__(self, events: AsyncIterator[Event], *, registry: StreamRegistry, keepalive: float) -> None:
        # Not Response.__init__: it would declare Content-Length: 0 for the missing body.
        self.status_code = 200
        self.background = None
        self.init_headers(SSE_HEADERS)
        self._events = events
        self._registry = registry
        self._keepalive = keepalive
        self._last_sent = time.monotonic()
        self._ended = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        handle = OpenStream()
        self._registry.open.add(handle)
        disconnected = False
        try:
            async with anyio.create_task_group() as group:

                async def watch_disconnect() -> None:
                    nonlocal disconnected
                    while (await receive())["type"] != "http.disconnect":
                        pass
                    disconnected = True
                    group.cancel_scope.cancel()

                group.start_soon(watch_disconnect)
                group.start_soon(self._send_keepalives, send)
                with anyio.CancelScope() as handle.scope:
                    await self._pump(send)
                if handle.stopped and not self._ended:
                    error = {
                        "code": "shutting_down",
                        "message": "The service is restarting. Please ask again.",
                    }
                    await self._send(send, "error", error)
                group.cancel_scope.cancel()
            if not disconnected:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            self._registry.open.discard(handle)

    async def _send(self, send: Send, event: str, data: object) -> None:
        chunk = encode_token(data) if event == "token" else encode_event(event, data)  # type: ignore[arg-type]
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
                await self._send(
                    send, "error", {"code": "internal_error", "message": "Something went wrong."}
                )

    async def _send_keepalives(self, send: Send) -> None:
        while True:
            wait = self._last_sent + self._keepalive - time.monotonic()
            if wait > 0:
                await anyio.sleep(wait)
                continue
            await send({"type": "http.response.body", "body": KEEPALIVE, "more_body": True})
            self._last_sent = time.monotonic()


def source_of(context: Context, index: int) -> dict[str, str]:
    """A source object of the `meta` event: title, heading, anchor, url."""
    section = context.sources[index]
    article = context.article
    return {
        "title": article.title,
        "heading": section.heading,
        "anchor": section.anchor,
        "url": article.url(section),
    }


async def answer_events(
    state: ChatState, export: Export, context: Context, request: ChatRequest
) -> AsyncIterator[Event]:
    """The events of one answer: meta, tokens, done (errors are raised, and framed by EventStream)."""
    settings = state.settings
    sources = [source_of(context, index) for index in range(len(context.sources))]
    model = settings.model if state.model is not None else None
    yield "meta", {"sources": sources, "backend": settings.backend, "model": model}
    if state.model is None:
        for piece in offline_answer(context, request.question):
            yield "token", piece
        yield "done", {"finish_reason": "stop", "usage": None}
        return
    messages = build_messages(context, request.messages, export.site_title)
    async with aclosing(state.model.stream_completion(messages)) as upstream:
        async for item in upstream:
            if isinstance(item, Finish):
                yield "done", {"finish_reason": item.finish_reason, "usage": item.usage}
            else:
                yield "token", item


def _check_media_type(content_type: str | None) -> None:
    if (content_type or "").split(";")[0].strip().lower() != "application/json":
        raise RequestRejected(
            415, "unsupported_media_type", "Send the question as Content-Type: application/json."
        )


async def _read_body(request: Request, max_bytes: int) -> bytes:
    limits.check_declared_length(request.headers.get("content-length"), max_bytes)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise limits.body_too_large(max_bytes)
    return bytes(body)


async def chat(request: Request) -> Response:
    """POST /chat: check the request, then stream the answer as server-sent events."""
    state: ChatState = request.app.state.chat
    settings = state.settings
    if state.streams.draining:
        raise RequestRejected(503, "shutting_down", "The service is restarting. Please ask again.")
    state.limiter.check(request.client.host if request.client else "unknown")
    _check_media_type(request.headers.get("content-type"))
    chat_request = parse_chat_request(await _read_body(request, settings.max_body_bytes))
    contents = [message.content for message in chat_request.messages]
    limits.check_messages(contents, max_messages=settings.max_messages, max_chars=settings.max_message_chars)
    export = await state.current_export()
    article = export.articles.get(chat_request.article)
    if article is None:
        raise RequestRejected(404, "unknown_article", f"There is no article {chat_request.article[:100]!r}.")
    questions = [message.content for message in reversed(chat_request.messages) if message.role == "user"]
    context = select_context(article, questions, settings.context_tokens)
    events = answer_events(state, export, context, chat_request)
    return EventStream(events, registry=state.streams, keepalive=settings.keepalive_seconds)


async def healthz(request: Request) -> Response:
    """GET /healthz: whether the export is loaded and which backend answers."""
    state: ChatState = request.app.state.chat
    export = await state.current_export()
    draining = state.streams.draining
    body = {
        "status": "draining" if draining else "ok",
        "backend": state.settings.backend,
        "model": state.settings.model if state.settings.backend == "openai" else None,
        "export": {"loaded": True, "articles": len(export.articles)},
    }
    return JSONResponse(body, status_code=503 if draining else 200)


def _error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


async def _rejected(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestRejected)
    return _error_response(error.status, error.code, error.message, error.headers)


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
    return _error_response(error.status_code, code, str(error.detail), dict(error.headers or {}))


async def _internal_error(request: Request, error: Exception) -> Response:
    return _error_response(500, "internal_error", "Something went wrong.")


async def drain_streams(app: Starlette) -> None:
    """End the open streams within the shutdown grace period; called by the server before it stops."""
    state: ChatState = app.state.chat
    await state.streams.drain(state.settings.shutdown_grace)


def create_app(settings: Settings, *, clock: Callable[[], float] = time.monotonic) -> Starlette:
    """Build the service; raises ExportError when the chat export cannot be loaded."""
    state = ChatState(settings, clock)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state.model = ModelClient(settings) if settings.backend == "openai" else None
        log.info(
            "chat service ready: backend=%s articles=%d", settings.backend, len(state.store.export.articles)
        )
        try:
            yield
        finally:
            await state.streams.drain(0)
            if state.model is not None:
                await state.model.aclose()

    cors = Middleware(
        CORSMiddleware,
        allow_origins=settings.allowed_origins,
        allow_methods=["POST"],
        allow_headers=["content-type"],
        expose_headers=["retry-after"],
        max_age=600,
    )
    app = Starlette(
        routes=[Route("/chat", chat, methods=["POST"]), Route("/healthz", healthz, methods=["GET"])],
        middleware=[cors],
        exception_handlers={
            RequestRejected: _rejected,
            HTTPException: _http_error,
            Exception: _internal_error,
        },
        lifespan=lifespan,
    )
    app.state.chat = state
    return app
