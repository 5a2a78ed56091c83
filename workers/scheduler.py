"""The scheduler: fires due reminders and daily alerts, exactly once, and catches up.

Every ``interval`` seconds it asks the Data Service to *claim* what is due: the claim leases
each item to this scheduler for ``lease`` seconds, atomically, so two schedulers never fire the
same item. A reminder becomes a reply (in its thread or the user's DM); an alert becomes a
``weather`` action for the user's own location. Only then is the item marked done. If this
process dies in between, the lease runs out and another scheduler fires the item again, with
the same message ids; the replies they lead to keep their ids too, so the Slack poster's claim on
each reply id posts such a repeat only once. Items that fell due while no scheduler ran are
delivered late, with a note saying so.

An alert's ``weather`` action is routed like one asked in chat: while a new weather worker is
rolled out (``JEEVES_FLAGS``), the same flag evaluation for the same user (their own team and
user id) picks its queue (:func:`jeeves_shared.flags.action_routing_key`), so a person gets one
version of the weather worker for both.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import time
import uuid
from datetime import datetime, timedelta

import structlog

from jeeves_shared.auth import TokenRequestFailed
from jeeves_shared.bus import BusUnavailable
from jeeves_shared.bus.topology import ACTIONS_EXCHANGE
from jeeves_shared.dataclient import DataServiceError, DueAlert, DueReminder
from jeeves_shared.flags import action_routing_key
from jeeves_shared.messages import Action, Conversation, origin_of
from jeeves_shared.observability.metrics import SCHEDULER_LATENESS
from workers.deps import SchedulerDeps
from workers.mrkdwn import to_slack_text

log = structlog.get_logger(__name__)

#: Items claimed per look: few enough to fire well within one lease.
BATCH = 20
#: Later than this and the reminder says it is late.
LATE = timedelta(minutes=2)


class Scheduler:
    """Claims and fires due items; one instance per scheduler process."""

    def __init__(self, deps: SchedulerDeps, *, interval: float, lease_seconds: int = 60) -> None:
        self._deps = deps
        self._interval = interval
        self._lease = lease_seconds
        self.owner = f"scheduler-{os.getpid()}-{uuid.uuid4().hex[:8]}"

    async def run(self, stop: asyncio.Event) -> None:
        """Fire what is due every ``interval`` seconds until ``stop`` is set."""
        log.info("scheduler.started", owner=self.owner, interval=self._interval)
        # Wait one interval first: services started alongside us get to listen.
        while not await _stopped_within(stop, self._interval):
            try:
                await self.tick()
            except (DataServiceError, TokenRequestFailed, BusUnavailable) as exc:
                # A dependency is down; the next tick tries again, and leases keep us exact.
                log.warning("scheduler.tick_failed", owner=self.owner, error=str(exc))
            except Exception:  # a bad tick must not end the scheduler
                log.exception("scheduler.tick_failed", owner=self.owner)

    async def tick(self) -> int:
        """Claim a batch of what is due now and fire it; return how many items were fired.

        Items are fired one by one while at least half of the lease is left; one that fails is
        skipped (its lease runs out and a later tick fires it), the others still go.
        """
        now = self._deps.clock()
        claimed = await self._deps.data.claim_due(
            self.owner, now=now, lease_seconds=self._lease, limit=BATCH
        )
        deadline = time.monotonic() + self._lease / 2
        firings = [
            *(functools.partial(self.fire_reminder, r, now) for r in claimed.reminders),
            *(functools.partial(self.fire_alert, a) for a in claimed.alerts),
        ]
        fired = 0
        for fire in firings:
            if time.monotonic() > deadline:
                log.warning("scheduler.lease_running_out", left=len(firings) - fired)
                break
            try:
                await fire()
            except (DataServiceError, TokenRequestFailed, BusUnavailable) as exc:
                log.warning("scheduler.fire_failed", owner=self.owner, error=str(exc))
                continue
            fired += 1
        return fired

    async def fire_reminder(self, reminder: DueReminder, now: datetime) -> None:
        """Say the reminder where it was asked for, then mark it delivered."""
        action = Action(
            id=f"reminder-{reminder.id}",
            command="remind",
            text=reminder.text,
            conversation=Conversation(
                origin=origin_of(reminder.team_id),
                team_id=reminder.team_id,
                channel_id=reminder.channel_id,
                user_id=reminder.slack_user_id,
                thread_ts=reminder.thread_ts,
                is_direct_message=reminder.thread_ts is None,
            ),
        )
        await self._deps.answer(action, reminder_text(reminder, now))
        SCHEDULER_LATENESS.labels("reminder").observe(_seconds_late(reminder.due_at, now))
        if not await self._deps.data.finish_reminder(reminder.id, self.owner):
            log.warning("scheduler.lease_lost", reminder_id=reminder.id, owner=self.owner)
        log.info("scheduler.reminder_fired", reminder_id=reminder.id)

    async def fire_alert(self, alert: DueAlert) -> None:
        """Ask the weather worker for the user's weather, by DM; then move to the next day.

        The weather worker is the one the rollout flag gives this user, as for chat.
        """
        action = Action(
            id=f"alert-{alert.user_id}-{alert.due_at:%Y%m%dT%H%M}",
            command="weather",
            conversation=Conversation(
                origin=origin_of(alert.team_id),
                team_id=alert.team_id,
                channel_id=alert.slack_user_id,
                user_id=alert.slack_user_id,
                is_direct_message=True,
            ),
        )
        routing_key = await action_routing_key(action, self._deps.flags)
        await self._deps.bus.publish(ACTIONS_EXCHANGE, routing_key, action)
        lateness = _seconds_late(alert.due_at, self._deps.clock())
        SCHEDULER_LATENESS.labels("alert").observe(lateness)
        if not await self._deps.data.finish_alert(alert.user_id, self.owner, alert.due_at):
            log.warning("scheduler.lease_lost", user_id=alert.user_id, owner=self.owner)
        log.info("scheduler.alert_fired", user_id=alert.user_id)


def _seconds_late(due_at: datetime, now: datetime) -> float:
    return max(0.0, (now - due_at).total_seconds())


async def _stopped_within(stop: asyncio.Event, seconds: float) -> bool:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
    return stop.is_set()


def reminder_text(reminder: DueReminder, now: datetime) -> str:
    """``Reminder: <text>``, with a note when it comes late."""
    text = f"⏰ Reminder: {to_slack_text(reminder.text)}"
    if now - reminder.due_at > LATE:
        due = reminder.due_at
        text += f" (this was due at {due:%H:%M} UTC on {due:%a %d %b}; I couldn't deliver it then)"
    return text
