"""HTTP caching: ETag and If-None-Match (304), If-Match (412), gzip of large answers."""

from __future__ import annotations

import gzip
import json
from typing import TYPE_CHECKING

from tests.support.dataservice_api import create_user
from tests.support.dataservice_fixtures import Auth

if TYPE_CHECKING:
    from quart.typing import TestClientProtocol

READ = ("users:read",)
WRITE = ("users:write",)


async def test_if_none_match_answers_304_until_the_user_changes(
    client: TestClientProtocol, auth: Auth
) -> None:
    user = await create_user(client, auth)
    path = f"/api/v1/users/{user['id']}"
    first = await client.get(path, headers=auth(*READ))
    etag = first.headers["ETag"]

    cached = await client.get(path, headers={**auth(*READ), "If-None-Match": etag})
    weak = await client.get(path, headers={**auth(*READ), "If-None-Match": f"W/{etag}"})
    await client.patch(path, json={"units": "imperial"}, headers=auth(*WRITE))
    changed = await client.get(path, headers={**auth(*READ), "If-None-Match": etag})

    assert first.headers["Cache-Control"] == "private, no-cache"
    assert (cached.status_code, weak.status_code) == (304, 304)
    assert await cached.get_data() == b""
    assert cached.headers["ETag"] == etag
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


async def test_lists_get_a_content_etag(client: TestClientProtocol, auth: Auth) -> None:
    await create_user(client, auth)
    first = await client.get("/api/v1/users", headers=auth(*READ))

    cached = await client.get(
        "/api/v1/users", headers={**auth(*READ), "If-None-Match": first.headers["ETag"]}
    )
    await create_user(client, auth, user="U2")
    changed = await client.get(
        "/api/v1/users", headers={**auth(*READ), "If-None-Match": first.headers["ETag"]}
    )

    assert cached.status_code == 304
    assert changed.status_code == 200


async def test_if_match_with_the_current_etag_writes(
    client: TestClientProtocol, auth: Auth
) -> None:
    user = await create_user(client, auth)
    path = f"/api/v1/users/{user['id']}"
    etag = (await client.get(path, headers=auth(*READ))).headers["ETag"]

    response = await client.patch(
        path, json={"location": "Paris"}, headers={**auth(*WRITE), "If-Match": etag}
    )
    star = await client.patch(
        path, json={"location": "Rome"}, headers={**auth(*WRITE), "If-Match": "*"}
    )

    assert (response.status_code, star.status_code) == (200, 200)


async def test_a_stale_if_match_is_412_and_changes_nothing(
    client: TestClientProtocol, auth: Auth
) -> None:
    user = await create_user(client, auth)
    path = f"/api/v1/users/{user['id']}"
    stale = (await client.get(path, headers=auth(*READ))).headers["ETag"]
    await client.patch(path, json={"location": "Paris"}, headers=auth(*WRITE))

    attempts = [
        await client.patch(path, json={"location": "Rome"}, headers={**auth(*WRITE), h: v})
        for h, v in [
            ("If-Match", stale),
            ("If-Match", f"W/{stale}"),  # weak tags never match If-Match
            ("If-Match", '"user-999-v2"'),  # another user's tag
            ("If-Match", '"garbage"'),
            ("If-Match", f"{stale} {stale}"),  # malformed: never an unconditional write
            ("If-Match", '""'),
        ]
    ]
    setting = await client.put(
        f"{path}/settings/k", json={"value": "v"}, headers={**auth(*WRITE), "If-Match": stale}
    )
    unset = await client.delete(f"{path}/settings/k", headers={**auth(*WRITE), "If-Match": stale})

    assert [r.status_code for r in attempts] == [412] * 6
    assert (setting.status_code, unset.status_code) == (412, 412)
    assert (await attempts[0].get_json())["error"] == "precondition_failed"
    current = await (await client.get(path, headers=auth(*READ))).get_json()
    assert (current["location"], current["settings"]) == ("Paris", {})


async def test_if_match_on_a_missing_user_is_404(client: TestClientProtocol, auth: Auth) -> None:
    response = await client.patch(
        "/api/v1/users/77", json={"units": "metric"}, headers={**auth(*WRITE), "If-Match": '"x"'}
    )
    assert response.status_code == 404


async def test_workspace_if_match(client: TestClientProtocol, auth: Auth) -> None:
    headers = auth("workspaces:write", "workspaces:read")
    created = await client.post("/api/v1/workspaces", json={"team_id": "T1"}, headers=headers)
    etag = created.headers["ETag"]
    await client.patch("/api/v1/workspaces/T1", json={"name": "New"}, headers=headers)

    stale_patch = await client.patch(
        "/api/v1/workspaces/T1", json={"name": "Old"}, headers={**headers, "If-Match": etag}
    )
    stale_delete = await client.delete(
        "/api/v1/workspaces/T1", headers={**headers, "If-Match": etag}
    )
    current = (await client.get("/api/v1/workspaces/T1", headers=headers)).headers["ETag"]
    fresh_delete = await client.delete(
        "/api/v1/workspaces/T1", headers={**headers, "If-Match": current}
    )

    assert (stale_patch.status_code, stale_delete.status_code) == (412, 412)
    assert fresh_delete.status_code == 204


async def test_large_answers_are_gzipped_for_clients_that_accept_it(
    client: TestClientProtocol, auth: Auth
) -> None:
    for n in range(20):
        await create_user(client, auth, user=f"U{n}", display_name="Bertram Wooster")

    plain = await client.get("/api/v1/users", headers=auth(*READ))
    zipped = await client.get("/api/v1/users", headers={**auth(*READ), "Accept-Encoding": "gzip"})

    assert "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    compressed = await zipped.get_data(as_text=False)
    assert len(compressed) < len(await plain.get_data()) / 3
    assert json.loads(gzip.decompress(compressed)) == await plain.get_json()
    assert zipped.headers["ETag"] == plain.headers["ETag"]


async def test_small_answers_are_not_gzipped(client: TestClientProtocol, auth: Auth) -> None:
    user = await create_user(client, auth)

    response = await client.get(
        f"/api/v1/users/{user['id']}", headers={**auth(*READ), "Accept-Encoding": "gzip"}
    )

    assert "Content-Encoding" not in response.headers
    assert response.headers["Vary"] == "Accept-Encoding"
