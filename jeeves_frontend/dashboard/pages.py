"""The dashboard's pages: ``GET /dashboard`` (the sign-in page, or the person's settings and
reminders), ``POST /dashboard/sign-out``, and under ``jeeves dev`` only,
``POST /dashboard/dev/sign-in`` (*Sign in as a dev user*, the chat page's user)."""

from __future__ import annotations

from quart import Blueprint, Response, current_app, render_template, request

from jeeves_frontend.dashboard import csrf
from jeeves_frontend.dashboard.errors import ENDED, install_error_pages
from jeeves_frontend.dashboard.identity import SlackIdentity
from jeeves_frontend.dashboard.sessions import (
    HOME,
    current_session_id,
    dataservice,
    end_session,
    forget_session,
    safe_next_path,
    see_other,
    start_session,
)
from jeeves_frontend.dashboard.views import page_context, signed_in
from jeeves_frontend.devchat import DEV_USER
from jeeves_frontend.state import front_door
from jeeves_shared.dataclient import SessionEnded
from jeeves_shared.messages import DEV_TEAM_ID

blueprint = Blueprint("dashboard", __name__, url_prefix=HOME)
install_error_pages(blueprint)
dev_blueprint = Blueprint("dashboard_dev", __name__, url_prefix=HOME)
install_error_pages(dev_blueprint)

#: The dev user is the chat page's user, so the chat uses what the dashboard sets.
DEV_IDENTITY = SlackIdentity(
    enterprise_id=None,
    team_id=DEV_TEAM_ID,
    user_id=DEV_USER,
    name="Dev User",
    email=None,
    team_name="jeeves dev",
    # An admin of the dev workspace, so that a newcomer sees the "Your workspace" page too.
    is_admin=True,
    is_owner=False,
)
#: Where Sign in with Slack starts, when that blueprint is mounted (dashboard-oidc's).
SLACK_SIGN_IN_ENDPOINT = "dashboard_oidc.sign_in"


@blueprint.get("")
async def home() -> Response | tuple[str, int]:
    """The person's dashboard, or the sign-in page."""
    session_id = current_session_id()
    if session_id is None:
        signed_out = request.args.get("signed_out") == "1"
        return await sign_in_page("You have signed out." if signed_out else ""), 200
    data = dataservice()
    try:
        me = await data.get_me(session_id)
        reminders = await data.my_reminders(session_id)
    except SessionEnded:
        forget_session()
        return await sign_in_page(ENDED), 200
    context = page_context(session_id, me.user, reminders)
    return await render_template("dashboard/home.html", me=me, **context), 200


async def sign_in_page(message: str, *, here: bool = False) -> str:
    """The page with the sign-in buttons (and ``message``, if any). Signing in leads to the
    request's ``next`` path, or with ``here`` to the page asked for (``/dashboard/workspace``)."""
    slack = SLACK_SIGN_IN_ENDPOINT in current_app.view_functions
    wanted = request.path if here else request.args.get("next")
    return await render_template(
        "dashboard/sign_in.html",
        message=message,
        is_dev=front_door().settings.is_dev,
        slack_sign_in=slack,
        slack_endpoint=SLACK_SIGN_IN_ENDPOINT,
        next=safe_next_path(wanted),
    )


@blueprint.get("/workspace")
async def workspace() -> Response | tuple[str, int]:
    """Your workspace (its Slack admins and owners only: a 403 page for anyone else, and a
    sign-in page without a session)."""
    session_id = current_session_id()
    if session_id is None:
        return await sign_in_page("", here=True), 200
    data = dataservice()
    try:
        me = await data.get_me(session_id)
        seen = await data.my_workspace(session_id)
    except SessionEnded:
        forget_session()
        return await sign_in_page(ENDED, here=True), 200
    context = page_context(session_id, me.user, None)
    page = await render_template("dashboard/workspace.html", me=me, workspace=seen, **context)
    return page, 200


@blueprint.post("/sign-out")
async def sign_out() -> Response:
    """End the session for good (server side too), then back to the sign-in page."""
    if current_session_id() is not None:
        await signed_in()  # the CSRF checks: another site must not sign a person out
        await end_session()
    return see_other(f"{HOME}?signed_out=1")


@dev_blueprint.post("/dev/sign-in")
async def dev_sign_in() -> Response:
    """Sign in as the dev user (``jeeves dev`` only: this route exists nowhere else)."""
    csrf.check_origin(front_door().settings.allowed_origins())
    form = await request.form
    return await start_session(DEV_IDENTITY, form.get("next"))
