"""Fixtures of the deployment checks: the installed tools and the module's rendered objects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.deploy.render import GROUPS, render_outputs
from tests.deploy.tools import Tools, tools


@pytest.fixture(scope="session")
def deploy_tools() -> Tools:
    """checkov, hadolint, check-jsonschema, kubernetes-validate, python-hcl2, actionlint."""
    return tools()


@pytest.fixture(scope="session")
def module_outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every output of the module for the k8s/base variables."""
    return render_outputs(tmp_path_factory.mktemp("render"))


@pytest.fixture(scope="session")
def rendered(module_outputs: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The module's objects by group (foundation, migration, workloads)."""
    return {group: list(module_outputs[group].values()) for group in GROUPS}


@pytest.fixture(scope="session")
def objects(rendered: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Every rendered object."""
    return [o for group in rendered.values() for o in group]


@pytest.fixture(scope="session")
def rendered_dir(tmp_path_factory: pytest.TempPathFactory, objects: list[dict[str, Any]]) -> Path:
    """The rendered objects as YAML files, one object per file, for the validators."""
    import yaml

    folder = tmp_path_factory.mktemp("manifests")
    for index, manifest in enumerate(objects):
        name = f"{index:03d}-{manifest['kind']}-{manifest['metadata']['name']}.yaml"
        (folder / name).write_text(yaml.safe_dump(manifest, sort_keys=False))
    return folder
