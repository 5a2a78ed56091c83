"""What the cluster runs agrees with what the code reads, serves and connects to.

Every name here is derived from the code (the pydantic settings classes, the CLI's services and
worker kinds, the worker kinds' needs, the queue topology), so a setting, kind or connection
added to the code fails these tests until the Terraform module provides it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from pydantic_settings import BaseSettings

from dataservice.settings import DataServiceSettings
from jeeves.cli import SERVICES, WORKER_KINDS, _load
from jeeves_shared.bus.topology import WORKER_QUEUES
from jeeves_shared.runtime.lifecycle import ShutdownSettings
from jeeves_shared.runtime.settings import JeevesSettings, parse_bind
from tests.deploy.tools import ROOT
from tests.deploy.workloads import components, served_paths
from workers.runner import KINDS, SCHEDULER
from workers.settings import WorkerSettings

#: Rendering the module (terraform init and apply) takes seconds on a busy machine.
pytestmark = pytest.mark.timeout(1200)

Manifest = dict[str, Any]

#: Settings a process's class has but that the process does not read, and why. Each is checked:
#: the field must not appear in that package's code.
NOT_READ: dict[str, dict[str, str]] = {
    "dataservice": {"amqp_url": "inherited from JeevesSettings; the Data Service has no bus"},
    "tokendealer": {"amqp_url": "inherited from JeevesSettings; the TokenDealer has no bus"},
}
#: Settings deliberately left unset in the cluster, and why (docs/deploy.md).
LEFT_UNSET: dict[str, str] = {
    "tokendealer_clients_file": "exclusive with JEEVES_TOKENDEALER_CLIENTS, which a Secret gives",
    "tokendealer_signing_kid": "set only for the first step of a key rotation",
    "dashboard_url": "the workers' login link defaults from JEEVES_PUBLIC_URL",
}
#: The binds every settings class inherits: a process listens on its own, and reads the others
#: only to default the URLs the cluster gives explicitly (CONNECTIONS).
OWN_BIND = {
    "frontend": "frontend_bind",
    "dataservice": "dataservice_bind",
    "tokendealer": "tokendealer_bind",
}
#: Worker settings only the kinds that use the client need (least privilege for secrets).
WORKER_SECRET_NEEDS = {
    "slack_bot_token": {"slack", "slack-lookup"},
    "weather_api_key": {"weather"},
    "worker_client_secret": {"data"},
}
#: Worker settings only some kinds read, and which (the others are not given them).
WORKER_ONLY = {
    # The scheduler routes daily alerts by the rollout flags (from the front door's ConfigMap).
    "flags": {SCHEDULER},
}
#: Where a setting makes its process connect: (peer, port).
CONNECTIONS = {
    "amqp_url": ("rabbitmq", 5672),
    "database_url": ("postgres", 5432),
    "dataservice_url": ("dataservice", 8002),
    "tokendealer_url": ("tokendealer", 8003),
    "dataservice_jwks_url": ("tokendealer", 8003),
    # Slack: the Data Service refreshes rotating bot tokens (oauth.v2.access); the front door
    # installs (oauth.v2.access) and signs people in (openid.connect.token, Slack's keys).
    "slack_api_url": ("internet", 443),
    "slack_openid_jwks_url": ("internet", 443),
}
INTERNET = CONNECTIONS["slack_api_url"]
#: Where Prometheus runs (terraform/platform's kube-prometheus-stack), as a NetworkPolicy peer.
PROMETHEUS = "namespace:monitoring"


def env_name(cls: type[BaseSettings], field: str) -> str:
    return f"{cls.model_config.get('env_prefix', '')}{field}".upper()


def kind_needs(kind: str) -> set[str]:
    """What a worker kind talks to besides RabbitMQ (the scheduler uses the Data Service)."""
    return {"data"} if kind == SCHEDULER else set(KINDS[kind].needs)


def settings_classes(component: str) -> list[type[BaseSettings]]:
    """The settings classes the process of ``component`` builds (jeeves.cli)."""
    if component in SERVICES:
        cls = _load(SERVICES[component][1])
        assert isinstance(cls, type) and issubclass(cls, JeevesSettings)
        return [cls, ShutdownSettings]
    if component == "migrate":
        return [DataServiceSettings]
    return [WorkerSettings]


def read_fields(component: str) -> dict[type[BaseSettings], set[str]]:
    """The settings fields ``component`` reads and so must be given."""
    fields: dict[type[BaseSettings], set[str]] = {}
    for cls in settings_classes(component):
        names = set(cls.model_fields) - set(NOT_READ.get(component, {})) - set(LEFT_UNSET)
        names -= set(OWN_BIND.values()) - {OWN_BIND.get(component)}
        if component == "migrate":
            # `jeeves db upgrade` reads the database URL and the logging settings only.
            names = {"database_url"} | set(JeevesSettings.model_fields) - {"amqp_url"}
            names -= set(OWN_BIND.values())
        if component.startswith("worker-"):
            kind = component.removeprefix("worker-")
            needs = kind_needs(kind)
            names -= {f for f, uses in WORKER_SECRET_NEEDS.items() if not uses & needs}
            names -= {f for f, kinds in WORKER_ONLY.items() if kind not in kinds}
        fields[cls] = names
    return fields


def container_env(objects: list[Manifest], workload: Manifest) -> dict[str, str]:
    """The environment of a workload's container, as the kubelet would give it.

    ConfigMap values (a whole ConfigMap, or one key of one) and literal values as they are; a
    Secret's value becomes a stand-in naming it (``secret:<name>/<key>``); ``$(VAR)``
    references are expanded like Kubernetes does.
    """
    [container] = workload["spec"]["template"]["spec"]["containers"]
    config_maps = {o["metadata"]["name"]: o["data"] for o in objects if o["kind"] == "ConfigMap"}
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        env.update(config_maps[source["configMapRef"]["name"]])
    for variable in container.get("env", []):
        if "value" in variable:
            value = re.sub(r"\$\((\w+)\)", lambda m: env.get(m[1], m[0]), variable["value"])
        elif "configMapKeyRef" in variable["valueFrom"]:
            ref = variable["valueFrom"]["configMapKeyRef"]
            value = config_maps[ref["name"]][ref["key"]]
        else:
            ref = variable["valueFrom"]["secretKeyRef"]
            value = f"secret-{ref['name']}-{ref['key']}"
        env[variable["name"]] = value
    return env


def test_every_service_worker_kind_and_the_migration_run(objects: list[Manifest]) -> None:
    commands = {
        tuple(w["spec"]["template"]["spec"]["containers"][0]["command"])
        for w in components(objects).values()
    }
    assert commands == {
        *(("jeeves", "serve", service) for service in SERVICES),
        *(("jeeves", "worker", kind) for kind in WORKER_KINDS),
        ("jeeves", "db", "upgrade"),
    }


def test_every_setting_a_process_reads_is_given_to_it(objects: list[Manifest]) -> None:
    for component, workload in components(objects).items():
        env = container_env(objects, workload)
        for cls, names in read_fields(component).items():
            missing = {env_name(cls, name) for name in names} - set(env)
            assert not missing, f"{component} is not given {sorted(missing)}"


def test_no_process_is_given_a_setting_it_does_not_read(objects: list[Manifest]) -> None:
    for component, workload in components(objects).items():
        given = {name for name in container_env(objects, workload) if name.startswith("JEEVES_")}
        read = {env_name(cls, n) for cls, names in read_fields(component).items() for n in names}
        assert given - read == set(), f"{component} is given settings it never reads"


@pytest.mark.parametrize(("component", "fields"), [(c, f) for c, f in NOT_READ.items()])
def test_the_settings_said_unread_are_not_read(component: str, fields: dict[str, str]) -> None:
    code = "\n".join(p.read_text() for p in (ROOT / component).rglob("*.py"))
    for field in fields:
        assert f".{field}" not in code, f"{component} reads {field}: give it in the module"


def test_the_given_settings_are_valid_and_agree(
    objects: list[Manifest], monkeypatch: pytest.MonkeyPatch
) -> None:
    workloads = components(objects)
    parsed: dict[str, dict[type[BaseSettings], BaseSettings]] = {}
    for component, workload in workloads.items():
        with monkeypatch.context() as env:
            for name in [n for n in __import__("os").environ if n.startswith("JEEVES_")]:
                env.delenv(name)
            for name, value in container_env(objects, workload).items():
                env.setenv(name, value)
            parsed[component] = {cls: cls() for cls in settings_classes(component)}
    data = parsed["dataservice"][DataServiceSettings]
    assert data.database_url.get_secret_value().startswith("postgresql+asyncpg://")
    assert "-rw." in data.database_url.get_secret_value()  # the primary, read-write
    dealer = next(iter(parsed["tokendealer"].values()))
    assert data.dataservice_jwt_issuer == dealer.tokendealer_issuer  # type: ignore[attr-defined]
    services = {o["metadata"]["name"] for o in objects if o["kind"] == "Service"}
    worker = parsed["worker-weather"][WorkerSettings]
    for url in (worker.dataservice_url, worker.tokendealer_url, data.dataservice_jwks_url):
        host = url.split("//")[1].split(".")[0]
        assert host in services, url


def test_probes_ask_the_port_the_process_binds_and_a_path_it_serves(
    objects: list[Manifest], tmp_path: Path
) -> None:
    served = served_paths(tmp_path)
    for component, workload in components(objects).items():
        if workload["kind"] == "Job":
            continue
        [container] = workload["spec"]["template"]["spec"]["containers"]
        env = container_env(objects, workload)
        bind = env[
            "JEEVES_WORKER_HEALTH_BIND"
            if component.startswith("worker-")
            else f"JEEVES_{component.upper()}_BIND"
        ]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        server = "worker" if component.startswith("worker-") else component
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            get = container[probe]["httpGet"]
            assert ports[get["port"]] == parse_bind(bind)[1], (component, probe)
            assert get["path"] in served[server], (component, probe, get["path"])
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"


def test_every_worker_kind_with_a_queue_scales_on_it_with_keda(objects: list[Manifest]) -> None:
    deployments = {o["metadata"]["name"] for o in objects if o["kind"] == "Deployment"}
    assert {f"jeeves-worker-{kind}" for kind in WORKER_KINDS} <= deployments
    scaled = {
        o["spec"]["scaleTargetRef"]["name"]: o for o in objects if o["kind"] == "ScaledObject"
    }
    assert set(scaled) == {f"jeeves-worker-{kind}" for kind in WORKER_QUEUES}
    assert set(WORKER_KINDS) - set(WORKER_QUEUES) == {SCHEDULER}  # it consumes no queue
    drain = WorkerSettings.model_fields["drain_timeout"].default
    for kind, queue in WORKER_QUEUES.items():
        spec = scaled[f"jeeves-worker-{kind}"]["spec"]
        [trigger] = spec["triggers"]
        assert trigger["type"] == "rabbitmq"
        assert trigger["metadata"]["queueName"] == queue.name
        # http: KEDA counts unacknowledged messages too, so busy workers are not scaled down.
        assert trigger["metadata"]["protocol"] == "http"
        assert spec["cooldownPeriod"] > drain


def test_the_worker_client_may_ask_for_every_scope_its_kinds_request(
    module_outputs: dict[str, Any],
) -> None:
    from jeeves_shared.dataclient import SCHEDULER_SCOPES

    requested = {s for kind in KINDS.values() for s in kind.scopes} | set(SCHEDULER_SCOPES)
    assert set(module_outputs["worker_client_scopes"]) == requested


def test_the_frontend_client_may_ask_for_the_front_doors_scopes(
    module_outputs: dict[str, Any],
) -> None:
    from jeeves_shared.dataclient import FRONTEND_SCOPES

    assert set(module_outputs["frontend_client_scopes"]) == set(FRONTEND_SCOPES)


# --- NetworkPolicies: exactly the connections the code makes -------------------------------


def expected_egress() -> dict[str, set[tuple[str, int]]]:
    """(peer, port) each Jeeves pod connects to, derived from what its code reads and needs."""
    expected: dict[str, set[tuple[str, int]]] = {}
    for component in (*SERVICES, "migrate", *(f"worker-{k}" for k in WORKER_KINDS)):
        if component.startswith("worker-"):
            needs = kind_needs(component.removeprefix("worker-"))
            peers = {CONNECTIONS["amqp_url"]}
            if needs & {"data"}:
                peers |= {CONNECTIONS["dataservice_url"], CONNECTIONS["tokendealer_url"]}
            if needs & {"slack", "slack-lookup", "weather"}:
                peers.add(INTERNET)
        else:
            fields = {f for names in read_fields(component).values() for f in names}
            peers = {CONNECTIONS[f] for f in fields if f in CONNECTIONS}
        expected[component] = peers
    return expected


def matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    return selector.get("matchLabels", {}).items() <= labels.items() and not selector.get(
        "matchExpressions"
    )


def peer_names(peer: dict[str, Any]) -> set[str]:
    """What a NetworkPolicy peer stands for, in the names of expected_egress()."""
    if "ipBlock" in peer:
        block = peer["ipBlock"]
        assert block["cidr"] == "0.0.0.0/0" and "10.0.0.0/8" in block.get("except", []), block
        return {"internet"}
    if "namespaceSelector" in peer:
        name = peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
        return {"dns" if name == "kube-system" else f"namespace:{name}"}
    labels = peer["podSelector"]["matchLabels"]
    if labels.get("app.kubernetes.io/name") == "jeeves-rabbitmq":
        return {"rabbitmq"}
    if "cnpg.io/cluster" in labels:
        return {"postgres"}
    return {labels["app.kubernetes.io/component"]}


def policies(objects: list[Manifest]) -> list[Manifest]:
    return [o for o in objects if o["kind"] == "NetworkPolicy"]


def pod_labels(objects: list[Manifest]) -> dict[str, dict[str, str]]:
    return {c: w["spec"]["template"]["metadata"]["labels"] for c, w in components(objects).items()}


def allowed(
    objects: list[Manifest], labels: dict[str, str], direction: str
) -> set[tuple[str, int]]:
    """(peer, port) a pod with ``labels`` may reach (egress) or be reached from (ingress)."""
    key, peers_key = ("egress", "to") if direction == "egress" else ("ingress", "from")
    found: set[tuple[str, int]] = set()
    for policy in policies(objects):
        if not matches(policy["spec"]["podSelector"], labels):
            continue
        for rule in policy["spec"].get(key, []):
            for peer in rule[peers_key]:
                for port in rule["ports"]:
                    found |= {(name, port["port"]) for name in peer_names(peer)}
    return found


def test_everything_is_denied_unless_allowed(objects: list[Manifest]) -> None:
    [deny] = [p for p in policies(objects) if p["metadata"]["name"] == "default-deny"]
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def test_each_pod_reaches_exactly_what_its_code_connects_to(objects: list[Manifest]) -> None:
    labels = pod_labels(objects)
    for component, peers in expected_egress().items():
        reached = allowed(objects, labels[component], "egress") - {("dns", 53)}
        assert reached == peers, component


def test_each_pod_is_reached_only_by_what_connects_to_it(objects: list[Manifest]) -> None:
    labels = pod_labels(objects)
    expected = expected_egress()
    gateway = {("namespace:envoy-gateway-system", 8000)}
    for component, workload in components(objects).items():
        callers = {
            (c, port)
            for c, peers in expected.items()
            for (peer, port) in peers
            if peer == component
        }
        # Prometheus scrapes /metrics on the one port of every long-running process.
        ports = workload["spec"]["template"]["spec"]["containers"][0].get("ports", [])
        scrape = {(PROMETHEUS, p["containerPort"]) for p in ports}
        reached_from = allowed(objects, labels[component], "ingress")
        expected_from = callers | scrape | (gateway if component == "frontend" else set())
        assert reached_from == expected_from, component
    for store, selector in (
        ("rabbitmq", {"app.kubernetes.io/name": "jeeves-rabbitmq"}),
        ("postgres", {"cnpg.io/cluster": "jeeves-postgres"}),
    ):
        from_jeeves = {
            (peer, port) for (peer, port) in allowed(objects, selector, "ingress") if peer in labels
        }
        callers = {
            (c, port) for c, peers in expected.items() for (peer, port) in peers if peer == store
        }
        assert from_jeeves == callers, store
    rabbitmq = {"app.kubernetes.io/name": "jeeves-rabbitmq"}
    assert (PROMETHEUS, 15692) in allowed(objects, rabbitmq, "ingress")  # its Prometheus plugin


# --- the public route: what Slack and browsers must reach -----------------------------------


def test_the_route_reaches_every_url_of_the_slack_app_and_the_install_pages(
    objects: list[Manifest],
) -> None:
    from jeeves_frontend.manifest import INSTALL_PATH, build_manifest

    [route] = [o for o in objects if o["kind"] == "HTTPRoute"]
    prefixes = [m["path"]["value"] for rule in route["spec"]["rules"] for m in rule["matches"]]
    manifest = build_manifest("https://jeeves.example.com")
    urls = [
        manifest["settings"]["event_subscriptions"]["request_url"],
        *(command["url"] for command in manifest["features"]["slash_commands"]),
        *manifest["oauth_config"]["redirect_urls"],
    ]
    # The install page and the files it links (jeeves_frontend/templates/install/base.html).
    paths = [url.removeprefix("https://jeeves.example.com") for url in urls]
    paths += [INSTALL_PATH, "/static/install.css", "/static/favicon.svg"]
    for path in paths:
        assert any(path == p or path.startswith(p.rstrip("/") + "/") for p in prefixes), path
