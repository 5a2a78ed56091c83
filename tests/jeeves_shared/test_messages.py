from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jeeves_shared.messages import (
    Action,
    Conversation,
    MalformedMessage,
    Reply,
    decode,
    encode,
    reply_id,
)

WHERE = Conversation(origin="slack", team_id="T1", channel_id="C1", user_id="U1", thread_ts="1.2")


def make_action(**changes: object) -> Action:
    fields: dict[str, object] = {"id": "Ev1", "command": "help", "conversation": WHERE}
    return Action.model_validate({**fields, **changes})


def test_action_round_trips_through_json() -> None:
    action = make_action(args="weather", text="help weather")
    assert decode(encode(action)) == action


def test_reply_keeps_the_conversation_and_derives_a_stable_id() -> None:
    action = make_action()
    first, again = Reply.to(action, "hello"), Reply.to(action, "hello")
    assert first.conversation == WHERE
    assert first.id == again.id == reply_id("Ev1")
    assert decode(encode(first)) == first


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"kind": "action"}',
        b'{"kind": "telepathy", "version": 1}',
        json.dumps({**json.loads(encode(make_action())), "version": 2}).encode(),
        json.dumps({**json.loads(encode(make_action())), "surprise": 1}).encode(),
    ],
    ids=["garbage", "array", "missing-fields", "unknown-kind", "unknown-version", "extra-field"],
)
def test_anything_else_is_malformed(body: bytes) -> None:
    with pytest.raises(MalformedMessage):
        decode(body)


@given(st.binary(max_size=300))
def test_decode_never_raises_anything_but_malformed(body: bytes) -> None:
    with contextlib.suppress(MalformedMessage):
        decode(body)


@given(st.text(min_size=1, max_size=200), st.text(max_size=500))
def test_any_text_round_trips(event_id: str, text: str) -> None:
    action = make_action(id=event_id, text=text, args=text)
    assert decode(encode(action)) == action
