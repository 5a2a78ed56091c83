"""ASGI entry point for Hypercorn: ``hypercorn dataservice.asgi:app``."""

from __future__ import annotations

from dataservice.app import create_app
from dataservice.settings import DataServiceSettings
from jeeves_shared.runtime.logs import configure_logging

settings = DataServiceSettings()
configure_logging(settings.log_level, settings.log_format)
app = create_app(settings)
