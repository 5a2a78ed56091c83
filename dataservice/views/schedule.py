"""``/api/v1/schedule``: the scheduler claims due reminders and alerts, and reports them done.

Every item is leased to one claimer at a time; see :mod:`dataservice.queries.schedule`.
"""

from __future__ import annotations

from datetime import timedelta

from quart import Response

from dataservice import queries
from dataservice.operations import Api
from dataservice.schemas.schedule import AlertDone, ClaimRequest, ReminderDone
from dataservice.schemas.types import RowId
from dataservice.views.common import json_response, resources
from dataservice.views.users import user_response
from jeeves_shared.dataclient.models import Claimed, ErrorBody, Reminder, User

api = Api("schedule", url_prefix="/api/v1")

_FINISH_ERRORS = {404: ErrorBody, 409: ErrorBody, 422: ErrorBody}


@api.operation(
    "POST",
    "/schedule/claim",
    scope="schedule:claim",
    body=ClaimRequest,
    summary="Claim the reminders and alerts due by now",
    responses={200: Claimed, 422: ErrorBody},
)
async def claim_due(body: ClaimRequest) -> Response:
    """Lease to ``owner`` for ``lease_seconds`` every pending reminder and every daily alert
    due by ``now`` that nobody holds a live lease on, oldest first, up to ``limit`` of each.

    Concurrent claimers never get the same item. Report each one done when delivered; one not
    reported before its lease ends is claimed again.
    """
    lease = timedelta(seconds=body.lease_seconds)
    async with resources().database.engine.begin() as conn:
        reminders = await queries.claim_due_reminders(
            conn, owner=body.owner, now=body.now, lease=lease, limit=body.limit
        )
        alerts = await queries.claim_due_alerts(
            conn, owner=body.owner, now=body.now, lease=lease, limit=body.limit
        )
    return json_response(Claimed(reminders=reminders, alerts=alerts))


@api.operation(
    "POST",
    "/schedule/reminders/{reminder_id}/done",
    scope="schedule:claim",
    params={"reminder_id": RowId},
    body=ReminderDone,
    summary="Report a claimed reminder delivered",
    responses={200: Reminder, **_FINISH_ERRORS},
)
async def finish_reminder(reminder_id: int, body: ReminderDone) -> Response:
    """Mark it delivered; 409 ``lease_lost`` if another owner holds a live lease on it or it
    is no longer pending (delivered or cancelled)."""
    deps = resources()
    async with deps.database.engine.begin() as conn:
        reminder = await queries.finish_reminder(
            conn, reminder_id, owner=body.owner, now=deps.clock()
        )
    return json_response(reminder)


@api.operation(
    "POST",
    "/schedule/alerts/{user_id}/done",
    scope="schedule:claim",
    params={"user_id": RowId},
    body=AlertDone,
    summary="Report a claimed daily alert sent",
    responses={200: User, **_FINISH_ERRORS},
)
async def finish_alert(user_id: int, body: AlertDone) -> Response:
    """Move the user's next alert to the first alert time after both now and ``due_at``, and
    answer the user; 409 ``lease_lost`` if another owner holds a live lease on it or ``due_at``
    is no longer their next alert (already done, rescheduled, or alerts switched off)."""
    deps = resources()
    async with deps.database.engine.begin() as conn:
        user = await queries.finish_alert(
            conn, user_id, owner=body.owner, due_at=body.due_at, now=deps.clock()
        )
    return user_response(user)
