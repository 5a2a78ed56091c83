"""The Data Service client workers use: one typed method per API operation.

One :class:`DataServiceClient` per process, over the process's pooled ``aiohttp`` session::

    tokens = TokenClient(session, token_url=..., client_id=..., client_secret=...)
    data = DataServiceClient.from_token_client(session, base_url, tokens, scopes=WORKER_SCOPES)
    user = await data.get_or_create_user("T1", "U1")
    user = await data.update_user(user.id, {"location": "Paris"}, if_match=user.etag)

Tokens, retries and backoff are the :class:`~jeeves_shared.dataclient.transport.Transport`'s;
the answers are the wire models of :mod:`jeeves_shared.dataclient.models`, shared with the
service. Reply claims send an ``Idempotency-Key`` so a retried claim whose first answer was lost
is not mistaken for a rival's; so do reminder creations given one, so a retried or redelivered
creation makes one reminder.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import aiohttp

from jeeves_shared.auth.client import TokenClient
from jeeves_shared.dataclient.errors import (
    Conflict,
    InstallationInactive,
    InstallationNotFound,
    NotFound,
)
from jeeves_shared.dataclient.models import (
    BotToken,
    Claimed,
    DoneOutcome,
    DoneOutcomes,
    Installation,
    LeaseOutcome,
    LeaseOutcomes,
    NewInstallation,
    Reminder,
    ReminderList,
    User,
    UserPage,
    Workspace,
    WorkspaceBotToken,
    WorkspacePage,
)
from jeeves_shared.dataclient.scopes import AUDIENCE, WORKER_SCOPES
from jeeves_shared.dataclient.sessions import SessionCalls
from jeeves_shared.installations import InstallationKey

#: The error code of a 409 on an inactive installation.
INSTALLATION_INACTIVE = "installation_inactive"


class DataServiceClient(SessionCalls):
    """Typed calls to the Data Service's ``/api/v1`` (see
    :class:`~jeeves_shared.dataclient.transport.Transport` for the options: timeout, retries,
    backoff; the dashboard's calls are :class:`~jeeves_shared.dataclient.sessions.SessionCalls`)."""

    @classmethod
    def from_token_client(
        cls,
        session: aiohttp.ClientSession,
        base_url: str,
        tokens: TokenClient,
        *,
        scopes: Iterable[str] = WORKER_SCOPES,
        audience: str = AUDIENCE,
        **options: Any,
    ) -> DataServiceClient:
        """A client getting its tokens for ``scopes`` from ``tokens``."""
        wanted = tuple(scopes)

        async def token() -> str:
            return await tokens.get_token(audience, wanted)

        return cls(session, base_url, token, on_rejected=tokens.invalidate, **options)

    # --- users ----------------------------------------------------------------------------------

    async def get_or_create_user(
        self, team_id: str, slack_user_id: str, display_name: str = ""
    ) -> User:
        """The user known by these Slack ids, created on first sight."""
        body = {"team_id": team_id, "slack_user_id": slack_user_id, "display_name": display_name}
        return (await self.request("POST", "/users", json=body)).to(User)

    async def get_user(self, user_id: int) -> User:
        """The user ``user_id``; :class:`NotFound` if none."""
        return (await self.request("GET", f"/users/{user_id}")).to(User)

    async def find_user(self, team_id: str, slack_user_id: str) -> User | None:
        """The user known by these Slack ids, or ``None``."""
        try:
            reply = await self.request(
                "GET", f"/workspaces/{_q(team_id)}/users/{_q(slack_user_id)}"
            )
        except NotFound:
            return None
        return reply.to(User)

    async def update_user(
        self, user_id: int, changes: Mapping[str, Any], *, if_match: str | None = None
    ) -> User:
        """Change ``display_name``, ``location``, ``timezone``, ``units``, or the Slack roles
        ``is_admin`` / ``is_owner`` (with ``roles_as_of``, a datetime: kept only if newer than
        the stored ones).

        With ``if_match`` (a :attr:`User.etag`), :class:`PreconditionFailed` if it changed since.
        """
        reply = await self.request(
            "PATCH", f"/users/{user_id}", json=dict(changes), headers=_if_match(if_match)
        )
        return reply.to(User)

    async def set_setting(
        self, user_id: int, key: str, value: str, *, if_match: str | None = None
    ) -> User:
        """Set one free-form setting of a user."""
        path = f"/users/{user_id}/settings/{_q(key)}"
        reply = await self.request("PUT", path, json={"value": value}, headers=_if_match(if_match))
        return reply.to(User)

    async def unset_setting(self, user_id: int, key: str, *, if_match: str | None = None) -> User:
        """Remove one setting; :class:`NotFound` if it was not set."""
        path = f"/users/{user_id}/settings/{_q(key)}"
        return (await self.request("DELETE", path, headers=_if_match(if_match))).to(User)

    async def list_users(
        self, *, team_id: str | None = None, limit: int = 50, cursor: int = 0
    ) -> UserPage:
        """One page of users (of one workspace if ``team_id``)."""
        params: dict[str, str | int] = {"limit": limit, "cursor": cursor}
        if team_id is not None:
            params["team_id"] = team_id
        return (await self.request("GET", "/users", params=params)).to(UserPage)

    async def iter_users(
        self, *, team_id: str | None = None, page_size: int = 100
    ) -> AsyncIterator[User]:
        """Every user, fetched a page at a time."""
        cursor: int | None = 0
        while cursor is not None:
            page = await self.list_users(team_id=team_id, limit=page_size, cursor=cursor)
            for user in page.items:
                yield user
            cursor = page.next_cursor

    # --- workspaces -----------------------------------------------------------------------------

    async def create_workspace(self, team_id: str, **fields: Any) -> Workspace:
        """Record a workspace (``name``, ``bot_token``...); :class:`Conflict` if known."""
        reply = await self.request("POST", "/workspaces", json={"team_id": team_id, **fields})
        return reply.to(Workspace)

    async def get_workspace(self, team_id: str) -> Workspace:
        """The workspace ``team_id``; :class:`NotFound` if none."""
        return (await self.request("GET", f"/workspaces/{_q(team_id)}")).to(Workspace)

    async def update_workspace(
        self, team_id: str, changes: Mapping[str, Any], *, if_match: str | None = None
    ) -> Workspace:
        """Change some fields of a workspace (a new ``bot_token`` too)."""
        path = f"/workspaces/{_q(team_id)}"
        reply = await self.request("PATCH", path, json=dict(changes), headers=_if_match(if_match))
        return reply.to(Workspace)

    async def delete_workspace(self, team_id: str, *, if_match: str | None = None) -> None:
        """Forget a workspace and its users."""
        await self.request("DELETE", f"/workspaces/{_q(team_id)}", headers=_if_match(if_match))

    async def list_workspaces(self, *, limit: int = 50, cursor: int = 0) -> WorkspacePage:
        """One page of workspaces."""
        params = {"limit": limit, "cursor": cursor}
        return (await self.request("GET", "/workspaces", params=params)).to(WorkspacePage)

    async def get_bot_token(self, team_id: str) -> str:
        """The workspace's bot token (needs scope ``workspaces:tokens``)."""
        reply = await self.request("GET", f"/workspaces/{_q(team_id)}/bot-token")
        return reply.to(WorkspaceBotToken).bot_token

    # --- installations ---------------------------------------------------------------------------

    async def save_installation(self, installation: NewInstallation) -> Installation:
        """Record an install (scope ``installations:write``): created, or updated and
        reactivated if Jeeves was installed there before (its users and their settings are
        untouched: they belong to the workspace, not to the installation)."""
        reply = await self.request("PUT", "/installations", json=installation.to_json())
        return reply.to(Installation)

    async def find_installation(self, key: InstallationKey) -> Installation | None:
        """The installation that serves ``key`` (scope ``installations:read``): the one with
        exactly that key, else the org-wide install of ``key.enterprise_id``; ``None`` if
        neither exists. Inactive ones are returned too, with ``active`` false."""
        try:
            reply = await self.request("GET", "/installations/lookup", params=_key_params(key))
        except NotFound:
            return None
        return reply.to(Installation)

    async def deactivate_installation(
        self, key: InstallationKey, *, reason: str
    ) -> Installation | None:
        """Mark the installation with exactly ``key`` inactive (never the org-wide install
        serving a workspace: deactivate that one by its own key) and delete its tokens (scope
        ``installations:write``); a repeat is harmless. ``reason`` is a short code
        (``app_uninstalled``, ``tokens_revoked``, ``invalid_auth``...). ``None`` if there is no
        such installation."""
        body = {**_key_body(key), "reason": reason}
        try:
            reply = await self.request("POST", "/installations/deactivate", json=body)
        except NotFound:
            return None
        return reply.to(Installation)

    async def fresh_bot_token(self, key: InstallationKey, *, valid_for: timedelta) -> BotToken:
        """A bot token of the installation serving ``key``, valid at least ``valid_for`` more
        (scope ``installations:token``).

        The Data Service refreshes an expiring token first, once across every process (it
        locks the installation while it asks Slack). Raises :class:`InstallationNotFound`, or
        :class:`InstallationInactive` (uninstalled, revoked, or Slack refused the refresh).
        """
        seconds = max(0, int(valid_for.total_seconds()))
        body = {**_key_body(key), "min_valid_seconds": seconds}
        try:
            reply = await self.request("POST", "/installations/bot-token", json=body)
        except NotFound as exc:
            raise InstallationNotFound(exc.status, exc.error, exc.description) from None
        except Conflict as exc:
            if exc.error != INSTALLATION_INACTIVE:
                raise
            raise InstallationInactive(exc.status, exc.error, exc.description) from None
        return reply.to(BotToken)

    # --- reply claims (URL /events: the ids are reply ids) ------------------------------------

    async def lease_replies(
        self,
        claims: Sequence[tuple[str, str]],
        *,
        lease_seconds: int,
        teams: Mapping[str, str] | None = None,
    ) -> list[LeaseOutcome]:
        """Lease each ``(reply_id, key)`` for ``lease_seconds`` (1-3600), in one request and
        one transaction (at most 100); one outcome per claim, in order.

        ``key`` is unique to this attempt (a UUID): finish or release the claim with it.
        ``acquired`` if the caller holds it now: new, or taken over from a holder whose lease
        ended (``taken_over``; a retry with ``key`` is acquired again); ``done`` if finished
        (skip it); ``held`` if someone else holds it, with the seconds until their lease ends.
        ``teams`` (reply id → team id) names the workspace each reply answers, which a new
        claim records (the dashboard's workspace view counts a day's answers).
        """
        teams = teams or {}
        body = {
            "lease_seconds": lease_seconds,
            "claims": [
                {"event_id": reply_id, "key": key}
                | ({"team_id": teams[reply_id]} if reply_id in teams else {})
                for reply_id, key in claims
            ],
        }
        return (await self.request("POST", "/events/leases", json=body)).to(LeaseOutcomes).results

    async def finish_replies(self, claims: Sequence[tuple[str, str]]) -> list[DoneOutcome]:
        """Mark each ``(reply_id, key)`` claim done (a repeat is fine), even after its lease
        ended; one outcome per claim, in order: ``done``, ``taken`` (another claimer took it
        over once the lease ended: it will post again) or ``not_found`` (it was released)."""
        body = {"claims": [{"event_id": reply_id, "key": key} for reply_id, key in claims]}
        return (await self.request("POST", "/events/done", json=body)).to(DoneOutcomes).results

    async def release_reply(self, reply_id: str, *, key: str) -> None:
        """Give up the pending claim taken with ``key`` (the post failed and will be retried),
        so the next claimer gets it at once; nothing to release is fine.

        :class:`Conflict` if it is done (that cannot be undone) or another claimer holds it
        (after a retried release, possibly one that claimed it once the first one went through).
        """
        path = f"/events/{_q(reply_id)}/claim"
        await self.request("DELETE", path, headers={"Idempotency-Key": key})

    # --- alerts and reminders -------------------------------------------------------------------

    async def set_alerts(self, user_id: int, *, enabled: bool, time: str | None = None) -> User:
        """Switch the user's daily weather alert on or off.

        ``time`` is ``"HH:MM"`` on the user's local 24-hour clock; switching on without one
        keeps the stored time (08:00 if none). The user's ``next_alert_at`` says when it fires.
        """
        body: dict[str, Any] = {"enabled": enabled}
        if time is not None:
            body["time"] = time
        return (await self.request("PUT", f"/users/{user_id}/alerts", json=body)).to(User)

    async def create_reminder(
        self,
        user_id: int,
        *,
        text: str,
        due_at: datetime,
        channel_id: str,
        thread_ts: str | None = None,
        idempotency_key: str | None = None,
    ) -> Reminder:
        """Store a reminder (``due_at`` timezone-aware); :class:`Conflict` with ``error``
        ``too_many_reminders`` when the user has 100 pending already.

        With ``idempotency_key`` (the action id: printable ASCII, at most 200 characters), the
        user's reminder made with that key already, if any, is returned instead of a new one.
        """
        body = {
            "text": text,
            "due_at": due_at.isoformat(),
            "channel_id": channel_id,
            "thread_ts": thread_ts,
        }
        headers = {} if idempotency_key is None else {"Idempotency-Key": idempotency_key}
        reply = await self.request(
            "POST", f"/users/{user_id}/reminders", json=body, headers=headers
        )
        return reply.to(Reminder)

    async def list_reminders(self, user_id: int) -> list[Reminder]:
        """The user's pending reminders, soonest first."""
        reply = await self.request("GET", f"/users/{user_id}/reminders")
        return reply.to(ReminderList).reminders

    async def cancel_reminder(self, user_id: int, reminder_id: int) -> bool:
        """Cancel one of the user's pending reminders; False if there is no such thing."""
        try:
            await self.request("DELETE", f"/users/{user_id}/reminders/{reminder_id}")
        except NotFound:
            return False
        return True

    # --- scheduling (scope schedule:claim) -------------------------------------------------------

    async def claim_due(
        self, owner: str, *, now: datetime, lease_seconds: int = 60, limit: int = 100
    ) -> Claimed:
        """Lease to ``owner`` the reminders and alerts due by ``now`` (up to ``limit`` of each)
        for ``lease_seconds``; no other claimer gets them while the lease lasts."""
        body = {
            "owner": owner,
            "now": now.isoformat(),
            "lease_seconds": lease_seconds,
            "limit": limit,
        }
        return (await self.request("POST", "/schedule/claim", json=body)).to(Claimed)

    async def finish_reminder(self, reminder_id: int, owner: str) -> bool:
        """Mark a claimed reminder delivered; False if the lease was lost (another owner holds
        it, or it was delivered or cancelled meanwhile)."""
        path = f"/schedule/reminders/{reminder_id}/done"
        return await self._finish(path, {"owner": owner})

    async def finish_alert(self, user_id: int, owner: str, due_at: datetime) -> bool:
        """Record the alert due at ``due_at`` sent, scheduling the next; False if the lease
        was lost (another owner holds it, or that alert was already done or rescheduled)."""
        body = {"owner": owner, "due_at": due_at.isoformat()}
        return await self._finish(f"/schedule/alerts/{user_id}/done", body)

    async def _finish(self, path: str, body: dict[str, str]) -> bool:
        try:
            await self.request("POST", path, json=body)
        except Conflict:
            return False
        return True


def _q(segment: str) -> str:
    """Quote one path segment (ids are plain, but a caller's string must not change the path)."""
    return quote(segment, safe="")


def _key_body(key: InstallationKey) -> dict[str, Any]:
    return {
        "enterprise_id": key.enterprise_id,
        "team_id": key.team_id,
        "is_enterprise_install": key.is_enterprise_install,
    }


def _key_params(key: InstallationKey) -> dict[str, str | int]:
    params: dict[str, str | int] = {
        "is_enterprise_install": "true" if key.is_enterprise_install else "false"
    }
    if key.enterprise_id:
        params["enterprise_id"] = key.enterprise_id
    if key.team_id:
        params["team_id"] = key.team_id
    return params


def _if_match(etag: str | None) -> dict[str, str]:
    return {} if etag is None else {"If-Match": etag}
