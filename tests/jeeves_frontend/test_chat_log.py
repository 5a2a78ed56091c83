"""The dev chat's conversation log: long polls wake for new messages, and let go on shutdown."""

from __future__ import annotations

import asyncio

from jeeves_frontend.devchat import ChatLog


async def test_a_waiting_poll_gets_the_next_message() -> None:
    log = ChatLog()
    waiting = asyncio.create_task(log.wait_after(0, timeout=10))
    await asyncio.sleep(0.01)
    await log.add("you", "help")
    [message] = await asyncio.wait_for(waiting, 1)
    assert (message.id, message.sender, message.text) == (1, "you", "help")


async def test_closing_the_log_answers_waiting_polls_at_once() -> None:
    log = ChatLog()
    waiting = asyncio.create_task(log.wait_after(0, timeout=25))
    await asyncio.sleep(0.01)
    await log.close()
    assert await asyncio.wait_for(waiting, 1) == []
    # A poll that arrives after the close does not wait either.
    assert await asyncio.wait_for(log.wait_after(0, timeout=25), 1) == []
