"""Inputs of the reply claims (``/api/v1/events``: the ids are reply ids); the answers are
:class:`~jeeves_shared.dataclient.models.ReplyClaim`, ``LeaseOutcomes`` and ``DoneOutcomes``."""

from __future__ import annotations

from pydantic import Field

from dataservice.schemas.types import EventId, IdempotencyKey, InputModel, LeaseSeconds, SlackId


class LeaseRequest(InputModel):
    """Body of a claim: hold it ``pending`` for ``lease_seconds``; ``team_id``, the workspace
    whose action the reply answers, is recorded with a new claim (the admin view counts them)."""

    lease_seconds: LeaseSeconds
    team_id: SlackId | None = None


class ClaimItem(InputModel):
    """One reply of a batch, with the caller's key for it."""

    event_id: EventId
    key: IdempotencyKey


class LeaseItem(ClaimItem):
    """One reply of a lease batch; ``team_id`` as in :class:`LeaseRequest`."""

    team_id: SlackId | None = None


#: Replies one batch may carry.
MAX_BATCH = 100


class LeaseBatchRequest(InputModel):
    """Lease several replies at once, each under its own key, for ``lease_seconds``."""

    lease_seconds: LeaseSeconds
    claims: list[LeaseItem] = Field(min_length=1, max_length=MAX_BATCH)


class DoneBatchRequest(InputModel):
    """Report several leased claims done."""

    claims: list[ClaimItem] = Field(min_length=1, max_length=MAX_BATCH)
