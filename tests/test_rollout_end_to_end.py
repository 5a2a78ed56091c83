"""A weather worker rolled out to half the users: both versions answer through real RabbitMQ.

The whole stack (:mod:`tests.support.stack`) through real RabbitMQ, every worker kind running,
``JEEVES_FLAGS`` read by the front door and the scheduler from the environment as in production.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from tests.support.slack_requests import event_callback, mention
from tests.support.stack import Conversation, running_stack

pytestmark = pytest.mark.rabbitmq


def handled(kind: str) -> float:
    labels = {"kind": kind, "outcome": "acked"}
    return REGISTRY.get_sample_value("jeeves_messages_handled_total", labels) or 0.0


@pytest.mark.timeout(300)
async def test_both_versions_answer_at_fifty_percent(
    amqp_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JEEVES_FLAGS", '{"weather-worker": {"v1": 50, "v2": 50}}')
    users = [f"U{n:05d}" for n in range(12)]
    before = {kind: handled(kind) for kind in ("weather", "weather-v2")}
    async with running_stack(amqp_url, tmp_path) as stack:
        for n, user in enumerate(users):
            payload = event_callback(mention("weather in Paris", user=user), event_id=f"Ev{n}")
            assert await stack.event(payload) == 200
        posts = await stack.slack.wait_for_posts(len(users), timeout=60)
    assert all(post["text"].startswith("Weather in Paris, FR") for post in posts), posts
    answered = {kind: handled(kind) - before[kind] for kind in before}
    assert answered["weather"] + answered["weather-v2"] == len(users)
    assert answered["weather"] > 0 and answered["weather-v2"] > 0, answered


@pytest.mark.timeout(300)
async def test_a_daily_alert_is_answered_by_the_version_the_flag_gives_its_user(
    amqp_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JEEVES_FLAGS", '{"weather-worker": {"v1": 0, "v2": 100}}')
    async with running_stack(amqp_url, tmp_path) as stack:
        me = Conversation(stack, "UALERT", "DALERT")
        await me.say("set location Paris")
        on = await me.say("alerts on 09:30")
        assert on.startswith("Daily weather alerts are on, at 09:30 UTC"), on
        before = {kind: handled(kind) for kind in ("weather", "weather-v2")}
        posted = len(stack.slack.posts)
        stack.clock.advance(minutes=30)
        posts = await stack.slack.wait_for_posts(posted + 1, timeout=60)
        [alert] = posts[posted:]
    assert (alert["channel"], alert["text"][:22]) == ("UALERT", "Weather in Paris, FR: ")
    answered = {kind: handled(kind) - before[kind] for kind in before}
    assert answered == {"weather": 0, "weather-v2": 1}
