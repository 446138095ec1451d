"""Limits on what one request and one client may ask: body size, conversation size, request rate.

The clock is injected so that rate limiting is tested without sleeping.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

from chat_service.errors import RequestRejected


def check_declared_length(content_length: str | None, max_bytes: int) -> None:
    """Reject a body whose Content-Length already says it is too large (413)."""
    if content_length is None:
        return
    try:
        declared = int(content_length)
    except ValueError:
        raise RequestRejected(400, "invalid_request", "Content-Length is not a number.") from None
    if declared > max_bytes:
        raise body_too_large(max_bytes)


def body_too_large(max_bytes: int) -> RequestRejected:
    """The 413 error for a body above `max_bytes`."""
    return RequestRejected(413, "body_too_large", f"The request body is larger than {max_bytes} bytes.")


def check_messages(contents: Sequence[str], *, max_messages: int, max_chars: int) -> None:
    """Reject a conversation with too many messages or a message that is too long (422)."""
    if len(contents) > max_messages:
        raise RequestRejected(
            422,
            "too_many_messages",
            f"The conversation has {len(contents)} messages; the limit is {max_messages}.",
        )
    for index, content in enumerate(contents):
        if len(content) > max_chars:
            raise RequestRejected(
                422, "message_too_long", f"messages[{index}] is longer than {max_chars} characters."
            )


def rate_limited(wait: float) -> RequestRejected:
    """The 429 for a client that must wait `wait` seconds, with Retry-After in whole seconds."""
    seconds = max(1, math.ceil(wait))
    return RequestRejected(
        429, "rate_limited", f"Too many questions; try again in {seconds} s.", {"Retry-After": str(seconds)}
    )


class RateLimiter:
    """A token bucket per client: `burst` requests at once, refilled at `per_minute`.

    `per_minute` of 0 turns limiting off. Buckets that are full again are forgotten, so memory stays
    bounded by the clients active in the last `burst / rate` seconds.
    """

    def __init__(
        self,
        *,
        per_minute: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = 10_000,
    ) -> None:
        self._rate = per_minute / 60.0
        self._burst = float(burst)
        self._clock = clock
        self._max_clients = max_clients
        self._buckets: dict[str, tuple[float, float]] = {}

    def acquire(self, client: str) -> float:
        """Take one request for `client`: 0.0 if allowed, else the seconds to wait before retrying."""
        if self._rate <= 0:
            return 0.0
        now = self._clock()
        tokens = self._tokens(client, now)
        if tokens >= 1.0:
            self._buckets[client] = (tokens - 1.0, now)
            self._prune(now)
            return 0.0
        self._buckets[client] = (tokens, now)
        return (1.0 - tokens) / self._rate

    def check(self, client: str) -> None:
        """Like acquire(), but raise a 429 with Retry-After when the client must wait."""
        wait = self.acquire(client)
        if wait > 0:
            raise rate_limited(wait)

    def _tokens(self, client: str, now: float) -> float:
        tokens, updated = self._buckets.get(client, (self._burst, now))
        return min(self._burst, tokens + (now - updated) * self._rate)

    def _prune(self, now: float) -> None:
        if len(self._buckets) <= self._max_clients:
            return
        full = [client for client in self._buckets if self._tokens(client, now) >= self._burst]
        for client in full:
            del self._buckets[client]
