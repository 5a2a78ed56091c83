"""The Slack poster against a local fake of Slack's Web API and the real Data Service."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from pydantic import SecretStr

from jeeves_shared.bus import PermanentFailure
from jeeves_shared.bus.memory import MemoryBus
from jeeves_shared.dataclient import NewInstallation
from jeeves_shared.installations import BotTokens, InstallationKey
from jeeves_shared.messages import Action, Conversation, Reply
from tests.support.dataservice import ServedData, serving_dataservice
from tests.support.fake_slack import FakeSlack, Scripted
from workers.slack import errors
from workers.slack import poster as slack_poster
from workers.slack.client import make_slack_client
from workers.slack.poster import PosterDeps
from workers.slack.reply_claims import ReplyClaims

TOKEN = "xoxb-test-token"


def reply(
    thread_ts: str | None = None,
    text: str = "Hello!",
    *,
    channel: str = "C42",
    n: int = 1,
    action_id: str | None = None,
    response_url: str | None = None,
) -> Reply:
    """The answer to action ``Ev{n}`` (or ``action_id``) asked in ``channel``; with a
    ``response_url``, to a slash command."""
    where = Conversation(
        origin="slack",
        team_id="T",
        channel_id=channel,
        user_id="U",
        thread_ts=thread_ts,
        response_url=response_url,
    )
    action = Action(id=action_id or f"Ev{n}", command="help", conversation=where)
    return Reply.to(action, text)


@pytest.fixture
async def data(tmp_path: Path) -> AsyncIterator[ServedData]:
    async with serving_dataservice(tmp_path) as served:
        yield served


@pytest.fixture
async def deps(fake_slack: FakeSlack, data: ServedData) -> AsyncIterator[PosterDeps]:
    async with aiohttp.ClientSession() as session:
        client = make_slack_client(
            TOKEN, base_url=fake_slack.base_url, session=session, max_retries=2, resend=False
        )
        data_client = data.client(session, *slack_poster.POSTER_SCOPES, "installations:read")
        # Jeeves installed in workspace T with a token that does not expire.
        await data_client.save_installation(
            NewInstallation(team_id="T", bot_user_id="UBOT", bot_token=SecretStr(TOKEN))
        )
        yield PosterDeps(
            bus=MemoryBus(),
            http=session,
            slack=client,
            data=data_client,
            tokens=BotTokens(data_client),
            claims=ReplyClaims(data_client, lease_seconds=slack_poster.LEASE_SECONDS),
            response_url_prefix=fake_slack.response_url(""),
        )


async def test_posts_to_the_channel_with_the_bot_token_and_the_reply_id(
    fake_slack: FakeSlack, deps: PosterDeps
) -> None:
    answer = reply()
    await slack_poster.handle(answer, deps)
    [call] = fake_slack.calls
    assert call.method == "chat.postMessage"
    assert call.authorization == f"Bearer {TOKEN}"
    assert call.body["channel"] == "C42"
    assert call.body["text"] == "Hello!"
    assert "thread_ts" not in call.body
    assert call.body["metadata"] == {
        "event_type": "jeeves_reply",
        "event_payload": {"reply_id": answer.id},
    }


async def test_posts_in_the_thread(fake_slack: FakeSlack, deps: PosterDeps) -> None:
    await slack_poster.handle(reply(thread_ts="1700000000.000001"), deps)
    assert fake_slack.posts[0]["thread_ts"] == "1700000000.000001"


async def test_the_same_reply_twice_is_posted_once(fake_slack: FakeSlack, deps: PosterDeps) -> None:
    await slack_poster.handle(reply(), deps)
    await slack_poster.handle(reply(), deps)
    await slack_poster.handle(reply(n=2), deps)
    assert len(fake_slack.posts) == 2


async def test_two_posters_at_once_post_once(fake_slack: FakeSlack, deps: PosterDeps) -> None:
    fake_slack.script.append(  # the first post is slow: the second poster finds it held
        Scripted(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})
    )
    outcomes = await asyncio.gather(
        slack_poster.handle(reply(), deps),
        slack_poster.handle(reply(), deps),
        return_exceptions=True,
    )
    assert len(fake_slack.posts) == 1
    [failure] = [o for o in outcomes if o is not None]
    assert isinstance(failure, errors.ReplyInProgress)
    await slack_poster.handle(reply(), deps)  # the retry of the second finds it done
    assert len(fake_slack.posts) == 1


async def test_rate_limit_waits_for_retry_after(fake_slack: FakeSlack, deps: PosterDeps) -> None:
    fake_slack.script.append(
        Scripted(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})
    )
    await slack_poster.handle(reply(), deps)
    first, second = fake_slack.calls
    assert second.at - first.at >= 0.95
    assert len(fake_slack.posts) == 1


async def test_a_rate_limited_channel_does_not_hold_back_another(
    fake_slack: FakeSlack, deps: PosterDeps
) -> None:
    fake_slack.script.append(
        Scripted(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})
    )
    limited = asyncio.create_task(slack_poster.handle(reply(channel="CBUSY", n=1), deps))
    await fake_slack.wait_for_calls(1)
    await slack_poster.handle(reply(channel="CQUIET", n=2), deps)
    assert [p["channel"] for p in fake_slack.posts] == ["CQUIET"]  # while CBUSY waits
    await limited
    assert [p["channel"] for p in fake_slack.posts] == ["CQUIET", "CBUSY"]


async def test_a_5xx_is_not_resent_blindly_the_conversation_is_read_first(
    fake_slack: FakeSlack, deps: PosterDeps
) -> None:
    fake_slack.script.append(Scripted(500, {"ok": False}))
    with pytest.raises(errors.TransientSlackError):
        await slack_poster.handle(reply(), deps)
    assert [c.method for c in fake_slack.calls] == ["chat.postMessage", "conversations.history"]
    await slack_poster.handle(reply(), deps)  # not there, so released: the bus's retry posts
    assert len(fake_slack.posts) == 1


@pytest.mark.parametrize("thread_ts", [None, "1700000000.000003"])
async def test_a_post_that_landed_despite_a_5xx_is_not_posted_again(
    fake_slack: FakeSlack, deps: PosterDeps, thread_ts: str | None
) -> None:
    fake_slack.script.append(Scripted(503, {"ok": False}, posted=True))
    await slack_poster.handle(reply(thread_ts=thread_ts), deps)  # found, so done
    await slack_poster.handle(reply(thread_ts=thread_ts), deps)
    assert len(fake_slack.posts) == 1
    read_back = "conversations.replies" if thread_ts else "conversations.history"
    assert [c.method for c in fake_slack.calls] == ["chat.postMessage", read_back]


async def test_a_post_that_landed_after_the_deadline_is_not_posted_again(
    fake_slack: FakeSlack, deps: PosterDeps, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(slack_poster, "POST_DEADLINE", 0.2)
    fake_slack.latency = 0.5  # recorded at once, answered too late
    await slack_poster.handle(reply(), deps)
    fake_slack.latency = 0
    await slack_poster.handle(reply(), deps)
    assert len(fake_slack.posts) == 1


async def test_a_refusal_is_released_at_once_for_the_retry(
    fake_slack: FakeSlack, deps: PosterDeps
) -> None:
    fake_slack.script.append(Scripted(200, {"ok": False, "error": "internal_error"}))
    with pytest.raises(errors.SlackRefused):
        await slack_poster.handle(reply(), deps)
    assert [c.method for c in fake_slack.calls] == ["chat.postMessage"]  # nothing to check
    await slack_poster.handle(reply(), deps)
    assert len(fake_slack.posts) == 1


@pytest.mark.parametrize("code", ["is_archived", "msg_too_long"])
async def test_permanent_errors_are_dead_lettered_not_retried(
    fake_slack: FakeSlack, deps: PosterDeps, code: str
) -> None:
    fake_slack.script.append(Scripted(200, {"ok": False, "error": code}))
    started = time.monotonic()
    with pytest.raises(PermanentFailure, match=f"slack: {code}"):
        await slack_poster.handle(reply(), deps)
    assert len(fake_slack.calls) == 1
    assert time.monotonic() - started < 1
    # Released: replayed from the dead-letter queue once fixed, it is posted.
    await slack_poster.handle(reply(), deps)
    assert len(fake_slack.posts) == 1


@pytest.mark.parametrize("code", ["invalid_auth", "token_revoked", "account_inactive"])
async def test_a_refused_token_marks_the_installation_inactive(
    fake_slack: FakeSlack, deps: PosterDeps, code: str
) -> None:
    fake_slack.script.append(Scripted(200, {"ok": False, "error": code}))
    with pytest.raises(PermanentFailure, match=code):
        await slack_poster.handle(reply(), deps)
    found = await deps.data.find_installation(InstallationKey(None, "T"))
    assert found is not None and not found.active
    assert found.inactive_reason == code
    # Its next reply is not even tried: no token any more; kept to replay after a reinstall.
    with pytest.raises(PermanentFailure, match="installation_inactive"):
        await slack_poster.handle(reply(n=2), deps)
    assert len(fake_slack.calls) == 1


async def test_a_reply_for_an_installation_jeeves_does_not_know_is_dead_lettered(
    fake_slack: FakeSlack, deps: PosterDeps
) -> None:
    elsewhere = reply().conversation.model_copy(update={"team_id": "TNOWHERE"})
    answer = reply().model_copy(update={"conversation": elsewhere})
    with pytest.raises(PermanentFailure, match="installation"):
        await slack_poster.handle(answer, deps)
    assert fake_slack.calls == []
    await slack_poster.handle(reply(), deps)  # the claim was released: others go on
    assert len(fake_slack.posts) == 1


async def test_an_expired_token_gets_one_fresh_token_and_one_retry(
    fake_slack: FakeSlack, deps: PosterDeps
) -> None:
    fake_slack.script.append(Scripted(200, {"ok": False, "error": "token_expired"}))
    await slack_poster.handle(reply(), deps)
    assert [c.method for c in fake_slack.calls] == ["chat.postMessage"] * 2
    assert len(fake_slack.posts) == 1
    assert deps.tokens.fetches == 2  # the first token, forgotten, then a fresh one


async def test_an_expired_token_twice_is_retried_later_not_dead_lettered(
    fake_slack: FakeSlack, deps: PosterDeps
) -> None:
    for _ in range(2):
        fake_slack.script.append(Scripted(200, {"ok": False, "error": "token_expired"}))
    with pytest.raises(errors.SlackRefused):
        await slack_poster.handle(reply(), deps)
    await slack_poster.handle(reply(), deps)  # released for the bus's retry
    assert len(fake_slack.posts) == 1


async def test_transient_ok_false_raises(fake_slack: FakeSlack, deps: PosterDeps) -> None:
    fake_slack.script.append(Scripted(200, {"ok": False, "error": "internal_error"}))
    with pytest.raises(errors.TransientSlackError):
        await slack_poster.handle(reply(), deps)


@pytest.mark.parametrize("code", ["not_in_channel", "channel_not_found"])
async def test_not_a_member_tells_the_user_by_dm_how_to_invite_the_bot(
    fake_slack: FakeSlack, deps: PosterDeps, code: str
) -> None:
    fake_slack.script.append(Scripted(200, {"ok": False, "error": code}))
    with pytest.raises(PermanentFailure, match=code):
        await slack_poster.handle(reply(), deps)
    [hint] = fake_slack.posts
    assert hint["channel"] == "U"
    assert hint["text"] == (
        "I couldn't answer you in <#C42>: I'm not a member there. "
        "Invite me with `/invite @jeeves`, or ask me here."
    )


async def test_response_url_outside_slack_is_refused(
    fake_slack: FakeSlack, deps: PosterDeps
) -> None:
    answer = reply(text="secret?", n=2, response_url="http://169.254.169.254/latest/meta-data")
    with pytest.raises(PermanentFailure, match="not a Slack hook"):
        await slack_poster.handle(answer, deps)
    assert fake_slack.calls == []


async def test_slash_command_answers_go_to_the_response_url_once(
    fake_slack: FakeSlack, deps: PosterDeps
) -> None:
    answer = reply(text="Hi", action_id="slash-1", response_url=fake_slack.response_url("hook1"))
    await slack_poster.handle(answer, deps)
    await slack_poster.handle(answer, deps)
    assert fake_slack.responses == [{"hook": "hook1", "text": "Hi", "response_type": "ephemeral"}]


async def test_a_lease_left_by_a_dead_poster_is_taken_over_and_posted(
    fake_slack: FakeSlack, deps: PosterDeps
) -> None:
    answer = reply(thread_ts="1700000000.000007")
    await deps.data.lease_replies([(answer.id, "dead-poster")], lease_seconds=1)
    with pytest.raises(errors.ReplyInProgress):
        await slack_poster.handle(answer, deps)
    await asyncio.sleep(1.1)
    await slack_poster.handle(answer, deps)
    assert len(fake_slack.posts) == 1
    await slack_poster.handle(answer, deps)
    assert len(fake_slack.posts) == 1


@pytest.mark.parametrize("thread_ts", [None, "1700000000.000008"])
async def test_a_dead_poster_that_did_post_is_not_posted_again(
    fake_slack: FakeSlack, deps: PosterDeps, thread_ts: str | None
) -> None:
    answer = reply(thread_ts=thread_ts)
    # A poster claimed it, posted it, and died before marking it done.
    await deps.data.lease_replies([(answer.id, "dead-poster")], lease_seconds=1)
    [part] = answer.parts
    await slack_poster.post(answer, part, deps)
    await asyncio.sleep(1.1)
    await slack_poster.handle(answer, deps)
    assert len(fake_slack.posts) == 1
    assert [c.method for c in fake_slack.calls][-1].startswith("conversations.")
    await slack_poster.handle(answer, deps)  # and it is done now
    assert len(fake_slack.posts) == 1


async def test_without_history_access_a_taken_over_reply_is_posted(
    fake_slack: FakeSlack, deps: PosterDeps
) -> None:
    answer = reply()
    await deps.data.lease_replies([(answer.id, "dead-poster")], lease_seconds=1)
    await asyncio.sleep(1.1)
    fake_slack.script.append(Scripted(200, {"ok": False, "error": "missing_scope"}))
    await slack_poster.handle(answer, deps)
    assert len(fake_slack.posts) == 1


async def test_when_the_conversation_cannot_be_read_the_lease_is_kept(
    fake_slack: FakeSlack, deps: PosterDeps
) -> None:
    fake_slack.script.extend(
        [Scripted(503, {"ok": False}, posted=True), Scripted(500, {"ok": False})]
    )
    with pytest.raises(errors.OutcomeUnknown):
        await slack_poster.handle(reply(n=1), deps)
    # Not released: a retry waits for the lease to end, then takes it over and reads again.
    with pytest.raises(errors.ReplyInProgress):
        await slack_poster.handle(reply(n=1), deps)

    taken = reply(n=2)
    await deps.data.lease_replies([(taken.id, "dead-poster")], lease_seconds=1)
    await asyncio.sleep(1.1)
    fake_slack.script.append(Scripted(500, {"ok": False}))  # the read after the take-over
    with pytest.raises(errors.OutcomeUnknown):
        await slack_poster.handle(taken, deps)
    with pytest.raises(errors.ReplyInProgress):
        await slack_poster.handle(taken, deps)
    assert len(fake_slack.posts) == 1  # only the one that landed with its 503


async def test_an_answer_interrupted_after_its_first_part_resumes_at_the_second(
    fake_slack: FakeSlack, deps: PosterDeps
) -> None:
    where = Conversation(origin="slack", team_id="T", channel_id="C42", user_id="U")
    answer = Reply.to(Action(id="Ev9", command="help", conversation=where), "one", "two", "three")
    # Part 1 is posted; Slack refuses part 2 for now (the retry comes from the bus).
    fake_slack.script.extend(
        [Scripted(posted=True), Scripted(200, {"ok": False, "error": "fatal_error"})]
    )
    with pytest.raises(errors.SlackRefused):
        await slack_poster.handle(answer, deps)
    assert [p["text"] for p in fake_slack.posts] == ["one"]
    await slack_poster.handle(answer, deps)
    await slack_poster.handle(answer, deps)  # a redelivery of the whole answer posts nothing
    assert [p["text"] for p in fake_slack.posts] == ["one", "two", "three"]
    assert [p["metadata"]["event_payload"]["reply_id"] for p in fake_slack.posts] == [
        part.id for part in answer.parts
    ]


async def test_a_refused_part_names_itself_in_the_dead_letter_reason(
    fake_slack: FakeSlack, deps: PosterDeps
) -> None:
    where = Conversation(origin="slack", team_id="T", channel_id="C42", user_id="U")
    answer = Reply.to(Action(id="Ev10", command="help", conversation=where), "one", "two")
    fake_slack.script.extend(
        [Scripted(posted=True), Scripted(200, {"ok": False, "error": "is_archived"})]
    )
    with pytest.raises(PermanentFailure, match=r"^slack: is_archived \(part 2 of 2\)$"):
        await slack_poster.handle(answer, deps)


async def test_a_stale_token_refused_after_a_reinstall_is_replaced_not_deactivated(
    fake_slack: FakeSlack, deps: PosterDeps
) -> None:
    await slack_poster.handle(reply(), deps)  # the poster now holds TOKEN
    await deps.data.save_installation(
        NewInstallation(team_id="T", bot_user_id="UBOT", bot_token=SecretStr("xoxb-reinstalled"))
    )
    fake_slack.script.append(Scripted(200, {"ok": False, "error": "token_revoked"}))
    await slack_poster.handle(reply(n=2), deps)
    assert [c.authorization for c in fake_slack.calls] == [
        f"Bearer {TOKEN}",
        f"Bearer {TOKEN}",  # refused
        "Bearer xoxb-reinstalled",
    ]
    found = await deps.data.find_installation(InstallationKey(None, "T"))
    assert found is not None and found.active
