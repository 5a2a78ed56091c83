"""Where Jeeves evaluates feature flags: one OpenFeature client, whatever the provider.

Two traps of the OpenFeature SDK are closed here:

- The SDK catches every exception of a provider (or hook) and returns the caller's default with
  reason ``ERROR``: a broken evaluator looks like a flag that is simply off. :meth:`Flags.variant`
  logs such an error and counts it; with ``strict=True`` (tests) it raises
  :class:`FlagEvaluationError` instead, so that a broken evaluator fails the test.
- A provider set with ``set_provider`` initialises in a background thread and answers defaults
  (``PROVIDER_NOT_READY``) until it is done: :meth:`Flags.install` uses
  ``set_provider_and_wait``, so the first evaluation already has the real rules.

Every evaluation is counted in ``jeeves_flag_evaluations_total`` by flag, variant and reason,
from an OpenFeature hook, so a later provider is counted the same way.
"""

from __future__ import annotations

from typing import Any

import structlog
from openfeature import api
from openfeature.client import OpenFeatureClient
from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import FlagEvaluationDetails, FlagValueType, Reason
from openfeature.hook import Hook, HookContext, HookHints
from openfeature.provider import FeatureProvider

from jeeves_shared.observability.metrics import FLAG_EVALUATIONS

log = structlog.get_logger(__name__)

#: The OpenFeature domain of Jeeves' flags: one provider per process answers it.
DOMAIN = "jeeves"


class FlagEvaluationError(RuntimeError):
    """A flag evaluation failed (strict mode only; otherwise the default is used and logged)."""

    def __init__(self, details: FlagEvaluationDetails[Any]) -> None:
        super().__init__(
            f"flag {details.flag_key!r} failed: {details.error_code} {details.error_message}"
        )
        self.details = details


class EvaluationCounter(Hook):
    """Counts every evaluation, after any error handling, by flag, variant and reason.

    ``variant`` is ``default`` when the caller's default was used because of an error (the
    provider named none). ``reason`` is OpenFeature's, except for a flag the provider does not
    know: OpenFeature says ``ERROR`` (error code ``FLAG_NOT_FOUND``), but that flag is simply
    not rolled out, so it counts as ``FLAG_NOT_FOUND`` and ``ERROR`` stays an alert-worthy
    failure. Flag keys and variants come from Jeeves' code and its configuration, never from a
    client, so the series stay few.
    """

    def finally_after(
        self,
        hook_context: HookContext,
        details: FlagEvaluationDetails[FlagValueType],
        hints: HookHints,
    ) -> None:
        """Count ``details``."""
        reason = str(details.reason or Reason.UNKNOWN)
        if details.error_code == ErrorCode.FLAG_NOT_FOUND:
            reason = "FLAG_NOT_FOUND"
        FLAG_EVALUATIONS.labels(
            flag=details.flag_key, variant=details.variant or "default", reason=reason
        ).inc()


class Flags:
    """Evaluates Jeeves' flags through OpenFeature's client for :data:`DOMAIN`."""

    def __init__(self, client: OpenFeatureClient, *, strict: bool = False) -> None:
        self._client = client
        self.strict = strict

    @classmethod
    def install(cls, provider: FeatureProvider, *, strict: bool = False) -> Flags:
        """Make ``provider`` answer :data:`DOMAIN` once it is ready, and return its flags.

        Blocks while the provider initialises (``set_provider_and_wait``); an exception of its
        ``initialize`` propagates, so the process does not start with defaults only.
        """
        api.set_provider_and_wait(provider, DOMAIN)
        client = api.get_client(DOMAIN)
        client.add_hooks([EvaluationCounter()])
        return cls(client, strict=strict)

    async def variant(self, flag: str, default: str, context: EvaluationContext) -> str:
        """The variant of string flag ``flag`` for ``context`` (its targeting key: who asks).

        A flag the provider does not know (``FLAG_NOT_FOUND``) is not rolled out: ``default``,
        quietly. Any other error also gives ``default``, with an error log line; in strict mode
        it raises :class:`FlagEvaluationError`.
        """
        details = await self._client.get_string_details_async(flag, default, context)
        if details.error_code is None and details.reason != Reason.ERROR:
            return details.value
        if details.error_code == ErrorCode.FLAG_NOT_FOUND:
            return default
        log.error(
            "flag.evaluation_failed",
            flag=flag,
            error_code=str(details.error_code),
            error=details.error_message,
            used=default,
        )
        if self.strict:
            raise FlagEvaluationError(details)
        return default
