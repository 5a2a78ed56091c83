"""Dashboard sessions: a random session id in a signed cookie, its row in the Data Service.

quart-auth (cookie mode) keeps the id in an ``HttpOnly``, ``SameSite=Lax`` cookie (``Secure``
except on ``jeeves dev``'s http://127.0.0.1), signed with ``JEEVES_DASHBOARD_SECRET_KEYS``
(newest first; the older keys still verify). The cookie alone proves nothing more than "this
id was issued here": every request asks the Data Service about the id, which knows whether it
expired or was signed out, so sign-out holds across every front-door replica at once.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote, unquote, urlsplit

from flask.sessions import SessionMixin
from quart import Quart, Response
from quart.sessions import SessionInterface
from quart.wrappers import BaseRequestWebsocket
from quart_auth import AuthUser, QuartAuth, current_user, login_user, logout_user

from jeeves_frontend.dashboard.identity import SlackIdentity
from jeeves_frontend.settings import FrontendSettings
from jeeves_frontend.state import front_door
from jeeves_shared.dataclient import DataServiceClient

#: ``__Host-``: the browser keeps it only if Secure, for this host alone, on path ``/``.
SECURE_COOKIE = "__Host-jeeves_session"
DEV_COOKIE = "jeeves_session"
HOME = "/dashboard"


def install_sessions(app: Quart, settings: FrontendSettings) -> None:
    """Configure the cookie (keys, flags, lifetime) on ``app``.

    Raises :class:`~jeeves_shared.runtime.settings.SettingsError` for a missing or short key
    outside dev mode, or an insecure cookie outside dev mode.
    """
    keys = settings.secret_keys()
    app.secret_key = keys[0]
    app.config["SECRET_KEY_FALLBACKS"] = keys[1:]
    app.session_interface = NoCookieSession()  # type: ignore[assignment]  # any SessionInterface will do
    secure = settings.cookie_secure()
    QuartAuth(
        app,
        cookie_name=SECURE_COOKIE if secure else DEV_COOKIE,
        cookie_secure=secure,
        cookie_http_only=True,
        cookie_samesite="Lax",
        duration=int(session_lifetime(settings).total_seconds()),
        mode="cookie",
        salt="jeeves.dashboard.session",
    )


class NoCookieSession(SessionInterface):
    """Quart's own cookie session (``quart.session``) is not used: a dashboard session is
    quart-auth's cookie and its row in the Data Service. Every request gets Quart's null
    session, which refuses writes, so a stray ``session[...] = ...`` fails loudly.

    Without this, the app's secret key makes Quart build an itsdangerous serializer and look
    for a cookie on every request, Slack's events included (about 3% of the front door's CPU
    per event).
    """

    async def open_session(self, app: Quart, request: BaseRequestWebsocket) -> None:
        return None

    async def save_session(self, app: Quart, session: SessionMixin, response: object) -> None:
        return None


def session_lifetime(settings: FrontendSettings) -> timedelta:
    """How long a sign-in lasts (``JEEVES_DASHBOARD_SESSION_HOURS``)."""
    return timedelta(hours=settings.dashboard_session_hours)


def current_session_id() -> str | None:
    """The session id of the request's cookie, if it carries a validly signed one (whether
    the session still holds is the Data Service's to say)."""
    session_id: str | None = current_user.auth_id
    return session_id


def dataservice() -> DataServiceClient:
    """The front door's Data Service client; raises
    :class:`~jeeves_frontend.state.DataServiceNotConfigured` when it has none."""
    return front_door().dataservice


async def start_session(identity: SlackIdentity, next_path: str | None = None) -> Response:
    """Sign ``identity`` in: a new session in the Data Service (their user is created on
    first sight), its id in the cookie, and a redirect (303) to ``next_path`` if it is a
    dashboard path of this site, else to the dashboard.

    Raises :class:`~jeeves_shared.dataclient.DataServiceUnavailable` (or
    :class:`~jeeves_shared.auth.errors.TokenRequestFailed`) when the Data Service cannot be
    reached: the caller's error handler shows a message.
    """
    settings = front_door().settings
    created = await dataservice().create_session(
        identity.team_id,
        identity.user_id,
        display_name=identity.name,
        team_name=identity.team_name,
        lifetime=session_lifetime(settings),
        timezone=identity.timezone,
        is_admin=identity.is_admin,
        is_owner=identity.is_owner,
    )
    login_user(AuthUser(created.session_id), remember=True)
    return see_other(safe_next_path(next_path))


def see_other(path: str) -> Response:
    """A 303 to ``path`` of this site (the browser then GETs it)."""
    return Response("", 303, {"Location": path})


async def end_session() -> None:
    """Sign out: revoke the session in the Data Service, and drop the cookie."""
    session_id = current_session_id()
    logout_user()
    if session_id is not None:
        await dataservice().revoke_session(session_id)


def forget_session() -> None:
    """Drop the cookie (its session has ended already)."""
    logout_user()


def safe_next_path(next_path: str | None) -> str:
    """``next_path`` if it is a path of this site's dashboard, else :data:`HOME`.

    An allow-list of shapes, not of strings: no scheme, no host, no ``//`` or backslash (which
    browsers read as another host), no control characters, and under ``/dashboard`` once
    percent-decoded and its dot segments resolved (RFC 3986 section 5.2.4, as the browser will:
    ``/dashboard/%2e%2e/api/me`` is ``/api/me``). Returns that resolved path, re-encoded, with
    the query kept.
    """
    if not next_path or any(ch in next_path for ch in "\\\r\n\t") or next_path.startswith("//"):
        return HOME
    parts = urlsplit(next_path)
    if parts.scheme or parts.netloc:
        return HOME
    decoded = unquote(parts.path)
    # Still encoded after one decoding (``%252e``), or hiding what we refuse above: no
    # dashboard path looks like that, so no need to guess how a server would read it.
    if "%" in decoded or any(ch in decoded for ch in "\\\r\n\t\x00"):
        return HOME
    path = _remove_dot_segments(decoded)
    if path != HOME and not path.startswith(HOME + "/"):
        return HOME  # /dashboardevil, /api/me, /dashboard/../slack/install
    if "//" in path:
        return HOME  # an empty segment: no dashboard path has one
    resolved = quote(path, safe="/-._~!$&'()*+,;=:@")
    return f"{resolved}?{parts.query}" if parts.query else resolved


def _remove_dot_segments(path: str) -> str:
    """RFC 3986's ``remove_dot_segments`` for an absolute path (``/a/b/../c`` is ``/a/c``)."""
    out: list[str] = []
    segments = path.split("/")[1:] if path.startswith("/") else path.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "..":
            if out:
                out.pop()
            if last:
                out.append("")
        elif segment == ".":
            if last:
                out.append("")
        else:
            out.append(segment)
    return "/" + "/".join(out)
