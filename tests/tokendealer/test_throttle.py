"""The failure throttle's memory: a sliding window per client id, bounded in size."""

from __future__ import annotations

from tests.support.clock import FakeClock
from tokendealer.throttle import FailureThrottle


def test_the_least_recently_seen_client_id_makes_room() -> None:
    throttle = FailureThrottle(limit=1, clock=FakeClock(), max_keys=2)
    for key in ("a", "b", "a", "c"):
        throttle.record_attempt(key)
    assert throttle.retry_after("a") == 60
    assert throttle.retry_after("b") is None  # forgotten to make room for "c"
    assert throttle.retry_after("c") == 60


def test_failures_age_out_one_by_one() -> None:
    clock = FakeClock()
    throttle = FailureThrottle(limit=2, window=60, clock=clock)
    throttle.record_attempt("a")
    clock.advance(30)
    throttle.record_attempt("a")
    assert throttle.retry_after("a") == 30
    clock.advance(30)  # the first failure has aged out
    assert throttle.retry_after("a") is None
    throttle.record_attempt("a")
    assert throttle.retry_after("a") == 30
    clock.advance(60)  # all of them have
    assert throttle.retry_after("a") is None


def test_forgiving_forgets_every_failure() -> None:
    throttle = FailureThrottle(limit=1, clock=FakeClock())
    throttle.record_attempt("a")
    throttle.forgive("a")
    throttle.forgive("unknown")
    assert throttle.retry_after("a") is None
