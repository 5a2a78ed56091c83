from __future__ import annotations

import pytest

from jeeves_frontend.settings import FrontendSettings
from jeeves_shared.runtime.settings import Environment, SettingsError, parse_bind
from workers.settings import WorkerSettings


def test_settings_come_from_jeeves_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JEEVES_SLACK_SIGNING_SECRET", "s3cr3t-from-env")
    monkeypatch.setenv("JEEVES_FRONTEND_BIND", "0.0.0.0:9000")
    settings = FrontendSettings()
    assert settings.signing_secret() == "s3cr3t-from-env"
    assert settings.frontend_bind == "0.0.0.0:9000"
    assert "s3cr3t" not in repr(settings)


@pytest.mark.parametrize("secret", ["", "change-me", "  "])
def test_placeholder_secrets_refuse_to_start_outside_dev(secret: str) -> None:
    with pytest.raises(SettingsError, match="JEEVES_SLACK_SIGNING_SECRET"):
        FrontendSettings(slack_signing_secret=secret).signing_secret()
    with pytest.raises(SettingsError, match="JEEVES_SLACK_BOT_TOKEN"):
        WorkerSettings(slack_bot_token=secret).require_secret("slack_bot_token")


def test_dev_mode_accepts_a_missing_secret() -> None:
    assert FrontendSettings(env=Environment.DEV).signing_secret() is None


@pytest.mark.parametrize(
    ("bind", "expected"),
    [
        ("127.0.0.1:8000", ("127.0.0.1", 8000)),
        ("[::1]:80", ("::1", 80)),
        (":8080", ("0.0.0.0", 8080)),
    ],
)
def test_parse_bind(bind: str, expected: tuple[str, int]) -> None:
    assert parse_bind(bind) == expected


@pytest.mark.parametrize("bind", ["localhost", "host:http", ""])
def test_parse_bind_refuses_nonsense(bind: str) -> None:
    with pytest.raises(SettingsError):
        parse_bind(bind)
