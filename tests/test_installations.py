"""Jeeves installed in several workspaces (Slack's OAuth install on), through the real front
door, RabbitMQ, the Data Service and every worker; Slack is the local fake, which records the
bot token of every call.

Installations are recorded as the install pages record them after ``oauth.v2.access``
(:meth:`~tests.support.stack.Stack.install`); their tokens do not expire here (rotation is
the fault scenario's business: ``tests/faults``).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from jeeves_frontend.authorize import NEGATIVE_TTL
from jeeves_shared.dataclient import NewInstallation
from jeeves_shared.installations import InstallationKey
from tests.support.fake_slack import Scripted
from tests.support.slack_requests import BOT_USER_ID, direct_message, event_callback, mention
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.rabbitmq

_EVENT_IDS = itertools.count(1)
_TS = itertools.count(1)


@pytest.fixture
async def stack(amqp_url: str, tmp_path: Path) -> AsyncIterator[Stack]:
    async with running_stack(amqp_url, tmp_path, installations=True) as running:
        yield running


def workspace(team: str, *, enterprise: str | None = None) -> NewInstallation:
    """Jeeves installed in workspace ``team``, with its own bot token ``xoxb-<team>``."""
    return NewInstallation(
        enterprise_id=enterprise,
        team_id=team,
        bot_user_id=BOT_USER_ID,
        bot_id=f"B{team}",
        bot_token=SecretStr(f"xoxb-{team}"),
    )


def org(enterprise: str) -> NewInstallation:
    """Jeeves installed org-wide in Enterprise Grid org ``enterprise``."""
    return NewInstallation(
        enterprise_id=enterprise,
        team_id=None,
        is_enterprise_install=True,
        bot_user_id=BOT_USER_ID,
        bot_id=f"B{enterprise}",
        bot_token=SecretStr(f"xoxb-{enterprise}"),
    )


def received_by(
    event: dict[str, Any],
    team: str,
    *,
    enterprise: str | None = None,
    org_wide: bool = False,
) -> dict[str, Any]:
    """``event`` as Slack delivers it to the installation of ``team`` (or the org's)."""
    event = {**event, "user_team": team}
    payload = event_callback(event, event_id=f"EvI{next(_EVENT_IDS)}")
    payload["team_id"] = team
    if enterprise:
        payload["enterprise_id"] = enterprise
    payload["authorizations"] = [
        {
            "enterprise_id": enterprise,
            "team_id": None if org_wide else team,
            "user_id": BOT_USER_ID,
            "is_bot": True,
            "is_enterprise_install": org_wide,
        }
    ]
    return payload


def ts() -> str:
    return f"1700001000.{next(_TS):06d}"


async def say(stack: Stack, payload: dict[str, Any]) -> dict[str, Any]:
    """Send ``payload``; the one post it is answered with."""
    before = len(stack.slack.posts)
    assert await stack.event(payload) == 200
    posts = await stack.slack.wait_for_posts(before + 1)
    return posts[before]


def token_of(stack: Stack, post: dict[str, Any]) -> str:
    """The bot token the post was made with (from the fake's record of the call)."""
    [call] = [
        c for c in stack.slack.calls if c.method == "chat.postMessage" and c.body is post
    ] or [c for c in stack.slack.calls if c.body == post]
    return call.authorization.removeprefix("Bearer ")


async def test_each_workspace_is_answered_with_its_own_token(stack: Stack) -> None:
    await stack.install(workspace("T0AAA"))
    await stack.install(workspace("T0BBB"))
    for team in ("T0AAA", "T0BBB"):
        post = await say(stack, received_by(mention("help", channel=f"C{team}", ts=ts()), team))
        assert post["channel"] == f"C{team}"
        assert post["text"].startswith("Here is what I can do:")
        assert token_of(stack, post) == f"xoxb-{team}"


async def test_one_user_id_in_two_workspaces_keeps_two_settings(stack: Stack) -> None:
    await stack.install(workspace("T0AAA"))
    await stack.install(workspace("T0BBB"))
    for team, place in (("T0AAA", "Lyon"), ("T0BBB", "Oslo")):
        dm = direct_message(f"set location {place}", channel=f"D{team}", user="U0SAME", ts=ts())
        said = await say(stack, received_by(dm, team))
        assert said["text"] == f"Got it: you are in {place}."
    for team, place in (("T0AAA", "Lyon"), ("T0BBB", "Oslo")):
        dm = direct_message("get location", channel=f"D{team}", user="U0SAME", ts=ts())
        said = await say(stack, received_by(dm, team))
        assert said["text"] == f"You are in {place}."
        assert token_of(stack, said) == f"xoxb-{team}"


async def test_an_org_wide_install_answers_every_workspace_of_the_org(stack: Stack) -> None:
    await stack.install(org("E0ORG"))
    for team in ("T0ORGWS1", "T0ORGWS2"):
        event = mention("help", channel=f"C{team}", ts=ts())
        post = await say(stack, received_by(event, team, enterprise="E0ORG", org_wide=True))
        assert post["channel"] == f"C{team}"
        assert token_of(stack, post) == "xoxb-E0ORG"


async def test_a_workspace_install_inside_an_org_uses_its_own_token(stack: Stack) -> None:
    await stack.install(workspace("T0GRIDWS", enterprise="E0GRID"))
    event = mention("help", channel="CGRID", ts=ts())
    post = await say(stack, received_by(event, "T0GRIDWS", enterprise="E0GRID"))
    assert token_of(stack, post) == "xoxb-T0GRIDWS"


async def test_events_of_a_workspace_jeeves_is_not_installed_in_are_ignored(
    stack: Stack,
) -> None:
    await stack.install(workspace("T0AAA"))
    assert (
        await stack.event(received_by(mention("help", channel="CNONE", ts=ts()), "T0NONE")) == 200
    )
    # A later event that is answered marks that everything before it was handled.
    post = await say(stack, received_by(mention("help", channel="CAAA", ts=ts()), "T0AAA"))
    assert post["channel"] == "CAAA"
    await asyncio.sleep(0.3)
    assert [p["channel"] for p in stack.slack.posts] == ["CAAA"]


def lifecycle(kind: str, team: str) -> dict[str, Any]:
    event: dict[str, Any] = {"type": kind, "event_ts": ts()}
    if kind == "tokens_revoked":
        event["tokens"] = {"oauth": [], "bot": [BOT_USER_ID]}
    payload = event_callback(event, event_id=f"EvL{next(_EVENT_IDS)}")
    payload["team_id"] = team
    payload["authorizations"][0]["team_id"] = team
    return payload


async def wait_inactive(stack: Stack, key: InstallationKey) -> str | None:
    data = stack.data_client(("installations:read",))
    for _ in range(100):
        found = await data.find_installation(key)
        assert found is not None
        if not found.active:
            return found.inactive_reason
        await asyncio.sleep(0.1)
    raise AssertionError(f"{key} is still active")


@pytest.mark.parametrize(
    "order", [("app_uninstalled", "tokens_revoked"), ("tokens_revoked", "app_uninstalled")]
)
async def test_uninstall_then_reinstall_keeps_the_users_settings(
    stack: Stack, order: tuple[str, str]
) -> None:
    team, key = "T0AAA", InstallationKey(None, "T0AAA")
    await stack.install(workspace(team))
    dm = direct_message("set location Lyon", channel="DAAA", user="U0ERIN", ts=ts())
    assert (await say(stack, received_by(dm, team)))["text"] == "Got it: you are in Lyon."

    first, second = order
    assert await stack.event(lifecycle(first, team)) == 200
    assert await wait_inactive(stack, key) == first
    for again in (second, first):  # the other one, and a repeat: harmless
        assert await stack.event(lifecycle(again, team)) == 200
    await asyncio.sleep(0.5)
    assert await wait_inactive(stack, key) == first

    # Events from it are acknowledged and ignored.
    asked = direct_message("get location", channel="DAAA", user="U0ERIN", ts=ts())
    assert await stack.event(received_by(asked, team)) == 200
    await asyncio.sleep(1.0)
    assert len(stack.slack.posts) == 1

    # Installed again (a new token): answered with the user's old settings, once the front
    # door's memory of the inactive installation runs out (seconds; the install pages of the
    # same front door forget it at once).
    await stack.install(workspace(team).model_copy(update={"bot_token": SecretStr("xoxb-new")}))
    # The poster still holds the old token: Slack refuses it as revoked. That must not mark
    # the new install inactive: the poster sees the Data Service has another token, and uses it.
    stack.slack.script.append(Scripted(200, {"ok": False, "error": "token_revoked"}))
    post = await answered_within(stack, team, seconds=NEGATIVE_TTL + 5)
    assert post["text"] == "You are in Lyon."
    assert token_of(stack, post) == "xoxb-new"
    refused = [c for c in stack.slack.calls if c.method == "chat.postMessage"][-2]
    assert refused.authorization == "Bearer xoxb-T0AAA"
    found = await stack.data_client(("installations:read",)).find_installation(key)
    assert found is not None and found.active


async def answered_within(stack: Stack, team: str, *, seconds: float) -> dict[str, Any]:
    """Ask ``get location`` once a second until Jeeves answers; its answer."""
    before = len(stack.slack.posts)
    for _ in range(int(seconds)):
        asked = direct_message("get location", channel="DAAA", user="U0ERIN", ts=ts())
        assert await stack.event(received_by(asked, team)) == 200
        try:
            posts = await stack.slack.wait_for_posts(before + 1, timeout=1.0)
        except TimeoutError:
            continue
        return posts[before]
    raise AssertionError(f"not answered within {seconds} s of the reinstall")
