"""The user worker: location, settings, daily alerts and the dashboard link.

Commands: ``set location <place>``, ``get location`` (``where am i``),
``config show|get <key>|set <key> <value>|unset <key>``, ``alerts [on [HH:MM]|off]``, ``login``;
and the installations' lifecycle events (:mod:`workers.lifecycle`).
Everything it stores lives in the Data Service.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from jeeves_shared.messages import LIFECYCLE_COMMANDS, Action, Reply
from workers import lifecycle, preferences
from workers.deps import UserDeps, expect_action
from workers.mrkdwn import to_slack_text
from workers.people import asker
from workers.weather_text import NO_LOCATION

Answer = Callable[[Action, UserDeps], Awaitable[str | None]]


async def handle(message: Action | Reply, deps: UserDeps) -> None:
    """Answer one of the user worker's commands, or record an installation's lifecycle event
    (:mod:`workers.lifecycle`)."""
    action = expect_action(message)
    if action.command in LIFECYCLE_COMMANDS:
        await lifecycle.handle(action, deps)
        return
    text = await _ANSWERS[action.command](action, deps)
    if text is not None:
        await deps.answer(action, text)


async def set_location(action: Action, deps: UserDeps) -> str:
    """``set location <place>``."""
    place = " ".join(action.args.split())
    if not place:
        return "Where are you? Say `set location <place>`, for example `set location Lyon, FR`."
    if len(place) > 100:
        return "That place name is too long (100 characters at most)."
    data = deps.data
    user = await asker(data, action)
    await data.update_user(user.id, {"location": place})
    return f"Got it: you are in {to_slack_text(place)}."


async def get_location(action: Action, deps: UserDeps) -> str:
    """``get location`` / ``where am i``."""
    user = await asker(deps.data, action)
    if not user.location:
        return NO_LOCATION
    return f"You are in {to_slack_text(user.location)}."


async def login(action: Action, deps: UserDeps) -> None:
    """``login``: the dashboard link goes to the user's DM, never to a channel."""
    where = action.conversation
    text = f"Your Jeeves dashboard: {deps.dashboard_url}"
    if where.is_direct_message or where.origin != "slack":
        await deps.answer(action, text)
        return
    # The same installation and user; only the place changes (the user's DM, not in a thread).
    dm = where.model_copy(
        update={"channel_id": where.user_id, "thread_ts": None, "response_url": None}
    )
    await deps.answer(action, "I've sent you a direct message with the link.")
    await deps.answer(action, text, to=dm, first_part=1)


async def _login(action: Action, deps: UserDeps) -> str | None:
    await login(action, deps)
    return None


_ANSWERS: dict[str, Answer] = {
    "set_location": set_location,
    "get_location": get_location,
    "config": preferences.config,
    "alerts": preferences.alerts,
    "login": _login,
}
