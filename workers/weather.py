"""The weather worker: ``weather``, ``weather <place>``, ``weather in <place>``.

The place the user typed is used exactly as typed (after the optional ``in``); without one the
user's stored location is used. Units follow the user's setting. Scheduled daily alerts arrive
here too, as ``weather`` actions for the user's own location.
"""

from __future__ import annotations

import re

from jeeves_shared.messages import Action, Reply
from workers.deps import WeatherDeps, expect_action
from workers.people import asker
from workers.weather_api import Units, WeatherError
from workers.weather_text import NO_LOCATION, describe, explain

_IN = re.compile(r"^in(?:\s+|$)", re.IGNORECASE)


async def handle(message: Action | Reply, deps: WeatherDeps) -> None:
    """Answer a ``weather`` action."""
    action = expect_action(message)
    await deps.answer(action, await weather_answer(action, deps))


async def weather_answer(action: Action, deps: WeatherDeps) -> str:
    """The text of the answer to a weather request."""
    user = await asker(deps.data, action)
    place = requested_place(action.args) or user.location
    if not place:
        return NO_LOCATION
    units: Units = "imperial" if user.units == "imperial" else "metric"
    try:
        return describe(await deps.weather.current(place, units=units))
    except WeatherError as exc:
        return explain(exc)


def requested_place(args: str) -> str:
    """The place in ``weather [in] <place>``: everything after an optional leading ``in``."""
    return _IN.sub("", args.strip(), count=1).strip()
