"""The ``jeeves`` command as a user runs it: real processes, real ports."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.support.fake_slack import FakeSlack
from tests.support.http import wait_until_ready
from tests.support.processes import jeeves
from tests.support.production import production_env
from tests.support.rabbitmq import free_port
from tests.support.slack_requests import (
    SIGNING_SECRET,
    direct_message,
    event_callback,
    mention,
    post_event,
)


async def test_jeeves_dev_answers_help_on_its_chat_page(tmp_path: Any) -> None:
    bind = f"127.0.0.1:{free_port()}"
    env = {
        "JEEVES_FRONTEND_BIND": bind,
        # Every port free, and the database in the test's folder: other runs share this machine.
        "JEEVES_DATASERVICE_BIND": f"127.0.0.1:{free_port()}",
        "JEEVES_TOKENDEALER_BIND": f"127.0.0.1:{free_port()}",
        "JEEVES_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'dev.db'}",
        "JEEVES_ENV": "prod",
        "JEEVES_SLACK_BOT_TOKEN": "",
    }
    async with jeeves("dev", env=env), aiohttp.ClientSession() as session:
        await wait_until_ready(session, f"http://{bind}/readyz")
        async with session.get(f"http://{bind}/") as page:
            assert page.status == 200
            assert "Message Jeeves" in await page.text()
        async with session.post(f"http://{bind}/dev/chat/messages", json={"text": "help"}) as sent:
            assert sent.status == 202
            after = (await sent.json())["message"]["id"]
        async with session.get(
            f"http://{bind}/dev/chat/messages", params={"after": after, "wait": 10}
        ) as polled:
            [answer] = (await polled.json())["messages"]
        assert answer["sender"] == "jeeves"
        assert answer["text"].startswith("Here is what I can do:")
        async with session.post(f"http://{bind}/dev/chat/messages", json={"text": "  "}) as blank:
            assert blank.status == 422


@pytest.mark.rabbitmq
async def test_jeeves_up_answers_a_signed_help_mention_exactly_once(
    amqp_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    bind = f"127.0.0.1:{free_port()}"
    env = {
        **production_env(tmp_path),
        "JEEVES_AMQP_URL": amqp_url,
        "JEEVES_FRONTEND_BIND": bind,
        "JEEVES_SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "JEEVES_SLACK_BOT_TOKEN": "xoxb-up-test",
        "JEEVES_SLACK_API_URL": fake_slack.base_url,
    }
    async with jeeves("up", env=env), aiohttp.ClientSession() as session:
        # Ten Python processes start on a shared machine: give them time.
        await wait_until_ready(session, f"http://{bind}/readyz", timeout=90)
        event = event_callback(
            mention("help", channel="CUP", thread_ts="1700000000.000009"), event_id="EvUp"
        )
        assert await post_event(session, f"http://{bind}", event) == 200
        [post] = await fake_slack.wait_for_posts(1, timeout=30)
        for n, said in enumerate(["set location Lyon", "where am i"], start=1):
            event = event_callback(direct_message(said, channel="DUP"), event_id=f"EvDm{n}")
            assert await post_event(session, f"http://{bind}", event) == 200
            await fake_slack.wait_for_posts(1 + n, timeout=30)
        await asyncio.sleep(0.5)
    assert len(fake_slack.posts) == 3
    assert (post["channel"], post["thread_ts"]) == ("CUP", "1700000000.000009")
    assert post["text"].startswith("Here is what I can do:")
    # The user worker reached the Data Service with a token from the TokenDealer.
    assert [p["text"] for p in fake_slack.posts[1:]] == [
        "Got it: you are in Lyon.",
        "You are in Lyon.",
    ]


async def test_serve_refuses_to_start_without_a_signing_secret() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "jeeves",
        "serve",
        "frontend",
        env={**os.environ, "JEEVES_SLACK_SIGNING_SECRET": "change-me", "JEEVES_ENV": "prod"},
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2
    assert b"JEEVES_SLACK_SIGNING_SECRET is not set" in stderr


def test_an_operator_line_reaches_stderr_in_one_write(monkeypatch: pytest.MonkeyPatch) -> None:
    """``jeeves up``'s children share a stderr; two writes per line let log lines in between."""
    writes: list[str] = []

    class Recorder:
        def write(self, text: str) -> int:
            writes.append(text)
            return len(text)

        def flush(self) -> None:
            pass

    monkeypatch.setattr(sys, "stderr", Recorder())
    from jeeves.cli import _refuse

    assert _refuse(["first problem", "second problem"]) == 2
    assert writes == ["jeeves: first problem\n", "jeeves: second problem\n"]
