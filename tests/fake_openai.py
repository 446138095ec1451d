"""A fake OpenAI-compatible server for tests (docs/contracts.md): a Starlette app on a real socket.

    from tests.fake_openai import create_app
    from tests.servers import serve

    with serve(create_app()) as fake:              # e.g. "http://127.0.0.1:54321"
        httpx.post(fake + "/_control", json={"mode": "ok", "text": "Hello there.", "delay": 0.05})
        ... point OPENAI_BASE_URL at fake + "/v1" ...
        httpx.get(fake + "/_stats").json()       # {"open_streams": 0, "requests": 1, "last_request": {...}}

`POST /v1/chat/completions` answers with `stream: true` in the real wire format (`data: {chunk}\\n\\n` ...
`data: [DONE]\\n\\n`; a usage chunk when `stream_options.include_usage` is set) and without it as one JSON
completion. `POST /_control` sets the behaviour for the following requests; each call sets all three
fields, a missing field takes its default:

    mode   "ok" (default) | "auth" | "rate_limit" | "server_error" | "stall_headers" | "stall_mid"
           | "drop_mid" | "malformed" | "error_mid" | "truncated"
    text   the answer, streamed a word at a time (default "The article says so.")
    delay  seconds before each token: "slow tokens" (default 0)

Faults: `auth` 401 whose error message echoes the request's bearer token, as OpenAI's "Incorrect API key
provided: ..." does (so a test can see the key leak); `rate_limit` 429 with `Retry-After: 1`; `server_error` 500; `stall_headers` never sends a status
line; `stall_mid` sends two tokens, then nothing; `drop_mid` sends two tokens, then closes the connection
in the middle of the body; `malformed` sends a token, then a chunk that is not JSON; `error_mid` sends a
token, then an `{"error": ...}` event; `truncated` sends two tokens, then ends the body cleanly with no
finish_reason and no `[DONE]`. Stalls last until the client leaves (at most `STALL_SECONDS`).

`GET /_stats`: `open_streams` counts responses in progress (stalled ones included) and drops when the
client disconnects; `requests` counts completion requests; `last_request` is the last one's JSON body
plus its `authorization` header.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

MODES = (
    "ok",
    "auth",
    "rate_limit",
    "server_error",
    "stall_headers",
    "stall_mid",
    "drop_mid",
    "malformed",
    "error_mid",
    "truncated",
)
TOKENS_BEFORE_FAULT = {"stall_mid": 2, "drop_mid": 2, "malformed": 1, "error_mid": 1, "truncated": 2}
DEFAULT_TEXT = "The article says so."
STALL_SECONDS = 60.0  # bounded, so a test that forgets to disconnect still ends


@dataclass
class FakeState:
    mode: str = "ok"
    text: str = DEFAULT_TEXT
    delay: float = 0.0
    open_streams: int = 0
    requests: int = 0
    last_request: dict[str, object] = field(default_factory=dict)


def _words(text: str) -> list[str]:
    return re.findall(r"\s*\S+\s*", text) or [text]


def _chunk(model: str, delta: dict[str, str], finish_reason: str | None = None) -> bytes:
    body = {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }
    return b"data: " + json.dumps(body).encode() + b"\n\n"


def _usage_chunk(model: str, tokens: int) -> bytes:
    usage = {"prompt_tokens": 10, "completion_tokens": tokens, "total_tokens": 10 + tokens}
    body = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0, "model": model}
    return b"data: " + json.dumps({**body, "choices": [], "usage": usage}).encode() + b"\n\n"


class FaultyStream(Response):
    """An event stream that can stall, break or drop, and counts itself while open."""

    def __init__(self, state: FakeState, request: dict[str, object]) -> None:
        self.state, self.mode, self.request = state, state.mode, request
        self.model = str(request.get("model") or "fake-model")
        self.status_code = 200
        self.background = None
        self.init_headers({"content-type": "text/event-stream", "cache-control": "no-cache"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.state.open_streams += 1
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(self._watch_disconnect, receive, group.cancel_scope)
                with anyio.move_on_after(STALL_SECONDS):
                    await self._respond(send)
                group.cancel_scope.cancel()
        finally:
            self.state.open_streams -= 1

    async def _watch_disconnect(self, receive: Receive, scope: anyio.CancelScope) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        scope.cancel()

    async def _body(self, send: Send, data: bytes) -> None:
        await send({"type": "http.response.body", "body": data, "more_body": True})

    async def _respond(self, send: Send) -> None:
        if self.mode == "stall_headers":
            await anyio.sleep(STALL_SECONDS)
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        words = _words(self.state.text)
        limit = TOKENS_BEFORE_FAULT.get(self.mode, len(words))
        await self._body(send, _chunk(self.model, {"role": "assistant", "content": ""}))
        for word in words[:limit]:
            await anyio.sleep(self.state.delay)
            await self._body(send, _chunk(self.model, {"content": word}))
        if self.mode == "drop_mid":
            return  # the body never ends: uvicorn closes the connection mid-stream
        await self._fault_or_finish(send, len(words))
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _fault_or_finish(self, send: Send, tokens: int) -> None:
        if self.mode == "stall_mid":
            await anyio.sleep(STALL_SECONDS)
        elif self.mode == "malformed":
            await self._body(send, b'data: {"choices": [{"delta": {"content": "unterminated\n\n')
        elif self.mode == "error_mid":
            error = {"error": {"message": "The model crashed.", "type": "server_error", "code": None}}
            await self._body(send, b"data: " + json.dumps(error).encode() + b"\n\n")
        elif self.mode == "truncated":
            pass  # the body ends as if complete, but the answer never finished
        else:
            await self._body(send, _chunk(self.model, {}, "stop"))
            options = self.request.get("stream_options")
            if isinstance(options, dict) and options.get("include_usage"):
                await self._body(send, _usage_chunk(self.model, tokens))
            await self._body(send, b"data: [DONE]\n\n")


def _error(
    status: int, message: str, kind: str, headers: dict[str, str] | None = None, code: str | None = None
) -> JSONResponse:
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return JSONResponse(body, status_code=status, headers=headers)


def _completion(state: FakeState, model: str) -> JSONResponse:
    message = {"role": "assistant", "content": state.text}
    choice = {"index": 0, "message": message, "finish_reason": "stop"}
    return JSONResponse({"id": "chatcmpl-fake", "object": "chat.completion", "created": 0, "model": model,
                         "choices": [choice]})  # fmt: skip


def _completions(state: FakeState) -> Callable[[Request], object]:
    async def handle(request: Request) -> Response:
        body = await request.json()
        state.requests += 1
        state.last_request = {**body, "authorization": request.headers.get("authorization")}
        if state.mode == "auth":
            key = request.headers.get("authorization", "").removeprefix("Bearer ")
            return _error(
                401, f"Incorrect API key provided: {key}.", "invalid_request_error", code="invalid_api_key"
            )
        if state.mode == "rate_limit":
            return _error(429, "Rate limit reached, slow down.", "requests", {"Retry-After": "1"})
        if state.mode == "server_error":
            return _error(500, "The server had an error.", "server_error")
        if not body.get("stream"):
            return _completion(state, str(body.get("model")))
        return FaultyStream(state, body)

    return handle


def _control(state: FakeState) -> Callable[[Request], object]:
    async def handle(request: Request) -> Response:
        body = await request.json()
        mode = body.get("mode", "ok")
        if mode not in MODES:
            return JSONResponse(
                {"error": f"unknown mode {mode!r}; one of {', '.join(MODES)}"}, status_code=400
            )
        state.mode, state.text = mode, str(body.get("text", DEFAULT_TEXT))
        state.delay = float(body.get("delay", 0.0))
        return JSONResponse({"mode": state.mode, "text": state.text, "delay": state.delay})

    return handle


def _stats(state: FakeState) -> Callable[[Request], object]:
    async def handle(request: Request) -> Response:
        return JSONResponse(
            {
                "open_streams": state.open_streams,
                "requests": state.requests,
                "last_request": state.last_request,
            }
        )

    return handle


def create_app() -> Starlette:
    """A fresh fake server with its own state (mode "ok", no requests yet)."""
    state = FakeState()
    app = Starlette(
        routes=[
            Route("/v1/chat/completions", _completions(state), methods=["POST"]),
            Route("/_control", _control(state), methods=["POST"]),
            Route("/_stats", _stats(state), methods=["GET"]),
        ]
    )
    app.state.fake = state
    return app


app = create_app()  # for `uvicorn tests.fake_openai:app`
