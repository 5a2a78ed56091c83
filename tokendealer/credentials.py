"""Parse a token request's untrusted form fields and ``Authorization`` header.

Pure functions: they either return a :class:`TokenRequest` or raise an
:class:`~tokendealer.errors.OAuthError`; nothing else escapes, whatever the input
(property-tested in ``tests/tokendealer/test_credentials.py``).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from urllib.parse import unquote_plus

from werkzeug.datastructures import MultiDict

from tokendealer.errors import (
    InvalidClient,
    InvalidRequest,
    InvalidScope,
    InvalidTarget,
    UnsupportedGrantType,
)

#: No field we accept is longer; longer values are refused before any work is done.
MAX_FIELD_LENGTH = 512
MAX_SCOPE_LENGTH = 2048
_VSCHAR = re.compile(r"[\x20-\x7e]+")  # RFC 6749 Appendix A
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")  # RFC 6749 §3.3
_AUDIENCE = re.compile(r"[\x21-\x7e]{1,256}")


@dataclass(frozen=True, slots=True)
class Credentials:
    """A client's id and (plain, as presented) secret."""

    client_id: str
    client_secret: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class TokenRequest:
    """A well-formed client-credentials request; ``None`` means "not asked for"."""

    credentials: Credentials
    audience: str | None
    scopes: frozenset[str] | None


def parse_token_request(form: MultiDict[str, str], authorization: str | None) -> TokenRequest:
    """Validate the form of ``POST /oauth/token`` and the client authentication."""
    for name in form:
        if len(form.getlist(name)) > 1:
            raise InvalidRequest(f"parameter {name!r} is repeated")
    grant_type = form.get("grant_type")
    if not grant_type:
        raise InvalidRequest("grant_type is required")
    if grant_type != "client_credentials":
        raise UnsupportedGrantType("only grant_type=client_credentials is supported")
    return TokenRequest(
        credentials=read_credentials(form, authorization),
        audience=read_audience(form),
        scopes=read_scopes(form.get("scope")),
    )


def read_credentials(form: MultiDict[str, str], authorization: str | None) -> Credentials:
    """Client authentication from HTTP Basic or the form (never both, RFC 6749 §2.3)."""
    form_id, form_secret = form.get("client_id"), form.get("client_secret")
    if authorization:
        basic = parse_basic(authorization)
        if form_secret is not None or (form_id is not None and form_id != basic.client_id):
            raise InvalidRequest("use one client authentication method, not two")
        return basic
    if not form_id or form_secret is None:
        raise InvalidClient("client authentication required")
    return _checked(form_id, form_secret)


def parse_basic(authorization: str) -> Credentials:
    """Decode ``Basic base64(urlencode(id):urlencode(secret))`` (RFC 6749 §2.3.1)."""
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        raise InvalidClient("unsupported client authentication scheme")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidClient("malformed Basic credentials") from exc
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise InvalidClient("malformed Basic credentials")
    return _checked(unquote_plus(client_id), unquote_plus(secret))


def read_audience(form: MultiDict[str, str]) -> str | None:
    """The ``audience`` (or RFC 8707 ``resource``) asked for, if any."""
    audience, resource = form.get("audience"), form.get("resource")
    if audience and resource and audience != resource:
        raise InvalidTarget("audience and resource disagree")
    value = audience or resource
    if value is not None and not _AUDIENCE.fullmatch(value):
        raise InvalidTarget("malformed audience")
    return value or None


def read_scopes(scope: str | None) -> frozenset[str] | None:
    """Split a space-separated ``scope`` (RFC 6749 §3.3); empty means "not asked for"."""
    if scope is None:
        return None
    if len(scope) > MAX_SCOPE_LENGTH:
        raise InvalidScope("scope too long")
    tokens = [token for token in scope.split(" ") if token]
    if not all(_SCOPE_TOKEN.fullmatch(token) for token in tokens):
        raise InvalidScope("malformed scope")
    return frozenset(tokens) or None


def _checked(client_id: str, client_secret: str) -> Credentials:
    for value in (client_id, client_secret):
        if len(value) > MAX_FIELD_LENGTH or not _VSCHAR.fullmatch(value):
            raise InvalidClient("malformed client credentials")
    return Credentials(client_id, client_secret)
