"""Every state-changing request needs the session's CSRF token and a same-origin request:
without either it is refused with 403 and changes nothing."""

from __future__ import annotations

import pytest

from tests.jeeves_frontend.dashboard.conftest import ORIGIN, SignIn

CHANGE = {"location": "Forged"}


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"X-CSRF-Token": ""}, "no token"),
        ({"X-CSRF-Token": "x" * 43}, "wrong token"),
        ({"Origin": "https://evil.example"}, "cross-site Origin with the right token"),
        ({"Origin": "null"}, "opaque Origin"),
        ({"Origin": "", "Sec-Fetch-Site": "cross-site"}, "cross-site fetch"),
        ({"Origin": "", "Sec-Fetch-Site": "same-site"}, "a sibling subdomain"),
        ({"Origin": ""}, "neither Origin nor Sec-Fetch-Site"),
        ({"Origin": "http://localhost.evil.example"}, "a host that only starts like ours"),
    ],
)
async def test_a_forged_change_is_403_and_changes_nothing(
    sign_in: SignIn, headers: dict[str, str], reason: str
) -> None:
    person = await sign_in("TA", "U1")
    sent = {"Origin": ORIGIN, "X-CSRF-Token": person.csrf_token, **headers}
    sent = {name: value for name, value in sent.items() if value}

    response = await person.send("PATCH", "/api/me", json=CHANGE, headers=sent, page=False)

    assert response.status_code == 403, reason
    assert (await response.get_json())["error"] == "csrf_rejected"
    assert (await person.get_me())["user"]["location"] is None


async def test_another_sessions_token_does_not_do(sign_in: SignIn) -> None:
    alice, bob = await sign_in("TA", "U1"), await sign_in("TA", "U2")

    response = await alice.send(
        "PATCH", "/api/me", json=CHANGE, headers={"X-CSRF-Token": bob.csrf_token}
    )

    assert response.status_code == 403


async def test_the_token_can_come_as_a_form_field_and_same_origin_as_sec_fetch_site(
    sign_in: SignIn,
) -> None:
    person = await sign_in("TA", "U1")

    response = await person.send(
        "PUT",
        "/api/me/alerts",
        form={"enabled": "on", "time": "07:15", "csrf_token": person.csrf_token},
        headers={"Sec-Fetch-Site": "same-origin"},
        page=False,
    )

    assert response.status_code == 200, await response.get_data(as_text=True)
    user = (await person.get_me())["user"]
    assert (user["alerts_enabled"], user["alert_time"]) == (True, "07:15")


async def test_every_change_is_guarded(sign_in: SignIn) -> None:
    person = await sign_in("TA", "U1")
    changes = [
        ("PATCH", "/api/me"),
        ("PUT", "/api/me/alerts"),
        ("POST", "/api/me/settings"),
        ("DELETE", "/api/me/settings/note"),
        ("POST", "/api/me/reminders"),
        ("DELETE", "/api/me/reminders/1"),
        ("POST", "/dashboard/sign-out"),
    ]
    for method, path in changes:
        response = await person.send(
            method, path, json={}, headers={"Origin": "https://evil.example"}
        )
        assert response.status_code == 403, (method, path)
    await person.get_me()  # not signed out by the forged sign-out


async def test_a_non_ascii_token_is_403_not_a_crash(sign_in: SignIn) -> None:
    person = await sign_in("TA", "U1")
    sent = [
        ("PATCH", "/api/me", {"json": CHANGE, "headers": {"Origin": ORIGIN, "X-CSRF-Token": "é"}}),
        (
            "POST",
            "/api/me/settings",
            {"form": {"key": "k", "value": "v", "csrf_token": "é"}, "headers": {"Origin": ORIGIN}},
        ),
        (
            "POST",
            "/dashboard/sign-out",
            {"form": {"csrf_token": "é"}, "headers": {"Origin": ORIGIN}},
        ),
    ]
    for method, path, body in sent:
        response = await person.send(method, path, page=False, **body)
        assert response.status_code == 403, (method, path)
        if path.startswith("/api/"):
            assert (await response.get_json())["error"] == "csrf_rejected", (method, path)
    user = (await person.get_me())["user"]  # still signed in: the sign-out was refused too
    assert user["location"] is None
    assert user["settings"] == {}
