"""Settings of the front door."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator

from jeeves_shared.flags.routing import rollout_rules
from jeeves_shared.flags.rules import Split
from jeeves_shared.runtime.settings import (
    JeevesSettings,
    SettingsError,
    env_name,
    is_placeholder,
)

#: Shortest cookie signing key accepted (characters): ``jeeves init`` writes 43 (256 bits).
MIN_KEY_LENGTH = 32


class FrontendSettings(JeevesSettings):
    """``JEEVES_*`` settings the front door reads."""

    derived_urls = (
        ("dataservice_url", "dataservice_bind", ""),
        ("tokendealer_url", "tokendealer_bind", ""),
        ("public_url", "frontend_bind", ""),
    )

    slack_signing_secret: SecretStr = SecretStr("")
    """The Slack app's signing secret ("Basic Information"): verifies every Slack request."""
    slack_bot_user_id: str = ""
    """The bot's own user id, if known; envelopes also carry it in ``authorizations``."""
    max_body_bytes: int = Field(default=1024 * 1024, gt=0)
    """Requests with bigger bodies are refused with 413 before anything reads them."""
    publish_timeout: float = Field(default=2.0, gt=0)
    """How long to wait for the broker's confirm before answering 503 (Slack waits 3 s)."""
    recent_events: int = Field(default=10_000, gt=0)
    """How many recent event ids to remember to short-cut Slack's retries."""
    flags: str = ""
    """Feature flag rollouts, JSON: ``{"weather-worker": {"v1": 90, "v2": 10}}`` sends 10 % of
    users' weather requests to the ``weather-v2`` worker (docs/observability.md); empty: none."""
    public_url: str = ""
    """Where people and Slack reach the front door (``https://<host>``); empty: from
    JEEVES_FRONTEND_BIND. Slack sends installs back to ``<public_url>/slack/oauth_redirect``
    and sign-ins to ``<public_url>/dashboard/oauth_redirect``."""
    slack_client_id: str = ""
    """The Slack app's client id ("Basic Information"); empty: installs and Sign in with Slack
    are off."""
    slack_client_secret: SecretStr = SecretStr("")
    """The Slack app's client secret; installs and Sign in with Slack need it with the client id."""
    slack_api_url: str = "https://slack.com/api/"
    """Slack Web API base URL (``oauth.v2.access``, ``auth.test``, ``openid.connect.token``;
    tests point it at a fake)."""
    slack_openid_jwks_url: str = "https://slack.com/openid/connect/keys"
    """Slack's public keys (JWKS) that sign Sign in with Slack's id_tokens."""
    slack_openid_authorize_url: str = "https://slack.com/openid/connect/authorize"
    """Slack's page where a person approves Sign in with Slack (the browser goes there; tests
    point it at a fake)."""

    dataservice_url: str = ""
    """Where the Data Service listens; empty: from JEEVES_DATASERVICE_BIND."""
    tokendealer_url: str = ""
    """Where the TokenDealer listens; empty: from JEEVES_TOKENDEALER_BIND."""
    frontend_client_id: str = "jeeves-frontend"
    """The front door's OAuth2 client at the TokenDealer (installations, sessions)."""
    frontend_client_secret: SecretStr = SecretStr("")
    """Its secret (jeeves init writes it and its hash); without it the front door has no
    Data Service client (one-workspace mode)."""

    @field_validator("flags")
    @classmethod
    def _check_flags(cls, flags: str) -> str:
        rollout_rules(flags)
        return flags

    def flag_rules(self) -> dict[str, Split]:
        """:attr:`flags`, parsed (checked when the settings were read)."""
        return rollout_rules(self.flags)

    dashboard_secret_keys: SecretStr = SecretStr("")
    """Keys that sign the dashboard's session cookie, comma-separated, newest first: the first
    signs, every one verifies (rotate by putting a new key first, and drop the old one once
    the sessions it signed have expired). At least 32 characters each; refused outside dev
    when unset. ``jeeves dev`` makes a random one per run when none is set."""
    dashboard_session_hours: float = Field(default=12.0, gt=0, le=168)
    """How long a dashboard sign-in lasts (the cookie's ``Max-Age`` and the session row's)."""
    dashboard_cookie_secure: bool | None = None
    """Send the session cookie over HTTPS only. Default: on, except in dev mode (which serves
    http://127.0.0.1); off outside dev mode is refused."""
    dashboard_sign_ins_per_minute: int = Field(default=10, gt=0)
    """Sign-in attempts one client address may make per minute (then 429)."""
    dashboard_writes_per_minute: int = Field(default=60, gt=0)
    """Changes one session (or client address) may make on the dashboard per minute."""
    dashboard_allowed_origins: str = ""
    """Other origins (``https://tools.example.com``, comma-separated) whose pages may call
    ``/api/me`` with the person's cookie (CORS). Empty: none. ``*`` is refused."""

    @field_validator("public_url")
    @classmethod
    def _check_public_url(cls, url: str) -> str:
        return check_public_url(url) if url.strip() else ""

    def client_secret(self) -> str | None:
        """The front door's client secret, or None when none is configured."""
        secret = self.frontend_client_secret.get_secret_value().strip()
        return None if is_placeholder(secret) else secret

    installation_cache_size: int = Field(default=10_000, gt=0)
    """Installations whose lookup one front-door process remembers (with OAuth installs on)."""
    installation_cache_seconds: float = Field(default=30.0, gt=0)
    """How long a lookup is remembered: another process's uninstall is seen within this."""

    @property
    def authorizes_installations(self) -> bool:
        """Whether events are authorized per installation: Slack's OAuth install is configured
        (``JEEVES_SLACK_CLIENT_ID``). Without it, one workspace (``JEEVES_SLACK_BOT_TOKEN``)
        is served and no lookup happens."""
        return bool(self.slack_client_id.strip())

    @field_validator("dashboard_allowed_origins")
    @classmethod
    def _check_origins(cls, origins: str) -> str:
        for origin in _split(origins):
            if origin == "*":
                # With credentials, a wildcard would let every site act as the signed-in
                # person (and quart-cors would answer every request 500): say so at start.
                raise SettingsError("'*' cannot be used with credentialed (cookie) requests")
            if not origin.startswith(("https://", "http://")) or origin.count("/") != 2:
                raise SettingsError(f"{origin!r} is not an origin such as https://example.com")
        return origins.strip()

    def secret_keys(self) -> list[str]:
        """The cookie signing keys, newest first; a random one in dev mode when none is set.

        Raises :class:`SettingsError` outside dev mode when unset, or when a key is too short.
        """
        keys = _split(self.dashboard_secret_keys.get_secret_value())
        name = env_name("dashboard_secret_keys")
        if not keys or all(is_placeholder(key) for key in keys):
            if self.is_dev:
                return [secrets.token_urlsafe(32)]
            raise SettingsError(f"{name} is not set (or is a placeholder); refusing to start")
        if any(len(key) < MIN_KEY_LENGTH or is_placeholder(key) for key in keys):
            raise SettingsError(f"{name}: every key needs at least {MIN_KEY_LENGTH} characters")
        return keys

    def cookie_secure(self) -> bool:
        """Whether the session cookie is ``Secure``; raises :class:`SettingsError` when it is
        switched off outside dev mode."""
        if self.dashboard_cookie_secure is None:
            return not self.is_dev
        if not self.dashboard_cookie_secure and not self.is_dev:
            name = env_name("dashboard_cookie_secure")
            raise SettingsError(f"{name}=false is for jeeves dev on http://127.0.0.1 only")
        return self.dashboard_cookie_secure

    def allowed_origins(self) -> list[str]:
        """:attr:`dashboard_allowed_origins` as a list."""
        return _split(self.dashboard_allowed_origins)

    def check_installs(self) -> None:
        """Raise :class:`SettingsError` when Slack installs are on (``JEEVES_SLACK_CLIENT_ID``)
        outside dev mode without the front door's client secret: every event's installation is
        looked up in the Data Service, so without a client every event would be answered 503
        (``jeeves config check`` says so before that happens)."""
        if self.authorizes_installations and not self.is_dev and self.client_secret() is None:
            raise SettingsError(
                f"{env_name('frontend_client_secret')} is not set: with "
                f"{env_name('slack_client_id')} set, the front door looks up every event's "
                "installation in the Data Service"
            )

    def signing_secret(self) -> str | None:
        """The signing secret, or None in dev mode when none is configured.

        Outside dev mode a missing secret is a
        :class:`~jeeves_shared.runtime.settings.SettingsError`.
        """
        secret = self.require_secret("slack_signing_secret")
        return None if self.is_dev and is_placeholder(secret) else secret


def _split(values: str) -> list[str]:
    return [value.strip() for value in values.split(",") if value.strip()]


def check_public_url(url: str) -> str:
    """``url`` without a trailing ``/``, if it is where Slack and browsers can reach Jeeves: an
    ``https`` (or, for a local tunnel, ``http``) origin with no path, query or fragment.

    Raises :class:`ValueError` saying what is wrong.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"{url!r} is not a URL such as https://jeeves.example.com")
    if parts.path.strip("/") or parts.query or parts.fragment or parts.username:
        raise ValueError(f"{url!r}: give only the scheme and host (and port), no path")
    return f"{parts.scheme}://{parts.netloc}"
