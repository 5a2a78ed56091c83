# Stage 1: the platform Jeeves runs on. Operators and their CRDs, as pinned Helm releases.
# Apply this first: stage 2 (terraform/jeeves) plans kubernetes_manifest objects of these CRDs,
# which the Kubernetes provider can only do once the CRDs exist in the cluster.

terraform {
  required_version = ">= 1.7.0"
  required_providers {
    helm = {
      source  = "hashicorp/helm"
      version = "~> 2.17"
    }
  }
}

variable "kubeconfig_path" {
  description = "kubeconfig of the target cluster."
  type        = string
  default     = "~/.kube/config"
}

variable "kube_context" {
  description = "The kubeconfig context to use (null: the current one)."
  type        = string
  default     = null
}

provider "helm" {
  kubernetes {
    config_path    = var.kubeconfig_path
    config_context = var.kube_context
  }
}

# RabbitMQ Cluster Operator: RabbitmqCluster.
resource "helm_release" "rabbitmq_operator" {
  name             = "rabbitmq-cluster-operator"
  repository       = "oci://registry-1.docker.io/bitnamicharts"
  chart            = "rabbitmq-cluster-operator"
  version          = "4.4.34"
  namespace        = "rabbitmq-system"
  create_namespace = true
  atomic           = true
  wait             = true
}

# CloudNativePG: PostgreSQL Cluster.
resource "helm_release" "cloudnativepg" {
  name             = "cnpg"
  repository       = "https://cloudnative-pg.github.io/charts"
  chart            = "cloudnative-pg"
  version          = "0.23.2"
  namespace        = "cnpg-system"
  create_namespace = true
  atomic           = true
  wait             = true
}

# KEDA: ScaledObject, TriggerAuthentication.
resource "helm_release" "keda" {
  name             = "keda"
  repository       = "https://kedacore.github.io/charts"
  chart            = "keda"
  version          = "2.16.1"
  namespace        = "keda"
  create_namespace = true
  atomic           = true
  wait             = true
}

# Envoy Gateway: a Gateway API implementation (installs the Gateway API CRDs too). Its
# GatewayClass "envoy-gateway" is what terraform/jeeves' Gateway names.
resource "helm_release" "envoy_gateway" {
  name             = "eg"
  repository       = "oci://docker.io/envoyproxy"
  chart            = "gateway-helm"
  version          = "v1.3.2"
  namespace        = "envoy-gateway-system"
  create_namespace = true
  atomic           = true
  wait             = true
}

# kube-prometheus-stack: the Prometheus Operator (ServiceMonitor, PodMonitor, PrometheusRule),
# Prometheus, Alertmanager and Grafana. Its Prometheus selects every monitor and rule (not only the
# chart's own), and Grafana's sidecar loads dashboards from ConfigMaps in every namespace: what
# terraform/jeeves' monitoring objects and dashboard need.
resource "helm_release" "kube_prometheus_stack" {
  name             = "kube-prometheus-stack"
  repository       = "https://prometheus-community.github.io/helm-charts"
  chart            = "kube-prometheus-stack"
  version          = "68.4.4"
  namespace        = "monitoring"
  create_namespace = true
  atomic           = true
  wait             = true

  set {
    name  = "prometheus.prometheusSpec.serviceMonitorSelectorNilUsesHelmValues"
    value = "false"
  }
  set {
    name  = "prometheus.prometheusSpec.podMonitorSelectorNilUsesHelmValues"
    value = "false"
  }
  set {
    name  = "prometheus.prometheusSpec.ruleSelectorNilUsesHelmValues"
    value = "false"
  }
  set {
    name  = "grafana.sidecar.dashboards.searchNamespace"
    value = "ALL"
  }
}

output "namespaces" {
  description = "Where each operator runs (terraform/jeeves' operator_namespaces and gateway.proxy_namespace)."
  value = {
    rabbitmq      = helm_release.rabbitmq_operator.namespace
    cloudnativepg = helm_release.cloudnativepg.namespace
    keda          = helm_release.keda.namespace
    gateway       = helm_release.envoy_gateway.namespace
    prometheus    = helm_release.kube_prometheus_stack.namespace
  }
}
