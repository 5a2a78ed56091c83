"""``jeeves --help`` and every subcommand's help: plain text that lists what there is."""

from __future__ import annotations

import argparse

import pytest

from jeeves.cli import build_parser


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """Every (nested) subcommand of ``parser``, by its full name."""
    found = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found[name] = sub
                found |= {f"{name} {n}": p for n, p in subcommands(sub).items()}
    return found


def test_jeeves_help_lists_every_subcommand_in_plain_text() -> None:
    parser = build_parser()
    text = parser.format_help()
    for name in subcommands(parser):
        if " " not in name:
            assert f"\n    {name} " in text or f"\n    {name}\n" in text, name
    assert "``" not in text
    assert "jeeves init" in text


@pytest.mark.parametrize("name", sorted(subcommands(build_parser())))
def test_each_subcommand_help_is_plain_text(name: str) -> None:
    text = subcommands(build_parser())[name].format_help()
    assert "``" not in text
    assert ":func:" not in text and ":class:" not in text


def test_jeeves_up_help_says_what_it_needs() -> None:
    text = subcommands(build_parser())["up"].format_help()
    for needed in ("JEEVES_AMQP_URL", "JEEVES_DATABASE_URL", "jeeves init", "exit code 2"):
        assert needed in text
