"""One trace per Slack event, and log lines that say which event they are about.

A signed event goes through the whole stack (:mod:`tests.support.stack`: front door and Data
Service under Hypercorn on real ports, every worker on its own AMQP connection to a real
RabbitMQ). The spans land in an in-memory exporter; the trace must link the processes through
the W3C ``traceparent`` they carry in AMQP and HTTP headers (each process handles its messages
and requests in tasks of its own, so nothing links them but those headers).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, MutableMapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import structlog
from opentelemetry import trace as otel_trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from jeeves_shared.bus import PermanentFailure
from jeeves_shared.bus.dead_letters import replay_dead_letters
from jeeves_shared.bus.topology import ACTIONS_EXCHANGE, DEAD_LETTER_QUEUE
from jeeves_shared.messages import Action, Reply
from jeeves_shared.observability.tracing import tracer
from jeeves_shared.runtime.logs import add_trace_ids
from tests.support.amqp_bus import HELP, action, started, wait_for_count, wait_until
from tests.support.fake_slack import Scripted
from tests.support.slack_requests import event_callback, mention
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.rabbitmq


@pytest.fixture
async def stack(amqp_url: str, tmp_path: Path) -> AsyncIterator[Stack]:
    async with running_stack(amqp_url, tmp_path) as running:
        yield running


@pytest.fixture
def logs() -> Iterator[list[MutableMapping[str, Any]]]:
    """Every structlog line, with the fields the real configuration adds to each."""
    with structlog.testing.capture_logs(
        processors=[structlog.contextvars.merge_contextvars, add_trace_ids]
    ) as entries:
        yield entries


class Trace:
    """The spans of one trace, read as a tree."""

    def __init__(self, spans: Sequence[ReadableSpan]) -> None:
        self.spans = list(spans)
        self.by_id = {s.context.span_id: s for s in self.spans}

    def named(self, name: str, kind: SpanKind | None = None) -> list[ReadableSpan]:
        return [s for s in self.spans if s.name == name and kind in (None, s.kind)]

    def parent(self, span: ReadableSpan) -> ReadableSpan | None:
        return self.by_id.get(span.parent.span_id) if span.parent else None

    def ancestors(self, span: ReadableSpan) -> list[str]:
        """Names from ``span``'s parent up to the root."""
        names = []
        current = self.parent(span)
        while current is not None:
            names.append(current.name)
            current = self.parent(current)
        return names


async def answered_trace(spans: InMemorySpanExporter, posts: int) -> Trace:
    """The trace of the front door's ``POST /slack/events``, once ``posts`` posts' handling
    spans have ended."""
    async with asyncio.timeout(15):
        while True:
            finished = spans.get_finished_spans()
            roots = [s for s in finished if s.name == "POST /slack/events"]
            if len(roots) == 1:
                trace_id = roots[0].context.trace_id
                mine = [s for s in finished if s.context.trace_id == trace_id]
                handled = [s for s in mine if s.name == "slack handle" and s.status.is_ok]
                if len(handled) >= posts:
                    await asyncio.sleep(0.3)  # the spans still ending around them
                    finished = spans.get_finished_spans()
                    return Trace([s for s in finished if s.context.trace_id == trace_id])
            await asyncio.sleep(0.05)


def assert_one_answer_chain(trace: Trace) -> None:
    """Front door → publish → worker → reply publish → poster → claim (Data Service) → Slack."""
    [root] = [s for s in trace.spans if s.parent is None]
    assert (root.name, root.kind) == ("POST /slack/events", SpanKind.SERVER)
    [help_handling] = trace.named("help handle")
    help_chain = trace.ancestors(help_handling)
    assert help_chain[-1] == root.name
    # The worker's consumer span is a child of the front door's publish, across processes.
    consumer = trace.parent(help_handling)
    assert consumer is not None and consumer.kind == SpanKind.CONSUMER
    publish = trace.parent(consumer)
    assert publish is not None and publish.kind == SpanKind.PRODUCER
    assert consumer.parent is not None and consumer.parent.is_remote
    assert publish.attributes is not None
    assert str(publish.attributes.get("messaging.destination")).startswith("jeeves.actions,")
    for posting in trace.named("slack handle"):
        chain = trace.ancestors(posting)
        # The reply was published by the help worker's handling.
        assert "help handle" in chain, chain
        assert chain[-1] == root.name
    [claim] = [c for c in trace.named("reply claim") if c.status.is_ok][-1:]
    assert "slack handle" in trace.ancestors(claim)
    # The claim's HTTP call, and the Data Service's server span under it.
    clients = [s for s in trace.spans if s.kind == SpanKind.CLIENT and trace.parent(s) is claim]
    assert clients, "the claim made no traced HTTP call"
    servers = [s for s in trace.spans if s.kind == SpanKind.SERVER and trace.parent(s) in clients]
    assert "POST /api/v1/events/leases" in {s.name for s in servers}, servers
    assert all(s.parent is not None and s.parent.is_remote for s in servers)
    # And the Slack call, from the poster's handling.
    slack_calls = [
        s
        for s in trace.spans
        if s.kind == SpanKind.CLIENT
        and "chat.postMessage" in str((s.attributes or {}).get("http.url", ""))
    ]
    assert slack_calls
    assert all("slack handle" in trace.ancestors(s) for s in slack_calls)


def assert_correlated(trace: Trace, logs: list[MutableMapping[str, Any]]) -> None:
    """Every log line about the event carries its action id, team and trace id."""
    [handling] = trace.named("help handle")
    assert handling.attributes is not None
    action_id = handling.attributes["jeeves.action_id"]
    trace_id = format(handling.context.trace_id, "032x")
    about = [e for e in logs if e.get("action_id") == action_id or e.get("trace_id") == trace_id]
    events = {e["event"] for e in about}
    # The front door, the worker's bus consumer, the poster and the Data Service said something.
    assert {"event.published", "dataservice.request"} <= events, events
    assert any(e.get("reply_id") for e in about)
    for entry in about:
        assert entry.get("action_id") == action_id, entry
        assert entry.get("trace_id") == trace_id, entry
        assert entry.get("team_id") == "T0001", entry
        assert entry.get("span_id"), entry


async def test_one_event_is_one_trace_through_every_process(
    spans: InMemorySpanExporter, stack: Stack, logs: list[MutableMapping[str, Any]]
) -> None:
    assert await stack.event(event_callback(mention("help"), event_id="EvTrace1")) == 200
    await stack.slack.wait_for_posts(1)
    trace = await answered_trace(spans, posts=1)
    assert_one_answer_chain(trace)
    assert_correlated(trace, logs)


async def test_a_retry_through_the_delay_queue_stays_in_the_trace(
    spans: InMemorySpanExporter, stack: Stack, logs: list[MutableMapping[str, Any]]
) -> None:
    # Slack refuses the first post: the poster fails, the bus sends the reply through the
    # delay queue (a re-publish of Jeeves' own), and the second attempt posts it.
    stack.slack.script.append(Scripted(200, {"ok": False, "error": "fatal_error"}))
    assert await stack.event(event_callback(mention("help"), event_id="EvTrace2")) == 200
    await stack.slack.wait_for_posts(1)
    trace = await answered_trace(spans, posts=1)
    assert_one_answer_chain(trace)
    failed, succeeded = sorted(trace.named("slack handle"), key=lambda s: s.start_time or 0)
    assert not failed.status.is_ok and succeeded.status.is_ok
    # The second attempt descends from the first delivery, through the retry's publish to the
    # delay queue (made by the bus consumer once the handling failed) and the requeue.
    first_delivery = trace.parent(failed)
    second_delivery = trace.parent(succeeded)
    assert first_delivery is not None and second_delivery is not None
    retry_publish = trace.parent(second_delivery)
    assert retry_publish is not None and retry_publish.kind == SpanKind.PRODUCER
    assert str((retry_publish.attributes or {}).get("messaging.destination")).startswith(
        "jeeves.retry,"
    )
    assert trace.parent(retry_publish) is first_delivery
    retried = [e for e in logs if e["event"] == "bus.handler_failed"]
    assert retried
    assert_correlated(trace, logs)


async def test_a_dead_letter_replayed_continues_its_trace(
    spans: InMemorySpanExporter, amqp_url: str
) -> None:
    bus = await started(amqp_url, HELP)
    broken = True
    seen: list[int] = []  # the trace id current in each handling

    async def handler(message: Action | Reply) -> None:
        seen.append(otel_trace.get_current_span().get_span_context().trace_id)
        if broken:
            raise PermanentFailure("slack: not_in_channel")

    subscription = await bus.consume(HELP, handler, prefetch=1)
    with tracer.start_as_current_span("origin") as origin:
        await bus.publish(ACTIONS_EXCHANGE, "action.help", action(1))
    await wait_for_count(amqp_url, DEAD_LETTER_QUEUE, 1)
    broken = False
    # A replay with no span of its own current (as ``jeeves dlq replay`` runs).
    assert otel_trace.get_current_span() is otel_trace.INVALID_SPAN
    replayed, _ = await replay_dead_letters(amqp_url)
    assert [r.message_id for r in replayed] == ["ev-1"]
    await wait_until(lambda: len(seen) == 2)
    assert seen == [origin.get_span_context().trace_id] * 2
    await subscription.stop(5)
    await bus.close()
