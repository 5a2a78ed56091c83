"""``/api/v1/users/{user_id}/reminders``: a user's reminders, created, listed, cancelled."""

from __future__ import annotations

from quart import Response

from dataservice import queries
from dataservice.operations import Api, Header
from dataservice.schemas.reminders import ReminderCreate
from dataservice.schemas.types import RequestKey, RowId
from dataservice.views.common import json_response, resources
from jeeves_shared.dataclient.models import ErrorBody, Reminder, ReminderList

api = Api("reminders", url_prefix="/api/v1")

USER = {"user_id": RowId}
REQUEST_KEY = Header(
    "A key unique to this request (the action id, at most 200 characters): a repeat with it "
    "answers 200 with the reminder it made rather than making another.",
    RequestKey,
    argument="request_key",
)


@api.operation(
    "POST",
    "/users/{user_id}/reminders",
    scope="reminders:write",
    params=USER,
    body=ReminderCreate,
    headers={"Idempotency-Key": REQUEST_KEY},
    summary="Create a reminder",
    responses={200: Reminder, 201: Reminder, 404: ErrorBody, 409: ErrorBody, 422: ErrorBody},
)
async def create_reminder(user_id: int, body: ReminderCreate, request_key: str | None) -> Response:
    """Remind the user of ``text`` at ``due_at``, in ``channel_id`` (in the thread
    ``thread_ts`` if given). 409 ``too_many_reminders`` when they have 100 pending already.

    With an `Idempotency-Key` the user made a reminder with already, nothing is created: 200
    with that reminder, as it is now."""
    deps = resources()
    async with deps.database.engine.begin() as conn:
        reminder, is_new = await queries.create_reminder(
            conn, user_id, body.model_dump(), now=deps.clock(), request_key=request_key
        )
    return json_response(reminder, 201 if is_new else 200)


@api.operation(
    "GET",
    "/users/{user_id}/reminders",
    scope="reminders:read",
    params=USER,
    summary="List a user's pending reminders",
    responses={200: ReminderList, 304: None, 404: ErrorBody, 422: ErrorBody},
)
async def list_reminders(user_id: int) -> Response:
    """The user's pending reminders, soonest first."""
    async with resources().database.reader.connect() as conn:
        reminders = await queries.list_pending_reminders(conn, user_id)
    return json_response(ReminderList(reminders=reminders))


@api.operation(
    "DELETE",
    "/users/{user_id}/reminders/{reminder_id}",
    scope="reminders:write",
    params={**USER, "reminder_id": RowId},
    summary="Cancel a pending reminder",
    responses={204: None, 404: ErrorBody, 422: ErrorBody},
)
async def cancel_reminder(user_id: int, reminder_id: int) -> Response:
    """Cancel it; 404 unless it is this user's and still pending."""
    async with resources().database.engine.begin() as conn:
        await queries.cancel_reminder(conn, user_id, reminder_id)
    return Response(b"", status=204)
