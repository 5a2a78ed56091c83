"""``GET /slack/install`` and ``GET /slack/oauth_redirect``: a workspace installs Jeeves.

The install page's *Add to Slack* button goes to Slack's authorize URL with a one-time
``state`` that a cookie binds to this browser (:mod:`.states`). Slack sends the browser back
to the redirect, which checks, in this order: Slack's ``error`` parameter, the browser's
cookie, the state (ours, fresh, used once), the ``code``; then exchanges the code
(``oauth.v2.access``, ``auth.test``), stores the installation through the Data Service and
says where Jeeves is installed, with what to do next. Every refusal is a page that says what
happened with a "Try again" link, 4xx (502/503 only when Slack or the Data Service cannot
be reached), never a stack trace. Spec: https://docs.slack.dev/authentication/installing-with-oauth
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from quart import Blueprint, Quart, Response, current_app, render_template, request
from slack_sdk.oauth import AuthorizeUrlGenerator
from slack_sdk.web.async_client import AsyncWebClient

from jeeves_frontend.install.exchange import (
    OAuthClient,
    SlackRefused,
    SlackUnavailable,
    exchange_code,
)
from jeeves_frontend.install.states import (
    COOKIE,
    ClaimedOnce,
    InstallStates,
    StateRejected,
)
from jeeves_frontend.manifest import INSTALL_PATH, INSTALL_REDIRECT_PATH, bot_scopes
from jeeves_frontend.pages import html_page
from jeeves_frontend.settings import FrontendSettings
from jeeves_frontend.state import DataServiceNotConfigured, front_door
from jeeves_shared.dataclient import DataServiceClient, DataServiceError
from jeeves_shared.runtime.settings import is_placeholder

log = structlog.get_logger(__name__)

blueprint = Blueprint("install", __name__)

_EXTENSION = "jeeves.install"


@dataclass(frozen=True)
class SlackInstall:
    """What the two views share, kept on the app as ``app.extensions["jeeves.install"]``."""

    authorize: AuthorizeUrlGenerator
    states: InstallStates
    oauth: OAuthClient


def mount_install(app: Quart, settings: FrontendSettings) -> None:
    """Add the install pages to ``app``; they store installations through the front door's
    Data Service client (:attr:`~jeeves_frontend.state.FrontDoor.dataservice`).

    Without ``JEEVES_SLACK_CLIENT_ID`` the pages say that this Jeeves is not set up for
    installs (404). A client id without its secret is a
    :class:`~jeeves_shared.runtime.settings.SettingsError` outside dev mode.
    """
    app.register_blueprint(blueprint)
    client_id = settings.slack_client_id.strip()
    secret = settings.require_secret("slack_client_secret") if client_id else ""
    if not client_id or is_placeholder(secret):
        log.info("install.not_configured", needs="JEEVES_SLACK_CLIENT_ID, CLIENT_SECRET")
        return
    redirect_uri = settings.public_url.rstrip("/") + INSTALL_REDIRECT_PATH
    app.extensions[_EXTENSION] = SlackInstall(
        authorize=AuthorizeUrlGenerator(
            client_id=client_id, redirect_uri=redirect_uri, scopes=bot_scopes()
        ),
        states=InstallStates(secret),
        oauth=OAuthClient(
            client_id=client_id,
            client_secret=secret,
            redirect_uri=redirect_uri,
            slack=AsyncWebClient(base_url=settings.slack_api_url, timeout=10),
        ),
    )


@blueprint.get(INSTALL_PATH)
async def start() -> Response:
    """The *Add to Slack* page, setting this browser's state cookie (10 minutes)."""
    install = _install()
    if install is None:
        return await _not_configured()
    state = install.states.issue()
    page = await render_template(
        "install/start.html", authorize_url=install.authorize.generate(state)
    )
    response = html_page(page)
    response.set_cookie(
        COOKIE,
        state,
        max_age=install.states.lifetime,
        path=INSTALL_REDIRECT_PATH,
        secure=True,
        httponly=True,
        samesite="Lax",  # sent on Slack's top-level redirect back, not on cross-site requests
    )
    return response


@blueprint.get(INSTALL_REDIRECT_PATH)
async def oauth_redirect() -> Response:
    """Finish the install Slack sent back, or say why it cannot be finished."""
    install = _install()
    if install is None:
        return await _not_configured()
    try:
        response = await _finish(install)
    except DataServiceNotConfigured:
        log.error("install.no_dataservice", needs="JEEVES_FRONTEND_CLIENT_SECRET")
        response = await _problem(503, "Jeeves cannot finish installs", "Nothing was saved.")
    # Finished or refused, this attempt is over: its cookie goes, so a reload cannot replay it.
    response.delete_cookie(
        COOKIE, path=INSTALL_REDIRECT_PATH, secure=True, httponly=True, samesite="Lax"
    )
    return response


async def _finish(install: SlackInstall) -> Response:
    """The answer to Slack's redirect; raises :class:`DataServiceNotConfigured` when the front
    door has no Data Service client (``JEEVES_FRONTEND_CLIENT_SECRET``)."""
    error = request.args.get("error")
    if error is not None:
        log.info("install.refused_at_slack", error=error[:100])
        if error == "access_denied":
            return await _problem(403, "Jeeves was not installed", "You cancelled at Slack.")
        return await _problem(400, "Slack did not install Jeeves", f"Slack said: {error[:100]}.")
    try:
        cookie, state = request.cookies.get(COOKIE), request.args.get("state")
        await install.states.take(cookie, state, once=ClaimedOnce(_dataservice))
    except StateRejected as exc:
        log.info("install.state_rejected", problem=exc.problem)
        return await _problem(400, "This install link is no longer valid", f"{exc.reason}.")
    except DataServiceError as exc:
        return await _backend_down(exc)
    code = request.args.get("code", "").strip()
    if not code or len(code) > 500:
        return await _problem(400, "Slack sent no install code", "The link is incomplete.")
    return await _install_with(install, code)


async def _install_with(install: SlackInstall, code: str) -> Response:
    try:
        installed = await exchange_code(install.oauth, code)
    except SlackRefused as exc:
        detail = f"Slack refused the install ({exc.method}: {exc.error}); nothing was saved."
        return await _problem(400, "Slack did not confirm the install", detail)
    except SlackUnavailable:
        return await _problem(502, "Slack could not be reached", "Nothing was saved.")
    try:
        saved = await _dataservice().save_installation(installed.installation)
    except DataServiceError as exc:
        return await _backend_down(exc)
    log.info(
        "install.saved",
        enterprise_id=saved.enterprise_id,
        team_id=saved.team_id,
        is_enterprise_install=saved.is_enterprise_install,
    )
    page = await render_template("install/installed.html", workspace=installed.workspace_name)
    return html_page(page)


def _dataservice() -> DataServiceClient:
    return front_door().dataservice


def _install() -> SlackInstall | None:
    install: SlackInstall | None = current_app.extensions.get(_EXTENSION)
    return install


async def _not_configured() -> Response:
    detail = (
        "This Jeeves has no Slack app set up for installs (JEEVES_SLACK_CLIENT_ID and "
        "JEEVES_SLACK_CLIENT_SECRET). Ask whoever runs it."
    )
    return await _problem(404, "Installing is not set up here", detail, retry=False)


async def _backend_down(exc: DataServiceError) -> Response:
    log.error("install.dataservice_failed", status=exc.status, error=exc.error)
    return await _problem(503, "Jeeves cannot finish installs right now", "Nothing was saved.")


async def _problem(status: int, heading: str, detail: str, *, retry: bool = True) -> Response:
    page = await render_template(
        "install/problem.html", heading=heading, detail=detail, retry=retry
    )
    return html_page(page, status)
