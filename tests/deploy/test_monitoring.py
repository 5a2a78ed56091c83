"""The monitoring objects agree with the code: Prometheus scrapes a port each selected pod has
and a path its process serves, and every alert and dashboard panel reads metrics that exist
(Jeeves' own, declared in jeeves_shared.observability.metrics, or RabbitMQ's plugin's)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY

import jeeves_shared.observability.metrics  # noqa: F401  (declares every jeeves_* metric)
from tests.deploy.tools import MODULE
from tests.deploy.workloads import components, served_paths

pytestmark = pytest.mark.timeout(1200)

Manifest = dict[str, Any]

#: Metric names a PromQL expression reads (a name followed by ``{``, ``[`` or ``)``).
METRIC = re.compile(r"\b((?:jeeves|rabbitmq)_[a-z_]+)\b")
#: Families RabbitMQ's plugin serves at /metrics/detailed with the PodMonitor's families.
RABBITMQ_DETAILED = {
    "rabbitmq_detailed_queue_messages",
    "rabbitmq_detailed_queue_messages_ready",
    "rabbitmq_detailed_queue_messages_unacked",
}
SUFFIXES = ("_bucket", "_count", "_sum", "_total", "_created")


def declared() -> set[str]:
    """Every metric name this process's registry can expose (families and their samples)."""
    names = set()
    for family in REGISTRY.collect():
        names.add(family.name)
        names.update(f"{family.name}{suffix}" for suffix in SUFFIXES)
    return names


def of_kind(objects: list[Manifest], kind: str) -> list[Manifest]:
    return [o for o in objects if o["kind"] == kind]


def selected(objects: list[Manifest], selector: dict[str, Any]) -> dict[str, Manifest]:
    """The Jeeves workloads whose pod labels ``selector`` (matchLabels + In) selects."""
    found = {}
    for component, workload in components(objects).items():
        labels = workload["spec"]["template"]["metadata"]["labels"]
        ok = selector.get("matchLabels", {}).items() <= labels.items()
        for expression in selector.get("matchExpressions", []):
            assert expression["operator"] == "In"
            ok = ok and labels.get(expression["key"]) in expression["values"]
        if ok:
            found[component] = workload
    return found


def test_every_long_running_process_is_scraped_on_a_port_and_path_it_serves(
    objects: list[Manifest], tmp_path: Path
) -> None:
    served = served_paths(tmp_path)
    scraped: set[str] = set()
    services = {o["metadata"]["name"]: o for o in of_kind(objects, "Service")}
    [monitor] = of_kind(objects, "ServiceMonitor")
    for name, service in services.items():
        if not (
            monitor["spec"]["selector"]["matchLabels"].items()
            <= service["metadata"]["labels"].items()
        ):
            continue
        component = service["metadata"]["labels"]["app.kubernetes.io/component"]
        [expression] = monitor["spec"]["selector"]["matchExpressions"]
        if component not in expression["values"]:
            continue
        [endpoint] = monitor["spec"]["endpoints"]
        assert endpoint["port"] in {p["name"] for p in service["spec"]["ports"]}, name
        assert endpoint["path"] in served[component]
        scraped.add(component)
    workers = next(
        m for m in of_kind(objects, "PodMonitor") if m["metadata"]["name"] == "jeeves-workers"
    )
    for component, workload in selected(objects, workers["spec"]["selector"]).items():
        [endpoint] = workers["spec"]["podMetricsEndpoints"]
        [container] = workload["spec"]["template"]["spec"]["containers"]
        assert endpoint["port"] in {p["name"] for p in container["ports"]}, component
        assert endpoint["path"] in served["worker"]
        scraped.add(component)
    running = {c for c, w in components(objects).items() if w["kind"] == "Deployment"}
    assert scraped == running


def test_rabbitmq_is_scraped_with_the_per_queue_families_the_rules_read(
    objects: list[Manifest],
) -> None:
    [monitor] = [
        m for m in of_kind(objects, "PodMonitor") if m["metadata"]["name"] == "jeeves-rabbitmq"
    ]
    assert monitor["spec"]["selector"]["matchLabels"] == {
        "app.kubernetes.io/name": "jeeves-rabbitmq"
    }
    detailed = [
        e for e in monitor["spec"]["podMetricsEndpoints"] if e["path"] == "/metrics/detailed"
    ]
    assert detailed and detailed[0]["port"] == "prometheus"
    assert "queue_coarse_metrics" in detailed[0]["params"]["family"]


def rule_expressions(objects: list[Manifest]) -> dict[str, str]:
    [rule] = of_kind(objects, "PrometheusRule")
    return {r["alert"]: r["expr"] for group in rule["spec"]["groups"] for r in group["rules"]}


def test_the_alerts_the_issue_asks_for_exist_and_read_declared_metrics(
    objects: list[Manifest],
) -> None:
    expressions = rule_expressions(objects)
    assert set(expressions) == {
        "JeevesDeadLetterQueueNotEmpty",
        "JeevesQueueBacklogGrowing",
        "JeevesAnswersSlowerThanSlackBudget",
        "JeevesHttp5xx",
        "JeevesSlackRateLimited",
        "JeevesSlackTokenRefreshFailing",
    }
    known = declared() | RABBITMQ_DETAILED
    for alert, expr in expressions.items():
        read = set(METRIC.findall(expr))
        assert read and read <= known, (alert, read - known)
    # Slack's 3 s budget is a bucket boundary, so the p99 alert is exact at the threshold.
    from jeeves_shared.observability.metrics import EVENT_TO_REPLY

    assert 3.0 in EVENT_TO_REPLY._upper_bounds
    assert "> 3" in expressions["JeevesAnswersSlowerThanSlackBudget"]


def test_the_grafana_dashboard_is_in_a_config_map_and_reads_declared_metrics(
    objects: list[Manifest],
) -> None:
    [config_map] = [
        o
        for o in of_kind(objects, "ConfigMap")
        if o["metadata"]["name"] == "jeeves-grafana-dashboard"
    ]
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    dashboard = json.loads(config_map["data"]["jeeves.json"])
    assert dashboard == json.loads((MODULE / "dashboards" / "jeeves.json").read_text())
    known = declared() | RABBITMQ_DETAILED
    read = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in METRIC.findall(target["expr"])
    }
    assert read - known == set()
    jeeves_families = {f.name for f in REGISTRY.collect() if f.name.startswith("jeeves_")}
    shown = {name.removesuffix(s) for name in read for s in SUFFIXES if name.endswith(s)} | read
    assert jeeves_families <= shown, f"not on the dashboard: {jeeves_families - shown}"
