"""``jeeves init`` and ``jeeves config check``: the operator's path, run end to end."""

from __future__ import annotations

import asyncio
import json
import re
import stat
from pathlib import Path

import aiohttp
import pytest
from dotenv import dotenv_values

from jeeves.cli import WORKER_KINDS
from jeeves.config import worker_needs
from jeeves.init import SUPPLY, env_file_text
from jeeves_shared.dataclient.scopes import FRONTEND_SCOPES
from jeeves_shared.runtime.settings import env_name
from tests.support.fake_slack import FakeSlack
from tests.support.http import wait_until_ready
from tests.support.postgres import PostgresServer, postgres_server  # noqa: F401
from tests.support.processes import clean_env, jeeves, problems, run_jeeves
from tests.support.rabbitmq import free_port
from tests.support.slack_requests import SIGNING_SECRET, event_callback, mention, post_event
from tokendealer.clients import verify_secret

FILES = ("signing.pem", "clients.json", "jeeves.env")


def read(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in FILES}


async def test_init_writes_secret_files_once(tmp_path: Path) -> None:
    folder = tmp_path / "etc" / "jeeves"  # a folder that does not exist yet

    code, _ = await run_jeeves("init", "--dir", str(folder), env=clean_env())
    first = await asyncio.to_thread(read, folder)
    again, _ = await run_jeeves("init", "--dir", str(folder), env=clean_env())
    second = await asyncio.to_thread(read, folder)

    assert (code, again) == (0, 0)
    assert first == second
    modes = {name: stat.S_IMODE((folder / name).stat().st_mode) for name in FILES}
    assert modes == dict.fromkeys(FILES, 0o600)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


async def test_the_clients_file_matches_the_secret_and_the_workers_scopes(
    tmp_path: Path,
) -> None:
    await run_jeeves("init", "--dir", str(tmp_path), env=clean_env())

    settings = dotenv_values(tmp_path / "jeeves.env")
    client, frontend = json.loads((tmp_path / "clients.json").read_text())["clients"]

    assert client["id"] == settings["JEEVES_WORKER_CLIENT_ID"] == "jeeves-worker"
    assert verify_secret(str(settings["JEEVES_WORKER_CLIENT_SECRET"]), client["secret_hash"])
    assert client["audiences"] == ["dataservice"]
    # Each scope is asked for by some worker kind, and each kind's scopes are granted.
    asked = {kind: set(worker_needs(kind).scopes) for kind in WORKER_KINDS}
    assert set(client["scopes"]) == set().union(*asked.values())
    assert "schedule:claim" in asked["scheduler"]
    assert asked["help"] == set()
    assert frontend["id"] == settings["JEEVES_FRONTEND_CLIENT_ID"] == "jeeves-frontend"
    assert verify_secret(str(settings["JEEVES_FRONTEND_CLIENT_SECRET"]), frontend["secret_hash"])
    assert set(frontend["scopes"]) == set(FRONTEND_SCOPES)


def test_the_env_file_lists_every_setting_once() -> None:
    from jeeves.init import _fields, _sections

    text = env_file_text({"env": "prod"})
    names = re.findall(r"^(?:# )?(JEEVES_[A-Z_]+)=", text, flags=re.MULTILINE)

    every = {env_name(field) for _, cls in _sections() for field, _ in _fields(cls)}
    assert sorted(names) == sorted(every)
    assert len(set(names)) == len(names)
    assert {"JEEVES_AMQP_URL", "JEEVES_FRONTEND_BIND", "JEEVES_RETRY_DELAYS"} <= set(names)
    for field in SUPPLY:
        assert f"\n{env_name(field)}=\n" in text


async def test_config_check_after_init_names_only_what_the_operator_supplies(
    tmp_path: Path,
) -> None:
    await run_jeeves("init", "--dir", str(tmp_path), env=clean_env())

    env_file = str(tmp_path / "jeeves.env")
    code, stderr = await run_jeeves("config", "check", "--env-file", env_file, env=clean_env())

    assert code == 2
    found = problems(stderr)
    named = {name for name in map(env_name, SUPPLY) if any(name in line for line in found)}
    assert named == set(map(env_name, SUPPLY))
    assert len(found) == len(SUPPLY)


@pytest.mark.rabbitmq
@pytest.mark.postgres
async def test_the_operators_path_from_init_to_an_answer(
    amqp_url: str,
    fake_slack: FakeSlack,
    postgres_server: PostgresServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    folder = tmp_path / "jeeves"
    code, _ = await run_jeeves("init", "--dir", str(folder), env=clean_env())
    assert code == 0
    database = await postgres_server.create_database()
    supplied = {
        "JEEVES_AMQP_URL": amqp_url,
        "JEEVES_DATABASE_URL": postgres_server.url(database),
        "JEEVES_SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "JEEVES_SLACK_BOT_TOKEN": "xoxb-init-test",
    }
    await asyncio.to_thread(fill_in, folder / "jeeves.env", supplied)
    # Only what a test must change besides: free ports, and Slack's API is the fake.
    env = clean_env(
        JEEVES_FRONTEND_BIND=f"127.0.0.1:{free_port()}",
        JEEVES_DATASERVICE_BIND=f"127.0.0.1:{free_port()}",
        JEEVES_TOKENDEALER_BIND=f"127.0.0.1:{free_port()}",
        JEEVES_SLACK_API_URL=fake_slack.base_url,
    )
    env_file = str(folder / "jeeves.env")

    code, stderr = await run_jeeves("config", "check", "--env-file", env_file, env=env)
    assert (code, problems(stderr)) == (0, []), stderr

    front = env["JEEVES_FRONTEND_BIND"]
    async with jeeves("--env-file", env_file, "up", env=env), aiohttp.ClientSession() as session:
        await wait_until_ready(session, f"http://{front}/readyz", timeout=90)
        event = event_callback(mention("help", channel="CINIT"), event_id="EvInit")
        assert await post_event(session, f"http://{front}", event) == 200
        [post] = await fake_slack.wait_for_posts(1, timeout=30)
    assert post["channel"] == "CINIT"
    assert post["text"].startswith("Here is what I can do:")


def fill_in(env_file: Path, values: dict[str, str]) -> None:
    """Give the ``SUPPLY`` lines of ``env_file`` their values, as an operator's editor would."""
    text = env_file.read_text()
    for name, value in values.items():
        text, count = re.subn(rf"^{name}=$", f"{name}={value}", text, flags=re.MULTILINE)
        assert count == 1, name
    env_file.write_text(text)
