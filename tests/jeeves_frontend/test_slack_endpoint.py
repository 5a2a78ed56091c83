"""``POST /slack/events`` through the ASGI app, with the in-memory bus behind it."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client
from structlog.testing import capture_logs

from jeeves_frontend.app import create_app
from jeeves_frontend.settings import FrontendSettings
from jeeves_shared.bus.amqp import AmqpBus
from jeeves_shared.bus.memory import MemoryBus
from jeeves_shared.bus.topology import WORKER_QUEUES
from jeeves_shared.messages import Action, decode
from tests.support.memory_bus import published_actions
from tests.support.production import DASHBOARD_SECRET_KEY
from tests.support.rabbitmq import free_port
from tests.support.slack_requests import (
    SIGNING_SECRET,
    direct_message,
    encode,
    event_callback,
    mention,
    sign,
)

SETTINGS = FrontendSettings(
    slack_signing_secret=SIGNING_SECRET,
    dashboard_secret_keys=DASHBOARD_SECRET_KEY,  # type: ignore[arg-type]
)


def message_id(payload: dict[str, Any]) -> str:
    """The action id the front door gives the message in ``payload``."""
    event = payload["event"]
    return f"slack:{payload['team_id']}:{event['channel']}:{event['ts']}"


@pytest.fixture
def bus() -> MemoryBus:
    return MemoryBus(tuple(WORKER_QUEUES.values()))


@pytest.fixture
async def app(bus: MemoryBus) -> AsyncIterator[Quart]:
    app = create_app(SETTINGS, bus=bus)
    async with app.test_app():
        yield app


@pytest.fixture
def client(app: Quart) -> Client:
    return app.test_client()


async def post_event(
    client: Client, payload: dict[str, Any] | bytes, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    body = payload if isinstance(payload, bytes) else encode(payload)
    response = await client.post(
        "/slack/events", data=body, headers=sign(body) if headers is None else headers
    )
    text = await response.get_data(as_text=True)
    return response.status_code, json.loads(text) if text else None


async def test_url_verification_echoes_the_challenge(client: Client) -> None:
    status, body = await post_event(client, {"type": "url_verification", "challenge": "c-123"})
    assert (status, body) == (200, {"challenge": "c-123"})


async def test_mention_is_published_once_and_acked(client: Client, bus: MemoryBus) -> None:
    payload = event_callback(mention("help"), event_id="Ev1")
    status, _ = await post_event(client, payload)
    assert status == 200
    actions = published_actions(bus, "help")
    assert [(a.id, a.command) for a in actions] == [(message_id(payload), "help")]


async def test_slack_retry_of_a_published_event_is_not_published_again(
    client: Client, bus: MemoryBus
) -> None:
    payload = event_callback(mention("help"), event_id="EvRetry")
    body = encode(payload)
    assert (await post_event(client, payload))[0] == 200
    retry = {**sign(body), "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert (await post_event(client, body, retry))[0] == 200
    assert len(published_actions(bus, "help")) == 1


async def test_unknown_command_is_published_for_the_help_worker(
    client: Client, bus: MemoryBus
) -> None:
    await post_event(client, event_callback(direct_message("sing a song"), event_id="Ev2"))
    [action] = published_actions(bus, "help")
    assert (action.command, action.args) == ("unknown", "sing a song")


@pytest.mark.parametrize(
    "event",
    [
        {**direct_message("help"), "bot_id": "B0BOT"},
        {**direct_message("help"), "subtype": "message_deleted"},
        {"type": "team_join", "user": {"id": "U9"}},
        {**direct_message(""), "subtype": "file_share", "files": [{"id": "F1", "name": "a.png"}]},
    ],
    ids=["other-bot", "subtype", "other-event", "bare-upload"],
)
async def test_ignored_events_are_acked_and_not_published(
    client: Client, bus: MemoryBus, event: dict[str, Any]
) -> None:
    status, _ = await post_event(client, event_callback(event))
    assert status == 200
    assert published_actions(bus, "help") == []


async def test_words_only_in_rich_text_blocks_are_read(client: Client, bus: MemoryBus) -> None:
    section = {"type": "rich_text_section", "elements": [{"type": "text", "text": "weather?"}]}
    event = {**direct_message(""), "blocks": [{"type": "rich_text", "elements": [section]}]}
    assert (await post_event(client, event_callback(event, event_id="EvBlocks")))[0] == 200
    queue = bus._queues[WORKER_QUEUES["weather"].name].pending
    action = decode(queue.get_nowait().body)
    assert isinstance(action, Action) and (action.command, action.args) == ("weather", "")
    assert published_actions(bus, "help") == []  # not the help list


async def test_other_envelope_types_are_acked(client: Client) -> None:
    assert (await post_event(client, {"type": "app_rate_limited", "team_id": "T1"}))[0] == 200
    assert (await post_event(client, {"type": "something_new", "team_id": "T1"}))[0] == 200


async def test_app_rate_limited_is_a_warning_naming_the_team_and_minute(client: Client) -> None:
    # Slack is dropping this workspace's events: an operator must see it, not just an info line.
    payload = {
        "token": "x",
        "type": "app_rate_limited",
        "team_id": "T0LIMITED",
        "minute_rate_limited": 1518467820,
        "api_app_id": "A0001",
    }
    with capture_logs() as logs:
        assert (await post_event(client, payload))[0] == 200
    [entry] = [e for e in logs if e["event"] == "slack.app_rate_limited"]
    assert entry["log_level"] == "warning"
    assert entry["team_id"] == "T0LIMITED"
    assert entry["minute_rate_limited"] == 1518467820
    assert entry["minute"] == "2018-02-12T20:37:00+00:00"


async def test_another_bots_message_is_logged_as_such(client: Client, bus: MemoryBus) -> None:
    event = {**direct_message("help"), "user": "U0OTHERBOT", "bot_id": "B0OTHER"}
    with capture_logs() as logs:
        assert (await post_event(client, event_callback(event, event_id="EvBot")))[0] == 200
    ignored = [e for e in logs if e["event"] == "slack.ignored"]
    assert [(e["event_id"], e["reason"]) for e in ignored] == [("EvBot", "another bot's message")]
    assert published_actions(bus, "help") == []


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Slack-Signature": "v0=00", "X-Slack-Request-Timestamp": "1"},
        sign(b"something else"),
        sign(b'{"type":"url_verification","challenge":"x"}', timestamp=1_000_000_000),
        sign(b'{"type":"url_verification","challenge":"x"}', secret="not-our-secret"),
    ],
    ids=["missing", "garbage", "other-body", "stale", "wrong-secret"],
)
async def test_unsigned_or_badly_signed_requests_get_401(
    client: Client, headers: dict[str, str]
) -> None:
    body = b'{"type":"url_verification","challenge":"x"}'
    status, answer = await post_event(client, body, headers)
    assert (status, answer) == (401, {"error": "invalid_signature"})


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"\xff\xfe"])
async def test_malformed_body_gets_400_and_no_retry(client: Client, body: bytes) -> None:
    response = await client.post("/slack/events", data=body, headers=sign(body))
    assert response.status_code == 400
    assert response.headers["X-Slack-No-Retry"] == "1"
    assert (await response.get_json())["error"] == "malformed_request"


async def test_timestamp_of_non_ascii_digits_is_refused_not_a_crash(client: Client) -> None:
    headers = {"X-Slack-Request-Timestamp": "\u00b2", "X-Slack-Signature": "v0=00"}
    status, answer = await post_event(client, b"{}", headers)
    assert (status, answer) == (401, {"error": "invalid_signature"})


async def test_body_over_one_mebibyte_gets_413(client: Client, bus: MemoryBus) -> None:
    payload = event_callback(mention("help " + "x" * (1024 * 1024)))
    status, answer = await post_event(client, payload)
    assert status == 413
    assert answer == {"error": "request_entity_too_large"}
    assert published_actions(bus, "help") == []


async def test_unknown_path_is_a_json_404(client: Client) -> None:
    response = await client.get("/nowhere")
    assert response.status_code == 404
    assert await response.get_json() == {"error": "not_found"}


async def test_health_endpoints(client: Client) -> None:
    assert (await client.get("/healthz")).status_code == 200
    assert (await client.get("/readyz")).status_code == 200


async def test_broker_down_means_503_so_slack_retries() -> None:
    bus = AmqpBus(f"amqp://guest:guest@127.0.0.1:{free_port()}/", publish_timeout=0.5)
    app = create_app(SETTINGS, bus=bus)
    async with app.test_app():
        await bus.start()
        client = app.test_client()
        status, answer = await post_event(client, event_callback(mention("help"), event_id="Ev5"))
        ready = await client.get("/readyz")
        await bus.close()
    assert (status, answer) == (503, {"error": "temporarily_unavailable"})
    assert ready.status_code == 503


async def test_a_failed_publish_is_not_remembered_so_the_retry_publishes(bus: MemoryBus) -> None:
    down = AmqpBus(f"amqp://guest:guest@127.0.0.1:{free_port()}/", publish_timeout=0.2)
    payload = event_callback(mention("help"), event_id="EvLater")
    app = create_app(SETTINGS, bus=down)
    async with app.test_app():
        assert (await post_event(app.test_client(), payload))[0] == 503
        app.extensions["jeeves"].bus = bus  # the broker is back
        assert (await post_event(app.test_client(), payload))[0] == 200
    assert [a.id for a in published_actions(bus, "help")] == [message_id(payload)]


async def test_dev_mode_without_a_secret_refuses_slack_requests() -> None:
    app = create_app(FrontendSettings(env="dev"), bus=MemoryBus())
    async with app.test_app():
        status, answer = await post_event(app.test_client(), {"type": "url_verification"})
    assert status == 503
    assert answer["error"] == "slack_not_configured"


async def test_many_events_at_once_each_published_once(client: Client, bus: MemoryBus) -> None:
    payloads = [event_callback(mention("help"), event_id=f"EvC{n}") for n in range(50)]
    statuses = await asyncio.gather(*(post_event(client, p) for p in payloads))
    assert {status for status, _ in statuses} == {200}
    assert sorted(a.id for a in published_actions(bus, "help")) == sorted(map(message_id, payloads))


async def test_broker_down_a_slash_command_is_told_in_words_not_a_503() -> None:
    # Slack never retries a slash command: a 503 would only show its own failure line.
    bus = AmqpBus(f"amqp://guest:guest@127.0.0.1:{free_port()}/", publish_timeout=0.5)
    app = create_app(SETTINGS, bus=bus)
    form = {
        "command": "/jeeves",
        "text": "set location Rome",
        "team_id": "T1",
        "channel_id": "C1",
        "user_id": "U1",
        "response_url": "https://hooks.slack.com/commands/T1/1/x",
        "trigger_id": "1.2.3",
    }
    body = urlencode(form).encode()
    headers = sign(body, content_type="application/x-www-form-urlencoded")
    async with app.test_app():
        await bus.start()
        response = await app.test_client().post("/slack/commands", data=body, headers=headers)
        answer = await response.get_json()
        await bus.close()
    assert response.status_code == 200
    assert answer["response_type"] == "ephemeral"
    assert "can't do that right now" in answer["text"] and "try again" in answer["text"]


@pytest.mark.parametrize("path", ["/slack/events", "/slack/commands"])
async def test_a_signature_that_is_not_ascii_is_refused_not_a_crash(
    client: Client, path: str
) -> None:
    # hmac.compare_digest raises TypeError on non-ASCII str: this was a 500 (found in review).
    headers = {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=é"}
    response = await client.post(path, data=b"x", headers=headers)
    assert response.status_code == 401
    assert await response.get_json() == {"error": "invalid_signature"}
