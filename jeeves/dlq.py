"""``jeeves dlq list`` and ``jeeves dlq replay``: what an operator sees of the dead-letter queue.

Output goes to stdout for the operator (a table, or JSON lines with ``--json``); failures to
reach the broker go to stderr with exit status 1.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from jeeves_shared.bus.amqp_consumer import BROKER_ERRORS
from jeeves_shared.bus.dead_letters import DeadLetter, list_dead_letters, replay_dead_letters
from jeeves_shared.runtime.logs import redact_url


async def list_command(url: str, *, limit: int, as_json: bool) -> int:
    """Show up to ``limit`` dead letters, oldest first; nothing is taken off the queue."""
    try:
        letters, total = await list_dead_letters(url, limit=limit)
    except (*BROKER_ERRORS, TimeoutError) as exc:
        return _unreachable(url, exc)
    if as_json:
        for letter in letters:
            sys.stdout.write(json.dumps(letter.as_json()) + "\n")
        return 0
    if not letters:
        sys.stdout.write("The dead-letter queue is empty.\n")
        return 0
    sys.stdout.write(_table(letters))
    if total > len(letters):
        sys.stdout.write(f"... and {total - len(letters)} more (--limit).\n")
    return 0


async def replay_command(url: str, *, ids: Sequence[str]) -> int:
    """Send dead letters (``ids``, or all) back to the queues they failed in."""
    try:
        replayed, refused = await replay_dead_letters(url, ids=ids)
    except (*BROKER_ERRORS, TimeoutError) as exc:
        return _unreachable(url, exc)
    for letter in replayed:
        sys.stdout.write(f"replayed {letter.message_id or '(no id)'} to {letter.queue}\n")
    for letter in refused:
        sys.stdout.write(f"kept {letter.message_id or '(no id)'}: no queue to send it back to\n")
    missing = sorted(set(ids) - {letter.message_id for letter in (*replayed, *refused)})
    for message_id in missing:
        sys.stdout.write(f"not found: {message_id}\n")
    sys.stdout.write(f"{len(replayed)} replayed, {len(refused)} kept.\n")
    return 1 if missing or refused else 0


def _table(letters: Sequence[DeadLetter]) -> str:
    rows = [("ID", "QUEUE", "TRIES", "FAILED AT", "REASON", "MESSAGE")]
    rows += [
        (
            letter.message_id or "-",
            letter.queue or "-",
            str(letter.attempts),
            letter.failed_at or "-",
            letter.reason,
            letter.summary,
        )
        for letter in letters
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = [
        "  ".join([*(c.ljust(w) for c, w in zip(row, widths, strict=False)), row[-1]])
        for row in rows
    ]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _unreachable(url: str, exc: BaseException) -> int:
    sys.stderr.write(f"jeeves: cannot reach the broker at {redact_url(url)}: {exc}\n")
    return 1
