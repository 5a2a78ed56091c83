"""The JSON schemas in ``../shared/schemas`` (Kubernetes custom resources, Slack's app manifest)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def shared_schemas() -> Path:
    """``../shared/schemas`` of the repository (CI lays shared/ beside the clone).

    ``JEEVES_SHARED_DIR`` overrides it; otherwise the nearest ``shared/`` beside the repository
    or one of its parents (a git worktree lives deeper than the clone).
    """
    if "JEEVES_SHARED_DIR" in os.environ:
        return Path(os.environ["JEEVES_SHARED_DIR"]) / "schemas"
    for parent in ROOT.parents:
        candidate = parent / "shared" / "schemas"
        if candidate.is_dir():
            return candidate
    raise AssertionError(f"no shared/schemas beside {ROOT} (set JEEVES_SHARED_DIR)")


def load_schema(*parts: str) -> dict[str, Any]:
    """The schema at ``shared/schemas/<parts...>``."""
    path = shared_schemas().joinpath(*parts)
    assert path.is_file(), f"no schema at {path}"
    schema: dict[str, Any] = json.loads(path.read_text())
    return schema
