"""Calls to the Data Service's API through Quart's test client, as its test modules make them.

Each helper asserts that its call succeeded, so a test reads as the story it tells;
:func:`check_against_document` holds an answer to the OpenAPI document the app serves.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from openapi_schema_validator import OAS31Validator

from dataservice.app import openapi_bytes

if TYPE_CHECKING:
    from quart.typing import TestClientProtocol

#: The ``auth`` fixture: headers carrying a token with the scopes given.
Auth = Callable[..., dict[str, str]]

USERS_WRITE = ("users:write",)
REMINDERS_WRITE = ("reminders:write",)
SCHEDULE_CLAIM = ("schedule:claim",)
#: The instant reminders are due around, unless a test says otherwise.
NOW = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)


async def create_user(
    client: TestClientProtocol, auth: Auth, team: str = "T1", user: str = "U1", **extra: Any
) -> dict[str, Any]:
    """POST a get-or-create and return the user."""
    body = {"team_id": team, "slack_user_id": user, **extra}
    response = await client.post("/api/v1/users", json=body, headers=auth(*USERS_WRITE))
    assert response.status_code in (200, 201), await response.get_data()
    result: dict[str, Any] = await response.get_json()
    return result


async def create_user_in(
    client: TestClientProtocol, auth: Auth, zone: str, **lookup: Any
) -> dict[str, Any]:
    """A new user living in time zone ``zone``."""
    user = await create_user(client, auth, **lookup)
    path = f"/api/v1/users/{user['id']}"
    response = await client.patch(path, json={"timezone": zone}, headers=auth(*USERS_WRITE))
    assert response.status_code == 200
    result: dict[str, Any] = await response.get_json()
    return result


async def put_alerts(
    client: TestClientProtocol, auth: Auth, user_id: int, body: Any, **headers: str
) -> Any:
    """PUT ``body`` as ``user_id``'s alert settings and return the response, whatever it is."""
    return await client.put(
        f"/api/v1/users/{user_id}/alerts", json=body, headers={**auth(*USERS_WRITE), **headers}
    )


def reminder_body(due_at: datetime | str = NOW + timedelta(hours=1), **extra: Any) -> Any:
    """A reminder's JSON body, due an hour after :data:`NOW` unless ``due_at`` says otherwise."""
    when = due_at if isinstance(due_at, str) else due_at.isoformat()
    return {"text": "feed the newts", "due_at": when, "channel_id": "D123", **extra}


async def add_reminder(
    client: TestClientProtocol, auth: Auth, user_id: int, **body: Any
) -> dict[str, Any]:
    """POST a reminder for ``user_id`` and return it."""
    response = await client.post(
        f"/api/v1/users/{user_id}/reminders",
        json=reminder_body(**body),
        headers=auth(*REMINDERS_WRITE),
    )
    assert response.status_code == 201, await response.get_data()
    created: dict[str, Any] = await response.get_json()
    return created


async def claim(
    client: TestClientProtocol, auth: Auth, owner: str, now: datetime, **options: Any
) -> dict[str, Any]:
    """POST a claim and return what it leased."""
    body = {"owner": owner, "now": now.isoformat(), **options}
    response = await client.post("/api/v1/schedule/claim", json=body, headers=auth(*SCHEDULE_CLAIM))
    assert response.status_code == 200, await response.get_data()
    claimed: dict[str, Any] = await response.get_json()
    return claimed


#: The OpenAPI document the app serves, parsed.
DOCUMENT: dict[str, Any] = json.loads(openapi_bytes())


def operation_for(method: str, url: str) -> tuple[str, dict[str, Any]]:
    """The documented path template and operation serving ``method url``."""
    path = urlsplit(url).path
    for template, operations in DOCUMENT["paths"].items():
        pattern = "^" + re.sub(r"{\w+}", "[^/]+", template) + "$"
        if re.match(pattern, path) and method.lower() in operations:
            return template, operations[method.lower()]
    raise AssertionError(f"{method} {path} is not documented")


def check_against_document(method: str, url: str, status: int, body: bytes) -> None:
    """Assert the status is documented for the operation and the body matches its schema."""
    template, operation = operation_for(method, url)
    documented = operation["responses"].get(str(status))
    assert documented is not None, f"{method} {template} answered undocumented {status}"
    content = documented.get("content")
    if content is None:
        assert body == b"", f"{method} {template} {status} has an undocumented body"
        return
    schema = {**content["application/json"]["schema"], "components": DOCUMENT["components"]}
    OAS31Validator(schema).validate(json.loads(body))
