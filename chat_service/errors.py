"""Errors of the chat service, one class per failure someone can act on.

    ChatServiceError
     ├── ConfigError       the environment holds bad settings; start-up stops and lists every problem
     ├── ExportError       the chat export cannot be read or is not a format this service knows
     ├── RequestRejected   a /chat request fails a check before streaming starts (HTTP status + code)
     └── UpstreamError     the model API failed; the reader sees an `error` event with a stable code

Messages are written for the person who reads them (operator or reader) and never contain the API key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


class ChatServiceError(Exception):
    """Base class of every error the service raises on purpose."""


class ConfigError(ChatServiceError):
    """The settings in the environment are invalid; `problems` lists every one of them."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"invalid settings in the environment:\n{lines}")


class ExportError(ChatServiceError):
    """The chat export at `path` cannot be used; `transient` when it could not be read (try again later)
    rather than read and found wrong."""

    def __init__(self, path: str, message: str, hint: str = "", *, transient: bool = False) -> None:
        self.path = path
        self.message = message
        self.hint = hint
        self.transient = transient
        text = f"{path}: {message}"
        super().__init__(f"{text}\n  hint: {hint}" if hint else text)


class RequestRejected(ChatServiceError):
    """A request failed a check before streaming; becomes a JSON error response."""

    def __init__(
        self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})
        super().__init__(f"{status} {code}: {message}")


class UpstreamError(ChatServiceError):
    """The model API failed; `code` is stable, `message` is safe to show to a reader."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")
