"""Health checks, settings from the environment, and refusing to start with placeholder keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from dataservice.app import create_app
from dataservice.settings import DataServiceSettings
from jeeves_shared.runtime.settings import Environment, SettingsError, describe_errors
from tests.support.dataservice_fixtures import make_settings, make_verifier
from tests.support.postgres import free_port
from tests.support.tokens import TestIssuer


async def test_healthz_and_readyz(database_url: str, issuer: TestIssuer) -> None:
    app = create_app(make_settings(database_url), verifier=make_verifier(issuer))
    async with app.test_app():
        client = app.test_client()
        alive = await client.get("/healthz")
        ready = await client.get("/readyz")

    assert (alive.status_code, await alive.get_json()) == (200, {"status": "ok", "checks": {}})
    assert await ready.get_json() == {"status": "ready", "checks": {"database": "ok"}}


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql+asyncpg://app@127.0.0.1:{free_port()}/nowhere",
        "sqlite+aiosqlite:////nonexistent-folder/jeeves.db",
    ],
    ids=["postgres-unreachable", "sqlite-no-folder"],  # stable ids: xdist workers collect alike
)
async def test_readyz_is_503_when_the_database_is_unreachable(url: str, issuer: TestIssuer) -> None:
    app = create_app(make_settings(url), verifier=make_verifier(issuer))
    async with app.test_app():
        client = app.test_client()
        alive = await client.get("/healthz")
        ready = await client.get("/readyz")

    assert alive.status_code == 200
    assert ready.status_code == 503
    body = await ready.get_json()
    assert body["status"] == "unavailable"
    assert "database" in body["checks"]


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("JEEVES_DATABASE_URL", "postgresql+asyncpg://u:pw@db/jeeves")
    monkeypatch.setenv("JEEVES_DATASERVICE_BIND", "0.0.0.0:9000")
    monkeypatch.setenv(
        "JEEVES_DATASERVICE_ENCRYPTION_KEYS", f"{key},{Fernet.generate_key().decode()}"
    )
    monkeypatch.setenv("JEEVES_DATASERVICE_JWKS_URL", "http://td:8003/.well-known/jwks.json")

    settings = DataServiceSettings()

    assert settings.database_url.get_secret_value() == "postgresql+asyncpg://u:pw@db/jeeves"
    assert "pw" not in repr(settings)
    assert settings.dataservice_bind == "0.0.0.0:9000"
    assert settings.encryption_keys()[0] == key
    assert settings.dataservice_jwks_url == "http://td:8003/.well-known/jwks.json"


def test_dev_defaults_are_a_sqlite_file_in_the_user_data_folder_and_port_8002(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("JEEVES_DATABASE_URL", "JEEVES_DATASERVICE_BIND", "JEEVES_TOKENDEALER_BIND"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))

    settings = DataServiceSettings(env=Environment.DEV)

    database = tmp_path / "data" / "jeeves" / "jeeves-dev.db"
    assert settings.database_url.get_secret_value() == f"sqlite+aiosqlite:///{database}"
    assert database.parent.is_dir()  # SQLite creates the file, not its folder
    assert settings.dataservice_bind == "127.0.0.1:8002"
    assert settings.dataservice_jwks_url == "http://127.0.0.1:8003/.well-known/jwks.json"


def test_outside_dev_mode_a_missing_database_url_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("JEEVES_DATABASE_URL", raising=False)

    with pytest.raises(ValidationError) as refused:
        DataServiceSettings(env=Environment.PROD)

    assert describe_errors(refused.value) == [
        "JEEVES_DATABASE_URL is not set; refusing to start (write "
        "postgresql+asyncpg://user:password@host:5432/jeeves; only jeeves dev has a default)"
    ]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://jeeves:pw@db/jeeves", "postgresql:// names a driver that is not async"),
        ("sqlite:///jeeves.db", "sqlite:// names a driver that is not async"),
        ("not a url:pw", "not a usable database URL"),
        ("mysql+aiomysql://jeeves:pw@db/jeeves", "mysql+aiomysql:// is not a database Jeeves"),
        ("postgresql+asyncpg://jeeves:pw@/jeeves", "a PostgreSQL URL needs a host and a database"),
        ("postgresql+asyncpg://jeeves:pw@db", "a PostgreSQL URL needs a host and a database"),
    ],
)
def test_a_database_url_without_an_async_driver_is_one_line(url: str, expected: str) -> None:
    with pytest.raises(ValidationError) as refused:
        DataServiceSettings(database_url=url)

    [line] = describe_errors(refused.value)
    assert line.startswith(f"JEEVES_DATABASE_URL: {expected}")
    assert "pw" not in line


def test_the_jwks_url_follows_the_tokendealer_bind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JEEVES_DATASERVICE_JWKS_URL", raising=False)
    monkeypatch.setenv("JEEVES_TOKENDEALER_BIND", "0.0.0.0:9103")

    settings = DataServiceSettings(database_url="sqlite+aiosqlite://")

    assert settings.dataservice_jwks_url == "http://127.0.0.1:9103/.well-known/jwks.json"


def test_without_xdg_data_home_the_database_is_under_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("JEEVES_DATABASE_URL", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))

    url = DataServiceSettings(env=Environment.DEV).database_url.get_secret_value()

    assert url == f"sqlite+aiosqlite:///{tmp_path}/.local/share/jeeves/jeeves-dev.db"


@pytest.mark.parametrize("keys", ["", "change-me"])
def test_placeholder_key_refuses_to_start_outside_dev(keys: str, tmp_path: Path) -> None:
    settings = make_settings(
        f"sqlite+aiosqlite:///{tmp_path}/x.db", dataservice_encryption_keys=keys
    )

    with pytest.raises(SettingsError, match="JEEVES_DATASERVICE_ENCRYPTION_KEYS"):
        create_app(settings)


def test_malformed_key_refuses_to_start(tmp_path: Path) -> None:
    settings = make_settings(
        f"sqlite+aiosqlite:///{tmp_path}/x.db", dataservice_encryption_keys="short-key"
    )

    with pytest.raises(SettingsError, match="Fernet"):
        create_app(settings)


def test_dev_mode_accepts_the_placeholder_key(tmp_path: Path) -> None:
    settings = make_settings(
        f"sqlite+aiosqlite:///{tmp_path}/x.db", env="dev", dataservice_encryption_keys="change-me"
    )

    assert create_app(settings) is not None
