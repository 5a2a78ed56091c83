"""The dashboard through the front door's ASGI app, over a real Data Service (SQLite, served by
Hypercorn on 127.0.0.1) whose clock a test can move.

People sign in as the front door signs them in: a session made by the Data Service, its id in
the cookie quart-auth signs (:func:`signed_in`); ``jeeves dev``'s own sign-in button is tested
through a dev-mode app (:func:`dev_app`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from quart import Quart, Response
from quart_auth import QuartAuth

from jeeves_frontend.app import create_app
from jeeves_frontend.settings import FrontendSettings
from jeeves_shared.bus.memory import MemoryBus
from jeeves_shared.bus.topology import WORKER_QUEUES
from jeeves_shared.dataclient import FRONTEND_SCOPES, DataServiceClient
from tests.support.clock import WallClock
from tests.support.dataservice import ServedData, serving_dataservice
from tests.support.production import DASHBOARD_SECRET_KEY
from tests.support.slack_requests import SIGNING_SECRET

HOST = "localhost"
ORIGIN = f"https://{HOST}"


@pytest.fixture
def clock() -> WallClock:
    """The Data Service's time (real until a test moves it)."""
    return WallClock()


@pytest.fixture
async def served(tmp_path: Path, clock: WallClock) -> AsyncIterator[ServedData]:
    async with serving_dataservice(tmp_path, clock) as served:
        yield served


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def data(served: ServedData, http: aiohttp.ClientSession) -> DataServiceClient:
    """A client with the front door's scopes (and nothing more)."""
    return served.client(http, *FRONTEND_SCOPES)


def front_door(data: DataServiceClient | None, **settings: Any) -> Quart:
    """A production front door (Secure cookies) with the dashboard over ``data``."""
    chosen: dict[str, Any] = {
        "slack_signing_secret": SIGNING_SECRET,
        "dashboard_secret_keys": DASHBOARD_SECRET_KEY,
        **settings,
    }
    return create_app(
        FrontendSettings(**chosen), bus=MemoryBus(tuple(WORKER_QUEUES.values())), dataservice=data
    )


@pytest.fixture
def app(data: DataServiceClient) -> Quart:
    return front_door(data)


@dataclass
class Person:
    """Someone signed in to ``app``: the cookie their browser holds, their session id, the
    CSRF token their page carries."""

    app: Quart
    cookie: str
    session_id: str
    user_id: int
    csrf_token: str = ""

    async def send(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        page: bool = True,
        **body: Any,
    ) -> Response:
        """A request over HTTPS with the cookie; ``page``: with the Origin and CSRF token the
        dashboard's own page sends (``headers`` override them)."""
        sent = {"Cookie": self.cookie}
        if page:
            sent |= {"Origin": ORIGIN, "X-CSRF-Token": self.csrf_token}
        sent |= headers or {}
        client = self.app.test_client(use_cookies=False)
        return await client.open(path, method=method, headers=sent, scheme="https", **body)

    async def get_me(self) -> Any:
        response = await self.send("GET", "/api/me", page=False)
        assert response.status_code == 200, await response.get_data(as_text=True)
        return await response.get_json()


def session_cookie(app: Quart, session_id: str) -> str:
    """The ``Cookie`` header of a browser holding ``session_id``, signed as ``app`` signs it."""
    auth: QuartAuth = app.extensions["QUART_AUTH"][0]
    return f"{auth.cookie_name}={auth.dump_token(session_id, app=app)}"


SignIn = Callable[..., Any]


@pytest.fixture
def sign_in(app: Quart, data: DataServiceClient) -> SignIn:
    """``await sign_in("T1", "U1")``: a :class:`Person` of workspace T1 signed in to ``app``."""

    async def signed_in(team_id: str, user_id: str, *, on: Quart | None = None) -> Person:
        target = on or app
        created = await data.create_session(
            team_id, user_id, display_name=user_id, team_name=team_id, lifetime=timedelta(hours=1)
        )
        cookie = session_cookie(target, created.session_id)
        person = Person(target, cookie, created.session_id, created.user.id)
        person.csrf_token = (await person.get_me())["csrf_token"]
        return person

    return signed_in


def assert_secure_headers(headers: object, path: str) -> None:
    policy = headers.get("Content-Security-Policy", "")  # type: ignore[attr-defined]
    assert "frame-ancestors 'none'" in policy, path
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy, path
    assert headers.get("X-Content-Type-Options") == "nosniff", path  # type: ignore[attr-defined]
    assert headers.get("Referrer-Policy") == "same-origin", path  # type: ignore[attr-defined]


async def unused_token() -> str:
    """A token getter for a Data Service client whose calls never get that far."""
    return "unused"
