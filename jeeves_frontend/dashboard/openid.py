"""Sign in with Slack: OpenID Connect's authorization code flow, ending in a dashboard session.

``GET /dashboard/signin`` sends the browser to Slack's authorize page (scopes
``openid email profile``) with a fresh ``state`` and ``nonce`` sealed in a cookie;
``GET /dashboard/oauth_redirect`` is where Slack sends it back. The redirect is checked in this
order: Slack's ``error`` parameter, this browser's state (single-use), the ``code``; then the
code is exchanged at ``openid.connect.token``, the ``id_token`` verified against Slack's keys,
and the person's workspace must have Jeeves installed. Every refusal is a page that says what
happened with a way on (4xx: nothing a browser sends produces a 5xx; 502/503 only when Slack's
or our own back end cannot be reached). Spec: OpenID Connect Core 1.0 §3.1; Slack's side:
https://docs.slack.dev/authentication/sign-in-with-slack/.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import structlog
from quart import Blueprint, Quart, Response, current_app, render_template, request
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.oauth import OpenIDConnectAuthorizeUrlGenerator
from slack_sdk.web.async_client import AsyncWebClient

from jeeves_frontend.dashboard.id_token import IdTokenRejected, IdTokenVerifier, KeysUnavailable
from jeeves_frontend.dashboard.identity import SlackIdentity
from jeeves_frontend.dashboard.signin_state import (
    COOKIE,
    PendingSignIn,
    SignInStates,
    StateRejected,
)
from jeeves_frontend.install.states import ClaimedOnce, OnceRecord
from jeeves_frontend.manifest import INSTALL_PATH, SIGNIN_REDIRECT_PATH
from jeeves_frontend.pages import html_page
from jeeves_frontend.settings import FrontendSettings
from jeeves_shared.dataclient import DataServiceClient, DataServiceError
from jeeves_shared.installations import InstallationKey
from jeeves_shared.runtime.settings import is_placeholder

log = structlog.get_logger(__name__)

blueprint = Blueprint("signin", __name__)

SCOPES = ("openid", "email", "profile")
SIGNIN_PATH = "/dashboard/signin"
EXTENSION_KEY = "jeeves.signin"


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
    dataservice: DataServiceClient
    #: Send the state cookie over HTTPS only (off only for dev on http://127.0.0.1).
    secure_cookie: bool


def install_signin(
    app: Quart,
    settings: FrontendSettings,
    dataservice: DataServiceClient | None,
    *,
    once: OnceRecord | None = None,
) -> None:
    """Mount Sign in with Slack on ``app``; ``dataservice`` finds the person's installation.

    Without a Slack client id and secret (or a Data Service) the routes stay, saying that
    sign-in is not configured, and :func:`signin_url` is None (pages hide the button). ``once``
    records used states (default: the Data Service's once-only claims, shared by replicas).
    """
    app.register_blueprint(blueprint)
    app.context_processor(_template_values)
    secret = settings.slack_client_secret.get_secret_value().strip()
    if not settings.slack_client_id.strip() or is_placeholder(secret) or dataservice is None:
        needs = "JEEVES_SLACK_CLIENT_ID, JEEVES_SLACK_CLIENT_SECRET"
        log.info("signin.not_configured", needs=needs)
        return
    client_id = settings.slack_client_id.strip()
    redirect_uri = settings.public_url.rstrip("/") + SIGNIN_REDIRECT_PATH
    app.extensions[EXTENSION_KEY] = SlackSignIn(
        client_id=client_id,
        client_secret=secret,
        redirect_uri=redirect_uri,
        authorize=OpenIDConnectAuthorizeUrlGenerator(
            client_id=client_id, redirect_uri=redirect_uri, scopes=list(SCOPES)
        ),
        slack=AsyncWebClient(base_url=settings.slack_api_url, timeout=10),
        verifier=IdTokenVerifier(client_id=client_id, jwks_url=settings.slack_openid_jwks_url),
        # The dashboard's cookie keys, newest first; itsdangerous wants the newest last.
        states=SignInStates(
            [secrets.token_urlsafe(32)], once or ClaimedOnce(dataservice)
        ),  # INTERIM
        dataservice=dataservice,
        secure_cookie=not is_local_dev(settings),
    )


def is_local_dev(settings: FrontendSettings) -> bool:
    """True in dev mode served over plain HTTP on this machine: cookies cannot be Secure."""
    url = urlsplit(settings.public_url)
    return settings.is_dev and url.scheme == "http" and url.hostname in ("127.0.0.1", "localhost")


def signin_url() -> str | None:
    """Where the *Sign in with Slack* button goes, or None when sign-in is not configured."""
    return SIGNIN_PATH if EXTENSION_KEY in current_app.extensions else None


async def _template_values() -> dict[str, Any]:
    return {"signin_url": signin_url()}


@blueprint.get(SIGNIN_PATH)
async def start() -> Response:
    """Send the browser to Slack with a fresh single-use state and nonce in a signed cookie."""
    signin = _signin()
    if signin is None:
        return await _not_configured()
    pending = PendingSignIn.new()
    response = _redirect(signin.authorize.generate(pending.state, nonce=pending.nonce))
    response.set_cookie(
        COOKIE,
        signin.states.seal(pending),
        max_age=signin.states.lifetime,
        path=SIGNIN_REDIRECT_PATH,
        secure=signin.secure_cookie,
        httponly=True,
        samesite="Lax",
    )
    return response


@blueprint.get(SIGNIN_REDIRECT_PATH)
async def oauth_redirect() -> Response:
    """Finish the sign-in Slack sent back, or say why it cannot be finished."""
    signin = _signin()
    if signin is None:
        return await _not_configured()
    response = await _finish(signin)
    # Used or not, this sign-in is over: the state cookie goes (a reload cannot replay it).
    response.delete_cookie(
        COOKIE,
        path=SIGNIN_REDIRECT_PATH,
        secure=signin.secure_cookie,
        httponly=True,
        samesite="Lax",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


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
    except DataServiceError as exc:
        return await _backend_down(exc)
    code = request.args.get("code", "").strip()
    if not code or len(code) > 500:
        return await _problem(400, "Slack sent no sign-in code", "The link is incomplete.")
    return await _signed_in(signin, code, pending)


async def _signed_in(signin: SlackSignIn, code: str, pending: PendingSignIn) -> Response:
    try:
        id_token = await _exchange(signin, code)
        identity = await signin.verifier.verify(id_token, nonce=pending.nonce)
    except _SlackUnavailable:
        return await _problem(502, "Slack could not be reached", "Please try again shortly.")
    except KeysUnavailable as exc:
        log.warning("signin.keys_unavailable", reason=exc.reason)
        return await _problem(502, "Slack could not be reached", "Please try again shortly.")
    except (_SlackRefused, IdTokenRejected) as exc:
        log.warning("signin.rejected", reason=str(exc))
        return await _problem(400, "Slack's answer could not be trusted", "Nothing was saved.")
    try:
        installed = await is_installed(signin.dataservice, identity)
    except DataServiceError as exc:
        return await _backend_down(exc)
    if not installed:
        log.info("signin.not_installed", team_id=identity.team_id)
        return await _not_installed(identity)
    log.info("signin.succeeded", team_id=identity.team_id, user_id=identity.user_id)
    response = await start_session(identity)
    return response


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
            raise _SlackUnavailable from exc
        raise _SlackRefused(f"openid.connect.token: {error}") from exc
    except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
        log.warning("signin.slack_unreachable", error=repr(exc))
        raise _SlackUnavailable from exc
    id_token = answer.get("id_token")
    if not isinstance(id_token, str) or not id_token:
        raise _SlackRefused("openid.connect.token gave no id_token")
    return id_token


def _redirect(location: str) -> Response:
    return Response("", status=302, headers={"Location": location})


def _signin() -> SlackSignIn | None:
    signin: SlackSignIn | None = current_app.extensions.get(EXTENSION_KEY)
    return signin


async def _not_configured() -> Response:
    detail = "This Jeeves has no Slack app configured for Sign in with Slack."
    return await _problem(404, "Sign in with Slack is not configured", detail, retry=False)


async def _not_installed(identity: SlackIdentity) -> Response:
    page = await render_template(
        "signin_not_installed.html", identity=identity, install_url=INSTALL_PATH
    )
    return html_page(page, 403)


async def _backend_down(exc: DataServiceError) -> Response:
    log.error("signin.dataservice_failed", status=exc.status, error=exc.error)
    return await _problem(503, "Jeeves cannot sign you in right now", "Please try again soon.")


async def _problem(status: int, heading: str, detail: str, *, retry: bool = True) -> Response:
    page = await render_template(
        "signin_problem.html", heading=heading, detail=detail, retry_url=_retry_url(retry)
    )
    return html_page(page, status)


def _retry_url(retry: bool) -> str | None:
    return SIGNIN_PATH if retry and EXTENSION_KEY in current_app.extensions else None


async def is_installed(dataservice: DataServiceClient, identity: SlackIdentity) -> bool:
    """Whether Jeeves is installed, and active, for ``identity``'s workspace or for their whole
    Enterprise Grid org. Raises :class:`DataServiceError` when the Data Service cannot tell."""
    key = InstallationKey(enterprise_id=identity.enterprise_id, team_id=identity.team_id)
    installation = await dataservice.find_installation(key)
    return installation is not None and installation.active


async def start_session(identity: SlackIdentity) -> Response:  # INTERIM until dashboard lands
    return _redirect("/dashboard")
