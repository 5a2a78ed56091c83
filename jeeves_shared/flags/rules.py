"""Percentage rollouts read from ``JEEVES_FLAGS``, and the deterministic bucket of a user.

The setting is one JSON object: each flag's key maps its variants to the percentage of users
who get each one, and the percentages add up to 100::

    JEEVES_FLAGS='{"weather-worker": {"v1": 90, "v2": 10}}'

A percentage may have two decimals (a bucket is 1/10,000 of the users). Which variant a user
gets depends only on the flag's key and the evaluation's targeting key (the team and the user):
SHA-256 of both, taken modulo 10,000, falls in one variant's range. Unlike the book's
``random.randint`` per call, a user keeps the same variant on every message. The ranges are laid
out in the variants' name order whatever order the JSON gives, so with two variants a user who
got the new one keeps it while its share grows (10 % → 50 % → 100 %), and one who got the old one
keeps it while the new one's share shrinks on a rollback.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: Buckets per flag: a percentage has at most two decimals.
BUCKETS = 10_000
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,47}")


class FlagsError(ValueError):
    """``JEEVES_FLAGS`` is not a valid set of rollouts; the message says what to change."""


@dataclass(frozen=True)
class Split:
    """One flag's variants, each with its share of the :data:`BUCKETS` (in name order)."""

    shares: tuple[tuple[str, int], ...]

    @property
    def variants(self) -> tuple[str, ...]:
        """The variants' names, sorted."""
        return tuple(name for name, _ in self.shares)

    @property
    def is_static(self) -> bool:
        """True when one variant has every bucket (0 % / 100 %): nobody is split."""
        return any(share == BUCKETS for _, share in self.shares)

    def variant_at(self, bucket: int) -> str:
        """The variant whose range holds ``bucket`` (0 ≤ bucket < :data:`BUCKETS`)."""
        end = 0
        for name, share in self.shares:
            end += share
            if bucket < end:
                return name
        raise ValueError(f"bucket {bucket} is outside 0..{BUCKETS - 1}")

    def percent(self, variant: str) -> float:
        """The share of users given ``variant``, in percent."""
        return dict(self.shares).get(variant, 0) * 100 / BUCKETS


def bucket(flag: str, targeting_key: str) -> int:
    """The bucket (0 ≤ n < :data:`BUCKETS`) of ``targeting_key`` for ``flag``: always the same.

    The flag's key is part of the hash so that two flags split the users independently.
    SHA-256 is used as a uniform, stable hash (not for secrecy); the modulo bias of 2**64 over
    10,000 is below 1e-15.
    """
    digest = hashlib.sha256(f"{flag}\x00{targeting_key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def parse_flags(text: str) -> dict[str, Split]:
    """The rollouts of ``JEEVES_FLAGS`` (empty or ``{}``: none).

    Raises :class:`FlagsError` naming the flag and what is wrong: not JSON, a name that is not
    lower-case letters, digits, ``-`` and ``_``, a percentage that is not a number from 0 to 100
    with at most two decimals, or percentages that do not add up to 100.
    """
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise FlagsError(f"not JSON ({exc}); write {_EXAMPLE}") from None
    if not isinstance(data, dict):
        raise FlagsError(f"must be a JSON object; write {_EXAMPLE}")
    return {_name(flag, "flag"): _split(flag, variants) for flag, variants in data.items()}


def check_variants(rules: Mapping[str, Split], known: Mapping[str, frozenset[str]]) -> None:
    """Raise :class:`FlagsError` unless every flag of ``rules`` is in ``known`` and uses only
    the variants ``known`` gives it (a typo must stop the process, not route nobody)."""
    for flag, split in rules.items():
        if flag not in known:
            names = ", ".join(sorted(known)) or "none"
            raise FlagsError(f"unknown flag {flag!r}; known flags: {names}")
        unknown = sorted(set(split.variants) - known[flag])
        if unknown:
            raise FlagsError(
                f"flag {flag!r} has no variant {', '.join(map(repr, unknown))}; "
                f"its variants: {', '.join(sorted(known[flag]))}"
            )


_EXAMPLE = """'{"weather-worker": {"v1": 90, "v2": 10}}'"""


def _name(value: str, what: str) -> str:
    if not _NAME.fullmatch(value):
        raise FlagsError(
            f"{what} name {value[:60]!r} must be 1-48 lower-case letters, digits, '-' or '_'"
        )
    return value


def _split(flag: str, variants: Any) -> Split:
    if not isinstance(variants, dict) or not variants:
        raise FlagsError(f"flag {flag!r}: give its variants and percentages, e.g. {_EXAMPLE}")
    shares = []
    for variant, percent in sorted(variants.items()):
        _name(variant, "variant")
        # bool is an int in Python; true/false is surely a mistake here.
        ok = isinstance(percent, int | float) and not isinstance(percent, bool)
        buckets = round(percent * 100) if ok else -1
        if not ok or not 0 <= buckets <= BUCKETS or abs(buckets - percent * 100) > 1e-6:
            raise FlagsError(
                f"flag {flag!r}, variant {variant!r}: {percent!r} is not a percentage from 0 "
                "to 100 with at most two decimals"
            )
        shares.append((variant, buckets))
    total = sum(share for _, share in shares)
    if total != BUCKETS:
        raise FlagsError(f"flag {flag!r}: the percentages add up to {total / 100:g}, not 100")
    return Split(tuple(shares))
