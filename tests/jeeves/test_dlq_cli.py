"""``jeeves dlq list`` and ``jeeves dlq replay`` as an operator runs them."""

from __future__ import annotations

import asyncio
import json
import os
import sys

import pytest

from jeeves_shared.bus import PermanentFailure
from jeeves_shared.bus.topology import ACTIONS_EXCHANGE, DEAD_LETTER_QUEUE
from jeeves_shared.messages import Action, Reply
from tests.support.amqp_bus import HELP, action, started, wait_for_count
from tests.support.rabbitmq import free_port, message_count

pytestmark = pytest.mark.rabbitmq


async def jeeves_dlq(amqp_url: str, *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "jeeves",
        "dlq",
        *args,
        env={**os.environ, "JEEVES_AMQP_URL": amqp_url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_list_then_replay_one_then_the_rest(amqp_url: str) -> None:
    bus = await started(amqp_url, HELP)

    async def refuse(message: Action | Reply) -> None:
        raise PermanentFailure("slack: channel_not_found")

    sub = await bus.consume(HELP, refuse, prefetch=4)
    for n in (1, 2):
        await bus.publish(ACTIONS_EXCHANGE, "action.help", action(n))
    await wait_for_count(amqp_url, DEAD_LETTER_QUEUE, 2)
    await sub.stop(5)

    code, table, _ = await jeeves_dlq(amqp_url, "list")
    assert code == 0
    header, *rows = table.splitlines()
    assert header.split()[:4] == ["ID", "QUEUE", "TRIES", "FAILED"]
    assert sorted(row.split()[0] for row in rows) == ["ev-1", "ev-2"]
    assert all("PermanentFailure: slack: channel_not_found" in row for row in rows)

    code, lines, _ = await jeeves_dlq(amqp_url, "list", "--json", "--limit", "1")
    [letter] = [json.loads(line) for line in lines.splitlines()]
    assert letter["queue"] == "jeeves.help"
    assert letter["attempts"] == 1
    assert await message_count(amqp_url, DEAD_LETTER_QUEUE) == 2  # listing took nothing

    code, said, _ = await jeeves_dlq(amqp_url, "replay", "--id", "ev-2", "--id", "ev-404")
    assert code == 1  # one id was not there
    assert said.splitlines() == [
        "replayed ev-2 to jeeves.help",
        "not found: ev-404",
        "1 replayed, 0 kept.",
    ]
    assert await message_count(amqp_url, HELP.name) == 1
    code, said, _ = await jeeves_dlq(amqp_url, "replay")
    assert (code, said.splitlines()[-1]) == (0, "1 replayed, 0 kept.")
    assert await message_count(amqp_url, HELP.name) == 2
    code, said, _ = await jeeves_dlq(amqp_url, "list")
    assert (code, said) == (0, "The dead-letter queue is empty.\n")
    await bus.close()


async def test_an_unreachable_broker_is_a_clear_error() -> None:
    url = f"amqp://guest:secret-password@127.0.0.1:{free_port()}/"
    code, out, err = await jeeves_dlq(url, "list")
    assert code == 1
    assert out == ""
    assert "cannot reach the broker at amqp://guest:***@127.0.0.1" in err
    assert "secret-password" not in err
