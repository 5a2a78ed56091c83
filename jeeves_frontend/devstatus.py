"""``jeeves dev``'s live status page: what a newcomer wants to see while trying things.

``GET /dev/status`` is the page (its script, ``static/status.js``, polls the JSON every second);
``GET /dev/status.json`` is what it shows: the events and actions published, the messages each
worker kind handled by outcome, the depth of every in-memory queue, and the last handler
failures (retried or dead-lettered). The counts are read from the process's Prometheus metrics
(:mod:`jeeves_shared.observability.metrics`), the queues and failures from the
:class:`~jeeves_shared.bus.memory.MemoryBus`. Only ``jeeves dev`` mounts this blueprint (no
authentication), with the Content-Security-Policy of every page: no inline script or style.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from prometheus_client import Counter
from quart import Blueprint, Response, render_template

from jeeves_frontend.pages import html_page
from jeeves_frontend.state import front_door
from jeeves_shared.bus.memory import MemoryBus
from jeeves_shared.bus.topology import ACTIONS_EXCHANGE, REPLIES_EXCHANGE
from jeeves_shared.observability.metrics import MESSAGES_HANDLED, PUBLISHES, SLACK_EVENTS

blueprint = Blueprint("devstatus", __name__, template_folder="templates")


@blueprint.get("/dev/status")
async def page() -> Response:
    """The status page (its script and style are in ``jeeves_frontend/static``), with every
    page's security headers (:data:`~jeeves_frontend.pages.PAGE_HEADERS`)."""
    return html_page(await render_template("status.html"))


@blueprint.get("/dev/status.json")
async def status() -> dict[str, Any]:
    """``{"published": {"actions", "replies"}, "slack_events": {outcome: n},
    "handled": {kind: {outcome: n}}, "queues": {queue: waiting}, "failures": [...]}``.

    ``failures`` are the last ones first: ``{"queue", "outcome", "reason", "at"}``.
    """
    bus = front_door().bus
    published = _totals(PUBLISHES, "exchange", result="confirmed")
    handled: dict[str, dict[str, float]] = {}
    for labels, count in _samples(MESSAGES_HANDLED):
        handled.setdefault(labels["kind"], {})[labels["outcome"]] = count
    memory = bus if isinstance(bus, MemoryBus) else None
    return {
        "published": {
            "actions": published.get(ACTIONS_EXCHANGE, 0),
            "replies": published.get(REPLIES_EXCHANGE, 0),
        },
        "slack_events": _totals(SLACK_EVENTS, "outcome"),
        "handled": handled,
        "queues": memory.depths() if memory else {},
        "failures": [asdict(f) for f in reversed(memory.failures)] if memory else [],
    }


def _samples(counter: Counter) -> list[tuple[dict[str, str], float]]:
    """The ``_total`` samples of ``counter``: (labels, value)."""
    return [
        (sample.labels, sample.value)
        for family in counter.collect()
        for sample in family.samples
        if sample.name.endswith("_total")
    ]


def _totals(counter: Counter, by: str, **only: str) -> dict[str, float]:
    """``counter``'s samples whose labels include ``only``, summed by label ``by``."""
    totals: dict[str, float] = {}
    for labels, count in _samples(counter):
        if only.items() <= labels.items():
            totals[labels[by]] = totals.get(labels[by], 0) + count
    return totals
