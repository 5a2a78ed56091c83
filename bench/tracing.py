"""What tracing costs on the hot path: ``python -m bench.tracing [--baseline DIR]``.

Measures :mod:`bench.frontdoor`'s (a) (front door saturation, confirmed publishes; wrk, 64
connections) and (d) (end-to-end answers per second at saturation, and CPU per answer), every
Jeeves process its own as in production, in rounds, each round once per configuration:

- ``baseline`` (only with ``--baseline DIR``): the code in ``DIR`` (a checkout of the commit
  to compare against, e.g. ``git archive main | tar -x -C DIR``), run with this virtualenv;
- ``disabled``: this code with ``OTEL_SDK_DISABLED=true`` (no spans at all): against ``off``,
  the cost of making spans alone;
- ``off``: this code with no exporter (spans are still made: log lines carry their ids);
- ``memory``: this code with every span also handed to an in-memory exporter in each process
  (a ``sitecustomize`` module installs it before Jeeves starts; Jeeves keeps that provider).

Rounds alternate the configurations, since the machine's speed drifts over minutes: only
figures of the same round compare.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from bench.frontdoor import (
    cpu_seconds,
    end_to_end,
    pipeline,
    purge,
    report,
    run_load,
    saturate,
    stop,
    wait_ready,
)
from tests.support.fake_slack import FakeSlack
from tests.support.production import production_env
from tests.support.rabbitmq import RabbitNode, free_port
from tests.support.slack_requests import SIGNING_SECRET

ROOT = Path(__file__).resolve().parents[1]

SITECUSTOMIZE = """\
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from jeeves_shared.observability.tracing import configure_tracing

configure_tracing("jeeves-bench", processor=SimpleSpanProcessor(InMemorySpanExporter()))
"""


async def spawn(code: Path, *args: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    """``jeeves ARGS`` from the checkout ``code`` (its folder comes first on ``sys.path``)."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "jeeves",
        *args,
        cwd=code,
        env=env,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def their_env(code: Path, folder: Path) -> dict[str, str]:
    """The production settings of the checkout ``code``, from its own test support (a
    baseline's TokenDealer clients and scopes are its own, not this checkout's)."""
    program = (
        "import json, sys, pathlib; from tests.support.production import production_env; "
        "print(json.dumps(production_env(pathlib.Path(sys.argv[1]))))"
    )
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", program, str(folder), cwd=code, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await child.communicate()
    assert child.returncode == 0, f"{code}: no production_env"
    env: dict[str, str] = json.loads(out)
    return env


async def measure(
    label: str, code: Path, rabbit: RabbitNode, extra: dict[str, str], seconds: float
) -> None:
    """(a), then (d), of the code in ``code`` with ``extra`` environment variables."""
    amqp_url = rabbit.new_vhost()
    bind = f"127.0.0.1:{free_port()}"
    url = f"http://{bind}/slack/events"
    folder = Path(tempfile.mkdtemp(prefix="jeeves-bench-"))
    children: list[asyncio.subprocess.Process] = []
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "PYTHONPATH"))}
    try:
        async with FakeSlack() as slack:
            env = {
                **base,
                **(production_env(folder) if code == ROOT else await their_env(code, folder)),
                "JEEVES_AMQP_URL": amqp_url,
                "JEEVES_FRONTEND_BIND": bind,
                "JEEVES_SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "JEEVES_SLACK_BOT_TOKEN": "xoxb-bench",
                "JEEVES_SLACK_API_URL": slack.base_url,
                **extra,
            }
            children.append(await spawn(code, "serve", "frontend", env=env))
            await wait_ready(f"http://{bind}/readyz")
            await run_load("closed", "--url", url, "--seconds", "2", "--concurrency", "16")
            report(f"{label} (a) saturation", await saturate(f"http://{bind}", seconds, 64))
            await purge(amqp_url, "jeeves.help")
            migrate = await spawn(code, "db", "upgrade", env=env)
            assert await migrate.wait() == 0
            names = ["tokendealer", "dataservice", "help", "slack"]
            children.append(await spawn(code, "serve", "tokendealer", env=env))
            children.append(await spawn(code, "serve", "dataservice", env=env))
            await wait_ready(f"http://{env['JEEVES_DATASERVICE_BIND']}/readyz")
            children.append(await spawn(code, "worker", "help", env=env))
            children.append(await spawn(code, "worker", "slack", env=env))
            await end_to_end(url, slack, rate=50, seconds=2)  # warm-up
            named = dict(zip(["frontend", *names], children, strict=True))
            before = {name: cpu_seconds(child.pid) for name, child in named.items()}
            throughput = await pipeline(url, slack, seconds=5)
            spent = sum(cpu_seconds(child.pid) - before[name] for name, child in named.items())
            report(
                f"{label} (d) end to end",
                throughput | {"cpu_ms_per_answer": round(1000 * spent / throughput["answered"], 3)},
            )
    finally:
        await stop(children)
        shutil.rmtree(folder, ignore_errors=True)


async def rounds_of(baseline: Path | None, shim: str, rounds: int, seconds: float) -> None:
    rabbit = RabbitNode()
    rabbit.start()
    try:
        for number in range(1, rounds + 1):
            print(f"round {number}", flush=True)
            if baseline is not None:
                await measure("baseline", baseline, rabbit, {}, seconds)
            await measure("disabled", ROOT, rabbit, {"OTEL_SDK_DISABLED": "true"}, seconds)
            await measure("off", ROOT, rabbit, {}, seconds)
            await measure("memory", ROOT, rabbit, {"PYTHONPATH": shim}, seconds)
    finally:
        rabbit.remove()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, help="a checkout to compare with (optional)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="jeeves-bench-tracing-") as shim:
        Path(shim, "sitecustomize.py").write_text(SITECUSTOMIZE)
        baseline = options.baseline.resolve() if options.baseline else None
        asyncio.run(rounds_of(baseline, shim, options.rounds, options.seconds))


if __name__ == "__main__":
    main()
