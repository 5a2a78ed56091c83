"""The Data Service app factory."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import datetime

import aiohttp
import structlog
from quart import Quart, Response, request

from dataservice.bot_tokens import SlackRefresher
from dataservice.caching import finish_response
from dataservice.crypto import TokenCipher
from dataservice.db import open_database
from dataservice.errors import install_error_handlers
from dataservice.models import utcnow
from dataservice.openapi import build_document
from dataservice.operations import Api
from dataservice.settings import DataServiceSettings
from dataservice.timezones import known_timezones
from dataservice.views import (
    health,
    installations,
    me,
    reminders,
    replies,
    schedule,
    users,
    workspaces,
)
from dataservice.views.common import EXTENSION_KEY, Resources
from jeeves_shared.auth import HttpJwksSource, TokenVerifier
from jeeves_shared.auth.quart_auth import install_auth

log = structlog.get_logger(__name__)

APIS: tuple[Api, ...] = (
    health.api,
    users.api,
    workspaces.api,
    installations.api,
    replies.api,
    reminders.api,
    schedule.api,
    me.api,
)
API_VERSION = "1.0.0"
#: Where the HTTP session to Slack lives while the app serves.
SLACK_SESSION_KEY = "jeeves.dataservice.slack"
#: Our largest valid body (a workspace with 100 scopes) is far below this.
MAX_BODY_BYTES = 64 * 1024


def create_app(
    settings: DataServiceSettings,
    *,
    verifier: TokenVerifier | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> Quart:
    """Build the Data Service; it connects to nothing until it starts serving.

    ``verifier`` defaults to one reading the TokenDealer's JWKS at
    ``settings.dataservice_jwks_url``; tests pass one with a static key set. ``clock`` stamps
    the rows written.
    """
    cipher = TokenCipher.from_keys(settings.encryption_keys())
    app = Quart(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    install_auth(app, verifier or _jwks_verifier(settings))
    install_error_handlers(app)
    for api in APIS:
        app.register_blueprint(api.blueprint)
    app.extensions[health.OPENAPI_KEY] = openapi_bytes()
    _install_lifecycle(app, settings, cipher, clock)

    @app.after_request
    async def finish(response: Response) -> Response:
        await finish_response(request, response, gzip_min_bytes=settings.dataservice_gzip_min_bytes)
        return response

    return app


def openapi_bytes() -> bytes:
    """The OpenAPI document of every operation, as served."""
    operations = [op for api in APIS for op in api.operations]
    document = build_document(operations, title="Jeeves Data Service", version=API_VERSION)
    return json.dumps(document, separators=(",", ":")).encode()


def _jwks_verifier(settings: DataServiceSettings) -> TokenVerifier:
    return TokenVerifier(
        HttpJwksSource(settings.dataservice_jwks_url),
        audience=settings.dataservice_jwt_audience,
        issuer=settings.dataservice_jwt_issuer,
    )


def _install_lifecycle(
    app: Quart,
    settings: DataServiceSettings,
    cipher: TokenCipher,
    clock: Callable[[], datetime],
) -> None:
    @app.before_serving
    async def open_resources() -> None:
        await asyncio.to_thread(known_timezones)  # reads the tz database once, off the loop
        database = open_database(
            settings.database_url.get_secret_value(),
            pool_size=settings.dataservice_db_pool_size,
        )
        # Only token refreshes use it, one per installation at a time: a few connections do.
        slack = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=4))
        refresher = SlackRefresher(
            slack,
            base_url=settings.slack_api_url,
            credentials=settings.slack_client_credentials(),
            clock=clock,
        )
        app.extensions[EXTENSION_KEY] = Resources(
            database=database, cipher=cipher, clock=clock, refresher=refresher
        )
        app.extensions[SLACK_SESSION_KEY] = slack
        log.info("dataservice.serving")

    @app.after_serving
    async def close_resources() -> None:
        resources: Resources | None = app.extensions.pop(EXTENSION_KEY, None)
        if resources is not None:
            await resources.database.dispose()
        slack: aiohttp.ClientSession | None = app.extensions.pop(SLACK_SESSION_KEY, None)
        if slack is not None:
            await slack.close()
        log.info("dataservice.stopped")
