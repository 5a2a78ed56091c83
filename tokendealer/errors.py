"""OAuth 2.0 errors of the token endpoint (RFC 6749 §5.2), mapped to responses in app.py."""

from __future__ import annotations


class OAuthError(Exception):
    """An error the token endpoint reports as ``{"error": code, "error_description": ...}``."""

    status = 400
    code = "invalid_request"

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


class InvalidRequest(OAuthError):
    """A parameter is missing, repeated or malformed."""


class InvalidClient(OAuthError):
    """Unknown client, wrong secret or no client authentication."""

    status = 401
    code = "invalid_client"


class UnsupportedGrantType(OAuthError):
    """Only ``client_credentials`` is supported."""

    code = "unsupported_grant_type"


class InvalidScope(OAuthError):
    """A requested scope is malformed or not allowed for the client."""

    code = "invalid_scope"


class InvalidTarget(OAuthError):
    """The requested audience is not allowed for the client (RFC 8707)."""

    code = "invalid_target"


class TooManyFailures(OAuthError):
    """Too many failed authentications for one client id; retry after ``retry_after`` s."""

    status = 429
    code = "temporarily_unavailable"

    def __init__(self, retry_after: int) -> None:
        super().__init__("too many failed client authentications; retry later")
        self.retry_after = retry_after
