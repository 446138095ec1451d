"""The model API: the only user of the openai SDK.

One `ModelClient` (one `AsyncOpenAI`) lives as long as the app. `stream_completion()` yields the answer's
text deltas and then one `Finish`; any failure becomes an `UpstreamError` with a stable code and a message
fit for a reader, while the details go to the operator's log (with the API key redacted).

Chunks are read as plain dicts (`cast_to=object` through the SDK's documented `client.post()`), not as
pydantic models: this is the per-token hot path, and we need three fields of each chunk. Retries are off:
replaying a streamed request would pay twice for the same answer and delay the reader.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

import anyio
import openai
from openai import AsyncOpenAI, AsyncStream, Timeout

from chat_service.config import Secret, Settings
from chat_service.errors import UpstreamError

log = logging.getLogger("chat_service.llm")

OPENAI_URL = "https://api.openai.com/v1"
# Local servers (Ollama, vLLM, llama.cpp) need no key, but the SDK requires one to build a request.
NO_KEY = "no-key-configured"
_USAGE_FIELDS = ("prompt_tokens", "completion_tokens", "total_tokens")


@dataclass(frozen=True, slots=True)
class Finish:
    finish_reason: str | None
    usage: dict[str, int] | None


class _BadChunk(ValueError):
    """A chunk that is valid JSON but not shaped like a chat completion chunk."""


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


def _usage(raw: object) -> dict[str, int] | None:
    if not isinstance(raw, Mapping):
        return None
    usage = {name: raw[name] for name in _USAGE_FIELDS if isinstance(raw.get(name), int)}
    return usage or None


def _timeout_error(error: openai.APITimeoutError) -> UpstreamError:
    if type(error.__cause__).__name__ in ("ConnectTimeout", "PoolTimeout"):
        return UpstreamError(
            "upstream_timeout", "The AI service could not be reached in time. Please try again."
        )
    return UpstreamError("upstream_timeout", "The AI service stopped answering. Please try again.")


def classify_error(error: BaseException) -> UpstreamError:
    """Map an SDK (or chunk-reading) exception to a stable code and a message fit for a reader."""
    if isinstance(error, openai.APITimeoutError):
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


class ModelClient:
    """One AsyncOpenAI client with explicit timeouts; close it with `aclose()`."""

    def __init__(self, settings: Settings) -> None:
        self._secret = settings.api_key
        self._model = settings.model
        self._max_tokens = settings.max_answer_tokens
        connect = settings.connect_timeout
        self._client = AsyncOpenAI(
            api_key=settings.api_key.reveal() if settings.api_key else NO_KEY,
            base_url=settings.base_url or OPENAI_URL,
            max_retries=0,
            # read = the longest silence allowed: before the first byte, then between two chunks.
            timeout=Timeout(connect=connect, read=settings.read_timeout, write=connect, pool=connect),
        )

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.close()

    async def stream_completion(self, messages: list[dict[str, str]]) -> AsyncIterator[str | Finish]:
        """Yield text deltas, then one Finish; raise UpstreamError on any upstream failure.

        Closing this generator early (the reader left) closes the upstream response at once.
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
        try:
            async for item in self._read(stream):
                yield item
        finally:
            # Shielded: when the reader's task is cancelled, closing must still reach the socket.
            with anyio.CancelScope(shield=True):
                await stream.close()

    async def _read(self, stream: AsyncStream[object]) -> AsyncIterator[str | Finish]:
        finish_reason: str | None = None
        usage: object = None
        try:
            async for chunk in stream:
                content, reason, chunk_usage = _read_chunk(chunk)
                if content:
                    yield content
                finish_reason = reason or finish_reason
                usage = chunk_usage or usage
        except (openai.OpenAIError, ValueError) as error:
            raise self._fail(error) from error
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
