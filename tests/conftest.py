"""Fixtures shared by the whole suite: a real RabbitMQ node, a fake Slack Web API, and the
spans this process ends."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from jeeves_shared.observability.tracing import configure_tracing
from tests.support.fake_slack import FakeSlack
from tests.support.rabbitmq import RabbitNode


@pytest.fixture(scope="session")
def rabbit() -> Iterator[RabbitNode]:
    """One RabbitMQ node for the session (installed with apt if missing)."""
    node = RabbitNode()
    node.start()
    yield node
    node.remove()


@pytest.fixture
def amqp_url(rabbit: RabbitNode) -> str:
    """A fresh, empty virtual host on the session's node."""
    return rabbit.new_vhost()


@pytest.fixture(scope="session")
def span_exporter() -> InMemorySpanExporter:
    """Every span this process ends from now on (one tracer provider per process, so one
    exporter for every test that reads spans)."""
    exporter = InMemorySpanExporter()
    assert configure_tracing("jeeves-test", processor=SimpleSpanProcessor(exporter))
    return exporter


@pytest.fixture
def spans(span_exporter: InMemorySpanExporter) -> Iterator[InMemorySpanExporter]:
    """:func:`span_exporter`, emptied before and after the test."""
    span_exporter.clear()
    yield span_exporter
    span_exporter.clear()


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    """A recording fake of Slack's Web API on 127.0.0.1."""
    async with FakeSlack() as slack:
        yield slack


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The image build first: it is the longest module (minutes), and under pytest-xdist a long
    module started last keeps one worker busy after the other has run out of work."""
    items.sort(key=lambda item: item.get_closest_marker("image") is None)


#: The fault scenarios' summary lines, as their reports arrive (from pytest-xdist workers too).
_FAULT_SUMMARIES: list[str] = []
_FAULT_SUMMARY = "fault summary"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> None:
    """Move the lines a scenario wrote (:data:`tests.faults.report.SUMMARIES`) into its report.

    Under pytest-xdist the scenario runs in a worker process, and only reports reach the
    process that prints the terminal summary.
    """
    from tests.faults.report import SUMMARIES

    while SUMMARIES:
        item.user_properties.append((_FAULT_SUMMARY, SUMMARIES.pop(0)))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Collect the summary lines once per test (its teardown report carries them all)."""
    if report.when == "teardown":
        _FAULT_SUMMARIES.extend(str(v) for k, v in report.user_properties if k == _FAULT_SUMMARY)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The fault suite's one-line summaries, whether its scenarios passed or not."""
    if _FAULT_SUMMARIES:
        terminalreporter.section("fault scenarios")
        for line in _FAULT_SUMMARIES:
            terminalreporter.write_line(line)
