from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workers.reminders import USAGE, parse_reminder
from workers.weather import requested_place

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(
    ("args", "delay", "text"),
    [
        ("in 10 minutes to stretch", timedelta(minutes=10), "stretch"),
        ("me in 1 minute to breathe", timedelta(minutes=1), "breathe"),
        ("in 2 hours to  call   Ann", timedelta(hours=2), "call Ann"),
        ("IN 3 DAYS TO water the plants", timedelta(days=3), "water the plants"),
        ("in 5m to tea", timedelta(minutes=5), "tea"),
        ("in 1 h to go to the station", timedelta(hours=1), "go to the station"),
        ("to stretch in 2 minutes", timedelta(minutes=2), "stretch"),
        ("me to stretch in 2 minutes.", timedelta(minutes=2), "stretch"),
        ("to meet at the park in two hours", timedelta(hours=2), "meet at the park"),
        ("in an hour to eat", timedelta(hours=1), "eat"),
        ("in a minute to breathe", timedelta(minutes=1), "breathe"),
        ("in Twelve days to x", timedelta(days=12), "x"),
        ("in 2 weeks to x", timedelta(weeks=2), "x"),
        ("in 52 wks to x", timedelta(weeks=52), "x"),
        ("in 10 minutes to ask why?", timedelta(minutes=10), "ask why?"),
    ],
)
def test_in_n_units(args: str, delay: timedelta, text: str) -> None:
    assert parse_reminder(args, now=NOW, zone=PARIS) == (NOW + delay, text)


def test_at_a_time_is_in_the_users_timezone() -> None:
    due, text = parse_reminder("at 17:30 to call Ann", now=NOW, zone=PARIS)  # type: ignore[misc]
    assert due.astimezone(PARIS).strftime("%Y-%m-%d %H:%M") == "2026-11-27 17:30"
    assert text == "call Ann"


@pytest.mark.parametrize(
    ("args", "local"),
    [
        ("at 9pm to x", "2026-11-27 21:00"),
        ("at 9 pm to x", "2026-11-27 21:00"),
        ("at 5:30pm to x", "2026-11-27 17:30"),
        ("at 12am to x", "2026-11-28 00:00"),
        ("at 12pm to x", "2026-11-27 12:00"),
        ("at 9 p.m. to x", "2026-11-27 21:00"),
        ("to x at 9pm", "2026-11-27 21:00"),
        ("to x at 17:45!", "2026-11-27 17:45"),
        ("at 8am to x", "2026-11-28 08:00"),
    ],
)
def test_clock_times_in_common_forms(args: str, local: str) -> None:
    due, text = parse_reminder(args, now=NOW, zone=PARIS)  # type: ignore[misc]
    assert (due.astimezone(PARIS).strftime("%Y-%m-%d %H:%M"), text) == (local, "x")


NUMBER_WORDS = [
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
]


@given(
    n=st.integers(1, 12),
    unit=st.sampled_from([("minutes", 60), ("hours", 3600), ("days", 86400)]),
    as_word=st.booleans(),
    time_last=st.booleans(),
)
def test_numbers_as_digits_or_words_in_either_order(
    n: int, unit: tuple[str, int], as_word: bool, time_last: bool
) -> None:
    amount = NUMBER_WORDS[n - 1] if as_word else str(n)
    delay = f"in {amount} {unit[0]}"
    args = f"to water the plants {delay}" if time_last else f"{delay} to water the plants"
    due = NOW + timedelta(seconds=n * unit[1])
    assert parse_reminder(args, now=NOW, zone=PARIS) == (due, "water the plants")


def test_a_time_already_past_today_means_tomorrow() -> None:
    due, _ = parse_reminder("at 7:05 to wake up", now=NOW, zone=PARIS)  # type: ignore[misc]
    assert due.astimezone(PARIS).strftime("%Y-%m-%d %H:%M") == "2026-11-28 07:05"


@pytest.mark.parametrize(
    ("args", "answer"),
    [
        ("", USAGE),
        ("sing a song", USAGE),
        ("to x", f"When should I remind you? {USAGE}"),
        ("to sit in the garden", f"When should I remind you? {USAGE}"),
        ("in 5 minutes", f"What should I remind you of? {USAGE}"),
        ("in 5 minutes to  ", f"What should I remind you of? {USAGE}"),
        ("at 25:00 to x", "`25:00` is not a time of day: use 00:00 to 23:59, `5:30pm` or `9pm`."),
        ("at 9:75 to x", "`09:75` is not a time of day: use 00:00 to 23:59, `5:30pm` or `9pm`."),
        ("at 0am to x", "`0am` is not a time of day: with am/pm the hour is 1 to 12."),
        ("at noonish to x", "`at noonish` is not a time of day: use `17:30`, `5:30pm` or `9pm`."),
        (
            "in 5 fortnights to x",
            "`fortnights` is not a unit I know: use minutes, hours, days or weeks.",
        ),
        ("in five to x", "In five what? Say minutes, hours, days or weeks."),
        (
            "in thirteen hours to x",
            "`thirteen` is not a number: use digits or a word up to twelve (`in two hours`).",
        ),
        (
            "in -5 minutes to x",
            "I can't remind you in the past (`in -5 minutes`). "
            "I can remind you from 1 minute to 365 days from now.",
        ),
        ("in 53 weeks to x", "I can remind you from 1 minute to 365 days from now."),
        (
            "in 99999999999999999999 days to x",
            "I can remind you from 1 minute to 365 days from now.",
        ),
        ("in 0 minutes to x", "I can remind you from 1 minute to 365 days from now."),
        ("in 366 days to x", "I can remind you from 1 minute to 365 days from now."),
        (
            "in 5 minutes to " + "x" * 501,
            "That reminder is too long (501 characters; 500 at most).",
        ),
    ],
)
def test_bad_reminders_are_explained(args: str, answer: str) -> None:
    assert parse_reminder(args, now=NOW, zone=PARIS) == answer


@given(st.text(max_size=200))
def test_any_text_gives_a_reminder_or_an_explanation(args: str) -> None:
    result = parse_reminder(args, now=NOW, zone=PARIS)
    if isinstance(result, tuple):
        due, text = result
        assert NOW < due <= NOW + timedelta(days=365)
        assert text and len(text) <= 500
    else:
        assert result


@pytest.mark.parametrize(
    ("args", "place"),
    [
        ("in Paris", "Paris"),
        ("Paris", "Paris"),
        ("IN  New York", "New York"),
        ("in", ""),
        ("", ""),
        ("Innsbruck", "Innsbruck"),
        ("in Saint-Étienne, FR", "Saint-Étienne, FR"),
    ],
)
def test_requested_place_keeps_the_name_intact(args: str, place: str) -> None:
    assert requested_place(args) == place
