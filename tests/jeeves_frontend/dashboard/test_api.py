"""``/api/me`` as a JSON client uses it: a partial change touches only what it names, and a
value of the wrong type is a 422 that changes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from quart import Quart
from quart_auth import QuartAuth

from jeeves_shared import user_settings
from jeeves_shared.dataclient import DataServiceClient
from tests.jeeves_frontend.dashboard.conftest import Person, SignIn

PROFILE = {"location": "Paris", "units": "imperial", "timezone": "Europe/Paris"}


async def _profiled(sign_in: SignIn) -> Person:
    person = await sign_in("TA", "U1")
    response = await person.send("PATCH", "/api/me", json=PROFILE)
    assert response.status_code == 200, await response.get_data(as_text=True)
    return person


def _profile(me: Any) -> dict[str, Any]:
    return {name: me["user"][name] for name in PROFILE}


async def test_a_partial_patch_leaves_the_other_fields_alone(sign_in: SignIn) -> None:
    person = await _profiled(sign_in)

    response = await person.send("PATCH", "/api/me", json={"units": "metric"})

    assert response.status_code == 200, await response.get_data(as_text=True)
    assert _profile(await person.get_me()) == {**PROFILE, "units": "metric"}


async def test_null_still_clears_a_field(sign_in: SignIn) -> None:
    person = await _profiled(sign_in)

    response = await person.send("PATCH", "/api/me", json={"location": None})

    assert response.status_code == 200, await response.get_data(as_text=True)
    assert _profile(await person.get_me()) == {**PROFILE, "location": None}


async def test_wrong_types_are_422_naming_each_field_and_change_nothing(sign_in: SignIn) -> None:
    person = await _profiled(sign_in)

    response = await person.send(
        "PATCH", "/api/me", json={"units": 5, "location": ["x"], "timezone": {"a": 1}}
    )

    assert response.status_code == 422
    fields = (await response.get_json())["fields"]
    assert set(fields) == {"units", "location", "timezone"}
    assert all("as text" in message for message in fields.values())
    assert _profile(await person.get_me()) == PROFILE


async def test_the_htmx_form_posting_every_field_still_saves(sign_in: SignIn) -> None:
    person = await _profiled(sign_in)

    response = await person.send(
        "PATCH",
        "/api/me",
        form={"location": "", "units": "metric", "timezone": "Asia/Tokyo"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200, await response.get_data(as_text=True)
    assert _profile(await person.get_me()) == {
        "location": None,
        "units": "metric",
        "timezone": "Asia/Tokyo",
    }


async def test_a_nul_in_the_location_says_what_is_wrong(sign_in: SignIn) -> None:
    person = await sign_in("TA", "U1")

    response = await person.send("PATCH", "/api/me", json={"location": "Pa\x00ris"})

    assert response.status_code == 422
    assert "NUL" in (await response.get_json())["fields"]["location"]


@pytest.mark.parametrize(
    "body",
    [{"enabled": "yes", "time": "07:30"}, {"enabled": 1, "time": "07:30"}, {}],
)
async def test_json_alerts_need_a_boolean_enabled(sign_in: SignIn, body: dict[str, Any]) -> None:
    person = await sign_in("TA", "U1")
    on = await person.send("PUT", "/api/me/alerts", json={"enabled": True, "time": "06:45"})
    assert on.status_code == 200, await on.get_data(as_text=True)

    response = await person.send("PUT", "/api/me/alerts", json=body)

    assert response.status_code == 422
    assert "enabled" in (await response.get_json())["fields"]
    user = (await person.get_me())["user"]
    assert (user["alerts_enabled"], user["alert_time"]) == (True, "06:45")


async def test_cancelling_reminder_zero_is_404_like_any_unknown_id(sign_in: SignIn) -> None:
    person = await sign_in("TA", "U1")

    for reminder_id in (0, 999, 2**31):
        response = await person.send("DELETE", f"/api/me/reminders/{reminder_id}")
        assert response.status_code == 404, reminder_id


async def test_no_cookie_at_all_is_asked_to_sign_in_not_told_it_ended(app: Quart) -> None:
    response = await app.test_client().get("/api/me", scheme="https")

    assert response.status_code == 401
    detail = (await response.get_json())["detail"]
    assert detail.startswith("Please sign in") and "ended" not in detail


async def test_a_cookie_that_no_longer_verifies_is_told_the_session_ended(app: Quart) -> None:
    auth: QuartAuth = app.extensions["QUART_AUTH"][0]
    response = await app.test_client().get(
        "/api/me", headers={"Cookie": f"{auth.cookie_name}=forged.value"}, scheme="https"
    )

    assert response.status_code == 401
    assert "ended" in (await response.get_json())["detail"]


async def _set(person: Person, key: Any, value: Any) -> Any:
    return await person.send("POST", "/api/me/settings", json={"key": key, "value": value})


async def test_config_keys_are_stored_in_lower_case_as_chat_stores_them(sign_in: SignIn) -> None:
    person = await sign_in("TA", "U1")

    assert (await _set(person, "Theme", "dark")).status_code == 200
    assert (await person.get_me())["user"]["settings"] == {"theme": "dark"}
    removed = await person.send("DELETE", "/api/me/settings/THEME")
    assert removed.status_code == 200, await removed.get_data(as_text=True)
    assert (await person.get_me())["user"]["settings"] == {}


@pytest.mark.parametrize(
    ("key", "value", "field", "said"),
    [
        ("k" * (user_settings.MAX_KEY_LENGTH + 1), "v", "key", "1 to 40"),
        ("note", "v" * (user_settings.MAX_VALUE + 1), "value", "at most 200"),
        ("units", "metric", "key", "“Units” field"),
        ("Timezone", "Europe/Paris", "key", "“Time zone” field"),
        ("location", "Paris", "key", "“Location” field"),
        (5, "v", "key", "as text"),
    ],
)
async def test_config_obeys_chats_rules(
    sign_in: SignIn, key: Any, value: str, field: str, said: str
) -> None:
    person = await sign_in("TA", "U1")

    response = await _set(person, key, value)

    assert response.status_code == 422
    assert said in (await response.get_json())["fields"][field]
    assert (await person.get_me())["user"]["settings"] == {}


async def test_config_has_chats_cap_on_keys(sign_in: SignIn, data: DataServiceClient) -> None:
    person = await sign_in("TA", "U1")
    for index in range(user_settings.MAX_KEYS):
        await data.set_my_setting(person.session_id, f"k{index}", "v")

    response = await _set(person, "one.more", "v")

    assert response.status_code == 422
    assert "50 settings already" in (await response.get_json())["fields"]["key"]
    assert (await _set(person, "k0", "changed")).status_code == 200  # replacing is fine


async def test_only_the_units_chat_accepts_are_offered_or_saved(sign_in: SignIn) -> None:
    person = await sign_in("TA", "U1")
    page = await (await person.send("GET", "/dashboard", page=False)).get_data(as_text=True)

    response = await person.send("PATCH", "/api/me", json={"units": "standard"})

    assert 'value="standard"' not in page and 'value="imperial"' in page
    assert response.status_code == 422
    assert (await person.get_me())["user"]["units"] == "metric"


async def test_htmx_settles_no_style_attribute_and_injects_no_style(sign_in: SignIn) -> None:
    """Our CSP allows no inline style: htmx 2 must neither copy ``style`` while settling nor
    add its indicator ``<style>`` (its defaults do both)."""
    person = await sign_in("TA", "U1")
    page = await (await person.send("GET", "/dashboard", page=False)).get_data(as_text=True)

    meta = page.split('<meta name="htmx-config" content=\'', 1)[1].split("'>", 1)[0]
    config = json.loads(meta)
    assert config["includeIndicatorStyles"] is False
    assert "style" not in config["attributesToSettle"]
