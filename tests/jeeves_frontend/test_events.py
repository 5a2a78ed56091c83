from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from jeeves_frontend.events import Ignored, action_id, read_envelope, receiver_of, to_action
from jeeves_shared.installations import InstallationKey
from jeeves_shared.messages import Action
from tests.support.slack_requests import (
    BOT_USER_ID,
    CONNECT_MENTION,
    direct_message,
    event_callback,
    mention,
)


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


def test_a_slack_connect_event_belongs_to_the_installation_and_the_users_own_team() -> None:
    action = to_action(CONNECT_MENTION)
    assert isinstance(action, Action)
    assert (action.command, action.args) == ("set_location", "Lyon")
    where = action.conversation
    assert (where.team_id, where.enterprise_id, where.is_enterprise_install) == (
        "T0TESTTEAM",
        None,
        False,
    )
    assert where.user_team == "T0TESTTEAM"  # not the partner's T0PARTNER1
    assert action.id == "slack:T0TESTTEAM:C28E55A64:1796045168.808180"
    receiver = receiver_of(read_envelope(CONNECT_MENTION))  # type: ignore[arg-type]
    assert receiver.installation == InstallationKey(None, "T0TESTTEAM", False)


def test_a_partner_orgs_user_in_a_connect_channel_keeps_their_own_team() -> None:
    event = {**CONNECT_MENTION["event"], "user": "U0PARTNER9", "user_team": "T0PARTNER1"}
    action = to_action({**CONNECT_MENTION, "event": event})
    assert isinstance(action, Action)
    assert action.conversation.team_id == "T0TESTTEAM"  # answered by our installation
    assert action.conversation.user_team == "T0PARTNER1"  # but the user is the partner's


def grid_event(authorization: dict[str, Any], *, team: str = "T0GRIDWS1") -> dict[str, Any]:
    payload = event_callback(mention("help", user="U0GRID001"))
    payload.update(team_id=team, enterprise_id="E0GRID", authorizations=[authorization])
    payload["event"]["user_team"] = team
    return payload


def test_a_workspace_install_inside_an_enterprise_grid_org() -> None:
    payload = grid_event(
        {"enterprise_id": "E0GRID", "team_id": "T0GRIDWS1", "user_id": BOT_USER_ID,
         "is_bot": True, "is_enterprise_install": False}
    )  # fmt: skip
    action = to_action(payload)
    assert isinstance(action, Action)
    where = action.conversation
    assert (where.enterprise_id, where.team_id, where.is_enterprise_install) == (
        "E0GRID",
        "T0GRIDWS1",
        False,
    )
    key = receiver_of(read_envelope(payload)).installation  # type: ignore[arg-type]
    assert key == InstallationKey("E0GRID", "T0GRIDWS1", False)


@pytest.mark.parametrize("workspace", ["T0GRIDWS1", "T0GRIDWS2"])
def test_an_org_wide_install_receives_every_workspace_of_the_org(workspace: str) -> None:
    payload = grid_event(
        {"enterprise_id": "E0GRID", "team_id": None, "user_id": BOT_USER_ID,
         "is_bot": True, "is_enterprise_install": True},
        team=workspace,
    )  # fmt: skip
    action = to_action(payload)
    assert isinstance(action, Action)
    where = action.conversation
    assert (where.enterprise_id, where.team_id, where.is_enterprise_install) == (
        "E0GRID",
        workspace,
        True,
    )
    assert where.user_team == workspace
    key = receiver_of(read_envelope(payload)).installation  # type: ignore[arg-type]
    assert key == InstallationKey("E0GRID", None, True)  # one installation for the org


def test_the_bots_own_message_is_recognised_by_its_bot_id_too() -> None:
    event = {**direct_message("hello"), "bot_id": "B0MINE"}
    ignored = to_action(event_callback(event), bot_user_id="UOTHER", bot_id="B0MINE")
    assert ignored == Ignored("the bot's own message")
    other = to_action(event_callback(event), bot_user_id="UOTHER", bot_id="B0THEIRS")
    assert other == Ignored("another bot's message")


def lifecycle(event: dict[str, Any], **envelope: Any) -> dict[str, Any]:
    payload = event_callback(event, event_id="EvLIFE1")
    payload.update(envelope)
    return payload


def test_app_uninstalled_becomes_a_lifecycle_action_of_the_installation() -> None:
    action = to_action(lifecycle({"type": "app_uninstalled", "event_ts": "1.2"}))
    assert isinstance(action, Action)
    assert (action.id, action.command, action.args) == (
        "app_uninstalled:EvLIFE1",
        "app_uninstalled",
        "",
    )
    assert action.conversation.team_id == "T0001"
    assert action.conversation.channel_id == ""  # nothing is answered


def test_tokens_revoked_counts_only_when_a_bot_token_is_revoked() -> None:
    bot = lifecycle({"type": "tokens_revoked", "tokens": {"oauth": [], "bot": [BOT_USER_ID]}})
    users = lifecycle({"type": "tokens_revoked", "tokens": {"oauth": ["U0001"]}})
    action = to_action(bot)
    assert isinstance(action, Action) and action.command == "tokens_revoked"
    assert to_action(users) == Ignored("tokens_revoked of user tokens only")


def test_team_access_events_carry_the_workspaces() -> None:
    payload = lifecycle(
        {"type": "team_access_revoked", "team_ids": ["T0GRIDWS1", "T0GRIDWS2"]},
        enterprise_id="E0GRID",
        authorizations=[
            {"enterprise_id": "E0GRID", "team_id": None, "user_id": BOT_USER_ID,
             "is_bot": True, "is_enterprise_install": True}
        ],
    )  # fmt: skip
    action = to_action(payload)
    assert isinstance(action, Action)
    assert (action.command, action.args) == ("team_access_revoked", "T0GRIDWS1 T0GRIDWS2")
    assert action.conversation.is_enterprise_install
    assert action.conversation.enterprise_id == "E0GRID"


def test_ids_of_the_wrong_shape_in_authorizations_are_ignored_not_failed() -> None:
    payload = event_callback(mention("help"))
    payload["authorizations"] = [{"team_id": 12, "is_bot": True}]
    assert isinstance(to_action(payload), Ignored)


@pytest.mark.parametrize(
    ("roles", "args"),
    [
        ({"is_admin": True, "is_owner": False}, "is_admin"),
        ({"is_admin": True, "is_owner": True}, "is_admin is_owner"),
        ({"is_primary_owner": True}, "is_owner"),
        ({}, ""),
    ],
)
def test_user_change_carries_the_member_and_the_roles_they_hold(
    roles: dict[str, Any], args: str
) -> None:
    member = {"id": "U0ERIN", "team_id": "T0HOME", "name": "erin", "profile": {}, **roles}
    action = to_action(lifecycle({"type": "user_change", "user": member, "event_ts": "1.2"}))

    assert isinstance(action, Action)
    assert (action.id, action.command, action.args) == ("user_change:EvLIFE1", "user_change", args)
    assert action.conversation.user_id == "U0ERIN"
    assert action.conversation.user_team == "T0HOME"
    assert action.conversation.team_id == "T0001"  # the installation that received it
    assert action.conversation.channel_id == ""  # nothing is answered


def test_a_user_change_is_dated_by_slacks_event_time() -> None:
    """So that a retried older user_change cannot undo a newer one (the Data Service keeps the
    newest roles)."""
    member = {"id": "U0ERIN", "team_id": "T0HOME", "is_admin": True}
    action = to_action(lifecycle({"type": "user_change", "user": member}, event_time=1764500000))

    assert isinstance(action, Action)
    assert action.created_at == datetime(2025, 11, 30, 10, 53, 20, tzinfo=UTC)


@pytest.mark.parametrize(
    "user",
    ["U0ERIN", None, {"name": "no id"}, {"id": "U0ERIN", "is_admin": "yes"}, {"id": ["x"]}],
)
def test_a_user_change_of_the_wrong_shape_is_ignored_not_failed(user: Any) -> None:
    assert isinstance(to_action(lifecycle({"type": "user_change", "user": user})), Ignored)
