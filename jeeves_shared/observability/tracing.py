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
- HTTP server: :class:`ServerSpans` around each Quart app (:func:`instrument_app`), our own
  twenty lines rather than ``opentelemetry-instrumentation-asgi``: see the class for the
  measured reason. The span is named by the route template, never the raw path.
- Not used: the SQLAlchemy instrumentation (it refuses SQLAlchemy 2.1 without
  ``skip_dep_check=True`` and no test proves it here); Data Service queries show as the time
  of its server span.

Only ``traceparent`` is propagated (no ``baggage``): the same session calls Slack, and
Jeeves' correlation fields are not Slack's business. The Data Service and the TokenDealer
learn them from a ``baggage`` header that only their clients send
(:mod:`jeeves_shared.runtime.logs`).

Exporting is off unless ``OTEL_EXPORTER_OTLP_ENDPOINT`` or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``
is set (OTLP over HTTP/protobuf; every other standard ``OTEL_EXPORTER_OTLP_*`` variable applies).
Without an exporter nothing is recorded (:class:`WhileExported`), but every span still has its
trace and span ids and carries them on: log lines show them and ``grep`` follows one event
through every process at almost no cost. ``OTEL_TRACES_SAMPLER`` (the standard variable)
chooses among recorded traces; ``OTEL_SDK_DISABLED=true`` turns tracing off altogether, ids
included. Nothing here connects at import time: the exporter sends from a background thread
once spans end.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterator, Mapping, MutableMapping, Sequence
from contextlib import contextmanager
from typing import Any

import aiohttp
from opentelemetry import context, propagate, trace
from opentelemetry.instrumentation.aio_pika import AioPikaInstrumentor
from opentelemetry.instrumentation.aiohttp_client import create_trace_config
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider, sampling
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import Attributes
from quart import Quart, request

from jeeves_shared.messages import Action, Reply
from jeeves_shared.runtime.logs import bind_baggage

#: The instrumentation scope of Jeeves' own spans.
TRACER_NAME = "jeeves"
#: Paths never traced: probes and scrapes would drown the traces that matter.
UNTRACED_PATHS = frozenset({"/healthz", "/readyz", "/livez", "/metrics"})
#: The HTTP headers of the W3C trace context (https://www.w3.org/TR/trace-context/).
TRACE_CONTEXT_HEADERS = frozenset({b"traceparent", b"tracestate"})
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
        export_to(provider, processor)
    return provider


def export_to(provider: TracerProvider, processor: SpanProcessor) -> None:
    """Hand every span ``provider`` ends from now on to ``processor`` (an exporter's), and so
    start recording them (:class:`WhileExported`)."""
    provider.add_span_processor(processor)
    if isinstance(provider.sampler, WhileExported):
        provider.sampler.exporting = True


def build_provider(service: str, environ: Mapping[str, str]) -> TracerProvider | None:
    """A tracer provider for ``service`` as the ``OTEL_*`` variables in ``environ`` ask.

    None if ``OTEL_SDK_DISABLED`` is ``true``. ``service`` is the ``service.name`` unless
    ``OTEL_SERVICE_NAME`` says otherwise. With ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or
    ``..._TRACES_ENDPOINT``), spans are batched to it over OTLP/HTTP; without, none leave.
    """
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    attributes = {} if environ.get("OTEL_SERVICE_NAME") else {SERVICE_NAME: service}
    # The sampler OTEL_TRACES_SAMPLER names in the process's environment (the SDK's default,
    # parent-based always-on, when unset): the SDK's TracerProvider reads it with this same
    # function, which it does not export.
    sampler = WhileExported(sampling._get_from_env_or_default())
    provider = TracerProvider(resource=Resource.create(attributes), sampler=sampler)
    exporter = _otlp_exporter(environ)
    if exporter is not None:
        export_to(provider, BatchSpanProcessor(exporter))
    return provider


class WhileExported(Sampler):
    """Records spans only once something receives them: until then every span is dropped
    (a non-recording span that still has its trace and span ids, so log lines and the
    ``traceparent`` sent on keep them), after it ``delegate`` decides.

    Without this, the SDK records every span, attributes and all, with no processor to hand
    it to: the front door spent about 10% more CPU per Slack event for nothing (measured with
    ``python -m bench.tracing``; figures in ``docs/benchmarks.md``). A dropped root sends
    ``traceparent`` with its *sampled* flag clear, so a process downstream that does export
    (a parent-based sampler) records nothing of that trace either: exporting is a deployment-
    wide choice.
    """

    def __init__(self, delegate: Sampler) -> None:
        self.delegate = delegate
        #: Set once a span processor is added (:func:`configure_tracing`, :func:`build_provider`).
        self.exporting = False

    def should_sample(
        self,
        parent_context: context.Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: trace.TraceState | None = None,
    ) -> SamplingResult:
        """``delegate``'s decision while exporting; DROP (keeping the parent's ``tracestate``)
        until then."""
        if self.exporting:
            return self.delegate.should_sample(
                parent_context, trace_id, name, kind, attributes, links, trace_state
            )
        parent = trace.get_current_span(parent_context).get_span_context()
        return SamplingResult(Decision.DROP, trace_state=parent.trace_state)

    def get_description(self) -> str:
        return f"WhileExported{{{self.delegate.get_description()}}}"


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
    """Give every request to ``app`` a server span (:class:`ServerSpans`: a child of the
    caller's ``traceparent``), named by its route template (``POST /api/v1/events/leases``),
    not its path.

    With ``correlate`` (services only Jeeves calls, never one facing the internet), the
    correlation fields of the request's ``baggage`` header are bound to its log lines
    (:func:`~jeeves_shared.runtime.logs.bind_baggage`), before anything else about it is logged.
    """
    app.asgi_app = ServerSpans(app.asgi_app)  # type: ignore[method-assign,assignment]

    @app.before_request
    async def name_span() -> None:
        if correlate:
            bind_baggage(request.headers.get("baggage"))
        rule = request.url_rule
        span = trace.get_current_span()
        if rule is not None and span.is_recording():
            span.update_name(f"{request.method} {rule.rule}")
            span.set_attribute("http.route", rule.rule)


ASGIScope = MutableMapping[str, Any]
ASGIMessage = MutableMapping[str, Any]
ASGIReceive = Callable[[], Awaitable[ASGIMessage]]
ASGISend = Callable[[ASGIMessage], Awaitable[None]]
#: Any ASGI application (Quart's ``asgi_app`` is typed with hypercorn's narrower types).
ASGIApp = Callable[..., Awaitable[None]]


class ServerSpans:
    """ASGI middleware: a ``SERVER`` span around each HTTP request but the probes and scrapes
    (:data:`UNTRACED_PATHS`), a child of the request's ``traceparent`` if it has one; HTTP
    attributes (stable semantic conventions: ``http.request.method``, ``url.path``,
    ``http.response.status_code``, ...) only on recorded spans; a 5xx answer or an exception
    marks it as an error.

    Ours rather than ``opentelemetry-instrumentation-asgi``'s ``OpenTelemetryMiddleware``
    (used before): that one builds every semantic-convention attribute, wraps ``send``, and
    records its own OpenTelemetry metrics on every request, before it knows whether the span
    is recorded. That cost the front door about 150 µs of its ~1,000 µs of CPU per Slack event
    even with tracing disabled (measured in one process, ``docs/benchmarks.md``), and Jeeves'
    HTTP metrics come from prometheus-client already.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: ASGIScope, receive: ASGIReceive, send: ASGISend) -> None:
        if scope["type"] != "http" or scope["path"] in UNTRACED_PATHS:
            await self.app(scope, receive, send)
            return
        carrier = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in scope["headers"]
            if name in TRACE_CONTEXT_HEADERS
        }
        with tracer.start_as_current_span(
            scope["method"], context=propagate.extract(carrier), kind=SpanKind.SERVER
        ) as span:
            if not span.is_recording():
                await self.app(scope, receive, send)
                return
            span.set_attributes(_request_attributes(scope))

            async def sending(message: ASGIMessage) -> None:
                if message["type"] == "http.response.start":
                    status = int(message["status"])
                    span.set_attribute("http.response.status_code", status)
                    if status >= 500:
                        span.set_status(StatusCode.ERROR)
                await send(message)

            await self.app(scope, receive, sending)


def _request_attributes(scope: ASGIScope) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "http.request.method": scope["method"],
        "url.path": scope["path"],
        "url.scheme": scope.get("scheme", "http"),
        "network.protocol.version": scope.get("http_version", ""),
    }
    client = scope.get("client")
    if client:
        attributes["client.address"] = client[0]
    server = scope.get("server")
    if server:
        attributes["server.address"], attributes["server.port"] = server[0], server[1] or 0
    for name, value in scope["headers"]:
        if name == b"user-agent":
            attributes["user_agent.original"] = value.decode("latin-1")
    return attributes


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
