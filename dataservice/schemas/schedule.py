"""Inputs of ``/api/v1/schedule``; the answers are
:class:`~jeeves_shared.dataclient.models.Claimed`, ``Reminder`` and ``User``."""

from __future__ import annotations

from pydantic import Field

from dataservice.schemas.types import InputModel, Instant, LeaseOwner, WholeNumber


class ClaimRequest(InputModel):
    """Body of a claim: who claims, the time it is, how long to hold each item, how many."""

    owner: LeaseOwner
    now: Instant
    lease_seconds: WholeNumber = Field(default=60, ge=5, le=3600)
    limit: WholeNumber = Field(default=100, ge=1, le=500)


class ReminderDone(InputModel):
    """Body of reporting a claimed reminder delivered."""

    owner: LeaseOwner


class AlertDone(InputModel):
    """Body of reporting a claimed alert sent: ``due_at`` as the claim gave it."""

    owner: LeaseOwner
    due_at: Instant
