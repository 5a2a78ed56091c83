"""A real browser for page tests: Debian's Chromium, driven by Playwright.

Playwright's own browser downloads cannot be fetched on these machines (and ``playwright install``
must never run): the tests drive the ``chromium`` package from Debian instead, installing it with
apt when it is missing, as :mod:`tests.support.rabbitmq` does for ``rabbitmq-server``, so that a
bare CI machine runs the browser tests without manual steps.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

from tests.support.installing import installing

CHROMIUM = Path("/usr/bin/chromium")

#: Headless, no GPU, and nothing that talks to the network on its own (tests reach 127.0.0.1
#: only); root runs it, hence no sandbox.
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def ensure_chromium() -> Path:
    """Install Debian's ``chromium`` if this machine does not have it; its executable."""
    if CHROMIUM.exists():
        return CHROMIUM
    with installing():
        if CHROMIUM.exists():  # the other pytest worker installed it
            return CHROMIUM
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        # Other jobs on a shared machine may hold apt's lock for a while: wait for it, not fail.
        wait_for_lock = ["-o", "DPkg::Lock::Timeout=600"]
        subprocess.run(["apt-get", *wait_for_lock, "update", "-qq"], check=True, env=env)
        subprocess.run(
            ["apt-get", *wait_for_lock, "install", "-y", "-qq", "--no-install-recommends",
             "chromium"],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
    return CHROMIUM


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium for the duration of the block."""
    executable = ensure_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(executable), args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()
