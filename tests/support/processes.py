"""Real ``jeeves`` processes for tests: started, then stopped with SIGTERM and checked."""

from __future__ import annotations

import asyncio
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
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 40)
        assert process.returncode == 0, stderr.decode()[-3000:]
