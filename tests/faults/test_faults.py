"""The fault suite: a steady load of signed events while one piece of Jeeves breaks.

Each scenario runs the real processes (``jeeves serve ...``, ``jeeves worker ...``) against a
RabbitMQ node of its own, breaks something in the middle of the load, heals it, and then reads
the fake Slack's record: every event must be answered, exactly once. A one-line summary per
scenario is printed at the end of the test session.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import aio_pika
import aiohttp
import pytest

from jeeves_shared.bus.dead_letters import list_dead_letters
from jeeves_shared.bus.topology import DEAD_LETTER_QUEUE, WORKER_QUEUES
from tests.faults.cluster import Cluster
from tests.faults.load import Load, Tally, tally
from tests.faults.report import SUMMARIES
from tests.support.fake_slack import FakeSlack
from tests.support.fake_slack_oauth import Grant
from tests.support.production import save_issued_installation, with_installs
from tests.support.rabbitmq import RabbitNode, message_count
from tests.support.slack_requests import BOT_USER_ID, TEAM_ID

pytestmark = [pytest.mark.faults, pytest.mark.rabbitmq]


@pytest.fixture(scope="module")
def node() -> Iterator[RabbitNode]:
    """A RabbitMQ node of the fault suite's own: scenario 1 crashes it."""
    rabbit = RabbitNode()
    rabbit.start()
    yield rabbit
    rabbit.remove()


@dataclass
class World:
    """What a scenario's fault can act on."""

    node: RabbitNode
    amqp_url: str
    cluster: Cluster
    slack: FakeSlack
    session: aiohttp.ClientSession


Fault = Callable[[World], Awaitable[float]]


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def run_scenario(
    name: str,
    node: RabbitNode,
    folder: Path,
    session: aiohttp.ClientSession,
    fault: Fault,
    *,
    count: int,
    rate: float,
    fronts: int = 1,
    deliveries: int = 1,
    settings: Callable[[dict[str, str]], dict[str, str]] | None = None,
    prepare: Callable[[World], Awaitable[None]] | None = None,
) -> tuple[Tally, World]:
    """Start Jeeves, run the load with ``fault`` alongside, wait until all is quiet, count.

    ``settings`` adds to every process's environment (given the base one); ``prepare`` runs
    once everything is up, before the load.
    """
    amqp_url = node.new_vhost()
    async with FakeSlack() as slack:
        cluster = Cluster(folder, amqp_url, slack.base_url, fronts=fronts, settings=settings)
        world = World(node, amqp_url, cluster, slack, session)
        try:
            await cluster.start(session)
            if prepare is not None:
                await prepare(world)
            load = Load(session, cluster.front_urls, count=count, rate=rate, deliveries=deliveries)
            sending = asyncio.create_task(load.run())
            healed_at = await fault(world)
            await sending
            healed_at = max(healed_at, load.started + count / rate)
            last_answer = await wait_for_answers(load, slack, node, amqp_url)
            result = tally(load, slack)
            dead = await message_count(amqp_url, DEAD_LETTER_QUEUE)
            exits = await cluster.stop()
        except BaseException:
            await cluster.kill_all()
            raise
    retried = sum(1 for d in load.events if d.attempts > 1) if deliveries == 1 else 0
    SUMMARIES.append(
        f"{name}: {result.sent} events sent, {result.acked} acknowledged "
        f"({retried} only on a Slack retry), {result.answered} answered, "
        f"{result.duplicates} duplicates, {result.lost} lost, {dead} dead-lettered; "
        f"last answer {max(0.0, last_answer - healed_at):.1f} s after the fault was healed"
    )
    assert all(codes[-1] == 0 for codes in exits.values()), (exits, cluster.logs())
    return result, world


async def wait_for_answers(
    load: Load, slack: FakeSlack, node: RabbitNode, amqp_url: str, timeout: float = 180
) -> float:
    """Wait until every acknowledged event is answered and the queues are empty.

    Returns when the last new answer arrived. Waiting for empty queues (nothing ready, nothing
    unacknowledged, nothing waiting for a retry) means no late duplicate is still on its way.
    """
    deadline = time.monotonic() + timeout
    seen, last_answer = -1, time.monotonic()
    while time.monotonic() < deadline:
        answered = tally(load, slack).answered
        if answered != seen:
            seen, last_answer = answered, time.monotonic()
        if answered >= len(load.acked) and await queues_are_empty(node, amqp_url):
            await asyncio.sleep(1.0)  # and still empty a moment later
            if await queues_are_empty(node, amqp_url) and tally(load, slack).answered == seen:
                return last_answer
        await asyncio.sleep(0.2)
    return last_answer


async def queues_are_empty(node: RabbitNode, amqp_url: str) -> bool:
    """No message ready or unacknowledged in any queue but the dead-letter queue.

    A queue whose statistics are not in yet counts as busy. (The management API is read in a
    thread: this loop also serves the fake Slack.)
    """
    vhost = amqp_url.rsplit("/", 1)[1]
    path = f"/api/queues/{vhost}?columns=name,messages"
    queues = await asyncio.to_thread(node.api, "GET", path)
    assert isinstance(queues, list)
    return all(q.get("messages", -1) == 0 for q in queues if q["name"] != DEAD_LETTER_QUEUE)


def assert_exactly_once(result: Tally) -> None:
    """Every event sent was acknowledged and answered exactly once."""
    assert (result.acked, result.answered, result.duplicates, result.lost, result.strays) == (
        result.sent,
        result.sent,
        0,
        0,
        0,
    )


async def after(seconds: float) -> None:
    await asyncio.sleep(seconds)


# --- the scenarios ------------------------------------------------------------------------------


async def test_1_broker_killed_and_restarted_mid_load(
    node: RabbitNode, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    async def crash_broker(world: World) -> float:
        await after(3)
        world.node.kill()
        await after(1)
        await asyncio.to_thread(world.node.start)
        return time.monotonic()

    result, _ = await run_scenario(
        "1 broker kill -9", node, tmp_path, session, crash_broker, count=1000, rate=100
    )
    assert_exactly_once(result)


async def test_2_workers_killed_mid_processing_then_restarted(
    node: RabbitNode, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    async def crash_workers(world: World) -> float:
        # A slow Slack keeps replies in the poster's hands (posted, not yet marked done) when
        # it dies: the restarted poster must find them posted, not post them again.
        world.slack.latency = 0.3
        for name in ("help", "slack"):
            await after(1.5)
            proc = world.cluster.procs[name]
            await proc.kill()
            await after(0.5)
            await world.cluster.start_procs(world.session, proc)
        return time.monotonic()

    result, world = await run_scenario(
        "2 worker SIGKILL", node, tmp_path, session, crash_workers, count=300, rate=50
    )
    assert world.cluster.procs["help"].exit_codes[0] == -9
    assert world.cluster.procs["slack"].exit_codes[0] == -9
    assert_exactly_once(result)
    poster_log = world.cluster.procs["slack"].log_tail(10**7).splitlines()
    found = sum("slack.posted_before_crash" in line for line in poster_log)
    waited = sum("bus.retry_later" in line and "ReplyInProgress" in line for line in poster_log)
    SUMMARIES.append(
        f"2 worker SIGKILL: after the restart, the poster found {found} replies already posted "
        f"by the dead one (not posted again) and retried {waited} times while leases ran out"
    )
    assert found >= 1  # the take-over-after-a-post path really ran


async def test_3_data_service_down_for_30_seconds(
    node: RabbitNode, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    async def stop_data_service(world: World) -> float:
        await after(2)
        data = world.cluster.procs["dataservice"]
        assert await data.terminate() == 0
        await after(30)
        await world.cluster.start_procs(world.session, data)
        return time.monotonic()

    result, _ = await run_scenario(
        "3 Data Service down 30 s", node, tmp_path, session, stop_data_service, count=200, rate=20
    )
    assert_exactly_once(result)


async def test_4_slack_answers_429_and_500_for_a_while(
    node: RabbitNode, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    async def slack_trouble(world: World) -> float:
        await after(1)
        world.slack.fail_for(5)  # 429s, 500s, and 503s for messages it did post
        await after(5)
        return time.monotonic()

    result, world = await run_scenario(
        "4 Slack 429/500 for 5 s", node, tmp_path, session, slack_trouble, count=300, rate=50
    )
    posts = [c for c in world.slack.calls if c.method == "chat.postMessage"]
    read_back = [c for c in world.slack.calls if c.method.startswith("conversations.")]
    assert len(posts) > result.sent  # the fake did refuse some calls
    assert read_back  # and posted some while answering 503: the poster looked before resending
    assert_exactly_once(result)


async def test_5_every_event_delivered_three_times_to_two_front_doors(
    node: RabbitNode, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    async def nothing(world: World) -> float:
        return time.monotonic()

    result, _ = await run_scenario(
        "5 three deliveries, two front doors",
        node,
        tmp_path,
        session,
        nothing,
        count=300,
        rate=50,
        fronts=2,
        deliveries=3,
    )
    assert_exactly_once(result)


POISON = [
    b"\x00\xffnot json at all",
    b'{"kind": "action", "version": 99, "id": "from-the-future"}',
    b'{"kind": "reply", "version": 1}',
]


async def test_6_poison_messages_are_dead_lettered_and_block_nothing(
    node: RabbitNode, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    async def poison(world: World) -> float:
        await after(2)
        connection = await aio_pika.connect(world.amqp_url)
        async with connection:
            channel = await connection.channel()
            for n, body in enumerate(POISON):
                queue = WORKER_QUEUES["help" if n % 2 == 0 else "slack"].name
                message = aio_pika.Message(body, message_id=f"poison-{n}")
                await channel.default_exchange.publish(message, routing_key=queue)
        return time.monotonic()

    result, world = await run_scenario(
        "6 poison messages", node, tmp_path, session, poison, count=300, rate=50
    )
    letters, total = await list_dead_letters(world.amqp_url)
    assert total == len(POISON)
    assert sorted(letter.message_id for letter in letters) == ["poison-0", "poison-1", "poison-2"]
    assert all(letter.reason.startswith("malformed: ") for letter in letters)
    assert_exactly_once(result)


async def test_7_sigterm_to_every_process_under_load_then_restart(
    node: RabbitNode, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    async def stop_everything(world: World) -> float:
        await after(3)
        procs = list(world.cluster.procs.values())
        codes = await asyncio.gather(*(proc.terminate() for proc in procs))
        assert codes == [0] * len(procs), world.cluster.logs()
        await after(1)
        await world.cluster.start_procs(world.session, *procs)
        return time.monotonic()

    result, _ = await run_scenario(
        "7 SIGTERM everything", node, tmp_path, session, stop_everything, count=400, rate=50
    )
    assert_exactly_once(result)


#: Lifetime of the rotating bot tokens of scenario 8 (Slack's is 12 hours).
ROTATION_SECONDS = 5


async def test_8_tokens_rotating_every_few_seconds_under_load(
    node: RabbitNode, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    grant = Grant(team_id=TEAM_ID, bot_user_id=BOT_USER_ID, expires_in=ROTATION_SECONDS)

    async def install(world: World) -> None:
        # Slack refuses any token it did not issue, or that expired (token_expired).
        world.slack.strict_tokens = True
        answer = world.slack.oauth.issue(grant)
        await save_issued_installation(world.session, world.cluster.env, answer)

    async def rotate(world: World) -> float:
        return time.monotonic()  # the tokens rotate by themselves, every few seconds

    result, world = await run_scenario(
        "8 tokens rotating every 5 s",
        node,
        tmp_path,
        session,
        rotate,
        count=300,
        rate=30,
        settings=with_installs,
        prepare=install,
    )
    oauth = world.slack.oauth
    posts = [c for c in world.slack.calls if c.method == "chat.postMessage"]
    refused = [c for c in posts if world.slack.oauth.check(c.authorization) == "invalid_auth"]
    SUMMARIES.append(
        f"8 tokens rotating every {ROTATION_SECONDS} s: {len(oauth.refreshes)} refreshes at "
        f"Slack, {len(oauth.refusals)} refused (invalid_refresh_token), "
        f"{len(posts) - result.answered} posts refused (token_expired, then retried), "
        f"{len(refused)} made with a token Slack never issued"
    )
    assert oauth.refusals == []
    assert refused == []
    assert len(oauth.refreshes) >= 2  # the tokens did rotate during the load
    assert_exactly_once(result)
