"""Slack's HTTP endpoints: verify the signature, answer fast, publish the action."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import structlog
from quart import Blueprint, Response, request
from quart_rate_limiter import rate_exempt

from jeeves_frontend.events import (
    EventCallback,
    Ignored,
    envelope_action,
    read_envelope,
    receiver_of,
)
from jeeves_frontend.signature import check_signature
from jeeves_frontend.slack_text import to_safe_text
from jeeves_frontend.slash import NotASlashCommand, to_slash_action
from jeeves_frontend.state import DataServiceNotConfigured, FrontDoor, front_door
from jeeves_shared.auth.errors import AuthError
from jeeves_shared.bus import BusUnavailable
from jeeves_shared.commands import help_text
from jeeves_shared.dataclient import DataServiceError, Installation
from jeeves_shared.installations import InstallationKey
from jeeves_shared.messages import LIFECYCLE_COMMANDS
from jeeves_shared.observability.metrics import SLACK_EVENTS, bounded

log = structlog.get_logger(__name__)

#: Lifecycle events that change an installation (a member's ``user_change`` does not).
INSTALLATION_EVENTS = frozenset(LIFECYCLE_COMMANDS) - {"user_change"}

#: The slash command's answer when its action could not be handed to the workers.
SLASH_UNAVAILABLE = (
    "Sorry, I can't do that right now: part of me is down. Nothing was done; "
    "please try again in a minute."
)

#: The slash command's answer when its workspace's installation is unknown or inactive.
SLASH_NOT_INSTALLED = (
    "I'm not installed in this workspace (any more). An admin can add me again from the "
    "install page."
)

blueprint = Blueprint("slack", __name__)

#: ``jeeves_slack_events_total``'s ``reason`` of an ignored event: the start of the reason
#: :func:`~jeeves_frontend.events.to_action` gives (which may quote the event) -> a fixed code.
IGNORE_CODES = (
    ("not an event we read", "invalid"),
    ("event type", "event_type"),
    ("message outside a direct message", "not_direct_message"),
    ("the bot's own message", "own_message"),
    ("another bot's message", "bot_message"),
    ("a bot's message", "bot_message"),
    ("message subtype", "subtype"),
    ("no user or channel", "no_user_or_channel"),
    ("a file shared without words", "file_without_words"),
)


class SlackNotConfigured(Exception):
    """Dev mode without a signing secret: Slack requests cannot be verified, so none is taken."""


class InstallationsUnavailable(Exception):
    """The Data Service could not say whether Jeeves serves the installation: answered 503,
    so that Slack delivers the event again (nothing is lost)."""


class MalformedRequest(Exception):
    """A signed request whose body is not what Slack sends."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@blueprint.post("/slack/events")
@rate_exempt  # Slack sends every workspace's events from its own few addresses
async def events() -> tuple[dict[str, Any] | str, int]:
    """The Events API endpoint: ``url_verification`` and ``event_callback``."""
    door = front_door()
    payload = await _verified_json(door)
    kind = payload.get("type")
    if kind == "url_verification":
        SLACK_EVENTS.labels("url_verification", "answered", "").inc()
        challenge = payload.get("challenge")
        return {"challenge": to_safe_text(challenge if isinstance(challenge, str) else "")}, 200
    if kind == "event_callback":
        await _handle_event(door, payload)
    elif kind == "app_rate_limited":
        SLACK_EVENTS.labels("app_rate_limited", "rate_limited", "").inc()
        _log_rate_limited(payload)
    else:
        SLACK_EVENTS.labels(bounded(kind), "ignored", "envelope_type").inc()
        log.info("slack.ignored", reason=f"envelope type {_shown(kind)}")
    return "", 200


@blueprint.post("/slack/commands")
@rate_exempt
async def commands() -> tuple[dict[str, Any] | str, int]:
    """The slash command endpoint: ack at once, answer later through ``response_url``.

    ``help`` needs no worker, so its answer is the acknowledgement itself. When the broker does
    not confirm the action, the person is told so in an ephemeral 200: Slack never retries a
    slash command, and would show a 503 only as its own "failed with the error" line.
    """
    door = front_door()
    if await _is_ssl_check():
        SLACK_EVENTS.labels("ssl_check", "answered", "").inc()
        return "", 200  # Slack's certificate probe: no command, nothing to verify or do
    form = {key: values[-1] for key, values in parse_qs(await _verified_text(door)).items()}
    try:
        action = to_slash_action(form)
    except NotASlashCommand as exc:
        raise MalformedRequest(f"not a slash command: {exc}") from None
    if door.installations is not None:
        key = action.conversation.installation
        try:
            installation = await door.installations.find(key)
        except (DataServiceError, AuthError, DataServiceNotConfigured) as exc:
            log.error("slack.installation_lookup_failed", error=str(exc), **_key_fields(key))
            SLACK_EVENTS.labels("slash_command", "refused", "installations_unavailable").inc()
            return {"response_type": "ephemeral", "text": SLASH_UNAVAILABLE}, 200
        if installation is None or not installation.active:
            unserved = "not_installed" if installation is None else "inactive"
            SLACK_EVENTS.labels("slash_command", "ignored", unserved).inc()
            log.info(
                "slack.ignored", event_id=action.id, reason="not installed", **_key_fields(key)
            )
            return {"response_type": "ephemeral", "text": SLASH_NOT_INSTALLED}, 200
    instant = help_text(action.args) if action.command == "help" else None
    if instant is not None:
        SLACK_EVENTS.labels("slash_command", "answered", "").inc()
        return {"response_type": "ephemeral", "text": instant}, 200
    try:
        published = await door.publish(action)
    except BusUnavailable as exc:
        SLACK_EVENTS.labels("slash_command", "refused", "bus_unavailable").inc()
        log.error("bus.publish_failed", error=str(exc), path=request.path)
        return {"response_type": "ephemeral", "text": SLASH_UNAVAILABLE}, 200
    SLACK_EVENTS.labels("slash_command", "published" if published else "duplicate", "").inc()
    return {"response_type": "ephemeral", "text": "On it…"}, 200


async def _is_ssl_check() -> bool:
    body = await request.get_data(cache=True, as_text=False, parse_form_data=False)
    return parse_qs(body.decode("latin-1")).get("ssl_check") == ["1"]


async def _verified_text(door: FrontDoor) -> str:
    """The request body, once its Slack signature is checked."""
    if door.verifier is None:
        raise SlackNotConfigured
    body = await request.get_data(cache=False, as_text=False, parse_form_data=False)
    try:
        text = body.decode("utf-8")  # Slack sends UTF-8; slack_sdk's verifier assumes it
    except UnicodeDecodeError:
        raise MalformedRequest("body is not UTF-8") from None
    check_signature(
        door.verifier,
        body,
        timestamp=request.headers.get("X-Slack-Request-Timestamp"),
        signature=request.headers.get("X-Slack-Signature"),
    )
    return text


async def _verified_json(door: FrontDoor) -> dict[str, Any]:
    text = await _verified_text(door)
    try:
        payload = json.loads(text)
    except ValueError:
        raise MalformedRequest("body is not JSON") from None
    except RecursionError:  # nesting deeper than the parser's stack allows
        raise MalformedRequest("body is nested too deeply") from None
    if not isinstance(payload, dict):
        raise MalformedRequest("body is not a JSON object")
    return payload


async def _handle_event(door: FrontDoor, payload: dict[str, Any]) -> None:
    event = payload.get("event")
    event_type = bounded(event.get("type") if isinstance(event, dict) else None)
    envelope = read_envelope(payload)
    if isinstance(envelope, Ignored):
        SLACK_EVENTS.labels(event_type, "ignored", ignore_code(envelope.reason)).inc()
        log.info("slack.ignored", event_id=_shown(payload.get("event_id")), reason=envelope.reason)
        return
    key = receiver_of(envelope).installation
    bot_user_id, bot_id = door.settings.slack_bot_user_id, ""
    if door.installations is not None:
        installation = await _installation(door, key)
        if installation is None or not installation.active:
            unserved = "not_installed" if installation is None else "inactive"
            SLACK_EVENTS.labels(event_type, "ignored", unserved).inc()
            _log_unserved(envelope, key, installation)
            return
        bot_user_id, bot_id = installation.bot_user_id, installation.bot_id or ""
    action = envelope_action(envelope, bot_user_id=bot_user_id, bot_id=bot_id)
    if isinstance(action, Ignored):
        SLACK_EVENTS.labels(event_type, "ignored", ignore_code(action.reason)).inc()
        log.info("slack.ignored", event_id=envelope.event_id, reason=action.reason)
        return
    published = await door.publish(action)
    SLACK_EVENTS.labels(event_type, "published" if published else "duplicate", "").inc()
    if action.command in INSTALLATION_EVENTS and door.installations is not None:
        # The next event of this installation asks the Data Service again, which by then
        # knows of the uninstall (the user worker records it).
        door.installations.forget(key)


def ignore_code(reason: str) -> str:
    """The fixed code of an ignore reason (:data:`IGNORE_CODES`), ``other`` if none fits."""
    return next((code for start, code in IGNORE_CODES if reason.startswith(start)), "other")


@blueprint.after_request
async def count_refusals(response: Response) -> Response:
    """Count the Slack requests refused with an error status (400, 401, 413, 503): their type
    is unknown (the body was not read, or not trusted), the status is the reason."""
    if response.status_code >= 400:
        SLACK_EVENTS.labels("unknown", "refused", str(response.status_code)).inc()
    return response


async def _installation(door: FrontDoor, key: InstallationKey) -> Installation | None:
    assert door.installations is not None
    try:
        return await door.installations.find(key)
    except (DataServiceError, AuthError, DataServiceNotConfigured) as exc:
        log.error("slack.installation_lookup_failed", error=str(exc), **_key_fields(key))
        raise InstallationsUnavailable(str(exc)) from None


def _log_unserved(
    envelope: EventCallback, key: InstallationKey, installation: Installation | None
) -> None:
    if installation is None:
        reason = "Jeeves is not installed there"
    else:
        reason = f"installation inactive ({installation.inactive_reason or 'uninstalled'})"
    log.info("slack.ignored", event_id=envelope.event_id, reason=reason, **_key_fields(key))


def _key_fields(key: InstallationKey) -> dict[str, Any]:
    return {
        "enterprise_id": key.enterprise_id,
        "team_id": key.team_id,
        "is_enterprise_install": key.is_enterprise_install,
    }


def _log_rate_limited(payload: dict[str, Any]) -> None:
    """Slack is dropping this workspace's events for the rest of a minute: an operator must know.

    ``minute_rate_limited`` is the Unix time of the start of that minute.
    """
    minute = payload.get("minute_rate_limited")
    at = None
    if isinstance(minute, int) and 0 <= minute < 2**37:
        at = datetime.fromtimestamp(minute, UTC).isoformat()
    log.warning(
        "slack.app_rate_limited",
        team_id=_shown(payload.get("team_id")),
        minute_rate_limited=minute if at else _shown(minute),
        minute=at,
        detail="Slack drops this workspace's events for the rest of the minute (30,000/hour cap)",
    )


def _shown(value: Any) -> str | None:
    """A client-sent value as it may appear in a log line: safe text, short, never a structure."""
    if value is None:
        return None
    if not isinstance(value, str):
        return f"<{type(value).__name__}>"
    return to_safe_text(value[:100])
