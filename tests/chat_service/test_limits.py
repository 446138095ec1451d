import pytest

from chat_service.errors import RequestRejected
from chat_service.limits import RateLimiter, check_declared_length, check_messages


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_429_with_retry_after():
    clock = Clock()
    limiter = RateLimiter(per_minute=6, burst=2, clock=clock)  # one token every 10 s
    limiter.check("a")
    limiter.check("a")
    with pytest.raises(RequestRejected) as caught:
        limiter.check("a")
    assert (caught.value.status, caught.value.code) == (429, "rate_limited")
    assert caught.value.headers == {"Retry-After": "10"}


def test_tokens_refill_with_time():
    clock = Clock()
    limiter = RateLimiter(per_minute=6, burst=1, clock=clock)
    assert limiter.acquire("a") == 0.0
    clock.now += 4
    assert limiter.acquire("a") == pytest.approx(6.0)
    clock.now += 6
    assert limiter.acquire("a") == 0.0


def test_clients_are_limited_separately():
    limiter = RateLimiter(per_minute=1, burst=1, clock=Clock())
    assert limiter.acquire("a") == 0.0
    assert limiter.acquire("b") == 0.0
    assert limiter.acquire("a") > 0


def test_zero_rate_disables_limiting():
    limiter = RateLimiter(per_minute=0, burst=1, clock=Clock())
    assert all(limiter.acquire("a") == 0.0 for _ in range(100))


def test_idle_clients_are_forgotten():
    clock = Clock()
    limiter = RateLimiter(per_minute=60, burst=1, clock=clock, max_clients=2)
    for client in "abc":
        limiter.acquire(client)
    clock.now += 10
    limiter.acquire("d")
    assert len(limiter._buckets) <= 2


def test_declared_length():
    check_declared_length(None, 10)
    check_declared_length("10", 10)
    with pytest.raises(RequestRejected) as caught:
        check_declared_length("11", 10)
    assert (caught.value.status, caught.value.code) == (413, "body_too_large")
    with pytest.raises(RequestRejected) as caught:
        check_declared_length("ten", 10)
    assert caught.value.status == 400


def test_message_limits():
    check_messages(["a", "bb"], max_messages=2, max_chars=2)
    with pytest.raises(RequestRejected) as caught:
        check_messages(["a", "b", "c"], max_messages=2, max_chars=2)
    assert (caught.value.status, caught.value.code) == (422, "too_many_messages")
    with pytest.raises(RequestRejected) as caught:
        check_messages(["a", "bbb"], max_messages=2, max_chars=2)
    assert (caught.value.code, caught.value.message) == (
        "message_too_long",
        "messages[1] is longer than 2 characters.",
    )
