"""A clock tests can move by hand."""

from __future__ import annotations


class FakeClock:
    """Monotonic seconds that only advance when a test says so; call it like ``time.monotonic``."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += seconds
