"""Real ``jeeves`` processes for tests: started, then stopped with SIGTERM and checked."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path


@asynccontextmanager
async def jeeves(*args: str, env: dict[str, str]) -> AsyncIterator[asyncio.subprocess.Process]:
    """Run ``jeeves <args>``; SIGTERM it afterwards and check it stopped cleanly."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "jeeves",
        *args,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,  # its own process group: see end_group
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        try:
            _, stderr = await asyncio.wait_for(process.communicate(), 40)
        finally:
            await end_group(process)
        assert process.returncode == 0, stderr.decode()[-3000:]


async def end_group(process: asyncio.subprocess.Process) -> None:
    """Kill whatever is left of ``process``'s group (``jeeves up``'s children, if it failed).

    A test that fails half-way must not leave servers running on a shared machine.
    """
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    await process.wait()


#: Seconds a refusal may take: interpreter starts and imports on a busy shared machine (a
#: jeeves up test starts ten processes), never a wait for something that will not come.
PROMPTLY = 120


def clean_env(**settings: str) -> dict[str, str]:
    """This process's environment without any ``JEEVES_*`` variable, plus ``settings``."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("JEEVES_")}
    return {**inherited, "JEEVES_ENV": "prod", **settings}


async def run_jeeves(*args: str, env: dict[str, str], cwd: Path | None = None) -> tuple[int, str]:
    """Run ``jeeves <args>`` to its end; its exit code and stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "jeeves",
        *args,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), PROMPTLY)
    finally:
        await end_group(process)
    assert process.returncode is not None
    return process.returncode, stderr.decode()


def problems(stderr: str) -> list[str]:
    """The lines ``jeeves`` printed for the operator (log lines are JSON)."""
    return [line for line in stderr.splitlines() if line.startswith("jeeves: ")]
