"""Each worker kind's dependencies class says what it needs, and builds only that."""

from __future__ import annotations

import dataclasses
import typing

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from jeeves_shared.dataclient import DataServiceClient
from workers.deps import Deps, SchedulerDeps
from workers.runner import KINDS
from workers.weather_api import WeatherClient

CLASSES = sorted({kind.deps for kind in KINDS.values()} | {SchedulerDeps}, key=str)


def field_types(cls: type[Deps]) -> dict[str, object]:
    hints = typing.get_type_hints(cls)
    return {field.name: hints[field.name] for field in dataclasses.fields(cls)}


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_what_a_kind_declares_it_needs_matches_the_clients_it_builds(cls: type[Deps]) -> None:
    types = set(field_types(cls).values())
    assert ("data" in cls.NEEDS) == (DataServiceClient in types)
    assert ("slack" in cls.NEEDS) == (AsyncWebClient in types)  # posts: the token is required
    assert ("slack-lookup" in cls.NEEDS) == (AsyncWebClient | None in types)
    if WeatherClient in types:
        assert "weather" in cls.NEEDS
    assert bool(cls.SCOPES) == ("data" in cls.NEEDS)
