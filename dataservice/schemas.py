"""Pydantic models of the JSON API: what comes in (validated) and what goes out.

They are also the source of the OpenAPI document (:mod:`dataservice.openapi`), so the schema
served at ``/openapi.json`` and the validation applied to requests cannot drift apart.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    MISSING,
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    WithJsonSchema,
)

from dataservice.alerts import ALERT_TIME_PATTERN
from dataservice.timezones import check_timezone, known_timezones

#: PostgreSQL refuses NUL in text; refuse it (and say so in the schema) before it gets there.
_NO_NUL = r"^[^\x00]*$"

SlackId = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_]+$")]
ShortText = Annotated[str, StringConstraints(max_length=255, pattern=_NO_NUL)]


def _enumerate_timezones(schema: dict[str, Any]) -> None:
    """Document the exact set accepted: the zones of this machine's tz database."""
    schema.pop("pattern", None)
    schema["enum"] = sorted(known_timezones())


TimezoneName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64),
    Field(json_schema_extra=_enumerate_timezones),
    AfterValidator(check_timezone),
]
SettingKey = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
]
SettingValue = Annotated[str, StringConstraints(max_length=2000, pattern=_NO_NUL)]
EventId = Annotated[
    str, StringConstraints(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:\-]+$")
]
IdempotencyKey = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")
]
#: A creation's ``Idempotency-Key`` (a worker's action id): printable ASCII, no spaces.
RequestKey = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[!-~]+$")]
ClaimStatus = Literal["pending", "done"]
#: Row ids are 32-bit integers on PostgreSQL.
RowId = Annotated[int, Field(ge=1, le=2**31 - 1)]
Units = Literal["metric", "imperial", "standard"]
AlertTime = Annotated[str, StringConstraints(pattern=ALERT_TIME_PATTERN)]
ReminderText = Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=_NO_NUL)]
#: A Slack message timestamp ("1712345678.123456"), which names a thread.
ThreadTs = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,20}(\.[0-9]{1,10})?$")]
#: Who holds a lease: any name a scheduler process picks for itself (host, pid, uuid...).
LeaseOwner = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=_NO_NUL)]
ReminderStatus = Literal["pending", "delivered", "cancelled"]
OAuthScope = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z:._]+$")]
_BOT_TOKEN = re.compile(r"xox[a-z]-[A-Za-z0-9-]{1,250}")


def _check_bot_token(token: SecretStr) -> SecretStr:
    """A Slack token shape; the value never appears in the error."""
    if not _BOT_TOKEN.fullmatch(token.get_secret_value()):
        raise ValueError("not a Slack token (xoxb-...)")
    return token


BotToken = Annotated[
    SecretStr,
    AfterValidator(_check_bot_token),
    WithJsonSchema(
        {"type": "string", "pattern": f"^{_BOT_TOKEN.pattern}$", "writeOnly": True},
        mode="validation",
    ),
]


# Years 1970-8999 keep every UTC conversion and "a day later" inside Python's datetime range.
_YEAR = r"(19[7-9][0-9]|[2-8][0-9]{3})"
_INSTANT = re.compile(
    _YEAR + r"-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})"
)


def _parse_instant(value: object) -> object:
    """Read RFC 3339 text ourselves: in strict mode pydantic would refuse any text once a
    validator ran first, and alone it would also read ``"0"`` as a Unix time."""
    if not isinstance(value, str):
        return value  # the strict datetime check refuses it
    if not _INSTANT.fullmatch(value):
        raise ValueError("expected an RFC 3339 date-time with an offset, years 1970 to 8999")
    return datetime.fromisoformat(value.upper())


#: An instant given with its UTC offset (``2025-03-30T08:00:00+02:00``), normalised to UTC.
Instant = Annotated[
    AwareDatetime,
    BeforeValidator(_parse_instant),
    AfterValidator(lambda value: value.astimezone(UTC)),
    WithJsonSchema(
        {"type": "string", "format": "date-time", "pattern": f"^{_YEAR}-"}, mode="validation"
    ),
]


def _whole_number(value: object) -> object:
    """JSON Schema's ``integer`` includes ``60.0``; strict pydantic alone would refuse it."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


WholeNumber = Annotated[int, BeforeValidator(_whole_number)]
#: How long a leased event claim lasts. (The bounds come first: after the validator they would
#: vanish from the JSON Schema of ``LeaseSeconds | None``.)
LeaseSeconds = Annotated[int, Field(ge=1, le=3600), BeforeValidator(_whole_number)]


class _Query(BaseModel):
    """Query strings: every value arrives as a string, so numbers are parsed from text."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class _Input(BaseModel):
    """JSON bodies: strict types (``0`` is not ``false``), no unknown fields."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class _Output(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)


# --- errors -------------------------------------------------------------------------------------


class ErrorDetail(_Output):
    """One problem with the input: where (``loc``) and what."""

    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(_Output):
    """Every error response; the auth errors use the same two first fields (RFC 6750)."""

    error: str
    error_description: str
    details: list[ErrorDetail] | None = None


# --- users --------------------------------------------------------------------------------------


class UserLookup(_Input):
    """Body of get-or-create: who the user is, and a name to use if they are new."""

    team_id: SlackId
    slack_user_id: SlackId
    display_name: ShortText = ""


class UserUpdate(_Input):
    """Body of a user update: only the fields present change; ``null`` clears a nullable one."""

    display_name: ShortText | MISSING = MISSING
    location: ShortText | MISSING | None = MISSING
    timezone: TimezoneName | MISSING | None = MISSING
    units: Units | MISSING = MISSING
    is_admin: bool | MISSING = MISSING


class SettingValueIn(_Input):
    """Body of setting one key."""

    value: SettingValue


class UserOut(_Output):
    """A user as the API shows it."""

    id: int
    team_id: str
    slack_user_id: str
    display_name: str
    location: str | None
    timezone: str | None
    units: Units
    is_admin: bool
    settings: dict[str, str]
    version: int
    created_at: datetime
    updated_at: datetime
    alerts_enabled: bool
    alert_time: str | None
    next_alert_at: datetime | None


class UserPage(_Output):
    """One page of users, oldest first; pass ``next_cursor`` back as ``cursor`` for the next."""

    items: list[UserOut]
    next_cursor: int | None


class PageQuery(_Query):
    """Paging parameters of a list endpoint (keyset pagination on the id)."""

    limit: int = Field(default=50, ge=1, le=200)
    cursor: int = Field(default=0, ge=0, le=2**31 - 1)


class UserListQuery(PageQuery):
    """Query string of the user list."""

    team_id: SlackId | None = None


class AlertsUpdate(_Input):
    """Body of switching the daily weather alert on or off.

    ``time`` is the local ``HH:MM`` (24-hour); when switching on without one, the stored time
    is kept, or 08:00 if there is none.
    """

    enabled: bool
    time: AlertTime | None = None


# --- reminders ----------------------------------------------------------------------------------


class ReminderCreate(_Input):
    """Body of a new reminder: what to say, when, and where (a thread when ``thread_ts``)."""

    text: ReminderText
    due_at: Instant
    channel_id: SlackId
    thread_ts: ThreadTs | None = None


class ReminderOut(_Output):
    """A reminder as the API shows it."""

    id: int
    user_id: int
    text: str
    due_at: datetime
    channel_id: str
    thread_ts: str | None
    status: ReminderStatus
    created_at: datetime
    delivered_at: datetime | None


class ReminderList(_Output):
    """A user's pending reminders, soonest first."""

    reminders: list[ReminderOut]


# --- scheduling ---------------------------------------------------------------------------------


class ClaimRequest(_Input):
    """Body of a claim: who claims, the time it is, how long to hold each item, how many."""

    owner: LeaseOwner
    now: Instant
    lease_seconds: WholeNumber = Field(default=60, ge=5, le=3600)
    limit: WholeNumber = Field(default=100, ge=1, le=500)


class ReminderDone(_Input):
    """Body of reporting a claimed reminder delivered."""

    owner: LeaseOwner


class AlertDone(_Input):
    """Body of reporting a claimed alert sent: ``due_at`` as the claim gave it."""

    owner: LeaseOwner
    due_at: Instant


class DueReminderOut(ReminderOut):
    """A claimed reminder, with the Slack ids needed to deliver it."""

    team_id: str
    slack_user_id: str


class DueAlertOut(_Output):
    """A claimed daily alert: whom to send the weather, where they are and in which units."""

    user_id: int
    team_id: str
    slack_user_id: str
    due_at: datetime
    timezone: str | None
    location: str | None
    units: Units


class ClaimedOut(_Output):
    """What one claim leased to the caller (at most ``limit`` of each kind)."""

    reminders: list[DueReminderOut]
    alerts: list[DueAlertOut]


# --- workspaces ---------------------------------------------------------------------------------


class WorkspaceCreate(_Input):
    """Body of a workspace creation (what the OAuth install flow learns)."""

    team_id: SlackId
    name: ShortText = ""
    bot_user_id: SlackId | None = None
    bot_id: SlackId | None = None
    bot_token: BotToken | None = None
    scopes: list[OAuthScope] = Field(default_factory=list, max_length=100)
    is_installed: bool = True
    is_active: bool = True


class WorkspaceUpdate(_Input):
    """Body of a workspace update: only the fields present change; ``null`` clears one."""

    name: ShortText | MISSING = MISSING
    bot_user_id: SlackId | MISSING | None = MISSING
    bot_id: SlackId | MISSING | None = MISSING
    bot_token: BotToken | MISSING | None = MISSING
    scopes: Annotated[list[OAuthScope], Field(max_length=100)] | MISSING = MISSING
    is_installed: bool | MISSING = MISSING
    is_active: bool | MISSING = MISSING


class WorkspaceOut(_Output):
    """A workspace as the API shows it: whether it has a bot token, never the token."""

    team_id: str
    name: str
    bot_user_id: str | None
    bot_id: str | None
    has_bot_token: bool
    scopes: list[str]
    is_installed: bool
    is_active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class WorkspacePage(_Output):
    """One page of workspaces."""

    items: list[WorkspaceOut]
    next_cursor: int | None


class BotTokenOut(_Output):
    """The decrypted bot token (scope ``workspaces:tokens`` only)."""

    team_id: str
    bot_token: str


# --- events and health --------------------------------------------------------------------------


class EventLeaseRequest(_Input):
    """Optional body of a claim: hold it ``pending`` for ``lease_seconds``, not for good."""

    lease_seconds: LeaseSeconds | None = None


class EventClaim(_Output):
    """A claim the caller holds: ``done``, or ``pending`` until ``lease_until``.

    ``taken_over``: its holder took it from another claimer whose lease had ended, who may
    have done the work before dying (said again to the holder's retries).
    """

    event_id: str
    first_seen: datetime
    status: ClaimStatus
    lease_until: datetime | None
    taken_over: bool = False


class ClaimConflictBody(ErrorBody):
    """409 on an event: someone else's claim is ``done`` (skip the event), or ``pending`` until
    ``lease_until`` (the answer's ``Retry-After`` says in how many seconds)."""

    status: ClaimStatus
    lease_until: datetime | None = None


class ClaimItem(_Input):
    """One event of a batch, with the caller's key for it."""

    event_id: EventId
    key: IdempotencyKey


#: Events one batch may carry.
MAX_BATCH = 100


class LeaseBatchRequest(_Input):
    """Lease several events at once, each under its own key, for ``lease_seconds``."""

    lease_seconds: LeaseSeconds
    claims: list[ClaimItem] = Field(min_length=1, max_length=MAX_BATCH)


class LeaseOutcome(_Output):
    """What a leased claim came to: ``acquired`` (the caller holds it; ``taken_over`` from a
    holder whose lease ended), ``done`` (skip it) or ``held`` (by another, ``retry_after``
    seconds more)."""

    event_id: str
    status: Literal["acquired", "done", "held"]
    retry_after: int = 0
    taken_over: bool = False


class LeaseBatchOut(_Output):
    """One outcome per claim asked, in the order asked."""

    results: list[LeaseOutcome]


class DoneBatchRequest(_Input):
    """Report several leased claims done."""

    claims: list[ClaimItem] = Field(min_length=1, max_length=MAX_BATCH)


class DoneOutcome(_Output):
    """``done``; ``taken`` (another claimer took it over after the lease ended) or
    ``not_found`` (no claim: it was released)."""

    event_id: str
    status: Literal["done", "taken", "not_found"]


class DoneBatchOut(_Output):
    """One outcome per claim reported, in the order reported."""

    results: list[DoneOutcome]


class Health(_Output):
    """Liveness (``ok``) and readiness answers (the shape of every ``/readyz``)."""

    status: Literal["ok", "ready", "starting", "unavailable", "draining"]
    checks: dict[str, str] = Field(default_factory=dict)
