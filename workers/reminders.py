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
    "Say `remind me in <n> <minutes|hours|days|weeks> to <text>` or "
    "`remind me at <time> to <text>`, for example `remind me in 10 minutes to stretch` or "
    "`remind me to call Ann at 5pm`."
)
MAX_TEXT = 500
#: Ids are 32-bit row ids; anything larger cannot name a reminder.
MAX_ID = 2**31 - 1
MAX_DELAY = timedelta(days=365)
RANGE = "I can remind you from 1 minute to 365 days from now."
#: The time first: ``in 10 minutes to stretch``; the time is up to the first "to".
_TIME_FIRST = re.compile(r"((?:in|at)\s.*?)\s+to(?:\s+(.*))?", re.IGNORECASE | re.DOTALL)
#: The time last: ``to stretch in 10 minutes``; the text is up to the last "in"/"at".
_TIME_LAST = re.compile(r"to\s+(.+)\s+((?:in|at)\s+\S+(?:\s+\S+)?)", re.IGNORECASE | re.DOTALL)
#: ``in <amount> <unit>``: digits (maybe negative: said to be in the past), a word, or anything.
_DELAY = re.compile(r"in\s+([-\u2212]?\d+|[^\W\d_]+|\S+?)\s*([^\W\d_]*)", re.IGNORECASE)
_CLOCK = re.compile(r"at\s+(\d{1,2})(?:[:.h](\d{2}))?\s*([ap])?(?:\.?m\.?)?", re.IGNORECASE)
_NUMBER_WORDS = {
    word: n
    for n, word in enumerate(
        (
            *("zero", "one", "two", "three", "four", "five", "six"),
            *("seven", "eight", "nine", "ten", "eleven", "twelve"),
        )
    )
} | {"a": 1, "an": 1}
_UNITS = {
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), timedelta(minutes=1)),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), timedelta(hours=1)),
    **dict.fromkeys(("d", "day", "days"), timedelta(days=1)),
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), timedelta(weeks=1)),
}


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
    """``(due, text)`` from the words after ``remind``, or the message explaining what is wrong.

    Accepted (case-insensitive, ``me`` optional): ``in <n> <unit> to <text>``,
    ``at <time> to <text>``, and the same with the time last (``to <text> in <n> <unit>``).
    ``<n>`` is digits, a number word up to twelve, or ``a``/``an``; units are minutes, hours,
    days and weeks (and their short forms); ``<time>`` is ``17:30``, ``5:30pm`` or ``9pm`` in
    ``zone`` (the next such time). Listed for users in ``docs/commands.md``.
    """
    args = re.sub(r"^me\b", "", args.strip(), flags=re.IGNORECASE).strip()
    if match := _TIME_FIRST.fullmatch(args):
        when, text = match[1], match[2] or ""
    elif match := _TIME_LAST.fullmatch(args):
        text, when = match[1], match[2]
        if not _looks_like_a_time(when):  # ``to sit in the garden``: no time was given
            return f"When should I remind you? {USAGE}"
    elif re.match(r"to\b", args, re.IGNORECASE):
        return f"When should I remind you? {USAGE}"
    elif re.match(r"(?:in|at)\b", args, re.IGNORECASE):
        when, text = args, ""  # ``in 5 minutes`` with no "to <text>"
    else:
        return USAGE
    due = due_time(when.rstrip(".!?"), now=now, zone=zone)
    if isinstance(due, str):
        return due
    text = " ".join(text.split())
    if not text:
        return f"What should I remind you of? {USAGE}"
    if len(text) > MAX_TEXT:
        return f"That reminder is too long ({len(text)} characters; {MAX_TEXT} at most)."
    return due, text


def due_time(when: str, *, now: datetime, zone: ZoneInfo) -> datetime | str:
    """The moment ``in <n> <unit>`` or ``at <time>`` names, or what is wrong with it."""
    if match := _DELAY.fullmatch(when):
        return _after_delay(match[1], match[2], now=now)
    if match := _CLOCK.fullmatch(when):
        return _next_clock_time(match, now=now, zone=zone)
    shown = to_slack_text(when[:40])
    if when[:2].lower() == "at":
        return f"`{shown}` is not a time of day: use `17:30`, `5:30pm` or `9pm`."
    return f"`{shown}` is not a delay: say `in 10 minutes`, `in two hours` or `in 3 days`."


def _looks_like_a_time(when: str) -> bool:
    first = when.split()[1].lower() if len(when.split()) > 1 else ""
    return bool(first) and (first[0] in "-\u22120123456789" or first in _NUMBER_WORDS)


def _after_delay(amount: str, unit: str, *, now: datetime) -> datetime | str:
    if not unit:
        return f"In {to_slack_text(amount[:20])} what? Say minutes, hours, days or weeks."
    step = _UNITS.get(unit.lower())
    if step is None:
        shown = to_slack_text(unit[:20])
        return f"`{shown}` is not a unit I know: use minutes, hours, days or weeks."
    if re.fullmatch(r"[-\u2212]\d+", amount):
        return f"I can't remind you in the past (`in {to_slack_text(amount)} {unit}`). {RANGE}"
    if amount.isascii() and amount.isdigit():
        if len(amount) > 7:  # more than 365 days in any unit; int() of it needs no time
            return RANGE
        count = int(amount)
    elif amount.lower() in _NUMBER_WORDS:
        count = _NUMBER_WORDS[amount.lower()]
    else:
        shown = to_slack_text(amount[:20])
        return f"`{shown}` is not a number: use digits or a word up to twelve (`in two hours`)."
    if count == 0 or count * step > MAX_DELAY:
        return RANGE
    return now + count * step


def _next_clock_time(match: re.Match[str], *, now: datetime, zone: ZoneInfo) -> datetime | str:
    hour, minute, half = int(match[1]), int(match[2] or 0), (match[3] or "").lower()
    if half and not 1 <= hour <= 12:
        return f"`{hour}{half}m` is not a time of day: with am/pm the hour is 1 to 12."
    if hour > 23 or minute > 59:
        shown = f"{hour:02d}:{minute:02d}"
        return f"`{shown}` is not a time of day: use 00:00 to 23:59, `5:30pm` or `9pm`."
    if half:
        hour = hour % 12 + (12 if half == "p" else 0)
    local = now.astimezone(zone)
    due = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if due <= local:
        due += timedelta(days=1)
    return due


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
