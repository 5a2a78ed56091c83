"""Fixtures: a production-mode TokenDealer with two key files and two clients."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from functools import cache
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from quart import Quart
from quart.typing import TestClientProtocol as Client

from tests.support.clock import FakeClock
from tests.support.tokens import private_key_for
from tokendealer.app import create_app
from tokendealer.clients import hash_secret
from tokendealer.settings import TokenDealerSettings

WORKER_SECRET = "worker-secret-0123456789"
SOLO_SECRET = "solo-secret-0123456789"


@cache
def clients_json() -> str:
    """Two clients; hashed once per run because scrypt is deliberately slow."""
    return json.dumps(
        {
            "clients": [
                {
                    "id": "worker",
                    "secret_hash": hash_secret(WORKER_SECRET),
                    "audiences": ["dataservice", "frontend"],
                    "scopes": ["users:read", "users:write"],
                },
                {
                    "id": "solo",
                    "secret_hash": hash_secret(SOLO_SECRET),
                    "audiences": ["dataservice"],
                    "scopes": ["users:read"],
                },
            ]
        }
    )


def pem_of(kid: str) -> bytes:
    """The PEM of a cached throwaway key."""
    return private_key_for(kid).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def write_pem(path: Path, kid: str) -> Path:
    path.write_bytes(pem_of(kid))
    path.chmod(0o600)
    return path


@pytest.fixture
def key_files(tmp_path: Path) -> list[Path]:
    return [
        write_pem(tmp_path / "old.pem", "dealer-old"),
        write_pem(tmp_path / "new.pem", "dealer-new"),
    ]


@pytest.fixture
def settings(key_files: list[Path]) -> TokenDealerSettings:
    return TokenDealerSettings(
        env="prod", tokendealer_key_files=key_files, tokendealer_clients=clients_json()
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(start=time.time())


@pytest.fixture
def app(settings: TokenDealerSettings, clock: FakeClock) -> Quart:
    return create_app(settings, clock=clock)


@pytest.fixture
async def client(app: Quart) -> AsyncIterator[Client]:
    async with app.test_app() as test_app:
        yield test_app.test_client()


def token_form(**fields: str) -> dict[str, str]:
    """A client-credentials form for the worker client, with overrides."""
    form = {
        "grant_type": "client_credentials",
        "client_id": "worker",
        "client_secret": WORKER_SECRET,
        "audience": "dataservice",
    }
    form.update(fields)
    return {name: value for name, value in form.items() if value}
