"""Workspaces: CRUD, tokens encrypted at rest and never shown but to ``workspaces:tokens``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from dataservice.crypto import TokenCipher
from dataservice.db import open_database
from dataservice.models import Workspace
from dataservice.queries import rotate_bot_tokens
from tests.support.dataservice_fixtures import ENCRYPTION_KEY, Auth

if TYPE_CHECKING:
    from quart.typing import TestClientProtocol

READ = ("workspaces:read",)
WRITE = ("workspaces:write",)
TOKEN = "xoxb-1234-5678-secretsecret"
INSTALL = {
    "team_id": "T1",
    "name": "Drones Club",
    "bot_user_id": "U0BOT",
    "bot_id": "B0BOT",
    "bot_token": TOKEN,
    "scopes": ["chat:write", "app_mentions:read"],
}


async def create_workspace(client: TestClientProtocol, auth: Auth, **body: Any) -> dict[str, Any]:
    """POST a workspace (the defaults above, overridden by ``body``)."""
    response = await client.post(
        "/api/v1/workspaces", json={**INSTALL, **body}, headers=auth(*WRITE)
    )
    assert response.status_code == 201, await response.get_data()
    result: dict[str, Any] = await response.get_json()
    return result


async def raw_token_column(database_url: str, team_id: str) -> str | None:
    """What the database really stores in place of the token."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            stmt = select(Workspace.bot_token_encrypted).where(Workspace.team_id == team_id)
            value: str | None = (await conn.execute(stmt)).scalar_one()
            return value
    finally:
        await engine.dispose()


async def test_create_and_read_never_show_the_token(client: TestClientProtocol, auth: Auth) -> None:
    created = await create_workspace(client, auth)
    read = await client.get("/api/v1/workspaces/T1", headers=auth(*READ))
    listed = await client.get("/api/v1/workspaces", headers=auth(*READ))

    assert read.status_code == listed.status_code == 200
    assert created == await read.get_json()
    assert created["has_bot_token"] is True
    assert created["name"] == "Drones Club"
    assert created["is_installed"] is True
    for response in (read, listed):
        text = await response.get_data(as_text=True)
        assert TOKEN not in text
        assert '"bot_token"' not in text
        assert "encrypted" not in text


async def test_token_is_encrypted_at_rest(
    client: TestClientProtocol, auth: Auth, database_url: str
) -> None:
    await create_workspace(client, auth)

    stored = await raw_token_column(database_url, "T1")

    assert stored is not None
    assert TOKEN not in stored
    assert "secretsecret" not in stored
    assert Fernet(ENCRYPTION_KEY.encode()).decrypt(stored.encode()).decode() == TOKEN


async def test_token_scope_reads_the_decrypted_token(
    client: TestClientProtocol, auth: Auth
) -> None:
    await create_workspace(client, auth)

    response = await client.get(
        "/api/v1/workspaces/T1/bot-token", headers=auth("workspaces:tokens")
    )
    forbidden = await client.get(
        "/api/v1/workspaces/T1/bot-token", headers=auth("workspaces:read", "workspaces:write")
    )

    assert response.status_code == 200
    assert await response.get_json() == {"team_id": "T1", "bot_token": TOKEN}
    assert response.headers["Cache-Control"] == "no-store"
    assert "ETag" not in response.headers
    assert forbidden.status_code == 403


async def test_missing_token_or_workspace_is_404(client: TestClientProtocol, auth: Auth) -> None:
    await create_workspace(client, auth, team_id="T2", bot_token=None)

    no_token = await client.get(
        "/api/v1/workspaces/T2/bot-token", headers=auth("workspaces:tokens")
    )
    no_workspace = await client.get("/api/v1/workspaces/T9", headers=auth(*READ))

    assert no_token.status_code == no_workspace.status_code == 404


async def test_duplicate_team_is_409(client: TestClientProtocol, auth: Auth) -> None:
    await create_workspace(client, auth)

    again = await client.post("/api/v1/workspaces", json=INSTALL, headers=auth(*WRITE))

    assert again.status_code == 409
    assert (await again.get_json())["error"] == "conflict"


async def test_update_rotates_the_token_and_deletes(
    client: TestClientProtocol, auth: Auth, database_url: str
) -> None:
    await create_workspace(client, auth)
    before = await raw_token_column(database_url, "T1")

    updated = await client.patch(
        "/api/v1/workspaces/T1",
        json={"bot_token": "xoxb-new-token", "is_active": False, "scopes": ["chat:write"]},
        headers=auth(*WRITE),
    )
    body = await updated.get_json()
    assert updated.status_code == 200
    assert (body["is_active"], body["scopes"], body["version"]) == (False, ["chat:write"], 2)
    assert await raw_token_column(database_url, "T1") != before
    token = await client.get("/api/v1/workspaces/T1/bot-token", headers=auth("workspaces:tokens"))
    assert (await token.get_json())["bot_token"] == "xoxb-new-token"

    cleared = await client.patch(
        "/api/v1/workspaces/T1", json={"bot_token": None}, headers=auth(*WRITE)
    )
    assert (await cleared.get_json())["has_bot_token"] is False

    deleted = await client.delete("/api/v1/workspaces/T1", headers=auth(*WRITE))
    assert deleted.status_code == 204
    gone = await client.get("/api/v1/workspaces/T1", headers=auth(*READ))
    assert gone.status_code == 404
    again = await client.delete("/api/v1/workspaces/T1", headers=auth(*WRITE))
    assert again.status_code == 404


async def test_deleting_a_workspace_deletes_its_users(
    client: TestClientProtocol, auth: Auth
) -> None:
    user = await client.post(
        "/api/v1/users", json={"team_id": "T1", "slack_user_id": "U1"}, headers=auth("users:write")
    )
    user_id = (await user.get_json())["id"]
    await client.put(
        f"/api/v1/users/{user_id}/settings/k", json={"value": "v"}, headers=auth("users:write")
    )

    deleted = await client.delete("/api/v1/workspaces/T1", headers=auth(*WRITE))

    assert deleted.status_code == 204
    assert (
        await client.get(f"/api/v1/users/{user_id}", headers=auth("users:read"))
    ).status_code == 404


async def test_user_get_or_create_records_an_uninstalled_workspace(
    client: TestClientProtocol, auth: Auth
) -> None:
    await client.post(
        "/api/v1/users", json={"team_id": "T7", "slack_user_id": "U1"}, headers=auth("users:write")
    )

    workspace = await (await client.get("/api/v1/workspaces/T7", headers=auth(*READ))).get_json()

    assert (workspace["is_installed"], workspace["has_bot_token"]) == (False, False)


async def test_invalid_workspaces_are_422(client: TestClientProtocol, auth: Auth) -> None:
    cases = [
        {**INSTALL, "bot_token": "not-a-slack-token"},
        {**INSTALL, "team_id": ""},
        {**INSTALL, "scopes": "chat:write"},
        {**INSTALL, "scopes": ["Chat Write"]},
        {**INSTALL, "is_installed": None},
        {**INSTALL, "unexpected": 1},
    ]
    for body in cases:
        response = await client.post("/api/v1/workspaces", json=body, headers=auth(*WRITE))
        assert response.status_code == 422, body
        text = await response.get_data(as_text=True)
        assert "not-a-slack-token" not in text  # rejected secrets are not echoed back
    patch = await client.patch("/api/v1/workspaces/T1", json={"name": None}, headers=auth(*WRITE))
    assert patch.status_code == 422


async def test_workspace_list_pages(client: TestClientProtocol, auth: Auth) -> None:
    for n in range(3):
        await create_workspace(client, auth, team_id=f"T{n}")

    first = await (await client.get("/api/v1/workspaces?limit=2", headers=auth(*READ))).get_json()
    second = await (
        await client.get(
            f"/api/v1/workspaces?limit=2&cursor={first['next_cursor']}", headers=auth(*READ)
        )
    ).get_json()

    assert [w["team_id"] for w in first["items"] + second["items"]] == ["T0", "T1", "T2"]
    assert second["next_cursor"] is None


def test_cipher_rotation_reads_old_tokens_and_rewrites_with_the_new_key() -> None:
    old = TokenCipher([ENCRYPTION_KEY])
    stored = old.encrypt(TOKEN)
    new_key = Fernet.generate_key().decode()
    rotated_cipher = TokenCipher([new_key, ENCRYPTION_KEY])

    rotated = rotated_cipher.rotate(stored)

    assert rotated_cipher.decrypt(stored) == TOKEN
    assert TokenCipher([new_key]).decrypt(rotated) == TOKEN
    assert json.dumps(rotated).count(TOKEN) == 0


async def test_rotating_keys_re_encrypts_every_stored_token(
    client: TestClientProtocol, auth: Auth, database_url: str
) -> None:
    await create_workspace(client, auth, team_id="T1")
    await create_workspace(client, auth, team_id="T2", bot_token=None)
    new_key = Fernet.generate_key().decode()
    database = open_database(database_url, pool_size=1)
    try:
        async with database.engine.begin() as conn:
            rotated = await rotate_bot_tokens(conn, cipher=TokenCipher([new_key, ENCRYPTION_KEY]))
    finally:
        await database.dispose()

    stored = await raw_token_column(database_url, "T1")
    assert rotated == 1
    assert stored is not None
    assert TokenCipher([new_key]).decrypt(stored) == TOKEN
