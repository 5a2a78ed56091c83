"""The Slack Connect fault of issue 12, replayed through the real front door and RabbitMQ.

A user of our workspace (T0TESTTEAM) says ``@jeeves set location Lyon`` in a channel shared with
a partner organisation, whose team the envelope's ``team_id`` names (T0PARTNER1); then
``get location`` in their DM with the bot. Jeeves used to key the user on the envelope's
``team_id`` and answer "I don't know where you are".
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from jeeves_shared.dataclient import NewInstallation
from tests.support.slack_requests import CONNECT_MENTION
from tests.support.stack import running_stack
from workers.weather_text import NO_LOCATION

pytestmark = pytest.mark.rabbitmq


def dm(text: str, *, event_id: str, ts: str) -> dict[str, Any]:
    """The DM that follows: the envelope names our team, with no Connect fields."""
    return {
        "token": "x",
        "team_id": "T0TESTTEAM",
        "api_app_id": "A0JEEVES",
        "type": "event_callback",
        "event_id": event_id,
        "event_time": 1796045200,
        "authorizations": copy.deepcopy(CONNECT_MENTION["authorizations"]),
        "event": {
            "type": "message",
            "channel_type": "im",
            "user": "U0ERIN0001",
            "team": "T0TESTTEAM",
            "text": text,
            "ts": ts,
            "event_ts": ts,
            "channel": "D0ERIN0001",
        },
    }


@pytest.mark.parametrize("installations", [False, True], ids=["one-workspace", "installed"])
async def test_a_location_set_in_a_connect_channel_is_known_in_the_dm(
    amqp_url: str, tmp_path: Path, installations: bool
) -> None:
    async with running_stack(amqp_url, tmp_path, installations=installations) as stack:
        if installations:  # only our org installed Jeeves; the partner did not
            await stack.install(
                NewInstallation(
                    team_id="T0TESTTEAM", bot_user_id="UJEEVESBOT", bot_token=SecretStr("xoxb-ours")
                )
            )
        assert await stack.event(CONNECT_MENTION) == 200
        [said] = await stack.slack.wait_for_posts(1)
        assert (said["channel"], said["text"]) == ("C28E55A64", "Got it: you are in Lyon.")
        assert (
            await stack.event(dm("get location", event_id="Ev0CONNECT2", ts="1796045200.1")) == 200
        )
        posts = await stack.slack.wait_for_posts(2)
        assert (posts[1]["channel"], posts[1]["text"]) == ("D0ERIN0001", "You are in Lyon.")
        assert posts[1]["text"] != NO_LOCATION
        # One person, one user record, under their own team; no row for the partner's team.
        data = stack.data_client()
        users = [u async for u in data.iter_users()]
        assert [(u.team_id, u.slack_user_id) for u in users] == [("T0TESTTEAM", "U0ERIN0001")]
        if installations:  # answered with our installation's token, both times
            posted = [c for c in stack.slack.calls if c.method == "chat.postMessage"]
            assert {c.authorization for c in posted} == {"Bearer xoxb-ours"}
