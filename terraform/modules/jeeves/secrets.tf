# The Secrets, only when var.secrets is given (terraform/jeeves generates the values). Their
# names are what the Deployments reference; whoever applies k8s/ instead creates them by hand
# (docs/deploy.md).

locals {
  # What the worker kinds ask for (workers.runner: WORKER_SCOPES, POSTER_SCOPES,
  # SCHEDULER_SCOPES); tests/deploy/test_consistency.py checks it against the code.
  worker_client_scopes = sort([
    "events:claim", "installations:token", "installations:write", "reminders:read",
    "reminders:write", "schedule:claim", "users:read", "users:write",
  ])
  # What the front door asks for (jeeves_shared.dataclient.scopes.FRONTEND_SCOPES).
  frontend_client_scopes = sort([
    "events:claim", "installations:read", "installations:token", "installations:write",
    "sessions:read", "sessions:write",
  ])

  secret_data = var.secrets == null ? {} : {
    "jeeves-slack" = {
      "signing-secret" = var.secrets.slack_signing_secret
      "bot-token"      = var.secrets.slack_bot_token
      "client-secret"  = var.secrets.slack_client_secret
    }
    "jeeves-weather"         = { "api-key" = var.secrets.weather_api_key }
    "jeeves-worker-client"   = { "client-secret" = var.secrets.worker_client_secret }
    "jeeves-frontend-client" = { "client-secret" = var.secrets.frontend_client_secret }
    "jeeves-dashboard"       = { "secret-keys" = var.secrets.dashboard_secret_keys }
    "jeeves-dataservice"     = { "encryption-keys" = var.secrets.encryption_keys }
    "jeeves-tokendealer" = { clients = jsonencode({ clients = [{
      id          = local.config.workers.JEEVES_WORKER_CLIENT_ID
      secret_hash = var.secrets.worker_client_secret_hash
      audiences   = [local.config.dataservice.JEEVES_DATASERVICE_JWT_AUDIENCE]
      scopes      = local.worker_client_scopes
      }, {
      id          = local.config.frontend.JEEVES_FRONTEND_CLIENT_ID
      secret_hash = var.secrets.frontend_client_secret_hash
      audiences   = [local.config.dataservice.JEEVES_DATASERVICE_JWT_AUDIENCE]
      scopes      = local.frontend_client_scopes
    }] }) }
    "jeeves-tokendealer-keys" = { "signing.pem" = var.secrets.signing_key_pem }
    (local.postgres_owner_secret) = {
      username = var.postgres.owner
      password = var.secrets.postgres_password
    }
  }

  secret_objects = { for name, data in local.secret_data : "Secret/${name}" => {
    apiVersion = "v1"
    kind       = "Secret"
    metadata   = { name = name, namespace = local.ns, labels = { "app.kubernetes.io/part-of" = "jeeves" } }
    # CloudNativePG wants its owner's credentials as a basic-auth Secret.
    type = name == local.postgres_owner_secret ? "kubernetes.io/basic-auth" : "Opaque"
    data = { for k, v in data : k => base64encode(v) }
  } }
}
