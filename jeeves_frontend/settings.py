"""Settings of the front door."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator

from jeeves_shared.runtime.settings import JeevesSettings, is_placeholder


class FrontendSettings(JeevesSettings):
    """``JEEVES_*`` settings the front door reads."""

    derived_urls = (("public_url", "frontend_bind", ""),)

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

    @field_validator("public_url")
    @classmethod
    def _check_public_url(cls, url: str) -> str:
        return check_public_url(url) if url.strip() else ""

    def signing_secret(self) -> str | None:
        """The signing secret, or None in dev mode when none is configured.

        Outside dev mode a missing secret is a
        :class:`~jeeves_shared.runtime.settings.SettingsError`.
        """
        secret = self.require_secret("slack_signing_secret")
        return None if self.is_dev and is_placeholder(secret) else secret


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
