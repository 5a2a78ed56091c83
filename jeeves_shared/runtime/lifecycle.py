"""Draining: an HTTP service says it is going away before it stops taking requests.

On SIGTERM a serving app is marked *draining*: its ``/readyz`` answers 503 so that load
balancers (a Kubernetes Service's endpoints) stop sending it traffic, while it goes on serving
for ``JEEVES_SHUTDOWN_GRACE`` seconds; only then does Hypercorn stop accepting connections and
finish the requests in flight.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from quart import Quart

#: Where the draining flag lives in ``app.extensions``.
DRAINING_KEY = "jeeves.draining"


class ShutdownSettings(BaseSettings):
    """How an HTTP service stops (``JEEVES_SHUTDOWN_GRACE``)."""

    model_config = SettingsConfigDict(
        env_prefix="JEEVES_", extra="ignore", frozen=True, use_attribute_docstrings=True
    )

    shutdown_grace: float = Field(default=0.0, ge=0)
    """Seconds between SIGTERM and closing the listener, serving but unready (0: at once)."""


def start_draining(app: Quart) -> None:
    """Mark ``app`` as going away: its ``/readyz`` answers 503 from now on."""
    app.extensions[DRAINING_KEY] = True


def is_draining(app: Quart) -> bool:
    """True once :func:`start_draining` was called for ``app``."""
    return bool(app.extensions.get(DRAINING_KEY, False))
