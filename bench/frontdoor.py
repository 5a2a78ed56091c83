"""Front-door and end-to-end benchmark: ``python -m bench.frontdoor`` (or ``make bench``).

Starts a private RabbitMQ, the front door under Hypercorn (``jeeves serve frontend``, one
process), and a fake Slack Web API, then prints:

(a) signed ``app_mention`` events acknowledged per second at saturation, each publish confirmed
    by RabbitMQ (wrk, closed loop, no workers running, so the front door has the machine);
(b) ack latency p50/p99 at a steady 500 events/s (open loop);
(c) end-to-end latency p50/p99 at a steady 100 events/s, from the event POST to the
    ``chat.postMessage`` arriving at the fake Slack, with the help worker and the Slack poster
    running as their own processes, and the poster claiming each reply in the Data Service
    (its own process on SQLite, tokens from the TokenDealer's) before posting it;
(d) end-to-end throughput: events posted as fast as the front door takes them (closed loop,
    32 senders) for a few seconds; answers per second from the first event to the last answer,
    and the CPU each Jeeves process spent per answer meanwhile (RabbitMQ's is not counted);
then the size of each process's ``GET /metrics`` (bytes and samples) after all of that.

The load generators of (a) and (b) run as their own process (wrk is installed with apt if
missing). Everything talks on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aio_pika
import aiohttp

from bench.load import signed_events
from tests.support.fake_slack import FakeSlack
from tests.support.http import wait_until_ready
from tests.support.postgres import PostgresServer, start_postgres
from tests.support.production import production_env
from tests.support.rabbitmq import RabbitNode, free_port
from tests.support.slack_requests import SIGNING_SECRET

LUA = Path(__file__).with_name("signed_events.lua")


async def spawn(*args: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "jeeves",
        *args,
        env={**os.environ, **env},
        stderr=asyncio.subprocess.DEVNULL,
    )


async def stop(processes: list[asyncio.subprocess.Process]) -> None:
    for process in processes:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
    await asyncio.gather(*(p.wait() for p in processes))


async def wait_ready(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        await wait_until_ready(session, url)


async def run_load(*args: str) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.load", *args, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate()
    result: dict[str, Any] = json.loads(out)
    return result


async def purge(amqp_url: str, queue: str) -> None:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, passive=True)
        await declared.purge()


async def end_to_end(url: str, slack: FakeSlack, rate: float, seconds: float) -> dict[str, Any]:
    run = uuid.uuid4().hex[:6]
    events = signed_events(int(rate * seconds), run)
    sent_at: dict[str, float] = {}
    expected = len(slack.posts) + len(events)
    async with aiohttp.ClientSession() as session:

        async def send(when: float, n: int) -> None:
            await asyncio.sleep(max(0.0, when - time.monotonic()))
            body, headers = events[n]
            sent_at[f"C{run}{n}"] = time.monotonic()
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()

        start = time.monotonic() + 0.2
        await asyncio.gather(*(send(start + n / rate, n) for n in range(len(events))))
    with contextlib.suppress(TimeoutError):
        await slack.wait_for_posts(expected, timeout=30)
    arrived = {
        call.body["channel"]: call.at for call in slack.calls if call.body.get("channel") in sent_at
    }
    latencies = sorted(arrived[c] - sent_at[c] for c in arrived)
    return {
        "sent": len(events),
        "answered": len(arrived),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
        "max_ms": round(latencies[-1] * 1000, 2),
    }


async def pipeline(url: str, slack: FakeSlack, seconds: float) -> dict[str, Any]:
    """Everything at once: how many answers per second the whole chain delivers."""
    before = len(slack.posts)
    start = time.monotonic()
    load = await run_load("closed", "--url", url, "--seconds", str(seconds), "--concurrency", "32")
    with contextlib.suppress(TimeoutError):
        await slack.wait_for_posts(before + load["ok"], timeout=300)
    last = max(call.at for call in slack.calls)
    answered = len(slack.posts) - before
    return {
        "acked": load["ok"],
        "answered": answered,
        "seconds": round(last - start, 2),
        "rate": round(answered / (last - start), 1),
    }


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def saturate(url: str, seconds: float, connections: int) -> dict[str, Any]:
    """wrk (C, one thread) posting distinct pre-signed events: the front door is the bottleneck."""
    ensure_wrk()
    run = uuid.uuid4().hex[:6]
    with tempfile.NamedTemporaryFile("w", suffix=".tsv") as requests:
        for body, headers in signed_events(int(seconds * 4000), run):
            timestamp, signature = (
                headers["X-Slack-Request-Timestamp"],
                headers["X-Slack-Signature"],
            )
            requests.write(f"{timestamp}\t{signature}\t{body.decode()}\n")
        requests.flush()
        process = await asyncio.create_subprocess_exec(
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{int(seconds)}s",
            "-s",
            str(LUA),
            url,
            env={**os.environ, "JEEVES_BENCH_REQUESTS": requests.name, "JEEVES_BENCH_THREADS": "1"},
            stdout=asyncio.subprocess.PIPE,
        )
        out, _ = await process.communicate()
    line = next(line for line in out.decode().splitlines() if line.startswith("JSON "))
    figures: dict[str, Any] = json.loads(line[5:])
    figures["rate"] = round(figures["requests"] / figures["seconds"], 1)
    return figures


def ensure_wrk() -> None:
    if shutil.which("wrk") is None:
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "wrk"],
            check=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )


async def main(
    seconds: float, concurrency: int, database: str, skip: frozenset[str] = frozenset()
) -> None:
    postgres: PostgresServer | None = None
    if database == "postgres":
        postgres = start_postgres(options="")  # durable defaults, as in production
    rabbit = RabbitNode()
    rabbit.start()
    amqp_url = rabbit.new_vhost()
    bind = f"127.0.0.1:{free_port()}"
    url = f"http://{bind}/slack/events"
    children: list[asyncio.subprocess.Process] = []
    folder = Path(tempfile.mkdtemp(prefix="jeeves-bench-"))
    try:
        async with FakeSlack() as slack:
            env = {
                **production_env(folder),
                **(
                    {"JEEVES_DATABASE_URL": postgres.url(await postgres.create_database())}
                    if postgres
                    else {}
                ),
                "JEEVES_AMQP_URL": amqp_url,
                "JEEVES_FRONTEND_BIND": bind,
                "JEEVES_SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "JEEVES_SLACK_BOT_TOKEN": "xoxb-bench",
                "JEEVES_SLACK_API_URL": slack.base_url,
            }
            children.append(await spawn("serve", "frontend", env=env))
            await wait_ready(f"http://{bind}/readyz")
            await run_load("closed", "--url", url, "--seconds", "2", "--concurrency", "16")
            saturation = await saturate(f"http://{bind}", seconds, concurrency)
            report("(a) saturation, confirmed publishes", saturation)
            if "b" not in skip:
                steady = await run_load(
                    "open", "--url", url, "--seconds", str(seconds), "--rate", "500"
                )
                report("(b) ack latency at 500 events/s", steady)
            await purge(amqp_url, "jeeves.help")
            migrate = await spawn("db", "upgrade", env=env)
            assert await migrate.wait() == 0
            children.append(await spawn("serve", "tokendealer", env=env))
            children.append(await spawn("serve", "dataservice", env=env))
            await wait_ready(f"http://{env['JEEVES_DATASERVICE_BIND']}/readyz")
            health = {kind: f"127.0.0.1:{free_port()}" for kind in ("help", "slack")}
            for kind, health_bind in health.items():
                worker_env = {**env, "JEEVES_WORKER_HEALTH_BIND": health_bind}
                children.append(await spawn("worker", kind, env=worker_env))
            await end_to_end(url, slack, rate=50, seconds=2)  # warm-up
            if "c" not in skip:
                e2e = await end_to_end(url, slack, rate=100, seconds=seconds)
                report("(c) end to end at 100 events/s", e2e)
            named = dict(
                zip(
                    ["frontend", "tokendealer", "dataservice", "help", "slack"],
                    children,
                    strict=True,
                )
            )
            before = {name: cpu_seconds(child.pid) for name, child in named.items()}
            throughput = await pipeline(url, slack, seconds=5)
            report("(d) end-to-end throughput", throughput)
            spent = {name: cpu_seconds(child.pid) - before[name] for name, child in named.items()}
            answers = throughput["answered"]
            report(
                "(d) CPU ms per answer",
                {name: round(1000 * used / answers, 3) for name, used in spent.items()}
                | {"jeeves_total": round(1000 * sum(spent.values()) / answers, 3)},
            )
            await report_metrics_sizes(
                {
                    "frontend": bind,
                    "tokendealer": env["JEEVES_TOKENDEALER_BIND"],
                    "dataservice": env["JEEVES_DATASERVICE_BIND"],
                    **{f"worker {kind}": health_bind for kind, health_bind in health.items()},
                }
            )
    finally:
        await stop(children)
        rabbit.remove()
        shutil.rmtree(folder, ignore_errors=True)
        if postgres is not None:
            postgres.stop()


async def report_metrics_sizes(binds: dict[str, str]) -> None:
    """Bytes and samples of each process's ``GET /metrics`` (absent before issue 15: skipped)."""
    sizes: dict[str, str] = {}
    async with aiohttp.ClientSession() as session:
        for name, bind in binds.items():
            async with session.get(f"http://{bind}/metrics") as response:
                if response.status != 200:
                    return
                text = await response.text()
            samples = sum(1 for line in text.splitlines() if line and not line.startswith("#"))
            sizes[name] = f"{len(text.encode())}B/{samples}"
    report("/metrics bytes/samples per process", sizes)


def report(title: str, figures: dict[str, Any]) -> None:
    print(f"{title}: " + ", ".join(f"{key}={value}" for key, value in figures.items()))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="the Data Service's database for (c) and (d)",
    )
    parser.add_argument(
        "--skip",
        default="",
        help="figures not to measure, e.g. b,c (a machine too busy for 500 events/s)",
    )
    options = parser.parse_args()
    skipped = frozenset(options.skip.replace(",", " ").split())
    asyncio.run(main(options.seconds, options.concurrency, options.database, skipped))
