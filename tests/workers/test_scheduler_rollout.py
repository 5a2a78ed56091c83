"""Daily alerts follow the weather rollout flag, as chat does: through real RabbitMQ.

The scheduler claims due alerts from the real Data Service (SQLite, served on 127.0.0.1) and
publishes each one's ``weather`` action on a real broker. With ``weather-worker`` rolled out,
each alert must land in the queue of the version the flag gives that user: the same bucket the
front door uses for their chat (SHA-256 of the flag and ``<team_id>:<user_id>``, documented in
docs/observability.md), computed here from that rule, not from the routing code. The flags are
strict: an evaluation that fails raises instead of quietly routing everyone to ``v1``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from prometheus_client import REGISTRY

from jeeves_shared.bus.amqp import AmqpBus
from jeeves_shared.bus.topology import WORKER_QUEUES
from jeeves_shared.dataclient import SCHEDULER_SCOPES, WORKER_SCOPES
from jeeves_shared.flags import Flags, SettingsProvider, bucket, parse_flags
from jeeves_shared.messages import Action
from tests.support.amqp_bus import drain, wait_for_count
from tests.support.clock import WallClock
from tests.support.dataservice import ServedData, serving_dataservice
from workers.deps import SchedulerDeps
from workers.scheduler import Scheduler

pytestmark = [pytest.mark.rabbitmq, pytest.mark.timeout(600)]

CURRENT, NEW = WORKER_QUEUES["weather"].name, WORKER_QUEUES["weather-v2"].name
FLAG = "weather-worker"
#: Before every user's 08:00 alert (UTC: no time zone set).
START = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[ServedData, WallClock]]:
    clock = WallClock(START)
    async with serving_dataservice(tmp_path, clock) as data:
        yield data, clock


async def alerted_users(data: ServedData, users: list[tuple[str, str]]) -> None:
    """``users`` (team, Slack user) with their daily alert on at 08:00 UTC."""
    async with aiohttp.ClientSession() as session:
        client = data.client(session, *WORKER_SCOPES)
        for team, user in users:
            created = await client.get_or_create_user(team, user)
            await client.set_alerts(created.id, enabled=True, time="08:00")


async def fire_all(
    data: ServedData, bus: AmqpBus, clock: WallClock, flags: Flags, expected: int, day: int = 0
) -> None:
    """Move to 08:00 on ``day`` (after :data:`START`'s) and tick the scheduler until
    ``expected`` alerts are fired."""
    clock.now = START + timedelta(days=day, hours=1)
    async with aiohttp.ClientSession() as session:
        deps = SchedulerDeps(
            bus=bus, clock=clock, data=data.client(session, *SCHEDULER_SCOPES), flags=flags
        )
        scheduler = Scheduler(deps, interval=0.1)
        fired = 0
        for _ in range(expected):  # a batch per tick: never more ticks than alerts
            fired += await scheduler.tick()
            if fired >= expected:
                break
    assert fired == expected


def who(action: Action) -> tuple[str, str]:
    return action.conversation.user_team, action.conversation.user_id


def evaluations(variant: str, reason: str) -> float:
    labels = {"flag": FLAG, "variant": variant, "reason": reason}
    return REGISTRY.get_sample_value("jeeves_flag_evaluations_total", labels) or 0.0


@pytest.fixture
async def bus(amqp_url: str) -> AsyncIterator[AmqpBus]:
    bus = AmqpBus(amqp_url, declare=WORKER_QUEUES.values(), publish_timeout=10)
    await bus.start()
    await bus.wait_ready(timeout=10)
    yield bus
    await bus.close()


async def test_a_ten_percent_rollout_sends_each_v2_users_alert_to_the_v2_queue(
    served: tuple[ServedData, WallClock], bus: AmqpBus, amqp_url: str
) -> None:
    data, clock = served
    rollout = json.dumps({FLAG: {"v1": 90, "v2": 10}})
    split = parse_flags(rollout)[FLAG]
    # 120 users of 3 workspaces: about 12 get v2 (the users are fixed, so the count never
    # varies between runs; the assertion below is exact per user, not a proportion).
    users = [(f"T{n % 3:04d}", f"U{n:05d}") for n in range(120)]
    expected_v2 = {u for u in users if split.variant_at(bucket(FLAG, f"{u[0]}:{u[1]}")) == "v2"}
    assert 0 < len(expected_v2) < len(users)
    await alerted_users(data, users)
    before = {v: evaluations(v, "SPLIT") for v in ("v1", "v2")}

    flags = Flags.install(SettingsProvider(parse_flags(rollout)), strict=True)
    await fire_all(data, bus, clock, flags, len(users))

    await wait_for_count(amqp_url, NEW, len(expected_v2))
    new = await drain(amqp_url, NEW)
    await wait_for_count(amqp_url, CURRENT, len(users) - len(expected_v2))
    current = await drain(amqp_url, CURRENT)
    assert {who(a) for a in new} == expected_v2
    assert {who(a) for a in current} == set(users) - expected_v2
    assert {a.command for a in current + new} == {"weather"}
    assert all(a.id.startswith("alert-") and a.conversation.is_direct_message for a in new)
    # Counted like the chat's evaluations: by flag, variant and OpenFeature's reason.
    assert evaluations("v2", "SPLIT") - before["v2"] == len(expected_v2)
    assert evaluations("v1", "SPLIT") - before["v1"] == len(users) - len(expected_v2)


async def test_at_one_hundred_percent_every_alert_goes_to_v2_and_without_the_flag_to_v1(
    served: tuple[ServedData, WallClock], bus: AmqpBus, amqp_url: str
) -> None:
    data, clock = served
    users = [("T0001", f"U{n:05d}") for n in range(6)]
    await alerted_users(data, users)
    rollout = parse_flags('{"weather-worker": {"v1": 0, "v2": 100}}')
    everyone = Flags.install(SettingsProvider(rollout), strict=True)
    await fire_all(data, bus, clock, everyone, len(users))
    await wait_for_count(amqp_url, NEW, len(users))
    assert {who(a) for a in await drain(amqp_url, NEW)} == set(users)

    # The next day, with no rollout configured: the current worker for everyone.
    nobody = Flags.install(SettingsProvider({}), strict=True)
    await fire_all(data, bus, clock, nobody, len(users), day=1)
    await wait_for_count(amqp_url, CURRENT, len(users))
    assert {who(a) for a in await drain(amqp_url, CURRENT)} == set(users)
    assert await drain(amqp_url, NEW) == []
