from __future__ import annotations

from pathlib import Path

import pytest

from site_builder.config import load_config, parse_config
from site_builder.errors import BuildFailed


def test_defaults_without_a_file(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert config.title == "Folio" and config.base_path == "/"


def test_base_url_gets_a_slash_and_a_base_path() -> None:
    config = parse_config({"base_url": "https://example.org/blog"})
    assert config.base_url == "https://example.org/blog/" and config.base_path == "/blog/"


def test_unknown_key_suggests_the_close_one(tmp_path: Path) -> None:
    (tmp_path / "site.toml").write_text('title = "x"\nchat_endpont = "http://a/chat"\n')
    with pytest.raises(BuildFailed) as caught:
        load_config(tmp_path)
    [error] = caught.value.errors
    assert (
        str(error)
        == f"{tmp_path}/site.toml:2: unknown key 'chat_endpont'\n  hint: did you mean 'chat_endpoint'?"
    )


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    (tmp_path / "site.toml").write_text('title = 3\nbase_url = "example.org"\n')
    with pytest.raises(BuildFailed) as caught:
        load_config(tmp_path)
    messages = [e.message for e in caught.value.errors]
    assert messages == [
        "'title' must be a string, got 3",
        "'base_url' must be an http(s) URL, got 'example.org'",
    ]
    assert [e.line for e in caught.value.errors] == [1, 2]


def test_broken_toml_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "site.toml").write_text('title = "x"\nbase_url = \n')
    with pytest.raises(BuildFailed) as caught:
        load_config(tmp_path)
    assert caught.value.errors[0].line == 2
    assert "not valid TOML" in caught.value.errors[0].message
