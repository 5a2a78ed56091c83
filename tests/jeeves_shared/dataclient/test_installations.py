"""Installations through the client, and the per-process bot token cache (``BotTokens``),
against the real Data Service served on 127.0.0.1 and the fake Slack."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from dataservice.app import create_app
from jeeves_shared.dataclient import (
    DataServiceClient,
    InstallationInactive,
    InstallationNotFound,
    NewInstallation,
    Unauthorized,
)
from jeeves_shared.installations import BotTokens, InstallationKey
from tests.support.clock import WallClock
from tests.support.dataclient import make_client, token_of
from tests.support.dataservice_fixtures import make_settings, make_verifier
from tests.support.fake_slack import FakeSlack
from tests.support.fake_slack_oauth import ROTATING_LIFETIME, Grant
from tests.support.http import serving
from tests.support.installations import slack_settings
from tests.support.tokens import TestIssuer

T1 = InstallationKey(None, "T1")
PLAIN = "xoxb-1-2-plain"


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


@pytest.fixture
async def data(
    database_url: str,
    issuer: TestIssuer,
    clock: WallClock,
    fake_slack: FakeSlack,
) -> AsyncIterator[DataServiceClient]:
    """A client with every scope of the Data Service, which refreshes at the fake Slack."""
    settings = make_settings(database_url, **slack_settings(fake_slack))
    app = create_app(settings, verifier=make_verifier(issuer), clock=clock)
    async with serving(app) as url, aiohttp.ClientSession() as session:
        yield make_client(session, url, issuer, retries=0)


def new_installation(**fields: Any) -> NewInstallation:
    values: dict[str, Any] = {
        "team_id": "T1",
        "app_id": "A0JEEVES",
        "bot_user_id": "UJEEVESBOT",
        "bot_id": "BJEEVESBOT",
        "bot_scopes": ["chat:write"],
        "bot_token": SecretStr(PLAIN),
        **fields,
    }
    return NewInstallation(**values)


def rotating(fake: FakeSlack, seconds: int) -> NewInstallation:
    """An install of T1 whose rotating token expires in ``seconds`` (refreshes give 12 h)."""
    grant = Grant(team_id="T1", expires_in=seconds)
    answer = fake.oauth.issue(grant)
    grant.expires_in = ROTATING_LIFETIME
    return new_installation(
        bot_token=SecretStr(answer["access_token"]),
        bot_refresh_token=SecretStr(answer["refresh_token"]),
        bot_token_expires_at=datetime.now(UTC) + timedelta(seconds=seconds),
    )


async def test_installations_round_trip(data: DataServiceClient) -> None:
    saved = await data.save_installation(new_installation())
    org = await data.save_installation(
        new_installation(enterprise_id="E1", team_id=None, is_enterprise_install=True)
    )

    assert (saved.team_id, saved.active, saved.bot_id) == ("T1", True, "BJEEVESBOT")
    assert "xoxb" not in repr(saved)
    assert await data.find_installation(T1) == saved
    assert await data.find_installation(InstallationKey("E1", "T7")) == org
    assert await data.find_installation(InstallationKey(None, "T7")) is None
    token = await data.fresh_bot_token(T1, valid_for=timedelta(minutes=5))
    assert (token.token, token.expires_at, token.bot_user_id) == (PLAIN, None, "UJEEVESBOT")
    assert PLAIN not in repr(token)

    gone = await data.deactivate_installation(T1, reason="app_uninstalled")
    assert gone is not None and (gone.active, gone.inactive_reason) == (False, "app_uninstalled")
    assert (await data.find_installation(T1)) == gone
    with pytest.raises(InstallationInactive):
        await data.fresh_bot_token(T1, valid_for=timedelta(minutes=5))
    with pytest.raises(InstallationNotFound):
        await data.fresh_bot_token(InstallationKey(None, "T7"), valid_for=timedelta(minutes=5))
    assert await data.deactivate_installation(InstallationKey(None, "T7"), reason="x") is None
    assert (await data.save_installation(new_installation())).active is True


async def test_tokens_need_their_own_scope(data: DataServiceClient, issuer: TestIssuer) -> None:
    await data.save_installation(new_installation())
    async with aiohttp.ClientSession() as session:
        frontend = DataServiceClient(
            session, data.base_url, token_of(issuer, "installations:read installations:write")
        )
        assert await frontend.find_installation(T1) is not None
        with pytest.raises(Unauthorized):
            await frontend.fresh_bot_token(T1, valid_for=timedelta(minutes=5))


async def test_bot_tokens_are_cached_until_shortly_before_they_expire(
    data: DataServiceClient, fake_slack: FakeSlack
) -> None:
    await data.save_installation(rotating(fake_slack, seconds=3600))
    now = datetime.now(UTC)
    tokens = BotTokens(data, clock=lambda: now)

    first = await tokens.get(T1)
    second = await tokens.get(T1)
    now += timedelta(minutes=56)  # 4 minutes left: less than min_validity (5)
    third = await tokens.get(T1)

    assert first == second == third
    assert (tokens.gets, tokens.fetches) == (3, 2)
    assert tokens.hit_rate == pytest.approx(1 / 3)
    assert fake_slack.oauth.refreshes == []  # the Data Service's own clock: still an hour


async def test_concurrent_gets_share_one_request_and_one_refresh(
    data: DataServiceClient, fake_slack: FakeSlack
) -> None:
    await data.save_installation(rotating(fake_slack, seconds=60))
    fake_slack.oauth_latency = 0.2
    tokens = BotTokens(data)

    got = await asyncio.gather(*(tokens.get(T1) for _ in range(10)))

    [(_, issued)] = fake_slack.oauth.refreshes
    assert got == [issued] * 10
    assert (tokens.gets, tokens.fetches) == (10, 1)


async def test_forget_asks_again_and_errors_are_not_cached(data: DataServiceClient) -> None:
    await data.save_installation(new_installation())
    tokens = BotTokens(data)

    await tokens.get(T1)
    tokens.forget(T1)
    await tokens.get(T1)
    await data.deactivate_installation(T1, reason="tokens_revoked")
    tokens.forget(T1)
    for _ in range(2):
        with pytest.raises(InstallationInactive):
            await tokens.get(T1)
    with pytest.raises(InstallationNotFound):
        await tokens.get(InstallationKey(None, "T9"))

    assert tokens.fetches == 5


async def test_an_org_wide_token_serves_every_workspace_of_the_org(
    data: DataServiceClient,
) -> None:
    await data.save_installation(
        new_installation(enterprise_id="E1", team_id=None, is_enterprise_install=True)
    )
    tokens = BotTokens(data)

    via_t1 = await tokens.get(InstallationKey("E1", None, True))
    via_lookup = await tokens.get(InstallationKey("E1", "T5"))  # no own install: the org's

    assert via_t1 == via_lookup == PLAIN


async def test_single_mode_answers_the_one_token() -> None:
    tokens = BotTokens.single("xoxb-only")

    assert await tokens.get(InstallationKey(None, "T1")) == "xoxb-only"
    assert await tokens.get(InstallationKey("E1", None, True)) == "xoxb-only"
    assert tokens.hit_rate == 1.0


@pytest.mark.parametrize(
    ("authorization", "key"),
    [
        (
            {"enterprise_id": None, "team_id": "T0TESTTEAM", "is_enterprise_install": False},
            InstallationKey(None, "T0TESTTEAM"),
        ),
        (
            {"enterprise_id": "E1", "team_id": "T2", "is_enterprise_install": False},
            InstallationKey("E1", "T2"),
        ),
        (
            {"enterprise_id": "E1", "team_id": "T2", "is_enterprise_install": True},
            InstallationKey("E1", None, True),
        ),
        (
            {"enterprise_id": "E1", "team_id": None, "is_enterprise_install": True},
            InstallationKey("E1", None, True),
        ),
        ({"team_id": "T1", "enterprise_id": ""}, InstallationKey(None, "T1")),
    ],
)
def test_keys_from_authorizations(authorization: dict[str, Any], key: InstallationKey) -> None:
    assert InstallationKey.from_authorization(authorization) == key


@pytest.mark.parametrize(
    "authorization",
    [
        {},
        {"team_id": None},
        {"team_id": 7},
        {"enterprise_id": None, "team_id": None, "is_enterprise_install": True},
        {"enterprise_id": ["E1"], "team_id": "T1"},
    ],
)
def test_unusable_authorizations_are_value_errors(authorization: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"enterprise_id|team_id"):
        InstallationKey.from_authorization(authorization)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=5,
)


@given(
    st.dictionaries(
        st.sampled_from(["enterprise_id", "team_id", "is_enterprise_install", "user_id"]), _JSON
    )
)
def test_any_authorization_gives_a_key_or_a_value_error(authorization: dict[str, Any]) -> None:
    try:
        key = InstallationKey.from_authorization(authorization)
    except ValueError:
        return
    assert key.team_id is not None or key.is_enterprise_install
    assert all(isinstance(v, str | None) for v in (key.enterprise_id, key.team_id))
