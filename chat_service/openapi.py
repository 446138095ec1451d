"""The service's machine-readable contract: an OpenAPI 3.1 document of POST /chat and GET /healthz. Pure.

`openapi_document(settings)` describes the request (with this instance's limits), every error status and
code, and the event stream: a text/event-stream whose events are listed, with the JSON schema of each
event's data, under the 200 response's `x-events` (OpenAPI 3.1 has no schema for a stream's items).
"""

from __future__ import annotations

from typing import Any

from chat_service.config import Settings
from chat_service.schemas import MAX_QUOTE_CHARS

ERRORS = {
    400: ("invalid_json", "invalid_request"),
    404: ("unknown_article",),
    413: ("body_too_large",),
    415: ("unsupported_media_type",),
    422: (
        "too_many_messages",
        "message_too_long",
        "unknown_role",
        "last_message_not_user",
        "empty_question",
        "quote_too_long",
    ),
    429: ("rate_limited",),
    503: ("shutting_down", "article_unavailable"),
}
WHEN = {
    400: "The body is not JSON, or a field is missing or of the wrong type.",
    404: "No article with that slug.",
    413: "The body is larger than the service accepts.",
    415: "The body is not sent as application/json.",
    422: "The conversation breaks a rule (roles, the last message, its length or size), or the quote is too long.",
    429: "Too many questions from this client; Retry-After says when to ask again.",
    503: "The service is stopping, or the article's export file cannot be used now.",
}
STREAM_ERRORS = (
    "upstream_rate_limited",
    "upstream_unavailable",
    "upstream_timeout",
    "upstream_auth",
    "upstream_rejected",
    "upstream_error",
    "upstream_bad_response",
    "shutting_down",
    "internal_error",
)
_STRING = {"type": "string"}
_NULLABLE_STRING = {"type": ["string", "null"]}


def _object(properties: dict[str, Any], required: tuple[str, ...] | None = None) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(required or properties)}


def _error(codes: tuple[str, ...]) -> dict[str, Any]:
    body = _object({"code": {"type": "string", "enum": list(codes)}, "message": _STRING})
    return _object({"error": body})


def _request(settings: Settings) -> dict[str, Any]:
    message = _object(
        {
            "role": {"type": "string", "enum": ["user", "assistant"]},
            "content": {"type": "string", "maxLength": settings.max_message_chars},
        }
    )
    messages = {
        "type": "array",
        "items": message,
        "minItems": 1,
        "maxItems": settings.max_messages,
        "description": "The conversation, oldest first; the last message is the reader's question.",
    }
    article = {"type": "string", "minLength": 1, "description": "The article's slug, e.g. guides/writing"}
    quote = {
        "type": ["string", "null"],
        "maxLength": MAX_QUOTE_CHARS,
        "description": "The passage of the article the reader selected to ask about (optional).",
    }
    return _object({"article": article, "messages": messages, "quote": quote}, ("article", "messages"))


def _events() -> dict[str, Any]:
    source = _object({"title": _STRING, "heading": _STRING, "anchor": _STRING, "url": _STRING})
    usage = {"type": ["object", "null"], "additionalProperties": {"type": "integer"}}
    return {
        "meta": _object(
            {
                "sources": {"type": "array", "items": source},
                "backend": {"type": "string", "enum": ["openai", "offline"]},
                "model": _NULLABLE_STRING,
            }
        ),
        "token": _object({"delta": _STRING}),
        "done": _object({"finish_reason": _NULLABLE_STRING, "usage": usage}),
        "error": _object({"code": {"type": "string", "enum": list(STREAM_ERRORS)}, "message": _STRING}),
    }


def _health() -> dict[str, Any]:
    export = _object(
        {
            "loaded": {"type": "boolean"},
            "path": _STRING,
            "articles": {"type": "integer"},
            "stale": {"type": "boolean"},
            "error": _NULLABLE_STRING,
            "skipped": {"type": "integer"},
            "cached": {"type": "integer"},
        }
    )
    rate_limit = _object(
        {"shared": {"type": "boolean"}, "ok": {"type": "boolean"}, "error": _NULLABLE_STRING}
    )
    return _object(
        {
            "status": {"type": "string", "enum": ["ok", "draining"]},
            "backend": {"type": "string", "enum": ["openai", "offline"]},
            "model": _NULLABLE_STRING,
            "worker": {"type": "integer"},
            "export": export,
            "rate_limit": rate_limit,
        }
    )


def _stream_response() -> dict[str, Any]:
    return {
        "description": (
            "The answer as server-sent events: `meta` first, then `token` events, then exactly one `done` "
            "or `error`; `: keep-alive` comment lines while idle. Each event's `data:` is one JSON object, "
            "described under x-events."
        ),
        "headers": {"Cache-Control": {"schema": {"type": "string", "const": "no-cache"}}},
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
        "x-events": {name: {"$ref": f"#/components/schemas/{name}Event"} for name in _events()},
    }


def _chat_responses() -> dict[str, Any]:
    responses: dict[str, Any] = {"200": _stream_response()}
    for status, codes in ERRORS.items():
        response: dict[str, Any] = {
            "description": f"{WHEN[status]} Codes: {', '.join(codes)}.",
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/Error{status}"}}},
        }
        if status == 429:
            response["headers"] = {"Retry-After": {"schema": {"type": "string"}, "required": True}}
        responses[str(status)] = response
    return responses


def openapi_document(settings: Settings) -> dict[str, Any]:
    """The OpenAPI 3.1 document of this service, with the limits of `settings`."""
    schemas: dict[str, Any] = {"ChatRequest": _request(settings), "Health": _health()}
    schemas |= {f"{name}Event": schema for name, schema in _events().items()}
    schemas |= {f"Error{status}": _error(codes) for status, codes in ERRORS.items()}
    health = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}}
    body = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ChatRequest"}}}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Folio chat service",
            "version": "2",
            "description": (
                "Answers a reader's question about one article, streamed. Any other method on a path is "
                "405 method_not_allowed, an unknown path 404 not_found; error bodies are "
                '{"error": {"code", "message"}}.'
            ),
        },
        "paths": {
            "/chat": {
                "post": {
                    "summary": "Ask about an article",
                    "requestBody": {"required": True, **body},
                    "responses": _chat_responses(),
                }
            },
            "/healthz": {
                "get": {
                    "summary": "The service's state",
                    "responses": {
                        "200": {"description": "Serving.", **health},
                        "503": {"description": "Stopping: finishing the open streams.", **health},
                    },
                }
            },
        },
        "components": {"schemas": schemas},
    }
