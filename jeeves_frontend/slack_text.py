"""Slack's message formatting turned into the plain text a user meant.

Slack sends ``<@U123>`` for mentions, ``<#C123|general>`` for channels, ``<https://x|label>`` for
links and escapes ``&``, ``<`` and ``>``. Commands are parsed from the plain text, so a place
name such as ``Saint-Étienne`` or ``AT&T Park`` arrives as the user typed it.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"<([^<>]*)>")
_SPACE = re.compile(r"\s+")


def to_plain_text(text: str, *, bot_user_id: str | None = None) -> str:
    """Decode Slack formatting, drop mentions of the bot, and collapse whitespace."""
    decoded = _TOKEN.sub(lambda match: _decode_token(match.group(1), bot_user_id), text)
    decoded = decoded.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return _SPACE.sub(" ", decoded).strip()


def _decode_token(token: str, bot_user_id: str | None) -> str:
    target, _, label = token.partition("|")
    if target.startswith("@"):
        user = target[1:]
        if user == bot_user_id:
            return " "
        return f"@{label or user}"
    if target.startswith("#"):
        return f"#{label or target[1:]}"
    if target.startswith("!"):
        return _decode_special(target[1:], label)
    return label or target


def _decode_special(name: str, label: str) -> str:
    if label:
        return label
    keyword = name.split("^", 1)[0]
    return f"@{keyword}"


def strip_leading_mention(text: str) -> str:
    """Remove one leading ``<@U…>`` mention (an app_mention when the bot's id is unknown)."""
    return re.sub(r"^\s*<@[A-Z0-9]+(?:\|[^>]*)?>", "", text, count=1)
