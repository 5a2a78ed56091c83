"""Every reason the front door ignores an event for has a fixed metric code (not ``other``):
the reasons may quote the event, the ``reason`` label must not."""

from __future__ import annotations

from typing import Any

import pytest

from jeeves_frontend.events import Ignored, to_action
from jeeves_frontend.slack import ignore_code
from tests.support.slack_requests import direct_message, event_callback, mention


def ignored(change: dict[str, Any], base: dict[str, Any] | None = None) -> Ignored:
    event = {**(base or direct_message("hi")), **change}
    result = to_action(event_callback(event))
    assert isinstance(result, Ignored), result
    return result


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"type": "reaction_added"}, "event_type"),
        ({"channel_type": "channel"}, "not_direct_message"),
        ({"user": "UJEEVES"}, "own_message"),
        ({"bot_id": "B0123"}, "bot_message"),
        ({"subtype": "message_changed"}, "subtype"),
        ({"user": None}, "no_user_or_channel"),
        ({"subtype": "file_share", "text": ""}, "file_without_words"),
        ({"ts": 12}, "invalid"),
    ],
)
def test_each_ignore_reason_has_its_code(change: dict[str, Any], code: str) -> None:
    assert ignore_code(ignored(change).reason) == code


def test_an_unknown_reason_is_other() -> None:
    assert ignore_code("something new") == "other"
    assert ignore_code(ignored({}, mention("hi") | {"type": "pin_added"}).reason) == "event_type"
