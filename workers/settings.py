"""Settings of the worker processes."""

from __future__ import annotations

from typing import Any

from pydantic import Field, SecretStr, field_validator, model_validator

from jeeves_shared.bus import RetryPolicy
from jeeves_shared.flags import Split, rollout_rules
from jeeves_shared.runtime.settings import JeevesSettings, parse_bind


class WorkerSettings(JeevesSettings):
    """``JEEVES_*`` settings the workers read."""

    derived_urls = (
        ("dataservice_url", "dataservice_bind", ""),
        ("tokendealer_url", "tokendealer_bind", ""),
        ("dashboard_url", "frontend_bind", "/dashboard"),
    )

    slack_bot_token: SecretStr = SecretStr("")
    """The Slack app's bot token (``xoxb-``, "OAuth & Permissions"); the Slack poster needs it."""
    slack_client_id: str = ""
    """The Slack app's client id; set (OAuth installs on), each installation's own bot token
    is used, from the Data Service; empty, :attr:`slack_bot_token` answers one workspace."""
    slack_api_url: str = "https://slack.com/api/"
    """Slack Web API base URL (tests point it at a fake)."""
    slack_response_url_prefix: str = "https://hooks.slack.com/"
    """Slash-command answers go only to a ``response_url`` under this prefix (Slack's hooks)."""
    weather_api_url: str = "https://api.openweathermap.org/data/2.5"
    """OpenWeatherMap-compatible current-weather API; without a key, weather apologises."""
    weather_api_key: SecretStr = SecretStr("")
    """Its key; without one, weather apologises."""
    dataservice_url: str = ""
    """Where the Data Service listens; empty: from JEEVES_DATASERVICE_BIND."""
    tokendealer_url: str = ""
    """Where the TokenDealer listens; empty: from JEEVES_TOKENDEALER_BIND."""
    worker_client_id: str = "jeeves-worker"
    """The workers' OAuth2 client at the TokenDealer."""
    worker_client_secret: SecretStr = SecretStr("")
    """Its secret (jeeves init writes it and its hash); data-backed workers need it."""
    public_url: str = ""
    """Where people reach the front door (``https://<host>``): ``login`` links to its dashboard."""
    dashboard_url: str = ""
    """The web dashboard ``login`` links to; empty: ``<public_url>/dashboard``, or without a
    public URL ``/dashboard`` on the front door's bind (``jeeves dev``, ``jeeves up``)."""
    prefetch: int = Field(default=32, gt=0)
    """Unacknowledged messages one worker process holds at once."""
    slack_prefetch: int = Field(default=128, gt=0)
    """The same for the Slack poster (it mostly waits; its claims travel in batches)."""
    drain_timeout: float = Field(default=20.0, gt=0)
    """How long SIGTERM waits for in-flight messages before closing."""
    slack_max_retries: int = Field(default=3, ge=0)
    """Attempts slack_sdk makes for a rate-limited (429) or failing (5xx) Slack call."""
    scheduler_interval: float = Field(default=5.0, gt=0)
    """Seconds between the scheduler's looks for due reminders and alerts."""
    worker_health_bind: str = ""
    """``host:port`` of the probes' ``/healthz`` and ``/readyz``; empty: no health server."""
    retry_delays: str = "1,5,30,60,120"
    """Seconds before each new attempt at a failed message; after the last, dead-lettered."""
    flags: str = ""
    """Feature flag rollouts, JSON, the same as the front door's (docs/observability.md): the
    scheduler routes each daily weather alert by them as the front door routes chat. Only the
    scheduler reads it; empty: none."""

    @model_validator(mode="before")
    @classmethod
    def _dashboard_from_public_url(cls, data: Any) -> Any:
        """Default the dashboard's address from the public URL, before the binds are looked at."""
        if not isinstance(data, dict) or str(data.get("dashboard_url") or "").strip():
            return data
        public = str(data.get("public_url") or "").strip().rstrip("/")
        return {**data, "dashboard_url": f"{public}/dashboard"} if public else data

    @property
    def serves_installations(self) -> bool:
        """Whether Slack calls use each installation's token (Slack's OAuth install is on)."""
        return bool(self.slack_client_id.strip())

    @property
    def retry_policy(self) -> RetryPolicy:
        """:attr:`retry_delays` as a policy for the bus."""
        return RetryPolicy.parse(self.retry_delays)

    def flag_rules(self) -> dict[str, Split]:
        """:attr:`flags`, parsed (checked when the settings were read)."""
        return rollout_rules(self.flags)

    @field_validator("flags")
    @classmethod
    def _check_flags(cls, flags: str) -> str:
        rollout_rules(flags)
        return flags

    @field_validator("retry_delays")
    @classmethod
    def _check_delays(cls, delays: str) -> str:
        RetryPolicy.parse(delays)
        return delays

    @field_validator("worker_health_bind")
    @classmethod
    def _check_bind(cls, bind: str) -> str:
        bind = bind.strip()
        if bind:
            parse_bind(bind)
        return bind
