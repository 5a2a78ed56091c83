# Prometheus Operator objects and the Grafana dashboard: what scrapes Jeeves' GET /metrics
# (jeeves_shared/observability/metrics.py declares every jeeves_* metric), what alerts on it, and
# what shows it. Queue depths are not Jeeves' own metrics: they come from RabbitMQ's Prometheus
# plugin (enabled by the RabbitMQ Cluster Operator on the pods' "prometheus" port, 15692), read
# per queue from its /metrics/detailed endpoint.

locals {
  monitoring_on = var.monitoring.enabled
  monitoring_labels = merge({
    "app.kubernetes.io/name"      = "jeeves"
    "app.kubernetes.io/component" = "monitoring"
    "app.kubernetes.io/part-of"   = "jeeves"
  }, var.monitoring.labels)
  worker_components = [for kind in keys(local.worker_kinds) : "worker-${kind}"]
  # The RabbitMQ Prometheus plugin's port on the operator's pods.
  rabbitmq_metrics_port = 15692
  # Work queues (not the delay queues, not the dead-letter queue), as a PromQL label matcher.
  work_queue_pattern = join("|", [for kind, k in local.queue_kinds : replace(k.queue, ".", "\\\\.")])
  work_queues        = "queue=~\"${local.work_queue_pattern}\""

  # The HTTP services, through their Services (the port named http: 8000, 8002, 8003).
  service_monitor = {
    apiVersion = "monitoring.coreos.com/v1"
    kind       = "ServiceMonitor"
    metadata   = { name = "jeeves-http", namespace = local.ns, labels = local.monitoring_labels }
    spec = {
      selector = {
        matchLabels      = { "app.kubernetes.io/name" = "jeeves" }
        matchExpressions = [{ key = "app.kubernetes.io/component", operator = "In", values = keys(local.http_ports) }]
      }
      endpoints = [{ port = "http", path = "/metrics", interval = "30s", scrapeTimeout = "10s" }]
    }
  }

  # Workers have no Service: their pods' health port (JEEVES_WORKER_HEALTH_BIND) serves /metrics.
  pod_monitors = {
    workers = {
      apiVersion = "monitoring.coreos.com/v1"
      kind       = "PodMonitor"
      metadata   = { name = "jeeves-workers", namespace = local.ns, labels = local.monitoring_labels }
      spec = {
        selector = {
          matchLabels      = { "app.kubernetes.io/name" = "jeeves" }
          matchExpressions = [{ key = "app.kubernetes.io/component", operator = "In", values = local.worker_components }]
        }
        podMetricsEndpoints = [{ port = "health", path = "/metrics", interval = "30s", scrapeTimeout = "10s" }]
      }
    }
    # RabbitMQ's own plugin: /metrics (node totals) and /metrics/detailed with the per-queue
    # families (messages ready and unacknowledged, consumers), which the rules below read.
    rabbitmq = {
      apiVersion = "monitoring.coreos.com/v1"
      kind       = "PodMonitor"
      metadata   = { name = local.rabbitmq_name, namespace = local.ns, labels = local.monitoring_labels }
      spec = {
        selector = { matchLabels = { "app.kubernetes.io/name" = local.rabbitmq_name } }
        podMetricsEndpoints = [
          { port = "prometheus", path = "/metrics", interval = "30s" },
          { port = "prometheus", path = "/metrics/detailed", interval = "30s", params = { family = ["queue_coarse_metrics", "queue_consumer_count"] } },
        ]
      }
    }
  }

  alerts = [
    {
      alert  = "JeevesDeadLetterQueueNotEmpty"
      expr   = "sum(rabbitmq_detailed_queue_messages{queue=\"jeeves.dead-letter\"}) > 0"
      "for"  = "5m"
      labels = { severity = "warning" }
      annotations = {
        summary     = "Messages are waiting in the dead-letter queue"
        description = "{{ $value }} message(s) failed for good (RabbitMQ's own metric). Read them with `jeeves dlq list`; replay with `jeeves dlq replay` once fixed."
      }
    },
    {
      alert  = "JeevesQueueBacklogGrowing"
      expr   = "sum by (queue) (rabbitmq_detailed_queue_messages_ready{${local.work_queues}}) > ${var.queue_length_target * 10} and sum by (queue) (delta(rabbitmq_detailed_queue_messages_ready{${local.work_queues}}[10m])) > 0"
      "for"  = "10m"
      labels = { severity = "warning" }
      annotations = {
        summary     = "The backlog of {{ $labels.queue }} keeps growing"
        description = "{{ $value }} messages ready and still growing after 10 minutes (RabbitMQ's own metric): its workers do not keep up (KEDA at its maximum? a dependency slow?)."
      }
    },
    {
      alert  = "JeevesAnswersSlowerThanSlackBudget"
      expr   = "histogram_quantile(0.99, sum by (le) (rate(jeeves_slack_event_to_reply_seconds_bucket[10m]))) > 3"
      "for"  = "10m"
      labels = { severity = "warning" }
      annotations = {
        summary     = "p99 from a Slack event to its answer is over Slack's 3 s budget"
        description = "99th percentile {{ $value | humanizeDuration }} over 10 minutes (jeeves_slack_event_to_reply_seconds)."
      }
    },
    {
      alert  = "JeevesHttp5xx"
      expr   = "sum by (service) (rate(jeeves_http_requests_total{status=~\"5..\"}[5m])) / sum by (service) (rate(jeeves_http_requests_total[5m])) > 0.01"
      "for"  = "5m"
      labels = { severity = "critical" }
      annotations = {
        summary     = "{{ $labels.service }} answers more than 1% of requests with a 5xx"
        description = "{{ $value | humanizePercentage }} of requests over 5 minutes (jeeves_http_requests_total)."
      }
    },
    {
      alert  = "JeevesSlackRateLimited"
      expr   = "sum by (method) (increase(jeeves_slack_rate_limited_total[15m])) > 10"
      "for"  = "5m"
      labels = { severity = "warning" }
      annotations = {
        summary     = "Slack answers {{ $labels.method }} with 429s"
        description = "{{ $value }} rate-limited calls in 15 minutes (jeeves_slack_rate_limited_total); answers wait Retry-After."
      }
    },
    {
      alert  = "JeevesSlackTokenRefreshFailing"
      expr   = "sum(increase(jeeves_slack_token_refresh_total{result=\"failed\"}[15m])) > 0"
      "for"  = "0m"
      labels = { severity = "critical" }
      annotations = {
        summary     = "Refreshing an expiring Slack bot token failed"
        description = "{{ $value }} failed refreshes in 15 minutes (jeeves_slack_token_refresh_total): that workspace is not answered once its token expires."
      }
    },
  ]

  prometheus_rule = {
    apiVersion = "monitoring.coreos.com/v1"
    kind       = "PrometheusRule"
    metadata   = { name = "jeeves", namespace = local.ns, labels = local.monitoring_labels }
    spec       = { groups = [{ name = "jeeves", rules = local.alerts }] }
  }

  # Grafana's dashboard sidecar (kube-prometheus-stack's) loads ConfigMaps with this label.
  dashboard_config_map = {
    apiVersion = "v1"
    kind       = "ConfigMap"
    metadata   = { name = "jeeves-grafana-dashboard", namespace = local.ns, labels = merge(local.monitoring_labels, zipmap([var.monitoring.dashboard_label], ["1"])) }
    data       = { "jeeves.json" = file("${path.module}/dashboards/jeeves.json") }
  }

  monitoring_objects = { for key, o in merge(
    { "ServiceMonitor/jeeves-http" = local.service_monitor },
    { for n, o in local.pod_monitors : "PodMonitor/${o.metadata.name}" => o },
    { "PrometheusRule/jeeves" = local.prometheus_rule },
    { "ConfigMap/jeeves-grafana-dashboard" = local.dashboard_config_map },
  ) : key => o if local.monitoring_on }
}
