"""What serving installations costs: ``python -m bench.installations``.

Two figures for issue 12:

(a) front-door saturation (bench (a) of :mod:`bench.frontdoor`: wrk, signed ``app_mention``
    events, each publish confirmed by RabbitMQ) with the per-installation lookup off
    (one-workspace mode) and on (``JEEVES_SLACK_CLIENT_ID`` set: each event's installation is
    found through the front door's cached Data Service lookup). Both front doors run at once on
    their own ports, and are measured one after the other, alternately, ``--rounds`` times each:
    a paired run, so that the shared machine's drift hits both alike. The medians and their
    ratio are printed.
(t) the bot token cache under load: every event goes through the lookup front door, the help
    worker (its own process) and the Slack poster, which posts each answer with the
    installation's rotating token (Slack's 12-hour lifetime) from
    :class:`~jeeves_shared.installations.BotTokens`. The poster runs in this process (the real
    handler on the real queue) so that its cache's counters can be read: gets, Data Service
    requests, hit rate.

Everything talks on 127.0.0.1; Slack is the fake.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
from pathlib import Path
from typing import Any

import aiohttp

from bench.frontdoor import pipeline, purge, report, saturate, spawn, stop, wait_ready
from jeeves_shared.bus.amqp import AmqpBus
from jeeves_shared.bus.topology import WORKER_QUEUES
from jeeves_shared.messages import Action, Reply
from tests.support.fake_slack import FakeSlack
from tests.support.fake_slack_oauth import Grant
from tests.support.production import production_env, save_issued_installation, with_installs
from tests.support.rabbitmq import RabbitNode, free_port
from tests.support.slack_requests import BOT_USER_ID, SIGNING_SECRET, TEAM_ID
from workers.deps import Resources
from workers.settings import WorkerSettings
from workers.slack import poster
from workers.slack.poster import PosterDeps


async def install(env: dict[str, str], slack: FakeSlack) -> None:
    """Jeeves installed in the events' workspace, with a rotating token (12 hours)."""
    answer = slack.oauth.issue(Grant(team_id=TEAM_ID, bot_user_id=BOT_USER_ID))
    async with aiohttp.ClientSession() as session:
        await save_issued_installation(session, env, answer)


async def paired_saturation(
    off: str, on: str, *, seconds: float, connections: int, rounds: int
) -> dict[str, Any]:
    """Saturate each front door in turn, ``rounds`` times; medians and the lookup's cost."""
    rates: dict[str, list[float]] = {"off": [], "on": []}
    for _ in range(rounds):
        for name, url in (("off", off), ("on", on)):
            rates[name].append((await saturate(url, seconds, connections))["rate"])
    off_rate, on_rate = statistics.median(rates["off"]), statistics.median(rates["on"])
    return {
        "lookup_off_per_s": off_rate,
        "lookup_on_per_s": on_rate,
        "cost_percent": round(100 * (off_rate - on_rate) / off_rate, 1),
        "rounds_off": rates["off"],
        "rounds_on": rates["on"],
    }


async def token_cache(env: dict[str, str], url: str, slack: FakeSlack, seconds: float) -> None:
    """Run the load through the Slack poster (in this process) and report its token cache."""
    settings = WorkerSettings(
        amqp_url=env["JEEVES_AMQP_URL"],
        slack_api_url=slack.base_url,
        slack_client_id=env["JEEVES_SLACK_CLIENT_ID"],
        dataservice_url=env["JEEVES_DATASERVICE_URL"],
        tokendealer_url=env["JEEVES_TOKENDEALER_URL"],
        worker_client_secret=env["JEEVES_WORKER_CLIENT_SECRET"],
        env="prod",
    )
    bus = AmqpBus(settings.amqp_url.get_secret_value(), declare=WORKER_QUEUES.values())
    await bus.start()
    await bus.wait_ready(10)
    async with aiohttp.ClientSession() as session:
        deps = PosterDeps.build(Resources(settings, bus, session))

        async def handle(message: Action | Reply) -> None:
            await poster.handle(message, deps)

        subscription = await bus.consume(
            WORKER_QUEUES["slack"], handle, prefetch=settings.slack_prefetch
        )
        try:
            throughput = await pipeline(url, slack, seconds=seconds)
        finally:
            await subscription.stop(10)
            await bus.close()
    report("(t) end to end with installation tokens", throughput)
    tokens = deps.tokens
    report(
        "(t) bot token cache",
        {"gets": tokens.gets, "data_service_requests": tokens.fetches, "hit_rate": tokens.hit_rate},
    )


async def main(seconds: float, connections: int, rounds: int) -> None:
    rabbit = RabbitNode()
    rabbit.start()
    amqp_url = rabbit.new_vhost()
    folder = Path(tempfile.mkdtemp(prefix="jeeves-bench-installations-"))
    children: list[asyncio.subprocess.Process] = []
    try:
        async with FakeSlack() as slack:
            slack.strict_tokens = True  # every post must carry a token Slack issued
            base = production_env(folder)
            env = {
                **base,
                **with_installs(base),
                "JEEVES_AMQP_URL": amqp_url,
                "JEEVES_SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "JEEVES_SLACK_API_URL": slack.base_url,
            }
            migrate = await spawn("db", "upgrade", env=env)
            assert await migrate.wait() == 0
            children.append(await spawn("serve", "tokendealer", env=env))
            children.append(await spawn("serve", "dataservice", env=env))
            await wait_ready(f"http://{env['JEEVES_DATASERVICE_BIND']}/readyz")
            await install(env, slack)
            binds = {name: f"127.0.0.1:{free_port()}" for name in ("off", "on")}
            one_workspace = {**env, "JEEVES_SLACK_CLIENT_ID": "", "JEEVES_SLACK_CLIENT_SECRET": ""}
            for name, bind in binds.items():
                settings = one_workspace if name == "off" else env
                children.append(
                    await spawn("serve", "frontend", env={**settings, "JEEVES_FRONTEND_BIND": bind})
                )
                await wait_ready(f"http://{bind}/readyz")
            for bind in binds.values():  # warm-up (and the lookup's first, uncached request)
                await saturate(f"http://{bind}", 2, connections)
            figures = await paired_saturation(
                f"http://{binds['off']}",
                f"http://{binds['on']}",
                seconds=seconds,
                connections=connections,
                rounds=rounds,
            )
            report("(a) saturation, installation lookup off vs on", figures)
            await purge(amqp_url, "jeeves.help")
            children.append(await spawn("worker", "help", env=env))
            await token_cache(env, f"http://{binds['on']}/slack/events", slack, seconds=5)
    finally:
        await stop(children)
        rabbit.remove()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8, help="per saturation round")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3, help="alternate rounds per front door")
    options = parser.parse_args()
    asyncio.run(main(options.seconds, options.concurrency, options.rounds))
