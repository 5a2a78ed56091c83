"""The workspace admin view through the whole chain: Slack's ``user_change`` reaches the user
worker through the real front door and RabbitMQ and changes what the Data Service lets an
admin see at once; the answers the Slack poster posts are counted for their workspace.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from jeeves_shared.dataclient import (
    DASHBOARD_SCOPES,
    DataServiceClient,
    MyWorkspace,
    NewInstallation,
    NotWorkspaceAdmin,
)
from tests.support.slack_requests import BOT_USER_ID, direct_message, event_callback
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.rabbitmq

TEAM = "T0ADM"
_IDS = itertools.count(1)


@pytest.fixture
async def stack(amqp_url: str, tmp_path: Path) -> AsyncIterator[Stack]:
    async with running_stack(amqp_url, tmp_path, installations=True) as running:
        yield running


def user_change(user_id: str, **roles: bool) -> dict[str, Any]:
    """Slack's ``user_change`` for member ``user_id`` of :data:`TEAM` (a users.info ``user``)."""
    member = {"id": user_id, "team_id": TEAM, "name": "erin", "tz": "Europe/Paris", **roles}
    event = {"type": "user_change", "user": member, "event_ts": "1700002000.000100"}
    payload = event_callback(event, event_id=f"EvU{next(_IDS)}")
    payload["team_id"] = TEAM
    payload["authorizations"][0]["team_id"] = TEAM
    return payload


def received(event: dict[str, Any]) -> dict[str, Any]:
    payload = event_callback({**event, "user_team": TEAM}, event_id=f"EvM{next(_IDS)}")
    payload["team_id"] = TEAM
    payload["authorizations"] = [
        {"team_id": TEAM, "user_id": BOT_USER_ID, "is_bot": True, "is_enterprise_install": False}
    ]
    return payload


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    for _ in range(100):
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"never: {what}")


async def test_user_change_demotes_an_admin_at_once_and_answers_are_counted(stack: Stack) -> None:
    await stack.install(
        NewInstallation(
            team_id=TEAM, bot_user_id=BOT_USER_ID, bot_id="B0ADM", bot_token=SecretStr("xoxb-adm")
        )
    )
    data: DataServiceClient = stack.data_client(DASHBOARD_SCOPES)
    session = await data.create_session(
        TEAM,
        "U0ERIN",
        display_name="Erin",
        team_name="Admins",
        lifetime=timedelta(hours=1),
        is_admin=True,
        is_owner=False,
    )
    asked = direct_message("set location Lyon", channel="D0ADM", user="U0ERIN", ts="1700002000.1")
    assert await stack.event(received(asked)) == 200
    await stack.slack.wait_for_posts(1)

    async def counted() -> bool:
        seen: MyWorkspace = await data.my_workspace(session.session_id)
        return seen.answered_last_day == 1

    await eventually(counted, "the answer is counted for the workspace")

    # Someone Jeeves never saw changes their profile: nothing is stored for them.
    assert await stack.event(user_change("U0STRANGER", is_admin=True)) == 200
    # Erin is demoted in Slack.
    assert await stack.event(user_change("U0ERIN", is_admin=False, is_owner=False)) == 200

    async def refused() -> bool:
        try:
            await data.my_workspace(session.session_id)
        except NotWorkspaceAdmin:
            return True
        return False

    await eventually(refused, "the demoted admin is refused")
    workers = stack.data_client()
    assert await workers.find_user(TEAM, "U0STRANGER") is None
    erin = await workers.find_user(TEAM, "U0ERIN")
    assert erin is not None and (erin.is_admin, erin.is_owner) == (False, False)

    # Made a primary owner: an owner, and the view is open again.
    assert await stack.event(user_change("U0ERIN", is_primary_owner=True, is_owner=True)) == 200

    async def allowed() -> bool:
        try:
            await data.my_workspace(session.session_id)
        except NotWorkspaceAdmin:
            return False
        return True

    await eventually(allowed, "the new owner sees the workspace")
