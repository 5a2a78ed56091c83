"""A private RabbitMQ node for tests and benchmarks, all of its state in one temp folder.

Installs Debian's ``rabbitmq-server`` with apt when it is missing (CI machines start bare), starts
a node listening on 127.0.0.1 only, and can kill it (``kill -KILL``, a crash) and start it again
on the same folder, which recovers durable queues and persistent messages. Each test gets its own
virtual host through the management API, so tests never see each other's messages.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

from tests.support.installing import installing

RABBIT_BIN = Path("/usr/lib/rabbitmq/bin")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_installed() -> None:
    """Install rabbitmq-server from Debian if this machine does not have it."""
    if (RABBIT_BIN / "rabbitmq-server").exists():
        return
    with installing():
        if (RABBIT_BIN / "rabbitmq-server").exists():  # the other pytest worker installed it
            return
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "rabbitmq-server"],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
        )


class RabbitNode:
    """One RabbitMQ node on 127.0.0.1 with AMQP and management ports of its own."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or Path(tempfile.mkdtemp(prefix="jeeves-rabbit-"))
        self.amqp_port = free_port()
        self.http_port = free_port()
        self.dist_port = free_port()
        self.epmd_port = free_port()
        self.nodename = f"jeeves{self.amqp_port}@localhost"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def env(self) -> dict[str, str]:
        d = str(self.folder)
        return {
            **os.environ,
            "HOME": d,
            "RABBITMQ_NODENAME": self.nodename,
            "RABBITMQ_CONFIG_FILE": f"{d}/rabbitmq.conf",
            "RABBITMQ_MNESIA_BASE": f"{d}/mnesia",
            "RABBITMQ_LOG_BASE": f"{d}/log",
            "RABBITMQ_ENABLED_PLUGINS_FILE": f"{d}/enabled_plugins",
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "ERL_EPMD_PORT": str(self.epmd_port),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        }

    def url(self, vhost: str = "/") -> str:
        """AMQP URL of ``vhost`` on this node."""
        quoted = "%2F" if vhost == "/" else vhost
        return f"amqp://guest:guest@127.0.0.1:{self.amqp_port}/{quoted}"

    def start(self, timeout: float = 90) -> None:
        """Start the node and wait until it accepts AMQP connections."""
        ensure_installed()
        (self.folder / "rabbitmq.conf").write_text(
            f"listeners.tcp.1 = 127.0.0.1:{self.amqp_port}\n"
            f"management.tcp.ip = 127.0.0.1\nmanagement.tcp.port = {self.http_port}\n"
            "loopback_users = none\ncollect_statistics_interval = 200\n"
        )
        (self.folder / "enabled_plugins").write_text("[rabbitmq_management].\n")
        # The node writes to its own copy of the file descriptor; ours closes at once.
        with (self.folder / "out.log").open("ab") as log:
            self._process = subprocess.Popen(
                [str(RABBIT_BIN / "rabbitmq-server")],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        pidfile = self.folder / "mnesia" / f"{self.nodename}.pid"
        subprocess.run(
            [
                str(RABBIT_BIN / "rabbitmqctl"),
                "-q",
                "wait",
                "--timeout",
                str(int(timeout)),
                str(pidfile),
            ],
            env=self.env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        self._wait_for_management(timeout)

    def _wait_for_management(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.api("GET", "/api/overview")
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def api(self, method: str, path: str, body: object | None = None) -> object:
        """Call the management HTTP API as guest."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.http_port}{path}", data=data, method=method
        )
        request.add_header("Authorization", "Basic " + base64.b64encode(b"guest:guest").decode())
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def new_vhost(self) -> str:
        """Create an empty virtual host that guest may use; return its AMQP URL."""
        name = f"test-{uuid.uuid4().hex[:12]}"
        self.api("PUT", f"/api/vhosts/{name}", {})
        self.api(
            "PUT",
            f"/api/permissions/{name}/guest",
            {"configure": ".*", "write": ".*", "read": ".*"},
        )
        return self.url(name)

    def queue(self, vhost_url: str, name: str) -> dict[str, object]:
        """Management API view of one queue (message counts and so on)."""
        vhost = vhost_url.rsplit("/", 1)[1]
        result = self.api("GET", f"/api/queues/{vhost}/{name}")
        assert isinstance(result, dict)
        return result

    def kill(self) -> None:
        """Crash the broker: SIGKILL to the whole process group, no clean shutdown."""
        if self._process is not None:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()
            self._process = None

    def stop(self) -> None:
        """Shut the node down cleanly, end its epmd, and keep the folder."""
        if self._process is None:
            return
        subprocess.run(
            [str(RABBIT_BIN / "rabbitmqctl"), "-q", "shutdown"],
            env=self.env,
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self._process.pid, signal.SIGKILL)
        self._process = None
        self._stop_epmd()

    def _stop_epmd(self) -> None:
        epmd = shutil.which("epmd")
        # epmd refuses to stop while it still lists the node, which it drops a moment after
        # the node dies: try a few times.
        for _ in range(20):
            if not epmd:
                return
            done = subprocess.run(
                [epmd, "-kill"], env=self.env, check=False, capture_output=True, text=True
            )
            if "Killed" in done.stdout or "Cannot connect" in done.stderr:
                return
            time.sleep(0.1)

    def remove(self) -> None:
        """Kill the node (its state is thrown away, so no clean shutdown is needed)."""
        self.kill()
        self._stop_epmd()
        shutil.rmtree(self.folder, ignore_errors=True)


async def message_count(url: str, queue: str) -> int:
    """Ready messages in ``queue`` right now (a passive declare: exact, no stats delay)."""
    import aio_pika

    connection = await aio_pika.connect(url)
    try:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, passive=True)
        return int(declared.declaration_result.message_count or 0)
    finally:
        await connection.close()
