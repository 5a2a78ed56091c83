"""Inputs of ``/api/v1/users``; the answers are :class:`~jeeves_shared.dataclient.models.User`
and :class:`~jeeves_shared.dataclient.models.UserPage`."""

from __future__ import annotations

from pydantic import MISSING, AwareDatetime

from dataservice.schemas.types import (
    AlertTime,
    InputModel,
    PageQuery,
    SettingValue,
    ShortText,
    SlackId,
    TimezoneName,
)
from jeeves_shared.dataclient.models import Units


class UserLookup(InputModel):
    """Body of get-or-create: who the user is, and a name to use if they are new."""

    team_id: SlackId
    slack_user_id: SlackId
    display_name: ShortText = ""


class UserUpdate(InputModel):
    """Body of a user update: only the fields present change; ``null`` clears a nullable one."""

    display_name: ShortText | MISSING = MISSING
    location: ShortText | MISSING | None = MISSING
    timezone: TimezoneName | MISSING | None = MISSING
    units: Units | MISSING = MISSING
    is_admin: bool | MISSING = MISSING
    """Slack's ``is_admin`` (``users.info``, ``user_change``); with ``is_owner``, also records
    when the roles were checked (``roles_checked_at``)."""
    is_owner: bool | MISSING = MISSING
    """Slack's ``is_owner``."""
    roles_as_of: AwareDatetime | MISSING = MISSING
    """When Slack said what ``is_admin`` / ``is_owner`` say (``user_change``'s
    ``event_time``): roles older than the stored ``roles_checked_at`` are left out."""


class SettingValueIn(InputModel):
    """Body of setting one key."""

    value: SettingValue


class UserListQuery(PageQuery):
    """Query string of the user list."""

    team_id: SlackId | None = None


class AlertsUpdate(InputModel):
    """Body of switching the daily weather alert on or off.

    ``time`` is the local ``HH:MM`` (24-hour); when switching on without one, the stored time
    is kept, or 08:00 if there is none.
    """

    enabled: bool
    time: AlertTime | None = None
