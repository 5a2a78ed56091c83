"""The Jeeves workloads among the module's objects, and the paths each server really routes:
what the consistency and monitoring checks both read."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from dataservice.settings import DataServiceSettings
from jeeves_shared.bus.memory import MemoryBus

Manifest = dict[str, Any]


def components(objects: list[Manifest]) -> dict[str, Manifest]:
    """The Deployments and the migration Job, by component label."""
    return {
        o["metadata"]["labels"]["app.kubernetes.io/component"]: o
        for o in objects
        if o["kind"] in ("Deployment", "Job")
    }


def served_paths(tmp_path: Path) -> dict[str, set[str]]:
    """The GET paths each server really routes (apps built as `jeeves dev` builds them)."""
    from dataservice.app import create_app as dataservice_app
    from jeeves_frontend.app import create_app as frontend_app
    from jeeves_frontend.settings import FrontendSettings
    from jeeves_shared.runtime.settings import Environment
    from tokendealer.app import create_app as tokendealer_app
    from tokendealer.settings import TokenDealerSettings
    from workers.health import WorkerHealth, create_health_app

    def quart_paths(app: Any) -> set[str]:
        return {rule.rule for rule in app.url_map.iter_rules() if "GET" in rule.methods}

    dev = Environment.DEV
    database = f"sqlite+aiosqlite:///{tmp_path / 'probe.db'}"
    health = create_health_app(WorkerHealth(MemoryBus(), asyncio.Event()))
    return {
        "frontend": quart_paths(frontend_app(FrontendSettings(env=dev), bus=MemoryBus())),
        "dataservice": quart_paths(
            dataservice_app(DataServiceSettings(env=dev, database_url=database))  # type: ignore[arg-type]
        ),
        "tokendealer": quart_paths(tokendealer_app(TokenDealerSettings(env=dev))),
        "worker": {r.canonical for r in health.router.resources()},
    }
