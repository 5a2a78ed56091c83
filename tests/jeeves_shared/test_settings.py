from __future__ import annotations

import pytest
from pydantic import ValidationError

from jeeves_frontend.settings import FrontendSettings
from jeeves_shared.runtime.settings import (
    Environment,
    JeevesSettings,
    SettingsError,
    describe_errors,
    parse_bind,
)
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


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("", "JEEVES_AMQP_URL: is not set"),
        ("amqp//guest:pw@host", "JEEVES_AMQP_URL: scheme '' is not amqp or amqps"),
        ("http://guest:pw@host/", "JEEVES_AMQP_URL: scheme 'http' is not amqp or amqps"),
        ("amqp://guest:pw@host:port/", "JEEVES_AMQP_URL: not a URL"),
        ("amqp:///vhost", "JEEVES_AMQP_URL: no host"),
    ],
)
def test_a_malformed_amqp_url_is_one_line_without_its_password(url: str, expected: str) -> None:
    with pytest.raises(ValidationError) as refused:
        JeevesSettings(amqp_url=url)

    [line] = describe_errors(refused.value)
    assert line.startswith(expected)
    assert "write amqp://user:password@host:5672/vhost" in line
    assert "pw" not in line


@pytest.mark.parametrize("field", ["frontend_bind", "dataservice_bind", "tokendealer_bind"])
def test_a_bind_without_its_host_is_refused_naming_the_variable(field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        JeevesSettings(**{field: "8186"})

    assert describe_errors(refused.value) == [
        f"JEEVES_{field.upper()}: '8186' must be host:port, such as 127.0.0.1:8000"
    ]


def test_service_urls_default_from_the_binds(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("JEEVES_DATASERVICE_URL", "JEEVES_TOKENDEALER_URL", "JEEVES_DASHBOARD_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("JEEVES_DATASERVICE_BIND", "0.0.0.0:9102")
    monkeypatch.setenv("JEEVES_TOKENDEALER_BIND", "[::1]:9103")
    monkeypatch.setenv("JEEVES_FRONTEND_BIND", "10.0.0.5:9100")

    settings = WorkerSettings()

    assert settings.dataservice_url == "http://127.0.0.1:9102"
    assert settings.tokendealer_url == "http://[::1]:9103"
    assert settings.dashboard_url == "http://10.0.0.5:9100/dashboard"


def test_the_dashboard_link_defaults_to_the_public_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JEEVES_DASHBOARD_URL", raising=False)
    monkeypatch.setenv("JEEVES_PUBLIC_URL", "https://jeeves.example.com/")
    monkeypatch.setenv("JEEVES_FRONTEND_BIND", "0.0.0.0:8000")

    assert WorkerSettings().dashboard_url == "https://jeeves.example.com/dashboard"
    explicit = WorkerSettings(dashboard_url="https://elsewhere.example.com/d")
    assert explicit.dashboard_url == "https://elsewhere.example.com/d"


def test_an_explicit_service_url_wins_over_the_bind() -> None:
    settings = WorkerSettings(
        dataservice_bind="127.0.0.1:9102", dataservice_url="http://jeeves-dataservice"
    )
    assert settings.dataservice_url == "http://jeeves-dataservice"
