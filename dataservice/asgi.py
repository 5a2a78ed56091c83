"""ASGI entry point for Hypercorn: ``hypercorn dataservice.asgi:app``.

Settings are read from the environment once, here, and logging is configured from them
(``JEEVES_LOG_LEVEL``, ``JEEVES_LOG_FORMAT``) as ``jeeves serve dataservice`` does; nothing
connects until Hypercorn starts serving. Hypercorn's ``--bind`` decides the address.
"""

from __future__ import annotations

from dataservice.app import create_app
from dataservice.settings import DataServiceSettings
from jeeves_shared.observability.tracing import configure_tracing
from jeeves_shared.runtime.logs import configure_logging

settings = DataServiceSettings()
configure_logging(settings.log_level, settings.log_format)
configure_tracing("jeeves-dataservice")
app = create_app(settings)
