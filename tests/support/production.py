"""The environment an operator gives ``jeeves up`` (or each process of it) in production."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from cryptography.fernet import Fernet
from pydantic import SecretStr

from jeeves_shared.auth.client import TokenClient
from jeeves_shared.dataclient import (
    FRONTEND_SCOPES,
    SCHEDULER_SCOPES,
    WORKER_SCOPES,
    DataServiceClient,
    NewInstallation,
)
from tests.support.fake_slack_oauth import CLIENT_ID, CLIENT_SECRET
from tests.support.rabbitmq import free_port
from tokendealer.clients import generate_secret, hash_secret
from tokendealer.keys import write_key_file
from workers.slack.poster import POSTER_SCOPES

#: Signs the dashboard's session cookies in tests (at least 32 characters, as outside dev).
DASHBOARD_SECRET_KEY = "test-dashboard-cookie-key-0123456789abcdef"


def production_env(folder: Path) -> dict[str, str]:
    """Keys, the workers' client, secrets and ports, with the database in ``folder``."""
    key = folder / "signing.pem"
    write_key_file(key)
    secret = generate_secret()
    clients = {
        "clients": [
            {
                "id": "jeeves-worker",
                "secret_hash": hash_secret(secret),
                "audiences": ["dataservice"],
                "scopes": sorted({*WORKER_SCOPES, *SCHEDULER_SCOPES, *POSTER_SCOPES}),
            }
        ]
    }
    data_bind, dealer_bind = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
    return {
        "JEEVES_ENV": "prod",
        "JEEVES_TOKENDEALER_KEY_FILES": str(key),
        "JEEVES_TOKENDEALER_CLIENTS": json.dumps(clients),
        "JEEVES_TOKENDEALER_BIND": dealer_bind,
        "JEEVES_DATASERVICE_BIND": data_bind,
        "JEEVES_DATASERVICE_JWKS_URL": f"http://{dealer_bind}/.well-known/jwks.json",
        "JEEVES_DATASERVICE_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "JEEVES_DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'jeeves.db'}",
        "JEEVES_DATASERVICE_URL": f"http://{data_bind}",
        "JEEVES_TOKENDEALER_URL": f"http://{dealer_bind}",
        "JEEVES_WORKER_CLIENT_SECRET": secret,
        "JEEVES_DASHBOARD_SECRET_KEYS": DASHBOARD_SECRET_KEY,
    }


def with_installs(env: dict[str, str]) -> dict[str, str]:
    """What :func:`production_env` adds for Slack's OAuth install on: the front door's client at
    the TokenDealer, and the fake Slack app's credentials (events authorized per installation,
    each installation's own token, refreshed by the Data Service)."""
    clients = json.loads(env["JEEVES_TOKENDEALER_CLIENTS"])
    frontend_secret = generate_secret()
    clients["clients"].append(
        {
            "id": "jeeves-frontend",
            "secret_hash": hash_secret(frontend_secret),
            "audiences": ["dataservice"],
            "scopes": sorted(FRONTEND_SCOPES),
        }
    )
    return {
        "JEEVES_TOKENDEALER_CLIENTS": json.dumps(clients),
        "JEEVES_FRONTEND_CLIENT_SECRET": frontend_secret,
        "JEEVES_SLACK_CLIENT_ID": CLIENT_ID,
        "JEEVES_SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "JEEVES_PUBLIC_URL": "http://127.0.0.1",
    }


async def save_issued_installation(
    session: aiohttp.ClientSession, env: dict[str, str], answer: dict[str, Any]
) -> None:
    """Store the installation of a rotating-token ``oauth.v2.access`` ``answer`` (the fake
    Slack's) in the Data Service of ``env``, with the workers' client, as an install would."""
    tokens = TokenClient(
        session,
        token_url=f"{env['JEEVES_TOKENDEALER_URL']}/oauth/token",
        client_id="jeeves-worker",
        client_secret=env["JEEVES_WORKER_CLIENT_SECRET"],
    )
    data = DataServiceClient.from_token_client(
        session, env["JEEVES_DATASERVICE_URL"], tokens, scopes=("installations:write",)
    )
    await data.save_installation(
        NewInstallation(
            team_id=answer["team"]["id"],
            bot_user_id=answer["bot_user_id"],
            bot_token=SecretStr(answer["access_token"]),
            bot_refresh_token=SecretStr(answer["refresh_token"]),
            bot_token_expires_at=datetime.now(UTC) + timedelta(seconds=answer["expires_in"]),
        )
    )
