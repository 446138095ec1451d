"""Settings from the environment: parsed once at start-up, fully checked, immutable.

`load_settings(os.environ)` returns `Settings` or raises `ConfigError` listing every problem at once.
An empty variable counts as unset. Unknown `CHAT_*` variables are errors, so a typo cannot silently
fall back to a default.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from chat_service.errors import ConfigError

DEFAULT_INDEX = "dist/chat/index.json"
DEFAULT_ORIGINS = "http://127.0.0.1:8000,http://localhost:8000"


class Secret:
    """A string that never shows itself in a repr, a str() or a log line."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """Return the secret itself; call only where it is handed to the SDK."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    api_key: Secret | None = None
    base_url: str | None = None
    model: str = "gpt-4o-mini"
    index: str = DEFAULT_INDEX  # a path, or an http(s):// URL of index.json
    allowed_origins: tuple[str, ...] = tuple(DEFAULT_ORIGINS.split(","))
    max_body_bytes: int = 32 * 1024
    max_messages: int = 20
    max_message_chars: int = 4000
    rate_per_minute: float = 20.0
    rate_burst: int = 10
    context_tokens: int = 3000
    max_answer_tokens: int = 800
    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    # Answers one worker streams from the model API at once, a connection each; more wait for one.
    upstream_connections: int = 1000
    keepalive_seconds: float = 15.0
    shutdown_grace: float = 10.0
    index_check_seconds: float = 1.0
    index_timeout: float = 10.0
    index_max_bytes: int = 32 * 1024 * 1024
    cache_articles: int = 256
    workers: int = 1
    redis_url: Secret | None = None  # may hold a password
    question_log: Path | None = None  # opt-in: where uncovered questions are appended (question_log.py)

    @property
    def index_path(self) -> Path:
        """`CHAT_INDEX` as a path (meaningless when it is a URL)."""
        return Path(self.index)

    @property
    def backend(self) -> str:
        """`openai` when a model API is configured, else `offline` (quotes passages, no AI)."""
        return "openai" if self.api_key is not None or self.base_url is not None else "offline"


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise ValueError("must be a whole number above 0")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise ValueError("must be a number above 0")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0 or value == float("inf"):
        raise ValueError("must be a number of 0 or more")
    return value


def _base_url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http:// or https:// URL, e.g. http://127.0.0.1:11434/v1")
    return text.rstrip("/")


def _origins(text: str) -> tuple[str, ...]:
    origins = tuple(origin.strip() for origin in text.split(",") if origin.strip())
    if not origins:
        raise ValueError(
            "lists no origin, so every browser would be refused; "
            "give origins like https://example.org, or leave it unset for the default"
        )
    for origin in origins:
        parts = urlsplit(origin)
        if origin != "*" and (parts.scheme not in ("http", "https") or not parts.netloc or parts.path):
            # Browsers send Origin as scheme://host[:port]; "https://example.org/" would never match.
            raise ValueError(f"{origin!r} is not an origin like https://example.org (no path, no slash)")
    return origins


def _log_path(text: str) -> Path:
    path = Path(text.strip())
    if not path.parent.is_dir():
        raise ValueError(f"the folder {str(path.parent)!r} does not exist")
    if path.is_dir():
        raise ValueError("is a folder; give a file such as questions.jsonl")
    return path


def _text(text: str) -> str:
    return text.strip()


def _redis_url(text: str) -> Secret:
    parts = urlsplit(text.strip())
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise ValueError("must be a URL like redis://127.0.0.1:6379/0 (or rediss:// for TLS)")
    return Secret(text.strip())


def _index(text: str) -> str:
    text = text.strip()
    parts = urlsplit(text)
    if "://" in text and (parts.scheme not in ("http", "https") or not parts.netloc):
        raise ValueError("must be a path, or an http:// or https:// URL of index.json")
    return text


# name -> (Settings field, parser); defaults live on Settings.
_FIELDS: dict[str, tuple[str, Callable[[str], object]]] = {
    "OPENAI_API_KEY": ("api_key", lambda text: Secret(text.strip())),
    "OPENAI_BASE_URL": ("base_url", _base_url),
    "CHAT_MODEL": ("model", _text),
    "CHAT_INDEX": ("index", _index),
    "CHAT_ALLOWED_ORIGINS": ("allowed_origins", _origins),
    "CHAT_MAX_BODY_BYTES": ("max_body_bytes", _positive_int),
    "CHAT_MAX_MESSAGES": ("max_messages", _positive_int),
    "CHAT_MAX_MESSAGE_CHARS": ("max_message_chars", _positive_int),
    "CHAT_RATE_PER_MINUTE": ("rate_per_minute", _non_negative_float),
    "CHAT_RATE_BURST": ("rate_burst", _positive_int),
    "CHAT_CONTEXT_TOKENS": ("context_tokens", _positive_int),
    "CHAT_MAX_ANSWER_TOKENS": ("max_answer_tokens", _positive_int),
    "CHAT_CONNECT_TIMEOUT": ("connect_timeout", _positive_float),
    "CHAT_READ_TIMEOUT": ("read_timeout", _positive_float),
    "CHAT_UPSTREAM_CONNECTIONS": ("upstream_connections", _positive_int),
    "CHAT_KEEPALIVE_SECONDS": ("keepalive_seconds", _positive_float),
    "CHAT_SHUTDOWN_GRACE": ("shutdown_grace", _non_negative_float),
    "CHAT_INDEX_CHECK_SECONDS": ("index_check_seconds", _non_negative_float),
    "CHAT_INDEX_TIMEOUT": ("index_timeout", _positive_float),
    "CHAT_INDEX_MAX_BYTES": ("index_max_bytes", _positive_int),
    "CHAT_CACHE_ARTICLES": ("cache_articles", _positive_int),
    "CHAT_WORKERS": ("workers", _positive_int),
    "CHAT_REDIS_URL": ("redis_url", _redis_url),
    "CHAT_QUESTION_LOG": ("question_log", _log_path),
}


def _unknown_names(environ: Mapping[str, str]) -> list[str]:
    problems = []
    for name in sorted(environ):
        if name.startswith("CHAT_") and name not in _FIELDS:
            close = difflib.get_close_matches(name, _FIELDS, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            problems.append(f"{name}: unknown setting{hint}")
    return problems


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Build Settings from environment variables, or raise ConfigError listing every problem."""
    values: dict[str, object] = {}
    problems = _unknown_names(environ)
    for name, (field, parse) in _FIELDS.items():
        text = environ.get(name, "")
        if not text.strip():
            continue
        try:
            values[field] = parse(text)
        except ValueError as error:
            # Never echo the raw value: for OPENAI_API_KEY it would be the secret.
            problems.append(f"{name}: {_reason(error)}")
    if not values.get("model", "x"):
        problems.append("CHAT_MODEL: must not be empty")
    if problems:
        raise ConfigError(problems)
    return Settings(**values)  # type: ignore[arg-type]


def _reason(error: ValueError) -> str:
    text = str(error)
    # int("abc") says "invalid literal for int() with base 10: 'abc'": say what is expected instead.
    if text.startswith(("invalid literal", "could not convert")):
        return "must be a number"
    return text
