"""The layout rules of docs/architecture.md and docs/development.md, checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("jeeves_frontend", "workers", "dataservice", "tokendealer")


def imported_packages(package: str) -> dict[str, set[str]]:
    """Top-level packages imported by each module of ``package``."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_services_never_import_each_other(service: str) -> None:
    others = set(SERVICES) - {service}
    offenders = {
        module: sorted(names & (others | {"jeeves"}))
        for module, names in imported_packages(service).items()
        if names & (others | {"jeeves"})
    }
    assert offenders == {}


def test_the_shared_library_imports_no_service() -> None:
    offenders = {
        module: sorted(names & {*SERVICES, "jeeves"})
        for module, names in imported_packages("jeeves_shared").items()
        if names & {*SERVICES, "jeeves"}
    }
    assert offenders == {}


def test_nothing_pickles() -> None:
    for package in (*SERVICES, "jeeves_shared", "jeeves"):
        for module, names in imported_packages(package).items():
            assert "pickle" not in names, module


@pytest.mark.parametrize("package", [*SERVICES, "jeeves_shared", "jeeves"])
def test_each_package_says_it_is_typed(package: str) -> None:
    # PEP 561: pyproject's package-data ships the marker, so type checkers of code that
    # imports Jeeves (its tests, a plugin) read our annotations.
    assert (ROOT / package / "py.typed").is_file()


def test_the_cli_offers_every_worker_kind() -> None:
    from jeeves.cli import WORKER_KINDS
    from workers.runner import KINDS, SCHEDULER

    assert set(WORKER_KINDS) == {*KINDS, SCHEDULER}


def imported_test_modules(path: Path) -> set[str]:
    """The modules of ours named ``test_*`` that the file at ``path`` imports (or imports from)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            modules = [("." * node.level) + (node.module or "")]
            modules += [f"{modules[0]}.{alias.name}" for alias in node.names]
        else:
            continue
        ours = [m for m in modules if m.startswith(("tests.", "."))]
        found |= {m for m in ours if any(part.startswith("test_") for part in m.split("."))}
    return found


def test_test_modules_never_import_each_other() -> None:
    # Shared helpers live in tests/support; importing a test module would also collect (and
    # run) its tests a second time under another name.
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported)
        for path in (ROOT / "tests").rglob("*.py")
        if (imported := imported_test_modules(path))
    }
    assert offenders == {}
