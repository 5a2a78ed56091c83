"""A local stand-in for OpenWeatherMap's "current weather" API that records what it is asked.

It listens on 127.0.0.1 and answers ``GET /weather?q=<place>&appid=<key>&units=<units>`` like
the real provider: conditions for the few places it knows (``"Paris"``, ``"paris, fr"``, ...),
``{"cod": "404"}`` for any other, 401 for a wrong key. A test can script the next answers
instead (a 500, a slow answer, a body that is not JSON). Tests read :attr:`FakeWeather.requests`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass(frozen=True)
class Place:
    """A place the fake knows, with its weather in metric units."""

    name: str
    country: str
    description: str
    temp: float
    feels_like: float
    humidity: int
    wind_speed: float


PLACES = (
    Place("Paris", "FR", "light rain", 12.3, 10.9, 81, 4.1),
    Place("Berlin", "DE", "overcast clouds", 8.0, 5.5, 70, 6.2),
    Place("Saint-Étienne", "FR", "clear sky", 15.4, 14.8, 55, 2.0),
    Place("New York", "US", "few clouds", 20.0, 19.6, 48, 3.6),
)


@dataclass(frozen=True)
class Scripted:
    """One answer a test wants instead of the usual one.

    ``raw`` replaces the JSON body; ``delay`` holds the answer back that many seconds (the fake
    stops waiting when it shuts down, so a slow answer never slows a test's teardown).
    """

    status: int = 200
    body: dict[str, Any] | None = None
    raw: bytes | None = None
    delay: float = 0.0


@dataclass(frozen=True)
class WeatherRequest:
    """One request the fake received, decoded."""

    place: str | None
    units: str | None
    api_key: str | None
    at: float = field(default_factory=time.monotonic)


class FakeWeather:
    """The fake provider; ``async with FakeWeather() as weather`` starts and stops it."""

    def __init__(self, api_key: str = "fake-weather-key") -> None:
        self.api_key = api_key
        self.requests: list[WeatherRequest] = []
        self.script: deque[Scripted] = deque()
        self.base_url = ""
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> FakeWeather:
        app = web.Application()
        app.router.add_get("/data/2.5/weather", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}/data/2.5"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        query = request.query
        self.requests.append(WeatherRequest(query.get("q"), query.get("units"), query.get("appid")))
        scripted = self.script.popleft() if self.script else None
        if scripted is None:
            return self._answer(query.get("q") or "", query.get("units"), query.get("appid"))
        if scripted.delay:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), scripted.delay)
        if scripted.raw is not None:
            return web.Response(body=scripted.raw, status=scripted.status)
        return web.json_response(scripted.body or {"cod": scripted.status}, status=scripted.status)

    def _answer(self, q: str, units: str | None, api_key: str | None) -> web.Response:
        if api_key != self.api_key:
            return web.json_response({"cod": 401, "message": "Invalid API key."}, status=401)
        place = find_place(q)
        if place is None:
            return web.json_response({"cod": "404", "message": "city not found"}, status=404)
        return web.json_response(to_provider_json(place, units))


def find_place(q: str) -> Place | None:
    """The known place ``q`` names, as ``"city"`` or ``"city,country"`` in any case."""
    city, _, country = (part.strip().casefold() for part in q.partition(","))
    for place in PLACES:
        if place.name.casefold() == city and country in ("", place.country.casefold()):
            return place
    return None


def to_provider_json(place: Place, units: str | None) -> dict[str, Any]:
    """``place``'s weather shaped like OpenWeatherMap's answer, in ``units``."""
    if units == "imperial":
        temp, feels_like, wind = (
            _to_f(place.temp),
            _to_f(place.feels_like),
            place.wind_speed * 2.237,
        )
    elif units == "metric":
        temp, feels_like, wind = place.temp, place.feels_like, place.wind_speed
    else:  # OpenWeatherMap's default, "standard": kelvin
        temp, feels_like, wind = place.temp + 273.15, place.feels_like + 273.15, place.wind_speed
    return {
        "coord": {"lon": 0.0, "lat": 0.0},
        "weather": [{"id": 800, "main": "Clouds", "description": place.description, "icon": "04d"}],
        "base": "stations",
        "main": {
            "temp": round(temp, 2),
            "feels_like": round(feels_like, 2),
            "pressure": 1013,
            "humidity": place.humidity,
        },
        "visibility": 10000,
        "wind": {"speed": round(wind, 2), "deg": 240},
        "sys": {"country": place.country, "sunrise": 1700000000, "sunset": 1700030000},
        "timezone": 3600,
        "id": 2988507,
        "name": place.name,
        "cod": 200,
    }


def _to_f(celsius: float) -> float:
    return celsius * 9 / 5 + 32
