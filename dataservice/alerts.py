"""When a daily alert fires next: a local wall-clock time in the user's zone, as a UTC instant."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

#: The alert time used when alerts are switched on with none given or stored.
DEFAULT_ALERT_TIME = "08:00"
#: A pattern for ``HH:MM`` on a 24-hour clock (``00:00`` to ``23:59``, two digits each).
ALERT_TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


def parse_alert_time(value: str) -> time:
    """``"07:30"`` → ``time(7, 30)``; the value has been validated against the pattern."""
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def next_alert_at(alert_time: str, timezone: str | None, *, after: datetime) -> datetime:
    """The first instant strictly after ``after`` at which it is ``alert_time`` in ``timezone``.

    ``timezone`` is an IANA name (UTC when ``None``). On a day the clock skips the time (spring
    forward), the alert fires at the same distance past the gap (02:30 becomes 03:30); on a day
    the clock repeats it (fall back), at its first occurrence. The result is in UTC.
    """
    zone: tzinfo = ZoneInfo(timezone) if timezone else UTC
    wall = parse_alert_time(alert_time)
    day = after.astimezone(zone).date()
    while True:
        candidate = _at(day, wall, zone)
        if candidate > after:  # aware datetimes in UTC: compared as instants
            return candidate
        day += timedelta(days=1)


def _at(day: date, wall: time, zone: tzinfo) -> datetime:
    # fold=0: the earlier of a repeated time; for a skipped one, the offset before the gap.
    return datetime.combine(day, wall, tzinfo=zone).astimezone(UTC)
