"""Clocks tests can move by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FakeClock:
    """Monotonic seconds that only advance when a test says so; call it like ``time.monotonic``."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += seconds


class WallClock:
    """Aware UTC time for a service's ``clock``: the real time until a test sets :attr:`now`.

    Set :attr:`now` to stop time at an instant; :meth:`advance` moves it from there (or from
    the real time, if it was not stopped yet) and keeps it stopped.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now or datetime.now(UTC)

    def advance(self, **delta: float) -> None:
        """Move time forward by ``timedelta(**delta)``."""
        self.now = self() + timedelta(**delta)
