"""Pydantic models of the JSON API: what comes in (validated) and what goes out.

They are also the source of the OpenAPI document (:mod:`dataservice.openapi`), so the schema
served at ``/openapi.json`` and the validation applied to requests cannot drift apart.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    MISSING,
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    WithJsonSchema,
)

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
#: Row ids are 32-bit integers on PostgreSQL.
RowId = Annotated[int, Field(ge=1, le=2**31 - 1)]
Units = Literal["metric", "imperial", "standard"]
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


class EventClaim(_Output):
    """A successful claim."""

    event_id: str
    first_seen: datetime


class Health(_Output):
    """Liveness and readiness answers."""

    status: Literal["ok", "unavailable"]
    checks: dict[str, str] = Field(default_factory=dict)
