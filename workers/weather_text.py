"""What Jeeves says about the weather: pure functions from results and errors to reply text.

Anything that came from a user or from the provider is made safe for Slack's mrkdwn first
(:func:`workers.mrkdwn.to_slack_text`).
"""

from __future__ import annotations

from workers.mrkdwn import to_slack_text
from workers.weather_api import (
    Conditions,
    PlaceNotFound,
    Units,
    WeatherError,
    WeatherUnavailable,
)

NO_LOCATION = "I don't know where you are. Tell me with `set location <place>`."
SERVICE_DOWN = "Sorry, I can't reach the weather service right now. Try again in a few minutes."
#: The setting that switches weather on; named in answers so whoever runs Jeeves knows what to do.
API_KEY_SETTING = "JEEVES_WEATHER_API_KEY"
NOT_SET_UP = (
    "Sorry, weather isn't set up on this Jeeves yet: whoever runs it needs to set "
    f"`{API_KEY_SETTING}` (an OpenWeatherMap API key) and restart."
)

#: Longer place names are cut short in replies.
MAX_PLACE_LENGTH = 100

_SYMBOLS: dict[Units, tuple[str, str]] = {"metric": ("°C", "m/s"), "imperial": ("°F", "mph")}


def describe(conditions: Conditions) -> str:
    """One line on the weather, e.g. "Weather in Paris, FR: light rain, 12.3°C (feels like …"."""
    degrees, speed = _SYMBOLS[conditions.units]
    where = ", ".join(filter(None, (conditions.name, conditions.country)))
    temp, feels_like = _number(conditions.temp), _number(conditions.feels_like)
    parts = [
        to_slack_text(conditions.description),
        f"{temp}{degrees} (feels like {feels_like}{degrees})",
        f"humidity {conditions.humidity}%",
        f"wind {_number(conditions.wind_speed)} {speed}",
    ]
    return f"Weather in {to_slack_text(where)}: {', '.join(filter(None, parts))}."


def place_not_found(place: str) -> str:
    """The answer for an unknown place, escaped and cut to :data:`MAX_PLACE_LENGTH`."""
    shown = " ".join(place.split())
    if len(shown) > MAX_PLACE_LENGTH:
        shown = shown[: MAX_PLACE_LENGTH - 1].rstrip() + "…"
    return f"I couldn't find {to_slack_text(shown) or 'that place'}."


def explain(error: WeatherError) -> str:
    """The reply to a weather request that failed with ``error``."""
    if isinstance(error, PlaceNotFound):
        return place_not_found(error.place)
    if isinstance(error, WeatherUnavailable) and error.reason == "no api key":
        return NOT_SET_UP
    return SERVICE_DOWN


def _number(value: float) -> str:
    """``value`` to one decimal, without a "-0.0"."""
    shown = f"{value:.1f}"
    return "0.0" if shown == "-0.0" else shown
