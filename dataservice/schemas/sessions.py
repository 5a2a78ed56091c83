"""Inputs of ``/api/v1/sessions`` and ``/api/v1/me``; the answers are
:class:`~jeeves_shared.dataclient.models.SessionCreated`,
:class:`~jeeves_shared.dataclient.models.User` and
:class:`~jeeves_shared.dataclient.models.MyReminders`."""

from __future__ import annotations

from typing import Annotated

from pydantic import MISSING, Field, StringConstraints, model_validator

from dataservice.schemas.types import InputModel, ShortText, SlackId, TimezoneName
from jeeves_shared.dataclient.models import Units

# A session id as the Data Service makes them (URL-safe base64 of 32 random bytes).
SessionId = Annotated[
    str, StringConstraints(min_length=20, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")
]
# A session lasts from a minute to a week.
LifetimeSeconds = Annotated[int, Field(ge=60, le=7 * 86400)]


class SessionCreate(InputModel):
    """Body of a sign-in: who signed in (their user is created on first sight), for how long."""

    team_id: SlackId
    slack_user_id: SlackId
    display_name: ShortText = ""
    team_name: ShortText = ""
    timezone: TimezoneName | None = None
    """Their time zone in Slack: stored when they have none yet."""
    is_admin: bool | None = None
    """Slack's ``is_admin`` (``users.info``): with ``is_owner``, replaces the stored roles."""
    is_owner: bool | None = None
    """Slack's ``is_owner``; both or neither (``null``: unknown, the stored roles stay)."""
    lifetime_seconds: LifetimeSeconds

    @model_validator(mode="after")
    def _both_roles_or_neither(self) -> SessionCreate:
        # One role alone would leave the other as it was: half of what Slack said.
        if (self.is_admin is None) != (self.is_owner is None):
            raise ValueError("give both is_admin and is_owner, or neither")
        return self


class MyProfileUpdate(InputModel):
    """What a signed-in user may change about themselves: only the fields present change;
    ``null`` clears ``location`` or ``timezone``. (Not ``is_admin``: that comes from Slack.)"""

    location: ShortText | MISSING | None = MISSING
    timezone: TimezoneName | MISSING | None = MISSING
    units: Units | MISSING = MISSING


class MyWorkspaceUpdate(InputModel):
    """What a workspace's admin may change for the whole workspace: its daily weather alerts
    (``false`` stops every user's daily alert there; their own settings are kept)."""

    daily_alerts_enabled: bool
