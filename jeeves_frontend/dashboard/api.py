"""``/api/me/...``: the signed-in person's settings and reminders (and, for a Slack admin,
their workspace), as JSON, or as the page's sections for htmx (``HX-Request: true``): the
dashboard's forms post here.

Each call passes the session id to the Data Service, which answers for that session's user
only: an id of someone else's reminder is 404, like one that does not exist; the workspace is
always the person's own, and only for its admins and owners (403 ``not_workspace_admin``).
"""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response, render_template, request

from jeeves_frontend.dashboard import csrf, forms
from jeeves_frontend.dashboard.errors import install_error_pages, is_htmx
from jeeves_frontend.dashboard.sessions import dataservice
from jeeves_frontend.dashboard.views import (
    channel_of,
    fields,
    local_time,
    now,
    render_section,
    signed_in,
)
from jeeves_shared.dataclient import MyWorkspace, NotFound, User

blueprint = Blueprint("me_api", __name__, url_prefix="/api/me")
install_error_pages(blueprint)
#: Row ids are positive and 32-bit on PostgreSQL: any other number names nothing.
MAX_ID = 2**31 - 1


@blueprint.get("")
async def get_me() -> dict[str, Any]:
    """``{"user", "team_name", "expires_at", "csrf_token"}``."""
    session_id = await signed_in()
    me = await dataservice().get_me(session_id)
    return {**me.model_dump(mode="json"), "csrf_token": csrf.csrf_token(session_id)}


@blueprint.patch("")
async def update_profile() -> Response | dict[str, Any]:
    """Set the fields given of ``location`` (empty or null clears it), ``units``, ``timezone``
    (empty or null: unset); the others stay as they are."""
    session_id = await signed_in()
    submitted = await fields()
    try:
        changes = forms.parse_profile(submitted)
    except forms.InvalidForm as exc:
        return await _invalid("profile", session_id, submitted, exc)
    user = await dataservice().update_me(session_id, changes)
    return await _saved("profile", session_id, user, "Saved.")


@blueprint.put("/alerts")
async def set_alerts() -> Response | dict[str, Any]:
    """Switch the daily weather alert on (``enabled``, ``time``) or off."""
    session_id = await signed_in()
    submitted = await fields()
    try:
        alerts = forms.parse_alerts(submitted, is_json=request.is_json)
    except forms.InvalidForm as exc:
        return await _invalid("alerts", session_id, submitted, exc)
    user = await dataservice().set_my_alerts(session_id, enabled=alerts.enabled, time=alerts.time)
    said = f"Daily alert on, at {alerts.time}." if alerts.enabled else "Daily alert off."
    return await _saved("alerts", session_id, user, said)


@blueprint.post("/settings")
async def set_setting() -> Response | dict[str, Any]:
    """Set the ``config`` key ``key`` (any case; stored in lower case) to ``value``, under
    chat's ``config`` rules (:mod:`jeeves_shared.user_settings`)."""
    session_id = await signed_in()
    submitted = await fields()
    data = dataservice()
    user = (await data.get_me(session_id)).user
    try:
        key, value = forms.parse_setting(submitted, user.settings)
    except forms.InvalidForm as exc:
        return await _invalid("config", session_id, submitted, exc, user=user)
    user = await data.set_my_setting(session_id, key, value)
    return await _saved("config", session_id, user, f"Set {key}.")


@blueprint.delete("/settings/<key>")
async def unset_setting(key: str) -> Response | dict[str, Any]:
    """Remove the ``config`` key (404 if it is not set)."""
    session_id = await signed_in()
    data = dataservice()
    if key not in (await data.get_me(session_id)).user.settings:
        # Stored as typed (a key set before keys were normalised) or else as chat stores it.
        normalised = forms.setting_key(key)
        if normalised is None:
            raise NotFound(404, "not_found", "no such setting")
        key = normalised
    user = await data.unset_my_setting(session_id, key)
    return await _saved("config", session_id, user, f"Removed {key}.")


@blueprint.get("/reminders")
async def list_reminders() -> dict[str, Any]:
    """``{"upcoming": [...], "recent": [...]}``."""
    session_id = await signed_in()
    return (await dataservice().my_reminders(session_id)).model_dump(mode="json")


@blueprint.post("/reminders")
async def create_reminder() -> Response | tuple[dict[str, Any], int]:
    """A reminder of ``text`` at ``date`` + ``time`` on the person's own clock."""
    session_id = await signed_in()
    submitted = await fields()
    data = dataservice()
    user = (await data.get_me(session_id)).user
    try:
        new = forms.parse_reminder(submitted, zone=user.timezone, now=now())
    except forms.InvalidForm as exc:
        return await _invalid("reminders", session_id, submitted, exc, user=user)
    reminder = await data.create_my_reminder(
        session_id, text=new.text, due_at=new.due_at, channel_id=channel_of(user)
    )
    if is_htmx():
        return await render_section("reminders", session_id, user, status="Reminder set.")
    return reminder.model_dump(mode="json"), 201


@blueprint.delete("/reminders/<int:reminder_id>")
async def cancel_reminder(reminder_id: int) -> Response:
    """Cancel one of the person's pending reminders; 404 for anything else."""
    session_id = await signed_in()
    data = dataservice()
    if not 1 <= reminder_id <= MAX_ID or not await data.cancel_my_reminder(session_id, reminder_id):
        raise NotFound(404, "not_found", "no such pending reminder")
    if is_htmx():
        user = (await data.get_me(session_id)).user
        return await render_section("reminders", session_id, user, status="Reminder cancelled.")
    return Response(b"", 204)


@blueprint.get("/workspace")
async def get_workspace() -> dict[str, Any]:
    """The person's workspace, if they are one of its Slack admins or owners (else 403):
    ``{"team_id", "team_name", "daily_alerts_enabled", "installation", "user_count", "users",
    "users_shown", "answered_last_day", "as_of"}``."""
    session_id = await signed_in()
    return (await dataservice().my_workspace(session_id)).model_dump(mode="json")


@blueprint.patch("/workspace")
async def set_workspace_alerts() -> Response | dict[str, Any]:
    """Switch the workspace's daily weather alerts: ``daily_alerts_enabled`` (JSON: ``true``
    or ``false``, required; a form: the checkbox). Its admins and owners only (else 403)."""
    session_id = await signed_in()
    submitted = await fields()
    enabled = forms.parse_workspace_alerts(submitted, is_json=request.is_json)
    seen = await dataservice().set_my_workspace_alerts(session_id, enabled=enabled)
    if is_htmx():
        said = (
            "Daily alerts are on for the workspace."
            if enabled
            else ("Daily alerts are off for everyone in the workspace.")
        )
        return await render_workspace_alerts(session_id, seen, status=said)
    return seen.model_dump(mode="json")


async def render_workspace_alerts(session_id: str, seen: MyWorkspace, *, status: str) -> Response:
    """The workspace page's alerts form, as an htmx fragment."""
    body = await render_template(
        "dashboard/_workspace_alerts.html",
        workspace=seen,
        status=status,
        csrf_token=csrf.csrf_token(session_id),
        local_time=local_time,
    )
    return Response(body, 200, content_type="text/html")


async def _saved(
    section: str, session_id: str, user: User, status: str
) -> Response | dict[str, Any]:
    if is_htmx():
        return await render_section(section, session_id, user, status=status)
    return {"user": user.model_dump(mode="json")}


async def _invalid(
    section: str,
    session_id: str,
    submitted: Any,
    exc: forms.InvalidForm,
    *,
    user: User | None = None,
) -> Response:
    """A 422: the section again with what was typed and what is wrong, for htmx."""
    if not is_htmx():
        raise exc
    user = user or (await dataservice().get_me(session_id)).user
    return await render_section(
        section, session_id, user, form=submitted, errors=exc.errors, code=422
    )
