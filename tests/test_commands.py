"""Every command from a signed Slack event to the message Slack receives, through RabbitMQ."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.slack_requests import event_callback, mention
from tests.support.stack import Conversation, Stack, running_stack

pytestmark = pytest.mark.rabbitmq


@pytest.fixture
async def stack(amqp_url: str, tmp_path: Path) -> AsyncIterator[Stack]:
    async with running_stack(amqp_url, tmp_path) as running:
        yield running


async def test_help_lists_every_command(stack: Stack) -> None:
    answer = await Conversation(stack).say("help")
    for usage in (
        "weather [in &lt;place&gt;]",
        "set location &lt;place&gt;",
        "config show",
        "alerts [on",
        "remind me in &lt;n&gt;",
        "reminders [cancel &lt;id&gt;]",
        "login",
    ):
        assert usage in answer


async def test_help_for_one_command(stack: Stack) -> None:
    answer = await Conversation(stack).say("help weather")
    assert answer.startswith("`weather [in &lt;place&gt;]`")


async def test_unknown_command_suggests(stack: Stack) -> None:
    assert await Conversation(stack).say("wether Paris") == (
        "I don't know `wether`. Did you mean `weather`? Try `help`."
    )


async def test_weather_for_a_place_as_typed(stack: Stack) -> None:
    me = Conversation(stack)
    assert await me.say("weather in Paris") == (
        "Weather in Paris, FR: light rain, 12.3°C (feels like 10.9°C), humidity 81%, wind 4.1 m/s."
    )
    assert (await me.say("Weather Saint-Étienne")).startswith("Weather in Saint-Étienne, FR:")
    assert [r.place for r in stack.weather.requests] == ["Paris", "Saint-Étienne"]


async def test_weather_unknown_place_and_no_location(stack: Stack) -> None:
    me = Conversation(stack)
    assert await me.say("weather in Atlantis") == "I couldn't find Atlantis."
    assert await me.say("weather") == (
        "I don't know where you are. Tell me with `set location &lt;place&gt;`."
    )


async def test_location_is_remembered_and_used_with_the_users_units(stack: Stack) -> None:
    me = Conversation(stack)
    assert await me.say("get location") == (
        "I don't know where you are. Tell me with `set location &lt;place&gt;`."
    )
    assert await me.say("set location New York") == "Got it: you are in New York."
    assert await me.say("where am I") == "You are in New York."
    assert await me.say("config set units imperial") == "`units` is now “imperial”."
    answer = await me.say("weather")
    assert answer.startswith("Weather in New York, US:")
    assert "°F" in answer and "mph" in answer
    assert stack.weather.requests[-1].units == "imperial"


async def test_each_user_has_their_own_location(stack: Stack) -> None:
    ann, bob = Conversation(stack, "UANN", "DANN"), Conversation(stack, "UBOB", "DBOB")
    await ann.say("set location Paris")
    await bob.say("set location Berlin")
    assert await ann.say("get location") == "You are in Paris."
    assert await bob.say("get location") == "You are in Berlin."


async def test_config_settings(stack: Stack) -> None:
    me = Conversation(stack)
    assert await me.say("config set favourite.colour green") == (
        "`favourite.colour` is now “green”."
    )
    assert await me.say("config get Favourite.Colour") == "`favourite.colour` is “green”."
    assert await me.say("config set timezone Europe/Paris") == "`timezone` is now “Europe/Paris”."
    shown = await me.say("config show")
    assert "• `timezone`: “Europe/Paris”" in shown
    assert "• `favourite.colour`: “green”" in shown
    assert await me.say("config unset favourite.colour") == "`favourite.colour` is unset."
    assert await me.say("config get favourite.colour") == "`favourite.colour` is not set."
    assert await me.say("config unset favourite.colour") == "`favourite.colour` was not set."


@pytest.mark.parametrize(
    ("said", "answer"),
    [
        ("config set units kelvin", "`units` is `metric` or `imperial`."),
        (
            "config set timezone Mars/Olympus",
            "I don't know the timezone “Mars/Olympus”. Use an IANA name such as `Europe/Paris` or "
            "`America/New_York`.",
        ),
        (
            "config set bad!key 1",
            "`bad!key` is not a setting name: use 1 to 40 of a-z, 0-9, `_ . -`.",
        ),
        ("config set colour " + "x" * 201, "That value is too long (201 characters; 200 at most)."),
        ("config set colour", "What should `colour` be? Say `config set colour &lt;value&gt;`."),
        (
            "config frobnicate",
            "Say `config show`, `config get &lt;key&gt;`, `config set &lt;key&gt; &lt;value&gt;` "
            "or `config unset &lt;key&gt;`.",
        ),
    ],
)
async def test_config_refuses_bad_input_with_a_reason(stack: Stack, said: str, answer: str) -> None:
    assert await Conversation(stack).say(said) == answer


async def test_values_are_echoed_quoted_with_their_spacing(stack: Stack) -> None:
    me = Conversation(stack)
    assert await me.say("config set my.key has  spaces in it") == (
        "`my.key` is now “has  spaces in it”."
    )
    assert await me.say("config get my.key?") == "`my.key` is “has  spaces in it”."
    # As Slack sends it typed: a literal "<!channel>" arrives escaped and must stay inert.
    assert await me.say("config set motto &lt;!channel&gt; &amp; `code`") == (
        "`motto` is now “&lt;!channel&gt; &amp; 'code'”."
    )


@pytest.mark.parametrize(
    ("said", "answer"),
    [
        ("config set timezone europe/paris", "`timezone` is now “Europe/Paris”."),
        ("config set timezone AMERICA/NEW_YORK", "`timezone` is now “America/New_York”."),
        (
            "config set timezone Europe/Pari",
            "I don't know the timezone “Europe/Pari”. Did you mean `Europe/Paris`?",
        ),
    ],
)
async def test_timezones_are_found_whatever_their_case(
    stack: Stack, said: str, answer: str
) -> None:
    assert await Conversation(stack).say(said) == answer


@pytest.mark.parametrize(
    ("said", "answer"),
    [
        ("where am I?", "I don't know where you are. Tell me with `set location &lt;place&gt;`."),
        (
            "location",
            "I don't know `location`. Did you mean `set location` or `get location`? Try `help`.",
        ),
        ("where", "I don't know `where`. Did you mean `where am i`? Try `help`."),
        ("hey, help?", None),
        ("Help me", None),
        ("help please.", None),
    ],
)
async def test_answers_a_person_finds_helpful(stack: Stack, said: str, answer: str | None) -> None:
    got = await Conversation(stack).say(said)
    if answer is None:  # the overview
        assert got.startswith("Here is what I can do:")
    else:
        assert got == answer


async def test_help_about_a_word_describes_every_command_with_it(stack: Stack) -> None:
    answer = await Conversation(stack).say("help location")
    assert answer.startswith("`set location &lt;place&gt;`")
    assert "`get location` — Where I think you are." in answer
    assert "login" not in answer


async def test_login_link_goes_to_a_dm_not_the_channel(stack: Stack) -> None:
    event = mention("login", channel="CPUBLIC", user="U0042")
    assert await stack.event(event_callback(event, event_id="EvLogin")) == 200
    posts = await stack.slack.wait_for_posts(2)
    by_channel = {p["channel"]: p["text"] for p in posts}
    assert by_channel["CPUBLIC"] == "I've sent you a direct message with the link."
    assert by_channel["U0042"] == f"Your Jeeves dashboard: {stack.url}/dashboard"
    async with stack.session.get(f"{stack.url}/dashboard") as page:  # the link leads somewhere
        assert page.status == 200
        assert "Your Jeeves dashboard" in await page.text()


async def test_slash_login_answers_with_the_dashboard_link_by_dm(stack: Stack) -> None:
    status, ack = await stack.slash(slash_form("login", stack))
    assert (status, ack["response_type"]) == (200, "ephemeral")
    [response] = await stack.slack.wait_for_responses(1)
    [dm] = await stack.slack.wait_for_posts(1)
    assert response["response_type"] == "ephemeral"
    assert response["text"] == "I've sent you a direct message with the link."
    assert (dm["channel"], dm["text"]) == ("U0001", f"Your Jeeves dashboard: {stack.url}/dashboard")


async def test_slash_help_is_answered_at_once(stack: Stack) -> None:
    status, ack = await stack.slash(slash_form("help", stack))
    assert status == 200
    assert ack["response_type"] == "ephemeral"
    assert ack["text"].startswith("Here is what I can do:")
    await asyncio.sleep(0.2)
    assert stack.slack.responses == [] and stack.slack.posts == []


async def test_slash_weather_acks_then_answers_through_response_url(stack: Stack) -> None:
    status, ack = await stack.slash(slash_form("weather in Berlin", stack))
    assert (status, ack) == (200, {"response_type": "ephemeral", "text": "On it…"})
    [response] = await stack.slack.wait_for_responses(1)
    assert response["hook"] == "T0001-1"
    assert response["response_type"] == "ephemeral"
    assert response["text"].startswith("Weather in Berlin, DE: overcast clouds")
    assert stack.slack.posts == []


async def test_slash_ssl_check_needs_no_signature(stack: Stack) -> None:
    async with stack.session.post(
        f"{stack.url}/slack/commands", data={"ssl_check": "1", "token": "x"}
    ) as response:
        assert response.status == 200
    async with stack.session.post(
        f"{stack.url}/slack/commands", data={"command": "/jeeves", "text": "help"}
    ) as unsigned:
        assert unsigned.status == 401


async def test_slash_without_its_fields_is_a_400(stack: Stack) -> None:
    status, answer = await stack.slash({"command": "/jeeves", "text": "help"})
    assert status == 400
    assert "missing team_id" in answer["detail"]


async def test_slash_command_addressed_like_a_person(stack: Stack) -> None:
    status, ack = await stack.slash(slash_form("hey jeeves, weather in Berlin?", stack))
    assert (status, ack["text"]) == (200, "On it…")
    [response] = await stack.slack.wait_for_responses(1)
    assert response["text"].startswith("Weather in Berlin, DE:")
    assert [r.place for r in stack.weather.requests] == ["Berlin"]


def slash_form(text: str, stack: Stack) -> dict[str, str]:
    return {
        "command": "/jeeves",
        "text": text,
        "team_id": "T0001",
        "channel_id": "C0001",
        "user_id": "U0001",
        "user_name": "ann",
        "response_url": stack.slack.response_url("T0001-1"),
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
    }
