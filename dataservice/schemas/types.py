"""The constrained field types of the API's inputs, and the bases of its input models.

What a field accepts is said once here, where both the validation and the OpenAPI schema
(``model_json_schema`` output) read it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
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
# A reply id (the path segment of `/events/{event_id}`).
EventId = Annotated[
    str, StringConstraints(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:\-]+$")
]
IdempotencyKey = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")
]
#: A creation's ``Idempotency-Key`` (a worker's action id): printable ASCII, no spaces.
RequestKey = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[!-~]+$")]
#: Row ids are 32-bit integers on PostgreSQL.
RowId = Annotated[int, Field(ge=1, le=2**31 - 1)]
AlertTime = Annotated[str, StringConstraints(pattern=ALERT_TIME_PATTERN)]
ReminderText = Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=_NO_NUL)]
#: A Slack message timestamp ("1712345678.123456"), which names a thread.
ThreadTs = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,20}(\.[0-9]{1,10})?$")]
#: Who holds a lease: any name a scheduler process picks for itself (host, pid, uuid...).
LeaseOwner = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=_NO_NUL)]
OAuthScope = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z:._]+$")]
#: Any token Slack issues: ``xoxb-`` (bot), ``xoxp-`` (user)..., and with token rotation on the
#: same prefixed by ``xoxe.`` (``xoxe.xoxb-1-...``).
_ANY_SHAPE = r"(xoxe\.)?xox[a-z]-[A-Za-z0-9-]{1,250}"
#: A bot token, rotating or not.
_BOT_SHAPE = r"(xoxe\.)?xoxb-[A-Za-z0-9-]{1,250}"
#: A refresh token (token rotation): ``xoxe-1-...``.
_REFRESH_SHAPE = r"xoxe-[A-Za-z0-9-]{1,250}"


def _token_check(pattern: str, what: str) -> Callable[[SecretStr], SecretStr]:
    """A validator of a secret matching ``pattern``; its value never appears in the error."""
    compiled = re.compile(pattern)

    def check(token: SecretStr) -> SecretStr:
        if not compiled.fullmatch(token.get_secret_value()):
            raise ValueError(f"not {what}")
        return token

    return check


def _token_schema(pattern: str) -> WithJsonSchema:
    """Write-only, with its pattern, and no example (an example would look like a token)."""
    return WithJsonSchema(
        {"type": "string", "pattern": f"^{pattern}$", "writeOnly": True}, mode="validation"
    )


SlackToken = Annotated[
    SecretStr,
    AfterValidator(_token_check(_ANY_SHAPE, "a Slack token (xoxb-..., xoxe.xoxb-...)")),
    _token_schema(_ANY_SHAPE),
]
SlackBotToken = Annotated[
    SecretStr,
    AfterValidator(_token_check(_BOT_SHAPE, "a Slack bot token (xoxb-... or xoxe.xoxb-...)")),
    _token_schema(_BOT_SHAPE),
]
SlackRefreshToken = Annotated[
    SecretStr,
    AfterValidator(_token_check(_REFRESH_SHAPE, "a Slack refresh token (xoxe-...)")),
    _token_schema(_REFRESH_SHAPE),
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
#: How long a reply lease lasts. (The bounds come first: after the validator they would
#: vanish from the JSON Schema.)
LeaseSeconds = Annotated[int, Field(ge=1, le=3600), BeforeValidator(_whole_number)]


class QueryModel(BaseModel):
    """Query strings: every value arrives as a string, so numbers are parsed from text."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class InputModel(BaseModel):
    """JSON bodies: strict types (``0`` is not ``false``), no unknown fields."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class PageQuery(QueryModel):
    """Paging parameters of a list endpoint (keyset pagination on the id)."""

    limit: int = Field(default=50, ge=1, le=200)
    cursor: int = Field(default=0, ge=0, le=2**31 - 1)
