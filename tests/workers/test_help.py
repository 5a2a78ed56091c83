from __future__ import annotations

import asyncio

from jeeves_shared.bus.memory import MemoryBus
from jeeves_shared.bus.topology import REPLIES_EXCHANGE, QueueSpec
from jeeves_shared.commands import COMMANDS
from jeeves_shared.messages import Action, Conversation, Reply, decode
from workers import help
from workers.deps import Deps

WHERE = Conversation(origin="slack", team_id="T", channel_id="C", user_id="U", thread_ts="9.9")


def ask(command: str, args: str = "") -> Action:
    return Action(
        id="Ev1", command=command, args=args, text=f"{command} {args}", conversation=WHERE
    )


def test_overview_lists_every_command_with_usage_and_summary() -> None:
    text = help.answer(ask("help"))
    for command in COMMANDS:
        assert f"`{as_shown_escaped(command.usage)}` — {command.summary}" in text


def test_help_for_one_command_shows_details_and_examples() -> None:
    text = help.answer(ask("help", "HELP"))
    assert text.startswith("`help [command]`")
    assert "Examples: `help`" in text


def test_unknown_command_gets_a_suggestion() -> None:
    assert help.answer(ask("unknown", "hlep me")) == (
        "I don't know `hlep`. Did you mean `help`? Try `help`."
    )


def test_unknown_command_without_a_close_match() -> None:
    assert help.answer(ask("unknown", "xyzzy")) == "I don't know `xyzzy`. Try `help`."


def test_help_about_a_command_that_does_not_exist() -> None:
    assert help.answer(ask("help", "teleport")) == "There is no command `teleport`. Try `help`."


def test_backticks_in_user_text_cannot_break_the_formatting() -> None:
    assert "`a'b`" in help.answer(ask("unknown", "a`b"))


async def test_handle_publishes_the_reply_to_the_same_conversation() -> None:
    replies = QueueSpec("replies", REPLIES_EXCHANGE, ("reply.slack",))
    bus = MemoryBus((replies,))
    await help.handle(ask("help"), Deps(bus=bus))
    body = (await asyncio.wait_for(bus._queues["replies"].pending.get(), 1)).body
    reply = decode(body)
    assert isinstance(reply, Reply)
    assert reply.in_reply_to == "Ev1"
    assert reply.conversation == WHERE
    assert reply.text.startswith("Here is what I can do:")


def test_user_text_cannot_ping_a_channel() -> None:
    assert (
        help.answer(ask("unknown", "<!channel>")) == "I don't know `&lt;!channel&gt;`. Try `help`."
    )


def test_suggestions_are_commands_that_work_never_the_word_typed() -> None:
    assert help.answer(ask("unknown", "where")) == (
        "I don't know `where`. Did you mean `where am i`? Try `help`."
    )
    assert help.answer(ask("unknown", "location")) == (
        "I don't know `location`. Did you mean `set location` or `get location`? Try `help`."
    )


def test_help_me_and_help_about_a_word() -> None:
    assert help.answer(ask("help", "me")).startswith("Here is what I can do:")
    about = help.answer(ask("help", "location"))
    assert about.startswith("`set location &lt;place&gt;`") and "`get location`" in about


def test_help_never_sends_a_raw_angle_bracket() -> None:
    # Slack reads <...> in message text as a link or mention: `<place>` would show as `place`.
    texts = [help.answer(ask("help", "")), *(help.answer(ask("help", c.name)) for c in COMMANDS)]
    assert all("<" not in text and ">" not in text for text in texts)
    assert "&lt;place&gt;" in texts[0]


def as_shown_escaped(text: str) -> str:
    """``text`` as Slack message text must carry it: ``&``, ``<``, ``>`` as entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
