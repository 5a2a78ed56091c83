"""Security headers on every answer of the front door.

The dashboard's pages run only their own files from ``jeeves_frontend/static`` (htmx and a
small script): no inline script or style, nothing from another origin, no framing.
"""

from __future__ import annotations

from quart import Quart, Response, request

PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    # For browsers older than CSP's frame-ancestors.
    "X-Frame-Options": "DENY",
}
#: Paths whose answers hold a person's data: never stored by a browser or proxy cache.
PERSONAL = ("/dashboard", "/api/me")


def install_headers(app: Quart) -> None:
    """Add the headers to every response (a view's own ``Content-Security-Policy`` stays)."""

    @app.after_request
    async def secure(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", PAGE_POLICY)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if request.path.startswith(PERSONAL):
            response.headers["Cache-Control"] = "no-store"
        return response
