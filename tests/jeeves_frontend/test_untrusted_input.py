"""Nothing a client sends gets a 5xx: property tests through the real front door (issue 10 §1).

Every request goes through the ASGI app with a valid signature for its exact body, so the
checks behind the signature (JSON, the models, the command parser, encoding for the bus) are
what is exercised. The in-memory bus encodes each published action exactly as the AMQP bus
does, so a string that cannot be encoded fails here as it would in production.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote_from_bytes

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from quart import Quart
from quart.typing import TestClientProtocol as Client

from jeeves_frontend.app import create_app
from jeeves_frontend.devchat import ChatLog
from jeeves_frontend.settings import FrontendSettings
from jeeves_shared.bus.memory import MemoryBus
from jeeves_shared.bus.topology import WORKER_QUEUES
from jeeves_shared.messages import Action
from tests.support.memory_bus import published_actions
from tests.support.slack_requests import (
    SIGNING_SECRET,
    direct_message,
    encode,
    event_callback,
    mention,
    sign,
)

SETTINGS = FrontendSettings(env="dev", slack_signing_secret=SIGNING_SECRET)
PROPERTY = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

#: Any character, including lone surrogates (``\ud83d``), NUL and control characters.
ANY_CHAR = st.characters(exclude_categories=())
NASTY_TEXT = st.text(ANY_CHAR, max_size=60) | st.sampled_from(
    ["\ud83d", "Caf\u00e9 \ud83d Paris", "\x00", "a\x00b\x1b[31m\x7f", "\udfff\ud800", "\r\n\t"]
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=True, allow_infinity=True)
    | NASTY_TEXT
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(NASTY_TEXT, inner, max_size=4),
    max_leaves=20,
)
ENVELOPE_FIELDS = ("type", "team_id", "event_id", "event", "authorizations", "event_time")
EVENT_FIELDS = (
    "type",
    "user",
    "text",
    "channel",
    "channel_type",
    "ts",
    "thread_ts",
    "subtype",
    "bot_id",
    "blocks",
)
SLASH_FIELDS = ("command", "text", "team_id", "channel_id", "user_id", "response_url", "trigger_id")


class Door:
    """The front door (with the dev chat mounted) on an event loop a sync test can drive."""

    def __init__(self) -> None:
        self.runner = asyncio.Runner()
        self.bus = MemoryBus(tuple(WORKER_QUEUES.values()))
        self.app: Quart = create_app(SETTINGS, bus=self.bus, chat=ChatLog())
        self.runner.run(self.app.startup())
        self.client: Client = self.app.test_client()

    def post(self, path: str, body: bytes, content_type: str = "application/json") -> int:
        headers = sign(body, content_type=content_type)
        return self.runner.run(self._status(self.client.post(path, data=body, headers=headers)))

    def get(self, path: str) -> int:
        return self.runner.run(self._status(self.client.get(path)))

    @staticmethod
    async def _status(request: Any) -> int:
        response = await request
        await response.get_data()
        return int(response.status_code)

    def published(self) -> list[Action]:
        return published_actions(self.bus)

    def still_serves(self) -> None:
        """A plain mention is still published and acknowledged."""
        self.published()
        body = encode(event_callback(mention("help")))
        assert self.post("/slack/events", body) == 200
        assert [a.command for a in self.published()] == ["help"]

    def close(self) -> None:
        self.runner.run(self.app.shutdown())
        self.runner.close()


@pytest.fixture
def door() -> Iterator[Door]:
    door = Door()
    yield door
    door.close()


def to_json(value: Any) -> bytes:
    """JSON as a client may send it: surrogates as ``\\uXXXX`` escapes, NaN as ``NaN``."""
    return json.dumps(value).encode()


def test_arbitrary_json_bodies_never_get_a_5xx(door: Door) -> None:
    @PROPERTY
    @given(JSON)
    def check(value: Any) -> None:
        assert door.post("/slack/events", to_json(value)) < 500

    check()
    door.still_serves()


def test_any_envelope_field_of_any_value_never_gets_a_5xx(door: Door) -> None:
    @PROPERTY
    @given(st.sampled_from(ENVELOPE_FIELDS), JSON, st.sampled_from([mention, direct_message]))
    def check(field: str, value: Any, kind: Any) -> None:
        payload = event_callback(kind("help"))
        payload[field] = value
        assert door.post("/slack/events", to_json(payload)) < 500

    check()
    door.still_serves()


def test_any_inner_event_field_of_any_value_never_gets_a_5xx(door: Door) -> None:
    @PROPERTY
    @given(st.sampled_from(EVENT_FIELDS), JSON, st.sampled_from([mention, direct_message]))
    def check(field: str, value: Any, kind: Any) -> None:
        payload = event_callback(kind("set location Paris"))
        payload["event"][field] = value
        assert door.post("/slack/events", to_json(payload)) < 500
        for action in door.published():  # whatever was published can be encoded and read back
            assert action.command

    check()
    door.still_serves()


def test_any_text_is_answered_and_published_encodable(door: Door) -> None:
    @PROPERTY
    @given(NASTY_TEXT, st.sampled_from([mention, direct_message]))
    def check(text: str, kind: Any) -> None:
        assert door.post("/slack/events", to_json(event_callback(kind(text)))) == 200
        [action] = door.published()
        action.text.encode("utf-8")  # strict: no surrogate survives
        assert "\x00" not in action.text + action.args

    check()
    door.still_serves()


def test_an_unpaired_surrogate_is_answered_as_slack_would_show_it(door: Door) -> None:
    # The example, byte for byte as reported: ``\ud83d`` alone, half an emoji.
    body = (
        b'{"token":"x","team_id":"T0TESTTEAM","api_app_id":"A0JEEVES","type":"event_callback",'
        b'"event_id":"Ev21BAB775","event_time":1,"authorizations":[{"team_id":"T0TESTTEAM",'
        b'"user_id":"UJEEVESBOT","is_bot":true}],"event":{"type":"app_mention","user":'
        b'"U0LONE0001","text":"<@UJEEVESBOT> set location Caf\\u00e9 \\ud83d Paris",'
        b'"ts":"1796045104.204597","channel":"C060E7A8E"}}'
    )
    assert door.post("/slack/events", body) == 200
    [action] = door.published()
    assert (action.command, action.args) == ("set_location", "Café \ufffd Paris")


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 200_000 + b"]" * 200_000,
        b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        b'{"type":"event_callback","event":' + b"[" * 150_000 + b"]" * 150_000 + b"}",
        b'{"type":"event_callback","event_id":' + b"9" * 5000 + b"}",
        b'{"type": 1e999, "challenge": -1e999}',
        b'{"type":"url_verification","challenge":"\\ud800\\u0000"}',
        b'{"type":"app_rate_limited","team_id":["x"],"minute_rate_limited":1e300}',
    ],
    ids=[
        "deep-list",
        "deep-object",
        "deep-event",
        "huge-int",
        "infinities",
        "bad-challenge",
        "rate-limited-wrong-types",
    ],
)
def test_deep_nesting_and_huge_numbers_are_refused_cleanly(door: Door, body: bytes) -> None:
    assert door.post("/slack/events", body) < 500
    door.still_serves()


def test_any_text_in_blocks_is_published_encodable(door: Door) -> None:
    @PROPERTY
    @given(NASTY_TEXT, st.sampled_from(["text", "user", "link", "channel"]))
    def check(text: str, kind: str) -> None:
        element = {"type": kind, "text": text, "user_id": text, "url": text, "channel_id": text}
        section = {"type": "rich_text_section", "elements": [element]}
        event = {**direct_message(""), "blocks": [{"type": "rich_text", "elements": [section]}]}
        assert door.post("/slack/events", to_json(event_callback(event))) == 200
        for action in door.published():
            action.text.encode("utf-8")

    check()
    door.still_serves()


def test_deeply_nested_blocks_are_read_without_exhausting_the_stack(door: Door) -> None:
    # As deep as the JSON parser takes: the words are still found, iteratively.
    depth = 200  # 400 levels of objects and lists
    inner = '{"type":"rich_text_section","elements":[' * depth
    words = '{"type":"text","text":"weather in Lyon"}'
    event = json.dumps({**direct_message(""), "blocks": "BLOCKS"})
    event = event.replace('"BLOCKS"', "[" + inner + words + "]}" * depth + "]")
    body = json.dumps(event_callback({})).replace("{}", event).encode()
    assert door.post("/slack/events", body) == 200
    [action] = door.published()
    assert (action.command, action.args) == ("weather", "in Lyon")
    door.still_serves()


def form_body(fields: dict[str, str]) -> bytes:
    """A form body; strings with surrogates are sent as the invalid UTF-8 they would be."""
    return "&".join(
        f"{quote_from_bytes(k.encode('utf-8', 'surrogatepass'))}="
        f"{quote_from_bytes(v.encode('utf-8', 'surrogatepass'))}"
        for k, v in fields.items()
    ).encode()


def test_any_slash_command_form_never_gets_a_5xx(door: Door) -> None:
    valid = {
        "command": "/jeeves",
        "text": "weather",
        "team_id": "T1",
        "channel_id": "C1",
        "user_id": "U1",
        "response_url": "https://hooks.slack.com/commands/T1/1/abc",
        "trigger_id": "1.2.3",
    }

    @PROPERTY
    @given(
        st.dictionaries(st.sampled_from(SLASH_FIELDS), NASTY_TEXT | st.text(max_size=300)),
        st.booleans(),
    )
    def check(changed: dict[str, str], start_valid: bool) -> None:
        fields = {**(valid if start_valid else {}), **changed}
        assert (
            door.post("/slack/commands", form_body(fields), "application/x-www-form-urlencoded")
            < 500
        )
        for action in door.published():
            action.args.encode("utf-8")

    check()

    @PROPERTY
    @given(st.binary(max_size=300))
    def check_bytes(body: bytes) -> None:
        assert door.post("/slack/commands", body, "application/x-www-form-urlencoded") < 500

    check_bytes()
    door.still_serves()


def test_any_dev_chat_body_or_query_never_gets_a_5xx(door: Door) -> None:
    @PROPERTY
    @given(JSON | st.fixed_dictionaries({"text": NASTY_TEXT}))
    def check(value: Any) -> None:
        assert door.post("/dev/chat/messages", to_json(value)) < 500
        for action in door.published():
            action.text.encode("utf-8")

    check()

    @PROPERTY
    @given(st.text(ANY_CHAR, max_size=30), st.text(ANY_CHAR, max_size=30))
    def check_query(after: str, wait: str) -> None:
        after_q = quote_from_bytes(after.encode("utf-8", "surrogatepass"))
        wait_q = quote_from_bytes(wait.encode("utf-8", "surrogatepass"))[:8] or "0"
        assert door.get(f"/dev/chat/messages?after={after_q}&wait=0&x={wait_q}") < 500

    check_query()
    deep = b'{"text":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    assert door.post("/dev/chat/messages", deep) == 422
    door.still_serves()


def test_a_surrogate_on_the_chat_page_is_shown_replaced_not_refused(door: Door) -> None:
    assert (
        door.post("/dev/chat/messages", b'{"text": "set location Caf\\u00e9 \\ud83d Paris"}') == 202
    )
    [action] = door.published()
    assert (action.command, action.args) == ("set_location", "Café \ufffd Paris")
