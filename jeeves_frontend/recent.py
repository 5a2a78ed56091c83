"""A bounded memory of recently published event ids, to answer Slack's retries cheaply.

This is only a short-cut: several front-door processes run in production and each has its own
memory, so the workers' claim of each event id is what makes effects happen exactly once.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable


class RecentEvents:
    """Event ids seen in the last ``ttl`` seconds, at most ``size`` of them."""

    def __init__(
        self, size: int, *, ttl: float = 900.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._size = size
        self._ttl = ttl
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()

    def __contains__(self, event_id: object) -> bool:
        seen_at = self._seen.get(event_id) if isinstance(event_id, str) else None
        return seen_at is not None and self._clock() - seen_at < self._ttl

    def add(self, event_id: str) -> None:
        """Remember ``event_id``, forgetting the oldest ids beyond the size limit."""
        self._seen[event_id] = self._clock()
        self._seen.move_to_end(event_id)
        while len(self._seen) > self._size:
            self._seen.popitem(last=False)
