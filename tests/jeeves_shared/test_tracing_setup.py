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

from jeeves_shared.messages import Action, Conversation, Reply, ReplyPart
from jeeves_shared.observability.tracing import build_provider
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
