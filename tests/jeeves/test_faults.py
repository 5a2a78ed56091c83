"""Configuration faults an operator meets, each ending in one line and exit code 2 at once."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.support.http import wait_until_ready
from tests.support.processes import clean_env, jeeves, problems, run_jeeves
from tests.support.production import production_env
from tests.support.rabbitmq import free_port


@pytest.fixture
def busy_port() -> Iterator[str]:
    """A ``host:port`` some other program listens on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        host, port = other.getsockname()
        yield f"{host}:{port}"


@pytest.mark.parametrize(
    ("args", "setting"),
    [
        (("serve", "frontend"), "JEEVES_FRONTEND_BIND"),
        (("serve", "dataservice"), "JEEVES_DATASERVICE_BIND"),
        (("serve", "tokendealer"), "JEEVES_TOKENDEALER_BIND"),
        (("worker", "help"), "JEEVES_WORKER_HEALTH_BIND"),
        (("dev",), "JEEVES_FRONTEND_BIND"),
    ],
)
async def test_a_busy_port_is_one_line_and_exit_code_2(
    args: tuple[str, ...], setting: str, busy_port: str, tmp_path: Path
) -> None:
    env = clean_env(
        **{
            **production_env(tmp_path),
            "JEEVES_SLACK_SIGNING_SECRET": "a-real-looking-secret",
            "JEEVES_AMQP_URL": f"amqp://guest:guest@127.0.0.1:{free_port()}/",
            "JEEVES_FRONTEND_BIND": f"127.0.0.1:{free_port()}",
            setting: busy_port,
        }
    )

    code, stderr = await run_jeeves(*args, env=env, cwd=tmp_path)

    assert code == 2, stderr[-2000:]
    assert problems(stderr) == [
        f"jeeves: cannot listen on {busy_port} ({setting}): address already in use"
    ]
    assert "Traceback" not in stderr


async def test_a_second_jeeves_dev_says_its_port_is_taken(tmp_path: Path) -> None:
    binds = {
        "JEEVES_FRONTEND_BIND": f"127.0.0.1:{free_port()}",
        "JEEVES_DATASERVICE_BIND": f"127.0.0.1:{free_port()}",
        "JEEVES_TOKENDEALER_BIND": f"127.0.0.1:{free_port()}",
    }
    # Its own database: the default one in the user's data folder is shared with every other run.
    database = f"sqlite+aiosqlite:///{tmp_path / 'dev.db'}"
    env = clean_env(**binds, JEEVES_LOG_FORMAT="json", JEEVES_DATABASE_URL=database)
    async with jeeves("dev", env=env), aiohttp.ClientSession() as session:
        await wait_until_ready(session, f"http://{binds['JEEVES_FRONTEND_BIND']}/readyz")
        code, stderr = await run_jeeves("dev", env=env, cwd=tmp_path)

    assert code == 2
    [line] = problems(stderr)
    assert line.startswith("jeeves: cannot listen on 127.0.0.1:")
    assert line.endswith("address already in use")
    assert "Traceback" not in stderr


async def test_a_port_without_its_host_is_one_line_and_exit_code_2() -> None:
    env = clean_env(JEEVES_FRONTEND_BIND="8186", JEEVES_SLACK_SIGNING_SECRET="s3cret")

    code, stderr = await run_jeeves("serve", "frontend", env=env)

    assert code == 2
    assert problems(stderr) == [
        "jeeves: JEEVES_FRONTEND_BIND: '8186' must be host:port, such as 127.0.0.1:8000"
    ]


@pytest.mark.parametrize("args", [("db", "upgrade"), ("serve", "dataservice")])
async def test_without_a_database_url_nothing_uses_a_dev_database(
    args: tuple[str, ...], tmp_path: Path
) -> None:
    env = clean_env(**production_env(tmp_path))
    del env["JEEVES_DATABASE_URL"]

    code, stderr = await run_jeeves(*args, env=env, cwd=tmp_path)

    assert code == 2
    [line] = problems(stderr)
    assert line.startswith("jeeves: JEEVES_DATABASE_URL is not set; refusing to start")
    assert not await asyncio.to_thread(lambda: list(tmp_path.glob("*.db")))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgresql://app:pw@127.0.0.1/jeeves",
            "jeeves: JEEVES_DATABASE_URL: postgresql:// names a driver that is not async; "
            "write postgresql+asyncpg://... (or sqlite+aiosqlite:///... for a file)",
        ),
        (
            f"postgresql+asyncpg://app:pw@127.0.0.1:{free_port()}/jeeves",
            "jeeves: cannot use the database at postgresql+asyncpg://app:***@127.0.0.1:",
        ),
    ],
    ids=["driver-not-async", "unreachable"],  # stable ids: pytest-xdist workers collect alike
)
async def test_a_bad_or_unreachable_database_is_one_line(url: str, expected: str) -> None:
    code, stderr = await run_jeeves("db", "upgrade", env=clean_env(JEEVES_DATABASE_URL=url))

    assert code in (1, 2)
    [line] = problems(stderr)
    assert line.startswith(expected)
    assert "pw" not in stderr
    assert "Traceback" not in stderr


async def test_a_malformed_amqp_url_stops_a_worker_at_once() -> None:
    env = clean_env(JEEVES_AMQP_URL="amqp//guest:guest@localhost")

    code, stderr = await run_jeeves("worker", "help", env=env)

    assert code == 2
    [line] = problems(stderr)
    assert line.startswith("jeeves: JEEVES_AMQP_URL: scheme '' is not amqp or amqps")


async def test_jeeves_up_lists_every_missing_setting_at_once_and_starts_nothing(
    tmp_path: Path,
) -> None:
    code, stderr = await run_jeeves("up", env=clean_env(), cwd=tmp_path)

    assert code == 2
    found = problems(stderr)
    assert found[0] == "jeeves: jeeves up cannot start; fix these settings first:"
    for variable in (
        "JEEVES_TOKENDEALER_KEY_FILES",
        "JEEVES_TOKENDEALER_CLIENTS_FILE",
        "JEEVES_DATABASE_URL",
        "JEEVES_DATASERVICE_ENCRYPTION_KEYS",
        "JEEVES_SLACK_SIGNING_SECRET",
        "JEEVES_DASHBOARD_SECRET_KEYS",
        "JEEVES_WORKER_CLIENT_SECRET",
        "JEEVES_SLACK_BOT_TOKEN",
    ):
        assert sum(variable in line for line in found) == 1, (variable, found)
    assert len(found) == 9
    assert "up.started" not in stderr
    assert not await asyncio.to_thread(lambda: list(tmp_path.iterdir()))


async def test_jeeves_up_does_not_restart_a_misconfigured_process(
    busy_port: str, tmp_path: Path
) -> None:
    env = clean_env(
        **{
            **production_env(tmp_path),
            "JEEVES_TOKENDEALER_BIND": busy_port,
            "JEEVES_SLACK_SIGNING_SECRET": "a-real-looking-secret",
            "JEEVES_SLACK_BOT_TOKEN": "xoxb-up-test",
            "JEEVES_AMQP_URL": f"amqp://guest:guest@127.0.0.1:{free_port()}/",
            "JEEVES_FRONTEND_BIND": f"127.0.0.1:{free_port()}",
        }
    )

    code, stderr = await run_jeeves("up", env=env, cwd=tmp_path)

    assert code == 2
    expected = (
        f"jeeves: cannot listen on {busy_port} (JEEVES_TOKENDEALER_BIND): address already in use"
    )
    assert problems(stderr) == [expected]
    dealer = [e["event"] for e in log_events(stderr) if e.get("process") == "serve tokendealer"]
    assert dealer == ["up.started", "up.misconfigured"]


def log_events(stderr: str) -> list[dict[str, Any]]:
    """The JSON log lines in ``stderr``."""
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


async def test_a_worker_with_a_wrong_client_secret_is_not_ready_and_says_why(
    tmp_path: Path,
) -> None:
    health = f"127.0.0.1:{free_port()}"
    env = clean_env(**production_env(tmp_path), JEEVES_WORKER_HEALTH_BIND=health)
    worker_env = {**env, "JEEVES_WORKER_CLIENT_SECRET": "not-the-secret-in-the-clients-file"}
    dealer = f"http://{env['JEEVES_TOKENDEALER_BIND']}/readyz"
    async with (
        aiohttp.ClientSession() as session,
        jeeves("serve", "tokendealer", env=env),
    ):
        await wait_until_ready(session, dealer)
        async with jeeves("worker", "weather", env=worker_env) as worker:
            body = await wait_for_check(session, f"http://{health}/readyz", "token")
            assert worker.stderr is not None
            event: dict[str, Any] = {}
            while event.get("event") != "auth.token_unavailable":
                event = json.loads(await worker.stderr.readline())
    assert body == {
        "status": "unavailable",
        "checks": {
            "token": "the TokenDealer refuses client 'jeeves-worker': check "
            "JEEVES_WORKER_CLIENT_ID and JEEVES_WORKER_CLIENT_SECRET against its clients file"
        },
    }
    assert event["problem"] == body["checks"]["token"]


async def test_a_worker_without_its_tokendealer_is_not_ready_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    health = f"127.0.0.1:{free_port()}"
    env = clean_env(**production_env(tmp_path), JEEVES_WORKER_HEALTH_BIND=health)
    async with aiohttp.ClientSession() as session, jeeves("worker", "scheduler", env=env):
        body = await wait_for_check(session, f"http://{health}/readyz", "token")
    # ``jeeves`` sent SIGTERM and checked that the worker exited with 0.
    assert body["status"] == "unavailable"
    assert body["checks"]["token"] == (
        f"cannot reach the TokenDealer at {env['JEEVES_TOKENDEALER_URL']}/oauth/token "
        "(JEEVES_TOKENDEALER_URL)"
    )


async def wait_for_check(session: aiohttp.ClientSession, url: str, check: str) -> Any:
    """Poll a ``/readyz`` until its body reports ``check``; return that body."""
    for _ in range(600):
        try:
            async with session.get(url) as response:
                body = await response.json()
                if check in body["checks"]:
                    assert response.status == 503
                    return body
        except aiohttp.ClientConnectionError:
            pass
        await asyncio.sleep(0.05)
    raise AssertionError(f"{url} never reported {check!r}")


async def test_a_new_key_in_a_missing_folder_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "etc" / "jeeves" / "signing.pem"

    code, stderr = await run_jeeves("tokendealer", "new-key", str(path), env=clean_env())

    assert code == 2
    assert stderr.splitlines() == [f"jeeves: cannot write {path}: No such file or directory"]
