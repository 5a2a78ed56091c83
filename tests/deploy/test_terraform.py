"""Terraform: the provider-free module runs offline; the provider roots stay thin and pinned."""

from __future__ import annotations

import base64
import json
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.tools import MODULE, ROOT, Tools, checkov, run, terraform, terraform_env
from tokendealer.clients import verify_secret

#: The first test installs the tools (minutes on a bare machine); checkov takes seconds a run.
pytestmark = pytest.mark.timeout(1200)

TERRAFORM = ROOT / "terraform"
ROOTS = {"platform": TERRAFORM / "platform", "jeeves": TERRAFORM / "jeeves"}


@pytest.fixture(scope="module")
def tf_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return terraform_env(tmp_path_factory.mktemp("terraform"))


def test_terraform_is_formatted(tf_env: dict[str, str]) -> None:
    done = run([terraform(), "fmt", "-check", "-recursive", "-diff", TERRAFORM], env=tf_env)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_module_initialises_validates_and_passes_its_tests_offline(
    tf_env: dict[str, str],
) -> None:
    tf = terraform()
    for step in (["init", "-backend=false"], ["validate"], ["test"]):
        done = run([tf, *step], env=tf_env, cwd=MODULE)
        assert done.returncode == 0, f"terraform {step[0]}:\n{done.stdout}{done.stderr}"
    assert " 0 failed" in done.stdout and "passed" in done.stdout, done.stdout


def hcl(tools: Tools, path: Path) -> dict[str, Any]:
    """A .tf file parsed by python-hcl2 (in the tools venv)."""
    program = "import hcl2, json, sys; print(json.dumps(hcl2.load(open(sys.argv[1]))))"
    done = run([tools.python, "-c", program, path])
    assert done.returncode == 0, done.stderr
    parsed: dict[str, Any] = unquote(json.loads(done.stdout))
    return parsed


def unquote(value: Any) -> Any:
    """python-hcl2 >= 7 keeps string literals' quotes and marks blocks: drop both."""
    if isinstance(value, dict):
        return {unquote(k): unquote(v) for k, v in value.items() if k != "__is_block__"}
    if isinstance(value, list):
        return [unquote(v) for v in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


@pytest.mark.parametrize("name", sorted(ROOTS))
def test_provider_roots_pin_terraform_and_every_provider(deploy_tools: Tools, name: str) -> None:
    [settings] = hcl(deploy_tools, ROOTS[name] / "main.tf")["terraform"]
    assert settings["required_version"].startswith(">=")
    [providers] = settings["required_providers"]
    assert providers, "a root must declare its providers"
    for provider, spec in providers.items():
        assert spec["source"].startswith("hashicorp/"), provider
        assert spec["version"].startswith("~>"), f"{provider} must be pinned to a minor series"


def test_every_helm_release_is_pinned_to_a_version(deploy_tools: Tools) -> None:
    parsed = hcl(deploy_tools, ROOTS["platform"] / "main.tf")
    releases = {
        name: body
        for block in parsed["resource"]
        for name, body in block.get("helm_release", {}).items()
    }
    charts = {body["chart"] for body in releases.values()}
    assert charts == {
        "rabbitmq-cluster-operator",
        "cloudnative-pg",
        "keda",
        "gateway-helm",
        "kube-prometheus-stack",  # the monitoring objects' CRDs, Prometheus and Grafana
    }
    for name, body in releases.items():
        assert body.get("version"), f"helm_release.{name} has no version"
        assert not any(c in body["version"] for c in "*^~><"), f"{name}: an exact version"


def test_the_jeeves_root_applies_the_module_and_generates_its_secrets(deploy_tools: Tools) -> None:
    parsed = hcl(deploy_tools, ROOTS["jeeves"] / "main.tf")
    resources = {
        (kind, name)
        for block in parsed["resource"]
        for kind, named in block.items()
        for name in named
    }
    assert {
        ("tls_private_key", "tokendealer"),
        ("random_password", "worker_client_secret"),
        ("random_password", "postgres"),
        ("random_bytes", "fernet"),
    } <= resources
    [module] = [m["jeeves"] for m in parsed["module"] if "jeeves" in m]
    assert module["source"] == "../modules/jeeves"
    variables = {
        name: body
        for block in hcl(deploy_tools, ROOTS["jeeves"] / "variables.tf")["variable"]
        for name, body in block.items()
    }
    for secret in ("slack_signing_secret", "slack_bot_token", "weather_api_key"):
        assert variables[secret].get("sensitive") is True, secret
    assert not list(TERRAFORM.rglob("*.tfvars")), (
        "no tfvars is committed (secrets come as TF_VAR_*)"
    )


def test_checkov_passes_the_terraform_and_finds_no_secret_in_it(deploy_tools: Tools) -> None:
    """Both roots (checkov follows them into the module) and every .tf/.tftest.hcl file.

    checkov has few policies for helm_release, kubernetes_manifest, random or tls resources, so
    its terraform pass mostly proves that the files parse; the secrets pass would catch a
    credential written into the code. A parse error fails the test, though checkov exits 0.
    """
    reports: list[dict[str, Any]] = []
    for target in (ROOTS["platform"], ROOTS["jeeves"]):
        reports.append(checkov_json(deploy_tools, "terraform", target))
    reports.append(checkov_json(deploy_tools, "secrets", TERRAFORM))
    for report in reports:
        summary = report["summary"]
        assert (summary["failed"], summary["parsing_errors"]) == (0, 0), report
    assert reports[-1]["summary"]["resource_count"] > 0, "the secrets scan saw no file"


def checkov_json(tools: Tools, framework: str, target: Path) -> dict[str, Any]:
    """One checkov run's JSON report (an empty report when nothing applied)."""
    done = checkov(tools, framework, TERRAFORM / ".checkov.yaml", "-d", target, json_report=True)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    if isinstance(report, list):
        [report] = report
    if "summary" not in report:  # checkov prints a bare summary when no check applied
        report = {"summary": report}
    return dict(report)


def test_the_scrypt_hash_program_makes_hashes_the_tokendealer_accepts() -> None:
    secret = secrets.token_urlsafe(32)
    query = {"secret": secret, "salt": base64.b64encode(secrets.token_bytes(16)).decode()}

    def scrypt_hash() -> str:
        answer = subprocess.run(
            [sys.executable, ROOTS["jeeves"] / "scrypt_hash.py"],
            input=json.dumps(query),
            capture_output=True,
            text=True,
            check=True,
        )
        return str(json.loads(answer.stdout)["hash"])

    hashed = scrypt_hash()
    assert verify_secret(secret, hashed)
    assert not verify_secret(secret + "x", hashed)
    assert scrypt_hash() == hashed  # stable between plans: no perpetual diff
