"""Reminders as users see them: create, list pending, cancel, and the limit of 100 pending."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from tests.support.clock import WallClock
from tests.support.dataservice_api import NOW, add_reminder, create_user, reminder_body
from tests.support.dataservice_fixtures import Auth

if TYPE_CHECKING:
    from quart.typing import TestClientProtocol

READ = ("reminders:read",)
WRITE = ("reminders:write",)


async def pending_ids(client: TestClientProtocol, auth: Auth, user_id: int) -> list[int]:
    response = await client.get(f"/api/v1/users/{user_id}/reminders", headers=auth(*READ))
    assert response.status_code == 200
    return [reminder["id"] for reminder in (await response.get_json())["reminders"]]


async def test_create_then_list(client: TestClientProtocol, auth: Auth, clock: WallClock) -> None:
    clock.now = NOW
    user = await create_user(client, auth)

    response = await client.post(
        f"/api/v1/users/{user['id']}/reminders",
        json=reminder_body("2025-06-01T12:30:00+02:00", thread_ts="1712345678.123456"),
        headers=auth(*WRITE),
    )

    created = await response.get_json()
    assert response.status_code == 201
    assert created == {
        "id": created["id"],
        "user_id": user["id"],
        "text": "feed the newts",
        "due_at": "2025-06-01T10:30:00Z",
        "channel_id": "D123",
        "thread_ts": "1712345678.123456",
        "status": "pending",
        "created_at": "2025-06-01T09:00:00Z",
        "delivered_at": None,
    }
    listed = await client.get(f"/api/v1/users/{user['id']}/reminders", headers=auth(*READ))
    assert await listed.get_json() == {"reminders": [created]}


async def test_list_is_the_users_pending_reminders_soonest_first(
    client: TestClientProtocol, auth: Auth
) -> None:
    user = await create_user(client, auth)
    other = await create_user(client, auth, user="U2")
    late = await add_reminder(client, auth, user["id"], due_at=NOW + timedelta(days=2))
    soon = await add_reminder(client, auth, user["id"], due_at=NOW + timedelta(minutes=5))
    cancelled = await add_reminder(client, auth, user["id"])
    await add_reminder(client, auth, other["id"])
    await client.delete(
        f"/api/v1/users/{user['id']}/reminders/{cancelled['id']}", headers=auth(*WRITE)
    )

    assert await pending_ids(client, auth, user["id"]) == [soon["id"], late["id"]]
    assert len(await pending_ids(client, auth, other["id"])) == 1


async def test_an_unchanged_list_answers_304(client: TestClientProtocol, auth: Auth) -> None:
    user = await create_user(client, auth)
    await add_reminder(client, auth, user["id"])
    path = f"/api/v1/users/{user['id']}/reminders"
    first = await client.get(path, headers=auth(*READ))

    cached = await client.get(path, headers={**auth(*READ), "If-None-Match": first.headers["ETag"]})
    await add_reminder(client, auth, user["id"])
    changed = await client.get(
        path, headers={**auth(*READ), "If-None-Match": first.headers["ETag"]}
    )

    assert (cached.status_code, changed.status_code) == (304, 200)


async def test_a_user_without_reminders_has_an_empty_list(
    client: TestClientProtocol, auth: Auth
) -> None:
    user = await create_user(client, auth)

    response = await client.get(f"/api/v1/users/{user['id']}/reminders", headers=auth(*READ))

    assert await response.get_json() == {"reminders": []}


async def test_cancel_only_ones_own_pending_reminder(
    client: TestClientProtocol, auth: Auth
) -> None:
    mine = await create_user(client, auth)
    theirs = await create_user(client, auth, user="U2")
    reminder = await add_reminder(client, auth, mine["id"])
    path = f"/api/v1/users/{{}}/reminders/{reminder['id']}"

    by_someone_else = await client.delete(path.format(theirs["id"]), headers=auth(*WRITE))
    cancelled = await client.delete(path.format(mine["id"]), headers=auth(*WRITE))
    again = await client.delete(path.format(mine["id"]), headers=auth(*WRITE))
    unknown = await client.delete(f"/api/v1/users/{mine['id']}/reminders/999", headers=auth(*WRITE))

    assert (by_someone_else.status_code, cancelled.status_code) == (404, 204)
    assert await cancelled.get_data() == b""
    assert (again.status_code, unknown.status_code) == (404, 404)
    assert (await again.get_json())["error"] == "not_found"
    assert await pending_ids(client, auth, mine["id"]) == []


async def test_a_delivered_reminder_cannot_be_cancelled(
    client: TestClientProtocol, auth: Auth
) -> None:
    user = await create_user(client, auth)
    reminder = await add_reminder(client, auth, user["id"])
    done = await client.post(
        f"/api/v1/schedule/reminders/{reminder['id']}/done",
        json={"owner": "s1"},
        headers=auth("schedule:claim"),
    )

    cancel = await client.delete(
        f"/api/v1/users/{user['id']}/reminders/{reminder['id']}", headers=auth(*WRITE)
    )

    assert (done.status_code, cancel.status_code) == (200, 404)


async def test_unknown_user_is_404(client: TestClientProtocol, auth: Auth) -> None:
    create = await client.post(
        "/api/v1/users/4242/reminders", json=reminder_body(), headers=auth(*WRITE)
    )
    listing = await client.get("/api/v1/users/4242/reminders", headers=auth(*READ))
    cancel = await client.delete("/api/v1/users/4242/reminders/1", headers=auth(*WRITE))

    assert (create.status_code, listing.status_code, cancel.status_code) == (404, 404, 404)


async def test_at_most_100_pending_reminders_even_when_created_at_once(
    client: TestClientProtocol, auth: Auth
) -> None:
    user = await create_user(client, auth)
    path = f"/api/v1/users/{user['id']}/reminders"

    responses = await asyncio.gather(
        *(client.post(path, json=reminder_body(), headers=auth(*WRITE)) for _ in range(104))
    )

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] * 100 + [409] * 4
    refused = next(response for response in responses if response.status_code == 409)
    assert (await refused.get_json())["error"] == "too_many_reminders"
    assert len(await pending_ids(client, auth, user["id"])) == 100

    first = (await responses[0].get_json())["id"]
    await client.delete(f"{path}/{first}", headers=auth(*WRITE))
    assert (await client.post(path, json=reminder_body(), headers=auth(*WRITE))).status_code == 201


async def test_invalid_reminders_are_422(client: TestClientProtocol, auth: Auth) -> None:
    user = await create_user(client, auth)
    path = f"/api/v1/users/{user['id']}/reminders"
    cases: list[tuple[Any, list[str]]] = [
        (reminder_body(text=""), ["body", "text"]),
        (reminder_body(text="x" * 501), ["body", "text"]),
        (reminder_body(text="a\u0000b"), ["body", "text"]),
        (reminder_body("2025-06-01T12:00:00"), ["body", "due_at"]),  # no offset
        (reminder_body("2025-06-01"), ["body", "due_at"]),
        (reminder_body("1700000000"), ["body", "due_at"]),
        (reminder_body("tomorrow"), ["body", "due_at"]),
        (reminder_body("2025-02-30T12:00:00Z"), ["body", "due_at"]),
        (reminder_body("9999-12-31T23:00:00-05:00"), ["body", "due_at"]),
        (reminder_body(channel_id="C 1"), ["body", "channel_id"]),
        (reminder_body(thread_ts="yesterday"), ["body", "thread_ts"]),
        (reminder_body(status="delivered"), ["body", "status"]),
        ({"text": "x", "channel_id": "D1"}, ["body", "due_at"]),
    ]
    for body, loc in cases:
        response = await client.post(path, json=body, headers=auth(*WRITE))
        assert response.status_code == 422, body
        assert (await response.get_json())["details"][0]["loc"] == loc, body

    bad_ids = [
        await client.get("/api/v1/users/0/reminders", headers=auth(*READ)),
        await client.delete(f"{path}/abc", headers=auth(*WRITE)),
        await client.delete(f"{path}/0", headers=auth(*WRITE)),
    ]
    assert [response.status_code for response in bad_ids] == [422] * 3
    assert await pending_ids(client, auth, user["id"]) == []


async def test_a_long_text_and_far_dates_round_trip(client: TestClientProtocol, auth: Auth) -> None:
    user = await create_user(client, auth)
    text = "é" * 500  # characters, not bytes

    far = await add_reminder(client, auth, user["id"], text=text, due_at="8999-12-31T23:59:59Z")
    early = await add_reminder(client, auth, user["id"], due_at="1970-01-01T00:00:00+14:00")

    assert (far["text"], far["due_at"]) == (text, "8999-12-31T23:59:59Z")
    assert early["due_at"] == "1969-12-31T10:00:00Z"
    assert await pending_ids(client, auth, user["id"]) == [early["id"], far["id"]]


async def test_deleting_the_workspace_deletes_its_users_reminders(
    client: TestClientProtocol, auth: Auth
) -> None:
    user = await create_user(client, auth)
    await add_reminder(client, auth, user["id"])

    deleted = await client.delete("/api/v1/workspaces/T1", headers=auth("workspaces:write"))
    listing = await client.get(f"/api/v1/users/{user['id']}/reminders", headers=auth(*READ))

    assert (deleted.status_code, listing.status_code) == (204, 404)


# --- idempotent creation ------------------------------------------------------------------------


def keyed(auth: Auth, key: str) -> dict[str, str]:
    return {**auth(*WRITE), "Idempotency-Key": key}


async def test_a_creation_repeated_with_its_key_answers_the_same_reminder(
    client: TestClientProtocol, auth: Auth
) -> None:
    user = await create_user(client, auth)
    other = await create_user(client, auth, user="U2")
    path = "/api/v1/users/{}/reminders"

    first = await client.post(
        path.format(user["id"]), json=reminder_body(), headers=keyed(auth, "Ev1")
    )
    again = await client.post(
        path.format(user["id"]), json=reminder_body(text="changed"), headers=keyed(auth, "Ev1")
    )
    another_key = await client.post(
        path.format(user["id"]), json=reminder_body(), headers=keyed(auth, "Ev2")
    )
    another_user = await client.post(
        path.format(other["id"]), json=reminder_body(), headers=keyed(auth, "Ev1")
    )

    assert (first.status_code, again.status_code) == (201, 200)
    assert await again.get_json() == await first.get_json()  # as made; the new body is ignored
    assert (another_key.status_code, another_user.status_code) == (201, 201)
    assert len(await pending_ids(client, auth, user["id"])) == 2
    assert len(await pending_ids(client, auth, other["id"])) == 1


async def test_concurrent_creations_with_one_key_make_one_reminder(
    client: TestClientProtocol, auth: Auth
) -> None:
    user = await create_user(client, auth)
    path = f"/api/v1/users/{user['id']}/reminders"

    responses = await asyncio.gather(
        *(client.post(path, json=reminder_body(), headers=keyed(auth, "Ev1")) for _ in range(10))
    )

    assert sorted(response.status_code for response in responses) == [200] * 9 + [201]
    assert len({(await response.get_json())["id"] for response in responses}) == 1
    assert len(await pending_ids(client, auth, user["id"])) == 1


async def test_a_repeat_answers_the_reminder_even_when_full_or_cancelled(
    client: TestClientProtocol, auth: Auth
) -> None:
    user = await create_user(client, auth)
    path = f"/api/v1/users/{user['id']}/reminders"
    first = await client.post(path, json=reminder_body(), headers=keyed(auth, "k0"))
    made = await first.get_json()
    await asyncio.gather(*(add_reminder(client, auth, user["id"]) for _ in range(99)))

    full_repeat = await client.post(path, json=reminder_body(), headers=keyed(auth, "k0"))
    full_new = await client.post(path, json=reminder_body(), headers=keyed(auth, "k1"))
    await client.delete(f"{path}/{made['id']}", headers=auth(*WRITE))
    cancelled_repeat = await client.post(path, json=reminder_body(), headers=keyed(auth, "k0"))

    assert (full_repeat.status_code, full_new.status_code) == (200, 409)
    assert (await full_repeat.get_json())["id"] == made["id"]
    assert cancelled_repeat.status_code == 200
    assert await cancelled_repeat.get_json() == {**made, "status": "cancelled"}
    # the refused k1 left nothing behind: it can be used once there is room
    made_k1 = await client.post(path, json=reminder_body(), headers=keyed(auth, "k1"))
    assert made_k1.status_code == 201


async def test_bad_idempotency_keys_are_422(client: TestClientProtocol, auth: Auth) -> None:
    user = await create_user(client, auth)
    path = f"/api/v1/users/{user['id']}/reminders"

    for key in ("k" * 201, "with space", "é"):
        response = await client.post(path, json=reminder_body(), headers=keyed(auth, key))
        assert response.status_code == 422, key
        assert (await response.get_json())["details"][0]["loc"] == ["header", "Idempotency-Key"]
    longest = await client.post(path, json=reminder_body(), headers=keyed(auth, "k" * 200))
    assert longest.status_code == 201
