"""Cross-site request forgery protection for the dashboard's state-changing requests.

Written here because no maintained CSRF library exists for Quart (Flask-WTF's ``CSRFProtect``
needs Flask's request globals; ``quart-wtf`` has been unmaintained for years), and the
helper is small. Two independent checks, as OWASP's cheat sheet recommends:

- **Synchronizer token** bound to the session: ``HMAC-SHA256(cookie key, session id)``. Only a
  page of this site, which the server rendered for this session, knows it; a request
  without it (``X-CSRF-Token`` header, or a ``csrf_token`` form field) is refused. It needs no
  storage, changes when the session does, and verifies with every rotated cookie key.
- **Same origin**: the browser's ``Sec-Fetch-Site`` must be ``same-origin``, or (older browsers)
  the ``Origin`` header must be this site's or one of ``JEEVES_DASHBOARD_ALLOWED_ORIGINS``. A
  request carrying neither header is refused: every browser sends one on a state-changing
  request, and a non-browser client has no cookie to abuse.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from urllib.parse import urlsplit

from quart import current_app, request

#: Methods that change nothing (RFC 9110 "safe"); every other one is checked.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TOKEN_HEADER = "X-CSRF-Token"  # noqa: S105 - a header name
TOKEN_FIELD = "csrf_token"  # noqa: S105 - a form field name
_CONTEXT = b"jeeves.dashboard.csrf:"


class CsrfRejected(Exception):
    """A state-changing request failed a CSRF check (``reason`` is for the logs)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"request refused: {reason}")
        self.reason = reason


def csrf_token(session_id: str) -> str:
    """The token of this session, signed with the newest cookie key."""
    return _token(_keys()[0], session_id)


def check_token(session_id: str, token: str | None) -> None:
    """Raise :class:`CsrfRejected` unless ``token`` is this session's (under any current key)."""
    if not token:
        raise CsrfRejected("no CSRF token")
    # Bytes, not str: compare_digest raises TypeError on a str with non-ASCII characters,
    # and a client chooses what the header or form field holds.
    sent = token.encode("utf-8", "surrogateescape")
    if not any(hmac.compare_digest(sent, _token(key, session_id).encode()) for key in _keys()):
        raise CsrfRejected("wrong CSRF token")


def check_origin(allowed: Iterable[str]) -> None:
    """Raise :class:`CsrfRejected` unless the request comes from this site (or ``allowed``
    origins, which the CORS policy lets in with credentials)."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    origin = request.headers.get("Origin")
    if origin is not None and origin != "null":
        if _is_this_site(origin) or origin in allowed:
            return
        raise CsrfRejected(f"cross-site Origin {origin!r}")
    if fetch_site == "same-origin":
        return
    raise CsrfRejected(f"not same-origin (Sec-Fetch-Site {fetch_site!r}, Origin {origin!r})")


async def check_request(session_id: str | None, allowed: Iterable[str]) -> None:
    """Both checks for a state-changing request (the token only once signed in)."""
    if request.method in SAFE_METHODS:
        return
    check_origin(allowed)
    if session_id is None:
        return  # signing in: nothing to forge yet beyond the origin
    token = request.headers.get(TOKEN_HEADER)
    if token is None and request.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        token = (await request.form).get(TOKEN_FIELD)
    check_token(session_id, token)


def _is_this_site(origin: str) -> bool:
    """``Origin`` names this site: same host and port as the request. (The scheme is not
    compared: behind a TLS-terminating proxy the request arrives as http.)"""
    return urlsplit(origin).netloc.lower() == request.host.lower()


def _keys() -> list[str]:
    fallbacks = current_app.config.get("SECRET_KEY_FALLBACKS") or []
    return [str(current_app.secret_key), *fallbacks]


def _token(key: str, session_id: str) -> str:
    digest = hmac.new(key.encode(), _CONTEXT + session_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
