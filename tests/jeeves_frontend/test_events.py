from __future__ import annotations

from typing import Any

import pytest

from jeeves_frontend.events import Ignored, action_id, to_action
from jeeves_shared.messages import Action
from tests.support.slack_requests import BOT_USER_ID, direct_message, event_callback, mention


def test_mention_becomes_an_action_in_its_channel() -> None:
    action = to_action(event_callback(mention("help weather", ts="1700000000.000009")))
    assert isinstance(action, Action)
    assert (action.id, action.command, action.args) == (
        "slack:T0001:C0001:1700000000.000009",
        "help",
        "weather",
    )
    where = action.conversation
    assert (where.origin, where.team_id, where.channel_id, where.user_id) == (
        "slack",
        "T0001",
        "C0001",
        "U0001",
    )
    assert where.thread_ts is None
    assert not where.is_direct_message


def test_one_message_delivered_as_two_events_or_retried_is_one_action() -> None:
    # app_mention and message.channels for the same post: same channel and ts, new event_id.
    post = mention("weather in Paris", ts="1700000000.000042")
    as_mention = to_action(event_callback(post, event_id="Ev1"))
    as_message = to_action(event_callback({**post, "type": "message"}, event_id="Ev2"))
    retried = to_action(event_callback(post, event_id="Ev1"))
    other = to_action(event_callback(mention("weather in Paris"), event_id="Ev3"))
    assert isinstance(as_mention, Action)
    assert isinstance(retried, Action)
    assert isinstance(other, Action)
    assert as_mention.id == retried.id != other.id
    # Channel messages are not read today (mentions come as app_mention); if they ever are,
    # the id already makes the pair one action.
    assert not isinstance(as_message, Action)
    assert action_id("T1", "C1", "1.2", "Ev5") == "slack:T1:C1:1.2"
    assert action_id("T1", "C1", None, "Ev5") == "Ev5"


def test_mention_in_a_thread_is_answered_in_the_thread() -> None:
    action = to_action(event_callback(mention("help", thread_ts="1700000000.000001")))
    assert isinstance(action, Action)
    assert action.conversation.thread_ts == "1700000000.000001"


def test_direct_message_needs_no_mention() -> None:
    action = to_action(event_callback(direct_message("Help")))
    assert isinstance(action, Action)
    assert action.command == "help"
    assert action.conversation.is_direct_message


def test_unknown_words_route_to_unknown_with_the_text() -> None:
    action = to_action(event_callback(mention("fly me to the moon")))
    assert isinstance(action, Action)
    assert (action.command, action.args) == ("unknown", "fly me to the moon")


def test_bot_id_from_settings_when_authorizations_are_missing() -> None:
    payload = event_callback(mention("help"))
    del payload["authorizations"]
    action = to_action(payload, bot_user_id=BOT_USER_ID)
    assert isinstance(action, Action) and action.command == "help"


def test_without_any_bot_id_the_leading_mention_is_still_stripped() -> None:
    payload = event_callback(mention("help"))
    del payload["authorizations"]
    action = to_action(payload)
    assert isinstance(action, Action) and action.command == "help"


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        ({**direct_message("help"), "bot_id": "B1"}, "another bot's message"),
        ({**direct_message("help"), "user": BOT_USER_ID}, "the bot's own message"),
        (
            {**direct_message("help"), "user": BOT_USER_ID, "bot_id": "B0JEEVES"},
            "the bot's own message",
        ),
        ({**direct_message("", ts="1.1"), "subtype": "file_share"}, "a file shared without"),
        ({**direct_message("help"), "subtype": "message_changed"}, "message subtype"),
        ({**direct_message("help"), "subtype": "channel_join"}, "message subtype"),
        ({**direct_message("help"), "channel_type": "channel"}, "outside a direct message"),
        ({"type": "reaction_added", "user": "U1"}, "event type reaction_added"),
        ({**mention("help"), "user": None}, "no user"),
    ],
)
def test_ignored_events(event: dict[str, Any], reason: str) -> None:
    result = to_action(event_callback(event))
    assert isinstance(result, Ignored)
    assert reason in result.reason


def test_file_share_in_a_dm_is_still_a_person_talking() -> None:
    action = to_action(event_callback({**direct_message("help"), "subtype": "file_share"}))
    assert isinstance(action, Action)


def test_envelope_without_event_id_is_ignored_not_an_error() -> None:
    payload = event_callback(mention("help"))
    del payload["event_id"]
    assert isinstance(to_action(payload), Ignored)


def test_another_bots_message_without_a_known_bot_id_is_a_bots_message() -> None:
    payload = event_callback({**direct_message("help"), "bot_id": "B1"})
    del payload["authorizations"]
    result = to_action(payload)
    assert isinstance(result, Ignored) and result.reason == "a bot's message"


def rich_text(*elements: dict[str, Any]) -> list[dict[str, Any]]:
    section = {"type": "rich_text_section", "elements": list(elements)}
    return [{"type": "rich_text", "block_id": "b1", "elements": [section]}]


@pytest.mark.parametrize(
    "event",
    [
        {**direct_message(""), "blocks": rich_text({"type": "text", "text": "weather in Lyon"})},
        {
            **mention(""),
            "text": "",
            "blocks": rich_text(
                {"type": "user", "user_id": BOT_USER_ID},
                {"type": "text", "text": " weather in Lyon"},
            ),
        },
        {
            **direct_message(""),
            "subtype": "file_share",
            "files": [{"id": "F1"}],
            "blocks": rich_text({"type": "text", "text": "weather in Lyon?"}),
        },
    ],
    ids=["dm", "mention", "file-with-words"],
)
def test_words_only_in_blocks_are_read(event: dict[str, Any]) -> None:
    action = to_action(event_callback(event))
    assert isinstance(action, Action)
    assert (action.command, action.args) == ("weather", "in Lyon")


def test_an_empty_mention_still_asks_for_help() -> None:
    action = to_action(event_callback(mention("")))
    assert isinstance(action, Action) and (action.command, action.args) == ("help", "")
