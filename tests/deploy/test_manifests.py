"""The module's Kubernetes objects, validated offline; k8s/base is exactly its output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.deploy.render import BASE, base_files
from tests.deploy.tools import ROOT, Tools, checkov, run
from tests.support import schemas

#: The first test installs the tools (minutes on a bare machine); checkov takes seconds a run.
pytestmark = pytest.mark.timeout(1200)

Manifest = dict[str, Any]

#: Kinds that kubernetes-validate knows (the rest are custom resources, checked below).
BUILT_IN_GROUPS = {
    "v1",
    "apps/v1",
    "batch/v1",
    "policy/v1",
    "autoscaling/v2",
    "networking.k8s.io/v1",
}


def shared_schemas() -> Path:
    """``../shared/schemas/crds`` (see :func:`tests.support.schemas.shared_schemas`)."""
    return schemas.shared_schemas() / "crds"


def crd_schema(manifest: Manifest) -> dict[str, Any]:
    """The JSON schema of a custom resource: crds/<group>/<kind>_<version>.json."""
    group, version = manifest["apiVersion"].split("/")
    path = shared_schemas() / group / f"{manifest['kind'].lower()}_{version}.json"
    assert path.is_file(), f"no schema for {manifest['kind']} {manifest['apiVersion']} at {path}"
    schema: dict[str, Any] = json.loads(path.read_text())
    return schema


def test_k8s_base_is_the_module_output(rendered: dict[str, list[Manifest]]) -> None:
    expected = base_files(rendered)
    actual = {path.name: path.read_text() for path in BASE.glob("*.yaml")}
    assert sorted(actual) == sorted(expected), (
        "k8s/base files differ: python -m tests.deploy.render"
    )
    stale = [name for name in expected if actual[name] != expected[name]]
    assert not stale, f"k8s/base/{stale} differ from the module: run python -m tests.deploy.render"


def test_built_in_kinds_pass_kubernetes_validate_strict(
    deploy_tools: Tools, objects: list[Manifest], rendered_dir: Path
) -> None:
    built_in = [o for o in objects if o["apiVersion"] in BUILT_IN_GROUPS]
    files = sorted(rendered_dir.glob("*.yaml"))
    done = run([deploy_tools.bin("kubernetes-validate"), "--strict", *files])
    assert done.returncode == 0, done.stdout + done.stderr
    passed = done.stdout.count(" passed for resource ")
    assert passed == len(built_in), done.stdout  # every built-in object was really checked


def test_custom_resources_match_their_crd_schemas(objects: list[Manifest]) -> None:
    custom = [o for o in objects if o["apiVersion"] not in BUILT_IN_GROUPS]
    assert {o["kind"] for o in custom} == {
        "RabbitmqCluster",
        "Cluster",
        "ScaledObject",
        "TriggerAuthentication",
        "Gateway",
        "HTTPRoute",
    }
    for manifest in custom:
        schema = crd_schema(manifest)
        validator = jsonschema.validators.validator_for(schema)(schema)
        errors = [
            f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(manifest)
        ]
        assert not errors, f"{manifest['kind']}/{manifest['metadata']['name']}: {errors}"


def test_a_custom_resource_without_a_schema_fails() -> None:
    with pytest.raises(AssertionError, match="no schema for Widget"):
        crd_schema({"apiVersion": "example.com/v1", "kind": "Widget"})


def test_a_custom_resource_that_breaks_its_schema_fails(objects: list[Manifest]) -> None:
    [rabbit] = [o for o in objects if o["kind"] == "RabbitmqCluster"]
    broken = {**rabbit, "spec": {**rabbit["spec"], "replicas": "three"}}
    schema = crd_schema(broken)
    assert not jsonschema.validators.validator_for(schema)(schema).is_valid(broken)


def test_checkov_passes_the_manifests_with_the_reviewed_skips(
    deploy_tools: Tools, rendered_dir: Path
) -> None:
    done = checkov(deploy_tools, "kubernetes", ROOT / "k8s" / ".checkov.yaml", "-d", rendered_dir)
    assert done.returncode == 0, done.stdout + done.stderr
