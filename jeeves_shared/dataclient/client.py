"""Talk to the Data Service: the aiohttp client workers use.

One :class:`DataServiceClient` per process, over the process's pooled ``aiohttp`` session::

    tokens = TokenClient(session, token_url=..., client_id=..., client_secret=...)
    data = DataServiceClient.from_token_client(session, base_url, tokens, scopes=WORKER_SCOPES)
    user = await data.get_or_create_user("T1", "U1")
    user = await data.update_user(user.id, {"location": "Paris"}, if_match=user.etag)

Every call carries a bearer token from the ``token`` provider. A 401 tells ``on_rejected``
(the token client forgets the token) and is retried once with a fresh token. Connection
errors, timeouts and 5xx answers are retried a bounded number of times with exponential
backoff and full jitter (honouring ``Retry-After``). Event claims send an ``Idempotency-Key``
so a retried claim whose first answer was lost is not mistaken for a rival's; so do reminder
creations given one, so a retried or redelivered creation makes one reminder.
"""

from __future__ import annotations

import asyncio
import inspect
import random
import uuid
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Collection,
    Iterable,
    Mapping,
    Sequence,
)
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote

import aiohttp
import structlog
from pydantic import BaseModel

from jeeves_shared.auth.client import TokenClient
from jeeves_shared.dataclient.errors import (
    ERRORS_BY_STATUS,
    Conflict,
    DataServiceError,
    DataServiceUnavailable,
    NotFound,
)
from jeeves_shared.dataclient.models import (
    Claimed,
    EventLease,
    Reminder,
    User,
    UserPage,
    Workspace,
    WorkspacePage,
)

log = structlog.get_logger(__name__)

TokenProvider = Callable[[], Awaitable[str]]
RejectionHandler = Callable[[str], Awaitable[None] | None]
Sleep = Callable[[float], Awaitable[None]]
M = TypeVar("M", bound=BaseModel)

#: The Data Service's audience, as the TokenDealer knows it.
AUDIENCE = "dataservice"
#: What a worker usually needs; the Slack poster adds ``workspaces:tokens``.
WORKER_SCOPES = ("users:read", "users:write", "events:claim", "reminders:read", "reminders:write")
#: What the scheduler needs: claiming due reminders and alerts, and reporting them done.
SCHEDULER_SCOPES = ("schedule:claim",)


@dataclass(frozen=True, slots=True)
class _Reply:
    """Status, headers and decoded body (``None`` unless JSON) of one exchange."""

    status: int
    headers: Mapping[str, str]
    body: Any

    def to(self, model: type[M]) -> M:
        """The body as ``model``, with the ETag header folded in when the model has one."""
        data = dict(self.body)
        if "etag" in model.model_fields:
            data["etag"] = self.headers.get("ETag")
        return model.model_validate(data)


# --- the client ---------------------------------------------------------------------------------


class DataServiceClient:
    """Typed calls to the Data Service's ``/api/v1`` over a shared ``aiohttp`` session.

    ``token`` returns a bearer token (cached by its owner); ``on_rejected`` is told a token
    the service refused with 401. Each attempt is bounded by ``timeout`` seconds; failed
    attempts (no answer, timeout, 5xx) are retried ``retries`` times, waiting up to
    ``backoff * 2**n`` seconds (capped at ``max_backoff``, randomised by ``rng``).
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        token: TokenProvider,
        *,
        on_rejected: RejectionHandler | None = None,
        timeout: float = 5.0,
        retries: int = 3,
        backoff: float = 0.1,
        max_backoff: float = 2.0,
        sleep: Sleep = asyncio.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._session = session
        self._token = token
        self._on_rejected = on_rejected
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._sleep = sleep
        self._rng = rng

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
        """Change ``display_name``, ``location``, ``timezone``, ``units`` or ``is_admin``.

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
        token: str = reply.body["bot_token"]
        return token

    # --- events ---------------------------------------------------------------------------------

    async def claim_event(self, event_id: str) -> bool:
        """True if this caller is the first to claim ``event_id``, False if someone was."""
        headers = {"Idempotency-Key": uuid.uuid4().hex}
        try:
            await self.request("POST", f"/events/{_q(event_id)}/claim", headers=headers)
        except Conflict:
            return False
        return True

    async def lease_event(self, event_id: str, *, lease_seconds: int, key: str) -> EventLease:
        """Claim ``event_id`` for ``lease_seconds`` (1-3600) under ``key``, unique to this
        attempt (a UUID); finish or release it with the same key.

        ``acquired`` if the caller holds it now: new, or taken over from a holder whose lease
        ended (``taken_over``; a retry with ``key`` is acquired again); ``done`` if finished or
        claimed for good (skip it); ``held`` if someone else holds it, with the seconds until
        their lease ends.
        """
        reply = await self.request(
            "POST",
            f"/events/{_q(event_id)}/claim",
            json={"lease_seconds": lease_seconds},
            headers={"Idempotency-Key": key},
            answers=(409,),
        )
        return _lease_of(reply)

    async def finish_event(self, event_id: str, *, key: str) -> None:
        """Mark the claim taken with ``key`` done (a repeat is fine), even after its lease ended.

        :class:`Conflict` if another claimer took it over once the lease ended (it will do the
        work again), :class:`NotFound` if there is no claim (it was released).
        """
        path = f"/events/{_q(event_id)}/done"
        await self.request("POST", path, headers={"Idempotency-Key": key})

    async def lease_events(
        self, claims: Sequence[tuple[str, str]], *, lease_seconds: int
    ) -> list[EventLease]:
        """:meth:`lease_event` for several ``(event_id, key)`` at once, in one request and one
        transaction (at most 100); one outcome per claim, in order."""
        body = {
            "lease_seconds": lease_seconds,
            "claims": [{"event_id": event_id, "key": key} for event_id, key in claims],
        }
        reply = await self.request("POST", "/events/leases", json=body)
        return [
            EventLease(
                outcome["status"],
                float(outcome.get("retry_after", 0)),
                bool(outcome.get("taken_over", False)),
            )
            for outcome in reply.body["results"]
        ]

    async def finish_events(self, claims: Sequence[tuple[str, str]]) -> list[str]:
        """:meth:`finish_event` for several ``(event_id, key)`` at once; one outcome per claim:
        ``done``, ``taken`` (another claimer took it over) or ``not_found`` (released)."""
        body = {"claims": [{"event_id": event_id, "key": key} for event_id, key in claims]}
        reply = await self.request("POST", "/events/done", json=body)
        return [str(outcome["status"]) for outcome in reply.body["results"]]

    async def release_event(self, event_id: str, *, key: str) -> None:
        """Give up the pending claim taken with ``key`` (the work failed and will be retried),
        so the next claimer gets it at once; nothing to release is fine.

        :class:`Conflict` if it is done (that cannot be undone) or another claimer holds it
        (after a retried release, possibly one that claimed it once the first one went through).
        """
        path = f"/events/{_q(event_id)}/claim"
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
        return [Reminder.model_validate(item) for item in reply.body["reminders"]]

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

    # --- transport ------------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
        answers: Collection[int] = (),
    ) -> _Reply:
        """Send one API call (``path`` below ``/api/v1``), retrying as the class describes.

        Returns the 2xx reply, or one whose status is in ``answers``; raises the
        :class:`DataServiceError` subclass of any other status. Every attempt sends the same
        ``headers`` (an ``Idempotency-Key`` among them makes the retries recognisable).
        """
        url = f"{self.base_url}/api/v1{path}"
        failures = 0
        token_renewed = False
        while True:
            token = await self._token()
            try:
                reply = await self._send(method, url, token, json, params, headers)
            except (aiohttp.ClientError, TimeoutError) as exc:
                failures = await self._after_failure(failures, 0, repr(exc), None)
                continue
            if reply.status == 401 and not token_renewed:
                token_renewed = True
                await self._reject(token)
                continue
            if reply.status >= 500:
                description = _describe(reply)
                retry_after = reply.headers.get("Retry-After")
                failures = await self._after_failure(
                    failures, reply.status, description, retry_after
                )
                continue
            if reply.status >= 400 and reply.status not in answers:
                raise _error_of(reply)
            return reply

    async def _send(
        self,
        method: str,
        url: str,
        token: str,
        json: Any,
        params: Mapping[str, str | int] | None,
        headers: Mapping[str, str] | None,
    ) -> _Reply:
        all_headers = {"Authorization": f"Bearer {token}", **(headers or {})}
        async with self._session.request(
            method, url, json=json, params=params, headers=all_headers, timeout=self._timeout
        ) as response:
            body = None
            if response.content_type == "application/json":
                body = await response.json()
            else:
                await response.read()
            return _Reply(response.status, response.headers, body)

    async def _after_failure(
        self, failures: int, status: int, description: str, retry_after: str | None
    ) -> int:
        """Wait before the next attempt, or raise once the retries are spent."""
        if failures >= self.retries:
            log.warning("dataservice.unavailable", status=status, attempts=failures + 1)
            raise DataServiceUnavailable(status, "unavailable", description)
        delay = min(self.max_backoff, self.backoff * 2**failures) * self._rng()
        if retry_after is not None and retry_after.isdigit():
            delay = max(delay, min(float(retry_after), self.max_backoff))
        log.info(
            "dataservice.retry",
            status=status,
            attempt=failures + 1,
            delay=round(delay, 3),
            error=description,
        )
        await self._sleep(delay)
        return failures + 1

    async def _reject(self, token: str) -> None:
        if self._on_rejected is None:
            return
        outcome = self._on_rejected(token)
        if inspect.isawaitable(outcome):
            await outcome


def _q(segment: str) -> str:
    """Quote one path segment (ids are plain, but a caller's string must not change the path)."""
    return quote(segment, safe="")


def _if_match(etag: str | None) -> dict[str, str]:
    return {} if etag is None else {"If-Match": etag}


def _describe(reply: _Reply) -> str:
    if isinstance(reply.body, dict):
        return str(reply.body.get("error_description", ""))
    return ""


def _lease_of(reply: _Reply) -> EventLease:
    """A claim's 201, or its 409 saying whether the event is ``done`` or ``pending``."""
    body = reply.body if isinstance(reply.body, dict) else {}
    if reply.status < 400:
        return EventLease("acquired", taken_over=body.get("taken_over") is True)
    if body.get("status") == "done":
        return EventLease("done")
    if body.get("status") == "pending":
        retry_after = reply.headers.get("Retry-After", "")
        return EventLease("held", float(retry_after) if retry_after.isdigit() else 1.0)
    raise _error_of(reply)


def _error_of(reply: _Reply) -> DataServiceError:
    kind = ERRORS_BY_STATUS.get(reply.status, DataServiceError)
    error = reply.body.get("error", "") if isinstance(reply.body, dict) else ""
    return kind(reply.status, str(error), _describe(reply))
