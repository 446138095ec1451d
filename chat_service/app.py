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

from chat_service import limits
from chat_service.config import Settings
from chat_service.errors import ExportError, RequestRejected
from chat_service.export import Export, ExportStore
from chat_service.llm import Finish, ModelClient
from chat_service.prompts import build_messages, offline_answer
from chat_service.retrieval import ArticleIndex, Context, index_article, select_context
from chat_service.schemas import ChatRequest, parse_chat_request
from chat_service.streams import Event, EventStream, StreamRegistry

log = logging.getLogger("chat_service")


class ChatState:
    """Everything a request needs, created once per app."""

    def __init__(self, settings: Settings, clock: Callable[[], float]) -> None:
        self.settings = settings
        self.store: ExportStore[ArticleIndex] = ExportStore(
            settings.index_path,
            prepare=index_article,
            check_interval=settings.index_check_seconds,
            clock=clock,
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
    # Passed on, not kept: the prompt (the article's text) need not live as long as the answer.
    upstream_events = state.model.stream_completion(
        build_messages(context, request.messages, export.site_title)
    )
    async with aclosing(upstream_events) as upstream:
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


async def chat(request: Request) -> Response | EventStream:
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
    article = state.store.get(chat_request.article)
    if article is None:
        raise RequestRejected(404, "unknown_article", f"There is no article {chat_request.article[:100]!r}.")
    questions = [message.content for message in reversed(chat_request.messages) if message.role == "user"]
    context = select_context(article, questions, settings.context_tokens, quote=chat_request.quote)
    events = answer_events(state, export, context, chat_request)
    return EventStream(events, registry=state.streams, keepalive=settings.keepalive_seconds)


def export_health(store: ExportStore[ArticleIndex]) -> dict[str, object]:
    """The export part of /healthz; `stale` when the last reload failed and an older export still serves."""
    error = store.reload_error
    return {
        "loaded": store.export is not None,
        "path": str(store.path),
        "articles": len(store.export.articles),
        "stale": error is not None,
        "error": error.message if error is not None else None,
    }


async def healthz(request: Request) -> Response:
    """GET /healthz: the export's state and which backend answers."""
    state: ChatState = request.app.state.chat
    await state.current_export()
    draining = state.streams.draining
    body = {
        "status": "draining" if draining else "ok",
        "backend": state.settings.backend,
        "model": state.settings.model if state.settings.backend == "openai" else None,
        "export": export_health(state.store),
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
