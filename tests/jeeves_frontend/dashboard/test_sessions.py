"""Sessions: the cookie's flags, expiry and sign-out enforced by the Data Service (so on every
replica), cookie keys that rotate, and sign-in that redirects only to this site."""

from __future__ import annotations

from http.cookies import SimpleCookie

import pytest
from quart import Quart

from jeeves_frontend.dashboard.sessions import safe_next_path
from jeeves_frontend.settings import FrontendSettings
from jeeves_shared.dataclient import DataServiceClient
from jeeves_shared.runtime.settings import SettingsError
from tests.jeeves_frontend.dashboard.conftest import (
    ORIGIN,
    Person,
    SignIn,
    front_door,
    session_cookie,
)
from tests.support.clock import WallClock
from tests.support.production import DASHBOARD_SECRET_KEY

ENDED = "Your session has ended"
OLD_KEY, NEW_KEY = "old-cookie-key-" + "a" * 30, "new-cookie-key-" + "b" * 30


def dev_front_door(data: DataServiceClient, **settings: object) -> Quart:
    return front_door(data, env="dev", slack_signing_secret="", **settings)


async def test_dev_sign_in_sets_a_session_cookie_and_lands_on_the_dashboard(
    data: DataServiceClient,
) -> None:
    app = dev_front_door(data, dashboard_session_hours=2)
    client = app.test_client()

    response = await client.post(
        "/dashboard/dev/sign-in", form={"next": "/dashboard?tab=1"}, headers={"Origin": ORIGIN}
    )

    assert (response.status_code, response.headers["Location"]) == (303, "/dashboard?tab=1")
    [header] = response.headers.getlist("Set-Cookie")
    [morsel] = SimpleCookie(header).values()
    assert morsel.key == "jeeves_session"  # dev mode: http://127.0.0.1, not Secure
    assert (morsel["httponly"], morsel["samesite"], morsel["max-age"]) == (True, "Lax", "7200")
    assert not morsel["secure"]
    page = await (await client.get("/dashboard")).get_data(as_text=True)
    assert "Dev User" in page and "jeeves dev" in page and "Sign out" in page


async def test_production_cookies_are_secure_host_only_and_never_turned_off(
    app: Quart, sign_in: SignIn
) -> None:
    person = await sign_in("TA", "U1")
    assert person.cookie.startswith("__Host-jeeves_session=")

    response = await person.send("POST", "/dashboard/sign-out", form={})
    [morsel] = SimpleCookie(response.headers["Set-Cookie"]).values()
    assert morsel["secure"] and morsel["httponly"] and morsel["path"] == "/"
    with pytest.raises(SettingsError, match="JEEVES_DASHBOARD_COOKIE_SECURE"):
        FrontendSettings(dashboard_cookie_secure=False).cookie_secure()


async def test_there_is_no_dev_sign_in_outside_dev_mode(app: Quart) -> None:
    client = app.test_client()
    response = await client.post("/dashboard/dev/sign-in", headers={"Origin": ORIGIN})
    assert response.status_code == 404
    page = await (await client.get("/dashboard")).get_data(as_text=True)
    assert "dev user" not in page


async def test_sign_out_ends_the_session_on_every_replica(
    data: DataServiceClient, sign_in: SignIn
) -> None:
    first, second = front_door(data), front_door(data)
    person = await sign_in("TA", "U1", on=first)
    cookie = session_cookie(second, person.session_id)
    elsewhere = Person(second, cookie, person.session_id, 0, person.csrf_token)
    assert (await elsewhere.get_me())["csrf_token"] == person.csrf_token  # one session, both

    response = await person.send("POST", "/dashboard/sign-out", form={})
    assert (response.status_code, response.headers["Location"]) == (303, "/dashboard?signed_out=1")

    for replica in (person, elsewhere):  # the old cookie, kept by an attacker
        refused = await replica.send("PATCH", "/api/me", json={"location": "X"})
        assert refused.status_code == 401
        assert (await refused.get_json())["error"] == "session_ended"
        page = await replica.send("GET", "/dashboard", page=False)
        assert ENDED in await page.get_data(as_text=True)


async def test_a_session_expires_after_its_hours(
    data: DataServiceClient, sign_in: SignIn, clock: WallClock
) -> None:
    person = await sign_in("TA", "U1")  # for one hour
    clock.advance(minutes=59)
    await person.get_me()

    clock.advance(minutes=2)
    response = await person.send("GET", "/api/me", page=False)
    assert response.status_code == 401
    htmx = await person.send("PATCH", "/api/me", json={}, headers={"HX-Request": "true"})
    assert htmx.status_code == 401
    assert htmx.headers["HX-Retarget"] == "#flash"
    assert ENDED in await htmx.get_data(as_text=True)
    page = await person.send("GET", "/dashboard", page=False)
    assert page.status_code == 200
    assert ENDED in await page.get_data(as_text=True)
    assert "jeeves_session=;" in page.headers["Set-Cookie"]  # the useless cookie is dropped


async def test_a_session_id_the_data_service_never_issued_is_refused(app: Quart) -> None:
    forged = Person(app, session_cookie(app, "A" * 43), "A" * 43, 0)
    response = await forged.send("GET", "/api/me", page=False)
    assert response.status_code == 401


async def test_cookie_keys_rotate_the_old_key_still_verifies(
    data: DataServiceClient, sign_in: SignIn
) -> None:
    before = front_door(data, dashboard_secret_keys=OLD_KEY)
    during = front_door(data, dashboard_secret_keys=f"{NEW_KEY},{OLD_KEY}")
    after = front_door(data, dashboard_secret_keys=NEW_KEY)
    person = await sign_in("TA", "U1", on=before)

    for app, works in ((during, True), (after, False)):
        holder = Person(app, person.cookie, person.session_id, 0)
        response = await holder.send("GET", "/api/me", page=False)
        assert (response.status_code == 200) is works
    # New cookies are signed with the newest key.
    assert session_cookie(during, "S" * 43) == session_cookie(after, "S" * 43)


@pytest.mark.parametrize(
    "keys",
    ["", "change-me", "short", f"{DASHBOARD_SECRET_KEY},tooshort"],
)
def test_an_unusable_cookie_key_is_refused_outside_dev_mode(keys: str) -> None:
    with pytest.raises(SettingsError, match="JEEVES_DASHBOARD_SECRET_KEYS"):
        FrontendSettings(dashboard_secret_keys=keys).secret_keys()  # type: ignore[arg-type]
    assert len(FrontendSettings(env="dev").secret_keys()[0]) >= 32  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "asked",
    [
        "https://evil.example/dashboard",
        "//evil.example/dashboard",
        "/\\evil.example",
        "\\\\evil.example",
        "/dashboardevil",
        "javascript:alert(1)",
        "/dashboard\r\nLocation: https://evil.example",
        "/api/me",
        "/dashboard/../api/me",
        "/dashboard/%2e%2e/%2e%2e/slack/install",
        "/dashboard/%2E%2E/api/me",
        "/dashboard/./../slack/install",
        "/dashboard/%252e%252e/api/me",
        "/dashboard/%2f%2fevil.example",
        "",
        None,
    ],
)
async def test_sign_in_goes_back_only_to_dashboard_paths_of_this_site(
    data: DataServiceClient, asked: str | None
) -> None:
    app = dev_front_door(data)
    form = {} if asked is None else {"next": asked}
    response = await app.test_client().post(
        "/dashboard/dev/sign-in", form=form, headers={"Origin": ORIGIN}
    )
    assert response.headers["Location"] == "/dashboard"
    assert safe_next_path("/dashboard/reminders?x=1") == "/dashboard/reminders?x=1"
    assert safe_next_path("/dashboard/a/../%72eminders") == "/dashboard/reminders"


async def test_sign_in_from_another_site_is_refused(data: DataServiceClient) -> None:
    app = dev_front_door(data)
    response = await app.test_client().post(
        "/dashboard/dev/sign-in", headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403
    assert "Set-Cookie" not in response.headers


async def test_sign_in_attempts_are_rate_limited_per_address(data: DataServiceClient) -> None:
    app = dev_front_door(data, dashboard_sign_ins_per_minute=2)
    client = app.test_client()
    for _ in range(2):
        ok = await client.post("/dashboard/dev/sign-in", headers={"Origin": ORIGIN})
        assert ok.status_code == 303
    refused = await client.post("/dashboard/dev/sign-in", headers={"Origin": ORIGIN})
    assert refused.status_code == 429
    assert "Too many requests" in await refused.get_data(as_text=True)
    assert (await client.get("/dashboard")).status_code == 200  # the page itself is not limited
