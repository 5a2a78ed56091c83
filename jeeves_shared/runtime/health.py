"""The one shape of every ``/readyz`` answer: HTTP services and worker health servers alike.

``{"status": "ready" | "starting" | "unavailable" | "draining", "checks": {name: "ok" | why}}``
with 200 when ready and 503 otherwise. Each check names a dependency (``broker``,
``database``, ``keys``, ``token``) and says ``"ok"`` or, in a few words, what is wrong: the
reason an operator reads when a probe fails.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: The value of a check that passes.
OK = "ok"


def readiness(
    checks: Mapping[str, str], *, starting: bool = False, draining: bool = False
) -> tuple[int, dict[str, Any]]:
    """The status code and body of ``/readyz`` for ``checks``.

    Draining (SIGTERM arrived) wins over everything; then a failing check (``unavailable``);
    then ``starting`` (not serving yet although nothing is wrong); else ``ready``.
    """
    if draining:
        status = "draining"
    elif any(value != OK for value in checks.values()):
        status = "unavailable"
    elif starting:
        status = "starting"
    else:
        status = "ready"
    return (200 if status == "ready" else 503), {"status": status, "checks": dict(checks)}
