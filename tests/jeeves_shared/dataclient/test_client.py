"""The workers' client, against the real Data Service served by Hypercorn on 127.0.0.1.

Transient failures (5xx, timeouts, dropped connections) come from a small scripted server on
127.0.0.1 (aioresponses 0.7.9 cannot build responses for aiohttp 3.14).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from structlog.testing import capture_logs

from jeeves_shared.auth.client import TokenClient
from jeeves_shared.dataclient import (
    Conflict,
    DataServiceClient,
    DataServiceUnavailable,
    DoneOutcome,
    InvalidRequest,
    LeaseOutcome,
    NotFound,
    PreconditionFailed,
    Unauthorized,
)
from tests.support.clock import WallClock
from tests.support.dataclient import Sleeps, make_client, token_of
from tests.support.postgres import free_port
from tests.support.tokens import TestIssuer

TOKEN = "xoxb-1-2-secret"
NOW = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)


async def test_users_round_trip(client: DataServiceClient) -> None:

    user = await client.get_or_create_user("T1", "U1", "Bertie")
    assert (user.id, user.display_name, user.etag) == (1, "Bertie", '"user-1-v1"')
    assert (await client.get_or_create_user("T1", "U1")).id == user.id
    assert await client.find_user("T1", "U1") == user
    assert await client.find_user("T1", "nobody") is None

    moved = await client.update_user(user.id, {"location": "Paris"}, if_match=user.etag)
    assert (moved.location, moved.version) == ("Paris", 2)
    with pytest.raises(PreconditionFailed):
        await client.update_user(user.id, {"location": "Rome"}, if_match=user.etag)

    with_setting = await client.set_setting(user.id, "greeting", "What ho")
    assert with_setting.settings == {"greeting": "What ho"}
    assert (await client.unset_setting(user.id, "greeting")).settings == {}
    with pytest.raises(NotFound):
        await client.unset_setting(user.id, "greeting")
    with pytest.raises(NotFound):
        await client.get_user(999)
    with pytest.raises(InvalidRequest) as invalid:
        await client.update_user(user.id, {"units": "cubits"})
    assert invalid.value.status == 422


async def test_listing_pages_through_everyone(client: DataServiceClient) -> None:
    for n in range(5):
        await client.get_or_create_user("T1", f"U{n}")

    page = await client.list_users(team_id="T1", limit=2)
    everyone = [user.slack_user_id async for user in client.iter_users(page_size=2)]

    assert (len(page.items), page.next_cursor) == (2, 2)
    assert everyone == [f"U{n}" for n in range(5)]


async def test_workspaces_and_bot_token(client: DataServiceClient) -> None:

    created = await client.create_workspace("T1", name="Drones", bot_token=TOKEN)
    with pytest.raises(Conflict):
        await client.create_workspace("T1")
    renamed = await client.update_workspace("T1", {"name": "Drones Club"}, if_match=created.etag)

    assert created.has_bot_token
    assert renamed.name == "Drones Club"
    assert await client.get_bot_token("T1") == TOKEN
    assert [w.team_id for w in (await client.list_workspaces()).items] == ["T1"]
    await client.delete_workspace("T1")
    with pytest.raises(NotFound):
        await client.get_workspace("T1")


def leased(status: str, **fields: object) -> LeaseOutcome:
    """The outcome of a lease on reply ``R1``."""
    return LeaseOutcome.model_validate({"event_id": "R1", "status": status, **fields})


async def test_reply_claims(client: DataServiceClient, clock: WallClock) -> None:
    clock.now = NOW

    mine, retried = await client.lease_replies([("R1", "a"), ("R1", "a")], lease_seconds=30)
    clock.now = NOW + timedelta(seconds=10)
    [rival] = await client.lease_replies([("R1", "b")], lease_seconds=30)
    [not_theirs] = await client.finish_replies([("R1", "b")])
    with pytest.raises(Conflict) as not_released:
        await client.release_reply("R1", key="b")
    done, again = await client.finish_replies([("R1", "a"), ("R1", "a")])  # a retry is fine
    [redelivered] = await client.lease_replies([("R1", "c")], lease_seconds=30)
    with pytest.raises(Conflict):
        await client.release_reply("R1", key="a")
    [never] = await client.finish_replies([("RNever", "a")])

    assert (mine, retried) == (leased("acquired"),) * 2
    assert rival == leased("held", retry_after=20)
    assert not_theirs == DoneOutcome(event_id="R1", status="taken")
    assert not_released.value.error == "conflict"
    assert (done.status, again.status) == ("done", "done")
    assert redelivered.status == "done"
    assert never == DoneOutcome(event_id="RNever", status="not_found")


async def test_a_lease_is_released_or_taken_over_once_it_ends(
    client: DataServiceClient, clock: WallClock
) -> None:
    clock.now = NOW

    await client.lease_replies([("R1", "failed")], lease_seconds=5)
    await client.release_reply("R1", key="failed")
    await client.release_reply("R1", key="failed")  # nothing left to release: fine
    [again] = await client.lease_replies([("R1", "dead")], lease_seconds=5)
    clock.now = NOW + timedelta(seconds=6)
    [heir] = await client.lease_replies([("R1", "heir")], lease_seconds=5)
    [late] = await client.finish_replies([("R1", "dead")])
    [finished] = await client.finish_replies([("R1", "heir")])

    assert again == leased("acquired")
    assert heir == leased("acquired", taken_over=True)
    assert (late.status, finished.status) == ("taken", "done")


async def test_a_refused_token_is_reported_and_replaced_once(
    session: aiohttp.ClientSession, base_url: str, issuer: TestIssuer
) -> None:
    tokens = [
        issuer.mint(scope="users:write", aud="someone-else"),
        issuer.mint(scope="users:write"),
    ]
    rejected: list[str] = []

    async def token() -> str:
        return tokens[0] if not rejected else tokens[1]

    async def on_rejected(bad: str) -> None:
        rejected.append(bad)

    client = DataServiceClient(session, base_url, token, on_rejected=on_rejected)

    user = await client.get_or_create_user("T1", "U1")

    assert user.slack_user_id == "U1"
    assert rejected == [tokens[0]]


async def test_a_token_refused_twice_or_lacking_scope_raises(
    session: aiohttp.ClientSession, base_url: str, issuer: TestIssuer
) -> None:
    rejected: list[str] = []
    expired = DataServiceClient(
        session,
        base_url,
        _always(issuer.mint(scope="users:read", exp=1)),
        on_rejected=rejected.append,  # a plain function works too (TokenClient.invalidate)
    )
    narrow = DataServiceClient(session, base_url, token_of(issuer, scope="users:read"))

    with pytest.raises(Unauthorized) as unauthorized:
        await expired.get_user(1)
    with pytest.raises(Unauthorized) as forbidden:
        await narrow.get_or_create_user("T1", "U1")

    assert (unauthorized.value.status, len(rejected)) == (401, 1)
    assert forbidden.value.status == 403


def _always(token: str) -> Callable[[], Awaitable[str]]:
    async def provider() -> str:
        return token

    return provider


async def test_with_the_auth_helpers_token_client(
    session: aiohttp.ClientSession, base_url: str, issuer: TestIssuer
) -> None:
    """A fake TokenDealer on 127.0.0.1 whose first token the Data Service refuses."""
    issued: list[str] = []

    async def token_endpoint(request: web.Request) -> web.Response:
        form = await request.post()
        audience = "wrong" if not issued else str(form["audience"])
        issued.append(issuer.mint(scope=str(form["scope"]), aud=audience))
        body = {"access_token": issued[-1], "token_type": "Bearer", "expires_in": 900}
        return web.json_response(body)

    fake = web.Application()
    fake.router.add_post("/oauth/token", token_endpoint)
    runner = web.AppRunner(fake)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        tokens = TokenClient(
            session,
            token_url=f"http://127.0.0.1:{port}/oauth/token",
            client_id="w",
            client_secret="s",
        )
        client = DataServiceClient.from_token_client(session, base_url, tokens)

        assert (await client.get_or_create_user("T1", "U1")).id == 1
        [lease] = await client.lease_replies([("R1", "k")], lease_seconds=30)
        assert lease.status == "acquired"
    finally:
        await runner.cleanup()

    assert len(issued) == 2  # the refused one, then one reused for both calls


class ScriptedServer:
    """A local HTTP server answering from a script, recording each request's headers.

    Each step is a status code, ``"timeout"`` (answer too late) or ``"drop"`` (close the
    connection without answering); the last step repeats.
    """

    def __init__(self, script: list[int | str], body: dict[str, Any] | None = None) -> None:
        self.script = script
        self.body = body or {}
        self.headers: list[dict[str, str]] = []
        self.retry_after: str | None = None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        step = self.script[min(len(self.headers), len(self.script) - 1)]
        self.headers.append(dict(request.headers))
        if step == "timeout":
            await asyncio.sleep(1.0)
        if step == "drop":
            assert request.transport is not None
            request.transport.close()
            return web.Response()
        status = 504 if isinstance(step, str) else step
        headers = {"Retry-After": self.retry_after} if self.retry_after else {}
        if status in (200, 201):
            headers["ETag"] = '"user-1-v1"'
        payload = self.body if status < 400 else {"error": "x", "error_description": "scripted"}
        return web.json_response(payload, status=status, headers=headers)


@pytest.fixture
async def scripted() -> AsyncIterator[Callable[..., Awaitable[tuple[ScriptedServer, str]]]]:
    runners: list[web.AppRunner] = []

    async def start(
        script: list[int | str], body: dict[str, Any] | None = None
    ) -> tuple[ScriptedServer, str]:
        server = ScriptedServer(script, body)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", server.handle)
        runner = web.AppRunner(app)
        await runner.setup()
        runners.append(runner)
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        return server, f"http://127.0.0.1:{port}"

    yield start
    for runner in runners:
        await runner.cleanup()


USER = {
    "id": 1,
    "team_id": "T1",
    "slack_user_id": "U1",
    "display_name": "",
    "location": None,
    "timezone": None,
    "units": "metric",
    "is_admin": False,
    "settings": {},
    "version": 1,
    "created_at": "2025-01-01T00:00:00Z",
    "updated_at": "2025-01-01T00:00:00Z",
    "alerts_enabled": False,
    "alert_time": None,
    "next_alert_at": None,
}


REMINDER = {
    "id": 7,
    "user_id": 1,
    "text": "tea",
    "due_at": "2025-06-01T09:00:00Z",
    "channel_id": "D1",
    "thread_ts": None,
    "status": "pending",
    "created_at": "2025-06-01T09:00:00Z",
    "delivered_at": None,
}


async def test_5xx_and_timeouts_are_retried_with_backoff(
    session: aiohttp.ClientSession, issuer: TestIssuer, scripted: Any
) -> None:
    server, url = await scripted([503, 500, "timeout", 200], USER)
    sleeps = Sleeps()
    client = make_client(session, url, issuer, sleep=sleeps, rng=lambda: 1.0, timeout=0.3)

    found = await client.get_user(1)

    assert found.etag == '"user-1-v1"'
    assert sleeps.delays == [0.1, 0.2, 0.4]
    assert len(server.headers) == 4


async def test_retries_are_bounded(
    session: aiohttp.ClientSession, issuer: TestIssuer, scripted: Any
) -> None:
    server, url = await scripted([502])
    sleeps = Sleeps()
    client = make_client(session, url, issuer, sleep=sleeps, retries=2)

    with pytest.raises(DataServiceUnavailable) as failed:
        await client.get_user(1)

    assert failed.value.status == 502
    assert len(sleeps.delays) == 2
    assert len(server.headers) == 3


async def test_client_errors_are_not_retried(
    session: aiohttp.ClientSession, issuer: TestIssuer, scripted: Any
) -> None:
    server, url = await scripted([404])
    client = make_client(session, url, issuer)

    with pytest.raises(NotFound):
        await client.get_user(1)

    assert len(server.headers) == 1


async def test_retry_after_is_honoured_up_to_the_cap(
    session: aiohttp.ClientSession, issuer: TestIssuer, scripted: Any
) -> None:
    server, url = await scripted([503, 503, 200], USER)
    server.retry_after = "60"
    sleeps = Sleeps()
    client = make_client(session, url, issuer, sleep=sleeps, rng=lambda: 0.0, max_backoff=2.0)

    await client.get_user(1)

    assert sleeps.delays == [2.0, 2.0]


async def test_unreachable_service_fails_after_the_retries(
    session: aiohttp.ClientSession, issuer: TestIssuer
) -> None:
    sleeps = Sleeps()
    client = make_client(session, f"http://127.0.0.1:{free_port()}", issuer, sleep=sleeps)

    with pytest.raises(DataServiceUnavailable) as failed:
        await client.get_user(1)

    assert failed.value.status == 0
    assert len(sleeps.delays) == 3


async def test_a_retried_release_sends_the_callers_key_each_time(
    session: aiohttp.ClientSession, issuer: TestIssuer, scripted: Any
) -> None:
    server, url = await scripted(["drop", 503, 204], None)
    client = make_client(session, url, issuer)

    await client.release_reply("E1", key="my-key")

    assert [headers["Idempotency-Key"] for headers in server.headers] == ["my-key"] * 3


async def test_each_retry_is_logged_with_the_error_it_retries_on(
    session: aiohttp.ClientSession, issuer: TestIssuer, scripted: Any
) -> None:
    _, url = await scripted(["drop", 503, 200], USER)
    client = make_client(session, url, issuer)

    with capture_logs() as logs:
        await client.get_or_create_user("T1", "U1")  # a POST: aiohttp itself never retries it

    retries = [entry for entry in logs if entry["event"] == "dataservice.retry"]
    assert [entry["status"] for entry in retries] == [0, 503]
    assert "ServerDisconnectedError" in retries[0]["error"]


async def test_a_field_added_by_a_newer_service_is_ignored(
    session: aiohttp.ClientSession, issuer: TestIssuer, scripted: Any
) -> None:
    """Workers older than the service keep working when an answer grows a field."""
    _, url = await scripted([200], {**USER, "pronouns": "he/him", "settings": {"lang": "en"}})
    client = make_client(session, url, issuer)

    user = await client.get_user(1)

    assert (user.id, user.settings) == (1, {"lang": "en"})
    assert "pronouns" not in user.model_dump()


async def test_a_retried_reminder_creation_keeps_its_idempotency_key(
    session: aiohttp.ClientSession, issuer: TestIssuer, scripted: Any
) -> None:
    server, url = await scripted([503, 201], REMINDER)
    client = make_client(session, url, issuer)

    made = await client.create_reminder(
        1, text="tea", due_at=NOW, channel_id="D1", idempotency_key="action-1"
    )
    await client.create_reminder(1, text="tea", due_at=NOW, channel_id="D1")

    assert made.id == 7
    keys = [headers.get("Idempotency-Key") for headers in server.headers]
    assert keys == ["action-1", "action-1", None]
