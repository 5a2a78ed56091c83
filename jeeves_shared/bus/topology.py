"""Names on the bus: exchanges, routing keys and the durable queues worker kinds consume.

The exchange names are part of Jeeves' fixed contract. Every process declares the whole
topology when it connects (declarations are idempotent), so a message published before a worker
has ever started still lands in that worker's queue instead of being returned as unroutable.
"""

from __future__ import annotations

from dataclasses import dataclass

from jeeves_shared.messages import Origin

ACTIONS_EXCHANGE = "jeeves.actions"
REPLIES_EXCHANGE = "jeeves.replies"
#: Where messages go that failed for good; ``jeeves.dead-letter`` keeps them, with the reason, for
#: ``jeeves dlq list`` and ``jeeves dlq replay``.
DEAD_LETTER_EXCHANGE = "jeeves.dead"
DEAD_LETTER_QUEUE = "jeeves.dead-letter"
#: A failed message waits in a delay queue (``jeeves.retry.<delay>``) bound on this exchange with
#: ``<delay>.#``; the routing key is ``<delay>.<work queue>``.
RETRY_EXCHANGE = "jeeves.retry"
#: Delay queues dead-letter expired messages here, keeping their routing key; each work queue is
#: bound with ``*.<its name>``, so a retried (or replayed) message returns to the queue it left.
REQUEUE_EXCHANGE = "jeeves.requeue"


def delay_label(seconds: float) -> str:
    """``1s``, ``30s``, ``250ms``: the name of a delay level."""
    millis = round(seconds * 1000)
    return f"{millis // 1000}s" if millis % 1000 == 0 else f"{millis}ms"


def delay_queue(seconds: float) -> str:
    """The delay queue of one retry level, e.g. ``jeeves.retry.5s``."""
    return f"{RETRY_EXCHANGE}.{delay_label(seconds)}"


def requeue_key(prefix: str, queue: str) -> str:
    """Routing key that brings a message back to ``queue`` through :data:`REQUEUE_EXCHANGE`."""
    return f"{prefix}.{queue}"


def action_key(command: str) -> str:
    """Routing key for an action: ``action.<command>``."""
    return f"action.{command}"


def reply_key(origin: Origin) -> str:
    """Routing key for a reply to a conversation of ``origin``: ``reply.slack``, ..."""
    return f"reply.{origin}"


@dataclass(frozen=True)
class QueueSpec:
    """A durable queue bound to one exchange with some routing-key patterns."""

    name: str
    exchange: str
    routing_keys: tuple[str, ...]


def _actions(queue: str, *commands: str) -> QueueSpec:
    return QueueSpec(queue, ACTIONS_EXCHANGE, tuple(action_key(c) for c in commands))


#: The queue of each worker kind that consumes one (``jeeves worker <kind>``). Every command of
#: the registry (and ``unknown``) is bound to exactly one of them; a test checks it.
WORKER_QUEUES: dict[str, QueueSpec] = {
    "help": _actions("jeeves.help", "help", "unknown"),
    "weather": _actions("jeeves.weather", "weather"),
    "user": _actions("jeeves.user", "set_location", "get_location", "config", "alerts", "login"),
    "reminders": _actions("jeeves.reminders", "remind", "reminders"),
    "slack": QueueSpec("jeeves.slack-poster", REPLIES_EXCHANGE, (reply_key("slack"),)),
}

#: Replies for the local chat page; declared only by ``jeeves dev``.
DEVCHAT_QUEUE = QueueSpec("jeeves.devchat", REPLIES_EXCHANGE, (reply_key("devchat"),))

_KIND_OF_QUEUE = {spec.name: kind for kind, spec in WORKER_QUEUES.items()} | {
    DEVCHAT_QUEUE.name: "devchat"
}


def kind_of_queue(queue: str) -> str:
    """The worker kind that consumes ``queue`` (``devchat`` for the chat page's), else
    ``other``: a metric label, so never an unbounded name."""
    return _KIND_OF_QUEUE.get(queue, "other")


def topic_matches(pattern: str, routing_key: str) -> bool:
    """AMQP topic matching: ``*`` is exactly one word, ``#`` is zero or more words."""
    return _match(pattern.split("."), routing_key.split("."))


def _match(pattern: list[str], words: list[str]) -> bool:
    if not pattern:
        return not words
    head, rest = pattern[0], pattern[1:]
    if head == "#":
        return any(_match(rest, words[i:]) for i in range(len(words) + 1))
    if not words:
        return False
    return head in ("*", words[0]) and _match(rest, words[1:])
