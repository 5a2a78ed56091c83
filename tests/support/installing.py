"""One installer at a time: the suite runs in several pytest-xdist workers (``scripts/test``).

Each worker starts its own RabbitMQ, PostgreSQL and Chromium, and the first to find one missing
installs it. apt refuses a second ``apt-get`` while the first holds its lock, and two
``scripts/deploy-tools`` writing one cache folder would corrupt it, so every installer in the
harness runs under this machine-wide lock and looks again, once it holds it, whether the other
worker has installed the thing meanwhile.
"""

from __future__ import annotations

import fcntl
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: The lock file, shared by every pytest process on this machine.
LOCK = Path(tempfile.gettempdir()) / "jeeves-test-installers.lock"


@contextmanager
def installing() -> Iterator[None]:
    """Hold the machine-wide installers' lock (blocks until the other holder is done)."""
    with LOCK.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
