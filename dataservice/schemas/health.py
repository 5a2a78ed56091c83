"""The answers of ``/healthz`` and ``/readyz`` (read by probes, not by the client)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Health(BaseModel):
    """Liveness and readiness answers."""

    model_config = ConfigDict(frozen=True)

    status: Literal["ok", "unavailable", "draining"]
    checks: dict[str, str] = Field(default_factory=dict)
