"""Rolling out a new weather worker: the front door routes each user by flag ``weather-worker``.

Signed Slack events go through the ASGI app; the flags are strict (a failed evaluation raises
instead of quietly routing everyone to the current worker).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
from quart import Quart

from jeeves_frontend.app import create_app
from jeeves_frontend.settings import FrontendSettings
from jeeves_shared.bus.amqp import AmqpBus
from jeeves_shared.bus.memory import MemoryBus
from jeeves_shared.bus.topology import WORKER_QUEUES
from jeeves_shared.flags import Flags, SettingsProvider
from jeeves_shared.messages import Action
from tests.support.amqp_bus import drain, wait_for_count
from tests.support.memory_bus import published_actions
from tests.support.production import DASHBOARD_SECRET_KEY
from tests.support.slack_requests import SIGNING_SECRET, encode, event_callback, mention, sign

CURRENT, NEW = WORKER_QUEUES["weather"].name, WORKER_QUEUES["weather-v2"].name


def settings(rollout: dict[str, Any] | None) -> FrontendSettings:
    flags = json.dumps({"weather-worker": rollout}) if rollout else ""
    return FrontendSettings(
        slack_signing_secret=SIGNING_SECRET,
        flags=flags,
        dashboard_secret_keys=DASHBOARD_SECRET_KEY,  # type: ignore[arg-type]
    )


def app_for(rollout: dict[str, Any] | None, bus: Any) -> Quart:
    config = settings(rollout)
    strict = Flags.install(SettingsProvider(config.flag_rules()), strict=True)
    return create_app(config, bus=bus, flags=strict)


def weather_from(team: str, user: str, n: int) -> dict[str, Any]:
    """A mention by ``user`` of workspace ``team``, received by that workspace's installation."""
    event = {**mention("weather in Paris", user=user), "team": team}
    payload = event_callback(event, event_id=f"Ev{n}")
    payload["team_id"] = team
    payload["authorizations"][0]["team_id"] = team
    return payload


async def post(app: Quart, payload: dict[str, Any]) -> None:
    body = encode(payload)
    response = await app.test_client().post("/slack/events", data=body, headers=sign(body))
    assert response.status_code == 200


def who(action: Action) -> tuple[str, str]:
    return action.conversation.user_team, action.conversation.user_id


async def test_without_the_flag_every_weather_request_goes_to_the_current_worker() -> None:
    bus = MemoryBus(tuple(WORKER_QUEUES.values()))
    app = app_for(None, bus)
    async with app.test_app():
        for n in range(50):
            await post(app, weather_from("T0001", f"U{n:05d}", n))
    assert len(published_actions(bus, "weather")) == 50
    assert published_actions(bus, "weather-v2") == []


async def test_a_user_stays_with_one_worker_and_other_commands_are_not_flagged() -> None:
    bus = MemoryBus(tuple(WORKER_QUEUES.values()))
    app = app_for({"v1": 50, "v2": 50}, bus)
    users = [("T0001", f"U{n:05d}") for n in range(40)]
    async with app.test_app():
        for round_ in range(3):
            for n, (team, user) in enumerate(users):
                await post(app, weather_from(team, user, round_ * 1000 + n))
        payload = event_callback(mention("help"), event_id="EvHelp")
        await post(app, payload)
    current = Counter(who(a) for a in published_actions(bus, "weather"))
    new = Counter(who(a) for a in published_actions(bus, "weather-v2"))
    assert set(current) | set(new) == set(users)
    assert not set(current) & set(new)  # nobody flips between versions
    assert set(current.values()) | set(new.values()) == {3}
    assert current and new
    assert [a.command for a in published_actions(bus, "help")] == ["help"]


@pytest.fixture
async def rabbit_app(amqp_url: str) -> AsyncIterator[Quart]:
    bus = AmqpBus(amqp_url, declare=WORKER_QUEUES.values(), publish_timeout=10)
    app = app_for({"v1": 90, "v2": 10}, bus)
    async with app.test_app():
        await bus.start()
        await bus.wait_ready(timeout=10)
        yield app
        await bus.close()


@pytest.mark.timeout(600)
async def test_a_ten_percent_rollout_reaches_the_two_queues_in_proportion(
    rabbit_app: Quart, amqp_url: str
) -> None:
    # 2,000 users of 4 workspaces. The count in the new queue is binomial if the hash is
    # uniform: sd = sqrt(2000 * 0.1 * 0.9) = 13.4 messages (0.67 %); we accept 10 % ± 2 points
    # (three sd). The users are fixed, so the result never varies between runs: a failure
    # means the routing (or the hash) is wrong, not bad luck.
    users = [(f"T{n % 4:04d}", f"U{n:06d}") for n in range(2000)]
    for n, (team, user) in enumerate(users):
        await post(rabbit_app, weather_from(team, user, n))
    new = await drain(amqp_url, NEW)
    await wait_for_count(amqp_url, CURRENT, len(users) - len(new))
    current = await drain(amqp_url, CURRENT)
    assert 0.08 <= len(new) / len(users) <= 0.12, len(new)
    assert {who(a) for a in current} | {who(a) for a in new} == set(users)
    assert {a.command for a in current + new} == {"weather"}
    # The same users again: each message goes where that user's first went.
    for n, (team, user) in enumerate(users[:300]):
        await post(rabbit_app, weather_from(team, user, 10_000 + n))
    again_new = await drain(amqp_url, NEW)
    await wait_for_count(amqp_url, CURRENT, 300 - len(again_new))
    first_new = {who(a) for a in new}
    assert {who(a) for a in again_new} == {u for u in users[:300] if u in first_new}
