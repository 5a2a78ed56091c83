"""What the dashboard's forms (and ``/api/me`` JSON bodies) accept, checked before anything is
sent to the Data Service, with messages a person can act on.

Each ``parse_*`` function takes the submitted fields (form or JSON, as a mapping) and returns
the clean values, or raises :class:`InvalidForm` naming each bad field.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cache
from typing import Any

#: Files of the tz database that name no place a person lives in (as the Data Service says).
_NOT_A_PLACE = frozenset({"localtime", "Factory", "posixrules"})
UNITS = {
    "metric": "Metric (°C, m/s)",
    "imperial": "Imperial (°F, mph)",
    "standard": "Standard (K, m/s)",
}
_HH_MM = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
_SETTING_KEY = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
MAX_LOCATION, MAX_REMINDER, MAX_SETTING_VALUE = 255, 500, 2000


class InvalidForm(Exception):
    """Some fields are wrong: ``errors`` maps each field name to a message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {msg}" for field, msg in errors.items()))
        self.errors = dict(errors)


@cache
def timezones() -> tuple[str, ...]:
    """Every IANA zone name, sorted (reads the tz database once: call it at start)."""
    return tuple(sorted(zoneinfo.available_timezones() - _NOT_A_PLACE))


@dataclass(frozen=True)
class Profile:
    """Location (``None`` clears it), units, time zone (``None``: unset, UTC)."""

    location: str | None
    units: str
    timezone: str | None


def parse_profile(fields: Mapping[str, Any]) -> Profile:
    """The profile form: ``location``, ``units``, ``timezone``."""
    errors: dict[str, str] = {}
    location = _text(fields, "location")
    if len(location) > MAX_LOCATION or "\x00" in location:
        errors["location"] = f"Use at most {MAX_LOCATION} characters."
    units = _text(fields, "units") or "metric"
    if units not in UNITS:
        errors["units"] = "Choose metric, imperial or standard."
    zone = _text(fields, "timezone")
    if zone and zone not in timezones():
        errors["timezone"] = f"“{zone[:80]}” is not a time zone; pick one from the list."
    if errors:
        raise InvalidForm(errors)
    return Profile(location or None, units, zone or None)


@dataclass(frozen=True)
class Alerts:
    """The daily weather alert: on or off, at ``time`` (``HH:MM``, local)."""

    enabled: bool
    time: str | None


def parse_alerts(fields: Mapping[str, Any]) -> Alerts:
    """The alert form: ``enabled`` (a checkbox: present means on; JSON: a boolean), ``time``."""
    raw = fields.get("enabled")
    enabled = raw is True or (isinstance(raw, str) and raw.lower() in ("on", "true", "1"))
    at = _text(fields, "time")
    if at and not _HH_MM.fullmatch(at):
        raise InvalidForm({"time": "Use a 24-hour time such as 07:30."})
    if enabled and not at:
        raise InvalidForm({"time": "Choose the time of the daily alert."})
    return Alerts(enabled, at or None)


def parse_setting(fields: Mapping[str, Any]) -> tuple[str, str]:
    """A ``config`` key and its value."""
    key, value = _text(fields, "key"), _text(fields, "value")
    errors = {}
    if not _SETTING_KEY.fullmatch(key):
        errors["key"] = "Use 1 to 64 letters, digits, dots, dashes or underscores."
    if len(value) > MAX_SETTING_VALUE or "\x00" in value:
        errors["value"] = f"Use at most {MAX_SETTING_VALUE} characters."
    if errors:
        raise InvalidForm(errors)
    return key, value


def is_setting_key(key: str) -> bool:
    """Whether ``key`` could be a ``config`` key (else no such setting exists)."""
    return bool(_SETTING_KEY.fullmatch(key))


@dataclass(frozen=True)
class NewReminder:
    """What to remind of, and when (UTC)."""

    text: str
    due_at: datetime


def parse_reminder(fields: Mapping[str, Any], *, zone: str | None, now: datetime) -> NewReminder:
    """``text``, and ``date`` (``YYYY-MM-DD``) + ``time`` (``HH:MM``) on the wall clock of
    ``zone`` (UTC when unset), which must be after ``now``."""
    errors: dict[str, str] = {}
    text = _text(fields, "text")
    if not text:
        errors["text"] = "Say what to remind you of."
    elif len(text) > MAX_REMINDER or "\x00" in text:
        errors["text"] = f"Use at most {MAX_REMINDER} characters."
    try:
        due_at = to_instant(_text(fields, "date"), _text(fields, "time"), zone)
    except InvalidForm as exc:
        errors.update(exc.errors)
    else:
        if due_at <= now:
            errors["time"] = "That time has passed; choose one in the future."
    if errors:
        raise InvalidForm(errors)
    return NewReminder(text, due_at)


def to_instant(day: str, at: str, zone: str | None) -> datetime:
    """The UTC instant of local ``day`` ``at`` in ``zone``; :class:`InvalidForm` for a date or
    time that is not one, or a wall-clock time that does not exist there (a DST gap)."""
    try:
        local_day = date.fromisoformat(day)
    except ValueError:
        raise InvalidForm({"date": "Choose a date (YYYY-MM-DD)."}) from None
    if not 1970 <= local_day.year <= 8999:
        raise InvalidForm({"date": "Choose a date between the years 1970 and 8999."})
    if not _HH_MM.fullmatch(at):
        raise InvalidForm({"time": "Use a 24-hour time such as 07:30."})
    tz = zoneinfo.ZoneInfo(zone) if zone else UTC
    local = datetime.combine(local_day, time.fromisoformat(at), tzinfo=tz)
    instant = local.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
        name = zone or "UTC"
        raise InvalidForm({"time": f"{at} does not exist on {day} in {name} (clocks change)."})
    return instant


def _text(fields: Mapping[str, Any], name: str) -> str:
    value = fields.get(name)
    return value.strip() if isinstance(value, str) else ""
