"""The web dashboard at ``/dashboard``: a person's settings and reminders, signed in.

:func:`install_dashboard` mounts it on the front door: sessions (:mod:`.sessions`), the pages
(:mod:`.pages`), the ``/api/me`` JSON API they use (:mod:`.api`), CSRF checks (:mod:`.csrf`),
security headers (:mod:`.headers`) and rate limits. Sign in with Slack (OpenID Connect) calls
:func:`~jeeves_frontend.dashboard.sessions.start_session` with a
:class:`~jeeves_frontend.dashboard.identity.SlackIdentity`; ``jeeves dev`` adds a *Sign in as a
dev user* button.
"""

from __future__ import annotations

from quart import Blueprint, Quart
from quart_cors import cors
from quart_rate_limiter import RateLimiter

from jeeves_frontend.dashboard import api, pages
from jeeves_frontend.dashboard.forms import timezones
from jeeves_frontend.dashboard.headers import install_headers
from jeeves_frontend.dashboard.identity import SlackIdentity
from jeeves_frontend.dashboard.sessions import install_sessions, start_session
from jeeves_frontend.dashboard.views import rate_limits
from jeeves_frontend.settings import FrontendSettings

__all__ = ["SlackIdentity", "install_dashboard", "start_session"]


def install_dashboard(app: Quart, settings: FrontendSettings) -> None:
    """Mount the dashboard on ``app``.

    Raises :class:`~jeeves_shared.runtime.settings.SettingsError` for unusable settings (a
    missing cookie key or an insecure cookie outside dev mode).
    """
    install_sessions(app, settings)
    install_headers(app)
    # Counts live in this process (quart-rate-limiter's memory store): each replica limits
    # on its own, which bounds abuse well enough without another shared service.
    RateLimiter(app, default_limits=rate_limits(settings))
    timezones()  # read the tz database once, at start, not on the event loop later
    app.register_blueprint(pages.blueprint)
    app.register_blueprint(_with_cors(api.blueprint, settings.allowed_origins()))
    if settings.is_dev:
        app.register_blueprint(pages.dev_blueprint)


def _with_cors(blueprint: Blueprint, origins: list[str]) -> Blueprint:
    """``blueprint``, answering CORS requests from ``origins`` (with the person's cookie) when
    there are any; without, no CORS header at all, so browsers keep other sites out.

    The module's blueprint is shared by every app built in a process, so the policy goes on a
    parent blueprint made for this app (its ``after_request`` applies to the nested one).
    """
    if not origins:
        return blueprint
    parent = Blueprint("cors", __name__)
    cors(
        parent,
        allow_origin=origins,
        allow_credentials=True,
        allow_methods=["GET", "PATCH", "PUT", "POST", "DELETE"],
        allow_headers=["Content-Type", "X-CSRF-Token"],
    )
    parent.register_blueprint(blueprint)
    return parent
