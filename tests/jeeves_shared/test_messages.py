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


def test_an_answer_of_several_parts_is_one_reply_with_a_stable_id_per_part() -> None:
    action = make_action()
    answer = Reply.to(action, "one", "two", part=1)
    assert [part.id for part in answer.parts] == [reply_id("Ev1", 1), reply_id("Ev1", 2)]
    assert answer.id == reply_id("Ev1", 1)
    assert answer.text == "one\ntwo"
    assert decode(encode(answer)) == answer


def version_1_reply(**changes: object) -> bytes:
    """A reply as Jeeves published them before version 2 (one message per part)."""
    body = {
        "kind": "reply",
        "version": 1,
        "id": reply_id("Ev1", 1),
        "in_reply_to": "Ev1",
        "text": "the second part",
        "conversation": WHERE.model_dump(),
        "created_at": "2026-11-30T12:00:00Z",
    }
    return json.dumps({**body, **changes}).encode()


def test_a_version_1_reply_still_queued_is_read_as_one_part_under_its_id() -> None:
    reply = decode(version_1_reply())
    assert isinstance(reply, Reply)
    assert [(part.id, part.text) for part in reply.parts] == [
        (reply_id("Ev1", 1), "the second part")
    ]
    assert reply.id == reply_id("Ev1", 1)


def version_2_reply(**changes: object) -> bytes:
    body = json.loads(encode(Reply.to(make_action(), "one", "two")))
    return json.dumps({**body, **changes}).encode()


@pytest.mark.parametrize(
    "body",
    [
        b'{"kind": "reply", "version": 1}',
        version_1_reply(text=""),
        version_1_reply(version=3),
        version_2_reply(parts=[]),
        version_2_reply(id="another"),
        version_2_reply(parts=[{"id": "a", "text": "x"}, {"id": "a", "text": "y"}], id="a"),
        version_2_reply(text="the version 1 field"),
    ],
    ids=["v1-empty", "v1-blank-text", "v3", "no-parts", "id-not-first-part", "dup-ids", "v2-text"],
)
def test_a_reply_that_is_neither_version_is_malformed(body: bytes) -> None:
    with pytest.raises(MalformedMessage):
        decode(body)


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


def test_messages_published_before_the_installation_fields_still_decode() -> None:
    old = json.loads(encode(make_action()))
    for field in ("enterprise_id", "is_enterprise_install", "user_team_id"):
        del old["conversation"][field]
    action = decode(json.dumps(old).encode())
    assert isinstance(action, Action)
    where = action.conversation
    assert (where.enterprise_id, where.is_enterprise_install, where.user_team_id) == (
        None,
        False,
        None,
    )
    assert where.user_team == "T1"  # one team, as before


def test_the_installation_and_the_users_team_travel_with_the_reply() -> None:
    where = WHERE.model_copy(
        update={"enterprise_id": "E1", "is_enterprise_install": True, "user_team_id": "T2"}
    )
    reply = Reply.to(make_action(conversation=where), "hello")
    decoded = decode(encode(reply))
    assert isinstance(decoded, Reply)
    assert decoded.conversation == where
    assert decoded.conversation.user_team == "T2"
