"""The front door's app factory."""

from __future__ import annotations

from typing import Any

import aiohttp
import structlog
from quart import Quart, request
from slack_sdk.signature import SignatureVerifier
from werkzeug.exceptions import HTTPException

from jeeves_frontend import devchat, health, slack
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

log = structlog.get_logger(__name__)


def create_app(
    settings: FrontendSettings | None = None,
    *,
    bus: Bus | None = None,
    chat: ChatLog | None = None,
    dataservice: DataServiceClient | None = None,
) -> Quart:
    """Build the front door.

    Without ``bus`` the app connects to RabbitMQ at ``JEEVES_AMQP_URL`` when it starts serving
    (and closes the connection when it stops). ``chat`` mounts the local chat page; only
    ``jeeves dev`` passes one. Without ``dataservice``, a Data Service client is opened while
    the app serves if ``JEEVES_FRONTEND_CLIENT_SECRET`` is set (views reach it as
    ``front_door().dataservice``: the dashboard, Sign in with Slack, the install pages).
    """
    settings = settings or FrontendSettings()
    secret = settings.signing_secret()  # refuses to build without one outside dev mode
    # Pages' scripts, styles and icons are files served from the package (never inline, so a
    # strict Content-Security-Policy holds; never from a CDN).
    app = Quart(__name__, static_folder="static", static_url_path="/static")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
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
        data_client=dataservice,
    )
    app.extensions["jeeves"] = door
    if bus is None:
        app.before_serving(door.bus.start)
        app.after_serving(door.bus.close)
    if dataservice is None and settings.client_secret() is not None:
        _open_dataservice_client(app, door)
    app.register_blueprint(health.blueprint)
    app.register_blueprint(slack.blueprint)
    mount_install(app, settings)
    install_dashboard(app, settings)
    install_signin(app, settings)
    if chat is not None:
        app.extensions["jeeves.chat"] = chat
        app.register_blueprint(devchat.blueprint)
    _register_errors(app)
    return app


def _open_dataservice_client(app: Quart, door: FrontDoor) -> None:
    """The front door's Data Service client, over its own pooled session, while serving."""
    settings = door.settings
    holder: list[aiohttp.ClientSession] = []

    @app.before_serving
    async def open_client() -> None:
        session = aiohttp.ClientSession()
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
