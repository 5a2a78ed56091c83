"""The front door's app factory."""

from __future__ import annotations

from typing import Any

import aiohttp
import structlog
from quart import Quart, request
from slack_sdk.signature import SignatureVerifier
from werkzeug.exceptions import HTTPException

from jeeves_frontend import devchat, devstatus, health, slack
from jeeves_frontend.authorize import Installations
from jeeves_frontend.dashboard import install_dashboard
from jeeves_frontend.dashboard.openid import install_signin
from jeeves_frontend.devchat import ChatLog
from jeeves_frontend.install import mount_install
from jeeves_frontend.recent import RecentEvents
from jeeves_frontend.settings import FrontendSettings
from jeeves_frontend.signature import SignatureRejected
from jeeves_frontend.state import FrontDoor
from jeeves_shared.auth.client import TokenClient
from jeeves_shared.bus import Bus, BusUnavailable
from jeeves_shared.bus.amqp import AmqpBus
from jeeves_shared.bus.topology import WORKER_QUEUES
from jeeves_shared.dataclient import FRONTEND_SCOPES, DataServiceClient
from jeeves_shared.flags import Flags, SettingsProvider
from jeeves_shared.observability.http import instrument
from jeeves_shared.observability.tracing import http_trace_configs, instrument_app

log = structlog.get_logger(__name__)


def create_app(
    settings: FrontendSettings | None = None,
    *,
    bus: Bus | None = None,
    chat: ChatLog | None = None,
    flags: Flags | None = None,
    dataservice: DataServiceClient | None = None,
) -> Quart:
    """Build the front door.

    Without ``bus`` the app connects to RabbitMQ at ``JEEVES_AMQP_URL`` when it starts serving
    (and closes the connection when it stops). ``chat`` mounts the local chat page and the
    status page (``/dev/status``); only ``jeeves dev`` passes one. Without ``dataservice``, a
    Data Service client is opened while the app serves if ``JEEVES_FRONTEND_CLIENT_SECRET`` is
    set (views reach it as ``front_door().dataservice``: the dashboard, Sign in with Slack, the
    install pages). With Slack's OAuth install configured
    (:attr:`~FrontendSettings.authorizes_installations`), every event is authorized per
    installation through that client (:mod:`jeeves_frontend.authorize`).
    Without ``flags`` the rollouts of ``JEEVES_FLAGS`` answer the feature flags
    (:class:`~jeeves_shared.flags.SettingsProvider`, ready before this returns).
    """
    settings = settings or FrontendSettings()
    secret = settings.signing_secret()  # refuses to build without one outside dev mode
    # Pages' scripts, styles and icons are files served from the package (never inline, so a
    # strict Content-Security-Policy holds; never from a CDN).
    app = Quart(__name__, static_folder="static", static_url_path="/static")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    instrument_app(app)
    door = FrontDoor(
        settings=settings,
        bus=bus
        or AmqpBus(
            settings.amqp_url.get_secret_value(),
            declare=WORKER_QUEUES.values(),
            publish_timeout=settings.publish_timeout,
        ),
        verifier=SignatureVerifier(secret) if secret else None,
        recent=RecentEvents(settings.recent_events),
        flags=flags or Flags.install(SettingsProvider(settings.flag_rules())),
        data_client=dataservice,
    )
    app.extensions["jeeves"] = door
    instrument(app, "frontend")
    if bus is None:
        app.before_serving(door.bus.start)
        app.after_serving(door.bus.close)
    if dataservice is None and settings.client_secret() is not None:
        _open_dataservice_client(app, door)
    app.register_blueprint(health.blueprint)
    app.register_blueprint(slack.blueprint)
    mount_install(app, settings)  # refuses a client id without its secret
    if settings.authorizes_installations:
        # Without a Data Service client (no JEEVES_FRONTEND_CLIENT_SECRET) events are answered
        # 503 and logged, for Slack to deliver again once it is set, like the install pages.
        door.installations = Installations(
            lambda: door.dataservice,
            size=settings.installation_cache_size,
            ttl=settings.installation_cache_seconds,
        )
    install_dashboard(app, settings)
    install_signin(app, settings)
    if chat is not None:
        app.extensions["jeeves.chat"] = chat
        app.register_blueprint(devchat.blueprint)
        app.register_blueprint(devstatus.blueprint)
    _register_errors(app)
    return app


def _open_dataservice_client(app: Quart, door: FrontDoor) -> None:
    """The front door's Data Service client, over its own pooled session, while serving."""
    settings = door.settings
    holder: list[aiohttp.ClientSession] = []

    @app.before_serving
    async def open_client() -> None:
        session = aiohttp.ClientSession(trace_configs=http_trace_configs())
        holder.append(session)
        tokens = TokenClient(
            session,
            token_url=f"{settings.tokendealer_url.rstrip('/')}/oauth/token",
            client_id=settings.frontend_client_id,
            client_secret=settings.frontend_client_secret,
        )
        door.data_client = DataServiceClient.from_token_client(
            session, settings.dataservice_url, tokens, scopes=FRONTEND_SCOPES
        )

    @app.after_serving
    async def close_client() -> None:
        door.data_client = None
        while holder:
            await holder.pop().close()


def _register_errors(app: Quart) -> None:
    """One table from domain errors to HTTP answers; every error body is JSON."""

    @app.errorhandler(SignatureRejected)
    async def rejected(exc: SignatureRejected) -> tuple[dict[str, Any], int]:
        log.warning("slack.signature_rejected", reason=exc.reason, path=request.path)
        return {"error": "invalid_signature"}, 401

    @app.errorhandler(slack.MalformedRequest)
    async def malformed(
        exc: slack.MalformedRequest,
    ) -> tuple[dict[str, Any], int, dict[str, str]]:
        # Sending the same body again cannot help: ask Slack not to retry it.
        return {"error": "malformed_request", "detail": exc.detail}, 400, {"X-Slack-No-Retry": "1"}

    @app.errorhandler(slack.SlackNotConfigured)
    async def not_configured(exc: slack.SlackNotConfigured) -> tuple[dict[str, Any], int]:
        detail = "set JEEVES_SLACK_SIGNING_SECRET to take Slack requests"
        return {"error": "slack_not_configured", "detail": detail}, 503

    @app.errorhandler(slack.InstallationsUnavailable)
    async def no_installations(exc: slack.InstallationsUnavailable) -> tuple[dict[str, Any], int]:
        # Logged where it happened; Slack delivers the event again after a 5xx.
        return {"error": "temporarily_unavailable"}, 503

    @app.errorhandler(BusUnavailable)
    async def unavailable(exc: BusUnavailable) -> tuple[dict[str, Any], int]:
        log.error("bus.publish_failed", error=str(exc), path=request.path)
        return {"error": "temporarily_unavailable"}, 503

    @app.errorhandler(HTTPException)
    async def http_error(exc: HTTPException) -> tuple[dict[str, Any], int]:
        code = exc.code or 500
        return {"error": (exc.name or "error").lower().replace(" ", "_")}, code

    @app.errorhandler(Exception)
    async def unexpected(exc: Exception) -> tuple[dict[str, Any], int]:
        log.exception("frontend.unexpected_error", path=request.path)
        return {"error": "internal_error"}, 500
