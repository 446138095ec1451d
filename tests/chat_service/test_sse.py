import json

import pytest

from chat_service.sse import KEEPALIVE, encode_comment, encode_event, encode_token
from tests.chat_service.support import parse_sse


def test_event_is_one_data_line_of_json():
    assert encode_event("done", {"finish_reason": "stop", "usage": None}) == (
        b'event: done\ndata: {"finish_reason":"stop","usage":null}\n\n'
    )


def test_token_keeps_newlines_and_leading_spaces():
    chunk = encode_token("  two\nlines ")
    assert chunk.count(b"\n") == 3  # event line, data line, blank line: the newline is escaped
    assert parse_sse(chunk.decode().splitlines()) == [("token", {"delta": "  two\nlines "})]


def test_token_matches_generic_event_framing():
    assert encode_token("ü “quoted”") == encode_event("token", {"delta": "ü “quoted”"})


def test_non_ascii_is_sent_as_utf8():
    assert "é".encode() in encode_event("token", {"delta": "é"})


def test_lone_surrogate_does_not_break_the_stream():
    chunk = encode_token("a\ud800b")
    assert json.loads(chunk.split(b"data: ")[1]) == {"delta": "a?b"}


def test_keepalive_is_a_comment():
    assert KEEPALIVE.startswith(b":") and KEEPALIVE.endswith(b"\n\n")
    assert encode_comment("ping") == b": ping\n\n"
    with pytest.raises(ValueError):
        encode_comment("two\nlines")
