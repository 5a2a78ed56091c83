"""Inputs of ``/api/v1/users/{user_id}/reminders``; the answers are
:class:`~jeeves_shared.dataclient.models.Reminder` and ``ReminderList``."""

from __future__ import annotations

from dataservice.schemas.types import InputModel, Instant, ReminderText, SlackId, ThreadTs


class ReminderCreate(InputModel):
    """Body of a new reminder: what to say, when, and where (a thread when ``thread_ts``)."""

    text: ReminderText
    due_at: Instant
    channel_id: SlackId
    thread_ts: ThreadTs | None = None
