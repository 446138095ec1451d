from __future__ import annotations

import pytest

from site_builder.markdown import convert
from site_builder.typography import smarten


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"Hello," she said.', "\u201cHello,\u201d she said."),
        ("it's the '90s", "it\u2019s the \u201990s"),
        ("'single' quotes", "\u2018single\u2019 quotes"),
        ("pages 10--12 --- and more...", "pages 10\u201312 \u2014 and more\u2026"),
        ('("nested")', "(\u201cnested\u201d)"),
        ("the writers' room", "the writers\u2019 room"),
    ],
)
def test_smarten(text: str, expected: str) -> None:
    assert smarten(text) == expected


def test_quotes_span_inline_markup_and_code_is_left_alone() -> None:
    html = convert('"*Hello*" and `"code" -- here`\n\n```\n"x" -- y\n```\n', "a.md").html
    assert "\u201c<em>Hello</em>\u201d" in html
    assert '<code>"code" -- here</code>' in html
    assert '"x" -- y' in html
