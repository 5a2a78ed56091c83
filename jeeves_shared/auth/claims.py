"""The verified content of an access token."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jeeves_shared.auth.errors import InvalidToken

#: The ``iss`` the TokenDealer uses unless configured otherwise; verifiers default to it too.
DEFAULT_ISSUER = "jeeves-tokendealer"


@dataclass(frozen=True, slots=True)
class Claims:
    """Claims of a verified token; build it with :meth:`from_payload`."""

    issuer: str
    subject: str
    audience: tuple[str, ...]
    issued_at: int
    not_before: int
    expires_at: int
    token_id: str
    scopes: frozenset[str]
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Claims:
        """Type-check a decoded payload; raise :class:`InvalidToken` on a malformed claim."""
        return cls(
            issuer=_string(payload, "iss"),
            subject=_string(payload, "sub"),
            audience=_audience(payload.get("aud")),
            issued_at=_number(payload, "iat"),
            not_before=_number(payload, "nbf", default=_number(payload, "iat")),
            expires_at=_number(payload, "exp"),
            token_id=_string(payload, "jti"),
            scopes=to_scopes(payload.get("scope", "")),
            raw=dict(payload),
        )

    def has_scope(self, scope: str) -> bool:
        """True if the token grants ``scope``."""
        return scope in self.scopes


def to_scopes(value: object) -> frozenset[str]:
    """Parse an RFC 6749 space-separated scope string."""
    if not isinstance(value, str):
        raise InvalidToken("claim 'scope' must be a string")
    return frozenset(value.split())


def _string(payload: Mapping[str, Any], name: str) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidToken(f"claim {name!r} must be a non-empty string")
    return value


def _number(payload: Mapping[str, Any], name: str, default: int | None = None) -> int:
    value = payload.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidToken(f"claim {name!r} must be a number")
    return int(value)


def _audience(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise InvalidToken("claim 'aud' must be a string or a list of strings")
