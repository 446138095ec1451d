"""Server-sent events framing: event name + JSON object in, bytes out. Pure.

Every event's `data:` line is one JSON object. JSON escapes newlines, so one event is always exactly one
`data:` line and the text of an answer (newlines, leading spaces) arrives intact.
"""

from __future__ import annotations

import json

KEEPALIVE = b": keep-alive\n\n"

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _utf8(text: str) -> bytes:
    # A lone surrogate (a model can emit one) must not crash a stream: it becomes "?".
    return text.encode("utf-8", "replace")


def encode_event(event: str, data: object) -> bytes:
    """Frame one event: `event: <name>` and `data: <json>`, ended by a blank line."""
    return b"event: " + event.encode() + b"\ndata: " + _utf8(_dumps(data)) + b"\n\n"


def encode_token(delta: str) -> bytes:
    """Frame a `token` event; the hot path, so it skips building a dict."""
    return b'event: token\ndata: {"delta":' + _utf8(_dumps(delta)) + b"}\n\n"


def encode_comment(text: str) -> bytes:
    """Frame a comment line (ignored by SSE parsers), e.g. a keep-alive."""
    if "\n" in text or "\r" in text:
        raise ValueError("a comment is a single line")
    return b": " + _utf8(text) + b"\n\n"
