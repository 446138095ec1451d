"""The per-client rate limit counted in Redis, so that every worker and machine enforces one limit per reader.

The only user of the `redis` package (its asyncio client). `RedisRateLimiter` keeps the same token bucket as
limits.RateLimiter (`burst` at once, refilled at `per_minute`), in one atomic Lua script on Redis's own clock,
so that instances with different clocks agree. Redis unreachable at start-up stops start-up (`ping()`); once
running, a failing Redis fails open: requests are served without a limit, the failure is logged at most once
a minute, and `health()` shows it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import redis.asyncio
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from chat_service.errors import ConfigError
from chat_service.limits import rate_limited

log = logging.getLogger("chat_service.shared_limits")

KEY_PREFIX = "folio-chat:rate:"
TIMEOUT_SECONDS = 0.5  # a reader waits at most this long for a counter that does not answer
LOG_EVERY_SECONDS = 60.0

# KEYS[1]: the client's bucket; ARGV: tokens per second, burst. Returns the seconds to wait (0: allowed).
_TOKEN_BUCKET = """
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(state[1]), tonumber(state[2])
if tokens == nil then tokens, at = burst, now end
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst / rate + 1) * 1000))
return tostring(wait)
"""


def describe(url: str) -> str:
    """`redis://host:port/db` without a password, for messages and logs."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}:{parts.port or 6379}{parts.path or '/0'}"


class RedisRateLimiter:
    """A token bucket per client in Redis; close it with `aclose()`."""

    def __init__(
        self, url: str, *, per_minute: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.where = describe(url)
        self._rate = per_minute / 60.0
        self._burst = burst
        self._clock = clock
        self._redis = redis.asyncio.from_url(
            url,
            socket_timeout=TIMEOUT_SECONDS,
            socket_connect_timeout=TIMEOUT_SECONDS,
            retry=Retry(NoBackoff(), retries=0),  # a retry would only make readers wait longer
        )
        self._script = self._redis.register_script(_TOKEN_BUCKET)
        self.error: str | None = None
        self._logged_at: float | None = None

    async def ping(self) -> None:
        """Raise ConfigError saying why when Redis cannot be reached (checked at start-up)."""
        try:
            await self._redis.ping()
        except (RedisError, OSError) as error:
            raise ConfigError([f"CHAT_REDIS_URL: cannot reach Redis at {self.where}: {error}"]) from None

    async def check(self, client: str) -> None:
        """Take one request for `client`; raise a 429 when it must wait. Never fails because Redis does."""
        if self._rate <= 0:
            return
        try:
            wait = float(await self._script(keys=[KEY_PREFIX + client], args=[self._rate, self._burst]))
        except (RedisError, OSError, ValueError) as error:
            self._failed(error)
            return
        if self.error is not None:
            log.warning("the rate limit is counted in Redis at %s again", self.where)
            self.error, self._logged_at = None, None
        if wait > 0:
            raise rate_limited(wait)

    def health(self) -> dict[str, object]:
        """The rate limit part of /healthz."""
        return {"shared": True, "ok": self.error is None, "error": self.error}

    async def aclose(self) -> None:
        await self._redis.aclose()

    def _failed(self, error: Exception) -> None:
        self.error = f"Redis at {self.where} failed ({type(error).__name__}): serving without a rate limit"
        now = self._clock()
        if self._logged_at is None or now - self._logged_at >= LOG_EVERY_SECONDS:
            self._logged_at = now
            log.error("%s: %s", self.error, error)
