"""``/healthz``, ``/readyz`` and ``/openapi.json`` (no token needed)."""

from __future__ import annotations

import asyncio

import structlog
from quart import Response, current_app
from sqlalchemy.exc import SQLAlchemyError

from dataservice import queries
from dataservice.operations import Api
from dataservice.schemas.health import Health
from dataservice.views.common import json_response, resources
from jeeves_shared.runtime.health import OK, readiness
from jeeves_shared.runtime.lifecycle import is_draining

log = structlog.get_logger(__name__)

api = Api("health")
OPENAPI_KEY = "jeeves.dataservice.openapi"
#: A database slower than this to answer ``SELECT 1`` counts as unreachable.
READY_TIMEOUT_SECONDS = 2.0


@api.operation("GET", "/healthz", summary="Liveness", responses={200: Health})
async def healthz() -> Response:
    """The process serves requests."""
    return json_response(Health(status="ok"), headers={"Cache-Control": "no-store"})


@api.operation("GET", "/readyz", summary="Readiness", responses={200: Health, 503: Health})
async def readyz() -> Response:
    """The database answers a ``SELECT 1``, and the process is not shutting down."""
    database = OK
    if not is_draining(current_app):
        try:
            async with asyncio.timeout(READY_TIMEOUT_SECONDS):
                async with resources().database.reader.connect() as conn:
                    await queries.ping(conn)
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            log.warning("dataservice.not_ready", error=repr(exc))
            database = type(exc).__name__
    status, body = readiness({"database": database}, draining=is_draining(current_app))
    return json_response(Health(**body), status, headers={"Cache-Control": "no-store"})


@api.operation(
    "GET", "/openapi.json", summary="This API's OpenAPI 3.1 document", responses={200: None}
)
async def openapi_document() -> Response:
    """The document, generated from the models at start."""
    document: bytes = current_app.extensions[OPENAPI_KEY]
    return Response(document, content_type="application/json")
