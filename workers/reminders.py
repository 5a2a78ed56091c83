"""The reminders worker: ``remind me``, ``reminders`` and ``reminders cancel <id>``.

Reminders are stored in the Data Service; the scheduler delivers them when due, in the thread
they were asked in, or else by direct message.
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from jeeves_shared.dataclient import Conflict, Reminder, User
from jeeves_shared.messages import Action, Reply
from workers.deps import DataDeps, expect_action
from workers.mrkdwn import to_slack_text
from workers.people import asker

USAGE = (
    "Say `remind me in <n> <minutes|hours|days> to <text>` or "
    "`remind me at <HH:MM> to <text>`, for example `remind me in 10 minutes to stretch`."
)
MAX_TEXT = 500
#: Ids are 32-bit row ids; anything larger cannot name a reminder.
MAX_ID = 2**31 - 1
MAX_DELAY = timedelta(days=365)
_IN = re.compile(
    r"(?:me\s+)?in\s+(\d{1,6})\s*(minutes?|mins?|m|hours?|hrs?|h|days?|d)\s+to\s+(.+)",
    re.IGNORECASE | re.DOTALL,
)
_AT = re.compile(
    r"(?:me\s+)?at\s+([01]?\d|2[0-3]):([0-5]\d)\s+to\s+(.+)", re.IGNORECASE | re.DOTALL
)
_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}


async def handle(message: Action | Reply, deps: DataDeps) -> None:
    """Answer ``remind`` and ``reminders``."""
    action = expect_action(message)
    if action.command == "remind":
        text = await remind(action, deps)
    else:
        text = await reminders(action, deps)
    await deps.answer(action, text)


async def remind(action: Action, deps: DataDeps) -> str:
    """Store a reminder and say when it will come."""
    data = deps.data
    user = await asker(data, action)
    zone = await user_zone(user)
    parsed = parse_reminder(action.args, now=deps.clock(), zone=zone)
    if isinstance(parsed, str):
        return parsed
    due, text = parsed
    channel, thread = delivery_target(action)
    try:
        reminder = await data.create_reminder(
            user.id,
            text=text,
            due_at=due,
            channel_id=channel,
            thread_ts=thread,
            idempotency_key=action.id,
        )
    except Conflict:
        return "You have too many pending reminders; cancel some first (`reminders`)."
    due_at = when(reminder.due_at, zone)
    return f"OK, I'll remind you {due_at}: {to_slack_text(text)} (id `{reminder.id}`)."


def parse_reminder(args: str, *, now: datetime, zone: ZoneInfo) -> tuple[datetime, str] | str:
    """``(due, text)`` from the words after ``remind``, or the message explaining what is wrong."""
    args = args.strip()
    if match := _IN.fullmatch(args):
        amount, unit, text = int(match[1]), match[2][0].lower(), match[3]
        delay = amount * _UNITS[unit]
        if amount == 0 or delay > MAX_DELAY:
            return "I can remind you from 1 minute to 365 days from now."
        due = now + delay
    elif match := _AT.fullmatch(args):
        local = now.astimezone(zone)
        due = local.replace(hour=int(match[1]), minute=int(match[2]), second=0, microsecond=0)
        if due <= local:
            due += timedelta(days=1)
        text = match[3]
    else:
        return USAGE
    text = " ".join(text.split())
    if len(text) > MAX_TEXT:
        return f"That reminder is too long ({len(text)} characters; {MAX_TEXT} at most)."
    return due, text


def delivery_target(action: Action) -> tuple[str, str | None]:
    """Where the reminder goes: the thread it was asked in, else the DM (or the dev chat)."""
    where = action.conversation
    if where.thread_ts or where.is_direct_message:
        return where.channel_id, where.thread_ts
    return where.user_id, None  # chat.postMessage to a user id lands in the bot's DM with them


async def reminders(action: Action, deps: DataDeps) -> str:
    """``reminders`` lists; ``reminders cancel <id>`` cancels."""
    verb, _, rest = action.args.strip().partition(" ")
    data = deps.data
    user = await asker(data, action)
    if verb.lower() == "cancel":
        return await cancel(deps, user, rest.strip())
    if verb:
        return "Say `reminders` to list them or `reminders cancel <id>`."
    pending = await data.list_reminders(user.id)
    return listing(pending, await user_zone(user))


async def cancel(deps: DataDeps, user: User, ident: str) -> str:
    """Cancel one of the user's own pending reminders."""
    digits = ident.lstrip("#")
    if not (digits.isascii() and digits.isdigit()):
        return "Which one? Say `reminders cancel <id>`; `reminders` shows the ids."
    number = int(digits)
    if 1 <= number <= MAX_ID and await deps.data.cancel_reminder(user.id, number):
        return f"Reminder `{number}` cancelled."
    return f"You have no pending reminder `{number}`."


def listing(pending: list[Reminder], zone: ZoneInfo) -> str:
    """The user's pending reminders, soonest first."""
    if not pending:
        return "You have no reminders. Say `remind me in 10 minutes to stretch` to set one."
    lines = ["Your reminders:"]
    lines += [
        f"• `{r.id}` {when(r.due_at, zone)}: {to_slack_text(r.text)}"
        for r in sorted(pending, key=lambda r: r.due_at)
    ]
    return "\n".join(lines)


def when(moment: datetime, zone: ZoneInfo) -> str:
    """``at 17:30 on Fri 27 Nov (Europe/Paris)``."""
    local = moment.astimezone(zone)
    return f"at {local:%H:%M} on {local:%a %d %b} ({zone.key})"


async def user_zone(user: User) -> ZoneInfo:
    """The user's timezone (UTC if unset); loaded off the event loop the first time."""
    return await asyncio.to_thread(ZoneInfo, user.timezone or "UTC")
