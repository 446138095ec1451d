"""Parse and validate the body of a `POST /chat` request. Pure: bytes in, ChatRequest out.

    {"article": "<slug>", "messages": [{"role": "user" | "assistant", "content": "..."}, ...], "quote": "..."}

Malformed JSON or a missing / mistyped field is a 400; a well-formed body that breaks a rule of the
conversation (unknown role, last message not the reader's) or a quote that is too long is a 422. `quote`
is optional: the passage of the article the reader selected and asks about. Unknown keys are ignored so that
newer pages keep working with an older service.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from chat_service.errors import RequestRejected

ROLES = ("user", "assistant")
MAX_QUOTE_CHARS = 1000


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    role: str
    content: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatRequest:
    article: str
    messages: tuple[Message, ...]
    quote: str | None = None

    @property
    def question(self) -> str:
        """The reader's question: the last message."""
        return self.messages[-1].content


def _bad_request(message: str) -> RequestRejected:
    return RequestRejected(400, "invalid_request", message)


def _unprocessable(code: str, message: str) -> RequestRejected:
    return RequestRejected(422, code, message)


def _decode(body: bytes) -> object:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError) as error:
        # ValueError covers JSONDecodeError and RecursionError-free malformed input alike.
        raise RequestRejected(400, "invalid_json", f"The body is not valid JSON: {error}") from None


def _parse_message(index: int, item: object) -> Message:
    where = f"messages[{index}]"
    if not isinstance(item, dict):
        raise _bad_request(f"{where} must be an object with 'role' and 'content'.")
    role, content = item.get("role"), item.get("content")
    if not isinstance(role, str):
        raise _bad_request(f"{where}.role is missing or not a string.")
    if not isinstance(content, str):
        raise _bad_request(f"{where}.content is missing or not a string.")
    if role not in ROLES:
        raise _unprocessable(
            "unknown_role", f"{where}.role must be 'user' or 'assistant', not {role[:20]!r}."
        )
    return Message(role=role, content=content)


def _parse_quote(quote: object) -> str | None:
    if quote is None:
        return None
    if not isinstance(quote, str):
        raise _bad_request("'quote' must be a string: the passage the reader selected.")
    if len(quote) > MAX_QUOTE_CHARS:
        raise _unprocessable("quote_too_long", f"'quote' is longer than {MAX_QUOTE_CHARS} characters.")
    return quote.strip() or None


def parse_chat_request(body: bytes) -> ChatRequest:
    """Parse a /chat body, or raise RequestRejected (400 or 422) saying what is wrong."""
    data = _decode(body)
    if not isinstance(data, dict):
        raise _bad_request("The body must be a JSON object with 'article' and 'messages'.")
    article, items = data.get("article"), data.get("messages")
    if not isinstance(article, str) or not article:
        raise _bad_request("'article' is missing or not a non-empty string.")
    if not isinstance(items, list):
        raise _bad_request("'messages' is missing or not a list.")
    messages = tuple(_parse_message(index, item) for index, item in enumerate(items))
    if not messages or messages[-1].role != "user":
        raise _unprocessable("last_message_not_user", "The last message must be the reader's question.")
    if not messages[-1].content.strip():
        raise _unprocessable("empty_question", "The question is empty.")
    return ChatRequest(article=article, messages=messages, quote=_parse_quote(data.get("quote")))
