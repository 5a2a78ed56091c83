"""``jeeves slack manifest``: valid for Slack, and exactly what the front door serves.

Both sides come from the code: the manifest as the CLI prints it, the routes from the app's URL
map, the events and the slash command through signed requests to the app, the Web API methods
from the workers' source.
"""

from __future__ import annotations

import ast
import io
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import jsonschema
import pytest
import yaml
from quart import Quart
from slack_sdk.web.async_client import AsyncWebClient

from jeeves.cli import main
from jeeves_frontend.app import create_app
from jeeves_frontend.events import LIFECYCLE_EVENTS
from jeeves_frontend.manifest import (
    EVENT_SCOPES,
    INSTALL_PATH,
    METHOD_SCOPES,
    OTHER_SCOPES,
    SIGNIN_SCOPES,
)
from jeeves_frontend.settings import FrontendSettings
from jeeves_shared.bus.memory import MemoryBus
from jeeves_shared.bus.topology import WORKER_QUEUES
from jeeves_shared.commands import help_text
from tests.support.memory_bus import published_actions
from tests.support.production import DASHBOARD_SECRET_KEY
from tests.support.schemas import ROOT, load_schema
from tests.support.slack_requests import SIGNING_SECRET, encode, event_callback, next_ts, sign

URL = "https://jeeves.example.com"


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    """The manifest as ``jeeves slack manifest`` prints it."""
    return _printed_manifest(["--url", URL + "/"])


def _printed_manifest(arguments: list[str]) -> dict[str, Any]:
    with pytest.MonkeyPatch.context() as patch:
        out = io.StringIO()
        patch.setattr(sys, "stdout", out)
        assert main(["slack", "manifest", *arguments]) == 0
    loaded: dict[str, Any] = yaml.safe_load(out.getvalue())
    return loaded


@pytest.fixture
def bus() -> MemoryBus:
    return MemoryBus(tuple(WORKER_QUEUES.values()))


@pytest.fixture
async def app(bus: MemoryBus) -> AsyncIterator[Quart]:
    settings = FrontendSettings(
        slack_signing_secret=SIGNING_SECRET,
        dashboard_secret_keys=DASHBOARD_SECRET_KEY,  # type: ignore[arg-type]
    )
    app = create_app(settings, bus=bus)
    async with app.test_app():
        yield app


def test_manifest_validates_against_slacks_schema(manifest: dict[str, Any]) -> None:
    jsonschema.validate(manifest, load_schema("slack", "manifest.schema.1.0.0.json"))


def test_token_rotation_is_off_unless_asked(manifest: dict[str, Any]) -> None:
    assert manifest["settings"]["token_rotation_enabled"] is False
    rotating = _printed_manifest(["--url", URL, "--token-rotation"])
    assert rotating["settings"]["token_rotation_enabled"] is True


@pytest.mark.parametrize("url", ["jeeves.example.com", "https://x.example/jeeves", "ftp://x"])
def test_a_url_slack_cannot_use_is_refused(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["slack", "manifest", "--url", url]) == 2
    assert "--url" in capsys.readouterr().err


def _urls(manifest: dict[str, Any]) -> dict[str, str]:
    """Every URL of the manifest, by what Slack sends there."""
    [command] = manifest["features"]["slash_commands"]
    redirects = manifest["oauth_config"]["redirect_urls"]
    urls = {
        "POST events": manifest["settings"]["event_subscriptions"]["request_url"],
        "POST command": command["url"],
    }
    urls.update({f"GET redirect {n}": url for n, url in enumerate(redirects)})
    return urls


def _routes(app: Quart) -> set[tuple[str, str]]:
    return {(method, rule.rule) for rule in app.url_map.iter_rules() for method in rule.methods}


def test_every_url_is_a_route_of_the_front_door(app: Quart, manifest: dict[str, Any]) -> None:
    routes = _routes(app)
    for what, url in _urls(manifest).items():
        assert url.startswith(URL + "/"), what
        path = urlsplit(url).path
        assert (what.split()[0], path) in routes, f"{what}: {url} is not served"


def test_every_slack_route_is_in_the_manifest(app: Quart, manifest: dict[str, Any]) -> None:
    """What Slack calls is in the manifest; the install page is for people (no manifest key)."""
    in_manifest = {urlsplit(url).path for url in _urls(manifest).values()}
    slack_routes = {path for _, path in _routes(app) if path.startswith("/slack/")}
    assert slack_routes - {INSTALL_PATH} == in_manifest & slack_routes
    assert INSTALL_PATH in slack_routes


def _event(subscription: str) -> dict[str, Any]:
    """A message from a person in the place a subscription names (``message.im``: a DM)."""
    kind, _, where = subscription.partition(".")
    ts = next_ts()
    event = {"type": kind, "user": "U0001", "text": "<@UJEEVES> help", "ts": ts, "event_ts": ts}
    event["channel"] = {"im": "D0001", "mpim": "G0001", "groups": "G0002"}.get(where, "C0001")
    if where:
        event["channel_type"] = {"channels": "channel", "groups": "group"}.get(where, where)
    return event


async def _published(app: Quart, bus: MemoryBus, subscription: str) -> int:
    body = encode(event_callback(_event(subscription), event_id=f"Ev{next_ts()}"))
    response = await app.test_client().post("/slack/events", data=body, headers=sign(body))
    assert response.status_code == 200
    return len(published_actions(bus, "help"))


async def test_the_front_door_acts_on_every_subscribed_event_and_no_other(
    app: Quart, bus: MemoryBus, manifest: dict[str, Any]
) -> None:
    subscribed = manifest["settings"]["event_subscriptions"]["bot_events"]
    lifecycle = [event for event in subscribed if event in LIFECYCLE_EVENTS]
    assert sorted(lifecycle) == sorted(LIFECYCLE_EVENTS)
    for kind in lifecycle:  # each becomes a lifecycle action for the user worker
        event: dict[str, Any] = {"type": kind, "tokens": {"bot": ["UJEEVES"]}, "team_ids": []}
        if kind == "user_change":  # a member's profile: their users.info object
            event["user"] = {"id": "U0001", "team_id": "T0001", "is_admin": True}
        body = encode(event_callback(event, event_id=f"Ev{next_ts()}"))
        response = await app.test_client().post("/slack/events", data=body, headers=sign(body))
        assert response.status_code == 200
        assert [a.command for a in published_actions(bus, "user")] == [kind]
    # Slack's message events by where they happen, and others Jeeves could have subscribed to.
    candidates = ["message.channels", "message.groups", "message.mpim", "reaction_added"]
    for subscription in [s for s in [*subscribed, *candidates] if s not in lifecycle]:
        before = len(published_actions(bus, "help"))
        acted = await _published(app, bus, subscription) > before
        assert acted == (subscription in subscribed), subscription


async def test_the_slash_command_is_the_one_the_front_door_answers(
    app: Quart, manifest: dict[str, Any]
) -> None:
    [command] = manifest["features"]["slash_commands"]
    form = {
        "command": command["command"],
        "text": "help",
        "team_id": "T0001",
        "channel_id": "C0001",
        "user_id": "U0001",
        "response_url": "https://hooks.slack.com/commands/T0001/1/x",
    }
    body = urlencode(form).encode()
    headers = sign(body, content_type="application/x-www-form-urlencoded")
    response = await app.test_client().post(
        urlsplit(command["url"]).path, data=body, headers=headers
    )
    assert response.status_code == 200
    assert (await response.get_json())["text"] == help_text("")


def _web_api_calls() -> set[str]:
    """The Slack Web API methods called in workers/ (``x.chat_postMessage(...)`` calls)."""
    called = set()
    for path in Path(ROOT, "workers").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                name = node.func.attr
                if name.startswith("_") or name == "api_call":
                    continue  # private helpers and the untyped entry point
                if callable(getattr(AsyncWebClient, name, None)):
                    called.add(name.replace("_", "."))
    return called


def test_the_scopes_are_those_of_the_events_methods_and_commands(
    manifest: dict[str, Any],
) -> None:
    called = _web_api_calls()
    assert "chat.postMessage" in called  # the scan finds the Slack poster's calls
    assert called == set(METHOD_SCOPES), "a Web API method without its scope, or one unused"
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    # Lifecycle events need no scope (Slack's event reference).
    needed = {EVENT_SCOPES[e] for e in events if e not in LIFECYCLE_EVENTS} | set(OTHER_SCOPES)
    needed |= {scope for method in called for scope in METHOD_SCOPES[method]}
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(needed)
    assert manifest["oauth_config"]["scopes"]["user"] == list(SIGNIN_SCOPES)
