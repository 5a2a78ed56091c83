"""One table from the dashboard's errors to what a person (or an ``/api/me`` client) sees.

A full page for the dashboard's own pages, a message in the page's alert region for an htmx
request (``HX-Retarget: #flash``), JSON for every other client; never a stack trace.
"""

from __future__ import annotations

import json
from typing import Any

import structlog
from quart import Blueprint, Response, current_app, render_template, request
from quart_auth import QuartAuth
from quart_rate_limiter import RateLimitExceeded

from jeeves_frontend.dashboard.csrf import CsrfRejected
from jeeves_frontend.dashboard.forms import InvalidForm
from jeeves_frontend.dashboard.sessions import forget_session
from jeeves_frontend.state import DataServiceNotConfigured
from jeeves_shared.auth.errors import TokenRequestFailed
from jeeves_shared.dataclient import (
    Conflict,
    DataServiceError,
    DataServiceUnavailable,
    InvalidRequest,
    NotFound,
    NotWorkspaceAdmin,
    SessionEnded,
)

log = structlog.get_logger(__name__)


class NotSignedIn(Exception):
    """The request carries no (validly signed) session cookie."""


ENDED = "Your session has ended (it expired, or you signed out). Please sign in again."
SIGN_IN = "Please sign in to see and change your Jeeves settings."
UNAVAILABLE = (
    "Jeeves cannot reach its data store right now, so nothing was changed. "
    "Please try again in a minute."
)
REFUSED = (
    "This request was refused: it did not come from this page. Reload the page, then try again."
)
GONE = "That item does not exist, or is no longer yours to change."
NOT_ADMIN = (
    "Only your Slack workspace's admins and owners can see and change the workspace's "
    "Jeeves settings."
)


def is_htmx() -> bool:
    """The request comes from htmx on a dashboard page."""
    return request.headers.get("HX-Request") == "true"


async def answer(
    status: int, code: str, message: str, *, headers: dict[str, str] | None = None
) -> Response:
    """The error as a page, an htmx message or JSON, whichever the request wants."""
    if is_htmx():
        body = await render_template("dashboard/_flash.html", message=message, kind="error")
        retarget = {"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"}
        return Response(body, status, {**retarget, **(headers or {})}, content_type="text/html")
    if request.blueprint and request.blueprint.startswith("dashboard"):
        body = await render_template("dashboard/message.html", message=message, status=status)
        return Response(body, status, headers, content_type="text/html")
    payload: dict[str, Any] = {"error": code, "detail": message}
    return _json(payload, status, headers)


def _json(payload: dict[str, Any], status: int, headers: dict[str, str] | None) -> Response:
    return Response(json.dumps(payload), status, headers, content_type="application/json")


async def _not_signed_in(exc: NotSignedIn) -> Response:
    # A cookie that no longer verifies (a retired key) once held a session; none at all never did.
    auth: QuartAuth = current_app.extensions["QUART_AUTH"][0]
    had_cookie = auth.cookie_name in request.cookies
    return await answer(401, "not_signed_in", ENDED if had_cookie else SIGN_IN)


async def _session_ended(exc: SessionEnded) -> Response:
    forget_session()
    return await answer(401, "session_ended", ENDED)


async def _csrf(exc: CsrfRejected) -> Response:
    log.warning("dashboard.csrf_rejected", reason=exc.reason, path=request.path)
    return await answer(403, "csrf_rejected", REFUSED)


async def _unavailable(exc: Exception) -> Response:
    log.error("dashboard.dataservice_unavailable", error=str(exc), path=request.path)
    return await answer(503, "temporarily_unavailable", UNAVAILABLE, headers={"Retry-After": "30"})


async def _not_found(exc: NotFound) -> Response:
    return await answer(404, "not_found", GONE)


async def _not_admin(exc: NotWorkspaceAdmin) -> Response:
    log.info("dashboard.not_workspace_admin", path=request.path)
    return await answer(403, "not_workspace_admin", NOT_ADMIN)


async def _conflict(exc: Conflict) -> Response:
    if exc.error == "too_many_reminders":
        message = "You have 100 upcoming reminders already; cancel one first."
    else:
        message = "That could not be done as things stand; reload the page and try again."
    return await answer(409, exc.error or "conflict", message)


async def _refused(exc: InvalidRequest) -> Response:
    log.warning("dashboard.dataservice_refused", error=exc.error, detail=exc.description)
    return await answer(422, "invalid_request", "That value was not accepted; please check it.")


async def _invalid_form(exc: InvalidForm) -> Response:
    error = "unsupported_media_type" if exc.status == 415 else "invalid_request"
    if is_htmx() or (request.blueprint or "").startswith("dashboard"):
        return await answer(exc.status, error, " ".join(exc.errors.values()))
    return _json({"error": error, "fields": exc.errors}, exc.status, None)


async def _rate_limited(exc: RateLimitExceeded) -> Response:
    wait = exc.retry_after
    unit = "second" if wait == 1 else "seconds"
    message = f"Too many requests: please wait {wait} {unit}, then try again."
    return await answer(429, "too_many_requests", message, headers={"Retry-After": str(wait)})


async def _other_dataservice_error(exc: DataServiceError) -> Response:
    log.error("dashboard.dataservice_error", status=exc.status, error=exc.error)
    return await answer(502, "bad_gateway", UNAVAILABLE)


def install_error_pages(blueprint: Blueprint) -> None:
    """Register the table on one of the dashboard's blueprints."""
    blueprint.register_error_handler(NotSignedIn, _not_signed_in)
    blueprint.register_error_handler(SessionEnded, _session_ended)
    blueprint.register_error_handler(CsrfRejected, _csrf)
    blueprint.register_error_handler(DataServiceUnavailable, _unavailable)
    blueprint.register_error_handler(TokenRequestFailed, _unavailable)
    blueprint.register_error_handler(DataServiceNotConfigured, _unavailable)
    blueprint.register_error_handler(NotFound, _not_found)
    blueprint.register_error_handler(NotWorkspaceAdmin, _not_admin)
    blueprint.register_error_handler(Conflict, _conflict)
    blueprint.register_error_handler(InvalidRequest, _refused)
    blueprint.register_error_handler(InvalidForm, _invalid_form)
    blueprint.register_error_handler(RateLimitExceeded, _rate_limited)
    blueprint.register_error_handler(DataServiceError, _other_dataservice_error)
