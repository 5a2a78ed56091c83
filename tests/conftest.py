"""Fixtures shared by the whole suite: a real RabbitMQ node and a fake Slack Web API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

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


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    """A recording fake of Slack's Web API on 127.0.0.1."""
    async with FakeSlack() as slack:
        yield slack


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The fault suite's one-line summaries, whether its scenarios passed or not."""
    from tests.faults.report import SUMMARIES

    if SUMMARIES:
        terminalreporter.section("fault scenarios")
        for line in SUMMARIES:
            terminalreporter.write_line(line)
