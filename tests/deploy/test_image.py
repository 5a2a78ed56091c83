"""The image, really built (Debian's buildah, no daemon, no registry) and run as its user.

No registry is reachable here, so the base is a Debian bookworm rootfs with Python 3.11 made by
mmdebstrap (cached beside the tools: it depends only on the command that makes it); the image
itself is built fresh each run, in private vfs storage, with chroot isolation and --pull-never.
pip inside the build reaches PyPI with this machine's CA bundle, mounted read-only.
Slow (minutes, mostly pip): marked ``image``; ``make test`` runs it.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from tests.deploy.tools import ROOT, run, tools
from tests.support.rabbitmq import free_port

pytestmark = [pytest.mark.image, pytest.mark.timeout(1200)]

IMAGE = "localhost/jeeves:test"
BASE = "localhost/jeeves-base:bookworm"
MMDEBSTRAP = [
    "mmdebstrap", "--quiet", "--variant=apt", "--include=python3,python3-venv,ca-certificates",
    "--mode=root", "bookworm",
]  # fmt: skip
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


@dataclass(frozen=True)
class Built:
    """The built image: buildah's command for its storage, and one working container of the
    image (vfs copies every layer per container, so the tests share one)."""

    buildah: list[str]
    container: str

    def run(self, *args: str, env: dict[str, str] | None = None) -> list[str]:
        """A ``buildah run`` command line in the working container, as the image's user."""
        flags = [f"--env={k}={v}" for k, v in (env or {}).items()]
        return [*self.buildah, "run", "--isolation", "chroot", *flags, self.container, "--", *args]


def checked(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    done = run([*args], **kwargs)  # type: ignore[arg-type]
    assert done.returncode == 0, f"{' '.join(args[:4])}...:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    cache = tools(with_image=True).cache
    rootfs = cache / "bookworm-python3.tar"
    if not rootfs.exists():
        partial = rootfs.with_suffix(".partial")
        checked([*MMDEBSTRAP, str(partial)])
        partial.rename(rootfs)
    storage = tmp_path_factory.mktemp("buildah")
    buildah = ["buildah", f"--root={storage / 'root'}", f"--runroot={storage / 'run'}",
               "--storage-driver=vfs"]  # fmt: skip
    container = checked([*buildah, "from", "--pull-never", "scratch"]).stdout.strip()
    checked([*buildah, "add", container, str(rootfs), "/"])
    checked(
        [
            *buildah,
            "config",
            "--env",
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            container,
        ]
    )
    checked([*buildah, "commit", "--quiet", container, BASE])
    checked([
        *buildah, "build", "--isolation=chroot", "--pull-never", "--layers=false",
        f"--build-arg=BASE_IMAGE={BASE}", "--build-arg=PIP_CERT=/run/host-ca.crt",
        f"--volume={CA_BUNDLE}:/run/host-ca.crt:ro", f"--tag={IMAGE}", str(ROOT),
    ])  # fmt: skip
    working = checked([*buildah, "from", "--pull-never", IMAGE]).stdout.strip()
    yield Built(buildah, working)
    # vfs keeps a full copy of every layer: do not leave ~1 GB behind in pytest's temp folders.
    # Deleting it takes a minute or more on a busy machine; the next module need not wait for it.
    # The thread is not a daemon, so the interpreter still finishes it before exiting.
    threading.Thread(target=shutil.rmtree, args=(storage,), kwargs={"ignore_errors": True}).start()


def test_the_image_runs_jeeves_as_its_non_root_user(built: Built) -> None:
    help_text = checked(built.run("jeeves", "--help")).stdout
    assert "usage: jeeves" in help_text
    assert checked(built.run("id", "-u")).stdout.strip() == "10001"
    inspect = checked([*built.buildah, "inspect", "--type=image", IMAGE]).stdout
    config = json.loads(inspect)["OCIv1"]["config"]
    assert (config["Entrypoint"], config["User"]) == (["jeeves"], "10001:10001")


def test_the_image_holds_no_build_tools_tests_or_sources(built: Built) -> None:
    script = (
        "for t in gcc cc make pip pip3 git; do command -v $t && exit 1; done; "
        "test ! -e /src && test ! -e /opt/jeeves/bin/pip && "
        "! ls /opt/jeeves/lib/python3.11/site-packages | grep -qx tests"
    )
    checked(built.run("sh", "-c", script))


async def until_answers(session: aiohttp.ClientSession, url: str) -> tuple[int, object]:
    deadline = time.monotonic() + 60
    while True:
        try:
            async with session.get(url) as response:
                if response.status == 200 or time.monotonic() > deadline:
                    return response.status, await response.json()
        except aiohttp.ClientConnectionError:
            if time.monotonic() > deadline:
                raise
        await asyncio.sleep(0.2)


async def test_jeeves_dev_serves_its_probes_as_the_non_root_user(built: Built) -> None:
    binds = {s: f"127.0.0.1:{free_port()}" for s in ("FRONTEND", "DATASERVICE", "TOKENDEALER")}
    env = {f"JEEVES_{s}_BIND": b for s, b in binds.items()}
    process = await asyncio.create_subprocess_exec(
        *built.run("jeeves", "dev", env=env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        async with aiohttp.ClientSession() as session:
            answers = {
                (service, path): await until_answers(session, f"http://{bind}{path}")
                for service, bind in binds.items()
                for path in ("/healthz", "/readyz")
            }
    finally:
        process.terminate()
        output, _ = await process.communicate()
    assert all(status == 200 for status, _ in answers.values()), (answers, output[-3000:])
    # The SQLite file went to the non-root user's data folder, not the working directory.
    assert b"/home/jeeves/.local/share/jeeves/jeeves-dev.db" in output
