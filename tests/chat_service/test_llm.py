import json
import logging

import aiohttp
import anyio
import httpx2
import openai
import pytest

from chat_service.config import Secret
from chat_service.errors import UpstreamError
from chat_service.llm import Finish, _read_chunk, _Truncated, _usage, classify_error, redact, sse_data
from tests.chat_service.support import SECRET

REQUEST = httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions")


def status_error(cls: type[openai.APIStatusError], status: int) -> openai.APIStatusError:
    response = httpx2.Response(
        status, request=REQUEST, json={"error": {"message": f"Incorrect key {SECRET}"}}
    )
    return cls(f"Error code: {status} - Incorrect key {SECRET}", response=response, body=None)


def timeout(cause: Exception) -> openai.APITimeoutError:
    error = openai.APITimeoutError(request=REQUEST)
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (status_error(openai.RateLimitError, 429), "upstream_rate_limited"),
        (status_error(openai.AuthenticationError, 401), "upstream_auth"),
        (status_error(openai.PermissionDeniedError, 403), "upstream_auth"),
        (status_error(openai.InternalServerError, 500), "upstream_unavailable"),
        (status_error(openai.InternalServerError, 503), "upstream_unavailable"),
        (status_error(openai.NotFoundError, 404), "upstream_rejected"),
        (status_error(openai.BadRequestError, 400), "upstream_rejected"),
        (openai.APIConnectionError(request=REQUEST), "upstream_unavailable"),
        (timeout(httpx2.ReadTimeout("slow")), "upstream_timeout"),
        (timeout(httpx2.ConnectTimeout("slow")), "upstream_timeout"),
        (openai.APIError("The model crashed.", REQUEST, body=None), "upstream_error"),
        (json.JSONDecodeError("Expecting value", "{", 0), "upstream_bad_response"),
        (ValueError("chunk is not a JSON object"), "upstream_bad_response"),
        (_Truncated("no [DONE]"), "upstream_bad_response"),
    ],
)
def test_every_sdk_error_has_a_stable_code_and_a_safe_message(error, code):
    mapped = classify_error(error)
    assert mapped.code == code
    assert mapped.message.startswith("The AI service")
    assert SECRET not in mapped.message


def test_timeouts_say_which_wait_ran_out():
    assert "could not be reached" in classify_error(timeout(httpx2.ConnectTimeout("x"))).message
    assert "stopped answering" in classify_error(timeout(httpx2.ReadTimeout("x"))).message


def test_redact_removes_the_key():
    assert (
        redact(f"Incorrect API key provided: {SECRET}.", Secret(SECRET))
        == "Incorrect API key provided: [redacted]."
    )
    assert redact("no key here", None) == "no key here"


def test_failure_log_line_has_details_but_not_the_key(caplog):
    from chat_service.config import load_settings
    from chat_service.llm import ModelClient

    client = ModelClient(load_settings({"OPENAI_API_KEY": SECRET}))
    with caplog.at_level(logging.WARNING, logger="chat_service"):
        mapped = client._fail(status_error(openai.AuthenticationError, 401))
    assert mapped.code == "upstream_auth"
    assert "status=401" in caplog.text and "AuthenticationError" in caplog.text
    assert "check OPENAI_API_KEY" in caplog.text
    assert SECRET not in caplog.text


def test_reads_the_three_fields_of_a_chunk():
    chunk = {"choices": [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": None}]}
    assert _read_chunk(chunk) == ("Hi", None, None)
    assert _read_chunk({"choices": [{"delta": {}, "finish_reason": "stop"}]}) == (None, "stop", None)
    assert _read_chunk({"choices": [], "usage": {"total_tokens": 3}}) == (None, None, {"total_tokens": 3})


@pytest.mark.parametrize("chunk", [[], "x", {"choices": [3]}, {"choices": [{"delta": {"content": 5}}]}])
def test_rejects_chunks_of_the_wrong_shape(chunk):
    with pytest.raises(ValueError):
        _read_chunk(chunk)


def test_usage_keeps_only_token_counts():
    assert _usage({"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3, "x": {}}) == {
        "prompt_tokens": 1,
        "completion_tokens": 2,
        "total_tokens": 3,
    }
    assert _usage(None) is None


def aiohttp_timeout(cause: Exception) -> openai.APITimeoutError:
    """What the SDK's aiohttp transport raises: every aiohttp connection error as httpx2.ConnectTimeout."""
    mapped = httpx2.ConnectTimeout(str(cause))
    mapped.__cause__ = cause
    return timeout(mapped)


def test_a_dropped_connection_reported_as_a_timeout_is_unavailable():
    assert classify_error(aiohttp_timeout(aiohttp.ServerDisconnectedError())).code == "upstream_unavailable"
    assert classify_error(aiohttp_timeout(aiohttp.ServerTimeoutError("slow"))).code == "upstream_timeout"


async def _collect(items) -> list[object]:
    return [item async for item in items]


async def _reads(*chunks: bytes):
    for chunk in chunks:
        yield chunk


def _event(delta: dict[str, str], finish_reason: str | None = None) -> bytes:
    choice = {"index": 0, "delta": delta, "finish_reason": finish_reason}
    return b"data: " + json.dumps({"choices": [choice]}).encode() + b"\n\n"


def test_events_that_one_read_completes_come_together():
    reads = _reads(b"data: a\n\ndata: b\n\nda", b"ta: c\n\n", b": comment\n\n", b"data: d\r\n\r\n")
    assert anyio.run(_collect, sse_data(reads)) == [[b"a", b"b"], [b"c"], [b"d"]]


def read_answer(*chunks: bytes, seen: list[object] | None = None) -> list[object]:
    """What the model client yields (into `seen` as it goes) for an upstream body arriving in these reads."""
    from chat_service.config import load_settings
    from chat_service.llm import ModelClient

    client = ModelClient(load_settings({"OPENAI_API_KEY": SECRET}))
    response = httpx2.Response(200, content=_reads(*chunks), request=REQUEST)
    items = [] if seen is None else seen

    async def read() -> list[object]:
        async for item in client._read(response):
            items.append(item)
        return items

    return anyio.run(read)


def test_deltas_that_arrive_together_are_passed_on_together():
    items = read_answer(
        _event({"content": "One"}) + _event({"content": " two"}),
        _event({"content": " three"}) + _event({}, "stop") + b"data: [DONE]\n\n",
    )
    assert items == [["One", " two"], [" three"], Finish("stop", None)]


def test_deltas_before_an_error_event_in_the_same_read_still_arrive():
    error = b'data: {"error": {"message": "The model crashed."}}\n\n'
    seen: list[object] = []
    with pytest.raises(UpstreamError) as raised:
        read_answer(_event({"content": "One"}) + _event({"content": " two"}) + error, seen=seen)
    assert seen == [["One", " two"]]
    assert raised.value.code == "upstream_error"


def _open_stream(settings: dict[str, str]):
    """A ModelClient and the SDK's response to one streamed completion request (close both)."""
    from chat_service.config import load_settings
    from chat_service.llm import AsyncStream, ModelClient

    async def open_() -> tuple[object, object]:
        client = ModelClient(load_settings(settings))
        body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
        stream = await client._client.post(
            "/chat/completions", body=body, cast_to=object, stream=True, stream_cls=AsyncStream[object]
        )
        return client, stream.response

    return open_


def test_the_sdk_aiohttp_response_is_read_straight_from_aiohttp(fake):
    """The silence watch and the hang-up closer need aiohttp's response under the SDK's; an SDK that moves its
    internals must fail here, not fall back quietly to aiohttp's per-chunk read timer."""
    from chat_service.llm import _read_watched, body_chunks

    async def read() -> tuple[object, list[bytes]]:
        client, response = await _open_stream({"OPENAI_BASE_URL": fake + "/v1"})()
        try:
            chunks = body_chunks(response, 5.0)
            return chunks, [chunk async for chunk in chunks]
        finally:
            await response.aclose()
            await client.aclose()

    chunks, read = anyio.run(read)
    assert chunks.ag_code is _read_watched.__code__  # type: ignore[attr-defined]
    assert b"".join(read).rstrip().endswith(b"data: [DONE]")


def test_the_pool_holds_chat_upstream_connections(fake):
    """The limit reaches aiohttp's connector (the SDK transport's own default is 100)."""

    async def limit() -> int:
        client, response = await _open_stream(
            {"OPENAI_BASE_URL": fake + "/v1", "CHAT_UPSTREAM_CONNECTIONS": "7"}
        )()
        try:
            return client._client._client._transport.client.connector.limit
        finally:
            await response.aclose()
            await client.aclose()

    assert anyio.run(limit) == 7


def test_the_closer_handed_out_ends_the_upstream_stream_at_once(fake, fake_client):
    from chat_service.config import load_settings
    from chat_service.llm import ModelClient

    fake_client.post(
        "/_control", json={"mode": "ok", "text": "word " * 100, "delay": 0.05}
    ).raise_for_status()

    async def read() -> None:
        client = ModelClient(load_settings({"OPENAI_BASE_URL": fake + "/v1"}))
        closers: list[object] = []
        answer = client.stream_completion([{"role": "user", "content": "hi"}], on_open=closers.append)
        try:
            await answer.__anext__()
            assert len(closers) == 1
            closers[0]()  # type: ignore[operator]
            # The generator is still open: only the closer can have ended the upstream stream.
            with anyio.fail_after(5):
                while fake_client.get("/_stats").json()["open_streams"]:
                    await anyio.sleep(0.02)
        finally:
            await answer.aclose()
            await client.aclose()

    anyio.run(read)


def test_a_lone_surrogate_from_the_model_is_read_not_refused():
    """orjson refuses `\\ud800`; json reads it, and the SSE encoder later turns it into "?"."""
    items = read_answer(b'data: {"choices": [{"delta": {"content": "a\\ud800b"}}]}\n\n', _event({}, "stop"))
    assert items == [["a\ud800b"], Finish("stop", None)]
