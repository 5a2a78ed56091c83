"""Feature flags: OpenFeature, answered from ``JEEVES_FLAGS`` (see docs/observability.md)."""

from __future__ import annotations

from jeeves_shared.flags.client import DOMAIN, EvaluationCounter, FlagEvaluationError, Flags
from jeeves_shared.flags.provider import SettingsProvider
from jeeves_shared.flags.routing import (
    KNOWN_FLAGS,
    action_routing_key,
    rollout_rules,
    targeting,
)
from jeeves_shared.flags.rules import BUCKETS, FlagsError, Split, bucket, parse_flags

__all__ = [
    "BUCKETS",
    "DOMAIN",
    "KNOWN_FLAGS",
    "EvaluationCounter",
    "FlagEvaluationError",
    "Flags",
    "FlagsError",
    "SettingsProvider",
    "Split",
    "action_routing_key",
    "bucket",
    "parse_flags",
    "rollout_rules",
    "targeting",
]
