from __future__ import annotations

import pytest

from jeeves_frontend.slash import NotASlashCommand, to_slash_action

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
    with pytest.raises(NotASlashCommand, match=f"missing {field}"):
        to_slash_action({k: v for k, v in FORM.items() if k != field})


@pytest.mark.parametrize(
    ("field", "value"),
    [("team_id", ""), ("user_id", "U" * 65), ("trigger_id", "t" * 151), ("channel_id", "")],
)
def test_fields_slack_never_sends_are_refused_not_published(field: str, value: str) -> None:
    # An id longer than any Slack id would make an action id the bus refuses: say so early.
    with pytest.raises(NotASlashCommand, match=f"invalid {field}"):
        to_slash_action({**FORM, field: value})


def test_control_characters_and_nuls_are_dropped_from_the_text() -> None:
    action = to_slash_action({**FORM, "text": "set location Ly\x00on\x1b"})
    assert (action.command, action.args) == ("set_location", "Lyon")


@pytest.mark.parametrize(
    "text", ["@jeeves help", "/jeeves help", "help?", "hey jeeves, help please", ": help"]
)
def test_slash_text_is_addressed_like_any_other(text: str) -> None:
    action = to_slash_action({**FORM, "text": text})
    assert (action.command, action.args) == ("help", "")


def test_a_slash_command_names_its_installation_and_the_users_team() -> None:
    where = to_slash_action(FORM).conversation
    assert (where.team_id, where.enterprise_id, where.is_enterprise_install) == ("T1", None, False)
    assert where.user_team == "T1"
    grid = {**FORM, "enterprise_id": "E0GRID", "is_enterprise_install": "true"}
    where = to_slash_action(grid).conversation
    assert (where.team_id, where.enterprise_id, where.is_enterprise_install) == (
        "T1",
        "E0GRID",
        True,
    )
    # Outside Enterprise Grid Slack may send the field empty.
    assert to_slash_action({**FORM, "enterprise_id": ""}).conversation.enterprise_id is None
