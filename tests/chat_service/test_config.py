from pathlib import Path

import pytest

from chat_service.config import Secret, Settings, load_settings
from chat_service.errors import ConfigError
from tests.chat_service.support import SECRET


def test_defaults_with_empty_environment():
    settings = load_settings({})
    assert settings == Settings()
    assert settings.index_path == Path("dist/chat/index.json")
    assert settings.backend == "offline"
    assert settings.keepalive_seconds == 15.0
    assert settings.max_body_bytes == 32 * 1024


def test_backend_is_openai_with_a_key_or_a_base_url():
    assert load_settings({"OPENAI_API_KEY": SECRET}).backend == "openai"
    assert (
        load_settings({"OPENAI_BASE_URL": "http://127.0.0.1:11434/v1/"}).base_url
        == "http://127.0.0.1:11434/v1"
    )
    assert load_settings({"OPENAI_BASE_URL": "http://127.0.0.1:11434/v1"}).backend == "openai"


def test_empty_variables_count_as_unset():
    assert load_settings({"OPENAI_API_KEY": "", "CHAT_MODEL": " "}).backend == "offline"


def test_every_problem_is_listed_at_once():
    with pytest.raises(ConfigError) as caught:
        load_settings(
            {
                "OPENAI_BASE_URL": "localhost:11434",
                "CHAT_MAX_MESSAGES": "0",
                "CHAT_READ_TIMEOUT": "soon",
                "CHAT_ALLOWED_ORIGINS": "https://example.org/",
                "CHAT_MODLE": "gpt",
            }
        )
    assert caught.value.problems == (
        "CHAT_MODLE: unknown setting (did you mean CHAT_MODEL?)",
        "OPENAI_BASE_URL: must be an http:// or https:// URL, e.g. http://127.0.0.1:11434/v1",
        "CHAT_ALLOWED_ORIGINS: 'https://example.org/' is not an origin like https://example.org (no path, no slash)",
        "CHAT_MAX_MESSAGES: must be a whole number above 0",
        "CHAT_READ_TIMEOUT: must be a number",
    )
    assert str(caught.value).startswith("invalid settings in the environment:\n  - CHAT_MODLE")


def test_origins_are_a_comma_separated_list():
    settings = load_settings({"CHAT_ALLOWED_ORIGINS": "https://example.org, http://127.0.0.1:8000"})
    assert settings.allowed_origins == ("https://example.org", "http://127.0.0.1:8000")
    assert load_settings({"CHAT_ALLOWED_ORIGINS": "*"}).allowed_origins == ("*",)


def test_the_key_never_shows():
    settings = load_settings({"OPENAI_API_KEY": SECRET})
    assert SECRET not in repr(settings)
    assert SECRET not in str(settings.api_key)
    assert SECRET not in f"{settings.api_key}"
    assert settings.api_key == Secret(SECRET)
    assert settings.api_key.reveal() == SECRET


@pytest.mark.parametrize("text", [",", " , ,"])
def test_origins_listing_none_stop_the_start(text):
    with pytest.raises(ConfigError) as caught:
        load_settings({"CHAT_ALLOWED_ORIGINS": text})
    assert caught.value.problems == (
        "CHAT_ALLOWED_ORIGINS: lists no origin, so every browser would be refused; "
        "give origins like https://example.org, or leave it unset for the default",
    )


def test_the_index_is_a_path_or_an_http_url():
    assert load_settings({"CHAT_INDEX": "https://example.org/chat/index.json"}).index == (
        "https://example.org/chat/index.json"
    )
    assert load_settings({"CHAT_INDEX": "site/chat/index.json"}).index_path == Path("site/chat/index.json")
    with pytest.raises(ConfigError) as caught:
        load_settings({"CHAT_INDEX": "ftp://example.org/index.json", "CHAT_CACHE_ARTICLES": "0"})
    assert caught.value.problems == (
        "CHAT_INDEX: must be a path, or an http:// or https:// URL of index.json",
        "CHAT_CACHE_ARTICLES: must be a whole number above 0",
    )
