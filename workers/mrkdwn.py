"""Text from users or providers made safe to show in a Slack message.

Slack's mrkdwn acts on ``<...>`` (mentions such as ``<!channel>``, links) and on backticks; a
reply that quotes what someone typed must not be able to ping a channel or forge a link.
"""

from __future__ import annotations

import re


def to_slack_text(text: str, *, keep_spaces: bool = False) -> str:
    """``text`` on one line, with nothing in it that Slack's mrkdwn would act on.

    ``&``, ``<`` and ``>`` become entities, a backtick becomes ``'`` (so nothing can open or
    close a code span) and runs of whitespace become one space; with ``keep_spaces`` (a value
    echoed back as it is stored) only line breaks and tabs become spaces.
    """
    text = re.sub(r"[\r\n\t\v\f]", " ", text) if keep_spaces else " ".join(text.split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("`", "'")


#: What Slack acts on inside ``<...>``: a mention (``@``), a channel (``#``), a special mention or
#: date (``!``), or a link with a scheme (``https:``, ``mailto:``).
_SLACK_SEQUENCE = re.compile(r"<(?:[@#!]|[A-Za-z][A-Za-z0-9+.\-]*:)[^<>]*>")


def escape_stray_brackets(text: str) -> str:
    """``text`` with every ``<`` and ``>`` that is not part of a Slack sequence as an entity.

    Our own answers write placeholders such as ``set location <place>``; Slack reads any
    ``<...>`` as a link or mention and would show ``place``. Links (``<https://x|label>``) and
    mentions stay as they are; ``&`` is left alone (text from users is escaped already, by
    :func:`to_slack_text`). Source: Slack's "Formatting text for app surfaces", escaping text.
    """
    pieces: list[str] = []
    last = 0
    for sequence in _SLACK_SEQUENCE.finditer(text):
        pieces += [_as_entities(text[last : sequence.start()]), sequence.group()]
        last = sequence.end()
    pieces.append(_as_entities(text[last:]))
    return "".join(pieces)


def _as_entities(text: str) -> str:
    return text.replace("<", "&lt;").replace(">", "&gt;")


#: Slack shows at most 4,000 characters of a message's text before truncating it.
MAX_MESSAGE_LENGTH = 3_900


def split_message(text: str, limit: int = MAX_MESSAGE_LENGTH) -> list[str]:
    """Cut ``text`` into messages of at most ``limit`` characters.

    Cuts fall on line breaks when a line fits, else on spaces, else anywhere; no text is lost
    and a short text stays one message.
    """
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = rest.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n ")
    parts.append(rest)
    return [part for part in parts if part] or [text]
