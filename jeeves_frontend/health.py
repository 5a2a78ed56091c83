"""``/healthz`` (the process is alive) and ``/readyz`` (it can do its job)."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, current_app
from quart_rate_limiter import rate_exempt

from jeeves_frontend.state import front_door
from jeeves_shared.runtime.health import OK, readiness
from jeeves_shared.runtime.lifecycle import is_draining

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
@rate_exempt  # the kubelet's probes
async def healthz() -> tuple[dict[str, str], int]:
    """Alive: the event loop answers."""
    return {"status": "ok"}, 200


@blueprint.get("/readyz")
@rate_exempt
async def readyz() -> tuple[dict[str, Any], int]:
    """Ready when the broker is connected, until the process starts shutting down."""
    broker = OK if front_door().bus.is_ready() else "not connected"
    status, body = readiness({"broker": broker}, draining=is_draining(current_app))
    return body, status
