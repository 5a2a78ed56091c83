"""The weather client and what Jeeves replies with its results.

Most cases use aioresponses; the ones that need real HTTP (timeouts, URL encoding end to end,
cancellation) talk to :class:`FakeWeather` on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import html
import re
import time
import traceback
import types
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses
from hypothesis import given
from hypothesis import strategies as st
from structlog.testing import capture_logs
from yarl import URL

from tests.support.clock import FakeClock
from tests.support.fake_weather import FakeWeather, Scripted
from workers.weather_api import (
    Conditions,
    PlaceNotFound,
    Units,
    WeatherClient,
    WeatherError,
    WeatherUnavailable,
)
from workers.weather_text import (
    NO_LOCATION,
    NOT_SET_UP,
    SERVICE_DOWN,
    describe,
    explain,
    place_not_found,
)

BASE_URL = "https://weather.test/data/2.5"
KEY = "owm-secret-key-123"
ANY_WEATHER_REQUEST = re.compile(r"^https://weather\.test/data/2\.5/weather\?")
PARIS_METRIC = (
    "Weather in Paris, FR: light rain, 12.3°C (feels like 10.9°C), humidity 81%, wind 4.1 m/s."
)


def owm_answer(**main: Any) -> dict[str, Any]:
    """An OpenWeatherMap answer for Paris; ``main`` overrides temperatures and humidity."""
    return {
        "coord": {"lon": 2.35, "lat": 48.85},
        "weather": [{"id": 500, "main": "Rain", "description": "light rain", "icon": "10d"}],
        "main": {"temp": 12.3, "feels_like": 10.9, "pressure": 1012, "humidity": 81} | main,
        "wind": {"speed": 4.1, "deg": 240},
        "sys": {"country": "FR"},
        "name": "Paris",
        "cod": 200,
    }


class MockedResponse(aiohttp.ClientResponse):
    """aioresponses 0.7.9 builds responses without the ``stream_writer`` aiohttp 3.14 needs."""

    def __init__(self, method: str, url: URL, **kwargs: Any) -> None:
        kwargs.setdefault("stream_writer", types.SimpleNamespace(output_size=0))
        super().__init__(method, url, **kwargs)


class Provider:
    """The provider as aioresponses plays it: scripted answers, recorded request URLs."""

    def __init__(self, mocked: aioresponses) -> None:
        self.mocked = mocked
        #: Every URL requested, in order.
        self.urls: list[URL] = []

    def _record(self, url: URL, **_: Any) -> None:
        self.urls.append(url)

    def answers(
        self, payload: Any = None, *, status: int = 200, body: str = "", repeat: bool = True
    ) -> None:
        """Answer weather requests with ``payload`` as JSON (or ``body`` as it is)."""
        self.mocked.get(
            ANY_WEATHER_REQUEST,
            status=status,
            payload=payload,
            body=body,
            repeat=repeat,
            response_class=MockedResponse,
            callback=self._record,
        )

    def fails(self, error: Exception) -> None:
        """Make every weather request raise ``error`` inside aiohttp."""
        self.mocked.get(ANY_WEATHER_REQUEST, exception=error, repeat=True, callback=self._record)


@pytest.fixture
def provider() -> Iterator[Provider]:
    with aioresponses() as mocked:
        yield Provider(mocked)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(session: aiohttp.ClientSession, clock: FakeClock) -> WeatherClient:
    return WeatherClient(session, base_url=BASE_URL, api_key=KEY, clock=clock)


@pytest.fixture
async def fake_weather() -> AsyncIterator[FakeWeather]:
    async with FakeWeather() as weather:
        yield weather


def real_client(
    session: aiohttp.ClientSession, weather: FakeWeather, **options: Any
) -> WeatherClient:
    options.setdefault("api_key", weather.api_key)
    return WeatherClient(session, base_url=weather.base_url, **options)


async def reply(client: WeatherClient, place: str, units: Units = "metric") -> str:
    """What the weather worker would say to ``weather <place>``."""
    try:
        return describe(await client.current(place, units=units))
    except WeatherError as error:
        return explain(error)


async def failure(client: WeatherClient, place: str = "Paris") -> WeatherError:
    with pytest.raises(WeatherError) as raised:
        await client.current(place, units="metric")
    return raised.value


# --- Success --------------------------------------------------------------------------------


async def test_metric_weather(provider: Provider, client: WeatherClient) -> None:
    provider.answers(owm_answer())
    assert await reply(client, "Paris") == PARIS_METRIC
    [url] = provider.urls
    assert url.path == "/data/2.5/weather"
    assert dict(url.query) == {"q": "Paris", "appid": KEY, "units": "metric"}


async def test_imperial_weather(provider: Provider, client: WeatherClient) -> None:
    provider.answers(owm_answer(temp=54.14, feels_like=51.62) | {"wind": {"speed": 9.17}})
    assert await reply(client, "Paris", "imperial") == (
        "Weather in Paris, FR: light rain, 54.1°F (feels like 51.6°F), humidity 81%, wind 9.2 mph."
    )
    assert provider.urls[0].query["units"] == "imperial"


@pytest.mark.parametrize("base_url", [BASE_URL, BASE_URL + "/"])
async def test_base_url_with_or_without_a_trailing_slash(
    provider: Provider, session: aiohttp.ClientSession, base_url: str
) -> None:
    provider.answers(owm_answer())
    await WeatherClient(session, base_url=base_url, api_key=KEY).current("Paris", units="metric")
    assert provider.urls[0].path == "/data/2.5/weather"


async def test_a_place_without_a_country(provider: Provider, client: WeatherClient) -> None:
    provider.answers(owm_answer() | {"sys": {}, "name": "Null Island"})
    assert (await reply(client, "Null Island")).startswith("Weather in Null Island: light rain,")


async def test_place_names_are_sent_as_typed(provider: Provider, client: WeatherClient) -> None:
    provider.answers(owm_answer())
    await client.current(" Saint-Étienne, FR ", units="metric")
    [url] = provider.urls
    assert url.query["q"] == "Saint-Étienne, FR"
    assert "q=Saint-%C3%89tienne,+FR&" in url.raw_query_string


# --- Provider errors ------------------------------------------------------------------------


async def test_unknown_place(provider: Provider, client: WeatherClient) -> None:
    provider.answers({"cod": "404", "message": "city not found"}, status=404)
    assert await reply(client, "Atlantis") == "I couldn't find Atlantis."


async def test_not_found_said_only_in_the_body(provider: Provider, client: WeatherClient) -> None:
    provider.answers({"cod": "404", "message": "city not found"})
    error = await failure(client, "Atlantis")
    assert isinstance(error, PlaceNotFound)
    assert error.place == "Atlantis"


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (401, "api key refused"),
        (429, "rate limited"),
        (500, "provider error"),
        (503, "provider error"),
    ],
)
async def test_provider_trouble_gets_an_apology(
    provider: Provider, client: WeatherClient, status: int, reason: str
) -> None:
    provider.answers({"cod": status, "message": "nope"}, status=status)
    assert await reply(client, "Paris") == SERVICE_DOWN
    error = await failure(client)
    assert isinstance(error, WeatherUnavailable)
    assert error.reason == reason


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (TimeoutError(), "timed out"),
        (aiohttp.ServerTimeoutError("read timeout"), "timed out"),
        (aiohttp.ClientConnectionError("connection refused"), "unreachable"),
        (aiohttp.ServerDisconnectedError(), "unreachable"),
    ],
)
async def test_network_trouble_gets_an_apology(
    provider: Provider, client: WeatherClient, error: Exception, reason: str
) -> None:
    provider.fails(error)
    assert await reply(client, "Paris") == SERVICE_DOWN
    raised = await failure(client)
    assert isinstance(raised, WeatherUnavailable)
    assert raised.reason == reason


@pytest.mark.parametrize(
    "body",
    [
        "<html>Bad gateway</html>",
        "",
        "[1, 2]",
        '"Paris"',
        '{"name": "Paris"}',
        '{"name": "Paris", "main": {"temp": "warm"}, "weather": [], "wind": {}}',
        '{"name": "Paris", "main": {"temp": NaN, "feels_like": 1, "humidity": 5},'
        ' "weather": [{"description": "x"}], "wind": {"speed": 1}}',
        '{"name": "Paris", "main": {"temp": 1, "feels_like": 1, "humidity": 150},'
        ' "weather": [{"description": "x"}], "wind": {"speed": 1}}',
    ],
    ids=["html", "empty", "list", "string", "fields-missing", "wrong-types", "nan", "humidity"],
)
async def test_answers_that_make_no_sense_get_an_apology(
    provider: Provider, client: WeatherClient, body: str
) -> None:
    provider.answers(body=body)
    assert await reply(client, "Paris") == SERVICE_DOWN
    error = await failure(client)
    assert isinstance(error, WeatherUnavailable)
    assert error.reason == "unexpected answer"


@pytest.mark.parametrize("api_key", [None, ""])
async def test_without_an_api_key_no_request_is_made(
    provider: Provider, session: aiohttp.ClientSession, api_key: str | None
) -> None:
    client = WeatherClient(session, base_url=BASE_URL, api_key=api_key)
    assert await reply(client, "Paris") == NOT_SET_UP
    assert provider.urls == []


async def test_a_blank_place_is_not_asked_about(provider: Provider, client: WeatherClient) -> None:
    assert await reply(client, "   ") == "I couldn't find that place."
    assert provider.urls == []


async def test_the_api_key_never_reaches_logs_or_errors(
    provider: Provider, client: WeatherClient
) -> None:
    # aiohttp errors can quote the request URL, which carries the key.
    provider.fails(aiohttp.ClientConnectionError(f"cannot reach {BASE_URL}/weather?appid={KEY}"))
    with capture_logs() as logs:
        error = await failure(client)
    assert logs
    assert KEY not in repr(logs)
    assert KEY not in "".join(traceback.format_exception(error))


# --- Cache and single flight ----------------------------------------------------------------


async def test_answers_are_cached_for_ten_minutes(
    provider: Provider, client: WeatherClient, clock: FakeClock
) -> None:
    provider.answers(owm_answer())
    assert await reply(client, "Paris") == PARIS_METRIC
    clock.advance(599)
    assert await reply(client, " paris ") == PARIS_METRIC
    assert len(provider.urls) == 1
    clock.advance(2)
    assert await reply(client, "Paris") == PARIS_METRIC
    assert len(provider.urls) == 2


async def test_units_are_cached_apart(provider: Provider, client: WeatherClient) -> None:
    provider.answers(owm_answer())
    await client.current("Paris", units="metric")
    await client.current("Paris", units="imperial")
    assert [url.query["units"] for url in provider.urls] == ["metric", "imperial"]


async def test_the_least_recently_used_answer_is_dropped_when_the_cache_is_full(
    provider: Provider, session: aiohttp.ClientSession
) -> None:
    provider.answers(owm_answer())
    client = WeatherClient(session, base_url=BASE_URL, api_key=KEY, cache_size=2)
    # Paris, asked again, outlives Berlin; Rome then makes room by dropping Berlin.
    for place in ("Paris", "Berlin", "Paris", "Rome", "Paris", "Rome", "Berlin"):
        await client.current(place, units="metric")
    asked = [url.query["q"] for url in provider.urls]
    assert asked == ["Paris", "Berlin", "Rome", "Berlin"]


async def test_failures_are_not_cached(provider: Provider, client: WeatherClient) -> None:
    provider.answers(status=500, repeat=False)
    provider.answers(owm_answer())
    assert await reply(client, "Paris") == SERVICE_DOWN
    assert await reply(client, "Paris") == PARIS_METRIC


async def test_concurrent_requests_share_one_call(
    provider: Provider, client: WeatherClient
) -> None:
    provider.answers(owm_answer())
    replies = await asyncio.gather(*(reply(client, "Paris") for _ in range(10)))
    assert replies == [PARIS_METRIC] * 10
    assert len(provider.urls) == 1


async def test_concurrent_requests_share_one_failure(
    provider: Provider, client: WeatherClient
) -> None:
    provider.answers(status=503)
    replies = await asyncio.gather(*(reply(client, "Paris") for _ in range(10)))
    assert replies == [SERVICE_DOWN] * 10
    assert len(provider.urls) == 1


# --- Against the fake provider on 127.0.0.1 -------------------------------------------------


@pytest.mark.parametrize(
    ("place", "answer"),
    [
        (
            "Saint-Étienne",
            "Weather in Saint-Étienne, FR: clear sky, 15.4°C (feels like 14.8°C), "
            "humidity 55%, wind 2.0 m/s.",
        ),
        ("Paris, FR", PARIS_METRIC),
        (
            "new york",
            "Weather in New York, US: few clouds, 20.0°C (feels like 19.6°C), "
            "humidity 48%, wind 3.6 m/s.",
        ),
        ("Atlantis", "I couldn't find Atlantis."),
        ("Ville & Cie = 1+1 #2", "I couldn't find Ville &amp; Cie = 1+1 #2."),
    ],
)
async def test_over_http(
    fake_weather: FakeWeather, session: aiohttp.ClientSession, place: str, answer: str
) -> None:
    client = real_client(session, fake_weather)
    assert await reply(client, place) == answer
    [request] = fake_weather.requests
    assert (request.place, request.units, request.api_key) == (
        place,
        "metric",
        fake_weather.api_key,
    )


async def test_imperial_over_http(
    fake_weather: FakeWeather, session: aiohttp.ClientSession
) -> None:
    client = real_client(session, fake_weather)
    assert await reply(client, "Berlin", "imperial") == (
        "Weather in Berlin, DE: overcast clouds, 46.4°F (feels like 41.9°F), "
        "humidity 70%, wind 13.9 mph."
    )


async def test_a_wrong_key_over_http(
    fake_weather: FakeWeather, session: aiohttp.ClientSession
) -> None:
    client = real_client(session, fake_weather, api_key="wrong")
    assert await reply(client, "Paris") == SERVICE_DOWN


async def test_a_slow_provider_times_out(
    fake_weather: FakeWeather, session: aiohttp.ClientSession
) -> None:
    fake_weather.script.append(Scripted(delay=30))
    client = real_client(session, fake_weather, timeout=0.2)
    started = time.monotonic()
    assert await reply(client, "Paris") == SERVICE_DOWN
    assert time.monotonic() - started < 2


async def test_a_broken_answer_over_http(
    fake_weather: FakeWeather, session: aiohttp.ClientSession
) -> None:
    fake_weather.script.append(Scripted(raw=b"<html>502 Bad Gateway</html>"))
    assert await reply(real_client(session, fake_weather), "Paris") == SERVICE_DOWN


async def test_a_caller_giving_up_does_not_cancel_the_others(
    fake_weather: FakeWeather, session: aiohttp.ClientSession
) -> None:
    fake_weather.script.append(Scripted(delay=0.2, body=owm_answer()))
    client = real_client(session, fake_weather)
    impatient = asyncio.create_task(reply(client, "Paris"))
    patient = asyncio.create_task(reply(client, "Paris"))
    await asyncio.sleep(0.05)
    impatient.cancel()
    assert await patient == PARIS_METRIC
    assert impatient.cancelled()
    assert len(fake_weather.requests) == 1


# --- Reply text -----------------------------------------------------------------------------


def conditions(**fields: Any) -> Conditions:
    defaults: dict[str, Any] = {
        "name": "Paris",
        "country": "FR",
        "description": "light rain",
        "temp": 12.3,
        "feels_like": 10.9,
        "humidity": 81,
        "wind_speed": 4.1,
        "units": "metric",
    }
    return Conditions(**(defaults | fields))


def test_describe_rounds_to_one_decimal_without_minus_zero() -> None:
    assert describe(conditions(temp=-0.04, feels_like=-3.96, description="")) == (
        "Weather in Paris, FR: 0.0°C (feels like -4.0°C), humidity 81%, wind 4.1 m/s."
    )


def test_describe_escapes_what_the_provider_sent() -> None:
    hostile = conditions(name="<!channel> `rm` & co", country=None, description="*sunny*\n> x")
    assert describe(hostile) == (
        "Weather in &lt;!channel&gt; 'rm' &amp; co: *sunny* &gt; x, 12.3°C (feels like 10.9°C), "
        "humidity 81%, wind 4.1 m/s."
    )


@pytest.mark.parametrize(
    ("place", "answer"),
    [
        ("Saint-Étienne", "I couldn't find Saint-Étienne."),
        (
            "`weather` <@U123> & <!here>",
            "I couldn't find 'weather' &lt;@U123&gt; &amp; &lt;!here&gt;.",
        ),
        ("  two\n lines ", "I couldn't find two lines."),
        ("x" * 150, "I couldn't find " + "x" * 99 + "…."),
    ],
)
def test_place_not_found_text(place: str, answer: str) -> None:
    assert place_not_found(place) == answer


def test_fixed_messages() -> None:
    assert NO_LOCATION == "I don't know where you are. Tell me with `set location <place>`."
    assert explain(WeatherUnavailable("no api key")) == NOT_SET_UP
    assert explain(WeatherUnavailable("timed out")) == SERVICE_DOWN
    assert explain(PlaceNotFound("Atlantis")) == "I couldn't find Atlantis."


finite = st.floats(allow_nan=False, allow_infinity=False)
any_conditions = st.builds(
    Conditions,
    name=st.text(min_size=1),
    country=st.none() | st.text(max_size=3),
    description=st.text(),
    temp=finite,
    feels_like=finite,
    humidity=st.integers(0, 100),
    wind_speed=st.floats(min_value=0, allow_nan=False, allow_infinity=False),
    units=st.sampled_from(["metric", "imperial"]),
)


@given(any_conditions)
def test_describe_never_fails_and_stays_inert(weather: Conditions) -> None:
    text = describe(weather)
    assert text.startswith("Weather in ")
    assert text.endswith(".")
    assert not set(text) & {"<", ">", "`", "\n"}


@given(st.text(max_size=100).filter(str.strip))
def test_place_not_found_shows_the_place_escaped(place: str) -> None:
    text = place_not_found(place)
    assert text.startswith("I couldn't find ")
    shown = text.removeprefix("I couldn't find ").removesuffix(".")
    assert not set(shown) & {"<", ">", "`", "\n"}
    assert html.unescape(shown) == " ".join(place.split()).replace("`", "'")
