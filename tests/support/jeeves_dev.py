"""``jeeves dev`` as a person runs it, for page tests: its own process, ports and database.

Every service binds a free port of 127.0.0.1 and the SQLite file lives in a temp folder, so
several runs (and other test sessions on the same machine) never share anything. Slack and the
weather provider are off: nothing leaves the machine.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.rabbitmq import free_port


@dataclass
class DevServer:
    """A running ``jeeves dev``; ``url`` is its front door (the chat page)."""

    url: str
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    log: Path

    def chat(self, body: bytes) -> dict[str, Any]:
        """POST ``body`` (JSON, sent as is) to the chat page's endpoint; Jeeves' answer message
        (``text``, ``sender``...), once it has come (within 10 s)."""
        sent = urllib.request.Request(
            f"{self.url}/dev/chat/messages", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(sent, timeout=10) as response:
            assert response.status == 202
            after = json.load(response)["message"]["id"]
        polled = f"{self.url}/dev/chat/messages?after={after}&wait=10"
        with urllib.request.urlopen(polled, timeout=15) as response:
            [answer] = json.load(response)["messages"]
        assert answer["sender"] == "jeeves"
        return dict(answer)

    def stop(self, timeout: float = 40) -> int:
        """SIGTERM, as Ctrl-C would; its exit code once it has stopped."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)


def dev_env(folder: Path) -> dict[str, str]:
    """The environment of a private ``jeeves dev``: free ports, a database in ``folder``."""
    front, data, dealer = (f"127.0.0.1:{free_port()}" for _ in range(3))
    return {
        **os.environ,
        "JEEVES_FRONTEND_BIND": front,
        "JEEVES_DATASERVICE_BIND": data,
        "JEEVES_TOKENDEALER_BIND": dealer,
        "JEEVES_DATASERVICE_URL": f"http://{data}",
        "JEEVES_TOKENDEALER_URL": f"http://{dealer}",
        "JEEVES_DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'jeeves-dev.db'}",
        "JEEVES_SLACK_SIGNING_SECRET": "",
        "JEEVES_SLACK_BOT_TOKEN": "",
        "JEEVES_WEATHER_API_KEY": "",
    }


@contextmanager
def jeeves_dev(
    folder: Path, env: dict[str, str] | None = None, timeout: float = 60
) -> Iterator[DevServer]:
    """Run ``jeeves dev`` until the block ends; yields once its front door is ready.

    ``env`` (by default a fresh :func:`dev_env`) can be an earlier run's, to start it again on
    the same ports and database.
    """
    env = env or dev_env(folder)
    log = folder / "jeeves-dev.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "jeeves", "dev"], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    server = DevServer(f"http://{env['JEEVES_FRONTEND_BIND']}", env, process, log)
    try:
        _wait_until_ready(server, timeout)
        yield server
    finally:
        if server.stop() != 0:
            raise AssertionError(f"jeeves dev did not stop cleanly:\n{log.read_text()[-3000:]}")


def _wait_until_ready(server: DevServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"jeeves dev exited:\n{server.log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{server.url}/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    raise AssertionError(f"jeeves dev was not ready within {timeout} s")
