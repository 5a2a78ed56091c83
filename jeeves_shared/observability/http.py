"""``GET /metrics`` and the HTTP metrics of a Quart app, in one call: :func:`instrument`."""

from __future__ import annotations

import time

from quart import Quart, Response, g, request

from jeeves_shared.observability.metrics import (
    CONTENT_TYPE,
    HTTP_DURATION,
    HTTP_REQUESTS,
    exposition,
)

#: The route label of a request no route matched (404, or 405 on a known path): one series
#: however many different paths a scanner tries.
UNMATCHED = "<unmatched>"
#: Methods are a label too; anything else a client invents is counted as ``OTHER``.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def instrument(app: Quart, service: str) -> None:
    """Serve ``GET /metrics`` on ``app`` and count and time its requests.

    Each request is counted in ``jeeves_http_requests_total`` and timed in
    ``jeeves_http_request_duration_seconds`` (labels: ``service``, ``method``, the matched
    route's *template* such as ``/api/v1/users/<user_id>``, never the raw path, and the status
    code). The time runs from this ``before_request`` hook to the response: call
    :func:`instrument` before registering the app's other hooks, so that they are timed too.
    """

    @app.before_request
    async def start_timer() -> None:
        g.jeeves_started = time.perf_counter()

    @app.after_request
    async def measure(response: Response) -> Response:
        started = g.get("jeeves_started")
        rule = request.url_rule
        method = request.method if request.method in METHODS else "OTHER"
        labels = (
            service,
            method,
            rule.rule if rule is not None else UNMATCHED,
            str(response.status_code),
        )
        HTTP_REQUESTS.labels(*labels).inc()
        if started is not None:
            HTTP_DURATION.labels(*labels).observe(time.perf_counter() - started)
        return response

    @app.get("/metrics")
    async def metrics() -> Response:
        """This process's metrics, in the Prometheus text format."""
        return Response(exposition(), content_type=CONTENT_TYPE)
