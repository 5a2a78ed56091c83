"""What every HTML page of the front door sends: its security headers.

Pages run only their own files (``jeeves_frontend/static``): no inline script or style, nothing
from another origin, so even a flaw in how a page shows a value cannot run injected code.
"""

from __future__ import annotations

from quart import Response

#: The Content-Security-Policy of every page.
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
#: Headers of every page: the policy; no MIME sniffing; no ``Referer`` (a redirect page's URL
#: holds a one-time code); never cached (pages are per person).
PAGE_HEADERS = {
    "Content-Security-Policy": PAGE_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def html_page(body: str, status: int = 200) -> Response:
    """An HTML response with :data:`PAGE_HEADERS`."""
    return Response(
        body, status=status, content_type="text/html; charset=utf-8", headers=PAGE_HEADERS
    )
