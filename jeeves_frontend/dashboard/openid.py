"""Sign in with Slack: OpenID Connect's authorization code flow, ending in a dashboard session.

``GET /dashboard/sign-in/slack`` sends the browser to Slack's authorize page (scopes
``openid email profile``) with a fresh ``state`` and ``nonce`` sealed in a cookie;
``GET /dashboard/oauth_redirect`` is where Slack sends it back. The redirect is checked in this
order: Slack's ``error`` parameter, this browser's state (single-use), the ``code``; then the
code is exchanged at ``openid.connect.token``, the ``id_token`` verified against Slack's keys,
and the person's workspace must have Jeeves installed. Slack's ``users.info`` (with the
installation's bot token) then gives their time zone and whether they are an admin or owner of
the workspace; when it cannot, they are signed in all the same. Every refusal is a page that
says what happened with a way on (4xx: nothing a browser sends produces a 5xx; 502/503 only
when Slack or the Data Service cannot be reached). Spec: OpenID Connect Core 1.0 §3.1; Slack's side:
https://docs.slack.dev/authentication/sign-in-with-slack/.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass
from datetime import timedelta

import aiohttp
import structlog
from quart import Blueprint, Quart, Response, current_app, render_template, request
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.oauth import OpenIDConnectAuthorizeUrlGenerator
from slack_sdk.web.async_client import AsyncWebClient

from jeeves_frontend.dashboard.errors import install_error_pages
from jeeves_frontend.dashboard.forms import timezones
from jeeves_frontend.dashboard.id_token import IdTokenRejected, IdTokenVerifier, KeysUnavailable
from jeeves_frontend.dashboard.identity import SlackIdentity
from jeeves_frontend.dashboard.sessions import dataservice, safe_next_path, start_session
from jeeves_frontend.dashboard.signin_state import (
    COOKIE,
    PendingSignIn,
    SignInStates,
    StateRejected,
)
from jeeves_frontend.install.states import ClaimedOnce
from jeeves_frontend.manifest import INSTALL_PATH, SIGNIN_REDIRECT_PATH, SIGNIN_SCOPES
from jeeves_frontend.pages import html_page
from jeeves_frontend.settings import FrontendSettings
from jeeves_frontend.state import DataServiceNotConfigured
from jeeves_shared.auth.errors import TokenRequestFailed
from jeeves_shared.dataclient import DataServiceError
from jeeves_shared.installations import InstallationKey
from jeeves_shared.runtime.settings import is_placeholder

log = structlog.get_logger(__name__)

#: The two routes, mounted when a Slack app is configured (the dashboard's sign-in page shows
#: its button when the endpoint ``dashboard_oidc.sign_in`` exists).
blueprint = Blueprint("dashboard_oidc", __name__)
install_error_pages(blueprint)
#: The same routes saying that sign-in is not configured, mounted otherwise.
off_blueprint = Blueprint("dashboard_oidc_off", __name__)

#: A sign-in path: the dashboard's rate limit per address (JEEVES_DASHBOARD_SIGN_INS_PER_MINUTE)
#: covers it.
SIGNIN_PATH = "/dashboard/sign-in/slack"
EXTENSION_KEY = "jeeves.signin"
#: Errors that mean the Data Service cannot answer now (the person may try again).
BACKEND_DOWN = (DataServiceError, TokenRequestFailed, DataServiceNotConfigured)


@dataclass(frozen=True)
class SlackSignIn:
    """Everything the two views need, kept on the app as ``app.extensions["jeeves.signin"]``."""

    client_id: str
    client_secret: str
    redirect_uri: str
    authorize: OpenIDConnectAuthorizeUrlGenerator
    slack: AsyncWebClient
    verifier: IdTokenVerifier
    states: SignInStates
    #: Send the state cookie over HTTPS only (off only for dev on http://127.0.0.1).
    secure_cookie: bool


def install_signin(app: Quart, settings: FrontendSettings) -> None:
    """Mount Sign in with Slack on ``app`` (after the dashboard: it uses its cookie keys).

    Without ``JEEVES_SLACK_CLIENT_ID`` and ``JEEVES_SLACK_CLIENT_SECRET`` the routes say that
    sign-in is not configured (404) and the dashboard shows no button. Used states are
    recorded in the Data Service's once-only claims, shared by every replica.
    """
    client_id = settings.slack_client_id.strip()
    secret = settings.slack_client_secret.get_secret_value().strip()
    if not client_id or is_placeholder(secret):
        log.info("signin.not_configured", needs="JEEVES_SLACK_CLIENT_ID, CLIENT_SECRET")
        app.register_blueprint(off_blueprint)
        return
    redirect_uri = settings.public_url.rstrip("/") + SIGNIN_REDIRECT_PATH
    app.extensions[EXTENSION_KEY] = SlackSignIn(
        client_id=client_id,
        client_secret=secret,
        redirect_uri=redirect_uri,
        authorize=OpenIDConnectAuthorizeUrlGenerator(
            client_id=client_id,
            redirect_uri=redirect_uri,
            scopes=list(SIGNIN_SCOPES),
            authorization_url=settings.slack_openid_authorize_url,
        ),
        slack=AsyncWebClient(base_url=settings.slack_api_url, timeout=10),
        verifier=IdTokenVerifier(client_id=client_id, jwks_url=settings.slack_openid_jwks_url),
        # The dashboard's cookie keys, newest first; itsdangerous wants the newest last.
        states=SignInStates(list(reversed(settings.secret_keys())), ClaimedOnce(dataservice)),
        secure_cookie=settings.cookie_secure(),
    )
    app.register_blueprint(blueprint)


@blueprint.get(SIGNIN_PATH)
async def sign_in() -> Response:
    """Send the browser to Slack with a fresh single-use state and nonce in a signed cookie;
    ``next`` (a dashboard path) is where the person lands once signed in."""
    signin = _signin()
    pending = PendingSignIn.new(next_path=safe_next_path(request.args.get("next")))
    location = signin.authorize.generate(pending.state, nonce=pending.nonce)
    response = Response("", 302, {"Location": location})
    response.set_cookie(
        COOKIE,
        signin.states.seal(pending),
        max_age=signin.states.lifetime,
        path=SIGNIN_REDIRECT_PATH,
        secure=signin.secure_cookie,
        httponly=True,
        samesite="Lax",  # sent on Slack's top-level redirect back, not on cross-site requests
    )
    return response


@blueprint.get(SIGNIN_REDIRECT_PATH)
async def oauth_redirect() -> Response:
    """Finish the sign-in Slack sent back, or say why it cannot be finished."""
    signin = _signin()
    response = await _finish(signin)
    # Used or not, this sign-in is over: the state cookie goes (a reload cannot replay it).
    response.delete_cookie(
        COOKIE,
        path=SIGNIN_REDIRECT_PATH,
        secure=signin.secure_cookie,
        httponly=True,
        samesite="Lax",
    )
    return response


@off_blueprint.get(SIGNIN_PATH)
@off_blueprint.get(SIGNIN_REDIRECT_PATH)
async def not_configured() -> Response:
    """Sign in with Slack is off: say so (404), with no button that cannot work."""
    detail = "This Jeeves has no Slack app configured for Sign in with Slack."
    return await _problem(404, "Sign in with Slack is not configured", detail, retry=False)


async def _finish(signin: SlackSignIn) -> Response:
    error = request.args.get("error")
    if error is not None:
        log.info("signin.refused_at_slack", error=error[:100])
        if error == "access_denied":
            return await _problem(403, "You cancelled the sign-in", "Slack did not sign you in.")
        return await _problem(400, "Slack could not sign you in", f"Slack said: {error[:100]}.")
    try:
        pending = await signin.states.take(request.cookies.get(COOKIE), request.args.get("state"))
    except StateRejected as exc:
        log.info("signin.state_rejected", reason=exc.reason)
        return await _problem(400, "This sign-in link is no longer valid", f"{exc.reason}.")
    except BACKEND_DOWN as exc:
        return await _backend_down(exc)
    code = request.args.get("code", "").strip()
    if not code or len(code) > 500:
        return await _problem(400, "Slack sent no sign-in code", "The link is incomplete.")
    return await _signed_in(signin, code, pending)


async def _signed_in(signin: SlackSignIn, code: str, pending: PendingSignIn) -> Response:
    try:
        id_token = await _exchange(signin, code)
        identity = await signin.verifier.verify(id_token, nonce=pending.nonce)
    except (_SlackUnavailable, KeysUnavailable) as exc:
        log.warning("signin.slack_unavailable", reason=str(exc))
        return await _problem(502, "Slack could not be reached", "Please try again shortly.")
    except (_SlackRefused, IdTokenRejected) as exc:
        log.warning("signin.rejected", reason=str(exc))
        return await _problem(400, "Slack's answer could not be trusted", "Nothing was saved.")
    try:
        if not await is_installed(identity):
            log.info("signin.not_installed", team_id=identity.team_id)
            return await _not_installed(identity)
        identity = await with_slack_profile(signin.slack, identity)
        response = await start_session(identity, pending.next_path)
    except BACKEND_DOWN as exc:
        return await _backend_down(exc)
    log.info("signin.succeeded", team_id=identity.team_id, user_id=identity.user_id)
    return response


async def is_installed(identity: SlackIdentity) -> bool:
    """Whether Jeeves is installed, and active, for ``identity``'s workspace or for their whole
    Enterprise Grid org. Raises :class:`DataServiceError` when the Data Service cannot tell."""
    key = InstallationKey(enterprise_id=identity.enterprise_id, team_id=identity.team_id)
    installation = await dataservice().find_installation(key)
    return installation is not None and installation.active


#: How long the bot token used for ``users.info`` must stay valid (one call).
_TOKEN_VALIDITY = timedelta(minutes=1)
#: Seconds the token and ``users.info`` may take together before the sign-in goes on without.
_PROFILE_DEADLINE = 5.0
#: What may go wrong asking Slack about the person: nothing of it may stop the sign-in.
_PROFILE_ERRORS = (
    SlackApiError,
    SlackClientError,
    aiohttp.ClientError,
    TimeoutError,
    *BACKEND_DOWN,
)


async def with_slack_profile(slack: AsyncWebClient, identity: SlackIdentity) -> SlackIdentity:
    """``identity`` with what Slack's ``users.info`` says of the person: their time zone
    (``tz``, if it is an IANA zone we know) and ``is_admin`` / ``is_owner`` in the workspace.

    Called with the installation's bot token (scope ``users:read``; the front door's Data
    Service client holds ``installations:token`` for it). When Slack or the Data Service
    cannot answer, ``identity`` comes back as it was (nothing is stored of the roles; the
    person is signed in all the same) and the reason is logged, never the token.
    """
    key = InstallationKey(enterprise_id=identity.enterprise_id, team_id=identity.team_id)
    try:
        # The person waits on this page: a slow Slack costs them seconds, not the sign-in.
        async with asyncio.timeout(_PROFILE_DEADLINE):
            bot = await dataservice().fresh_bot_token(key, valid_for=_TOKEN_VALIDITY)
            answer = await slack.users_info(user=identity.user_id, token=bot.token)
    except _PROFILE_ERRORS as exc:
        error = exc.response.get("error") if isinstance(exc, SlackApiError) else None
        log.warning(
            "signin.users_info_failed",
            team_id=identity.team_id,
            reason=type(exc).__name__,
            slack_error=error,
        )
        return identity
    user = answer.get("user")
    if not isinstance(user, dict) or user.get("id") != identity.user_id:
        log.warning("signin.users_info_unexpected", team_id=identity.team_id)
        return identity
    tz = user.get("tz")
    return dataclasses.replace(
        identity,
        timezone=tz if isinstance(tz, str) and tz in timezones() else identity.timezone,
        is_admin=user.get("is_admin") is True,
        is_owner=user.get("is_owner") is True or user.get("is_primary_owner") is True,
    )


class _SlackRefused(Exception):
    """Slack refused the code exchange (``invalid_code``, ``bad_redirect_uri`` ...)."""


class _SlackUnavailable(Exception):
    """Slack did not answer the code exchange (network, 5xx, rate limit)."""


async def _exchange(signin: SlackSignIn, code: str) -> str:
    """The id_token Slack gives for ``code`` at ``openid.connect.token``."""
    try:
        answer = await signin.slack.openid_connect_token(
            client_id=signin.client_id,
            client_secret=signin.client_secret,
            code=code,
            redirect_uri=signin.redirect_uri,
        )
    except SlackApiError as exc:
        status = exc.response.status_code
        error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
        log.warning("signin.token_exchange_failed", status=status, error=error)
        if status >= 500 or status == 429:
            raise _SlackUnavailable(f"openid.connect.token answered {status}") from exc
        raise _SlackRefused(f"openid.connect.token: {error}") from exc
    except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
        raise _SlackUnavailable(f"openid.connect.token unreachable: {exc!r}") from exc
    id_token = answer.get("id_token")
    if not isinstance(id_token, str) or not id_token:
        raise _SlackRefused("openid.connect.token gave no id_token")
    return id_token


def _signin() -> SlackSignIn:
    signin: SlackSignIn = current_app.extensions[EXTENSION_KEY]
    return signin


async def _not_installed(identity: SlackIdentity) -> Response:
    page = await render_template(
        "signin_not_installed.html",
        identity=identity,
        install_url=INSTALL_PATH,
        retry_url=SIGNIN_PATH,
    )
    return html_page(page, 403)


async def _backend_down(exc: Exception) -> Response:
    log.error("signin.dataservice_unavailable", error=str(exc))
    return await _problem(503, "Jeeves cannot sign you in right now", "Please try again soon.")


async def _problem(status: int, heading: str, detail: str, *, retry: bool = True) -> Response:
    page = await render_template(
        "signin_problem.html",
        heading=heading,
        detail=detail,
        retry_url=SIGNIN_PATH if retry else None,
    )
    return html_page(page, status)
