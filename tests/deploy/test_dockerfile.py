"""The Dockerfile: linted (hadolint, checkov) and shaped as the issue asks."""

from __future__ import annotations

import re

import pytest

from tests.deploy.tools import ROOT, Tools, checkov, run

#: The first test installs the tools (minutes on a bare machine); checkov takes seconds a run.
pytestmark = pytest.mark.timeout(1200)

DOCKERFILE = ROOT / "Dockerfile"


def test_hadolint_passes(deploy_tools: Tools) -> None:
    done = run([deploy_tools.bin("hadolint"), "--config", ROOT / ".hadolint.yaml", DOCKERFILE])
    assert done.returncode == 0, done.stdout + done.stderr


def test_checkov_passes_with_the_reviewed_skips(deploy_tools: Tools) -> None:
    done = checkov(deploy_tools, "dockerfile", ROOT / ".checkov.yaml", "-f", DOCKERFILE)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_final_stage_runs_jeeves_as_a_fixed_non_root_user() -> None:
    stages = re.split(r"(?m)^FROM ", DOCKERFILE.read_text())[1:]
    assert len(stages) == 2, "a build stage and a runtime stage"
    build, final = stages
    assert "constraints.txt" in build and "[dev]" not in build  # pinned, no dev extras
    assert re.search(r"(?m)^USER 10001:10001$", final)
    assert re.search(r'(?m)^ENTRYPOINT \["jeeves"\]$', final)
    assert "COPY --from=build /opt/jeeves /opt/jeeves" in final
    assert not re.search(r"(?m)^COPY (?!--from=build)", final), (
        "the runtime stage copies no sources"
    )
    assert "apt-get install" not in final  # no compilers or build tools


def test_only_the_packages_reach_the_build_context() -> None:
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert ignored[ignored.index("*") :][:1] == ["*"], "everything is excluded first"
    allowed = {line[1:].rstrip("/") for line in ignored if line.startswith("!")}
    assert "tests" not in allowed and "docs" not in allowed and ".venv" not in allowed
    assert {"pyproject.toml", "constraints.txt", "jeeves", "workers"} <= allowed
