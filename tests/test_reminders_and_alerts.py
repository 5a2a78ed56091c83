"""Reminders and daily alerts, fired by the scheduler on a clock the test moves."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from jeeves_shared.bus.amqp import AmqpBus
from jeeves_shared.bus.topology import WORKER_QUEUES
from tests.support.slack_requests import event_callback, mention
from tests.support.stack import Conversation, Stack, running_stack
from workers.runner import serve_scheduler

pytestmark = pytest.mark.rabbitmq


@pytest.fixture
async def stack(amqp_url: str, tmp_path: Path) -> AsyncIterator[Stack]:
    async with running_stack(amqp_url, tmp_path) as running:
        yield running


async def fired(stack: Stack, count: int) -> list[dict[str, str]]:
    """Wait until ``count`` reminder or alert messages reached Slack; return them."""
    for _ in range(200):
        posts = [p for p in stack.slack.posts if is_scheduled(p["text"])]
        if len(posts) >= count:
            return posts
        await asyncio.sleep(0.05)
    raise AssertionError(f"only {len(posts)} of {count} scheduled messages arrived")


def is_scheduled(text: str) -> bool:
    return text.startswith(("⏰ Reminder:", "Weather in"))


async def test_reminder_fires_when_due_and_not_before(stack: Stack) -> None:
    me = Conversation(stack)
    assert await me.say("remind me in 10 minutes to stretch") == (
        "OK, I'll remind you at 09:10 on Fri 27 Nov (UTC): stretch (id `1`)."
    )
    stack.clock.advance(minutes=9)
    await asyncio.sleep(0.5)
    assert [p for p in stack.slack.posts if is_scheduled(p["text"])] == []
    stack.clock.advance(minutes=1)
    [post] = await fired(stack, 1)
    assert (post["channel"], post["text"]) == ("D0001", "⏰ Reminder: stretch")
    assert await me.say("reminders") == (
        "You have no reminders. Say `remind me in 10 minutes to stretch` to set one."
    )


async def test_reminder_asked_in_a_thread_comes_back_in_that_thread(stack: Stack) -> None:
    event = mention("remind me in 5 minutes to check the build", thread_ts="1700000000.000777")
    await stack.event(event_callback(event, event_id="EvThread"))
    await stack.slack.wait_for_posts(1)
    stack.clock.advance(minutes=5)
    [post] = await fired(stack, 1)
    assert (post["channel"], post["thread_ts"]) == ("C0001", "1700000000.000777")


async def test_reminder_asked_in_a_channel_comes_by_dm(stack: Stack) -> None:
    await stack.event(
        event_callback(mention("remind me in 1 hour to eat", user="U0099"), event_id="EvChan")
    )
    await stack.slack.wait_for_posts(1)
    stack.clock.advance(hours=1)
    [post] = await fired(stack, 1)
    assert post["channel"] == "U0099"


async def test_list_and_cancel_reminders(stack: Stack) -> None:
    me = Conversation(stack)
    await me.say("config set timezone Europe/Paris")
    await me.say("remind me at 18:00 to call Ann")
    await me.say("remind me in 2 days to renew the passport")
    assert await me.say("reminders") == (
        "Your reminders:\n"
        "• `1` at 18:00 on Fri 27 Nov (Europe/Paris): call Ann\n"
        "• `2` at 10:00 on Sun 29 Nov (Europe/Paris): renew the passport"
    )
    assert await me.say("reminders cancel 1") == "Reminder `1` cancelled."
    assert await me.say("reminders cancel 1") == "You have no pending reminder `1`."
    other = Conversation(stack, "UOTHER", "DOTHER")
    assert await other.say("reminders cancel 2") == "You have no pending reminder `2`."
    stack.clock.advance(days=3)
    posts = await fired(stack, 1)
    await asyncio.sleep(0.3)
    assert [p["text"] for p in stack.slack.posts if is_scheduled(p["text"])] == [posts[0]["text"]]
    assert "renew the passport" in posts[0]["text"]


async def test_reminder_that_fell_due_while_nothing_ran_comes_late_with_a_note(
    stack: Stack,
) -> None:
    await Conversation(stack).say("remind me in 1 minute to breathe")
    stack.clock.advance(hours=3)
    [post] = await fired(stack, 1)
    assert post["text"] == (
        "⏰ Reminder: breathe (this was due at 09:01 UTC on Fri 27 Nov; I couldn't deliver it then)"
    )


async def test_daily_alert_arrives_each_day_at_the_local_time(stack: Stack) -> None:
    me = Conversation(stack, "UALERT", "DALERT")
    await me.say("set location Paris")
    await me.say("config set timezone Europe/Paris")
    assert await me.say("alerts on 10:30") == (
        "Daily weather alerts are on, at 10:30 Europe/Paris."
    )
    stack.clock.advance(minutes=29)  # 09:29 UTC, 10:29 in Paris
    await asyncio.sleep(0.5)
    assert [p for p in stack.slack.posts if is_scheduled(p["text"])] == []
    stack.clock.advance(minutes=1)
    [first] = await fired(stack, 1)
    assert first["channel"] == "UALERT"
    assert first["text"].startswith("Weather in Paris, FR: light rain")
    stack.clock.advance(days=1)
    await fired(stack, 2)
    assert await me.say("alerts off") == "Daily weather alerts are off."
    stack.clock.advance(days=1)
    await asyncio.sleep(0.5)
    assert len([p for p in stack.slack.posts if is_scheduled(p["text"])]) == 2


async def test_alerts_take_slacks_timezone_when_none_is_set(stack: Stack) -> None:
    stack.slack.users["UTOKYO"] = {"tz": "Asia/Tokyo"}
    me = Conversation(stack, "UTOKYO", "DTOKYO")
    await me.say("set location Berlin")
    assert await me.say("alerts on 19:00") == "Daily weather alerts are on, at 19:00 Asia/Tokyo."
    assert await me.say("config get timezone") == "`timezone` is “Asia/Tokyo”."
    stack.clock.advance(hours=1)  # 10:00 UTC is 19:00 in Tokyo
    [alert] = await fired(stack, 1)
    assert alert["text"].startswith("Weather in Berlin, DE:")


async def test_alerts_status_and_bad_times(stack: Stack) -> None:
    me = Conversation(stack)
    assert await me.say("alerts") == (
        "Daily weather alerts are off. Say `alerts on [HH:MM]` to get one every day."
    )
    assert await me.say("alerts on 25:00") == (
        "`25:00` is not a time: use HH:MM, for example `alerts on 07:30`."
    )
    assert await me.say("alerts on") == (
        "Daily weather alerts are on, at 08:00 UTC (set yours with `config set timezone <name>`)."
        " I need your location for them: `set location <place>`."
    )


async def test_two_schedulers_deliver_each_reminder_exactly_once(
    stack: Stack, amqp_url: str
) -> None:
    second_stop = asyncio.Event()
    bus = AmqpBus(amqp_url, declare=WORKER_QUEUES.values())
    await bus.start()
    await bus.wait_ready(10)
    second = asyncio.create_task(
        serve_scheduler(stack.worker_settings, bus, second_stop, stack.clock)
    )
    users = [Conversation(stack, f"UMANY{n}", f"DMANY{n}") for n in range(4)]
    for n in range(20):
        await users[n % 4].say(f"remind me in {1 + n % 3} minutes to do thing {n}")
    stack.clock.advance(minutes=3)
    posts = await fired(stack, 20)
    await asyncio.sleep(1.0)  # time for any duplicate to show up
    second_stop.set()
    await second
    await bus.close()
    texts = sorted(p["text"] for p in stack.slack.posts if is_scheduled(p["text"]))
    assert texts == sorted(f"⏰ Reminder: do thing {n}" for n in range(20))
    assert len(posts) == 20


@pytest.mark.parametrize(
    ("said", "answer"),
    [
        (
            "remind me to stretch in 2 minutes",
            "OK, I'll remind you at 09:02 on Fri 27 Nov (UTC): stretch (id `1`).",
        ),
        (
            "remind me in two minutes to stretch",
            "OK, I'll remind you at 09:02 on Fri 27 Nov (UTC): stretch (id `1`).",
        ),
        (
            "Jeeves, remind me to call Ann at 9pm.",
            "OK, I'll remind you at 21:00 on Fri 27 Nov (UTC): call Ann (id `1`).",
        ),
        (
            "remind me in 2 weeks to renew the permit",
            "OK, I'll remind you at 09:00 on Fri 11 Dec (UTC): renew the permit (id `1`).",
        ),
        (
            "remind me in an hour to eat",
            "OK, I'll remind you at 10:00 on Fri 27 Nov (UTC): eat (id `1`).",
        ),
    ],
)
async def test_reminders_in_natural_forms(stack: Stack, said: str, answer: str) -> None:
    assert await Conversation(stack).say(said) == answer


@pytest.mark.parametrize(
    ("said", "answer"),
    [
        (
            "remind me in -5 minutes to x",
            "I can't remind you in the past (`in -5 minutes`). "
            "I can remind you from 1 minute to 365 days from now.",
        ),
        (
            "remind me at 25:00 to x",
            "`25:00` is not a time of day: use 00:00 to 23:59, `5:30pm` or `9pm`.",
        ),
        (
            "remind me in 5 fortnights to x",
            "`fortnights` is not a unit I know: use minutes, hours, days or weeks.",
        ),
        ("remind me in five to x", "In five what? Say minutes, hours, days or weeks."),
        ("remind me in 53 weeks to x", "I can remind you from 1 minute to 365 days from now."),
        ("remind me at 13pm to x", "`13pm` is not a time of day: with am/pm the hour is 1 to 12."),
    ],
)
async def test_each_bad_reminder_says_what_is_wrong(stack: Stack, said: str, answer: str) -> None:
    assert await Conversation(stack).say(said) == answer


async def test_a_reminder_without_a_time_or_text_asks_for_it(stack: Stack) -> None:
    me = Conversation(stack)
    assert (await me.say("remind me to stretch")).startswith("When should I remind you? Say")
    assert (await me.say("remind me in 5 minutes")).startswith("What should I remind you of? Say")


async def test_without_a_weather_key_weather_and_alerts_say_what_is_missing(
    amqp_url: str, tmp_path: Path
) -> None:
    async with running_stack(amqp_url, tmp_path, weather_api_key="") as stack:
        me = Conversation(stack)
        assert await me.say("weather in Paris") == (
            "Sorry, weather isn't set up on this Jeeves yet: whoever runs it needs to set "
            "`JEEVES_WEATHER_API_KEY` (an OpenWeatherMap API key) and restart."
        )
        assert await me.say("alerts on 07:30") == (
            "Daily weather alerts are on, at 07:30 UTC (set yours with `config set timezone "
            "<name>`). I need your location for them: `set location <place>`. Note: weather "
            "isn't set up on this Jeeves (`JEEVES_WEATHER_API_KEY` is not set), so until it is, "
            "each alert will only apologise."
        )
        assert stack.weather.requests == []
