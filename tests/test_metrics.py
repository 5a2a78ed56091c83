"""``GET /metrics``: every service and worker health port serves Prometheus' text format, and the
counters and histograms move as a signed Slack event is answered through real RabbitMQ.

The stack runs in this one process (:mod:`tests.support.stack`), so each ``/metrics`` shows the
whole process' registry, as in ``jeeves dev``; what is read is always a difference between two
scrapes, since earlier tests in the same process moved the counters too.
"""

from __future__ import annotations

import asyncio
import io
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from jeeves_shared.bus.memory import MemoryBus
from jeeves_shared.observability.metrics import bounded
from tests.support.fake_slack import Scripted
from tests.support.rabbitmq import free_port
from tests.support.slack_requests import direct_message, event_callback, mention, sign
from tests.support.stack import Conversation, Stack, running_stack
from workers.health import WorkerHealth, serve_health
from workers.runner import KINDS, SCHEDULER

#: A sample's key: its name and its labels, sorted.
Key = tuple[str, tuple[tuple[str, str], ...]]

#: The ids of the test's Slack event: none may appear in a label.
TEAM, USER, CHANNEL, EVENT = "T0METRICS9", "U0METRICS9", "C0METRICS9", "Ev0METRICS9"


def parse(text: str) -> dict[Key, float]:
    """Every sample of a scrape (``prometheus_client.parser``; raises on a malformed one)."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def scrape(session: aiohttp.ClientSession, url: str) -> dict[Key, float]:
    async with session.get(f"{url}/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        return parse(await response.text())


def value(samples: dict[Key, float], name: str, **labels: str) -> float:
    """The sum of ``name``'s samples whose labels include ``labels`` (0 if none)."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= set(ls))


@pytest.fixture
async def stack(amqp_url: str, tmp_path: Path) -> AsyncIterator[Stack]:
    async with running_stack(amqp_url, tmp_path) as running:
        yield running


def service_urls(stack: Stack) -> dict[str, str]:
    """The three HTTP services' base URLs."""
    settings = stack.worker_settings
    return {
        "frontend": stack.url,
        "dataservice": settings.dataservice_url,
        "tokendealer": settings.tokendealer_url,
    }


@pytest.mark.rabbitmq
async def test_every_http_service_serves_metrics_that_parse(stack: Stack) -> None:
    for service, url in service_urls(stack).items():
        samples = await scrape(stack.session, url)
        [(_, labels)] = [key for key in samples if key[0] == "jeeves_build_info"]
        assert dict(labels)["version"], service
        # Its own requests are counted under its name (the /readyz the stack waited for).
        assert value(samples, "jeeves_http_requests_total", service=service, route="/readyz")


@pytest.mark.parametrize("kind", [*KINDS, SCHEDULER])
async def test_every_worker_health_port_serves_metrics_that_parse(kind: str) -> None:
    bind = f"127.0.0.1:{free_port()}"
    async with (
        serve_health(WorkerHealth(MemoryBus(), asyncio.Event()), bind),
        aiohttp.ClientSession() as session,
    ):
        samples = await scrape(session, f"http://{bind}")
        async with session.get(f"http://{bind}/metrics") as response:
            families = {f.name for f in text_string_to_metric_families(await response.text())}
        async with session.get(f"http://{bind}/healthz") as alive:
            assert alive.status == 200
    assert value(samples, "jeeves_build_info") == 1
    # Every family is declared (HELP and TYPE) before anything is counted.
    for family in ("jeeves_messages_handled", "jeeves_slack_token_refresh", "process_cpu_seconds"):
        assert family in families


@pytest.mark.rabbitmq
async def test_a_signed_event_answered_end_to_end_moves_the_counters(stack: Stack) -> None:
    urls = service_urls(stack)
    before = await scrape(stack.session, stack.url)
    # Slack's first answer is a 429: the poster waits Retry-After (1 s) and posts.
    stack.slack.script.append(
        Scripted(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})
    )
    event = event_callback(mention("help", channel=CHANNEL, user=USER), event_id=EVENT)
    event["team_id"] = TEAM
    assert await stack.event(event) == 200
    assert await stack.event(event) == 200  # Slack's retry of it: a duplicate
    [post] = await stack.slack.wait_for_posts(1)
    assert post["channel"] == CHANNEL
    after = await settled(stack, before)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("jeeves_slack_events_total", type="app_mention", outcome="published") == 1
    assert moved("jeeves_slack_events_total", type="app_mention", outcome="duplicate") == 1
    assert (
        moved(
            "jeeves_http_requests_total",
            service="frontend",
            method="POST",
            route="/slack/events",
            status="200",
        )
        == 2
    )
    assert moved("jeeves_http_request_duration_seconds_count", route="/slack/events") == 2
    for exchange in ("jeeves.actions", "jeeves.replies"):
        assert moved("jeeves_bus_publishes_total", exchange=exchange, result="confirmed") == 1
        assert moved("jeeves_bus_publish_confirm_seconds_count", exchange=exchange) == 1
    for kind in ("help", "slack"):
        assert moved("jeeves_messages_handled_total", kind=kind, outcome="acked") == 1
        assert moved("jeeves_message_handling_seconds_count", kind=kind) == 1
    assert moved("jeeves_messages_handled_total", outcome="retried") == 0
    assert moved("jeeves_reply_claims_total", outcome="new") == 1
    calls = {"method": "chat.postMessage"}
    assert moved("jeeves_slack_api_calls_total", **calls, result="ok") == 1
    assert moved("jeeves_slack_rate_limited_total", **calls) == 1
    assert moved("jeeves_slack_rate_limit_wait_seconds_total", **calls) >= 1.0
    assert moved("jeeves_slack_event_to_reply_seconds_count") == 1
    assert moved("jeeves_dataservice_query_duration_seconds_count") > 0
    # The poster's token was issued by the TokenDealer at some point of this process.
    assert value(after, "jeeves_tokendealer_tokens_total", result="issued") >= 1
    # Every process of the stack shares the registry: the other services show the same numbers.
    for url in (urls["dataservice"], urls["tokendealer"]):
        other = await scrape(stack.session, url)
        assert value(other, "jeeves_reply_claims_total") >= value(
            after, "jeeves_reply_claims_total"
        )
    assert_no_ids(after, ids={TEAM, USER, CHANNEL, EVENT, event["event"]["ts"]})


async def settled(
    stack: Stack, before: dict[Key, float], timeout: float = 10.0
) -> dict[Key, float]:
    """A scrape once both messages are acknowledged (the post is seen before its ack)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        after = await scrape(stack.session, stack.url)
        acked = value(after, "jeeves_messages_handled_total", kind="slack", outcome="acked")
        if acked > value(before, "jeeves_messages_handled_total", kind="slack", outcome="acked"):
            return after
        assert asyncio.get_running_loop().time() < deadline, "the reply was never acknowledged"
        await asyncio.sleep(0.05)


def assert_no_ids(samples: dict[Key, float], ids: set[str]) -> None:
    """No label value is, or contains, one of ``ids``."""
    for name, labels in samples:
        for label, text in labels:
            assert not any(i in text for i in ids), f"{name}{{{label}={text!r}}} carries an id"


@pytest.mark.rabbitmq
async def test_ignored_and_refused_requests_are_counted_by_reason(stack: Stack) -> None:
    before = await scrape(stack.session, stack.url)
    bots = event_callback(direct_message("hi", channel="D0METRICS9", user="U0METRICS8"))
    bots["event"]["bot_id"] = "B0METRICS9"
    assert await stack.event(bots) == 200
    body = b'{"type": "event_callback"}'
    headers = {**sign(body), "X-Slack-Signature": "v0=" + "0" * 64}
    async with stack.session.post(f"{stack.url}/slack/events", data=body, headers=headers) as r:
        assert r.status == 401
    big = b"x" * (2 * 1024 * 1024)
    async with stack.session.post(
        f"{stack.url}/slack/events", data=io.BytesIO(big), headers=sign(big)
    ) as r:
        assert r.status == 413
    after = await scrape(stack.session, stack.url)

    def moved(**labels: str) -> float:
        name = "jeeves_slack_events_total"
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved(type="message", outcome="ignored", reason="bot_message") == 1
    assert moved(outcome="refused", reason="401") == 1
    assert moved(outcome="refused", reason="413") == 1
    assert_no_ids(after, ids={"D0METRICS9", "B0METRICS9", "U0METRICS8"})


@pytest.mark.rabbitmq
async def test_a_storm_of_404s_adds_no_series(stack: Stack) -> None:
    for url in service_urls(stack).values():
        async with stack.session.get(f"{url}/no-such-page") as first:
            assert first.status == 404  # the unmatched route's series exists from here on
        before = await scrape(stack.session, url)
        paths = [f"/{uuid.uuid4().hex}/{n}" for n in range(100)]
        for path in paths:
            async with stack.session.get(f"{url}{path}") as response:
                assert response.status == 404
        after = await scrape(stack.session, url)
        new = {key for key in after if key not in before}
        assert not new, f"a 404 storm on {url} added {sorted(new)[:5]}"
        unmatched = {"route": "<unmatched>", "status": "404", "method": "GET"}
        assert (
            value(after, "jeeves_http_requests_total", **unmatched)
            - value(before, "jeeves_http_requests_total", **unmatched)
            >= 100
        )
        assert_no_ids(after, ids={path.split("/")[1] for path in paths})


def test_label_values_from_outside_are_bounded() -> None:
    assert bounded("app_mention") == "app_mention"
    assert bounded("chat.postMessage") == "chat.postMessage"
    assert bounded("not_in_channel") == "not_in_channel"
    for outside in ("U0123ABC", "T0AB", "C0123", "Ev0001", "x" * 49, "a b", "", None, 42):
        assert bounded(outside) == "other"
    assert bounded("weather", frozenset({"help"})) == "other"


@pytest.mark.rabbitmq
async def test_a_reminder_fired_late_is_measured_late(stack: Stack) -> None:
    before = await scrape(stack.session, stack.url)
    await Conversation(stack).say("remind me in 1 minute to breathe")
    stack.clock.advance(hours=3)  # nothing ran meanwhile: it fires 2 h 59 min late
    for _ in range(200):
        if any(p["text"].startswith("⏰ Reminder: breathe") for p in stack.slack.posts):
            break
        await asyncio.sleep(0.05)
    after = await scrape(stack.session, stack.url)

    def moved(name: str) -> float:
        return value(after, name, item="reminder") - value(before, name, item="reminder")

    assert moved("jeeves_scheduler_lateness_seconds_count") == 1
    assert moved("jeeves_scheduler_lateness_seconds_sum") == pytest.approx(179 * 60, abs=5)
    # The 3-hour bucket and above hold it; the 1-hour one does not.
    late = {"item": "reminder", "le": "3600.0"}
    assert value(after, "jeeves_scheduler_lateness_seconds_bucket", **late) == value(
        before, "jeeves_scheduler_lateness_seconds_bucket", **late
    )
