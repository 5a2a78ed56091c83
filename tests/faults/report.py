"""One line per fault scenario, printed at the end of the test session (see tests/conftest.py)."""

from __future__ import annotations

#: Filled by the scenarios as they finish.
SUMMARIES: list[str] = []
