"""Calls the Data Service's tests make again and again, through the app's test client, and the
check of an answer against the OpenAPI document."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from openapi_schema_validator import OAS31Validator

from dataservice.app import openapi_bytes
from tests.support.dataservice_fixtures import Auth

if TYPE_CHECKING:
    from quart.typing import TestClientProtocol

#: The instant the scheduling and reminder tests start from.
NOW = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
DOCUMENT: dict[str, Any] = json.loads(openapi_bytes())


async def create_user(
    client: TestClientProtocol, auth: Auth, team: str = "T1", user: str = "U1", **extra: Any
) -> dict[str, Any]:
    """POST a get-or-create and return the user."""
    body = {"team_id": team, "slack_user_id": user, **extra}
    response = await client.post("/api/v1/users", json=body, headers=auth("users:write"))
    assert response.status_code in (200, 201), await response.get_data()
    result: dict[str, Any] = await response.get_json()
    return result


async def create_user_in(
    client: TestClientProtocol, auth: Auth, zone: str, **lookup: Any
) -> dict[str, Any]:
    """A new user living in time zone ``zone``."""
    user = await create_user(client, auth, **lookup)
    path = f"/api/v1/users/{user['id']}"
    response = await client.patch(path, json={"timezone": zone}, headers=auth("users:write"))
    assert response.status_code == 200
    result: dict[str, Any] = await response.get_json()
    return result


async def put_alerts(
    client: TestClientProtocol, auth: Auth, user_id: int, body: Any, **headers: str
) -> Any:
    """PUT the user's daily alert switch; the response."""
    return await client.put(
        f"/api/v1/users/{user_id}/alerts", json=body, headers={**auth("users:write"), **headers}
    )


def reminder_body(due_at: datetime | str = NOW + timedelta(hours=1), **extra: Any) -> Any:
    """A valid reminder creation body, due an hour after :data:`NOW` unless told."""
    when = due_at if isinstance(due_at, str) else due_at.isoformat()
    return {"text": "feed the newts", "due_at": when, "channel_id": "D123", **extra}


async def add_reminder(
    client: TestClientProtocol, auth: Auth, user_id: int, **body: Any
) -> dict[str, Any]:
    """POST a reminder for ``user_id`` and return it."""
    response = await client.post(
        f"/api/v1/users/{user_id}/reminders",
        json=reminder_body(**body),
        headers=auth("reminders:write"),
    )
    assert response.status_code == 201, await response.get_data()
    created: dict[str, Any] = await response.get_json()
    return created


async def claim(
    client: TestClientProtocol, auth: Auth, owner: str, now: datetime, **options: Any
) -> dict[str, Any]:
    """POST a schedule claim and return what it leased."""
    body = {"owner": owner, "now": now.isoformat(), **options}
    response = await client.post(
        "/api/v1/schedule/claim", json=body, headers=auth("schedule:claim")
    )
    assert response.status_code == 200, await response.get_data()
    claimed: dict[str, Any] = await response.get_json()
    return claimed


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
