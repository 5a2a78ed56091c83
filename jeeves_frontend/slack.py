"""Slack's HTTP endpoints: verify the signature, answer fast, publish the action."""

from __future__ import annotations

import json
from typing import Any

import structlog
from quart import Blueprint, request

from jeeves_frontend.events import Ignored, to_action
from jeeves_frontend.signature import check_signature
from jeeves_frontend.state import FrontDoor, front_door

log = structlog.get_logger(__name__)

blueprint = Blueprint("slack", __name__)


class SlackNotConfigured(Exception):
    """Dev mode without a signing secret: Slack requests cannot be verified, so none is taken."""


class MalformedRequest(Exception):
    """A signed request whose body is not what Slack sends."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@blueprint.post("/slack/events")
async def events() -> tuple[dict[str, Any] | str, int]:
    """The Events API endpoint: ``url_verification`` and ``event_callback``."""
    door = front_door()
    payload = await _verified_json(door)
    kind = payload.get("type")
    if kind == "url_verification":
        return {"challenge": str(payload.get("challenge", ""))}, 200
    if kind == "event_callback":
        await _handle_event(door, payload)
    else:
        log.info("slack.ignored", reason=f"envelope type {kind}")
    return "", 200


async def _verified_json(door: FrontDoor) -> dict[str, Any]:
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
    try:
        payload = json.loads(text)
    except ValueError:
        raise MalformedRequest("body is not JSON") from None
    if not isinstance(payload, dict):
        raise MalformedRequest("body is not a JSON object")
    return payload


async def _handle_event(door: FrontDoor, payload: dict[str, Any]) -> None:
    action = to_action(payload, bot_user_id=door.settings.slack_bot_user_id)
    if isinstance(action, Ignored):
        log.info("slack.ignored", event_id=payload.get("event_id"), reason=action.reason)
        return
    await door.publish(action)
