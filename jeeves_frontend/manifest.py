"""The Slack app manifest Jeeves needs: every URL, event, slash command and scope, in one paste.

``jeeves slack manifest --url https://<host>`` prints it (YAML); an app created from it at
https://api.slack.com/apps ("From an app manifest") is ready to install. Schema: Slack's app
manifest, version 1 (https://docs.slack.dev/reference/app-manifest/).

It is built from the code, not written by hand: the bot events are the subscriptions
:mod:`jeeves_frontend.events` acts on, the URLs are the front door's routes, and each bot scope
is there for an event, a Web API method the workers call, or a reason stated in
:data:`OTHER_SCOPES`; tests/jeeves_frontend/test_manifest.py checks each against the app.
"""

from __future__ import annotations

from typing import Any

import yaml

from jeeves_frontend.events import LIFECYCLE_EVENTS, SUBSCRIPTIONS
from jeeves_frontend.settings import check_public_url

#: Where Slack sends events, slash commands and install redirects (front-door routes).
EVENTS_PATH = "/slack/events"
COMMANDS_PATH = "/slack/commands"
INSTALL_PATH = "/slack/install"
INSTALL_REDIRECT_PATH = "/slack/oauth_redirect"
#: Where Sign in with Slack (the dashboard's OpenID Connect flow) comes back.
SIGNIN_REDIRECT_PATH = "/dashboard/oauth_redirect"
#: The slash command; everything after it is a Jeeves command (``/jeeves weather in Paris``).
SLASH_COMMAND = "/jeeves"

#: The scope each subscribed event needs (Slack's event reference lists one per event).
EVENT_SCOPES: dict[str, str] = {
    "app_mention": "app_mentions:read",
    "message.im": "im:history",
    # A member's profile changed: Jeeves keeps their Slack roles (admin, owner) fresh.
    "user_change": "users:read",
}
#: The bot scope of each Web API method the workers call (slack_sdk ``AsyncWebClient`` names
#: with ``.`` for ``_``); the Slack poster reads a conversation back after a crash to see
#: whether its reply was posted already, in channels, private channels, group and direct DMs.
METHOD_SCOPES: dict[str, tuple[str, ...]] = {
    "chat.postMessage": ("chat:write",),
    "users.info": ("users:read",),
    "conversations.history": (
        "channels:history",
        "groups:history",
        "mpim:history",
        "im:history",
    ),
    "conversations.replies": (
        "channels:history",
        "groups:history",
        "mpim:history",
        "im:history",
    ),
}
#: Scopes for anything else, with why.
OTHER_SCOPES: dict[str, str] = {
    "commands": f"the {SLASH_COMMAND} slash command",
    "im:read": "direct messages with people (reminders and alerts go to their DM with Jeeves)",
    "im:write": "opening a direct message with a person (reminders and alerts)",
}
#: Sign in with Slack's scopes: user scopes, asked only by the dashboard's sign-in, never by
#: the install (which asks for bot scopes only). Slack lists them in the app's user scopes.
SIGNIN_SCOPES = ("openid", "email", "profile")


def bot_events() -> list[str]:
    """The bot events to subscribe to, sorted: what people say to Jeeves, its installations'
    lifecycle (uninstalled, tokens revoked, and for the org-wide install, workspaces gaining or
    losing access), which need no scope, and members' ``user_change`` (their Slack roles,
    ``users:read``)."""
    return sorted({*SUBSCRIPTIONS, *LIFECYCLE_EVENTS})


def bot_scopes() -> list[str]:
    """Every bot scope Jeeves needs, sorted."""
    scopes = {EVENT_SCOPES[event] for event in bot_events() if event in EVENT_SCOPES}
    scopes.update(scope for needed in METHOD_SCOPES.values() for scope in needed)
    scopes.update(OTHER_SCOPES)
    return sorted(scopes)


def build_manifest(
    url: str, *, name: str = "Jeeves", token_rotation: bool = False
) -> dict[str, Any]:
    """The manifest of a Jeeves reached at ``url`` (``https://<host>``), as a dict.

    ``token_rotation`` turns on Slack's token rotation (bot tokens expire after 12 hours and
    Jeeves refreshes them); Slack cannot turn it off again for an app. Raises
    :class:`ValueError` for a ``url`` :func:`check_public_url` refuses.
    """
    base = check_public_url(url)
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": name,
            "description": "Weather, reminders and daily alerts, in Slack.",
            "background_color": "#3f0e40",
        },
        "features": {
            "app_home": {
                "home_tab_enabled": False,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": False,
            },
            "bot_user": {"display_name": name, "always_online": True},
            "slash_commands": [
                {
                    "command": SLASH_COMMAND,
                    "url": base + COMMANDS_PATH,
                    "description": "Ask Jeeves: weather, reminders, alerts, settings",
                    "usage_hint": "help | weather in Paris | remind me in 10 minutes to stretch",
                    "should_escape": False,
                }
            ],
        },
        "oauth_config": {
            "redirect_urls": [base + INSTALL_REDIRECT_PATH, base + SIGNIN_REDIRECT_PATH],
            "scopes": {"bot": bot_scopes(), "user": list(SIGNIN_SCOPES)},
        },
        "settings": {
            "event_subscriptions": {"request_url": base + EVENTS_PATH, "bot_events": bot_events()},
            "interactivity": {"is_enabled": False},
            "org_deploy_enabled": True,
            "socket_mode_enabled": False,
            "token_rotation_enabled": token_rotation,
        },
    }


def to_yaml(manifest: dict[str, Any]) -> str:
    """``manifest`` as YAML, keys in the order Slack's own manifests use."""
    return yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True, width=100)
