# NetworkPolicies: everything in the namespace is denied, then each pod gets exactly the
# connections its code makes (tests/deploy/test_consistency.py derives them from the settings
# and worker kinds and compares). DNS is allowed to every pod.

locals {
  jeeves_pod      = { for c, s in local.selector : c => { podSelector = { matchLabels = s } } }
  rabbitmq_pods   = { podSelector = { matchLabels = { "app.kubernetes.io/name" = local.rabbitmq_name } } }
  postgres_pods   = { podSelector = { matchLabels = { "cnpg.io/cluster" = local.postgres_name } } }
  in_namespace    = { for n, v in var.operator_namespaces : n => { namespaceSelector = { matchLabels = { "kubernetes.io/metadata.name" = v } } } }
  gateway_proxies = { namespaceSelector = { matchLabels = { "kubernetes.io/metadata.name" = var.gateway.proxy_namespace } } }
  # Slack and the weather provider: anywhere on the internet, never the cluster's private ranges.
  internet = { ipBlock = { cidr = "0.0.0.0/0", except = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10"] } }

  tcp = { for p in [443, 4369, 5432, 5672, 6443, 8000, 8002, 8003, 8081, 15672, 15692, 25672] : tostring(p) => { protocol = "TCP", port = p } }

  amqp_clients   = concat(["frontend"], [for kind in keys(local.worker_kinds) : "worker-${kind}"])
  internet_kinds = [for kind, k in local.worker_kinds : "worker-${kind}" if contains(k.needs, "slack") || contains(k.needs, "weather")]

  # Egress of each Jeeves pod, as (peer, port) rules.
  egress = merge(
    {
      frontend = [
        { to = [local.rabbitmq_pods], ports = [local.tcp["5672"]] },
        # Slack: oauth.v2.access and auth.test when a workspace installs Jeeves,
        # openid.connect.token and Slack's keys when a person signs in to the dashboard.
        { to = [local.internet], ports = [local.tcp["443"]] },
        { to = [local.jeeves_pod.dataservice], ports = [local.tcp["8002"]] },
        { to = [local.jeeves_pod.tokendealer], ports = [local.tcp["8003"]] },
      ]
      dataservice = [
        { to = [local.postgres_pods], ports = [local.tcp["5432"]] },
        { to = [local.jeeves_pod.tokendealer], ports = [local.tcp["8003"]] },
        # Slack's oauth.v2.access: refreshing rotating bot tokens.
        { to = [local.internet], ports = [local.tcp["443"]] },
      ]
      tokendealer = []
      migrate     = [{ to = [local.postgres_pods], ports = [local.tcp["5432"]] }]
    },
    { for kind, k in local.worker_kinds : "worker-${kind}" => concat(
      [{ to = [local.rabbitmq_pods], ports = [local.tcp["5672"]] }],
      [for x in [1] : { to = [local.jeeves_pod.dataservice], ports = [local.tcp["8002"]] } if contains(k.needs, "data")],
      [for x in [1] : { to = [local.jeeves_pod.tokendealer], ports = [local.tcp["8003"]] } if contains(k.needs, "data")],
      [for x in [1] : { to = [local.internet], ports = [local.tcp["443"]] } if contains(k.needs, "slack") || contains(k.needs, "weather")],
    ) },
  )

  # Prometheus scrapes GET /metrics on each process's one port (monitoring.tf).
  scrape = { for c, a in local.apps : c => [
    for x in [1] : { from = [local.in_namespace.prometheus], ports = [local.tcp[tostring(a.port)]] } if local.monitoring_on
  ] }

  # Ingress of each Jeeves pod: who may call it (probes come from the kubelet, not a pod), and
  # Prometheus.
  ingress_callers = merge(
    {
      frontend    = [{ from = [local.gateway_proxies], ports = [local.tcp["8000"]] }]
      dataservice = [{ from = concat([local.jeeves_pod.frontend], [for c in local.data_kinds : local.jeeves_pod[c]]), ports = [local.tcp["8002"]] }]
      tokendealer = [{ from = concat([local.jeeves_pod.frontend, local.jeeves_pod.dataservice], [for c in local.data_kinds : local.jeeves_pod[c]]), ports = [local.tcp["8003"]] }]
      migrate     = []
    },
    { for kind in keys(local.worker_kinds) : "worker-${kind}" => [] },
  )
  ingress = { for c, rules in local.ingress_callers : c => concat(rules, lookup(local.scrape, c, [])) }

  network_policies = merge(
    {
      default-deny = {
        apiVersion = "networking.k8s.io/v1"
        kind       = "NetworkPolicy"
        metadata   = { name = "default-deny", namespace = local.ns }
        spec       = { podSelector = {}, policyTypes = ["Ingress", "Egress"] }
      }
      allow-dns = {
        apiVersion = "networking.k8s.io/v1"
        kind       = "NetworkPolicy"
        metadata   = { name = "allow-dns", namespace = local.ns }
        spec = {
          podSelector = {}
          policyTypes = ["Egress"]
          egress = [{
            to = [{
              namespaceSelector = { matchLabels = { "kubernetes.io/metadata.name" = "kube-system" } }
              podSelector       = { matchLabels = { "k8s-app" = "kube-dns" } }
            }]
            ports = [{ protocol = "UDP", port = 53 }, { protocol = "TCP", port = 53 }]
          }]
        }
      }
      # RabbitMQ: AMQP from the Jeeves pods that use it, the management API for KEDA and the
      # operator, its Prometheus plugin for Prometheus, Erlang distribution between the nodes.
      rabbitmq = {
        apiVersion = "networking.k8s.io/v1"
        kind       = "NetworkPolicy"
        metadata   = { name = local.rabbitmq_name, namespace = local.ns }
        spec = {
          podSelector = local.rabbitmq_pods.podSelector
          policyTypes = ["Ingress", "Egress"]
          ingress = concat([
            { from = [for c in local.amqp_clients : local.jeeves_pod[c]], ports = [local.tcp["5672"]] },
            { from = [local.in_namespace.keda, local.in_namespace.rabbitmq], ports = [local.tcp["15672"]] },
            { from = [local.rabbitmq_pods], ports = [local.tcp["4369"], local.tcp["25672"], local.tcp["5672"], local.tcp["15672"]] },
            ], [
            for x in [1] : { from = [local.in_namespace.prometheus], ports = [local.tcp[tostring(local.rabbitmq_metrics_port)]] } if local.monitoring_on
          ])
          egress = [{ to = [local.rabbitmq_pods], ports = [local.tcp["4369"], local.tcp["25672"], local.tcp["5672"], local.tcp["15672"]] }]
        }
      }
      # PostgreSQL: the Data Service and the migration Job; the operator's status checks;
      # replication between instances; the instance manager watches the Kubernetes API.
      postgres = {
        apiVersion = "networking.k8s.io/v1"
        kind       = "NetworkPolicy"
        metadata   = { name = local.postgres_name, namespace = local.ns }
        spec = {
          podSelector = local.postgres_pods.podSelector
          policyTypes = ["Ingress", "Egress"]
          ingress = [
            { from = [local.jeeves_pod.dataservice, local.jeeves_pod.migrate], ports = [local.tcp["5432"]] },
            { from = [local.in_namespace.cloudnativepg], ports = [local.tcp["8000"], local.tcp["5432"]] },
            { from = [local.postgres_pods], ports = [local.tcp["5432"], local.tcp["8000"]] },
          ]
          egress = [
            { to = [local.postgres_pods], ports = [local.tcp["5432"], local.tcp["8000"]] },
            { to = [for cidr in var.kubernetes_api_cidrs : { ipBlock = { cidr = cidr } }], ports = [local.tcp["443"], local.tcp["6443"]] },
          ]
        }
      }
    },
    { for c, rules in local.egress : "jeeves-${c}" => {
      apiVersion = "networking.k8s.io/v1"
      kind       = "NetworkPolicy"
      metadata   = { name = "jeeves-${c}", namespace = local.ns, labels = local.labels[c] }
      spec = {
        podSelector = { matchLabels = local.selector[c] }
        policyTypes = ["Ingress", "Egress"]
        ingress     = local.ingress[c]
        egress      = rules
      }
    } },
  )
}
