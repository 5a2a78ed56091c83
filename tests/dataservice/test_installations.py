"""Installations: upsert, lookup, deactivation and reactivation, token shapes, scopes, and
tokens kept out of answers, errors, logs and the OpenAPI document."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from structlog.testing import capture_logs

from dataservice.app import openapi_bytes
from dataservice.crypto import TokenCipher
from dataservice.db import open_database
from dataservice.models import Installation
from dataservice.queries import rotate_installation_tokens
from tests.support.clock import WallClock
from tests.support.dataservice_api import check_against_document, create_user
from tests.support.dataservice_fixtures import ENCRYPTION_KEY, Auth
from tests.support.fake_slack import FakeSlack
from tests.support.fake_slack_oauth import Grant
from tests.support.installations import (  # noqa: F401 - fixtures, found by name
    PLAIN,
    app,
    install_body,
    rotation,
    slack,
)

if TYPE_CHECKING:
    from quart.typing import TestClientProtocol

ROTATING = "xoxe.xoxb-1-MTIzNDU2Nzg5MC0xMjM0NTY3ODkw-abcdef"
REFRESH = "xoxe-1-My0xLTIzNDU2Nzg5MC0xMjM0NTY3ODkw"


async def save(client: TestClientProtocol, auth: Auth, **fields: Any) -> Any:
    response = await client.put(
        "/api/v1/installations", json=install_body(**fields), headers=auth("installations:write")
    )
    return response


async def lookup(client: TestClientProtocol, auth: Auth, query: str) -> Any:
    return await client.get(
        f"/api/v1/installations/lookup?{query}", headers=auth("installations:read")
    )


async def token_of(client: TestClientProtocol, auth: Auth, **key: Any) -> Any:
    body = {"team_id": "T1", **key}
    return await client.post(
        "/api/v1/installations/bot-token", json=body, headers=auth("installations:token")
    )


async def test_an_install_is_saved_without_showing_its_token(
    client: TestClientProtocol, auth: Auth
) -> None:
    response = await save(client, auth)
    body = await response.get_data()

    assert response.status_code == 200, body
    installation = await response.get_json()
    assert installation["team_id"] == "T1"
    assert installation["enterprise_id"] is None
    assert installation["active"] is True
    assert installation["bot_scopes"] == ["chat:write", "users:read"]
    assert PLAIN.encode() not in body
    check_against_document("PUT", "/api/v1/installations", 200, body)


@pytest.mark.parametrize("token", [PLAIN, ROTATING, "xoxb-17-a", "xoxe.xoxb-1-Zz9-"])
async def test_every_bot_token_shape_slack_issues_is_accepted(
    client: TestClientProtocol, auth: Auth, token: str
) -> None:
    rotation = {"bot_refresh_token": REFRESH, "bot_token_expires_at": "2030-01-01T00:00:00Z"}
    response = await save(client, auth, bot_token=token, **rotation)

    assert response.status_code == 200, await response.get_data()
    answer = await (await token_of(client, auth)).get_json()
    assert answer["token"] == token


@pytest.mark.parametrize(
    "token",
    [
        "xoxp-1234-5678",
        "xoxe.xoxp-1-abc",
        "xoxe-1-abc",
        "Bearer xoxb-1",
        "xoxb-1 2",
        "xoxb-7\u00e9",
    ],
)
async def test_other_tokens_are_refused_without_repeating_them(
    client: TestClientProtocol, auth: Auth, token: str
) -> None:
    response = await save(client, auth, bot_token=token)
    body = await response.get_data()

    assert response.status_code == 422
    assert token.encode() not in body
    assert (await response.get_json())["details"][0]["loc"] == ["body", "bot_token"]


@pytest.mark.parametrize(
    "fields",
    [
        {"bot_refresh_token": REFRESH},  # a refresh token without its expiry
        {"bot_token_expires_at": "2030-01-01T00:00:00Z"},
        {"team_id": None},  # neither a team nor an org-wide install
        {"enterprise_id": "E1", "is_enterprise_install": True},  # org-wide with a team
        {"bot_refresh_token": "xoxb-1-2", "bot_token_expires_at": "2030-01-01T00:00:00Z"},
    ],
)
async def test_inconsistent_installs_are_refused(
    client: TestClientProtocol, auth: Auth, fields: dict[str, Any]
) -> None:
    response = await save(client, auth, **fields)

    assert response.status_code == 422
    assert b"xoxb-1-2" not in await response.get_data()


async def test_saving_again_updates_and_keeps_the_install_time(
    client: TestClientProtocol, auth: Auth, clock: WallClock
) -> None:
    first = await (await save(client, auth)).get_json()
    clock.now = clock() + timedelta(minutes=5)
    again = await (
        await save(
            client,
            auth,
            bot_scopes=["chat:write"],
            bot_token=ROTATING + "x",
            bot_refresh_token=REFRESH,
            bot_token_expires_at="2030-01-01T00:00:00Z",
        )
    ).get_json()

    assert again["bot_scopes"] == ["chat:write"]
    assert again["installed_at"] == first["installed_at"]
    assert again["updated_at"] > first["updated_at"]
    assert (await (await token_of(client, auth)).get_json())["token"] == ROTATING + "x"


async def test_lookup_finds_the_exact_install_else_the_org_wide_one(
    client: TestClientProtocol, auth: Auth
) -> None:
    await save(client, auth, enterprise_id="E1", team_id=None, is_enterprise_install=True)
    await save(client, auth, enterprise_id="E1", team_id="T2", bot_user_id="UOTHERBOT")

    own = await (await lookup(client, auth, "enterprise_id=E1&team_id=T2")).get_json()
    org = await (await lookup(client, auth, "enterprise_id=E1&team_id=T3")).get_json()
    direct = await lookup(client, auth, "enterprise_id=E1&is_enterprise_install=true")
    missing = await lookup(client, auth, "team_id=T3")
    elsewhere = await lookup(client, auth, "enterprise_id=E2&team_id=T2")

    assert (own["team_id"], own["bot_user_id"]) == ("T2", "UOTHERBOT")
    assert (org["team_id"], org["is_enterprise_install"]) == (None, True)
    assert (await direct.get_json())["enterprise_id"] == "E1"
    assert missing.status_code == elsewhere.status_code == 404
    check_against_document("GET", "/api/v1/installations/lookup", 404, await missing.get_data())


async def test_an_uninstall_keeps_the_users_and_a_reinstall_reactivates(
    client: TestClientProtocol, auth: Auth, clock: WallClock
) -> None:
    await save(client, auth)
    user = await create_user(client, auth, team="T1", user="U1")
    await client.put(
        f"/api/v1/users/{user['id']}/settings/greeting",
        json={"value": "Good morning"},
        headers=auth("users:write"),
    )
    deactivate = {"team_id": "T1", "reason": "app_uninstalled"}
    headers = auth("installations:write")

    gone = await client.post("/api/v1/installations/deactivate", json=deactivate, headers=headers)
    again = await client.post(
        "/api/v1/installations/deactivate",
        json={**deactivate, "reason": "tokens_revoked"},
        headers=headers,
    )
    refused = await token_of(client, auth)
    clock.now = clock() + timedelta(hours=1)
    back = await (await save(client, auth)).get_json()
    users = await client.get("/api/v1/workspaces/T1/users/U1", headers=auth("users:read"))

    inactive = await gone.get_json()
    assert (inactive["active"], inactive["inactive_reason"]) == (False, "app_uninstalled")
    assert inactive["uninstalled_at"] is not None
    assert (await again.get_json())["inactive_reason"] == "app_uninstalled"  # the first stays
    assert refused.status_code == 409
    assert (await refused.get_json())["error"] == "installation_inactive"
    assert (back["active"], back["uninstalled_at"], back["inactive_reason"]) == (True, None, None)
    assert back["installed_at"] > inactive["installed_at"]
    assert (await users.get_json())["settings"] == {"greeting": "Good morning"}
    assert (await token_of(client, auth)).status_code == 200


async def test_deactivating_drops_the_tokens_from_the_database(
    client: TestClientProtocol, auth: Auth, database_url: str
) -> None:
    await save(
        client,
        auth,
        bot_token=ROTATING,
        bot_refresh_token=REFRESH,
        bot_token_expires_at="2030-01-01T00:00:00Z",
    )
    await client.post(
        "/api/v1/installations/deactivate",
        json={"team_id": "T1", "reason": "tokens_revoked"},
        headers=auth("installations:write"),
    )
    database = open_database(database_url, pool_size=1)
    try:
        async with database.engine.connect() as conn:
            row = (await conn.execute(select(Installation))).one()
    finally:
        await database.dispose()

    assert row.bot_token_encrypted is None
    assert row.bot_refresh_token_encrypted is None


async def test_deactivating_an_unknown_installation_is_404(
    client: TestClientProtocol, auth: Auth
) -> None:
    response = await client.post(
        "/api/v1/installations/deactivate",
        json={"team_id": "T9", "reason": "app_uninstalled"},
        headers=auth("installations:write"),
    )
    assert response.status_code == 404
    assert (await token_of(client, auth, team_id="T9")).status_code == 404


async def test_tokens_are_encrypted_at_rest_and_rotate_to_a_new_key(
    client: TestClientProtocol, auth: Auth, database_url: str
) -> None:
    await save(
        client,
        auth,
        bot_token=ROTATING,
        bot_refresh_token=REFRESH,
        bot_token_expires_at="2030-01-01T00:00:00Z",
    )
    database = open_database(database_url, pool_size=1)
    try:
        async with database.engine.connect() as conn:
            row = (await conn.execute(select(Installation))).one()
        rotated_key = Fernet.generate_key().decode()
        async with database.engine.begin() as conn:
            count = await rotate_installation_tokens(
                conn, cipher=TokenCipher([rotated_key, ENCRYPTION_KEY])
            )
        async with database.engine.connect() as conn:
            after = (await conn.execute(select(Installation))).one()
    finally:
        await database.dispose()

    assert (
        ROTATING not in row.bot_token_encrypted and REFRESH not in row.bot_refresh_token_encrypted
    )
    assert TokenCipher([ENCRYPTION_KEY]).decrypt(row.bot_token_encrypted) == ROTATING
    assert count == 1
    assert TokenCipher([rotated_key]).decrypt(after.bot_refresh_token_encrypted) == REFRESH


@pytest.mark.parametrize(
    ("method", "path", "granted"),
    [
        ("PUT", "/api/v1/installations", "installations:read"),
        ("GET", "/api/v1/installations/lookup?team_id=T1", "installations:token"),
        ("POST", "/api/v1/installations/deactivate", "installations:read"),
        ("POST", "/api/v1/installations/bot-token", "installations:write"),
        ("POST", "/api/v1/installations/bot-token", "workspaces:tokens"),
    ],
)
async def test_each_operation_needs_its_own_scope(
    client: TestClientProtocol, auth: Auth, method: str, path: str, granted: str
) -> None:
    await save(client, auth)
    body = {"team_id": "T1", "reason": "x"} if "deactivate" in path else install_body()
    if path.endswith("bot-token"):
        body = {"team_id": "T1"}
    response = await client.open(
        path, method=method, json=None if method == "GET" else body, headers=auth(granted)
    )

    assert response.status_code == 403
    assert PLAIN.encode() not in await response.get_data()


async def test_the_token_answer_is_never_stored_on_the_way(
    client: TestClientProtocol, auth: Auth
) -> None:
    await save(client, auth)
    response = await token_of(client, auth)

    assert response.headers["Cache-Control"] == "no-store"
    check_against_document(
        "POST", "/api/v1/installations/bot-token", 200, await response.get_data()
    )


async def test_no_token_reaches_a_log_line(
    client: TestClientProtocol,
    auth: Auth,
    slack: FakeSlack,  # noqa: F811 - the fixture
) -> None:
    answer = slack.oauth.issue(Grant(team_id="T1", expires_in=30))
    with capture_logs() as logs:
        await save(client, auth, **rotation(answer))
        refreshed = await (await token_of(client, auth, min_valid_seconds=600)).get_json()
        await client.post(
            "/api/v1/installations/deactivate",
            json={"team_id": "T1", "reason": "tokens_revoked"},
            headers=auth("installations:write"),
        )
    text = repr(logs)

    assert any(log["event"] == "installation.token_refreshed" for log in logs)
    for secret in (answer["access_token"], answer["refresh_token"], refreshed["token"]):
        assert secret not in text


def test_the_openapi_document_shows_no_token() -> None:
    document = openapi_bytes()

    assert b"xoxb-1" not in document and b"xoxe-1" not in document
    assert b'"example' not in document


async def test_deactivating_a_workspace_of_an_org_leaves_the_org_install_alone(
    client: TestClientProtocol, auth: Auth
) -> None:
    await save(client, auth, enterprise_id="E1", team_id=None, is_enterprise_install=True)

    workspace = await client.post(
        "/api/v1/installations/deactivate",
        json={"enterprise_id": "E1", "team_id": "T2", "reason": "team_access_revoked"},
        headers=auth("installations:write"),
    )
    org = await client.post(
        "/api/v1/installations/deactivate",
        json={"enterprise_id": "E1", "is_enterprise_install": True, "reason": "app_uninstalled"},
        headers=auth("installations:write"),
    )

    assert workspace.status_code == 404
    assert (await org.get_json())["active"] is False
