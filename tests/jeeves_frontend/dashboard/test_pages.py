"""What a person sees: security headers on every answer, CORS only for the configured origins,
and every error (invalid input, the Data Service down, too many requests) as a message, never
a stack trace or a 5xx for their input."""

from __future__ import annotations

import aiohttp
import pytest
from pydantic import ValidationError
from quart import Quart, session

from jeeves_frontend.settings import FrontendSettings
from jeeves_shared.dataclient import DataServiceClient
from tests.jeeves_frontend.dashboard.conftest import (
    Person,
    SignIn,
    assert_secure_headers,
    front_door,
    unused_token,
)
from tests.support.rabbitmq import free_port

HTMX = {"HX-Request": "true"}
TOOLS = "https://tools.example"


async def test_every_answer_carries_the_security_headers(app: Quart, sign_in: SignIn) -> None:
    person = await sign_in("TA", "U1")
    anonymous = app.test_client()
    for path in (
        "/dashboard",
        "/dashboard?signed_out=1",
        "/api/me",
        "/healthz",
        "/nowhere",
        "/static/dashboard.css",
        "/static/htmx-2.0.11.min.js",
    ):
        response = await anonymous.get(path)
        assert_secure_headers(response.headers, path)
    for method, path in (
        ("GET", "/dashboard"),
        ("GET", "/api/me"),
        ("PATCH", "/api/me"),
        ("GET", "/api/me/reminders"),
        ("POST", "/dashboard/sign-out"),
    ):
        response = await person.send(method, path, json={})
        assert_secure_headers(response.headers, path)
        if path.startswith(("/dashboard", "/api/me")):
            assert response.headers["Cache-Control"] == "no-store", path


async def test_slack_and_probes_are_not_rate_limited_per_address(app: Quart) -> None:
    """Slack sends every workspace's events from a few addresses: the dashboard's per-address
    limits must not reach them (nor the kubelet's probes), while the answers keep the headers."""
    client = app.test_client()
    for method, path in (
        ("POST", "/slack/events"),
        ("POST", "/slack/commands"),
        ("GET", "/healthz"),
        ("GET", "/readyz"),
    ):
        response = await client.open(path, method=method)
        assert response.status_code < 500, path
        limits = [name for name, _ in response.headers.items() if name.startswith("RateLimit")]
        assert limits == [], path
        assert_secure_headers(response.headers, path)
    sign_in_page = await client.post("/dashboard/dev/sign-in")
    assert "RateLimit-Limit" in sign_in_page.headers  # the dashboard's limits still apply


async def test_quarts_own_cookie_session_is_not_used(app: Quart) -> None:
    """The dashboard's session is quart-auth's cookie and a Data Service row; Quart's cookie
    session stays a null one that refuses writes, and no answer sets its cookie."""
    async with app.test_request_context("/dashboard"):
        with pytest.raises(RuntimeError):
            session["x"] = 1
    response = await app.test_client().get("/dashboard")
    assert "session=" not in response.headers.get("Set-Cookie", "")


async def test_the_page_runs_no_inline_script_and_labels_every_control(
    sign_in: SignIn,
) -> None:
    person = await sign_in("TA", "U1")
    page = await (await person.send("GET", "/dashboard", page=False)).get_data(as_text=True)

    assert "<script>" not in page and " on" not in page.split("<body", 1)[1].split("=")[0]
    assert "htmx-2.0.11.min.js" in page and "cdn" not in page.lower()
    for control in (
        "location",
        "timezone",
        "alert-time",
        "setting-key",
        "setting-value",
        "reminder-text",
        "reminder-date",
        "reminder-time",
    ):
        assert f'<label for="{control}"' in page, control
    assert person.csrf_token in page


async def test_cors_is_off_unless_origins_are_configured(
    data: DataServiceClient, sign_in: SignIn
) -> None:
    closed = await sign_in("TA", "U1")
    response = await closed.send("GET", "/api/me", headers={"Origin": TOOLS}, page=False)
    assert "Access-Control-Allow-Origin" not in response.headers

    opened = front_door(data, dashboard_allowed_origins=TOOLS)
    person = await sign_in("TA", "U1", on=opened)
    allowed = await person.send("GET", "/api/me", headers={"Origin": TOOLS}, page=False)
    assert allowed.headers["Access-Control-Allow-Origin"] == TOOLS
    assert allowed.headers["Access-Control-Allow-Credentials"] == "true"
    other = await person.send(
        "GET", "/api/me", headers={"Origin": "https://evil.example"}, page=False
    )
    assert "Access-Control-Allow-Origin" not in other.headers
    change = await person.send(
        "PATCH", "/api/me", json={"units": "imperial"}, headers={"Origin": TOOLS}
    )
    assert change.status_code == 200


@pytest.mark.parametrize("origins", ["*", f"{TOOLS},*", "tools.example", "https://x.example/path"])
def test_a_wildcard_or_malformed_origin_is_refused_at_start(origins: str) -> None:
    with pytest.raises(ValidationError, match=r"credentialed \(cookie\) requests|not an origin"):
        FrontendSettings(dashboard_allowed_origins=origins)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"text": "tea", "date": "2020-01-01", "time": "09:00"}, "time", "That time has passed"),
        ({"text": "tea", "date": "2031-02-30", "time": "09:00"}, "date", "Choose a date"),
        ({"text": "tea", "date": "2031-06-01", "time": "25:00"}, "time", "24-hour time"),
        ({"text": "tea", "date": "9999-12-31", "time": "23:59"}, "date", "between the years"),
        ({"text": "tea", "date": "2031-03-30", "time": "02:30"}, "time", "does not exist"),
        ({"text": "", "date": "2031-06-01", "time": "09:00"}, "text", "Say what"),
        ({"text": "x" * 501, "date": "2031-06-01", "time": "09:00"}, "text", "at most 500"),
    ],
)
async def test_an_invalid_reminder_is_a_message_on_the_form(
    sign_in: SignIn, fields: dict[str, str], field: str, message: str
) -> None:
    person = await sign_in("TA", "U1")
    zone = await person.send("PATCH", "/api/me", json={"timezone": "Europe/Paris"})
    assert zone.status_code == 200

    fragment = await person.send("POST", "/api/me/reminders", form=fields, headers=HTMX)
    as_json = await person.send("POST", "/api/me/reminders", json=fields)

    assert fragment.status_code == 422
    html = await fragment.get_data(as_text=True)
    assert message in html and 'aria-invalid="true"' in html
    assert as_json.status_code == 422
    assert message in (await as_json.get_json())["fields"][field]
    listed = await person.send("GET", "/api/me/reminders", page=False)
    assert (await listed.get_json())["upcoming"] == []


@pytest.mark.parametrize(
    ("path", "method", "body"),
    [
        ("/api/me", "PATCH", {"timezone": "Mars/Olympus_Mons"}),
        ("/api/me", "PATCH", {"units": "furlongs"}),
        ("/api/me", "PATCH", {"location": "x" * 256}),
        ("/api/me/alerts", "PUT", {"enabled": "on", "time": "7am"}),
        ("/api/me/settings", "POST", {"key": "no spaces", "value": "v"}),
        ("/api/me/settings", "POST", {"key": "k", "value": "a\x00b"}),
    ],
)
async def test_bad_settings_are_422_with_what_to_fix(
    sign_in: SignIn, path: str, method: str, body: dict[str, str]
) -> None:
    person = await sign_in("TA", "U1")
    response = await person.send(method, path, json=body)
    assert response.status_code == 422
    assert (await response.get_json())["fields"]
    garbage = await person.send(
        method, path, data=b"[1, 2", headers={"Content-Type": "application/json"}
    )
    assert garbage.status_code == 422


async def test_when_the_data_service_is_down_the_page_says_so(app: Quart, sign_in: SignIn) -> None:
    person = await sign_in("TA", "U1")
    async with aiohttp.ClientSession() as http:
        nowhere = DataServiceClient(
            http, f"http://127.0.0.1:{free_port()}", unused_token, retries=0, timeout=1
        )
        down = front_door(nowhere)
        stranded = Person(down, person.cookie, person.session_id, 0, person.csrf_token)

        page = await stranded.send("GET", "/dashboard", page=False)
        htmx = await stranded.send("PATCH", "/api/me", json={"location": "X"}, headers=HTMX)
        api = await stranded.send("GET", "/api/me", page=False)
        sign_out = await stranded.send("POST", "/dashboard/sign-out", form={})

    text = await page.get_data(as_text=True)
    assert page.status_code == 503 and "cannot reach its data store" in text
    assert "Traceback" not in text
    assert htmx.status_code == 503 and htmx.headers["HX-Retarget"] == "#flash"
    assert (await api.get_json())["error"] == "temporarily_unavailable"
    assert sign_out.status_code == 503


async def test_too_many_changes_are_slowed_down_with_a_message(
    data: DataServiceClient, sign_in: SignIn
) -> None:
    app = front_door(data, dashboard_writes_per_minute=3)
    person = await sign_in("TA", "U1", on=app)
    statuses = [
        (await person.send("PUT", "/api/me/alerts", json={"enabled": False})).status_code
        for _ in range(3)
    ]
    assert statuses == [200] * 3
    refused = await person.send("PUT", "/api/me/alerts", json={"enabled": False}, headers=HTMX)
    assert refused.status_code == 429
    # The headers describe the limit that was hit, not the sign-in one.
    assert (refused.headers["RateLimit-Limit"], refused.headers["RateLimit-Remaining"]) == (
        "3",
        "0",
    )
    assert "Too many requests" in await refused.get_data(as_text=True)
    assert int(refused.headers["Retry-After"]) >= 1
    assert (await person.send("GET", "/api/me", page=False)).status_code == 200  # reads go on


async def test_a_person_sees_their_settings_and_reminders_on_the_page(sign_in: SignIn) -> None:
    person = await sign_in("TA", "U1")
    await person.send("PATCH", "/api/me", json={"location": "Lyon", "timezone": "Asia/Tokyo"})
    await person.send("POST", "/api/me/settings", json={"key": "greeting", "value": "Hullo"})
    made = await person.send(
        "POST",
        "/api/me/reminders",
        json={"text": "feed the newt", "date": "2031-06-01", "time": "09:00"},
    )
    assert (await made.get_json())["due_at"] == "2031-06-01T00:00:00Z"  # 09:00 in Tokyo

    page = await (await person.send("GET", "/dashboard", page=False)).get_data(as_text=True)

    assert 'value="Lyon"' in page and 'value="Asia/Tokyo"' in page
    assert "greeting" in page and "Hullo" in page
    assert "feed the newt" in page and "Sun 01 Jun 2031, 09:00" in page
