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
    ],
)
def test_in_n_units(args: str, delay: timedelta, text: str) -> None:
    assert parse_reminder(args, now=NOW, zone=PARIS) == (NOW + delay, text)


def test_at_a_time_is_in_the_users_timezone() -> None:
    due, text = parse_reminder("at 17:30 to call Ann", now=NOW, zone=PARIS)  # type: ignore[misc]
    assert due.astimezone(PARIS).strftime("%Y-%m-%d %H:%M") == "2026-11-27 17:30"
    assert text == "call Ann"


def test_a_time_already_past_today_means_tomorrow() -> None:
    due, _ = parse_reminder("at 7:05 to wake up", now=NOW, zone=PARIS)  # type: ignore[misc]
    assert due.astimezone(PARIS).strftime("%Y-%m-%d %H:%M") == "2026-11-28 07:05"


@pytest.mark.parametrize(
    ("args", "answer"),
    [
        ("", USAGE),
        ("in ten minutes to x", USAGE),
        ("at 25:00 to x", USAGE),
        ("in 5 fortnights to x", USAGE),
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
