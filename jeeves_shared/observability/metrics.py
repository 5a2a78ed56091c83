"""Every Prometheus metric Jeeves exports, declared once (the one module that declares them).

Served as ``GET /metrics`` (Prometheus text format) by every HTTP service
(:func:`jeeves_shared.observability.http.instrument`) and by every worker's health server
(:mod:`workers.health`). Conventions (Prometheus' own naming guide): base units (seconds,
bytes), ``_total`` on counters, histograms whose buckets span the milliseconds to seconds the
measured thing takes, and **no team, user, channel, event or message ids as labels**: every
label here takes a small, fixed set of values (a route *template*, never a raw path, so a storm
of 404s stays one series; a Slack error *code*; a worker *kind*). Anything a client sends is
reduced to such a set (:func:`bounded`) before it becomes a label value.

One registry per process, declared at import: prometheus-client's default
:data:`~prometheus_client.REGISTRY`. A module is imported once per process, so building an app
twice (tests do, ``jeeves dev`` builds three apps in one process) registers nothing twice; in
``jeeves dev`` every ``/metrics`` shows the whole process, and the ``service`` label of the HTTP
metrics tells its three apps apart. Each Jeeves process runs one Hypercorn worker (one event
loop), so prometheus-client's multi-process mode is not needed: Kubernetes scales by pods, and
Prometheus sums over them.
"""

from __future__ import annotations

import platform
import re
from importlib.metadata import PackageNotFoundError, version

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram
from prometheus_client import generate_latest as _generate_latest

__all__ = ["CONTENT_TYPE", "exposition"]

#: ``Content-Type`` of :func:`exposition` (the Prometheus text format, prometheus-client's latest).
CONTENT_TYPE = CONTENT_TYPE_LATEST

#: Milliseconds to seconds: one HTTP request or one database query.
FAST_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
#: One message's handling (Data Service calls, a weather API call, a Slack post).
HANDLING_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
#: Slack's event to the posted answer; 3 s is Slack's budget (the p99 alert's threshold).
ANSWER_BUCKETS = (0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0, 300.0)
#: How late the scheduler fires an item (ticks every few seconds; hours after an outage).
LATENESS_BUCKETS = (0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0, 21600.0)


def _version() -> str:
    try:
        return version("jeeves")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


BUILD_INFO = Gauge(
    "jeeves_build_info",
    "Always 1; the labels say which Jeeves (and Python) this process runs.",
    ["version", "python"],
)
BUILD_INFO.labels(version=_version(), python=platform.python_version()).set(1)

# --- HTTP services (front door, Data Service, TokenDealer) ------------------------------------
HTTP_REQUESTS = Counter(
    "jeeves_http_requests_total",
    "HTTP requests answered, by service, method, route template and status code.",
    ["service", "method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "jeeves_http_request_duration_seconds",
    "Seconds from the request reaching the app to its response, by route template and status.",
    ["service", "method", "route", "status"],
    buckets=FAST_BUCKETS,
)

# --- the front door ---------------------------------------------------------------------------
SLACK_EVENTS = Counter(
    "jeeves_slack_events_total",
    "Slack requests by type (event type, slash_command, url_verification, ...) and outcome: "
    "published, ignored (reason), duplicate (a Slack retry), answered (no worker needed), "
    "refused (reason: the HTTP status 400, 401, 413 or 503).",
    ["type", "outcome", "reason"],
)

# --- the bus ----------------------------------------------------------------------------------
PUBLISHES = Counter(
    "jeeves_bus_publishes_total",
    "Messages published, by exchange and result: confirmed, unroutable, unavailable.",
    ["exchange", "result"],
)
PUBLISH_CONFIRM = Histogram(
    "jeeves_bus_publish_confirm_seconds",
    "Seconds from publishing a message to the broker's confirm (confirmed publishes only).",
    ["exchange"],
    buckets=FAST_BUCKETS,
)
MESSAGES_HANDLED = Counter(
    "jeeves_messages_handled_total",
    "Messages a worker kind handled, by outcome: acked, retried (sent to a delay queue), "
    "dead_lettered, returned (its copy could not be published: back to its queue).",
    ["kind", "outcome"],
)
MESSAGE_HANDLING = Histogram(
    "jeeves_message_handling_seconds",
    "Seconds a worker kind's handler took for one message, whatever its outcome.",
    ["kind"],
    buckets=HANDLING_BUCKETS,
)

# --- Slack's Web API (the poster and the user worker) -----------------------------------------
SLACK_API_CALLS = Counter(
    "jeeves_slack_api_calls_total",
    "Slack Web API calls by method and result: ok, Slack's error code, or the failure "
    "(connection_error, timeout); response_url posts count as method response_url.",
    ["method", "result"],
)
SLACK_RATE_LIMITED = Counter(
    "jeeves_slack_rate_limited_total",
    "HTTP 429 answers from Slack's Web API, by method.",
    ["method"],
)
SLACK_RATE_LIMIT_WAIT = Counter(
    "jeeves_slack_rate_limit_wait_seconds_total",
    "Seconds spent waiting out Slack's Retry-After before retrying, by method.",
    ["method"],
)
SLACK_TOKEN_REFRESH = Counter(
    "jeeves_slack_token_refresh_total",
    "Refreshes of expiring bot tokens (OAuth v2 token rotation), by result: ok or failed.",
    ["result"],
)
REPLY_CLAIMS = Counter(
    "jeeves_reply_claims_total",
    "The Slack poster's claims on reply parts, by outcome: new (first claim), done (already "
    "posted: skipped), held (another poster is on it: retried later), taken_over (a dead "
    "poster's lease ran out).",
    ["outcome"],
)
EVENT_TO_REPLY = Histogram(
    "jeeves_slack_event_to_reply_seconds",
    "Seconds from Slack's event (the message's ts) to the first part of its answer posted.",
    buckets=ANSWER_BUCKETS,
)

# --- the scheduler ----------------------------------------------------------------------------
SCHEDULER_LATENESS = Histogram(
    "jeeves_scheduler_lateness_seconds",
    "Seconds between an item falling due and the scheduler firing it, by item: reminder, alert.",
    ["item"],
    buckets=LATENESS_BUCKETS,
)

# --- the TokenDealer --------------------------------------------------------------------------
TOKENS = Counter(
    "jeeves_tokendealer_tokens_total",
    "Token requests by result: issued, or the RFC 6749 error code it was refused with.",
    ["result"],
)

# --- the Data Service -------------------------------------------------------------------------
QUERY_DURATION = Histogram(
    "jeeves_dataservice_query_duration_seconds",
    "Seconds one SQL statement took in the database driver, by statement (select, insert, ...).",
    ["statement"],
    buckets=FAST_BUCKETS,
)

#: A code or a name (``invalid_auth``, ``app_mention``, ``chat.postMessage``): it starts with a
#: lower-case letter and has no digits, so a Slack id (``U0123ABC``, ``T0…``) never passes.
_LABEL_VALUE = re.compile(r"[a-z][a-zA-Z_.]{0,47}")


def bounded(value: object, allowed: frozenset[str] | None = None, *, other: str = "other") -> str:
    """``value`` as a label value: itself if ``allowed`` has it (or, without ``allowed``, if it
    looks like a code or method name: a lower-case letter, then letters, ``_`` and ``.``, no
    digits, at most 48 characters), else ``other``.

    Used for everything that comes from outside (Slack's error codes, event types): a label
    must never take an unbounded set of values.
    """
    if not isinstance(value, str):
        return other
    if allowed is not None:
        return value if value in allowed else other
    return value if _LABEL_VALUE.fullmatch(value) else other


def exposition() -> bytes:
    """This process's metrics in the Prometheus text format (``GET /metrics``)."""
    return _generate_latest(REGISTRY)
