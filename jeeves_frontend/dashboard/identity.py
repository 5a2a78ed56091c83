"""Who signed in: the Slack person a dashboard session belongs to."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SlackIdentity:
    """A Slack user as Sign in with Slack (or the dev sign-in) names them.

    ``enterprise_id`` is set for an Enterprise Grid org; ``team_id`` is the user's own workspace.
    """

    enterprise_id: str | None
    team_id: str
    user_id: str
    name: str
    email: str | None
    team_name: str
