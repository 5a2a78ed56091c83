"""Probes and shutdown of real ``jeeves`` processes, as Kubernetes sees them."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from jeeves.cli import SERVICES, WORKER_KINDS
from jeeves.serving import GRACEFUL_TIMEOUT
from jeeves_shared.runtime.settings import parse_bind
from tests.support.http import wait_for_status, wait_until_ready
from tests.support.processes import jeeves
from tests.support.production import production_env
from tests.support.rabbitmq import free_port
from tests.support.slack_requests import SIGNING_SECRET
from workers.settings import WorkerSettings

#: The Kubernetes objects (generated from terraform/modules/jeeves, see tests/deploy/render.py).
K8S = Path(__file__).resolve().parents[1] / "k8s" / "base"
#: The dependency each HTTP service's ``/readyz`` checks.
READY_CHECKS = {"frontend": "broker", "dataservice": "database", "tokendealer": "keys"}


@pytest.fixture(
    params=[
        pytest.param("frontend", marks=pytest.mark.rabbitmq),
        "dataservice",
        "tokendealer",
    ]
)
def service_env(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str, dict[str, str]]:
    """An HTTP service to run: its name, its bind, and its environment (2 s of grace)."""
    service = str(request.param)
    env = {**production_env(tmp_path), "JEEVES_SHUTDOWN_GRACE": "2"}
    if service == "frontend":
        env["JEEVES_AMQP_URL"] = request.getfixturevalue("amqp_url")
        env["JEEVES_FRONTEND_BIND"] = f"127.0.0.1:{free_port()}"
        env["JEEVES_SLACK_SIGNING_SECRET"] = SIGNING_SECRET
    return service, env[f"JEEVES_{service.upper()}_BIND"], env


async def test_sigterm_makes_a_service_unready_while_it_still_serves_then_it_exits(
    service_env: tuple[str, str, dict[str, str]],
) -> None:
    service, bind, env = service_env
    async with jeeves("serve", service, env=env) as process, aiohttp.ClientSession() as session:
        await wait_until_ready(session, f"http://{bind}/readyz")
        process.send_signal(signal.SIGTERM)
        draining = await wait_for_status(session, f"http://{bind}/readyz", 503)
        async with session.get(f"http://{bind}/healthz") as alive:
            assert alive.status == 200
    # ``jeeves`` checked that the process exited with 0.
    assert draining["status"] == "draining"
    assert set(draining["checks"]) == {READY_CHECKS[service]}


@pytest.mark.rabbitmq
@pytest.mark.parametrize("kind", ["help", "scheduler"])
async def test_a_worker_is_ready_once_it_consumes_and_stops_cleanly(
    kind: str, amqp_url: str, tmp_path: Path
) -> None:
    bind = f"127.0.0.1:{free_port()}"
    env = {
        **production_env(tmp_path),
        "JEEVES_AMQP_URL": amqp_url,
        "JEEVES_WORKER_HEALTH_BIND": bind,
    }
    # The scheduler gets a token before it is ready: it needs a TokenDealer.
    dealer = ("serve", "tokendealer") if kind == "scheduler" else ("dev", "--help")
    async with (
        jeeves(*dealer, env=env),
        jeeves("worker", kind, env=env) as process,
        aiohttp.ClientSession() as session,
    ):
        ready = await wait_for_status(session, f"http://{bind}/readyz", 200)
        async with session.get(f"http://{bind}/healthz") as alive:
            assert (alive.status, await alive.json()) == (200, {"status": "ok"})
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 40)
    expected = {"broker": "ok", "token": "ok"} if kind == "scheduler" else {"broker": "ok"}
    assert ready == {"status": "ready", "checks": expected}


async def test_a_worker_waiting_for_its_broker_is_alive_but_not_ready() -> None:
    bind = f"127.0.0.1:{free_port()}"
    env = {
        "JEEVES_ENV": "prod",
        "JEEVES_AMQP_URL": f"amqp://guest:guest@127.0.0.1:{free_port()}/",
        "JEEVES_WORKER_HEALTH_BIND": bind,
    }
    async with jeeves("worker", "help", env=env), aiohttp.ClientSession() as session:
        alive = await wait_for_status(session, f"http://{bind}/healthz", 200)
        async with session.get(f"http://{bind}/readyz") as ready:
            assert (ready.status, await ready.json()) == (503, {"status": "starting", "checks": {}})
    assert alive == {"status": "ok"}


def manifests() -> list[dict[str, Any]]:
    """Every object of the Kubernetes manifests."""
    return [
        doc
        for path in sorted(K8S.glob("*.yaml"))
        if path.name != "kustomization.yaml"
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    ]


def deployments() -> list[dict[str, Any]]:
    """The Deployments of the Kubernetes manifests."""
    return [doc for doc in manifests() if doc["kind"] == "Deployment"]


def test_kubernetes_runs_every_service_and_worker_kind() -> None:
    commands = {
        tuple(d["spec"]["template"]["spec"]["containers"][0]["command"]) for d in deployments()
    }
    assert commands == {
        *(("jeeves", "serve", service) for service in SERVICES),
        *(("jeeves", "worker", kind) for kind in WORKER_KINDS),
    }


@pytest.mark.parametrize("deployment", deployments(), ids=lambda d: d["metadata"]["name"])
def test_kubernetes_probes_the_health_port_and_waits_out_the_drain(
    deployment: dict[str, Any],
) -> None:
    spec = deployment["spec"]
    assert spec["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items()
    [container] = spec["template"]["spec"]["containers"]
    _, command, name = container["command"]
    env = {e["name"]: e["value"] for e in container["env"] if "value" in e}
    [config_map] = [
        doc
        for doc in manifests()
        if doc["kind"] == "ConfigMap"
        and doc["metadata"]["name"] == container["envFrom"][0]["configMapRef"]["name"]
    ]
    env = {**config_map["data"], **env}
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    bind = env[f"JEEVES_{name.upper()}_BIND" if command == "serve" else "JEEVES_WORKER_HEALTH_BIND"]
    liveness, readiness = container["livenessProbe"], container["readinessProbe"]
    assert (liveness["httpGet"]["path"], readiness["httpGet"]["path"]) == ("/healthz", "/readyz")
    for probe in (liveness, readiness):
        assert ports[probe["httpGet"]["port"]] == parse_bind(bind)[1]
    if command == "serve":
        grace = float(env["JEEVES_SHUTDOWN_GRACE"])
        # Readiness notices the drain while the pod still serves.
        assert readiness["periodSeconds"] * readiness["failureThreshold"] < grace
        needed = grace + GRACEFUL_TIMEOUT
    else:
        needed = float(
            env.get("JEEVES_DRAIN_TIMEOUT", WorkerSettings.model_fields["drain_timeout"].default)
        )
    assert spec["template"]["spec"]["terminationGracePeriodSeconds"] > needed
