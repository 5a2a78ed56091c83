"""What the Prometheus metrics cost the front door per event: ``python -m bench.metrics_cost``.

One process, no network: the front door's ASGI app (in-memory bus) takes signed
``app_mention`` events through Quart's test client, in rounds that alternate the app as built
(metrics on) and the same app with every metric call made a no-op and its HTTP hooks removed
(metrics off). Alternating rounds in one process keep a busy or drifting machine from favouring
either side, which separate runs (bench.frontdoor) cannot on a shared machine. Prints the CPU
microseconds per event of each side (median over the rounds) and their difference.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import metrics as prometheus_metrics
from quart import Quart

from jeeves_frontend.app import create_app
from jeeves_frontend.settings import FrontendSettings
from jeeves_shared.bus.memory import MemoryBus
from jeeves_shared.bus.topology import WORKER_QUEUES
from tests.support.production import DASHBOARD_SECRET_KEY
from tests.support.slack_requests import SIGNING_SECRET, encode, event_callback, mention, sign


class _Nothing:
    """Stands for a metric child: every call does nothing."""

    def labels(self, *args: Any, **kwargs: Any) -> _Nothing:
        return self

    def inc(self, amount: float = 1) -> None:
        pass

    def observe(self, amount: float) -> None:
        pass


@contextlib.contextmanager
def metrics_off(app: Quart) -> Iterator[None]:
    """Metric calls do nothing, and the app's timing hooks are gone, while the context lasts."""
    nothing = _Nothing()
    saved = {
        (cls, name): getattr(cls, name)
        for cls, name in (
            (prometheus_metrics.MetricWrapperBase, "labels"),
            (prometheus_metrics.Counter, "inc"),
            (prometheus_metrics.Histogram, "observe"),
        )
    }
    prometheus_metrics.MetricWrapperBase.labels = lambda self, *a, **k: nothing  # type: ignore[method-assign]
    prometheus_metrics.Counter.inc = lambda self, amount=1, exemplar=None: None  # type: ignore[method-assign]
    prometheus_metrics.Histogram.observe = lambda self, amount, exemplar=None: None  # type: ignore[method-assign]
    hooks = [
        (funcs, func)
        for funcs in (app.before_request_funcs[None], app.after_request_funcs[None])
        for func in list(funcs)
        if func.__name__ in ("start_timer", "measure")
    ]
    for funcs, func in hooks:
        funcs.remove(func)
    try:
        yield
    finally:
        for (cls, name), method in saved.items():
            setattr(cls, name, method)
        for funcs, func in hooks:
            funcs.append(func)


async def one_round(app: Quart, events: list[tuple[bytes, dict[str, str]]]) -> float:
    """CPU seconds per event for ``events`` posted one after the other."""
    client = app.test_client()
    started = time.process_time()
    for body, headers in events:
        response = await client.post("/slack/events", data=body, headers=headers)
        assert response.status_code == 200
    return (time.process_time() - started) / len(events)


async def main(rounds: int, per_round: int) -> None:
    bus = MemoryBus(tuple(WORKER_QUEUES.values()))
    settings = FrontendSettings(
        slack_signing_secret=SIGNING_SECRET,
        dashboard_secret_keys=DASHBOARD_SECRET_KEY,  # type: ignore[arg-type]
    )
    app = create_app(settings, bus=bus)
    on: list[float] = []
    off: list[float] = []
    async with app.test_app():
        for n in range(rounds):
            events = []
            for i in range(per_round):
                body = encode(
                    event_callback(mention("help", channel=f"C{n}x{i}"), event_id=f"Ev{n}x{i}")
                )
                events.append((body, sign(body)))
            half = per_round // 2
            # Alternate which side goes first, so neither always runs on a warmer cache.
            first, second = (on, off) if n % 2 == 0 else (off, on)
            for side, batch in ((first, events[:half]), (second, events[half:])):
                if side is off:
                    with metrics_off(app):
                        off.append(await one_round(app, batch))
                else:
                    on.append(await one_round(app, batch))
    on_us, off_us = statistics.median(on) * 1e6, statistics.median(off) * 1e6
    print(
        f"front door CPU per signed event: metrics on {on_us:.0f} us, off {off_us:.0f} us, "
        f"cost {on_us - off_us:.0f} us ({(on_us - off_us) / off_us:+.1%}), "
        f"{rounds} rounds of {per_round // 2} events a side"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--per-round", type=int, default=400)
    options = parser.parse_args()
    asyncio.run(main(options.rounds, options.per_round))
