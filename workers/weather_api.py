"""A client for an OpenWeatherMap-compatible "current weather" API.

:class:`WeatherClient` asks ``GET {base_url}/weather?q=<place>&appid=<key>&units=<units>`` and
turns the answer into :class:`Conditions`. Every provider problem becomes one of two small
errors, :class:`PlaceNotFound` or :class:`WeatherUnavailable`; nothing else escapes. Answers are
cached per place and units, and identical requests made at the same time share one HTTP call.

The API key travels in the query string, so this module never logs a URL and never chains an
aiohttp error (whose text may hold the URL) onto the errors it raises.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Literal

import aiohttp
import pydantic_core
import structlog
from cachetools import TTLCache
from pydantic import BaseModel, ConfigDict, Field, ValidationError

log = structlog.get_logger(__name__)

Units = Literal["metric", "imperial"]

#: Why the weather is unavailable; the worker picks the apology from it.
Reason = Literal[
    "no api key",
    "api key refused",
    "rate limited",
    "provider error",
    "timed out",
    "unreachable",
    "unexpected answer",
]


class WeatherError(Exception):
    """Base class of the errors :meth:`WeatherClient.current` raises."""


class PlaceNotFound(WeatherError):
    """The provider does not know ``place``."""

    def __init__(self, place: str) -> None:
        super().__init__(f"no such place: {place!r}")
        self.place = place


class WeatherUnavailable(WeatherError):
    """The weather cannot be had right now, for ``reason``."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(f"weather unavailable: {reason}")
        self.reason: Reason = reason


class Conditions(BaseModel):
    """The current weather at one place, in ``units`` (°C and m/s, or °F and mph)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    name: str = Field(min_length=1)
    #: ISO 3166 code; the provider leaves it out for some places.
    country: str | None = None
    description: str
    temp: float
    feels_like: float
    humidity: int = Field(ge=0, le=100)
    wind_speed: float = Field(ge=0)
    units: Units


class _Main(BaseModel):
    temp: float
    feels_like: float
    humidity: int


class _Sky(BaseModel):
    description: str


class _Wind(BaseModel):
    speed: float


class _Sys(BaseModel):
    country: str | None = None


class _Provided(BaseModel):
    """The parts of the provider's answer that Jeeves reads; the rest is ignored."""

    name: str
    main: _Main
    weather: list[_Sky] = Field(min_length=1)
    wind: _Wind
    sys: _Sys = Field(default_factory=_Sys)

    def to_conditions(self, units: Units) -> Conditions:
        """The answer as :class:`Conditions` (validated again, e.g. humidity within 0 to 100)."""
        return Conditions(
            name=self.name,
            country=self.sys.country or None,
            description=self.weather[0].description,
            temp=self.main.temp,
            feels_like=self.main.feels_like,
            humidity=self.main.humidity,
            wind_speed=self.wind.speed,
            units=units,
        )


_Key = tuple[str, Units]


class WeatherClient:
    """Current conditions from the provider at ``base_url``, cached for ``cache_ttl`` seconds."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        base_url: str,
        api_key: str | None,
        timeout: float = 5.0,
        cache_ttl: float = 600.0,
        cache_size: int = 1000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._session = session
        self._url = base_url.rstrip("/") + "/weather"
        self._api_key = api_key
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        # An answer is reused while clock() < stored + cache_ttl; when full, expired answers go
        # first, then the least recently used.
        self._cache: TTLCache[_Key, Conditions] = TTLCache(
            maxsize=cache_size, ttl=cache_ttl, timer=clock
        )
        # Single flight stays ours: cachetools memoizes plain calls only (its maintainers keep
        # coroutines out of it), and a coroutine can be awaited once, so concurrent askers of
        # one key share the task of the first instead.
        self._in_flight: dict[_Key, asyncio.Task[Conditions]] = {}

    @property
    def has_api_key(self) -> bool:
        """Whether a key is configured: without one every request apologises."""
        return bool(self._api_key)

    async def current(self, place: str, *, units: Units) -> Conditions:
        """The weather at ``place`` now.

        :raises PlaceNotFound: the provider does not know ``place`` (or it is blank).
        :raises WeatherUnavailable: no API key, or the provider failed, timed out or sent
            something unexpected.
        """
        if not self._api_key:
            raise WeatherUnavailable("no api key")
        if not place.strip():
            raise PlaceNotFound(place)
        key = (" ".join(place.split()).casefold(), units)
        cached = self._cache.get(key)
        if cached is not None:
            log.debug("weather.cache_hit", place=place, units=units)
            return cached
        task = self._in_flight.get(key)
        if task is None:
            task = asyncio.create_task(self._fetch_and_remember(key, place.strip(), units))
            self._in_flight[key] = task
        # A caller that gives up must not cancel the call the others are waiting for.
        return await asyncio.shield(task)

    async def _fetch_and_remember(self, key: _Key, place: str, units: Units) -> Conditions:
        try:
            conditions = await self._fetch(place, units)
        finally:
            self._in_flight.pop(key, None)
        self._cache[key] = conditions
        return conditions

    async def _fetch(self, place: str, units: Units) -> Conditions:
        params = {"q": place, "appid": self._api_key or "", "units": units}
        try:
            async with self._session.get(
                self._url, params=params, timeout=self._timeout, raise_for_status=False
            ) as response:
                status, body = response.status, await response.read()
        except TimeoutError:
            log.warning("weather.unavailable", place=place, reason="timed out")
            raise WeatherUnavailable("timed out") from None
        except aiohttp.ClientError as error:
            log.warning(
                "weather.unavailable", place=place, reason="unreachable", error=type(error).__name__
            )
            raise WeatherUnavailable("unreachable") from None
        return _to_conditions(place, units, status=status, body=body)


def _to_conditions(place: str, units: Units, *, status: int, body: bytes) -> Conditions:
    """The provider's answer as :class:`Conditions`, or the error it stands for."""
    _raise_for_status(place, status)
    try:
        data = pydantic_core.from_json(body)
    except ValueError:
        raise _unexpected(place, "not JSON") from None
    if not isinstance(data, dict):
        raise _unexpected(place, "not an object")
    # OpenWeatherMap may put the real status in the body's "cod", as a number or a string.
    _raise_for_status(place, _status_in_body(data.get("cod"), default=status))
    try:
        return _Provided.model_validate(data).to_conditions(units)
    except ValidationError as error:
        raise _unexpected(place, f"{error.error_count()} invalid fields") from None


def _status_in_body(cod: object, *, default: int) -> int:
    """The status number in ``cod``, or ``default`` when there is none."""
    text = str(cod).strip() if isinstance(cod, int | str) else ""
    return int(text) if text.isdecimal() and len(text) == 3 else default


_REASONS: dict[int, Reason] = {401: "api key refused", 403: "api key refused", 429: "rate limited"}


def _raise_for_status(place: str, status: int) -> None:
    """Raise the error a non-200 provider status stands for."""
    if status == 200:
        return
    if status in (400, 404):  # 400: OpenWeatherMap's "Nothing to geocode" for odd queries
        log.info("weather.place_not_found", place=place, status=status)
        raise PlaceNotFound(place)
    reason = _REASONS.get(status, "provider error")
    log.warning("weather.unavailable", place=place, reason=reason, status=status)
    raise WeatherUnavailable(reason)


def _unexpected(place: str, detail: str) -> WeatherUnavailable:
    """The error for an answer Jeeves cannot read, logged with what was wrong with it."""
    log.warning("weather.unavailable", place=place, reason="unexpected answer", detail=detail)
    return WeatherUnavailable("unexpected answer")
