"""GET /openapi.json, and schemathesis fuzzing a live service against it."""

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.chat_service.support import question, read_stream

TRACE_MARKS = ("Traceback (most recent call last)", 'File "', "Exception:", "Error:\n")


@schemathesis.check
def no_stack_trace(ctx, response, case) -> None:
    """No response body shows a Python traceback or an exception's repr."""
    text = response.text
    for mark in TRACE_MARKS:
        if mark in text:
            raise AssertionError(f"the body shows a stack trace ({mark!r}): {text[:300]}")


@schemathesis.check
def rejected_with_a_4xx(ctx, response, case) -> None:
    """A request that breaks the schema gets a 4xx (schemathesis's own check does not count 413)."""
    if not 400 <= response.status_code < 500:
        raise AssertionError(f"a request that breaks the schema got {response.status_code}")


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    no_stack_trace,
]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_service_keeps_its_contract(start_chat, mode: GenerationMode):
    # Hypothesis drives schemathesis's strategies directly: its pytest loader does not run on this pytest.
    url = start_chat(CHAT_RATE_PER_MINUTE="0")
    schema = schemathesis.openapi.from_url(url + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    checks = CHECKS + [rejected_with_a_4xx] if mode == GenerationMode.NEGATIVE else CHECKS
    assert {(op.method.upper(), op.path) for op in operations} == {("POST", "/chat"), ("GET", "/healthz")}
    for operation in operations:
        if mode == GenerationMode.NEGATIVE and operation.path == "/healthz":
            continue  # it takes no input, so no input can break its schema

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def keeps_the_contract(case) -> None:
            case.call_and_validate(base_url=url, checks=checks)

        keeps_the_contract()


def test_the_document_lists_every_error_and_the_stream(offline: httpx.Client):
    document = offline.get("/openapi.json").json()
    chat = document["paths"]["/chat"]["post"]
    assert sorted(chat["responses"]) == ["200", "400", "404", "413", "415", "422", "429", "503"]
    schemas = document["components"]["schemas"]
    assert schemas["Error422"]["properties"]["error"]["properties"]["code"]["enum"] == [
        "too_many_messages",
        "message_too_long",
        "unknown_role",
        "last_message_not_user",
        "empty_question",
        "quote_too_long",
    ]
    assert schemas["ChatRequest"]["properties"]["messages"]["maxItems"] == 20
    events = chat["responses"]["200"]["x-events"]
    assert sorted(events) == ["done", "error", "meta", "token"]
    _, stream = read_stream(offline, question("history"))
    for name, data in stream:
        event_schema = schemas[f"{name}Event"]
        assert set(event_schema["required"]) <= set(data), name
    assert document["paths"]["/healthz"]["get"]["responses"]["200"]
