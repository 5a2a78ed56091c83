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

from jeeves_shared import user_settings

#: Files of the tz database that name no place a person lives in (as the Data Service says).
_NOT_A_PLACE = frozenset({"localtime", "Factory", "posixrules"})
_UNIT_LABELS = {"metric": "Metric (°C, m/s)", "imperial": "Imperial (°F, mph)"}
#: The units offered, with their labels: exactly those chat accepts.
UNITS = {units: _UNIT_LABELS[units] for units in user_settings.UNITS}
_HH_MM = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
MAX_LOCATION, MAX_REMINDER = 255, 500


class InvalidForm(Exception):
    """Some fields are wrong: ``errors`` maps each field name to a message. Answered 422, or
    ``status`` (415 for a body that is neither JSON nor a form)."""

    def __init__(self, errors: Mapping[str, str], *, status: int = 422) -> None:
        super().__init__("; ".join(f"{field}: {msg}" for field, msg in errors.items()))
        self.errors = dict(errors)
        self.status = status


@cache
def timezones() -> tuple[str, ...]:
    """Every IANA zone name, sorted (reads the tz database once: call it at start)."""
    return tuple(sorted(zoneinfo.available_timezones() - _NOT_A_PLACE))


def parse_profile(fields: Mapping[str, Any]) -> dict[str, str | None]:
    """The profile form or a ``PATCH /api/me`` body: ``location``, ``units``, ``timezone``.

    Returns the changes: only the fields present (a partial JSON body leaves the others as they
    are); ``None`` (an empty or ``null`` ``location`` or ``timezone``) clears one. A value that is
    not text (JSON ``5``, ``[...]``, ``{...}``) is refused, never taken for empty.
    """
    errors: dict[str, str] = {}
    changes: dict[str, str | None] = {}
    for name in ("location", "units", "timezone"):
        if name not in fields:
            continue
        raw = fields[name]
        if raw is not None and not isinstance(raw, str):
            errors[name] = f"Send {name} as text (a string), or null to clear it."
            continue
        changes[name] = raw.strip() if raw is not None else None
    location = changes.get("location")
    if location is not None:
        if "\x00" in location:
            errors["location"] = "Remove the NUL character; a location is plain text."
        elif len(location) > MAX_LOCATION:
            errors["location"] = f"Use at most {MAX_LOCATION} characters."
        changes["location"] = location or None
    if "units" in changes and changes["units"] not in UNITS:
        errors.setdefault("units", f"Choose {' or '.join(UNITS)}.")
    zone = changes.get("timezone")
    if zone is not None:
        if zone and zone not in timezones():
            errors["timezone"] = f"“{zone[:80]}” is not a time zone; pick one from the list."
        changes["timezone"] = zone or None
    if errors:
        raise InvalidForm(errors)
    return changes


@dataclass(frozen=True)
class Alerts:
    """The daily weather alert: on or off, at ``time`` (``HH:MM``, local)."""

    enabled: bool
    time: str | None


def parse_alerts(fields: Mapping[str, Any], *, is_json: bool = False) -> Alerts:
    """The alert form: ``enabled`` (a checkbox: present means on), ``time``; a JSON body
    (``is_json``) must give ``enabled`` as a boolean, and ``time`` as text if at all."""
    raw = fields.get("enabled")
    if is_json:
        if not isinstance(raw, bool):
            raise InvalidForm({"enabled": "Send enabled as true or false."})
        if fields.get("time") is not None and not isinstance(fields.get("time"), str):
            raise InvalidForm({"time": 'Send time as text such as "07:30".'})
        enabled = raw
    else:
        enabled = isinstance(raw, str) and raw.lower() in ("on", "true", "1")
    at = _text(fields, "time")
    if at and not _HH_MM.fullmatch(at):
        raise InvalidForm({"time": "Use a 24-hour time such as 07:30."})
    if enabled and not at:
        raise InvalidForm({"time": "Choose the time of the daily alert."})
    return Alerts(enabled, at or None)


def parse_workspace_alerts(fields: Mapping[str, Any], *, is_json: bool = False) -> bool:
    """The workspace's daily-alerts switch: ``daily_alerts_enabled`` (a checkbox: present
    means on); a JSON body (``is_json``) must give it as a boolean."""
    raw = fields.get("daily_alerts_enabled")
    if is_json:
        if not isinstance(raw, bool):
            raise InvalidForm(
                {"daily_alerts_enabled": "Send daily_alerts_enabled as true or false."}
            )
        return raw
    return isinstance(raw, str) and raw.lower() in ("on", "true", "1")


def parse_setting(fields: Mapping[str, Any], current: Mapping[str, str]) -> tuple[str, str]:
    """A ``config`` key (normalised: lower case) and its value, under chat's ``config`` rules
    (:mod:`jeeves_shared.user_settings`); ``current`` is the person's settings (for the cap)."""
    errors = {}
    key, value = _text(fields, "key"), _text(fields, "value")
    for name, raw in (("key", fields.get("key")), ("value", fields.get("value"))):
        if raw is not None and not isinstance(raw, str):
            errors[name] = f"Send {name} as text (a string)."
    key = user_settings.normalise_key(key)
    if "key" in errors:
        pass
    elif key in user_settings.TYPED_KEYS:
        field = user_settings.TYPED_KEYS[key]
        errors["key"] = f"Set {key} with the “{field}” field under Your settings, not here."
    elif not user_settings.KEY.fullmatch(key):
        errors["key"] = (
            f"Use 1 to {user_settings.MAX_KEY_LENGTH} letters, digits, dots, dashes or underscores."
        )
    elif key not in current and len(current) >= user_settings.MAX_KEYS:
        errors["key"] = f"You have {user_settings.MAX_KEYS} settings already; remove one first."
    if "value" in errors:
        pass
    elif not value:
        errors["value"] = "Give the setting a value."
    elif "\x00" in value:
        errors["value"] = "Remove the NUL character; a value is plain text."
    elif len(value) > user_settings.MAX_VALUE:
        errors["value"] = f"Use at most {user_settings.MAX_VALUE} characters."
    if errors:
        raise InvalidForm(errors)
    return key, value


def setting_key(key: str) -> str | None:
    """``key`` normalised as chat's ``config`` does, or ``None`` if it could name no setting."""
    key = user_settings.normalise_key(key)
    return key if user_settings.KEY.fullmatch(key) else None


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
