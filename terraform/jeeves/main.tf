# Stage 2: Jeeves itself. Generates its secrets (never in code or a committed tfvars), then
# applies the objects that terraform/modules/jeeves computes: the foundation, the migration Job
# (waited for), then the workloads. Needs stage 1 (terraform/platform) applied: the CRDs of
# RabbitmqCluster, Cluster, ScaledObject and Gateway must exist when this is planned.

terraform {
  required_version = ">= 1.7.0"
  required_providers {
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = "~> 2.36"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.7"
    }
    tls = {
      source  = "hashicorp/tls"
      version = "~> 4.0"
    }
    external = {
      source  = "hashicorp/external"
      version = "~> 2.3"
    }
  }
}

provider "kubernetes" {
  config_path    = var.kubeconfig_path
  config_context = var.kube_context
}

module "jeeves" {
  source    = "../modules/jeeves"
  namespace = var.namespace
  image     = var.image
  hostname  = var.hostname
  settings  = var.settings
  # The Slack app's client id: workspace installs (/slack/install) and token rotation (the
  # Data Service refreshes bot tokens); empty: one workspace, with slack_bot_token.
  slack_client_id = var.slack_client_id
  secrets = {
    slack_signing_secret        = var.slack_signing_secret
    slack_bot_token             = var.slack_bot_token
    weather_api_key             = var.weather_api_key
    worker_client_secret        = random_password.worker_client_secret.result
    worker_client_secret_hash   = data.external.worker_client_secret_hash.result.hash
    frontend_client_secret      = random_password.frontend_client_secret.result
    frontend_client_secret_hash = data.external.frontend_client_secret_hash.result.hash
    slack_client_secret         = var.slack_client_secret
    encryption_keys             = local.fernet_key
    signing_key_pem             = tls_private_key.tokendealer.private_key_pem_pkcs8
    postgres_password           = random_password.postgres.result
  }
}

# --- generated secrets ---------------------------------------------------------------------
# The TokenDealer's RS256 signing key (tokendealer.keys wants RSA >= 2048 bits). Rotate with
# `terraform apply -replace=tls_private_key.tokendealer` (docs/deploy.md).
resource "tls_private_key" "tokendealer" {
  algorithm = "RSA"
  rsa_bits  = 3072
}

# The workers' OAuth2 client secret; the TokenDealer keeps only its scrypt hash.
resource "random_password" "worker_client_secret" {
  length  = 48
  special = false
}

# The hash's salt is kept in the state, so the hash (and the Secret) is stable between plans.
resource "random_bytes" "worker_client_salt" {
  length = 16
}

# Terraform has no scrypt: scrypt_hash.py (Python's hashlib, no packages) makes the PHC string
# tokendealer.clients.verify_secret checks (tests/deploy checks that it does).
data "external" "worker_client_secret_hash" {
  program = ["python3", "${path.module}/scrypt_hash.py"]
  query = {
    secret = random_password.worker_client_secret.result
    salt   = random_bytes.worker_client_salt.base64
  }
}

# The front door's OAuth2 client secret (installations, sessions), hashed the same way.
resource "random_password" "frontend_client_secret" {
  length  = 48
  special = false
}

resource "random_bytes" "frontend_client_salt" {
  length = 16
}

data "external" "frontend_client_secret_hash" {
  program = ["python3", "${path.module}/scrypt_hash.py"]
  query = {
    secret = random_password.frontend_client_secret.result
    salt   = random_bytes.frontend_client_salt.base64
  }
}

# The Data Service's Fernet key: 32 random bytes, urlsafe base64.
resource "random_bytes" "fernet" {
  length = 32
}

locals {
  fernet_key = replace(replace(random_bytes.fernet.base64, "+", "-"), "/", "_")
}

# The database owner's password: alphanumeric, since it is spliced into JEEVES_DATABASE_URL.
resource "random_password" "postgres" {
  length  = 40
  special = false
}

# --- the objects, in order -------------------------------------------------------------------
resource "kubernetes_manifest" "foundation" {
  for_each = module.jeeves.foundation
  manifest = each.value
}

resource "kubernetes_manifest" "secrets" {
  for_each   = nonsensitive(toset(keys(module.jeeves.secrets)))
  manifest   = module.jeeves.secrets[each.key]
  depends_on = [kubernetes_manifest.foundation]
}

resource "kubernetes_manifest" "migration" {
  for_each = module.jeeves.migration
  manifest = each.value
  wait {
    condition {
      type   = "Complete"
      status = "True"
    }
  }
  timeouts {
    create = "10m"
  }
  depends_on = [kubernetes_manifest.secrets]
}

resource "kubernetes_manifest" "workloads" {
  for_each   = module.jeeves.workloads
  manifest   = each.value
  depends_on = [kubernetes_manifest.migration]
}
