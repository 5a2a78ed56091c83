"""The sign-in state cookie: signed, short-lived, usable once across replicas, key rotation
safe. Used states are recorded in the real Data Service's once-only claims."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jeeves_frontend.dashboard.signin_state import (
    LIFETIME,
    PendingSignIn,
    SignInStates,
    StateRejected,
)
from jeeves_frontend.install.states import ClaimedOnce, OnceRecord
from jeeves_shared.dataclient.scopes import FRONTEND_SCOPES
from tests.support.dataservice import serving_dataservice

OLD_KEY = "an-old-dashboard-cookie-key-0123456789"
NEW_KEY = "a-new-dashboard-cookie-key-9876543210"


class Clock:
    """Unix seconds that a test moves."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def once(tmp_path: Path) -> AsyncIterator[OnceRecord]:
    async with serving_dataservice(tmp_path) as served, aiohttp.ClientSession() as session:
        client = served.client(session, *FRONTEND_SCOPES)
        yield ClaimedOnce(lambda: client)


async def test_a_cookie_is_taken_once_with_its_nonce_and_next_page(once: OnceRecord) -> None:
    states = SignInStates([NEW_KEY], once)
    pending = PendingSignIn.new(next_path="/dashboard?section=reminders")
    cookie = states.seal(pending)

    assert await states.take(cookie, pending.state) == pending
    with pytest.raises(StateRejected, match="already used"):
        await states.take(cookie, pending.state)
    # Another replica (its own SignInStates, the same Data Service) refuses it too.
    with pytest.raises(StateRejected, match="already used"):
        await SignInStates([NEW_KEY], once).take(cookie, pending.state)


async def test_a_cookie_signed_before_a_key_rotation_still_works(once: OnceRecord) -> None:
    pending = PendingSignIn.new()
    cookie = SignInStates([OLD_KEY], once).seal(pending)
    rotated = SignInStates([OLD_KEY, NEW_KEY], once)  # newest last

    assert await rotated.take(cookie, pending.state) == pending
    fresh = PendingSignIn.new()
    assert await SignInStates([NEW_KEY], once).take(rotated.seal(fresh), fresh.state) == fresh


async def test_a_cookie_older_than_ten_minutes_is_refused(once: OnceRecord) -> None:
    clock = Clock()
    states = SignInStates([NEW_KEY], once, clock=clock)
    pending = PendingSignIn.new()
    cookie = states.seal(pending)
    clock.now += LIFETIME + 1

    with pytest.raises(StateRejected, match="took too long"):
        await states.take(cookie, pending.state)


async def test_a_cookie_signed_with_another_key_is_refused(once: OnceRecord) -> None:
    pending = PendingSignIn.new()
    forged = SignInStates(["someone-elses-key-0123456789abcdef"], once).seal(pending)

    with pytest.raises(StateRejected, match="not ours"):
        await SignInStates([NEW_KEY], once).take(forged, pending.state)


async def test_another_browsers_state_is_refused(once: OnceRecord) -> None:
    states = SignInStates([NEW_KEY], once)
    mine, theirs = PendingSignIn.new(), PendingSignIn.new()

    with pytest.raises(StateRejected, match="another browser"):
        await states.take(states.seal(mine), theirs.state)
    with pytest.raises(StateRejected, match="no sign-in in progress"):
        await states.take(None, mine.state)


class NeverCalled:
    """A once-record for inputs that must be refused before any state is used."""

    async def first_use(self, claim_id: str) -> bool:
        raise AssertionError("a refused cookie must not use a state")


@given(cookie=st.text(max_size=300), state=st.text(max_size=100))
async def test_any_cookie_text_is_refused_not_crashed_on(cookie: str, state: str) -> None:
    with pytest.raises(StateRejected):
        await SignInStates([NEW_KEY], NeverCalled()).take(cookie, state)
