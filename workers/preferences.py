"""``config`` and ``alerts``: a user's settings, checked here before the Data Service stores them.

Keys are ``[a-z0-9_.-]{1,40}`` (typed in any case), values at most 200 characters, 50 keys at
most (the rules of :mod:`jeeves_shared.user_settings`, which the dashboard obeys too).
``units`` and ``timezone`` are known keys stored as fields of the user (and validated); the
others are free-form.
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import functools
import re
import zoneinfo

import aiohttp
import structlog
from slack_sdk.errors import SlackApiError

from jeeves_shared.auth.errors import AuthError
from jeeves_shared.dataclient import (
    DataServiceClient,
    DataServiceError,
    InvalidRequest,
    NotFound,
    User,
)
from jeeves_shared.messages import Action
from jeeves_shared.user_settings import KEY, MAX_KEYS, MAX_VALUE, UNITS
from workers.deps import UserDeps
from workers.mrkdwn import to_slack_text
from workers.people import asker
from workers.slack.tokens import with_bot_token
from workers.weather_text import API_KEY_SETTING

log = structlog.get_logger(__name__)

CONFIG_USAGE = (
    "Say `config show`, `config get <key>`, `config set <key> <value>` or `config unset <key>`."
)
_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
#: Punctuation that ends a sentence, not a setting name (``config get units?``).
_FINAL = ".?!"
NO_WEATHER_KEY = (
    f" Note: weather isn't set up on this Jeeves (`{API_KEY_SETTING}` is not set), so until it "
    "is, each alert will only apologise."
)


def quoted(value: str) -> str:
    """A setting's value as it is stored, in quotes, safe for Slack: ``“a  b”``."""
    return f"“{to_slack_text(value, keep_spaces=True)}”"


async def config(action: Action, deps: UserDeps) -> str:
    """``config show | get <key> | set <key> <value> | unset <key>``."""
    verb, _, rest = action.args.strip().partition(" ")
    key, _, value = rest.strip().partition(" ")
    verb, key, value = verb.lower().rstrip(_FINAL), key.lower(), value.strip()
    if verb != "set" or not value:
        key = key.rstrip(_FINAL)  # the end of the sentence, not of the name
    data = deps.data
    if verb in ("", "show"):
        return show(await asker(data, action))
    if verb not in ("get", "set", "unset") or not key:
        return CONFIG_USAGE
    if not KEY.fullmatch(key):
        return (
            f"`{to_slack_text(key[:50])}` is not a setting name: use 1 to 40 of a-z, 0-9, `_ . -`."
        )
    user = await asker(data, action)
    if verb == "get":
        return get(user, key)
    if verb == "unset":
        return await unset(data, user, key)
    return await set_value(data, user, key, value)


def show(user: User) -> str:
    """Every setting of ``user``."""
    lines = [
        "Your settings:",
        f"• `units`: {quoted(user.units)}",
        f"• `timezone`: {quoted(user.timezone) if user.timezone else 'not set (UTC)'}",
    ]
    lines += [f"• `{key}`: {quoted(value)}" for key, value in sorted(user.settings.items())]
    return "\n".join(lines)


def get(user: User, key: str) -> str:
    """One setting of ``user``."""
    value = {"units": user.units, "timezone": user.timezone}.get(key, user.settings.get(key))
    if value is None:
        return f"`{key}` is not set."
    return f"`{key}` is {quoted(value)}."


async def set_value(data: DataServiceClient, user: User, key: str, value: str) -> str:
    """Set one setting; ``units`` and ``timezone`` are checked."""
    if not value:
        return f"What should `{key}` be? Say `config set {key} <value>`."
    if len(value) > MAX_VALUE:
        return f"That value is too long ({len(value)} characters; {MAX_VALUE} at most)."
    if key == "units":
        return await _set_units(data, user, value.lower())
    if key == "timezone":
        return await _set_timezone(data, user, value)
    if key not in user.settings and len(user.settings) >= MAX_KEYS:
        return f"You have {MAX_KEYS} settings already; `config unset` one first."
    await data.set_setting(user.id, key, value)
    return f"`{key}` is now {quoted(value)}."


async def _set_units(data: DataServiceClient, user: User, units: str) -> str:
    if units not in UNITS:
        return "`units` is `metric` or `imperial`."
    await data.update_user(user.id, {"units": units})
    return f"`units` is now {quoted(units)}."


async def _set_timezone(data: DataServiceClient, user: User, name: str) -> str:
    zones = await asyncio.to_thread(_timezones_by_folded_name)
    canonical = zones.get(name.casefold())
    if canonical is None:
        return unknown_timezone(name, zones)
    try:
        await data.update_user(user.id, {"timezone": canonical})
    except InvalidRequest:  # known to tzdata here but not to the Data Service
        return unknown_timezone(name, {})
    return f"`timezone` is now {quoted(canonical)}."


def unknown_timezone(name: str, zones: dict[str, str]) -> str:
    """The refusal of an unknown timezone, with the closest IANA names when any is close."""
    close = difflib.get_close_matches(name.casefold(), zones, n=1, cutoff=0.75)
    hint = "".join(f"`{zones[folded]}`" for folded in close)
    example = "`Europe/Paris` or `America/New_York`"
    return f"I don't know the timezone {quoted(name[:60])}. " + (
        f"Did you mean {hint}?" if hint else f"Use an IANA name such as {example}."
    )


@functools.cache
def _timezones_by_folded_name() -> dict[str, str]:
    """IANA names by their case-folded form (reads the tz database once: call off the loop)."""
    return {zone.casefold(): zone for zone in zoneinfo.available_timezones()}


async def unset(data: DataServiceClient, user: User, key: str) -> str:
    """Remove a setting (``units`` goes back to metric, ``timezone`` to UTC)."""
    if key in ("units", "timezone"):
        await data.update_user(
            user.id, {"units": "metric"} if key == "units" else {"timezone": None}
        )
        return f"`{key}` is back to its default."
    try:
        await data.unset_setting(user.id, key)
    except NotFound:
        return f"`{key}` was not set."
    return f"`{key}` is unset."


async def alerts(action: Action, deps: UserDeps) -> str:
    """``alerts``, ``alerts on [HH:MM]``, ``alerts off``."""
    verb, _, when = action.args.strip().lower().partition(" ")
    data = deps.data
    user = await asker(data, action)
    if verb == "":
        return describe_alerts(user)
    if verb == "off":
        await data.set_alerts(user.id, enabled=False)
        return "Daily weather alerts are off."
    if verb != "on":
        return "Say `alerts on`, `alerts on HH:MM` (24-hour clock) or `alerts off`."
    time = to_hhmm(when.strip()) if when.strip() else (user.alert_time or "08:00")
    if time is None:
        return (
            f"`{to_slack_text(when[:20])}` is not a time: use HH:MM, for example `alerts on 07:30`."
        )
    if user.timezone is None and (zone := await slack_timezone(deps, action, user.slack_user_id)):
        with contextlib.suppress(InvalidRequest):  # a zone Slack knows but we do not: UTC
            user = await data.update_user(user.id, {"timezone": zone})
    user = await data.set_alerts(user.id, enabled=True, time=time)
    if not deps.has_weather_key:
        return describe_alerts(user) + NO_WEATHER_KEY
    return describe_alerts(user)


async def slack_timezone(deps: UserDeps, action: Action, slack_user_id: str) -> str | None:
    """The timezone Slack knows for the user (``users.info``, with the token of the
    installation ``action`` came through), when Jeeves may ask Slack."""
    slack, tokens = deps.slack, deps.tokens
    if slack is None or tokens is None:
        return None
    try:
        answer = await with_bot_token(
            tokens,
            action.conversation.installation,
            lambda token: slack.users_info(user=slack_user_id, token=token),
        )
    except SlackApiError as exc:
        log.info("slack.users_info_failed", error=exc.response.get("error"))
        return None
    except (DataServiceError, AuthError) as exc:  # no token for it now: UTC will do
        log.info("slack.users_info_failed", error=type(exc).__name__)
        return None
    except (aiohttp.ClientError, TimeoutError) as exc:  # optional: fall back to UTC
        log.info("slack.users_info_failed", error=type(exc).__name__)
        return None
    profile = answer.get("user")
    zone = profile.get("tz") if isinstance(profile, dict) else None
    return zone if isinstance(zone, str) and zone else None


def describe_alerts(user: User) -> str:
    """Whether ``user`` gets daily alerts, when, and what is missing."""
    if not user.alerts_enabled:
        return "Daily weather alerts are off. Say `alerts on [HH:MM]` to get one every day."
    zone = user.timezone or "UTC (set yours with `config set timezone <name>`)"
    text = f"Daily weather alerts are on, at {user.alert_time} {zone}."
    if not user.location:
        text += " I need your location for them: `set location <place>`."
    return text


def to_hhmm(text: str) -> str | None:
    """``7:30`` → ``07:30``; None when ``text`` is not a 24-hour time."""
    match = _TIME.fullmatch(text)
    return f"{int(match[1]):02d}:{match[2]}" if match else None
