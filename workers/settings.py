"""Settings of the worker processes."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from jeeves_shared.bus import RetryPolicy
from jeeves_shared.runtime.settings import JeevesSettings, parse_bind


class WorkerSettings(JeevesSettings):
    """``JEEVES_*`` settings the workers read."""

    slack_bot_token: SecretStr = SecretStr("")
    slack_api_url: str = "https://slack.com/api/"
    #: Slash-command answers go only to a ``response_url`` under this prefix (Slack's hooks).
    slack_response_url_prefix: str = "https://hooks.slack.com/"
    #: OpenWeatherMap-compatible current-weather API; without a key, weather apologises.
    weather_api_url: str = "https://api.openweathermap.org/data/2.5"
    weather_api_key: SecretStr = SecretStr("")
    #: Where the Data Service and the TokenDealer listen.
    dataservice_url: str = "http://127.0.0.1:8002"
    tokendealer_url: str = "http://127.0.0.1:8003"
    #: The workers' OAuth2 client at the TokenDealer.
    worker_client_id: str = "jeeves-worker"
    worker_client_secret: SecretStr = SecretStr("")
    #: The web dashboard ``login`` links to (a placeholder until the dashboard exists).
    dashboard_url: str = "http://127.0.0.1:8000/dashboard"
    #: Unacknowledged messages one worker process holds at once.
    prefetch: int = Field(default=32, gt=0)
    #: The same for the Slack poster, which mostly waits (on Slack and the Data Service) and
    #: whose claims travel in batches as large as the replies it holds.
    slack_prefetch: int = Field(default=128, gt=0)
    #: How long SIGTERM waits for in-flight messages before closing.
    drain_timeout: float = Field(default=20.0, gt=0)
    #: Attempts slack_sdk makes for a rate-limited (429) or failing (5xx) Slack call.
    slack_max_retries: int = Field(default=3, ge=0)
    #: Seconds between the scheduler's looks for due reminders and alerts.
    scheduler_interval: float = Field(default=5.0, gt=0)
    #: ``host:port`` of the probes' ``/healthz`` and ``/readyz``; empty: no health server.
    worker_health_bind: str = ""
    #: Seconds before each new attempt at a message whose handler failed (``1,5,30,60,120``);
    #: after the last, it goes to the dead-letter queue.
    retry_delays: str = "1,5,30,60,120"

    @property
    def retry_policy(self) -> RetryPolicy:
        """:attr:`retry_delays` as a policy for the bus."""
        return RetryPolicy.parse(self.retry_delays)

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
