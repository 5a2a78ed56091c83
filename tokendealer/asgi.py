"""ASGI entry point for Hypercorn: ``hypercorn tokendealer.asgi:app``.

Settings are read from the environment once, here, and logging is configured from them
(``JEEVES_LOG_LEVEL``, ``JEEVES_LOG_FORMAT``) as ``jeeves serve tokendealer`` does; nothing
connects until Hypercorn starts serving. Hypercorn's ``--bind`` decides the address.
"""

from __future__ import annotations

from jeeves_shared.observability.tracing import configure_tracing
from jeeves_shared.runtime.logs import configure_logging
from tokendealer.app import create_app
from tokendealer.settings import TokenDealerSettings

settings = TokenDealerSettings()
configure_logging(settings.log_level, settings.log_format)
configure_tracing("jeeves-tokendealer")
app = create_app(settings)
