"""The OpenAPI document is valid 3.1, and real answers match what it promises."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from openapi_spec_validator import validate as validate_spec

from tests.support.dataservice_api import DOCUMENT, check_against_document
from tests.support.dataservice_fixtures import ALL_SCOPES, Auth

if TYPE_CHECKING:
    from quart.typing import TestClientProtocol


def test_document_is_valid_openapi_3_1() -> None:
    validate_spec(DOCUMENT)
    assert DOCUMENT["openapi"] == "3.1.0"


def test_document_never_describes_a_token_in_an_answer() -> None:
    answers = {
        response["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        for operations in DOCUMENT["paths"].values()
        for operation in operations.values()
        for response in operation["responses"].values()
        if "content" in response
    }
    schemas = DOCUMENT["components"]["schemas"]
    assert {"User", "Workspace", "WorkspacePage", "WorkspaceBotToken"} <= answers
    for name in answers - {"WorkspaceBotToken"}:
        assert "bot_token" not in schemas[name].get("properties", {}), name
    assert "bot_token" not in schemas["Workspace"]["properties"]


async def test_real_answers_match_the_document(client: TestClientProtocol, auth: Auth) -> None:
    everything = auth(*ALL_SCOPES)
    holder = {**everything, "Idempotency-Key": "holder"}
    rival = {**everything, "Idempotency-Key": "rival"}
    action = {**everything, "Idempotency-Key": "action-1"}
    reminder = {"text": "tea", "due_at": "2030-01-01T00:00:00Z", "channel_id": "D1"}
    calls: list[tuple[str, str, dict[str, str], Any]] = [
        ("GET", "/healthz", {}, None),
        ("GET", "/readyz", {}, None),
        ("POST", "/api/v1/users", everything, {"team_id": "T1", "slack_user_id": "U1"}),
        ("POST", "/api/v1/users", everything, {"team_id": "T1", "slack_user_id": "U1"}),
        ("POST", "/api/v1/users", everything, {"team_id": "T1"}),
        ("POST", "/api/v1/users", {}, {"team_id": "T1", "slack_user_id": "U1"}),
        ("POST", "/api/v1/users", auth("users:read"), {"team_id": "T1", "slack_user_id": "U1"}),
        ("GET", "/api/v1/users/1", everything, None),
        ("GET", "/api/v1/users/1", {**everything, "If-None-Match": '"user-1-v1"'}, None),
        ("GET", "/api/v1/users/2", everything, None),
        ("GET", "/api/v1/workspaces/T1/users/U1", everything, None),
        ("GET", "/api/v1/users?limit=1", everything, None),
        ("GET", "/api/v1/users?limit=0", everything, None),
        ("PATCH", "/api/v1/users/1", everything, {"location": "Paris", "timezone": "Asia/Tokyo"}),
        (
            "PATCH",
            "/api/v1/users/1",
            {**everything, "If-Match": '"user-1-v1"'},
            {"units": "metric"},
        ),
        ("PATCH", "/api/v1/users/1", everything, {"units": "kelvin"}),
        ("PUT", "/api/v1/users/1/settings/lang", everything, {"value": "en"}),
        ("DELETE", "/api/v1/users/1/settings/lang", everything, None),
        ("DELETE", "/api/v1/users/1/settings/lang", everything, None),
        ("POST", "/api/v1/workspaces", everything, {"team_id": "T2", "bot_token": "xoxb-1-2"}),
        ("POST", "/api/v1/workspaces", everything, {"team_id": "T2"}),
        ("GET", "/api/v1/workspaces", everything, None),
        ("GET", "/api/v1/workspaces/T2", everything, None),
        ("GET", "/api/v1/workspaces/T2/bot-token", everything, None),
        ("GET", "/api/v1/workspaces/T1/bot-token", everything, None),
        ("PATCH", "/api/v1/workspaces/T2", everything, {"name": "Drones"}),
        ("PATCH", "/api/v1/workspaces/T2", {**everything, "If-Match": '"old"'}, {"name": "X"}),
        ("DELETE", "/api/v1/workspaces/T2", everything, None),
        ("DELETE", "/api/v1/workspaces/T2", everything, None),
        ("POST", "/api/v1/events/Ev1/claim", holder, None),
        ("POST", "/api/v1/events/bad%20id/claim", holder, {"lease_seconds": 60}),
        ("POST", "/api/v1/events/Ev2/claim", holder, {"lease_seconds": 60}),
        ("POST", "/api/v1/events/Ev2/claim", rival, {"lease_seconds": 60}),
        ("POST", "/api/v1/events/Ev2/claim", everything, {"lease_seconds": 60}),
        ("POST", "/api/v1/events/Ev2/done", rival, None),
        ("DELETE", "/api/v1/events/Ev2/claim", rival, None),
        ("POST", "/api/v1/events/Ev2/done", holder, None),
        ("POST", "/api/v1/events/Ev2/claim", rival, {"lease_seconds": 60}),
        ("DELETE", "/api/v1/events/Ev2/claim", holder, None),
        ("POST", "/api/v1/events/Ev2/done", everything, None),
        ("POST", "/api/v1/events/Ev3/done", holder, None),
        ("POST", "/api/v1/events/Ev3/claim", holder, {"lease_seconds": 60}),
        ("DELETE", "/api/v1/events/Ev3/claim", holder, None),
        ("DELETE", "/api/v1/events/Ev3/claim", everything, None),
        ("POST", "/api/v1/users/1/reminders", action, reminder),
        ("POST", "/api/v1/users/1/reminders", action, reminder),
        ("POST", "/api/v1/users/1/reminders", {**everything, "Idempotency-Key": "a b"}, reminder),
    ]
    statuses = set()
    for method, url, headers, body in calls:
        response = await client.open(url, method=method, headers=headers, json=body)
        statuses.add(response.status_code)
        check_against_document(
            method, url, response.status_code, await response.get_data(as_text=False)
        )

    assert statuses == {200, 201, 204, 304, 401, 403, 404, 409, 412, 422}
