"""Fresh bot tokens: an expiring rotating token is refreshed at Slack exactly once, however many
ask at once and from however many Data Service processes; a refused refresh deactivates the
installation, logged once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from aiohttp import web
from structlog.testing import capture_logs

from tests.support.clock import WallClock
from tests.support.dataservice_fixtures import ENCRYPTION_KEY, Auth
from tests.support.fake_slack import FakeSlack, Scripted
from tests.support.fake_slack_oauth import ROTATING_LIFETIME, Grant
from tests.support.http import serving_handler, wait_until_ready
from tests.support.installations import (  # noqa: F401 - fixtures, found by name
    app,
    install_body,
    rotation,
    slack,
    slack_settings,
)
from tests.support.processes import clean_env, jeeves
from tests.support.rabbitmq import free_port
from tests.support.tokens import TestIssuer

if TYPE_CHECKING:
    from quart.typing import TestClientProtocol

TOKEN_PATH = "/api/v1/installations/bot-token"


async def install_expiring(
    client: TestClientProtocol, auth: Auth, fake: FakeSlack, *, seconds: int = 60
) -> tuple[Grant, dict[str, Any]]:
    """Install T1 with a rotating token from ``fake``, expiring in ``seconds``; later
    refreshes give 12 h."""
    grant = Grant(team_id="T1", expires_in=seconds)
    answer = fake.oauth.issue(grant)
    grant.expires_in = ROTATING_LIFETIME
    response = await client.put(
        "/api/v1/installations",
        json=install_body(**rotation(answer)),
        headers=auth("installations:write"),
    )
    assert response.status_code == 200, await response.get_data()
    return grant, answer


async def ask(client: TestClientProtocol, auth: Auth, minutes: int = 10) -> Any:
    return await client.post(
        TOKEN_PATH,
        json={"team_id": "T1", "min_valid_seconds": minutes * 60},
        headers=auth("installations:token"),
    )


async def test_a_token_valid_long_enough_is_answered_without_asking_slack(
    client: TestClientProtocol,
    auth: Auth,
    slack: FakeSlack,  # noqa: F811 - the fixture
) -> None:
    _, answer = await install_expiring(client, auth, slack, seconds=3600)

    token = await (await ask(client, auth, minutes=10)).get_json()

    assert token["token"] == answer["access_token"]
    assert slack.calls == []


async def test_an_expiring_token_is_refreshed_stored_and_reused(
    client: TestClientProtocol,
    auth: Auth,
    slack: FakeSlack,  # noqa: F811 - the fixture
    clock: WallClock,
) -> None:
    _, answer = await install_expiring(client, auth, slack, seconds=60)

    first = await (await ask(client, auth)).get_json()
    second = await (await ask(client, auth)).get_json()

    [(used, issued)] = slack.oauth.refreshes
    assert used == answer["refresh_token"]
    assert first["token"] == second["token"] == issued != answer["access_token"]
    assert first["token"].startswith("xoxe.xoxb-")
    assert first["expires_at"] > (clock() + timedelta(hours=11)).isoformat()
    [call] = slack.calls
    assert call.method == "oauth.v2.access"
    assert call.authorization.startswith("Basic ")  # client credentials, not in the form
    assert "client_secret" not in call.body


async def test_a_refused_refresh_deactivates_the_installation_logged_once(
    client: TestClientProtocol,
    auth: Auth,
    slack: FakeSlack,  # noqa: F811 - the fixture
) -> None:
    _, answer = await install_expiring(client, auth, slack)
    slack.oauth.revoke(answer["access_token"])  # Slack no longer takes its refresh token
    slack.oauth_latency = 0.2

    with capture_logs() as logs:
        answers = await asyncio.gather(*(ask(client, auth) for _ in range(8)))
    lookup = await client.get(
        "/api/v1/installations/lookup?team_id=T1", headers=auth("installations:read")
    )

    assert [a.status_code for a in answers] == [409] * 8
    assert {(await a.get_json())["error"] for a in answers} == {"installation_inactive"}
    assert len(slack.oauth.refusals) == 1
    refused = [log for log in logs if log["event"] == "installation.refresh_refused"]
    assert len(refused) == 1
    assert refused[0]["error"] == "invalid_refresh_token"
    installation = await lookup.get_json()
    assert (installation["active"], installation["inactive_reason"]) == (False, "refresh_refused")


async def test_slack_failing_changes_nothing_and_the_next_ask_refreshes(
    client: TestClientProtocol,
    auth: Auth,
    slack: FakeSlack,  # noqa: F811 - the fixture
) -> None:
    _, answer = await install_expiring(client, auth, slack)
    slack.script.append(Scripted(500, {"ok": False, "error": "internal_error"}))

    failed = await ask(client, auth)
    then = await ask(client, auth)

    assert failed.status_code == 503
    assert failed.headers["Retry-After"] == "1"
    body = await failed.get_data()
    assert (await failed.get_json())["error"] == "slack_unavailable"
    assert answer["refresh_token"].encode() not in body
    assert then.status_code == 200
    assert len(slack.oauth.refreshes) == 1


async def test_without_client_credentials_an_expiring_token_is_503(
    auth: Auth,
    slack: FakeSlack,  # noqa: F811 - the fixture
    database_url: str,
    issuer: TestIssuer,
) -> None:
    from dataservice.app import create_app
    from tests.support.dataservice_fixtures import make_settings, make_verifier

    settings = make_settings(database_url, slack_api_url=slack.base_url)
    unconfigured = create_app(settings, verifier=make_verifier(issuer))
    async with unconfigured.test_app():
        client = unconfigured.test_client()
        await install_expiring(client, auth, slack)
        response = await ask(client, auth)

    assert response.status_code == 503
    assert slack.calls == []


# --- two Data Service processes on one database -------------------------------------------------


@asynccontextmanager
async def dataservice_process(
    database_url: str, jwks_url: str, issuer: TestIssuer, fake: FakeSlack
) -> AsyncIterator[str]:
    """``jeeves serve dataservice`` in its own process; its base URL once ready."""
    bind = f"127.0.0.1:{free_port()}"
    env = clean_env(
        JEEVES_DATABASE_URL=database_url,
        JEEVES_DATASERVICE_BIND=bind,
        JEEVES_DATASERVICE_ENCRYPTION_KEYS=ENCRYPTION_KEY,
        JEEVES_DATASERVICE_JWKS_URL=jwks_url,
        JEEVES_DATASERVICE_JWT_ISSUER=issuer.issuer,
        JEEVES_LOG_LEVEL="WARNING",
        **{f"JEEVES_{name.upper()}": value for name, value in slack_settings(fake).items()},
    )
    async with jeeves("serve", "dataservice", env=env):
        async with aiohttp.ClientSession() as session:
            await wait_until_ready(session, f"http://{bind}/readyz", timeout=120)
        yield f"http://{bind}"


@pytest.mark.parametrize("callers", [20])
async def test_concurrent_asks_from_two_processes_refresh_exactly_once(
    client: TestClientProtocol,
    auth: Auth,
    slack: FakeSlack,  # noqa: F811 - the fixture
    database_url: str,
    issuer: TestIssuer,
    callers: int,
) -> None:
    """Two Data Service processes, ten callers each, at once, against an expiring token: the
    database's lock lets one of them ask Slack; everyone gets the token it got."""
    _, answer = await install_expiring(client, auth, slack)
    # A slow Slack: every caller arrives while the refresh is under way.
    slack.oauth_latency = 0.5

    async def jwks(_request: web.Request) -> web.Response:
        return web.json_response(issuer.jwks)

    async with AsyncExitStack() as stack:
        jwks_url = await stack.enter_async_context(
            serving_handler("GET", "/.well-known/jwks.json", jwks)
        )
        urls = [
            await stack.enter_async_context(
                dataservice_process(database_url, jwks_url, issuer, slack)
            )
            for _ in range(2)
        ]
        session = await stack.enter_async_context(aiohttp.ClientSession())
        headers = {"Authorization": f"Bearer {issuer.mint(scope='installations:token')}"}

        async def one(n: int) -> tuple[int, dict[str, Any]]:
            body = {"team_id": "T1", "min_valid_seconds": 600}
            url = urls[n % 2] + TOKEN_PATH
            async with session.post(url, json=body, headers=headers) as response:
                return response.status, await response.json()

        answers = await asyncio.gather(*(one(n) for n in range(callers)))

    [(used, issued)] = slack.oauth.refreshes
    assert used == answer["refresh_token"]
    assert slack.oauth.refusals == []
    assert [status for status, _ in answers] == [200] * callers
    assert {body["token"] for _, body in answers} == {issued}
