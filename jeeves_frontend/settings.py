"""Settings of the front door."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from jeeves_shared.bus.topology import ROLLOUTS
from jeeves_shared.flags.rules import Split, check_variants, parse_flags
from jeeves_shared.runtime.settings import JeevesSettings, is_placeholder


class FrontendSettings(JeevesSettings):
    """``JEEVES_*`` settings the front door reads."""

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

    @field_validator("flags")
    @classmethod
    def _check_flags(cls, flags: str) -> str:
        check_variants(parse_flags(flags), _KNOWN_FLAGS)
        return flags

    def flag_rules(self) -> dict[str, Split]:
        """:attr:`flags`, parsed (checked when the settings were read)."""
        return parse_flags(self.flags)

    def signing_secret(self) -> str | None:
        """The signing secret, or None in dev mode when none is configured.

        Outside dev mode a missing secret is a
        :class:`~jeeves_shared.runtime.settings.SettingsError`.
        """
        secret = self.require_secret("slack_signing_secret")
        return None if self.is_dev and is_placeholder(secret) else secret


#: The flags the front door evaluates, and their variants (one per rollout of a worker).
_KNOWN_FLAGS = {rollout.flag: rollout.variants for rollout in ROLLOUTS.values()}
