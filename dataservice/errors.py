"""Domain errors of the Data Service, and the one table mapping them to HTTP responses.

The names differ from the client's errors (:mod:`jeeves_shared.dataclient.errors`, one per
status the client receives): these say what went wrong in the domain (a record not found, a
version mismatch), :data:`STATUS_OF` says which status each becomes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

import structlog
from pydantic import ValidationError
from quart import Quart, Response
from werkzeug.exceptions import HTTPException

from dataservice.crypto import UndecryptableToken
from jeeves_shared.dataclient.models import (
    ClaimConflictBody,
    ClaimStatus,
    ErrorBody,
    ErrorDetail,
)

log = structlog.get_logger(__name__)


class DomainError(Exception):
    """Base of the errors views let through to the handler table."""


class RecordNotFound(DomainError):
    """No ``kind`` with this ``id``."""

    def __init__(self, kind: str, id: object) -> None:
        super().__init__(f"no {kind} {id}")
        self.kind = kind
        self.id = id


class AlreadyExists(DomainError):
    """The write would break a uniqueness rule (the ``kind`` ``id`` already exists)."""

    def __init__(self, kind: str, id: object, reason: str = "already exists") -> None:
        super().__init__(f"{kind} {id} {reason}")
        self.kind = kind
        self.id = id


class ClaimTaken(DomainError):
    """Reply ``event_id`` is claimed by someone else: ``done``, or ``pending`` until
    ``lease_until``, which is ``wait`` from now."""

    def __init__(
        self,
        event_id: str,
        *,
        status: ClaimStatus,
        lease_until: datetime | None = None,
        wait: timedelta | None = None,
    ) -> None:
        reason = "already claimed" if status == "done" else "is leased to another claimer"
        super().__init__(f"reply claim {event_id} {reason}")
        self.event_id = event_id
        self.status = status
        self.lease_until = lease_until
        self.wait = wait


class TooManyReminders(DomainError):
    """User ``user_id`` already has ``limit`` pending reminders."""

    def __init__(self, user_id: int, limit: int) -> None:
        super().__init__(f"user {user_id} already has {limit} pending reminders")
        self.user_id = user_id
        self.limit = limit


class LeaseLost(DomainError):
    """The caller no longer holds the lease on ``kind`` ``id``: another scheduler holds a live
    one, or the item was finished (delivered, cancelled, rescheduled) meanwhile."""

    def __init__(self, kind: str, id: object) -> None:
        super().__init__(f"{kind} {id} is leased to another scheduler or no longer due")
        self.kind = kind
        self.id = id


class VersionMismatch(DomainError):
    """``If-Match`` named a version of ``kind`` ``id`` that is no longer current."""

    def __init__(self, kind: str, id: object) -> None:
        super().__init__(f"{kind} {id} changed since it was read (stale If-Match)")
        self.kind = kind
        self.id = id


class InvalidSession(DomainError):
    """The dashboard session named by the request is unknown, expired or revoked
    (``reason``, for the logs: the answer does not tell them apart)."""

    def __init__(self, reason: str) -> None:
        super().__init__("the session is not valid (expired, signed out or unknown)")
        self.reason = reason


class NotWorkspaceAdmin(DomainError):
    """The signed-in user is not an admin or owner of their Slack workspace (as the stored
    roles say now: a demotion takes effect at the next call)."""

    def __init__(self) -> None:
        super().__init__("only the workspace's Slack admins and owners may do this")


class InstallationInactive(DomainError):
    """The installation serving ``key`` is inactive: it has no token to give."""

    def __init__(self, key: object, reason: str | None) -> None:
        super().__init__(f"installation {key} is inactive ({reason or 'no token'})")
        self.key = key
        self.reason = reason


class SlackUnavailable(DomainError):
    """Slack could not refresh a token now (unreachable, rate limited, failing, or the
    Slack app's client credentials are not configured); nothing changed, ask again later."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"cannot refresh the bot token now: {reason}")
        self.reason = reason


class InvalidInput(DomainError):
    """The request's path, query string or body does not validate."""

    def __init__(self, where: str, errors: Sequence[ErrorDetail]) -> None:
        super().__init__(f"invalid {where}")
        self.where = where
        self.errors = list(errors)

    @classmethod
    def from_validation(cls, where: list[str], exc: ValidationError) -> InvalidInput:
        """Wrap pydantic's errors, located under ``where`` (``["path", "user_id"]``)."""
        details = [
            ErrorDetail(loc=[*where, *error["loc"]], msg=error["msg"], type=error["type"])
            for error in exc.errors(include_url=False, include_input=False)
        ]
        return cls(where[0], details)

    @classmethod
    def missing(cls, where: list[str], msg: str = "Field required") -> InvalidInput:
        """Something required is absent (``["header", "Idempotency-Key"]``), worded as pydantic
        words it."""
        return cls(where[0], [ErrorDetail(loc=list(where), msg=msg, type="missing")])


#: Domain error → (status, error code). The only place these statuses are chosen.
STATUS_OF: dict[type[DomainError], tuple[int, str]] = {
    RecordNotFound: (404, "not_found"),
    AlreadyExists: (409, "conflict"),
    ClaimTaken: (409, "conflict"),
    TooManyReminders: (409, "too_many_reminders"),
    LeaseLost: (409, "lease_lost"),
    VersionMismatch: (412, "precondition_failed"),
    InvalidInput: (422, "invalid_request"),
    # 403, not 401: the service token was fine (a 401 would make the client renew it).
    InvalidSession: (403, "invalid_session"),
    NotWorkspaceAdmin: (403, "not_workspace_admin"),
    InstallationInactive: (409, "installation_inactive"),
    SlackUnavailable: (503, "slack_unavailable"),
}
#: Seconds a client waits before asking again after a 503 ``slack_unavailable``.
SLACK_RETRY_AFTER = 1


def error_response(
    status: int, error: str, description: str, details: list[ErrorDetail] | None = None
) -> Response:
    """A JSON error body (:class:`ErrorBody`) with ``status``."""
    body = ErrorBody(error=error, error_description=description, details=details)
    return _error_body_response(body, status)


def _error_body_response(body: ErrorBody, status: int) -> Response:
    return Response(
        body.model_dump_json(exclude_none=True),
        status=status,
        content_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


async def _domain_error(exc: DomainError) -> Response:
    if isinstance(exc, ClaimTaken):
        return _claim_taken(exc)
    status, code = STATUS_OF[type(exc)]
    details = exc.errors if isinstance(exc, InvalidInput) else None
    response = error_response(status, code, str(exc), details)
    if isinstance(exc, SlackUnavailable):
        response.headers["Retry-After"] = str(SLACK_RETRY_AFTER)
    return response


def _claim_taken(exc: ClaimTaken) -> Response:
    """The usual body plus the claim's ``status`` and ``lease_until``; ``Retry-After`` (whole
    seconds, at least 1) while someone else's lease runs."""
    status, code = STATUS_OF[ClaimTaken]
    body = ClaimConflictBody(
        error=code, error_description=str(exc), status=exc.status, lease_until=exc.lease_until
    )
    response = _error_body_response(body, status)
    if exc.wait is not None:
        response.headers["Retry-After"] = str(max(1, math.ceil(exc.wait.total_seconds())))
    return response


async def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    response = error_response(status, _snake(exc.name), exc.description or exc.name)
    if status == 405 and exc.get_response().headers.get("Allow"):
        response.headers["Allow"] = exc.get_response().headers["Allow"]
    return response


async def _undecryptable(exc: UndecryptableToken) -> Response:
    log.error("dataservice.undecryptable_token", reason=str(exc))
    return error_response(500, "server_error", "stored token cannot be decrypted with current keys")


def _snake(name: str) -> str:
    return name.lower().replace(" ", "_").replace("'", "")


def install_error_handlers(app: Quart) -> None:
    """Register the handler table on ``app`` (HTTP errors become JSON too)."""
    for kind in STATUS_OF:
        app.register_error_handler(kind, _domain_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(UndecryptableToken, _undecryptable)
