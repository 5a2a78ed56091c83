"""Structured logging: JSON lines in production, readable lines in dev.

Every module logs through ``structlog.get_logger(__name__)`` with an event name and fields
(``log.info("event.published", routing_key=...)``). Secrets are never passed to a logger;
:func:`redact_url` strips passwords from URLs that are.

Jeeves' own log calls are filtered by level and rendered by structlog straight to stderr, without
building a standard-library ``LogRecord``: on the front door's hot path that detour cost about
a seventh of its throughput. Libraries that log through the standard library (Hypercorn,
aio-pika, ...) are rendered by the same processors, so every line has one format.

Every line about an event carries the same correlation fields in every process, so that
``grep`` on one id shows the event's whole life: ``action_id`` (the Slack event's action),
``reply_id`` (once there is a reply), ``team_id`` (the workspace), and the OpenTelemetry
``trace_id`` and ``span_id`` of the span current when the line was written. The front door and
the AMQP consumer bind the first three (:func:`bind_message`); the Data Service and token
clients send them as a W3C ``baggage`` header (:func:`correlation_baggage`), which the Data
Service and the TokenDealer bind again (:func:`bind_baggage`).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any, Literal, TextIO
from urllib.parse import urlsplit, urlunsplit

import structlog
from opentelemetry import baggage, context, trace
from opentelemetry.baggage.propagation import W3CBaggagePropagator

from jeeves_shared.messages import Action, Reply

#: The correlation fields a message binds, in every process (see the module's docstring).
CORRELATION_FIELDS = ("action_id", "reply_id", "team_id")
_BAGGAGE = W3CBaggagePropagator()


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
        add_trace_ids,
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


def add_trace_ids(
    logger: Any, method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: the current span's ``trace_id`` and ``span_id`` (hex, as
    OpenTelemetry and W3C ``traceparent`` write them), when a span is current."""
    span_context = trace.get_current_span().get_span_context()
    if span_context.is_valid:
        event_dict.setdefault("trace_id", format(span_context.trace_id, "032x"))
        event_dict.setdefault("span_id", format(span_context.span_id, "016x"))
    return event_dict


def correlation_fields(message: Action | Reply) -> dict[str, str]:
    """The correlation fields of ``message``: its action id, reply id (replies) and team id."""
    if message.kind == "action":
        fields = {"action_id": message.id}
    else:
        fields = {"action_id": message.in_reply_to, "reply_id": message.id}
    return {**fields, "team_id": message.conversation.team_id}


@contextmanager
def bind_message(message: Action | Reply) -> Iterator[None]:
    """Within the block, every log line carries ``message``'s correlation fields."""
    with structlog.contextvars.bound_contextvars(**correlation_fields(message)):
        yield


def correlation_baggage() -> dict[str, str]:
    """A W3C ``baggage`` header with the correlation fields bound now (``{}`` if none are)."""
    bound = structlog.contextvars.get_contextvars()
    ctx = context.Context()
    for name in CORRELATION_FIELDS:
        value = bound.get(name)
        if isinstance(value, str):
            ctx = baggage.set_baggage(name, value, ctx)
    headers: dict[str, str] = {}
    _BAGGAGE.inject(headers, ctx)
    return headers


def bind_baggage(header: str | None) -> None:
    """Bind the correlation fields found in a request's W3C ``baggage`` header (other entries
    are ignored) to the current context; call it in the request's own task."""
    if not header:
        return
    found = baggage.get_all(_BAGGAGE.extract({"baggage": header}))
    fields = {k: str(v) for k, v in found.items() if k in CORRELATION_FIELDS}
    if fields:
        structlog.contextvars.bind_contextvars(**fields)
