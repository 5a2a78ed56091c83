"""The answers of ``/healthz`` and ``/readyz`` (read by probes, not by the client)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Health(BaseModel):
    """Liveness (``ok``) and readiness answers (the shape of every ``/readyz``)."""

    model_config = ConfigDict(frozen=True)

    status: Literal["ok", "ready", "starting", "unavailable", "draining"]
    checks: dict[str, str] = Field(default_factory=dict)
