"""Text from a request made safe, and Slack's message formatting turned into what a user meant.

Every string a client sends passes :func:`to_safe_text` (through the :data:`SafeText` type of
the request models) before it goes anywhere: JSON may carry unpaired surrogates (``\\ud83d``,
half an emoji), NULs and control characters that cannot be encoded for the bus or stored.

Slack sends ``<@U123>`` for mentions, ``<#C123|general>`` for channels, ``<https://x|label>`` for
links and escapes ``&``, ``<`` and ``>``. Commands are parsed from the plain text, so a place
name such as ``Saint-Étienne`` or ``AT&T Park`` arrives as the user typed it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated, Any

from pydantic import AfterValidator, Field

_TOKEN = re.compile(r"<([^<>]*)>")
#: C0 controls but tab and newline, DEL, and C1 controls: invisible, and PostgreSQL refuses NUL.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SURROGATE = re.compile("[\ud800-\udfff]")
#: Most elements read from a message's ``blocks`` (Slack allows 50 blocks of a few elements).
MAX_BLOCK_ELEMENTS = 10_000


def to_safe_text(text: str) -> str:
    """``text`` that can be encoded, stored and shown: what Slack itself would display.

    Unpaired surrogates become U+FFFD (the replacement character a client shows for them),
    ``\\r\\n`` and ``\\r`` become ``\\n``, and other control characters are dropped.
    """
    if text.isascii() and text.isprintable():
        return text  # the common case, untouched
    text = _SURROGATE.sub("\ufffd", text)  # JSON parsers join valid pairs: these are lone
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


#: A string from a request, made safe by :func:`to_safe_text` when it is validated.
SafeText = Annotated[str, AfterValidator(to_safe_text)]
#: A Slack id or timestamp (``U0123ABCD``, ``1700000000.000100``): short, never empty.
SlackId = Annotated[SafeText, Field(min_length=1, max_length=64)]


def to_plain_text(text: str, *, bot_user_id: str | None = None) -> str:
    """Decode Slack formatting and drop mentions of the bot; inner spacing is kept.

    Only the ends are trimmed: a value such as ``config set motto a  b`` is stored as typed.
    """
    decoded = _TOKEN.sub(lambda match: _decode_token(match.group(1), bot_user_id), text)
    decoded = decoded.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return decoded.strip()


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


def blocks_text(blocks: Any) -> str:
    """The words of a message's ``rich_text`` blocks, in Slack's ``text`` formatting.

    Some clients send a message's words only in ``blocks`` (``text`` empty). Mentions come back
    as ``<@U…>``, links as their label (or URL) and text escaped, so :func:`to_plain_text`
    reads the result exactly as it reads ``text``.
    Anything that is not a rich-text element is skipped; the walk is iterative and bounded, so
    no nesting or size of ``blocks`` can exhaust the stack.
    """
    parts: list[str] = []
    for element in _elements(blocks):
        kind = element.get("type")
        if kind == "text" and isinstance(element.get("text"), str):
            parts.append(_escape(element["text"]))
        elif kind == "user" and isinstance(element.get("user_id"), str):
            parts.append(f"<@{element['user_id']}>")
        elif kind == "link" and isinstance(element.get("url"), str):
            label = element.get("text")
            parts.append(_escape(label) if isinstance(label, str) and label else element["url"])
        elif kind == "channel" and isinstance(element.get("channel_id"), str):
            parts.append(f"<#{element['channel_id']}>")
        elif kind in ("rich_text_section", "rich_text_preformatted", "rich_text_quote"):
            parts.append("\n")
    return to_safe_text("".join(parts).strip())  # blocks are read raw, not through the models


def _elements(blocks: Any) -> Iterator[dict[str, Any]]:
    """Every dict in ``blocks``'s ``elements`` trees, depth first, in document order."""
    stack: list[Any] = [blocks]
    seen = 0
    while stack and seen < MAX_BLOCK_ELEMENTS:
        item = stack.pop()
        seen += 1
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            yield item
            children = item.get("elements")
            if isinstance(children, list):
                stack.extend(reversed(children))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
