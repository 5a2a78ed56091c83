"""Which IANA time zone names exist (read once from the tz database, off the event loop)."""

from __future__ import annotations

import zoneinfo
from functools import cache

#: Files of the tz database that name no place a person lives in: ``localtime`` is a link to
#: whatever zone this machine is set to, ``Factory`` is tzdata's placeholder zone (``-00``,
#: "local time is unknown"), ``posixrules`` the template for POSIX ``TZ`` strings.
NOT_A_PLACE = frozenset({"localtime", "Factory", "posixrules"})


@cache
def known_timezones() -> frozenset[str]:
    """Every IANA zone name this machine knows, less :data:`NOT_A_PLACE`. Reads the tz
    database: call it off the loop once (:func:`dataservice.app.create_app` does, before
    serving)."""
    return frozenset(zoneinfo.available_timezones()) - NOT_A_PLACE


def check_timezone(name: str) -> str:
    """Return ``name`` if it is a known IANA zone; raise :class:`ValueError` otherwise."""
    if name not in known_timezones():
        raise ValueError(f"unknown time zone {name!r} (expected an IANA name such as Europe/Paris)")
    return name
