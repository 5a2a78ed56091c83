"""Slack request signatures, checked on the raw body before anything parses it."""

from __future__ import annotations

from slack_sdk.signature import SignatureVerifier

#: Slack's replay window: requests more than this many seconds off are refused.
MAX_CLOCK_SKEW = 5 * 60


class SignatureRejected(Exception):
    """The request is not provably from Slack; ``reason`` is for logs, not for the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_signature(
    verifier: SignatureVerifier, body: bytes, *, timestamp: str | None, signature: str | None
) -> None:
    """Raise :class:`SignatureRejected` unless ``body`` carries a fresh, valid Slack signature.

    ``timestamp`` and ``signature`` are the ``X-Slack-Request-Timestamp`` and
    ``X-Slack-Signature`` headers.

    slack_sdk's verifier does the constant-time HMAC comparison; this adds the reasons, and
    refuses a malformed timestamp instead of letting ``int()`` raise, and a signature that is
    not ASCII instead of letting ``hmac.compare_digest`` raise ``TypeError`` (it compares
    ``str`` only when both are ASCII): Slack's is ``v0=`` and hex digits.
    """
    if not timestamp or not signature:
        raise SignatureRejected("missing signature headers")
    if not (timestamp.isascii() and timestamp.isdigit()):
        raise SignatureRejected("malformed timestamp")
    if not signature.isascii():
        raise SignatureRejected("malformed signature")
    if abs(verifier.clock.now() - int(timestamp)) > MAX_CLOCK_SKEW:
        raise SignatureRejected("stale timestamp")
    if not verifier.is_valid(body=body, timestamp=timestamp, signature=signature):
        raise SignatureRejected("bad signature")
