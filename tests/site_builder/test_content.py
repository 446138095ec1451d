from __future__ import annotations

import datetime as dt

import pytest

from site_builder.content import parse_front_matter, split_front_matter
from site_builder.errors import FrontMatterError
from site_builder.model import Source


def split(text: str):
    return split_front_matter(Source(path="foo.md", text=text), "content/foo.md")


def test_front_matter_fields_are_typed_and_unknown_keys_kept() -> None:
    meta, body, line = split(
        "---\ntitle: T\ndate: 2026-11-24\ntags: [a, b]\nauthors: Ada\ndraft: false\nsee_also: [x]\nmood: calm\n---\nBody\n"
    )
    assert meta.title == "T"
    assert meta.date == dt.date(2026, 11, 24)
    assert meta.tags == ("a", "b")
    assert meta.authors == ("Ada",)
    assert meta.extra == {"mood": "calm"}
    assert body == "Body\n"
    assert line == 10


def test_no_front_matter_keeps_the_whole_text_as_body() -> None:
    meta, body, line = split("# Title\n\ntext\n")
    assert meta.title is None and body == "# Title\n\ntext\n" and line == 1


@pytest.mark.parametrize(
    ("yaml", "message"),
    [
        (
            'title: T\ndate: "yesterday"',
            "content/foo.md:3: 'date' must be a date like 2026-11-24, got \"yesterday\"",
        ),
        ("title: T\ndraft: maybe", "content/foo.md:3: 'draft' must be true or false, got \"maybe\""),
        ("tags: {a: 1}", "content/foo.md:2: 'tags' must be a list of strings, got {'a': 1}"),
        ("title: [a, b]", "content/foo.md:2: 'title' must be a string, got ['a', 'b']"),
        (
            "slug: has space",
            "content/foo.md:2: 'slug' must be letters, digits, '-', '_' or '.', got \"has space\"",
        ),
        ("- just\n- a list", "content/foo.md:2: front matter must be a mapping of 'key: value' lines"),
    ],
)
def test_front_matter_errors_name_file_and_line(yaml: str, message: str) -> None:
    with pytest.raises(FrontMatterError) as caught:
        parse_front_matter(yaml, "content/foo.md")
    assert str(caught.value) == message


def test_invalid_yaml_names_the_line() -> None:
    with pytest.raises(FrontMatterError) as caught:
        parse_front_matter("title: ok\ntags: [a, b\ndate: 2026-01-01", "content/foo.md")
    assert str(caught.value).startswith("content/foo.md:4: front matter is not valid YAML")
