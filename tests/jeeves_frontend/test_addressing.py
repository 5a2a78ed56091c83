"""People address Jeeves as they would a person (issue 10 §2, §6): through every front door.

Each case is sent as Slack sends it (a signed ``app_mention``, a signed DM, a signed slash
command form) and typed on the dev chat page, and the action published on the bus must be the
same command with the same arguments.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client

from jeeves_frontend.app import create_app
from jeeves_frontend.devchat import ChatLog
from jeeves_frontend.settings import FrontendSettings
from jeeves_shared.bus.memory import MemoryBus
from jeeves_shared.bus.topology import WORKER_QUEUES
from tests.support.memory_bus import published_actions
from tests.support.slack_requests import (
    BOT_USER_ID,
    SIGNING_SECRET,
    direct_message,
    encode,
    event_callback,
    next_ts,
    sign,
)

SETTINGS = FrontendSettings(env="dev", slack_signing_secret=SIGNING_SECRET)
MENTION = f"<@{BOT_USER_ID}>"

#: (what the person typed after or around the mention, command, arguments)
CASES = [
    (f"{MENTION}, weather", "weather", ""),
    (f"<@{BOT_USER_ID}|jeeves>: help", "help", ""),
    (f"hey {MENTION} help", "help", ""),
    (f"{MENTION} help?", "help", ""),
    (f"{MENTION} help.", "help", ""),
    (f"{MENTION} weather in Paris?", "weather", "in Paris"),
    (f"Good morning {MENTION}! Weather in Paris, please.", "weather", "in Paris"),
    (f"{MENTION} please set location Lyon, FR", "set_location", "Lyon, FR"),
    (f"{MENTION} where am I?", "get_location", ""),
    (f"{MENTION} Help me", "help", "me"),
    (f"{MENTION} reminders cancel 12!", "reminders", "cancel 12"),
    (f"{MENTION} config set motto  keep  my  spaces.", "config", "set motto  keep  my  spaces."),
    (f"hi {MENTION}, remind me to stretch in 2 minutes.", "remind", "to stretch in 2 minutes."),
]
#: The same, typed on the chat page or after ``/jeeves``: no Slack mention, maybe a name.
TYPED = [
    (", help", "help", ""),
    ("@jeeves help", "help", ""),
    ("/jeeves help", "help", ""),
    ("Jeeves, weather in Paris?", "weather", "in Paris"),
    ("hey jeeves: where am i", "get_location", ""),
    ("weather in Paris?", "weather", "in Paris"),
]


@pytest.fixture
def bus() -> MemoryBus:
    return MemoryBus(tuple(WORKER_QUEUES.values()))


@pytest.fixture
async def client(bus: MemoryBus) -> AsyncIterator[Client]:
    app: Quart = create_app(SETTINGS, bus=bus, chat=ChatLog())
    async with app.test_app():
        yield app.test_client()


def published(bus: MemoryBus) -> list[tuple[str, str]]:
    return [(action.command, action.args) for action in published_actions(bus)]


async def post_signed(client: Client, path: str, body: bytes, content_type: str) -> Any:
    headers = sign(body, content_type=content_type)
    response = await client.post(path, data=body, headers=headers)
    return response.status_code, await response.get_json()


def as_mention(text: str) -> dict[str, Any]:
    ts = next_ts()
    return {
        "type": "app_mention",
        "user": "U0001",
        "text": text,
        "ts": ts,
        "channel": "C0001",
        "event_ts": ts,
    }


#: Each case as an ``app_mention`` and as a DM; a DM may also omit the mention.
SLACK_EVENTS = [
    pytest.param(kind, *case, id=f"{kind.__name__}-{number}")
    for kind, cases in ((as_mention, CASES), (direct_message, CASES + TYPED))
    for number, case in enumerate(cases)
]


@pytest.mark.parametrize(("kind", "text", "command", "args"), SLACK_EVENTS)
async def test_mentions_and_direct_messages_are_understood(
    client: Client,
    bus: MemoryBus,
    kind: Callable[[str], dict[str, Any]],
    text: str,
    command: str,
    args: str,
) -> None:
    body = encode(event_callback(kind(text)))
    assert (await post_signed(client, "/slack/events", body, "application/json"))[0] == 200
    assert published(bus) == [(command, args)]


@pytest.mark.parametrize(("text", "command", "args"), TYPED)
async def test_the_dev_chat_page_understands_the_same(
    client: Client, bus: MemoryBus, text: str, command: str, args: str
) -> None:
    response = await client.post("/dev/chat/messages", json={"text": text})
    assert response.status_code == 202
    assert (await response.get_json())["message"]["text"] == text
    assert published(bus) == [(command, args)]


@pytest.mark.parametrize(("text", "command", "args"), TYPED)
async def test_slash_commands_understand_the_same(
    client: Client, bus: MemoryBus, text: str, command: str, args: str
) -> None:
    form = {
        "command": "/jeeves",
        "text": text,
        "team_id": "T0001",
        "channel_id": "C0001",
        "user_id": "U0001",
        "response_url": "https://hooks.slack.com/commands/T0001/1/x",
        "trigger_id": f"trigger-{next_ts()}",
    }
    body = urlencode(form).encode()
    status, ack = await post_signed(
        client, "/slack/commands", body, "application/x-www-form-urlencoded"
    )
    assert status == 200
    if command == "help":  # answered in the acknowledgement itself
        assert ack["text"].startswith("Here is what I can do:")
        assert published(bus) == []
    else:
        assert published(bus) == [(command, args)]
