"""``jeeves up`` runs a new worker version only while ``JEEVES_FLAGS`` rolls it out."""

from __future__ import annotations

import pytest

from jeeves.config import processes_named
from jeeves.supervisor import PROCESSES, up_processes

V2 = ("worker", "weather-v2")


@pytest.mark.parametrize(
    ("flags", "runs_v2"),
    [
        ("", False),
        ('{"weather-worker": {"v1": 100}}', False),
        ('{"weather-worker": {"v1": 90, "v2": 10}}', True),
        # Rolled back to 0 %: it still runs, to answer what its queue holds.
        ('{"weather-worker": {"v1": 100, "v2": 0}}', True),
        ("not json", False),  # the front door's own check reports it
    ],
)
def test_the_new_worker_runs_only_when_the_flag_names_it(
    flags: str, runs_v2: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JEEVES_FLAGS", flags)
    processes = up_processes()
    assert set(PROCESSES) <= set(processes)
    assert (V2 in processes) is runs_v2
    assert (V2 in processes_named([])) is runs_v2  # jeeves config check checks it too
    assert V2 not in PROCESSES
