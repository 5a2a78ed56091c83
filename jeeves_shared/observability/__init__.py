"""What an operator sees of Jeeves besides its logs: metrics (and, with the tracing work, traces).

:mod:`~jeeves_shared.observability.metrics` declares every Prometheus metric;
:mod:`~jeeves_shared.observability.http` serves them and measures the HTTP services.
"""
