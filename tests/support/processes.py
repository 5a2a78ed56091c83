"""Real ``jeeves`` processes for tests: started, then stopped with SIGTERM and checked."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


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
