"""``jeeves dev`` as a new user meets it: the README's ways of asking, and weather switched off."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.jeeves_dev import DevServer, jeeves_dev


def ask(server: DevServer, text: str) -> str:
    """Type ``text`` on the chat page and wait for Jeeves' answer."""
    return str(server.chat(json.dumps({"text": text}).encode())["text"])


def test_readme_forms_are_answered_and_weather_off_is_said_at_start(tmp_path: Path) -> None:
    with jeeves_dev(tmp_path) as server:  # no JEEVES_WEATHER_API_KEY
        for text in ("@jeeves help", "/jeeves help", "hey jeeves, help?"):
            assert ask(server, text).startswith("Here is what I can do:")
        assert "JEEVES_WEATHER_API_KEY" in ask(server, "weather in Paris")
    [line] = [line for line in server.log.read_text().splitlines() if "dev.weather_off" in line]
    assert "JEEVES_WEATHER_API_KEY not set" in line
