"""The HTTP service, the only Starlette user: `create_app(settings)`, POST /chat and GET /healthz.

Every check (rate, media type, size, JSON, conversation, article) runs before the stream starts and fails
with a JSON error body `{"error": {"code", "message"}}`. Once the stream has started, every failure is an
`error` event, and every stream ends with exactly one `done` or `error` event.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing, asynccontextmanager

import anyio
import anyio.abc
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chat_service import limits
from chat_service.config import Settings
from chat_service.elsewhere import FOLDER, SiteIndex, rank_elsewhere
from chat_service.errors import ExportError, RequestRejected
from chat_service.export import ExportStore, Manifest
from chat_service.llm import Finish, ModelClient
from chat_service.openapi import openapi_document
from chat_service.prompts import build_messages, offline_answer
from chat_service.question_log import QuestionLog
from chat_service.retrieval import ArticleIndex, Context, index_article, select_context
from chat_service.schemas import ChatRequest, parse_chat_request
from chat_service.shared_limits import RedisRateLimiter
from chat_service.sources import export_source
from chat_service.streams import Event, EventStream, KeepRawSend, StreamRegistry

log = logging.getLogger("chat_service")
ELSEWHERE_SECONDS = 3.0  # the longest an uncovered question waits for other articles to offer


class ChatState:
    """Everything a request needs, created once per app."""

    def __init__(self, settings: Settings, clock: Callable[[], float]) -> None:
        self.settings = settings
        source = export_source(
            settings.index, timeout=settings.index_timeout, max_bytes=settings.index_max_bytes
        )
        self.store: ExportStore[ArticleIndex] = ExportStore(
            source,
            prepare=index_article,
            check_interval=settings.index_check_seconds,
            cache_size=settings.cache_articles,
            clock=clock,
        )
        self.limiter = limits.RateLimiter(
            per_minute=settings.rate_per_minute, burst=settings.rate_burst, clock=clock
        )
        self.shared_limiter = (
            RedisRateLimiter(
                settings.redis_url.reveal(),
                per_minute=settings.rate_per_minute,
                burst=settings.rate_burst,
                clock=clock,
            )
            if settings.redis_url is not None
            else None
        )
        self.streams = StreamRegistry()
        self.model: ModelClient | None = None
        self.tasks: anyio.abc.TaskGroup | None = None
        self.question_log = QuestionLog(settings.question_log) if settings.question_log else None
        # The site-wide index (for `elsewhere`), read from where the export is; set once the manifest is.
        self.site_index: SiteIndex | None = None

    async def current_export(self) -> Manifest:
        """The manifest, looked at again first when the check interval has passed."""
        if self.store.due():
            if self.store.source.remote and self.tasks is not None:
                self.tasks.start_soon(self._refresh_quietly)  # a slow host must not hold up this request
            elif await self.store.refresh():
                self.use_site_index()
        return self.store.manifest

    def use_site_index(self) -> None:
        """Read the site-wide index (for `elsewhere`) afresh: the manifest is new, so may the index be."""
        language = self.store.manifest.language
        if not self.store.source.remote:
            # A new one rather than emptying the old: a question may be reading the old one in a thread.
            self.site_index = SiteIndex(self.settings.index_path, language)
            return
        # From the static host, fetched with the export's own client from the index's worker thread; the
        # articles' digests name this version of the index, so no cache between here and the host serves an old one.
        version = hashlib.sha1(
            "".join(entry.digest for entry in self.store.manifest.entries.values()).encode(),
            usedforsecurity=False,
        ).hexdigest()
        self.site_index = SiteIndex(
            self.store.source.location, language, read=functools.partial(self._fetch_index_file, version)
        )

    def _fetch_index_file(self, version: str, name: str) -> bytes:
        try:
            return anyio.from_thread.run(self.store.source.article, f"{FOLDER}/{name}", version)
        except ExportError as error:
            raise OSError(error.message) from None

    async def elsewhere(self, question: str, current: str) -> list[dict[str, str]]:
        """Sections of other articles that cover a question the current one does not; [] when none can be
        found in time (a slow static host, an index being rewritten): the answer must not wait on them."""
        if self.site_index is None:
            return []
        try:
            with anyio.fail_after(ELSEWHERE_SECONDS):
                return await self._elsewhere(self.site_index, question, current)
        except TimeoutError:
            log.warning(
                "no other articles offered: the site-wide index did not answer in %s s", ELSEWHERE_SECONDS
            )
        except Exception:
            log.exception("no other articles offered: reading the site-wide index failed")
        return []

    async def _elsewhere(self, site: SiteIndex, question: str, current: str) -> list[dict[str, str]]:
        slugs = site.candidates_in_memory(question, current)
        if slugs is None:  # shards to read from disk or the host: off the event loop
            slugs = await anyio.to_thread.run_sync(site.candidates, question, current, abandon_on_cancel=True)
        candidates: dict[str, ArticleIndex | None] = {}
        for slug in slugs:
            try:
                candidates[slug] = await self.store.get(slug)
            except ExportError:
                candidates[slug] = None
        return rank_elsewhere(candidates, question)

    async def _refresh_quietly(self) -> None:
        # In the lifespan's task group, where an exception would stop the service: a bug here is logged.
        try:
            if await self.store.refresh():
                self.use_site_index()
        except Exception:
            log.exception("checking the chat export for changes failed")

    async def check_rate(self, client: str) -> None:
        """Count one request of `client` (in Redis when CHAT_REDIS_URL is set); 429 when it must wait."""
        if self.shared_limiter is not None:
            await self.shared_limiter.check(client)
        else:
            self.limiter.check(client)

    def rate_health(self) -> dict[str, object]:
        """The rate limit part of /healthz: shared (in Redis) or per process, and whether it works."""
        if self.shared_limiter is not None:
            return self.shared_limiter.health()
        return {"shared": False, "ok": True, "error": None}

    async def article(self, slug: str) -> ArticleIndex:
        """The prepared article for a question, or the 404 / 503 that says why there is none."""
        try:
            article = await self.store.get(slug)
        except ExportError as error:
            raise RequestRejected(
                503, "article_unavailable", f"The article {slug[:100]!r} cannot be used now: {error.message}"
            ) from None
        if article is None:
            raise RequestRejected(404, "unknown_article", f"There is no article {slug[:100]!r}.")
        return article


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
    state: ChatState,
    export: Manifest,
    context: Context,
    request: ChatRequest,
    elsewhere: list[dict[str, str]] | None = None,
    closers: list[Callable[[], None]] | None = None,
) -> AsyncIterator[Event]:
    """The events of one answer: meta, tokens, done (errors are raised, and framed by EventStream); the
    upstream request's closer goes into `closers` once it has started."""
    settings = state.settings
    sources = [source_of(context, index) for index in range(len(context.sources))]
    model = settings.model if state.model is not None else None
    meta: dict[str, object] = {
        "sources": sources,
        "backend": settings.backend,
        "model": model,
        "covered": context.covered,
    }
    if not context.covered:
        meta["elsewhere"] = elsewhere or []
    yield "meta", meta
    if state.model is None:
        for piece in offline_answer(context, request.question):
            yield "token", piece
        yield "done", {"finish_reason": "stop", "usage": None}
        return
    # Passed on, not kept: the prompt (the article's text) need not live as long as the answer.
    upstream_events = state.model.stream_completion(
        build_messages(context, request.messages, export.site_title),
        on_open=None if closers is None else closers.append,
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
    await state.check_rate(request.client.host if request.client else "unknown")
    _check_media_type(request.headers.get("content-type"))
    chat_request = parse_chat_request(await _read_body(request, settings.max_body_bytes))
    contents = [message.content for message in chat_request.messages]
    limits.check_messages(contents, max_messages=settings.max_messages, max_chars=settings.max_message_chars)
    export = await state.current_export()
    article = await state.article(chat_request.article)
    questions = [message.content for message in reversed(chat_request.messages) if message.role == "user"]
    context = select_context(article, questions, settings.context_tokens, quote=chat_request.quote)
    elsewhere = None
    if not context.covered:
        if state.question_log is not None:
            await log_question(state.question_log, chat_request.article, chat_request.question)
        elsewhere = await state.elsewhere(chat_request.question, chat_request.article)
    closers: list[Callable[[], None]] = []  # the upstream's, for a reader who hangs up
    events = answer_events(state, export, context, chat_request, elsewhere, closers)
    return EventStream(
        events, registry=state.streams, keepalive=settings.keepalive_seconds, on_disconnect=closers
    )


async def log_question(question_log: QuestionLog, article: str, question: str) -> None:
    """Append an uncovered question to the log in a worker thread; a failure is logged, never the reader's."""
    try:
        await anyio.to_thread.run_sync(question_log.append, article, question)
    except OSError as error:
        log.error("could not append to the question log %s: %s", question_log.path, error.strerror)


async def healthz(request: Request) -> Response:
    """GET /healthz: the export's state and which backend answers."""
    state: ChatState = request.app.state.chat
    await state.current_export()
    draining = state.streams.draining
    body = {
        "status": "draining" if draining else "ok",
        "backend": state.settings.backend,
        "model": state.settings.model if state.settings.backend == "openai" else None,
        "worker": os.getpid(),  # which process answered, when several serve one port
        "export": state.store.health(),
        "rate_limit": state.rate_health(),
    }
    return JSONResponse(body, status_code=503 if draining else 200)


async def openapi_json(request: Request) -> Response:
    """GET /openapi.json: this service's contract, with its limits."""
    state: ChatState = request.app.state.chat
    return JSONResponse(openapi_document(state.settings))


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
    """Build the service; its start-up fails (ExportError) when the chat export's manifest cannot be read."""
    state = ChatState(settings, clock)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with anyio.create_task_group() as tasks:
            try:
                if state.shared_limiter is not None:
                    await state.shared_limiter.ping()
                manifest = await state.store.load()
                state.use_site_index()
                state.tasks = tasks
                state.model = ModelClient(settings) if settings.backend == "openai" else None
                log.info(
                    "chat service ready: backend=%s articles=%d", settings.backend, len(manifest.entries)
                )
                yield
            finally:
                await state.streams.drain(0)
                if state.model is not None:
                    await state.model.aclose()
                await state.store.source.aclose()
                if state.shared_limiter is not None:
                    await state.shared_limiter.aclose()
                tasks.cancel_scope.cancel()  # last: what follows it in this scope would be cancelled too

    cors = Middleware(
        CORSMiddleware,
        allow_origins=settings.allowed_origins,
        allow_methods=["POST"],
        allow_headers=["content-type"],
        expose_headers=["retry-after"],
        max_age=600,
    )
    app = Starlette(
        routes=[
            Route("/chat", chat, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/openapi.json", openapi_json, methods=["GET"]),
        ],
        middleware=[Middleware(KeepRawSend), cors],
        exception_handlers={
            RequestRejected: _rejected,
            HTTPException: _http_error,
            Exception: _internal_error,
        },
        lifespan=lifespan,
    )
    app.state.chat = state
    return app
