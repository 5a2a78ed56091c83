"""Tracing's set-up from the standard ``OTEL_*`` variables, and the log correlation fields."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
import structlog
from aiohttp import web
from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from jeeves_shared.messages import Action, Conversation, Reply, ReplyPart
from jeeves_shared.observability.tracing import build_provider, export_to
from jeeves_shared.runtime.logs import (
    add_trace_ids,
    bind_baggage,
    bind_message,
    correlation_baggage,
    correlation_fields,
)

CONVERSATION = Conversation(origin="slack", team_id="T9", channel_id="C1", user_id="U1")


class FakeCollector:
    """An OTLP/HTTP receiver on 127.0.0.1 that records what it is sent."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, bytes]] = []

    async def receive(self, request: web.Request) -> web.Response:
        self.requests.append((request.path, request.content_type, await request.read()))
        return web.Response(status=200)


@pytest.fixture
async def collector() -> AsyncIterator[tuple[FakeCollector, str]]:
    fake = FakeCollector()
    app = web.Application()
    app.router.add_post("/v1/traces", fake.receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield fake, f"http://127.0.0.1:{port}"
    await runner.cleanup()


def test_no_endpoint_no_exporter() -> None:
    provider = build_provider("jeeves-test", {})
    assert provider is not None
    assert provider._active_span_processor._span_processors == ()
    assert provider.resource.attributes["service.name"] == "jeeves-test"


def test_without_an_exporter_spans_are_not_recorded_but_keep_their_ids() -> None:
    provider = build_provider("jeeves-test", {})
    assert provider is not None
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("root", attributes={"a": 1}) as root:
        assert not root.is_recording()
        carrier: dict[str, str] = {}
        TraceContextTextMapPropagator().inject(carrier)
        with tracer.start_as_current_span("child") as child:
            fields = dict(add_trace_ids(None, "info", {"event": "x"}))
    ids = root.get_span_context()
    assert ids.is_valid and not ids.trace_flags.sampled
    # The next process continues the same trace: its traceparent has the ids, sampled flag off.
    version, trace_id, parent_id, flags = carrier["traceparent"].split("-")
    assert (version, trace_id, parent_id) == ("00", f"{ids.trace_id:032x}", f"{ids.span_id:016x}")
    assert int(flags, 16) & 0x01 == 0
    assert child.get_span_context().trace_id == ids.trace_id
    assert fields["trace_id"] == f"{ids.trace_id:032x}"
    assert fields["span_id"] == f"{child.get_span_context().span_id:016x}"


def test_spans_are_recorded_once_a_processor_receives_them() -> None:
    provider = build_provider("jeeves-test", {})
    assert provider is not None
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("before"):
        pass
    exporter = InMemorySpanExporter()
    export_to(provider, SimpleSpanProcessor(exporter))
    with tracer.start_as_current_span("after", attributes={"a": 1}) as span:
        assert span.is_recording()
    [finished] = exporter.get_finished_spans()
    assert (finished.name, dict(finished.attributes or {})) == ("after", {"a": 1})


def test_the_standard_sampler_variable_chooses_among_exported_spans(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "always_off")
    provider = build_provider("jeeves-test", {})
    assert provider is not None
    exporter = InMemorySpanExporter()
    export_to(provider, SimpleSpanProcessor(exporter))
    with provider.get_tracer("test").start_as_current_span("dropped") as span:
        assert not span.is_recording()
    assert exporter.get_finished_spans() == ()


def test_the_sdk_can_be_switched_off() -> None:
    assert build_provider("jeeves-test", {"OTEL_SDK_DISABLED": "true"}) is None


async def test_spans_go_to_the_collector_the_standard_variables_name(
    collector: tuple[FakeCollector, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, url = collector
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", url)
    monkeypatch.setenv("OTEL_SERVICE_NAME", "jeeves-renamed")
    provider = build_provider("jeeves-test", os.environ)
    assert provider is not None
    assert provider.resource.attributes["service.name"] == "jeeves-renamed"
    assert fake.requests == []  # nothing is sent before a span ends
    with provider.get_tracer("test").start_as_current_span("checked"):
        pass
    # The exporter posts from its own thread with a blocking client: flush off the loop.
    assert await asyncio.to_thread(provider.force_flush, 10_000)
    await asyncio.to_thread(provider.shutdown)
    [(path, content_type, body)] = fake.requests
    assert (path, content_type) == ("/v1/traces", "application/x-protobuf")
    assert b"checked" in body and b"jeeves-renamed" in body


def test_log_lines_carry_the_current_span_ids() -> None:
    provider = build_provider("jeeves-test", {})
    assert provider is not None
    assert add_trace_ids(None, "info", {"event": "x"}) == {"event": "x"}  # no span, no ids
    with provider.get_tracer("test").start_as_current_span("s") as span:
        fields: dict[str, Any] = dict(add_trace_ids(None, "info", {"event": "x"}))
        context = span.get_span_context()
    assert fields["trace_id"] == format(context.trace_id, "032x")
    assert fields["span_id"] == format(context.span_id, "016x")
    assert trace.get_current_span() is trace.INVALID_SPAN


def test_correlation_fields_of_actions_and_replies() -> None:
    action = Action(id="A1", command="help", conversation=CONVERSATION)
    reply = Reply(
        id="R1", in_reply_to="A1", parts=(ReplyPart(id="R1", text="hi"),), conversation=CONVERSATION
    )
    assert correlation_fields(action) == {"action_id": "A1", "team_id": "T9"}
    assert correlation_fields(reply) == {"action_id": "A1", "reply_id": "R1", "team_id": "T9"}


async def test_the_data_service_learns_the_fields_from_baggage() -> None:
    reply = Reply(
        id="R 1;x",
        in_reply_to="A1",
        parts=(ReplyPart(id="R 1;x", text="hi"),),
        conversation=CONVERSATION,
    )
    assert correlation_baggage() == {}
    with bind_message(reply):
        headers = correlation_baggage()
    assert structlog.contextvars.get_contextvars() == {}

    async def server_side() -> dict[str, Any]:  # a request's own task
        bind_baggage(headers["baggage"] + ",other=ignored")
        return structlog.contextvars.get_contextvars()

    assert await asyncio.create_task(server_side()) == {
        "action_id": "A1",
        "reply_id": "R 1;x",
        "team_id": "T9",
    }
    bind_baggage(None)
    bind_baggage("not baggage at all")
    assert structlog.contextvars.get_contextvars() == {}
