"""Renders terraform/modules/jeeves to Kubernetes objects, and writes them as k8s/base.

The module is the one source of truth; ``k8s/base`` is its output for the variables below (a
placeholder image digest, which ``k8s/overlays/*`` replaces), so ``kubectl apply -k`` deploys
what ``terraform apply`` does. After changing the module::

    .venv/bin/python -m tests.deploy.render      # rewrites k8s/base

and tests/deploy/test_manifests.py fails while k8s/base differs from the module's output.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from tests.deploy.tools import MODULE, ROOT, run, terraform, terraform_env

BASE = ROOT / "k8s" / "base"
#: The image of the rendered base: a digest of zeros, replaced by an overlay's ``images:``.
PLACEHOLDER_IMAGE = "ghcr.io/example/jeeves@sha256:" + "0" * 64
HEADER = (
    "# Generated from terraform/modules/jeeves by `python -m tests.deploy.render`: do not edit.\n"
)

Manifest = dict[str, Any]


GROUPS = ("foundation", "migration", "workloads")


def render(work: Path, variables: dict[str, Any] | None = None) -> dict[str, list[Manifest]]:
    """The module's ``foundation``, ``migration`` and ``workloads``, each a list of objects."""
    outputs = render_outputs(work, variables)
    return {group: list(outputs[group].values()) for group in GROUPS}


def render_outputs(work: Path, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """Apply the module (it has no providers: nothing leaves this machine) into ``work``.

    Returns every output by name. Raises AssertionError with Terraform's output if a step fails.
    """
    env = terraform_env(work)
    tf = terraform()
    var_file = work / "render.tfvars.json"
    var_file.write_text(json.dumps({"image": PLACEHOLDER_IMAGE, **(variables or {})}))
    state = work / "render.tfstate"
    steps = [
        [tf, "init", "-backend=false"],
        [tf, "apply", "-auto-approve", f"-state={state}", f"-var-file={var_file}"],
        [tf, "output", f"-state={state}", "-json"],
    ]
    for step in steps:
        done = run(step, env=env, cwd=MODULE)
        assert done.returncode == 0, f"{' '.join(step[:2])} failed:\n{done.stdout}{done.stderr}"
    return {name: output["value"] for name, output in json.loads(done.stdout).items()}


def file_of(manifest: Manifest) -> str:
    """The k8s/base file an object goes to: its component's, else ``cluster.yaml``."""
    labels = manifest["metadata"].get("labels", {})
    return f"{labels.get('app.kubernetes.io/component', 'cluster')}.yaml"


def base_files(groups: dict[str, list[Manifest]]) -> dict[str, str]:
    """The k8s/base tree: file name -> text, with its kustomization.yaml."""
    files: dict[str, list[Manifest]] = {}
    for group in GROUPS:
        for manifest in groups[group]:
            files.setdefault(file_of(manifest), []).append(manifest)
    texts = {
        name: HEADER + yaml.safe_dump_all(docs, sort_keys=False, width=100)
        for name, docs in sorted(files.items())
    }
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": sorted(texts),
    }
    texts["kustomization.yaml"] = HEADER + yaml.safe_dump(kustomization, sort_keys=False)
    return texts


def main() -> int:
    """Rewrite k8s/base from the module."""
    with tempfile.TemporaryDirectory(prefix="jeeves-render-") as work:
        texts = base_files(render(Path(work)))
    for stale in BASE.glob("*.yaml"):
        if stale.name not in texts:
            stale.unlink()
    BASE.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (BASE / name).write_text(text)
    print(f"wrote {len(texts)} files to {BASE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
