"""The front door's memory of recent action ids: bounded in time and in size."""

from __future__ import annotations

from jeeves_frontend.recent import RecentEvents
from tests.support.clock import FakeClock


def test_an_id_is_remembered_for_the_ttl_only() -> None:
    clock = FakeClock()
    recent = RecentEvents(10, ttl=900, clock=clock)
    recent.add("slack:T1:C1:1.0")
    clock.advance(899.5)
    assert "slack:T1:C1:1.0" in recent
    clock.advance(0.5)
    assert "slack:T1:C1:1.0" not in recent


def test_the_oldest_added_id_makes_room_even_if_looked_up_since() -> None:
    recent = RecentEvents(2, clock=FakeClock())
    recent.add("a")
    recent.add("b")
    assert "a" in recent  # a lookup does not make "a" newer
    recent.add("c")
    assert ("a" in recent, "b" in recent, "c" in recent) == (False, True, True)


def test_adding_again_makes_an_id_newest() -> None:
    recent = RecentEvents(2, clock=FakeClock())
    for action_id in ("a", "b", "a", "c"):
        recent.add(action_id)
    assert ("a" in recent, "b" in recent, "c" in recent) == (True, False, True)


def test_only_strings_are_ever_in_it() -> None:
    recent = RecentEvents(2, clock=FakeClock())
    assert None not in recent
    assert ["a"] not in recent  # unhashable: not found, no TypeError
