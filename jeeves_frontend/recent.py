"""A bounded memory of recently published action ids, to answer Slack's retries cheaply.

This is only a short-cut: several front-door processes run in production and each has its own
memory, so the workers' claim of each action id is what makes effects happen exactly once.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from cachetools import TTLCache


class RecentEvents:
    """Action ids published in the last ``ttl`` seconds, at most ``size`` of them.

    A :class:`cachetools.TTLCache`: an id is found while ``clock() < added + ttl``; when full,
    expired ids go first, then the least recently added (a lookup does not refresh an id).
    """

    def __init__(
        self, size: int, *, ttl: float = 900.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._seen: TTLCache[str, None] = TTLCache(maxsize=size, ttl=ttl, timer=clock)

    def __contains__(self, action_id: object) -> bool:
        return isinstance(action_id, str) and action_id in self._seen

    def add(self, action_id: str) -> None:
        """Remember ``action_id``, forgetting the oldest ids beyond the size limit."""
        self._seen[action_id] = None
