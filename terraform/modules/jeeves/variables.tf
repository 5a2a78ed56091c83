variable "namespace" {
  description = "Namespace of every Jeeves object (created by this module)."
  type        = string
  default     = "jeeves"
  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.namespace)) && var.namespace != "default"
    error_message = "namespace must be a DNS label (RFC 1123) other than \"default\"."
  }
}

variable "image" {
  description = "The Jeeves image by digest: <repository>@sha256:<64 hex digits> (image.yml records it)."
  type        = string
  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9._/:-]*@sha256:[0-9a-f]{64}$", var.image))
    error_message = "image must be pinned by digest: <repository>@sha256:<64 lowercase hex digits>."
  }
}

variable "hostname" {
  description = "Public DNS name of the front door (Slack's request URLs and the dashboard)."
  type        = string
  default     = "jeeves.example.com"
  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", var.hostname))
    error_message = "hostname must be a DNS name."
  }
}

variable "gateway" {
  description = <<-EOT
    The Gateway API Gateway this module creates: its GatewayClass (of the implementation installed
    by terraform/platform), the Secret with the TLS certificate for hostname, and the namespace of
    the implementation's proxies (the only pods allowed to reach the front door).
  EOT
  type = object({
    class_name      = optional(string, "envoy-gateway")
    tls_secret_name = optional(string, "jeeves-tls")
    proxy_namespace = optional(string, "envoy-gateway-system")
  })
  default = {}
}

variable "operator_namespaces" {
  description = "Namespaces of the operators that must reach their clusters' pods (their Helm releases' namespaces)."
  type = object({
    rabbitmq      = optional(string, "rabbitmq-system")
    cloudnativepg = optional(string, "cnpg-system")
    keda          = optional(string, "keda")
  })
  default = {}
}

variable "kubernetes_api_cidrs" {
  description = "Where the Kubernetes API server is; CloudNativePG's instance manager talks to it."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "slack_client_id" {
  description = "The Slack app's client id (JEEVES_SLACK_CLIENT_ID): workspace installs (the front door) and refreshing rotating bot tokens (the Data Service). Empty: neither."
  type        = string
  default     = ""
  validation {
    condition     = can(regex("^([0-9]+\\.[0-9]+)?$", var.slack_client_id))
    error_message = "slack_client_id looks like 1234567890.1234567890 (Basic Information in the Slack app)."
  }
}

variable "log_level" {
  description = "JEEVES_LOG_LEVEL of every process."
  type        = string
  default     = "INFO"
  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARNING or ERROR."
  }
}

variable "settings" {
  description = <<-EOT
    Non-secret JEEVES_* settings per component (frontend, dataservice, tokendealer, workers), merged
    over the module's defaults into that component's ConfigMap. Secrets never go here.
  EOT
  type        = map(map(string))
  default     = {}
  validation {
    condition = alltrue([
      for component, values in var.settings :
      contains(["frontend", "dataservice", "tokendealer", "workers"], component)
      && alltrue([for name in keys(values) : can(regex("^JEEVES_[A-Z0-9_]+$", name))])
    ])
    error_message = "settings keys are frontend, dataservice, tokendealer or workers, and each name is JEEVES_*."
  }
  validation {
    condition = alltrue(flatten([
      for values in values(var.settings) : [
        for name in keys(values) : !(
          can(regex("(SECRET|TOKEN|PASSWORD|_KEYS?$)", name)) ||
          contains(["JEEVES_AMQP_URL", "JEEVES_DATABASE_URL", "JEEVES_TOKENDEALER_CLIENTS"], name)
        )
      ]
    ]))
    error_message = "settings must not carry secrets (tokens, passwords, keys, URLs with credentials): those come from Secrets."
  }
}

variable "http_replicas" {
  description = "HPA bounds of each HTTP service (CPU-based)."
  type = map(object({
    min = number
    max = number
  }))
  default = {
    frontend    = { min = 2, max = 10 }
    dataservice = { min = 2, max = 6 }
    tokendealer = { min = 2, max = 4 }
  }
  validation {
    condition     = alltrue([for r in values(var.http_replicas) : r.min >= 2 && r.max >= r.min])
    error_message = "each HTTP service needs min >= 2 (one survives a disruption) and max >= min."
  }
}

variable "worker_replicas" {
  description = "KEDA bounds of each queue-consuming worker kind (missing kinds get min 1, max 10)."
  type = map(object({
    min = number
    max = number
  }))
  default = {}
  validation {
    condition     = alltrue([for r in values(var.worker_replicas) : r.min >= 1 && r.max >= r.min])
    error_message = "each worker kind needs min >= 1 and max >= min."
  }
}

variable "queue_length_target" {
  description = "Messages per worker replica KEDA aims at (ready plus unacknowledged)."
  type        = number
  default     = 20
  validation {
    condition     = var.queue_length_target >= 1
    error_message = "queue_length_target must be at least 1."
  }
}

variable "drain_timeout" {
  description = "JEEVES_DRAIN_TIMEOUT: seconds a worker finishes the messages it holds after SIGTERM."
  type        = number
  default     = 20
  validation {
    condition     = var.drain_timeout > 0 && var.drain_timeout <= 600
    error_message = "drain_timeout must be in (0, 600] seconds."
  }
}

variable "cooldown_period" {
  description = "KEDA cooldownPeriod and scale-down stabilisation, seconds; longer than the drain."
  type        = number
  default     = 300
  validation {
    condition     = var.cooldown_period > var.drain_timeout
    error_message = "cooldown_period must be longer than drain_timeout: a replica is not removed while it may still drain."
  }
}

variable "rabbitmq" {
  description = "The RabbitmqCluster: replicas (odd, >= 3: quorum queues and pause_minority need a majority) and storage."
  type = object({
    replicas = optional(number, 3)
    storage  = optional(string, "10Gi")
  })
  default = {}
  validation {
    condition     = var.rabbitmq.replicas >= 3 && var.rabbitmq.replicas % 2 == 1
    error_message = "rabbitmq.replicas must be odd and at least 3."
  }
}

variable "postgres" {
  description = "The CloudNativePG Cluster: instances (>= 3: one primary, two synchronous-capable standbys) and storage."
  type = object({
    instances = optional(number, 3)
    storage   = optional(string, "20Gi")
    database  = optional(string, "jeeves")
    owner     = optional(string, "jeeves")
  })
  default = {}
  validation {
    condition     = var.postgres.instances >= 3
    error_message = "postgres.instances must be at least 3."
  }
}

variable "secrets" {
  description = <<-EOT
    The secret values (terraform/jeeves generates them). Null: no Secret objects are emitted (the
    rendered k8s/ tree; whoever applies it creates them, see docs/deploy.md).
  EOT
  type = object({
    slack_signing_secret        = string
    slack_bot_token             = string
    weather_api_key             = optional(string, "")
    worker_client_secret        = string
    worker_client_secret_hash   = string
    frontend_client_secret      = string
    frontend_client_secret_hash = string
    slack_client_secret         = optional(string, "")
    encryption_keys             = string
    signing_key_pem             = string
    postgres_password           = string
  })
  default   = null
  sensitive = true
  validation {
    condition     = var.secrets == null || can(regex("^\\$scrypt\\$", var.secrets.frontend_client_secret_hash))
    error_message = "secrets.frontend_client_secret_hash must be a $scrypt$ PHC string (jeeves tokendealer hash-secret)."
  }
  validation {
    condition     = var.secrets == null || can(regex("^\\$scrypt\\$", var.secrets.worker_client_secret_hash))
    error_message = "secrets.worker_client_secret_hash must be a $scrypt$ PHC string (jeeves tokendealer hash-secret)."
  }
  validation {
    condition     = var.secrets == null || can(regex("^[A-Za-z0-9]{16,}$", var.secrets.postgres_password))
    error_message = "secrets.postgres_password must be at least 16 letters and digits (it goes into a URL unescaped)."
  }
}
