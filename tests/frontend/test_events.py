from __future__ import annotations

from typing import Any

import pytest

from jeeves_frontend.events import Ignored, to_action
from jeeves_shared.messages import Action
from tests.support.slack_requests import BOT_USER_ID, direct_message, event_callback, mention


def test_mention_becomes_an_action_in_its_channel() -> None:
    action = to_action(event_callback(mention("help weather"), event_id="Ev9"))
    assert isinstance(action, Action)
    assert (action.id, action.command, action.args) == ("Ev9", "help", "weather")
    where = action.conversation
    assert (where.origin, where.team_id, where.channel_id, where.user_id) == (
        "slack",
        "T0001",
        "C0001",
        "U0001",
    )
    assert where.thread_ts is None
    assert not where.is_direct_message


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
        ({**direct_message("help"), "bot_id": "B1"}, "the bot's own message"),
        ({**direct_message("help"), "user": BOT_USER_ID}, "the bot's own message"),
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
