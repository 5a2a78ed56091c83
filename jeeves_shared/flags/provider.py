"""An OpenFeature provider that answers from ``JEEVES_FLAGS`` (:mod:`jeeves_shared.flags.rules`).

It is small on purpose: percentage rollouts keyed on the evaluation's targeting key, nothing
else. Call sites only talk to OpenFeature (:class:`jeeves_shared.flags.Flags`), so a flagd (or
any other) provider can replace this one later without touching them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NoReturn

from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import FlagNotFoundError, TargetingKeyMissingError, TypeMismatchError
from openfeature.flag_evaluation import FlagResolutionDetails, FlagValueType, Reason
from openfeature.provider import AbstractProvider, Metadata

from jeeves_shared.flags.rules import Split, bucket


class SettingsProvider(AbstractProvider):
    """String flags whose variant is chosen by the user's bucket (see :func:`.rules.bucket`).

    A flag absent from the rules resolves to the caller's default with error
    ``FLAG_NOT_FOUND`` (the flag is not rolled out); an evaluation without a targeting key
    fails with ``TARGETING_KEY_MISSING``; other value types fail with ``TYPE_MISMATCH``. The
    reason is ``SPLIT`` when users are split, ``STATIC`` when one variant has 100 %.
    """

    def __init__(self, rules: Mapping[str, Split]) -> None:
        super().__init__()
        self._rules = dict(rules)

    def get_metadata(self) -> Metadata:
        """The provider's name, as OpenFeature reports it."""
        return Metadata(name="jeeves-settings")

    def resolve_string_details(
        self,
        flag_key: str,
        default_value: str,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[str]:
        """The variant of the context's targeting key for ``flag_key``; its value is its name."""
        split = self._rules.get(flag_key)
        if split is None:
            raise FlagNotFoundError(f"flag {flag_key!r} is not in JEEVES_FLAGS")
        key = evaluation_context.targeting_key if evaluation_context else None
        if not key:
            raise TargetingKeyMissingError(f"flag {flag_key!r} needs a targeting key")
        variant = split.variant_at(bucket(flag_key, key))
        reason = Reason.STATIC if split.is_static else Reason.SPLIT
        return FlagResolutionDetails(value=variant, variant=variant, reason=reason)

    def resolve_boolean_details(
        self,
        flag_key: str,
        default_value: bool,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[bool]:
        """Not served: every flag here is a string (its variant's name)."""
        _only_strings(flag_key)

    def resolve_integer_details(
        self,
        flag_key: str,
        default_value: int,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[int]:
        """Not served: every flag here is a string (its variant's name)."""
        _only_strings(flag_key)

    def resolve_float_details(
        self,
        flag_key: str,
        default_value: float,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[float]:
        """Not served: every flag here is a string (its variant's name)."""
        _only_strings(flag_key)

    def resolve_object_details(
        self,
        flag_key: str,
        default_value: Sequence[FlagValueType] | Mapping[str, FlagValueType],
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[Sequence[FlagValueType] | Mapping[str, FlagValueType]]:
        """Not served: every flag here is a string (its variant's name)."""
        _only_strings(flag_key)


def _only_strings(flag_key: str) -> NoReturn:
    raise TypeMismatchError(f"flag {flag_key!r} is a string flag (its variant's name)")
