"""Who signed in: the person as Slack (or ``jeeves dev``) vouches for them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SlackIdentity:
    """A person, as Sign in with Slack's ``id_token`` (OpenID Connect) names them.

    ``team_id`` is their workspace (``https://slack.com/team_id``), ``user_id`` their Slack
    user id (``https://slack.com/user_id``), ``enterprise_id`` their Enterprise Grid org, if any.
    """

    enterprise_id: str | None
    team_id: str
    user_id: str
    name: str
    email: str | None
    team_name: str
    #: Their time zone in Slack (``users.info``'s ``tz``), if known: given to a new user.
    timezone: str | None = None
    #: Slack's ``is_admin`` and ``is_owner`` (``users.info``); ``None``: not known (the stored
    #: roles stay as they are).
    is_admin: bool | None = None
    is_owner: bool | None = None
