"""What the installation tests share: the Data Service with the fake Slack app's credentials,
and install bodies built from what the fake Slack issued."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from quart import Quart

from dataservice.app import create_app
from tests.support.clock import WallClock
from tests.support.dataservice_fixtures import make_settings, make_verifier
from tests.support.fake_slack import FakeSlack
from tests.support.fake_slack_oauth import CLIENT_ID, CLIENT_SECRET
from tests.support.tokens import TestIssuer

#: A non-rotating bot token's shape.
PLAIN = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx"


def slack_settings(slack: FakeSlack) -> dict[str, str]:
    """The Data Service settings that make it refresh tokens at ``slack``."""
    return {
        "slack_api_url": slack.base_url,
        "slack_client_id": CLIENT_ID,
        "slack_client_secret": CLIENT_SECRET,
    }


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    """The fake Slack the Data Service refreshes tokens at."""
    async with FakeSlack() as fake:
        yield fake


@pytest.fixture
async def app(
    database_url: str, issuer: TestIssuer, clock: WallClock, slack: FakeSlack
) -> AsyncIterator[Quart]:
    """The Data Service, serving, with the fake Slack app's credentials."""
    settings = make_settings(database_url, **slack_settings(slack))
    app = create_app(settings, verifier=make_verifier(issuer), clock=clock)
    async with app.test_app():
        yield app


def install_body(**fields: Any) -> dict[str, Any]:
    """A ``PUT /installations`` body for workspace T1 (a non-rotating token unless told)."""
    return {
        "team_id": "T1",
        "app_id": "A0JEEVES",
        "bot_user_id": "UJEEVESBOT",
        "bot_id": "BJEEVESBOT",
        "bot_scopes": ["chat:write", "users:read"],
        "installer_user_id": "U0ADMIN",
        "bot_token": PLAIN,
        **fields,
    }


def rotation(answer: dict[str, Any], *, now: datetime | None = None) -> dict[str, Any]:
    """The token fields of an install from a rotating ``oauth.v2.access`` answer."""
    expires = (now or datetime.now(UTC)) + timedelta(seconds=answer["expires_in"])
    return {
        "bot_token": answer["access_token"],
        "bot_refresh_token": answer["refresh_token"],
        "bot_token_expires_at": expires.isoformat(),
    }
