"""Starting up: what refuses to start outside dev mode, dev defaults, keys and secret helpers."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from structlog.testing import capture_logs

from jeeves_shared.runtime.settings import SettingsError
from tests.tokendealer.conftest import WORKER_SECRET, clients_json, write_pem
from tokendealer.app import create_app
from tokendealer.clients import (
    DEV_CLIENT_ID,
    DEV_CLIENT_SECRET,
    generate_secret,
    hash_secret,
    verify_secret,
)
from tokendealer.keys import SigningKey, generate_key_pem, write_key_file
from tokendealer.settings import TokenDealerSettings


def _pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def test_prod_without_keys_refuses_to_start() -> None:
    with pytest.raises(SettingsError, match="JEEVES_TOKENDEALER_KEY_FILES"):
        create_app(TokenDealerSettings(env="prod", tokendealer_clients=clients_json()))


def test_prod_without_clients_refuses_to_start(key_files: list[Path]) -> None:
    with pytest.raises(SettingsError, match="no clients"):
        create_app(TokenDealerSettings(env="prod", tokendealer_key_files=key_files))


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"not a pem", "not an unencrypted PEM"),
        (_pem(ec.generate_private_key(ec.SECP256R1())), "RSA private key"),
        (_pem(rsa.generate_private_key(public_exponent=65537, key_size=1024)), "RSA private key"),
    ],
    ids=["garbage", "ec key", "short rsa key"],
)
def test_unusable_key_files_refuse_to_start(tmp_path: Path, content: bytes, match: str) -> None:
    path = tmp_path / "bad.pem"
    path.write_bytes(content)
    settings = TokenDealerSettings(tokendealer_key_files=[path], tokendealer_clients=clients_json())
    with pytest.raises(SettingsError, match=match):
        create_app(settings)


def test_missing_key_file_and_unknown_signing_kid(tmp_path: Path, key_files: list[Path]) -> None:
    with pytest.raises(SettingsError, match="cannot read key file"):
        create_app(TokenDealerSettings(tokendealer_key_files=[tmp_path / "nope.pem"]))
    settings = TokenDealerSettings(
        tokendealer_key_files=key_files,
        tokendealer_signing_kid="unknown",
        tokendealer_clients=clients_json(),
    )
    with pytest.raises(SettingsError, match="SIGNING_KID"):
        create_app(settings)


GOOD = json.loads(clients_json())["clients"][0]


@pytest.mark.parametrize(
    ("document", "match"),
    [
        ("{not json", "not valid JSON"),
        ('"a string"', "expected a JSON object"),
        ('{"clients": []}', "non-empty 'clients' list"),
        (json.dumps([{**GOOD, "secret_hash": "plaintext"}]), "scrypt"),
        (
            json.dumps([{**GOOD, "secret_hash": GOOD["secret_hash"].replace("ln=14", "ln=40")}]),
            "scrypt",
        ),
        (json.dumps([{**GOOD, "audiences": []}]), "audiences"),
        (json.dumps([{**GOOD, "extra": 1}]), "extra"),
        (json.dumps([GOOD, GOOD]), "configured twice"),
    ],
    ids=[
        "bad json",
        "not object",
        "empty",
        "plain secret",
        "bad params",
        "no audience",
        "extra",
        "duplicate",
    ],
)
def test_bad_client_config_refuses_to_start(
    key_files: list[Path], document: str, match: str
) -> None:
    settings = TokenDealerSettings(tokendealer_key_files=key_files, tokendealer_clients=document)
    with pytest.raises(SettingsError, match=match):
        create_app(settings)


def test_clients_from_toml_file_and_not_both_sources(tmp_path: Path, key_files: list[Path]) -> None:
    toml = tmp_path / "clients.toml"
    toml.write_text(
        f'[[clients]]\nid = "worker"\nsecret_hash = "{GOOD["secret_hash"]}"\n'
        'audiences = ["dataservice"]\nscopes = ["users:read"]\n'
    )
    app = create_app(
        TokenDealerSettings(tokendealer_key_files=key_files, tokendealer_clients_file=toml)
    )
    assert app.extensions["tokendealer"].clients.get("worker").scopes == {"users:read"}
    with pytest.raises(SettingsError, match="or"):
        create_app(
            TokenDealerSettings(
                tokendealer_key_files=key_files,
                tokendealer_clients_file=toml,
                tokendealer_clients=clients_json(),
            )
        )


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch, key_files: list[Path]) -> None:
    monkeypatch.setenv("JEEVES_TOKENDEALER_KEY_FILES", ",".join(str(p) for p in key_files))
    monkeypatch.setenv("JEEVES_TOKENDEALER_TOKEN_LIFETIME", "300")
    monkeypatch.setenv("JEEVES_TOKENDEALER_BIND", "0.0.0.0:9003")
    settings = TokenDealerSettings()
    assert settings.tokendealer_key_files == key_files
    assert (settings.tokendealer_token_lifetime, settings.tokendealer_bind) == (300, "0.0.0.0:9003")
    monkeypatch.setenv("JEEVES_TOKENDEALER_KEY_FILES", json.dumps([str(key_files[0])]))
    assert TokenDealerSettings().tokendealer_key_files == key_files[:1]


async def test_dev_mode_generates_keys_and_a_dev_client() -> None:
    app = create_app(TokenDealerSettings(env="dev"))
    form = {
        "grant_type": "client_credentials",
        "client_id": DEV_CLIENT_ID,
        "client_secret": DEV_CLIENT_SECRET,
    }
    async with app.test_app() as test_app:
        response = await test_app.test_client().post("/oauth/token", form=form)
    assert response.status_code == 200
    assert "users:read" in (await response.get_json())["scope"]


def test_hash_secret_round_trip() -> None:
    secret = generate_secret()
    hashed = hash_secret(secret)
    assert hashed.startswith("$scrypt$ln=14,r=8,p=1$")
    assert secret not in hashed
    assert hash_secret(secret) != hashed  # salted
    assert verify_secret(secret, hashed)
    assert not verify_secret(secret + "x", hashed)
    assert not verify_secret(WORKER_SECRET, hashed)


def test_write_key_file(tmp_path: Path) -> None:
    path = tmp_path / "signing.pem"
    kid = write_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert SigningKey.from_pem(path.read_bytes()).kid == kid
    with pytest.raises(FileExistsError):
        write_key_file(path)
    assert SigningKey.from_pem(generate_key_pem()).kid != kid


def test_world_readable_key_file_loads_with_a_warning(tmp_path: Path) -> None:
    path = write_pem(tmp_path / "k.pem", "dealer-old")
    path.chmod(0o644)
    settings = TokenDealerSettings(tokendealer_key_files=[path], tokendealer_clients=clients_json())
    with capture_logs() as logs:
        create_app(settings)
    assert "tokendealer.key_file_readable_by_others" in [entry["event"] for entry in logs]
