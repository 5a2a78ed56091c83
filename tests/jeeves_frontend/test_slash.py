from __future__ import annotations

import pytest

from jeeves_frontend.slash import MissingFields, to_slash_action

FORM = {
    "command": "/jeeves",
    "text": "Weather in <https://paris.fr|Paris> &amp; co",
    "team_id": "T1",
    "channel_id": "C1",
    "user_id": "U1",
    "response_url": "https://hooks.slack.com/commands/T1/1/abc",
    "trigger_id": "123.456.abc",
}


def test_slash_command_becomes_an_action_answered_through_response_url() -> None:
    action = to_slash_action(FORM)
    assert (action.id, action.command, action.args) == (
        "slash-123.456.abc",
        "weather",
        "in Paris & co",
    )
    assert action.conversation.response_url == FORM["response_url"]
    assert not action.conversation.is_direct_message


def test_without_trigger_id_the_id_is_derived_from_the_form() -> None:
    form = {k: v for k, v in FORM.items() if k != "trigger_id"}
    assert to_slash_action(form).id == to_slash_action(dict(form)).id


@pytest.mark.parametrize("field", ["team_id", "channel_id", "user_id", "response_url"])
def test_missing_fields_are_refused(field: str) -> None:
    with pytest.raises(MissingFields, match=field):
        to_slash_action({k: v for k, v in FORM.items() if k != field})
