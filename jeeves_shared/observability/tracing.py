"""OpenTelemetry traces: one trace per Slack event, through every process it crosses.

The front door's request span (ASGI server span) is the root; its publish, the worker's
handling, the Data Service calls (aiohttp client span, ASGI server span), the reply's publish,
the poster's claim and its Slack call are its descendants. The W3C trace context
(``traceparent``) travels in the AMQP message headers and in HTTP request headers.

What does the work, and why each is trusted (``tests/test_tracing.py`` proves each one with our
pinned versions):

- AMQP: ``opentelemetry-instrumentation-aio-pika`` wraps ``Exchange.publish`` (producer span,
  injects the context into the message headers) and ``Queue.consume`` callbacks (consumer span,
  extracts it). Jeeves consumes with ``Queue.consume`` (never ``queue.iterator()``, which it does
  not cover). Jeeves' own re-publishes (retries through a delay queue, dead letters) go through
  ``Exchange.publish`` inside the failed delivery's consumer span, so the copy carries the same
  trace; RabbitMQ keeps the headers through the delay queue's TTL dead-lettering, and
  ``jeeves dlq replay`` publishes each letter within its own trace (:func:`continuing`).
- HTTP client: ``opentelemetry-instrumentation-aiohttp-client``'s trace config, given to each
  session Jeeves opens for event work (:func:`http_trace_configs`), not patched in globally.
- HTTP server: ``opentelemetry-instrumentation-asgi`` around each Quart app
  (:func:`instrument_app`); the span is renamed to the route template, never the raw path.
- Not used: the SQLAlchemy instrumentation (it refuses SQLAlchemy 2.1 without
  ``skip_dep_check=True`` and no test proves it here); Data Service queries show as the time
  of its server span.

Only ``traceparent`` is propagated (no ``baggage``): the same session calls Slack, and
Jeeves' correlation fields are not Slack's business. The Data Service and the TokenDealer
learn them from a ``baggage`` header that only their clients send
(:mod:`jeeves_shared.runtime.logs`).

Exporting is off unless ``OTEL_EXPORTER_OTLP_ENDPOINT`` or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``
is set (OTLP over HTTP/protobuf; every other standard ``OTEL_EXPORTER_OTLP_*`` variable applies).
Spans are still made without an exporter, so that log lines carry trace and span ids;
``OTEL_SDK_DISABLED=true`` turns tracing off altogether. Nothing here connects at import time:
the exporter sends from a background thread once spans end.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import aiohttp
from opentelemetry import context, propagate, trace
from opentelemetry.instrumentation.aio_pika import AioPikaInstrumentor
from opentelemetry.instrumentation.aiohttp_client import create_trace_config
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from quart import Quart, request

from jeeves_shared.messages import Action, Reply
from jeeves_shared.runtime.logs import bind_baggage

#: The instrumentation scope of Jeeves' own spans.
TRACER_NAME = "jeeves"
#: Paths never traced: probes and scrapes would drown the traces that matter.
UNTRACED_PATHS = "/healthz,/readyz,/livez,/metrics"
#: Variables that turn the OTLP exporter on (the OpenTelemetry standard ones).
ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")

tracer = trace.get_tracer(TRACER_NAME)


def configure_tracing(
    service: str,
    *,
    processor: SpanProcessor | None = None,
    environ: Mapping[str, str] = os.environ,
) -> TracerProvider | None:
    """Install this process's tracer provider (:func:`build_provider`) and the AMQP
    instrumentation; once per process.

    ``processor`` adds a span processor (tests: an in-memory exporter's). Returns the
    provider, or None when ``OTEL_SDK_DISABLED`` is ``true``. Called again (``jeeves dev`` and
    tests run several services in one process), it keeps the first provider and only adds
    ``processor``.
    """
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        provider = current
    else:
        built = build_provider(service, environ)
        if built is None:
            return None
        provider = built
        trace.set_tracer_provider(provider)
        # traceparent only: see the module's docstring on why not baggage.
        propagate.set_global_textmap(TraceContextTextMapPropagator())
        AioPikaInstrumentor().instrument(tracer_provider=provider)
    if processor is not None:
        provider.add_span_processor(processor)
    return provider


def build_provider(service: str, environ: Mapping[str, str]) -> TracerProvider | None:
    """A tracer provider for ``service`` as the ``OTEL_*`` variables in ``environ`` ask.

    None if ``OTEL_SDK_DISABLED`` is ``true``. ``service`` is the ``service.name`` unless
    ``OTEL_SERVICE_NAME`` says otherwise. With ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or
    ``..._TRACES_ENDPOINT``), spans are batched to it over OTLP/HTTP; without, none leave.
    """
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    attributes = {} if environ.get("OTEL_SERVICE_NAME") else {SERVICE_NAME: service}
    provider = TracerProvider(resource=Resource.create(attributes))
    exporter = _otlp_exporter(environ)
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def _otlp_exporter(environ: Mapping[str, str]) -> SpanExporter | None:
    if not any(environ.get(name) for name in ENDPOINT_VARIABLES):
        return None
    # Imported only when wanted: it pulls in protobuf and requests.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()


def http_trace_configs() -> list[aiohttp.TraceConfig]:
    """``trace_configs`` for an ``aiohttp.ClientSession``: a client span per request, and the
    ``traceparent`` header on it."""
    return [create_trace_config()]


def instrument_app(app: Quart, *, correlate: bool = False) -> None:
    """Give every request to ``app`` a server span (a child of the caller's ``traceparent``),
    named by its route template (``POST /api/v1/events/leases``), not its path.

    With ``correlate`` (services only Jeeves calls, never one facing the internet), the
    correlation fields of the request's ``baggage`` header are bound to its log lines
    (:func:`~jeeves_shared.runtime.logs.bind_baggage`), before anything else about it is logged.
    """
    app.asgi_app = OpenTelemetryMiddleware(  # type: ignore[method-assign,assignment]
        app.asgi_app, excluded_urls=UNTRACED_PATHS, exclude_spans=["receive", "send"]
    )

    @app.before_request
    async def name_span() -> None:
        if correlate:
            bind_baggage(request.headers.get("baggage"))
        rule = request.url_rule
        span = trace.get_current_span()
        if rule is not None and span.is_recording():
            span.update_name(f"{request.method} {rule.rule}")
            span.set_attribute("http.route", rule.rule)


@contextmanager
def continuing(headers: Mapping[str, Any]) -> Iterator[None]:
    """Within the block, the trace whose ``traceparent`` is in ``headers`` (an AMQP message's,
    say) is the current one: what is published there continues it."""
    token = context.attach(propagate.extract(headers))
    try:
        yield
    finally:
        context.detach(token)


@contextmanager
def handling(kind: str, message: Action | Reply) -> Iterator[trace.Span]:
    """The span of a worker of ``kind`` handling ``message`` (a child of its consumer span).

    An exception leaving the block is recorded on the span and marks it as an error.
    """
    with tracer.start_as_current_span(
        f"{kind} handle", attributes=message_attributes(message)
    ) as span:
        yield span


def message_attributes(message: Action | Reply) -> dict[str, Any]:
    """Span attributes naming ``message``: its id, what it answers, its workspace."""
    attributes: dict[str, Any] = {
        "messaging.message.id": message.id,
        "slack.team_id": message.conversation.team_id,
    }
    if isinstance(message, Action):
        attributes["jeeves.action_id"] = message.id
        attributes["jeeves.command"] = message.command
    else:
        attributes["jeeves.action_id"] = message.in_reply_to
        attributes["jeeves.reply_id"] = message.id
    return attributes
