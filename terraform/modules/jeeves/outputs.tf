locals {
  # Grouped by when terraform/jeeves applies them: the foundation, then the migration Job
  # (waited for), then the workloads. Keys are "<Kind>/<name>".
  foundation = merge(
    { "Namespace/${local.ns}" = local.namespace },
    { for c, o in local.config_maps : "ConfigMap/${o.metadata.name}" => o },
    { for n, o in local.network_policies : "NetworkPolicy/${o.metadata.name}" => o },
    { "RabbitmqCluster/${local.rabbitmq_name}" = local.rabbitmq_cluster },
    { "Cluster/${local.postgres_name}" = local.postgres_cluster },
    { "TriggerAuthentication/jeeves-rabbitmq" = local.trigger_authentication },
    { "Gateway/jeeves" = local.gateway },
  )
  migration = { "Job/${local.migration_job.metadata.name}" = local.migration_job }
  workloads = merge(
    { for c, o in local.deployments : "Deployment/${o.metadata.name}" => o },
    { for c, o in local.services : "Service/${o.metadata.name}" => o },
    { for c, o in local.hpas : "HorizontalPodAutoscaler/${o.metadata.name}" => o },
    { for c, o in local.pdbs : "PodDisruptionBudget/${o.metadata.name}" => o },
    { for c, o in local.scaled_objects : "ScaledObject/${o.metadata.name}" => o },
    { "HTTPRoute/jeeves-frontend" = local.http_route },
  )
}

output "namespace" {
  description = "The namespace of every object."
  value       = local.ns
}

output "foundation" {
  description = "Namespace, ConfigMaps, NetworkPolicies, RabbitmqCluster, CloudNativePG Cluster, KEDA TriggerAuthentication, Gateway: applied first."
  value       = local.foundation
}

output "migration" {
  description = "The migration Job (`jeeves db upgrade`): applied after the foundation, waited for before the workloads."
  value       = local.migration
}

output "workloads" {
  description = "Deployments, Services, HPAs, PodDisruptionBudgets, ScaledObjects, HTTPRoute."
  value       = local.workloads
}

output "manifests_yaml" {
  description = "Every non-secret object as one multi-document YAML stream (what k8s/base holds)."
  value = join("", [
    for key, o in merge(local.foundation, local.migration, local.workloads) : "---\n${yamlencode(o)}"
  ])
}

output "worker_client_scopes" {
  description = "The Data Service scopes the workers' OAuth2 client may ask the TokenDealer for."
  value       = local.worker_client_scopes
}

output "frontend_client_scopes" {
  description = "The Data Service scopes the front door's OAuth2 client may ask the TokenDealer for."
  value       = local.frontend_client_scopes
}

output "secrets" {
  description = "The Secret objects (only when var.secrets is set)."
  value       = local.secret_objects
  sensitive   = true
}
