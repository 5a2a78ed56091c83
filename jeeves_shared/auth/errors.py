"""Errors raised by the token verifier and the token client.

Each carries the data a handler needs to build a response; the mapping to HTTP lives in one
table in :mod:`jeeves_shared.auth.quart_auth`.
"""

from __future__ import annotations


class AuthError(Exception):
    """Base class of every authentication and authorization failure."""


class InvalidToken(AuthError):
    """The bearer token is missing, malformed, badly signed, expired or not meant for us (401)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MissingToken(InvalidToken):
    """The request carried no bearer token at all (401 without an error code, RFC 6750 §3.1)."""

    def __init__(self) -> None:
        super().__init__("missing bearer token")


class InsufficientScope(AuthError):
    """The token is valid but lacks a scope the endpoint requires (403)."""

    def __init__(self, scope: str) -> None:
        super().__init__(f"token lacks scope {scope!r}")
        self.scope = scope


class JwksUnavailable(AuthError):
    """No key set could be loaded from the TokenDealer, so no token can be checked (503)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TokenRequestFailed(AuthError):
    """The TokenDealer refused to issue a token or could not be reached.

    ``status`` is the HTTP status (0 when the request never got an answer) and ``error`` the
    RFC 6749 error code from the response body when there was one.
    """

    def __init__(self, status: int, error: str, description: str = "") -> None:
        super().__init__(f"token request failed: {status} {error} {description}".strip())
        self.status = status
        self.error = error
        self.description = description
