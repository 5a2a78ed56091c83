"""Signed requests as Slack sends them, for the front door's tests and benchmarks."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any

import aiohttp

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
BOT_USER_ID = "UJEEVES"
TEAM_ID = "T0001"
_MESSAGE_NUMBERS = itertools.count(100)


def next_ts() -> str:
    """A new message timestamp: like Slack's, unique per message (the per-message dedup key)."""
    return f"1700000000.{next(_MESSAGE_NUMBERS):06d}"


def sign(
    body: bytes,
    *,
    secret: str = SIGNING_SECRET,
    timestamp: int | None = None,
    content_type: str = "application/json",
) -> dict[str, str]:
    """The ``X-Slack-*`` headers for ``body`` (computed independently of slack_sdk), and its
    ``Content-Type`` (a slash command's is ``application/x-www-form-urlencoded``)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": content_type,
    }


def event_callback(event: dict[str, Any], *, event_id: str = "Ev0001") -> dict[str, Any]:
    """An ``event_callback`` envelope around ``event``."""
    return {
        "token": "unused-verification-token",
        "team_id": TEAM_ID,
        "api_app_id": "A0001",
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [
            {
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "event": event,
    }


def mention(
    text: str,
    *,
    channel: str = "C0001",
    user: str = "U0001",
    ts: str | None = None,
    thread_ts: str | None = None,
) -> dict[str, Any]:
    """An ``app_mention`` event: ``<@UJEEVES> text`` in a channel (a new message unless ``ts``)."""
    ts = ts or next_ts()
    event: dict[str, Any] = {
        "type": "app_mention",
        "user": user,
        "text": f"<@{BOT_USER_ID}> {text}",
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def direct_message(
    text: str, *, channel: str = "D0001", user: str = "U0001", ts: str | None = None
) -> dict[str, Any]:
    """A ``message`` event in a DM with the bot (a new message unless ``ts``)."""
    ts = ts or next_ts()
    return {
        "type": "message",
        "channel_type": "im",
        "user": user,
        "text": text,
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
    }


def encode(payload: dict[str, Any]) -> bytes:
    """JSON bytes as Slack sends them."""
    return json.dumps(payload).encode()


async def post_event(
    session: aiohttp.ClientSession, base_url: str, payload: dict[str, Any], **headers: str
) -> int:
    """POST ``payload`` signed to ``{base_url}/slack/events`` as Slack does; the HTTP status.

    ``headers`` are added to (or replace) the signed ones, e.g. ``X-Slack-Retry-Num``.
    """
    body = encode(payload)
    async with session.post(
        f"{base_url}/slack/events", data=body, headers={**sign(body), **headers}
    ) as response:
        return response.status


#: The Slack Connect fault of issue 12, as Slack sent it: a user of our workspace (T0TESTTEAM)
#: mentions Jeeves in a channel shared with a partner org; the envelope's team_id names the
#: partner, the authorization and the event name our workspace.
CONNECT_MENTION: dict[str, Any] = {
    "token": "x",
    "team_id": "T0PARTNER1",
    "enterprise_id": "E0PARTNER1",
    "api_app_id": "A0JEEVES",
    "type": "event_callback",
    "event_id": "Ev0CONNECT1",
    "event_time": 1796045168,
    "is_ext_shared_channel": True,
    "context_team_id": "T0TESTTEAM",
    "context_enterprise_id": None,
    "authorizations": [
        {
            "enterprise_id": None,
            "team_id": "T0TESTTEAM",
            "user_id": "UJEEVESBOT",
            "is_bot": True,
            "is_enterprise_install": False,
        }
    ],
    "event": {
        "type": "app_mention",
        "user": "U0ERIN0001",
        "team": "T0TESTTEAM",
        "user_team": "T0TESTTEAM",
        "text": "<@UJEEVESBOT> set location Lyon",
        "ts": "1796045168.808180",
        "event_ts": "1796045168.808180",
        "channel": "C28E55A64",
    },
}
