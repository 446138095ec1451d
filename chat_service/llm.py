"""The model API: the only user of the openai SDK.

One `ModelClient` (one `AsyncOpenAI`) lives as long as the app. `stream_completion()` yields the answer's
text deltas (in lists: those that one read of the upstream brought) and then one `Finish`; any failure
becomes an `UpstreamError` with a stable code and a message fit for a reader, while the details go to the
operator's log (with the API key redacted).

The SDK sends the request (`client.post(..., stream=True)`: auth, headers, status errors), and we read the
events from its response's bytes ourselves: this is the per-token hot path, where the SDK's line-by-line
SSE decoder and per-event objects cost more than the rest of the service together, and we need three
fields of each chunk. Transport errors are mapped to the SDK's exception types, as the SDK's own stream
would. The SDK's aiohttp transport (`DefaultAioHttpClient`) carries the requests: per token it costs about a
third less CPU than the default httpx2 one (aiohttp parses HTTP in C and times reads without a cancel scope
each); it reports a refused or dropped connection as a connect timeout, which `_timed_out` sees through.
Retries are off: replaying a streamed request would pay twice for the same answer and delay the reader.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass

import aiohttp
import anyio

# The SDK's own HTTP client (openai 3.x requires httpx2). The SDK maps its transport errors to
# openai.APIConnectionError / APITimeoutError only inside its private stream code, and we read the
# response bytes ourselves (see above), so catching them takes these types: httpx2 is a direct dependency.
import httpx2
import openai
import orjson
from openai import AsyncOpenAI, AsyncStream, DefaultAioHttpClient, Timeout

from chat_service.config import Secret, Settings
from chat_service.errors import UpstreamError

log = logging.getLogger("chat_service.llm")

OPENAI_URL = "https://api.openai.com/v1"
# Local servers (Ollama, vLLM, llama.cpp) need no key, but the SDK requires one to build a request.
NO_KEY = "no-key-configured"
_USAGE_FIELDS = ("prompt_tokens", "completion_tokens", "total_tokens")
DRAIN_SECONDS = 1.0  # after [DONE], how long to wait for the body to end, so the connection can be reused


@dataclass(frozen=True, slots=True)
class Finish:
    finish_reason: str | None
    usage: dict[str, int] | None


class _BadChunk(ValueError):
    """A chunk that is valid JSON but not shaped like a chat completion chunk."""


class _Truncated(ValueError):
    """The body ended cleanly but without `[DONE]` or a finish_reason: the answer is incomplete."""


def _read_chunk(chunk: object) -> tuple[str | None, str | None, object]:
    if not isinstance(chunk, dict):
        raise _BadChunk("chunk is not a JSON object")
    content = finish_reason = None
    choices = chunk.get("choices")
    if choices:
        choice = choices[0] if isinstance(choices, list) else None
        delta = choice.get("delta") if isinstance(choice, dict) else None
        if not isinstance(choice, dict) or not isinstance(delta, dict | None):
            raise _BadChunk("chunk has no choices[0].delta object")
        content = (delta or {}).get("content")
        finish_reason = choice.get("finish_reason")
        if not isinstance(content, str | None) or not isinstance(finish_reason, str | None):
            raise _BadChunk("chunk has a non-string content or finish_reason")
    return content, finish_reason, chunk.get("usage")


def _event_data(event: bytes) -> bytes | None:
    """The data of one server-sent event (its `data:` lines joined), or None for a comment or no data."""
    if event.startswith(b"data: ") and b"\n" not in event:
        return event[6:]  # the usual shape: one data line
    lines = [line[5:] for line in event.split(b"\n") if line.startswith(b"data:")]
    return b"\n".join(line[1:] if line.startswith(b" ") else line for line in lines) if lines else None


async def sse_data(chunks: AsyncIterator[bytes]) -> AsyncIterator[list[bytes]]:
    """The data of the server-sent events in a byte stream, a list per read (the events that read completed);
    comments, `event:` and `id:` fields skipped. A read that completes no event yields nothing."""
    buffer = b""
    async for chunk in chunks:
        buffer += chunk
        if b"\r" in buffer:
            # CRLF and CR end lines too; a CR at the very end may be half of a CRLF split across reads.
            held = buffer.endswith(b"\r")
            buffer = buffer[:-1] if held else buffer
            buffer = buffer.replace(b"\r\n", b"\n").replace(b"\r", b"\n") + (b"\r" if held else b"")
        *events, buffer = buffer.split(b"\n\n")
        batch = [data for data in map(_event_data, events) if data is not None]
        if batch:
            yield batch


def _aiohttp_response(response: httpx2.Response) -> aiohttp.ClientResponse | None:
    """The aiohttp response under the SDK's aiohttp transport (private attributes: a test pins them)."""
    found = getattr(getattr(getattr(response, "stream", None), "_stream", None), "_aiohttp_response", None)
    return found if isinstance(found, aiohttp.ClientResponse) else None


def body_chunks(response: httpx2.Response, read_timeout: float) -> AsyncIterator[bytes]:
    """The response body's bytes as they arrive: straight from aiohttp's reader when the SDK's aiohttp
    transport carries the response, so that a `_SilenceWatch` can time out a silence of `read_timeout`
    seconds; else through httpx2, whose own read timeout applies."""
    found = _aiohttp_response(response)
    return _read_watched(found, read_timeout) if found is not None else response.aiter_bytes()


class _SilenceWatch:
    """Ends a body read with aiohttp's read timeout once it has been silent for `limit` seconds.

    aiohttp cancels and sets its read timer again on every chunk: two timer operations per relayed token
    (3% of its CPU in an A/B run). This watch looks every limit/4 s at a flag each chunk sets, so it notices
    a silence after between `limit` and 1.25 x `limit` seconds.
    """

    STEPS = 4

    def __init__(self, reader: aiohttp.StreamReader, limit: float) -> None:
        self.heard = False
        self._reader = reader
        self._quiet = 0
        self._step = limit / self.STEPS
        self._loop = asyncio.get_running_loop()
        self._timer = self._loop.call_later(self._step, self._look)

    def _look(self) -> None:
        self._quiet = 0 if self.heard else self._quiet + 1
        self.heard = False
        if self._quiet < self.STEPS:
            self._timer = self._loop.call_later(self._step, self._look)
        else:
            self._reader.set_exception(aiohttp.SocketTimeoutError("Timeout on reading data from socket"))

    def stop(self) -> None:
        self._timer.cancel()


async def _read_watched(response: aiohttp.ClientResponse, limit: float) -> AsyncIterator[bytes]:
    reader = response.content
    if response.connection is not None:
        # From the first chunk of the body on, the silence is timed here; until then, by aiohttp.
        response.connection.protocol.read_timeout = None  # type: ignore[union-attr]
    watch = _SilenceWatch(reader, limit)
    try:
        while chunk := await reader.readany():
            watch.heard = True
            yield chunk
    finally:
        watch.stop()


def _loads(data: bytes) -> object:
    # orjson: a sixth of json's time per chunk. It refuses lone surrogates, which json reads (and a model
    # may send): those chunks, and malformed ones, are parsed again by json.
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


def _parse_chunk(data: bytes, request: httpx2.Request) -> tuple[str | None, str | None, object]:
    """One event's (content, finish_reason, usage); an `{"error": ...}` event raises the SDK's APIError."""
    chunk = _loads(data)
    if isinstance(chunk, dict) and chunk.get("error"):
        raise _stream_error(chunk, request)
    return _read_chunk(chunk)


def _stream_error(chunk: dict[str, object], request: httpx2.Request) -> openai.APIError:
    """An `{"error": ...}` event, as the SDK's own stream reports it."""
    error = chunk["error"]
    message = error.get("message") if isinstance(error, dict) else None
    if not isinstance(message, str) or not message:
        message = "An error occurred during streaming"
    return openai.APIError(message=message, request=request, body=error)


def _transport_error(error: Exception, request: httpx2.Request) -> openai.OpenAIError:
    """A failure while reading the body, mapped as the SDK maps it (its cause kept, for _timeout_error)."""
    mapped: openai.OpenAIError
    if isinstance(error, httpx2.TimeoutException | TimeoutError):  # aiohttp's read timeout is a TimeoutError
        mapped = openai.APITimeoutError(request=request)
    else:
        mapped = openai.APIConnectionError(request=request)
    mapped.__cause__ = error
    return mapped


def _usage(raw: object) -> dict[str, int] | None:
    if not isinstance(raw, Mapping):
        return None
    usage = {name: raw[name] for name in _USAGE_FIELDS if isinstance(raw.get(name), int)}
    return usage or None


def _timed_out(error: BaseException) -> bool:
    """False for a "timeout" whose root cause is a refused or dropped connection.

    The SDK's aiohttp transport maps every aiohttp connection error to httpx2.ConnectTimeout; its real
    timeouts are TimeoutErrors.
    """
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, aiohttp.ClientError) and not isinstance(cause, TimeoutError):
            return False
        cause = cause.__cause__
    return True


def _timeout_error(error: openai.APITimeoutError) -> UpstreamError:
    if type(error.__cause__).__name__ in ("ConnectTimeout", "PoolTimeout"):
        return UpstreamError(
            "upstream_timeout", "The AI service could not be reached in time. Please try again."
        )
    return UpstreamError("upstream_timeout", "The AI service stopped answering. Please try again.")


def classify_error(error: BaseException) -> UpstreamError:
    """Map an SDK (or chunk-reading) exception to a stable code and a message fit for a reader."""
    if isinstance(error, _Truncated):
        return UpstreamError(
            "upstream_bad_response", "The AI service's answer was cut off before the end. Please try again."
        )
    if isinstance(error, openai.APITimeoutError) and _timed_out(error):
        return _timeout_error(error)
    if isinstance(error, openai.APIConnectionError):
        return UpstreamError("upstream_unavailable", "The AI service could not be reached. Please try again.")
    if isinstance(error, openai.RateLimitError):
        return UpstreamError("upstream_rate_limited", "The AI service is busy. Please try again in a minute.")
    if isinstance(error, openai.AuthenticationError | openai.PermissionDeniedError):
        return UpstreamError("upstream_auth", "The AI service refused this site's credentials.")
    if isinstance(error, openai.APIStatusError) and error.status_code >= 500:
        return UpstreamError("upstream_unavailable", "The AI service had an error. Please try again.")
    if isinstance(error, openai.APIStatusError):
        return UpstreamError("upstream_rejected", "The AI service rejected the request.")
    if isinstance(error, openai.APIError):
        return UpstreamError("upstream_error", "The AI service failed while answering. Please try again.")
    return UpstreamError("upstream_bad_response", "The AI service sent a reply that cannot be read.")


def redact(text: str, secret: Secret | None) -> str:
    """Remove the API key from a text bound for a log line."""
    if secret is None or not secret.reveal():
        return text
    return text.replace(secret.reveal(), "[redacted]")


async def _drain(events: AsyncIterator[bytes]) -> None:
    """Read what follows [DONE] (normally nothing) so that the connection goes back to the pool."""
    with anyio.move_on_after(DRAIN_SECONDS):
        try:
            async for _ in events:
                pass
        except (httpx2.RequestError, aiohttp.ClientError, ssl.SSLError, anyio.EndOfStream):
            pass  # the answer is complete: a broken ending only costs the connection


class ModelClient:
    """One AsyncOpenAI client with explicit timeouts; close it with `aclose()`."""

    def __init__(self, settings: Settings) -> None:
        self._secret = settings.api_key
        self._model = settings.model
        self._max_tokens = settings.max_answer_tokens
        self._read_timeout = settings.read_timeout
        connect = settings.connect_timeout
        # read = the longest silence allowed: before the first byte, then between two chunks.
        timeout = Timeout(connect=connect, read=settings.read_timeout, write=connect, pool=connect)
        self._client = AsyncOpenAI(
            api_key=settings.api_key.reveal() if settings.api_key else NO_KEY,
            base_url=settings.base_url or OPENAI_URL,
            max_retries=0,
            timeout=timeout,
            # The transport's default pool holds 100 connections: the 101st answer at once would wait for one.
            http_client=DefaultAioHttpClient(
                timeout=timeout, limits=httpx2.Limits(max_connections=settings.upstream_connections)
            ),
        )

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.close()

    async def stream_completion(
        self, messages: list[dict[str, str]], on_open: Callable[[Callable[[], None]], None] | None = None
    ) -> AsyncIterator[list[str] | Finish]:
        """Yield text deltas (a list of those that arrived together), then one Finish; raise UpstreamError on
        any upstream failure.

        Closing this generator early (the reader left) closes the upstream response. So does the function
        handed to `on_open` once the response has started: at once, without a task switch, for a caller
        that learns of a hang-up before the cancellation reaches this generator.
        """
        body = {
            "model": self._model,
            "messages": messages,
            "stream": True,
            "max_tokens": self._max_tokens,
            "stream_options": {"include_usage": True},
        }
        try:
            stream = await self._client.post(
                "/chat/completions", body=body, cast_to=object, stream=True, stream_cls=AsyncStream[object]
            )
        except (openai.OpenAIError, ValueError) as error:
            raise self._fail(error) from error
        response = stream.response
        found = _aiohttp_response(response)
        if on_open is not None and found is not None:
            on_open(found.close)
        del body, messages, stream, found  # the prompt is sent: don't hold it for the whole answer
        try:
            async for item in self._read(response):
                yield item
        finally:
            # Shielded: when the reader's task is cancelled, closing must still reach the socket.
            with anyio.CancelScope(shield=True):
                await response.aclose()

    async def _read(self, response: httpx2.Response) -> AsyncIterator[list[str] | Finish]:
        finish_reason: str | None = None
        usage: object = None
        done = False
        events = sse_data(body_chunks(response, self._read_timeout))
        try:
            async for batch in events:
                # The deltas that arrived together go on together (one write to the reader); a fault after
                # some of them still lets those through first.
                deltas: list[str] = []
                failure: Exception | None = None
                for data in batch:
                    if data.startswith(b"[DONE]"):
                        done = True
                        break
                    try:
                        content, reason, chunk_usage = _parse_chunk(data, response.request)
                    except (openai.OpenAIError, ValueError) as error:
                        failure = error
                        break
                    if content:
                        deltas.append(content)
                    finish_reason = reason or finish_reason
                    usage = chunk_usage or usage
                if deltas:
                    yield deltas
                if failure is not None:
                    raise failure
                if done:
                    await _drain(events)
                    break
        except (httpx2.RequestError, aiohttp.ClientError, ssl.SSLError, anyio.EndOfStream) as error:
            raise self._fail(_transport_error(error, response.request)) from error
        except (openai.OpenAIError, ValueError) as error:
            raise self._fail(error) from error
        if not done and finish_reason is None:
            # Either marker proves the answer is whole; without both, a cut-off answer would look complete.
            raise self._fail(_Truncated("the response ended without [DONE] and without a finish_reason"))
        yield Finish(finish_reason, _usage(usage))

    def _fail(self, error: BaseException) -> UpstreamError:
        mapped = classify_error(error)
        status = getattr(error, "status_code", None)
        level = logging.ERROR if mapped.code == "upstream_auth" else logging.WARNING
        hint = " (check OPENAI_API_KEY and OPENAI_BASE_URL)" if mapped.code == "upstream_auth" else ""
        log.log(
            level,
            "model API failed: code=%s status=%s error=%s: %s%s",
            mapped.code,
            status,
            type(error).__name__,
            redact(str(error), self._secret),
            hint,
        )
        return mapped
