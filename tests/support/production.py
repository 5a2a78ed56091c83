"""The environment an operator gives ``jeeves up`` (or each process of it) in production."""

from __future__ import annotations

import json
from pathlib import Path

from cryptography.fernet import Fernet

from jeeves_shared.dataclient import SCHEDULER_SCOPES, WORKER_SCOPES
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
