"""A NUL or another control character in what a person types never reaches the Data Service
(which refuses NUL, as PostgreSQL does): the front door drops it and the person is answered,
through the real workers, on the chat page and in Slack alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.jeeves_dev import jeeves_dev
from tests.support.slack_requests import direct_message, encode, event_callback, sign
from tests.support.stack import running_stack

#: As a client sends it: JSON escapes, a NUL and a BEL inside the place name.
TYPED = b'{"text": "set location Caf\\u0000e\\u0007"}'


def test_a_nul_typed_on_the_chat_page_is_dropped_and_answered(tmp_path: Path) -> None:
    with jeeves_dev(tmp_path) as server:
        said = server.chat(TYPED)
        where = server.chat(b'{"text": "get location"}')

    assert said["text"] == "Got it: you are in Cafe."
    assert "Cafe" in where["text"]
    log = server.log.read_text()
    assert "Traceback" not in log
    assert "invalid_request" not in log
    assert "dead_letter" not in log


@pytest.mark.rabbitmq
async def test_a_nul_in_a_slack_message_is_dropped_and_answered(
    amqp_url: str, tmp_path: Path
) -> None:
    event = direct_message("placeholder", channel="D777")
    body = encode(event_callback(event, event_id="EvNul"))
    body = body.replace(b'"placeholder"', TYPED.split(b": ", 1)[1].rstrip(b"}"))
    assert b"\\u0000" in body

    async with running_stack(amqp_url, tmp_path) as stack:
        async with stack.session.post(
            f"{stack.url}/slack/events", data=body, headers=sign(body)
        ) as response:
            assert response.status == 200
        [post] = await stack.slack.wait_for_posts(1)

    assert (post["channel"], post["text"]) == ("D777", "Got it: you are in Cafe.")
