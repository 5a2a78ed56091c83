"""``jeeves config check``'s checks, in process (the command itself: tests/jeeves/test_init.py)."""

from __future__ import annotations

import os

import pytest

from jeeves.config import check_process
from tests.support.production import DASHBOARD_SECRET_KEY

INSTALLS = {
    "JEEVES_ENV": "prod",
    "JEEVES_SLACK_SIGNING_SECRET": "a-real-looking-secret",
    "JEEVES_DASHBOARD_SECRET_KEYS": DASHBOARD_SECRET_KEY,
    "JEEVES_SLACK_CLIENT_ID": "1234.5678",
    "JEEVES_SLACK_CLIENT_SECRET": "a-real-looking-client-secret",
    "JEEVES_PUBLIC_URL": "https://jeeves.example.com",
}
MISSING = "JEEVES_FRONTEND_CLIENT_SECRET is not set: with JEEVES_SLACK_CLIENT_ID set"


@pytest.fixture
def installs_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [name for name in os.environ if name.startswith("JEEVES_")]:
        monkeypatch.delenv(name)
    for name, value in INSTALLS.items():
        monkeypatch.setenv(name, value)


@pytest.mark.usefixtures("installs_env")
def test_installs_without_the_front_doors_client_secret_are_a_problem() -> None:
    # Found in review: "configuration OK", then every Slack event answered 503.
    problems = check_process(("serve", "frontend"))
    assert any(MISSING in problem for problem in problems), problems


@pytest.mark.usefixtures("installs_env")
def test_installs_with_the_front_doors_client_secret_are_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("JEEVES_FRONTEND_CLIENT_SECRET", "a-real-looking-frontend-secret")
    assert not any(MISSING in problem for problem in check_process(("serve", "frontend")))
