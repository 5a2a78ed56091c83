"""Structured logging: JSON lines in production, readable lines in dev.

Every module logs through ``structlog.get_logger(__name__)`` with an event name and fields
(``log.info("event.published", routing_key=...)``). Secrets are never passed to a logger;
:func:`redact_url` strips passwords from URLs that are.

Jeeves' own log calls are filtered by level and rendered by structlog straight to stderr, without
building a standard-library ``LogRecord``: on the front door's hot path that detour cost about
a seventh of its throughput. Libraries that log through the standard library (Hypercorn,
aio-pika, ...) are rendered by the same processors, so every line has one format.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, Literal, TextIO
from urllib.parse import urlsplit, urlunsplit

import structlog


class _NamedWriteLogger(structlog.WriteLogger):
    """structlog's fast writer, keeping the name ``get_logger(__name__)`` gave it."""

    def __init__(self, file: TextIO, name: str) -> None:
        super().__init__(file)
        self.name = name


def _logger_factory(*args: Any) -> _NamedWriteLogger:
    name = str(args[0]) if args else "jeeves"
    return _NamedWriteLogger(sys.stderr, name)


def configure_logging(level: str = "INFO", fmt: Literal["json", "console"] = "json") -> None:
    """Route structlog and the standard library's logging to stderr in one format."""
    numeric_level = logging.getLevelNamesMapping()[level.upper()]
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        logger_factory=_logger_factory,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric_level)
    # Libraries that are chatty at INFO about every connection.
    for name in ("aiormq", "aio_pika", "hypercorn.access", "alembic.runtime.plugins"):
        logging.getLogger(name).setLevel(logging.WARNING)


def redact_url(url: str) -> str:
    """Return ``url`` with any password replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))
