"""Slow down guessing: at most ``limit`` failed authentications per client id per window.

An attempt counts as a failure from the moment it starts until it succeeds, so a burst of
concurrent guesses is throttled as well as a sequence. State is in memory (one TokenDealer
process), in a :class:`cachetools.TTLCache`: a client id is forgotten ``window`` seconds after
its last attempt (every failure it had has aged out by then), and the least recently seen client
ids make room when ``max_keys`` are held.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

from cachetools import TTLCache


class FailureThrottle:
    """Count recent failures per key (a client id) and say how long a blocked key must wait."""

    def __init__(
        self,
        *,
        limit: int = 5,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        # Each value is the client's sliding window of failure times; the cache entry's own TTL
        # (reset by each attempt) only frees the memory of ids that stopped trying.
        self._failures: TTLCache[str, deque[float]] = TTLCache(
            maxsize=max_keys, ttl=window, timer=clock
        )

    def retry_after(self, key: str) -> int | None:
        """Whole seconds ``key`` must wait before trying again, or None if it may try now."""
        failures = self._recent(key)
        if len(failures) < self.limit:
            return None
        # Waiting until this failure ages out brings the count back under the limit.
        unblocking = failures[len(failures) - self.limit]
        return max(1, math.ceil(unblocking + self.window - self._clock()))

    def record_attempt(self, key: str) -> None:
        """Count an attempt as a failure until :meth:`forgive` is called for ``key``."""
        failures = self._recent(key)
        failures.append(self._clock())
        self._failures[key] = failures

    def forgive(self, key: str) -> None:
        """Forget ``key``'s failures after it authenticated."""
        self._failures.pop(key, None)

    def _recent(self, key: str) -> deque[float]:
        failures = self._failures.get(key, deque())
        horizon = self._clock() - self.window
        while failures and failures[0] <= horizon:
            failures.popleft()
        return failures
