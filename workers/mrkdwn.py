"""Text from users or providers made safe to show in a Slack message.

Slack's mrkdwn acts on ``<...>`` (mentions such as ``<!channel>``, links) and on backticks; a
reply that quotes what someone typed must not be able to ping a channel or forge a link.
"""

from __future__ import annotations


def to_slack_text(text: str) -> str:
    """``text`` on one line, with nothing in it that Slack's mrkdwn would act on.

    ``&``, ``<`` and ``>`` become entities, a backtick becomes ``'`` (so nothing can open or
    close a code span) and runs of whitespace become one space.
    """
    text = " ".join(text.split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("`", "'")
