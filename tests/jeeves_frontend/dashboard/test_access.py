"""A person reaches only their own rows: the classic holes (an id changed in a URL or a form,
another workspace, another user of the same workspace) get 404 and change nothing."""

from __future__ import annotations

import pytest

from jeeves_shared.dataclient import DataServiceClient, Unauthorized
from tests.jeeves_frontend.dashboard.conftest import SignIn

FORM = {"Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true"}
SOON = {"text": "tea", "date": "2031-06-01", "time": "09:00"}


async def reminder_of(person: object, text: str) -> int:
    response = await person.send("POST", "/api/me/reminders", json={**SOON, "text": text})  # type: ignore[attr-defined]
    assert response.status_code == 201, await response.get_data(as_text=True)
    reminder_id: int = (await response.get_json())["id"]
    return reminder_id


async def upcoming(person: object) -> list[str]:
    response = await person.send("GET", "/api/me/reminders", page=False)  # type: ignore[attr-defined]
    return [r["text"] for r in (await response.get_json())["upcoming"]]


@pytest.mark.parametrize(
    ("attacker", "victim"),
    [(("TA", "U1"), ("TB", "U1")), (("TA", "U1"), ("TA", "U2"))],
    ids=["other-workspace", "same-workspace-other-user"],
)
async def test_cancelling_someone_elses_reminder_by_its_id_is_404_and_it_stays(
    sign_in: SignIn, attacker: tuple[str, str], victim: tuple[str, str]
) -> None:
    mallory, alice = await sign_in(*attacker), await sign_in(*victim)
    theirs = await reminder_of(alice, "call the bank")

    for path in (f"/api/me/reminders/{theirs}", f"/api/me/reminders/{theirs + 1000}"):
        response = await mallory.send("DELETE", path)
        assert response.status_code == 404
        assert await response.get_json() == {
            "error": "not_found",
            "detail": "That item does not exist, or is no longer yours to change.",
        }
    htmx = await mallory.send("DELETE", f"/api/me/reminders/{theirs}", headers=FORM)
    assert htmx.status_code == 404
    assert "call the bank" not in await htmx.get_data(as_text=True)

    assert await upcoming(alice) == ["call the bank"]
    assert await upcoming(mallory) == []


async def test_each_persons_changes_touch_their_own_row_only(sign_in: SignIn) -> None:
    alice, bob, carol = (
        await sign_in("TA", "U1"),
        await sign_in("TA", "U2"),
        await sign_in("TB", "U1"),
    )

    response = await alice.send("PATCH", "/api/me", json={"location": "Paris", "units": "imperial"})
    assert response.status_code == 200
    setting = await alice.send("POST", "/api/me/settings", json={"key": "note", "value": "hi"})
    assert setting.status_code == 200

    assert (await alice.get_me())["user"]["location"] == "Paris"
    for other in (bob, carol):
        user = (await other.get_me())["user"]
        assert (user["location"], user["units"], user["settings"]) == (None, "metric", {})
    # Removing a key of someone else's is removing a key one does not have.
    assert (await bob.send("DELETE", "/api/me/settings/note")).status_code == 404
    assert (await alice.get_me())["user"]["settings"] == {"note": "hi"}


async def test_fields_naming_another_user_are_refused_not_obeyed(sign_in: SignIn) -> None:
    alice, bob = await sign_in("TA", "U1"), await sign_in("TB", "U9")

    response = await alice.send(
        "PATCH", "/api/me", json={"location": "Oslo", "user_id": bob.user_id, "team_id": "TB"}
    )

    assert response.status_code == 200  # unknown fields are ignored: the user is the session's
    assert (await alice.get_me())["user"]["location"] == "Oslo"
    assert (await bob.get_me())["user"]["location"] is None


async def test_the_front_doors_token_reaches_no_user_or_reminder_by_id(
    sign_in: SignIn, data: DataServiceClient
) -> None:
    victim = await sign_in("TB", "U1")

    with pytest.raises(Unauthorized):
        await data.get_user(victim.user_id)
    with pytest.raises(Unauthorized):
        await data.list_reminders(victim.user_id)
    with pytest.raises(Unauthorized):
        await data.update_user(victim.user_id, {"location": "Nowhere"})
