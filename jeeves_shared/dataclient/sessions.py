"""The Data Service calls of the front door's dashboard: sessions, and ``/me`` as the signed-in
person (scopes ``sessions:read`` / ``sessions:write``).

Every ``/me`` call carries the person's session id in the ``Jeeves-Session`` header; the Data
Service answers for that session's user only, and 403 ``invalid_session`` (raised here as
:class:`~jeeves_shared.dataclient.errors.SessionEnded`) once it expired or was revoked.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from jeeves_shared.dataclient.errors import (
    NotFound,
    NotWorkspaceAdmin,
    SessionEnded,
    Unauthorized,
)
from jeeves_shared.dataclient.models import (
    Me,
    MyReminders,
    MyWorkspace,
    Reminder,
    SessionCreated,
    User,
)
from jeeves_shared.dataclient.transport import Reply, Transport

SESSION_HEADER = "Jeeves-Session"


class SessionCalls(Transport):
    """The dashboard's calls (mixed into :class:`~jeeves_shared.dataclient.DataServiceClient`)."""

    async def create_session(
        self,
        team_id: str,
        slack_user_id: str,
        *,
        display_name: str,
        team_name: str,
        lifetime: timedelta,
        timezone: str | None = None,
        is_admin: bool | None = None,
        is_owner: bool | None = None,
    ) -> SessionCreated:
        """Sign this Slack user in for ``lifetime`` (their user is created on first sight, and
        given ``timezone``, Slack's, if they have none). ``is_admin`` and ``is_owner``, when
        given (Slack's ``users.info``), replace the stored roles; ``None`` leaves them."""
        body: dict[str, Any] = {
            "team_id": team_id,
            "slack_user_id": slack_user_id,
            "display_name": display_name,
            "team_name": team_name,
            "timezone": timezone,
            "lifetime_seconds": int(lifetime.total_seconds()),
        }
        if is_admin is not None and is_owner is not None:
            body["is_admin"], body["is_owner"] = is_admin, is_owner
        return (await self.request("POST", "/sessions", json=body)).to(SessionCreated)

    async def revoke_session(self, session_id: str) -> None:
        """Sign out: the session stops working at once, everywhere."""
        await self._as(session_id, "DELETE", "/sessions/current")

    async def get_me(self, session_id: str) -> Me:
        """The signed-in person."""
        return (await self._as(session_id, "GET", "/me")).to(Me)

    async def update_me(self, session_id: str, changes: Mapping[str, Any]) -> User:
        """Change ``location``, ``timezone`` or ``units`` (``None`` clears the first two)."""
        return (await self._as(session_id, "PATCH", "/me", json=dict(changes))).to(User)

    async def set_my_alerts(self, session_id: str, *, enabled: bool, time: str | None) -> User:
        """Switch the daily weather alert on (at ``time``, ``HH:MM`` local) or off."""
        body: dict[str, Any] = {"enabled": enabled}
        if time is not None:
            body["time"] = time
        return (await self._as(session_id, "PUT", "/me/alerts", json=body)).to(User)

    async def set_my_setting(self, session_id: str, key: str, value: str) -> User:
        """Set one free-form setting."""
        path = f"/me/settings/{quote(key, safe='')}"
        return (await self._as(session_id, "PUT", path, json={"value": value})).to(User)

    async def unset_my_setting(self, session_id: str, key: str) -> User:
        """Remove one setting; :class:`NotFound` if it was not set."""
        path = f"/me/settings/{quote(key, safe='')}"
        return (await self._as(session_id, "DELETE", path)).to(User)

    async def my_reminders(self, session_id: str) -> MyReminders:
        """Upcoming and recent reminders."""
        return (await self._as(session_id, "GET", "/me/reminders")).to(MyReminders)

    async def create_my_reminder(
        self, session_id: str, *, text: str, due_at: datetime, channel_id: str
    ) -> Reminder:
        """A new reminder of ``text`` at ``due_at`` (aware), delivered in ``channel_id``."""
        body = {"text": text, "due_at": due_at.isoformat(), "channel_id": channel_id}
        return (await self._as(session_id, "POST", "/me/reminders", json=body)).to(Reminder)

    async def cancel_my_reminder(self, session_id: str, reminder_id: int) -> bool:
        """Cancel a pending reminder; False if it is not one of theirs (or not pending)."""
        try:
            await self._as(session_id, "DELETE", f"/me/reminders/{reminder_id}")
        except NotFound:
            return False
        return True

    async def my_workspace(self, session_id: str) -> MyWorkspace:
        """The signed-in admin's workspace; :class:`NotWorkspaceAdmin` unless they are an admin
        or owner of it in Slack."""
        return (await self._as(session_id, "GET", "/me/workspace")).to(MyWorkspace)

    async def set_my_workspace_alerts(self, session_id: str, *, enabled: bool) -> MyWorkspace:
        """Switch the daily weather alerts of the admin's whole workspace on or off;
        :class:`NotWorkspaceAdmin` unless they are an admin or owner of it."""
        body = {"daily_alerts_enabled": enabled}
        return (await self._as(session_id, "PATCH", "/me/workspace", json=body)).to(MyWorkspace)

    async def _as(self, session_id: str, method: str, path: str, *, json: Any = None) -> Reply:
        """One call as the signed-in person; :class:`SessionEnded` if the session no longer
        holds, :class:`NotWorkspaceAdmin` for an admin's call by someone who is not one."""
        try:
            return await self.request(method, path, json=json, headers={SESSION_HEADER: session_id})
        except Unauthorized as exc:
            if exc.error == "invalid_session":
                raise SessionEnded(exc.status, exc.error, exc.description) from None
            if exc.error == "not_workspace_admin":
                raise NotWorkspaceAdmin(exc.status, exc.error, exc.description) from None
            raise
