"""Settings of the front door."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator

from jeeves_shared.bus.topology import ROLLOUTS
from jeeves_shared.flags.rules import Split, check_variants, parse_flags
from jeeves_shared.runtime.settings import JeevesSettings, is_placeholder


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
    JEEVES_FRONTEND_BIND. Slack sends installs back to ``<public_url>/slack/oauth_redirect``."""
    slack_client_id: str = ""
    """The Slack app's client id ("Basic Information"); empty: installs are off."""
    slack_client_secret: SecretStr = SecretStr("")
    """The Slack app's client secret; installs need it with the client id."""
    slack_api_url: str = "https://slack.com/api/"
    """Slack Web API base URL (``oauth.v2.access``, ``auth.test``; tests point it at a fake)."""

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
        check_variants(parse_flags(flags), _KNOWN_FLAGS)
        return flags

    def flag_rules(self) -> dict[str, Split]:
        """:attr:`flags`, parsed (checked when the settings were read)."""
        return parse_flags(self.flags)

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

    def signing_secret(self) -> str | None:
        """The signing secret, or None in dev mode when none is configured.

        Outside dev mode a missing secret is a
        :class:`~jeeves_shared.runtime.settings.SettingsError`.
        """
        secret = self.require_secret("slack_signing_secret")
        return None if self.is_dev and is_placeholder(secret) else secret


#: The flags the front door evaluates, and their variants (one per rollout of a worker).
_KNOWN_FLAGS = {rollout.flag: rollout.variants for rollout in ROLLOUTS.values()}


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
