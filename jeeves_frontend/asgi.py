"""ASGI entry point for Hypercorn: ``hypercorn jeeves_frontend.asgi:app``.

Settings are read from the environment once, here, and logging is configured from them
(``JEEVES_LOG_LEVEL``, ``JEEVES_LOG_FORMAT``) as ``jeeves serve frontend`` does; nothing
connects until Hypercorn starts serving. Hypercorn's ``--bind`` decides the address.
"""

from __future__ import annotations

from jeeves_frontend.app import create_app
from jeeves_frontend.settings import FrontendSettings
from jeeves_shared.observability.tracing import configure_tracing
from jeeves_shared.runtime.logs import configure_logging

settings = FrontendSettings()
configure_logging(settings.log_level, settings.log_format)
configure_tracing("jeeves-frontend")
app = create_app(settings)
