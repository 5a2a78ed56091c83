"""Settings of the worker processes."""

from __future__ import annotations

from pydantic import Field, SecretStr

from jeeves_shared.settings import JeevesSettings


class WorkerSettings(JeevesSettings):
    """``JEEVES_*`` settings the workers read."""

    slack_bot_token: SecretStr = SecretStr("")
    slack_api_url: str = "https://slack.com/api/"
    #: Unacknowledged messages one worker process holds at once.
    prefetch: int = Field(default=32, gt=0)
    #: How long SIGTERM waits for in-flight messages before closing.
    drain_timeout: float = Field(default=20.0, gt=0)
    #: Attempts slack_sdk makes for a rate-limited (429) or failing (5xx) Slack call.
    slack_max_retries: int = Field(default=3, ge=0)
