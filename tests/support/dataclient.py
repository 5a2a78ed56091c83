"""Helpers of the Data Service client's tests: clients with test tokens, a recording sleep."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from jeeves_shared.dataclient import DataServiceClient
from tests.support.dataservice_fixtures import ALL_SCOPES
from tests.support.tokens import TestIssuer


class Sleeps:
    """A fake ``sleep`` recording the delays asked for."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def token_of(issuer: TestIssuer, scope: str = " ".join(ALL_SCOPES)) -> Callable[[], Awaitable[str]]:
    """A token provider minting tokens for ``scope`` (every Data Service scope by default)."""

    async def token() -> str:
        return issuer.mint(scope=scope)

    return token


def make_client(
    session: aiohttp.ClientSession, url: str, issuer: TestIssuer, **options: Any
) -> DataServiceClient:
    """A client of ``url`` with every scope, whose backoff sleeps are only recorded."""
    options.setdefault("sleep", Sleeps())
    return DataServiceClient(session, url, token_of(issuer), **options)
