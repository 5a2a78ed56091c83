from __future__ import annotations

import pytest
from slack_sdk.signature import Clock, SignatureVerifier

from jeeves_frontend.signature import SignatureRejected, check_signature
from tests.support.slack_requests import SIGNING_SECRET, sign

NOW = 1_800_000_000


class FixedClock(Clock):
    def now(self) -> float:
        return NOW


VERIFIER = SignatureVerifier(SIGNING_SECRET, clock=FixedClock())
BODY = b'{"type":"event_callback"}'


def check(headers: dict[str, str], body: bytes = BODY) -> None:
    check_signature(
        VERIFIER,
        body,
        timestamp=headers.get("X-Slack-Request-Timestamp"),
        signature=headers.get("X-Slack-Signature"),
    )


def test_valid_signature_passes() -> None:
    check(sign(BODY, timestamp=NOW))


@pytest.mark.parametrize("skew", [-299, 299])
def test_clock_skew_within_five_minutes_passes(skew: int) -> None:
    check(sign(BODY, timestamp=NOW + skew))


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing signature headers"),
        ({"X-Slack-Request-Timestamp": str(NOW)}, "missing signature headers"),
        (
            {**sign(BODY, timestamp=NOW), "X-Slack-Request-Timestamp": "12abc"},
            "malformed timestamp",
        ),
        (sign(BODY, timestamp=NOW - 301), "stale timestamp"),
        (sign(BODY, timestamp=NOW + 301), "stale timestamp"),
        (sign(BODY, timestamp=NOW, secret="another-secret"), "bad signature"),
        (sign(BODY + b" ", timestamp=NOW), "bad signature"),
        ({**sign(BODY, timestamp=NOW), "X-Slack-Signature": "v0=é"}, "malformed signature"),
    ],
    ids=[
        "none",
        "no-signature",
        "bad-ts",
        "old",
        "future",
        "wrong-secret",
        "tampered",
        "not-ascii",
    ],
)
def test_rejections(headers: dict[str, str], reason: str) -> None:
    with pytest.raises(SignatureRejected) as caught:
        check(headers)
    assert caught.value.reason == reason
