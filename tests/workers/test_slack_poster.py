"""The Slack poster against a local fake of Slack's Web API."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import aiohttp
import pytest

from jeeves_shared.memory_bus import MemoryBus
from jeeves_shared.messages import Action, Conversation, Reply
from tests.support.fake_slack import FakeSlack, Scripted
from workers import slack_poster
from workers.deps import Deps

TOKEN = "xoxb-test-token"


def reply(thread_ts: str | None = None, text: str = "Hello!") -> Reply:
    where = Conversation(
        origin="slack", team_id="T", channel_id="C42", user_id="U", thread_ts=thread_ts
    )
    return Reply.to(Action(id="Ev1", command="help", conversation=where), text)


@pytest.fixture
async def deps(fake_slack: FakeSlack) -> AsyncIterator[Deps]:
    async with aiohttp.ClientSession() as session:
        client = slack_poster.make_slack_client(
            TOKEN, base_url=fake_slack.base_url, session=session, max_retries=2
        )
        yield Deps(bus=MemoryBus(), http=session, slack=client)


async def test_posts_to_the_channel_with_the_bot_token(fake_slack: FakeSlack, deps: Deps) -> None:
    await slack_poster.handle(reply(), deps)
    [call] = fake_slack.calls
    assert call.method == "chat.postMessage"
    assert call.authorization == f"Bearer {TOKEN}"
    assert call.body["channel"] == "C42"
    assert call.body["text"] == "Hello!"
    assert "thread_ts" not in call.body


async def test_posts_in_the_thread(fake_slack: FakeSlack, deps: Deps) -> None:
    await slack_poster.handle(reply(thread_ts="1700000000.000001"), deps)
    assert fake_slack.posts[0]["thread_ts"] == "1700000000.000001"


async def test_rate_limit_waits_for_retry_after(fake_slack: FakeSlack, deps: Deps) -> None:
    fake_slack.script.append(
        Scripted(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})
    )
    await slack_poster.handle(reply(), deps)
    first, second = fake_slack.calls
    assert second.at - first.at >= 0.95
    assert len(fake_slack.posts) == 1


async def test_server_errors_are_retried(fake_slack: FakeSlack, deps: Deps) -> None:
    fake_slack.script.extend([Scripted(500, {"ok": False}), Scripted(503, {"ok": False})])
    await slack_poster.handle(reply(), deps)
    assert len(fake_slack.calls) == 3
    assert len(fake_slack.posts) == 1


async def test_server_errors_past_the_retry_budget_raise_so_nothing_is_lost(
    fake_slack: FakeSlack, deps: Deps
) -> None:
    fake_slack.script.extend([Scripted(500, {"ok": False})] * 3)
    with pytest.raises(slack_poster.TransientSlackError):
        await slack_poster.handle(reply(), deps)
    assert len(fake_slack.calls) == 3


@pytest.mark.parametrize("code", ["invalid_auth", "is_archived", "msg_too_long", "token_revoked"])
async def test_permanent_errors_are_not_retried(
    fake_slack: FakeSlack, deps: Deps, code: str
) -> None:
    fake_slack.script.append(Scripted(200, {"ok": False, "error": code}))
    started = time.monotonic()
    await slack_poster.handle(reply(), deps)  # acknowledged: retrying cannot help
    assert len(fake_slack.calls) == 1
    assert time.monotonic() - started < 1


async def test_transient_ok_false_raises(fake_slack: FakeSlack, deps: Deps) -> None:
    fake_slack.script.append(Scripted(200, {"ok": False, "error": "internal_error"}))
    with pytest.raises(slack_poster.TransientSlackError):
        await slack_poster.handle(reply(), deps)


@pytest.mark.parametrize("code", ["not_in_channel", "channel_not_found"])
async def test_not_a_member_tells_the_user_by_dm_how_to_invite_the_bot(
    fake_slack: FakeSlack, deps: Deps, code: str
) -> None:
    fake_slack.script.append(Scripted(200, {"ok": False, "error": code}))
    await slack_poster.handle(reply(), deps)
    [hint] = fake_slack.posts
    assert hint["channel"] == "U"
    assert hint["text"] == (
        "I couldn't answer you in <#C42>: I'm not a member there. "
        "Invite me with `/invite @jeeves`, or ask me here."
    )


async def test_response_url_outside_slack_is_refused(fake_slack: FakeSlack, deps: Deps) -> None:
    where = Conversation(
        origin="slack",
        team_id="T",
        channel_id="C42",
        user_id="U",
        response_url="http://169.254.169.254/latest/meta-data",
    )
    answer = Reply.to(Action(id="Ev2", command="help", conversation=where), "secret?")
    await slack_poster.handle(answer, deps)  # acknowledged, never sent anywhere
    assert fake_slack.calls == []
