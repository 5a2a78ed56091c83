# Every Kubernetes object of Jeeves, computed from the variables. Nothing here talks to a
# cluster: terraform/jeeves applies the outputs, tests/deploy renders them to YAML (k8s/base).

locals {
  ns = var.namespace

  # The image's uid/gid (Dockerfile): fixed, so runAsUser can name it and runAsNonRoot check it.
  uid = 10001

  http_ports = { frontend = 8000, dataservice = 8002, tokendealer = 8003 }
  # A worker's /healthz and /readyz (JEEVES_WORKER_HEALTH_BIND).
  worker_health_port = 8081
  # Seconds an HTTP service stays up but unready after SIGTERM (JEEVES_SHUTDOWN_GRACE), then
  # Hypercorn drains for up to 20 s (jeeves.serving.GRACEFUL_TIMEOUT).
  shutdown_grace    = 5
  hypercorn_drain   = 20
  readiness_period  = 2
  readiness_failure = 2

  # `jeeves worker <kind>`: the queue each kind consumes (jeeves_shared.bus.topology.WORKER_QUEUES;
  # the scheduler has none) and what it talks to besides RabbitMQ (workers.runner.KINDS' needs):
  # data = the Data Service (with a TokenDealer token), slack = Slack's Web API, weather = the
  # weather API. tests/deploy/test_consistency.py checks this table against the code.
  worker_kinds = {
    help    = { queue = "jeeves.help", needs = [] }
    weather = { queue = "jeeves.weather", needs = ["data", "weather"] }
    # The new weather worker, rolled out by the front door's JEEVES_FLAGS ("weather-worker").
    # Always deployed (one idle replica until the flag sends it users), so that changing the
    # flag never routes to a queue nobody consumes (docs/observability.md, "Feature flags").
    weather-v2 = { queue = "jeeves.weather.v2", needs = ["data", "weather"] }
    user       = { queue = "jeeves.user", needs = ["data", "slack", "weather"] }
    reminders  = { queue = "jeeves.reminders", needs = ["data"] }
    slack      = { queue = "jeeves.slack-poster", needs = ["data", "slack"] }
    scheduler  = { queue = null, needs = ["data"] }
  }
  queue_kinds = { for kind, k in local.worker_kinds : kind => k if k.queue != null }
  data_kinds  = [for kind, k in local.worker_kinds : "worker-${kind}" if contains(k.needs, "data")]

  rabbitmq_name = "jeeves-rabbitmq"
  postgres_name = "jeeves-postgres"
  rabbitmq_host = "${local.rabbitmq_name}.${local.ns}.svc"
  # Secrets made by others: the RabbitMQ operator's default user; ours for the database owner.
  rabbitmq_user_secret   = "${local.rabbitmq_name}-default-user"
  postgres_owner_secret  = "${local.postgres_name}-credentials"
  tokendealer_key_folder = "/etc/jeeves/keys"

  labels = { for c in concat(keys(local.http_ports), [for k in keys(local.worker_kinds) : "worker-${k}"], ["migrate"]) : c => {
    "app.kubernetes.io/name"      = "jeeves"
    "app.kubernetes.io/component" = c
    "app.kubernetes.io/part-of"   = "jeeves"
  } }
  selector = { for c, l in local.labels : c => {
    "app.kubernetes.io/name"      = "jeeves"
    "app.kubernetes.io/component" = c
  } }

  # --- settings: one ConfigMap per component with every non-secret setting it reads ------------
  common_settings = {
    JEEVES_ENV        = "prod"
    JEEVES_LOG_LEVEL  = var.log_level
    JEEVES_LOG_FORMAT = "json"
  }
  default_settings = {
    # `jeeves db upgrade` reads the database URL (from the Secret) and the logging settings.
    migrate = {}
    frontend = {
      JEEVES_SLACK_BOT_USER_ID  = ""
      JEEVES_MAX_BODY_BYTES     = "1048576"
      JEEVES_PUBLISH_TIMEOUT    = "2.0"
      JEEVES_RECENT_EVENTS      = "10000"
      JEEVES_DATASERVICE_URL    = "http://jeeves-dataservice.${local.ns}.svc"
      JEEVES_TOKENDEALER_URL    = "http://jeeves-tokendealer.${local.ns}.svc"
      JEEVES_FRONTEND_CLIENT_ID = "jeeves-frontend"
      # The Slack app: workspace installs (/slack/install) and Sign in with Slack; empty client
      # id: both pages say they are not set up. Its secret is in jeeves-slack.
      JEEVES_SLACK_CLIENT_ID       = var.slack_client_id
      JEEVES_PUBLIC_URL            = "https://${var.hostname}"
      JEEVES_SLACK_API_URL         = "https://slack.com/api/"
      JEEVES_SLACK_OPENID_JWKS_URL = "https://slack.com/openid/connect/keys"
      # Where the browser is sent to approve Sign in with Slack (the front door never calls it).
      JEEVES_SLACK_OPENID_AUTHORIZE_URL = "https://slack.com/openid/connect/authorize"
      # With installs on, each event's installation is looked up (cached this long, this many).
      JEEVES_INSTALLATION_CACHE_SIZE    = "10000"
      JEEVES_INSTALLATION_CACHE_SECONDS = "30.0"
      # Feature flag rollouts (JSON); empty: none, every user gets the current workers. The
      # scheduler reads this one too (flags_env), for the daily alerts.
      JEEVES_FLAGS = ""
      # The dashboard (docs/dashboard.md): sessions last hours, cookies only over HTTPS.
      JEEVES_DASHBOARD_SESSION_HOURS       = "12"
      JEEVES_DASHBOARD_COOKIE_SECURE       = "true"
      JEEVES_DASHBOARD_ALLOWED_ORIGINS     = ""
      JEEVES_DASHBOARD_SIGN_INS_PER_MINUTE = "10"
      JEEVES_DASHBOARD_WRITES_PER_MINUTE   = "60"
    }
    dataservice = {
      JEEVES_DATASERVICE_JWKS_URL       = "http://jeeves-tokendealer.${local.ns}.svc/.well-known/jwks.json"
      JEEVES_DATASERVICE_JWT_ISSUER     = "jeeves-tokendealer"
      JEEVES_DATASERVICE_JWT_AUDIENCE   = "dataservice"
      JEEVES_DATASERVICE_DB_POOL_SIZE   = "10"
      JEEVES_DATASERVICE_GZIP_MIN_BYTES = "1024"
      # Token refreshes (oauth.v2.access): the Slack app's client id; its secret is a Secret.
      JEEVES_SLACK_API_URL   = "https://slack.com/api/"
      JEEVES_SLACK_CLIENT_ID = var.slack_client_id
    }
    tokendealer = {
      # checkov:skip=CKV_SECRET_6: the issuer's name (a JWT "iss" claim), not a secret
      JEEVES_TOKENDEALER_ISSUER         = "jeeves-tokendealer"
      JEEVES_TOKENDEALER_TOKEN_LIFETIME = "900"
      JEEVES_TOKENDEALER_KEY_FILES      = "${local.tokendealer_key_folder}/signing.pem"
      JEEVES_TOKENDEALER_MAX_FAILURES   = "5"
      JEEVES_TOKENDEALER_FAILURE_WINDOW = "60"
      JEEVES_TOKENDEALER_JWKS_MAX_AGE   = "300"
    }
    workers = {
      JEEVES_SLACK_API_URL             = "https://slack.com/api/"
      JEEVES_SLACK_RESPONSE_URL_PREFIX = "https://hooks.slack.com/"
      JEEVES_WEATHER_API_URL           = "https://api.openweathermap.org/data/2.5"
      JEEVES_DATASERVICE_URL           = "http://jeeves-dataservice.${local.ns}.svc"
      JEEVES_TOKENDEALER_URL           = "http://jeeves-tokendealer.${local.ns}.svc"
      JEEVES_WORKER_CLIENT_ID          = "jeeves-worker"
      JEEVES_PUBLIC_URL                = "https://${var.hostname}"
      JEEVES_PREFETCH                  = "32"
      JEEVES_SLACK_PREFETCH            = "128"
      JEEVES_DRAIN_TIMEOUT             = tostring(var.drain_timeout)
      JEEVES_SLACK_MAX_RETRIES         = "3"
      JEEVES_SCHEDULER_INTERVAL        = "5.0"
      JEEVES_RETRY_DELAYS              = "1,5,30,60,120"
      # Set (installs on): each installation's own bot token, from the Data Service; empty:
      # JEEVES_SLACK_BOT_TOKEN for one workspace.
      JEEVES_SLACK_CLIENT_ID = var.slack_client_id
    }
  }
  config = { for c, d in local.default_settings : c => merge(local.common_settings, d, lookup(var.settings, c, {})) }

  # --- secrets, as environment variables read from Secrets (never in a ConfigMap) -------------
  secret_env = {
    slack_signing_secret   = { name = "JEEVES_SLACK_SIGNING_SECRET", valueFrom = { secretKeyRef = { name = "jeeves-slack", key = "signing-secret" } } }
    slack_bot_token        = { name = "JEEVES_SLACK_BOT_TOKEN", valueFrom = { secretKeyRef = { name = "jeeves-slack", key = "bot-token" } } }
    weather_api_key        = { name = "JEEVES_WEATHER_API_KEY", valueFrom = { secretKeyRef = { name = "jeeves-weather", key = "api-key", optional = true } } }
    worker_client_secret   = { name = "JEEVES_WORKER_CLIENT_SECRET", valueFrom = { secretKeyRef = { name = "jeeves-worker-client", key = "client-secret" } } }
    frontend_client_secret = { name = "JEEVES_FRONTEND_CLIENT_SECRET", valueFrom = { secretKeyRef = { name = "jeeves-frontend-client", key = "client-secret" } } }
    dashboard_secret_keys  = { name = "JEEVES_DASHBOARD_SECRET_KEYS", valueFrom = { secretKeyRef = { name = "jeeves-dashboard", key = "secret-keys" } } }
    # Optional: without it (one-workspace mode, token rotation off) nothing is refreshed.
    slack_client_secret = { name = "JEEVES_SLACK_CLIENT_SECRET", valueFrom = { secretKeyRef = { name = "jeeves-slack", key = "client-secret", optional = true } } }
    encryption_keys     = { name = "JEEVES_DATASERVICE_ENCRYPTION_KEYS", valueFrom = { secretKeyRef = { name = "jeeves-dataservice", key = "encryption-keys" } } }
    tokendealer_clients = { name = "JEEVES_TOKENDEALER_CLIENTS", valueFrom = { secretKeyRef = { name = "jeeves-tokendealer", key = "clients" } } }
  }
  # JEEVES_AMQP_URL and JEEVES_DATABASE_URL are built from their Secrets' parts by Kubernetes'
  # $(VAR) expansion: both passwords are URL-safe (the operator's base64url, ours alphanumeric).
  amqp_env = [
    { name = "RABBITMQ_USERNAME", valueFrom = { secretKeyRef = { name = local.rabbitmq_user_secret, key = "username" } } },
    { name = "RABBITMQ_PASSWORD", valueFrom = { secretKeyRef = { name = local.rabbitmq_user_secret, key = "password" } } },
    { name = "JEEVES_AMQP_URL", value = "amqp://$(RABBITMQ_USERNAME):$(RABBITMQ_PASSWORD)@${local.rabbitmq_host}:5672/" },
  ]
  database_env = [
    { name = "PGUSER", valueFrom = { secretKeyRef = { name = local.postgres_owner_secret, key = "username" } } },
    { name = "PGPASSWORD", valueFrom = { secretKeyRef = { name = local.postgres_owner_secret, key = "password" } } },
    { name = "JEEVES_DATABASE_URL", value = "postgresql+asyncpg://$(PGUSER):$(PGPASSWORD)@${local.postgres_name}-rw.${local.ns}.svc:5432/${var.postgres.database}" },
  ]

  http_env = {
    frontend    = concat(local.amqp_env, [local.secret_env.slack_signing_secret, local.secret_env.frontend_client_secret, local.secret_env.slack_client_secret, local.secret_env.dashboard_secret_keys])
    dataservice = concat(local.database_env, [local.secret_env.encryption_keys, local.secret_env.slack_client_secret])
    tokendealer = [local.secret_env.tokendealer_clients]
  }
  # The scheduler routes each daily alert by the rollout flags as the front door routes chat
  # (docs/observability.md, "Feature flags"): it reads JEEVES_FLAGS from the front door's
  # ConfigMap, so one setting (settings.frontend) routes both.
  flags_env = { name = "JEEVES_FLAGS", valueFrom = { configMapKeyRef = { name = "jeeves-frontend", key = "JEEVES_FLAGS" } } }
  worker_env = { for kind, k in local.worker_kinds : kind => concat(
    local.amqp_env,
    [for s in ["worker_client_secret"] : local.secret_env[s] if contains(k.needs, "data")],
    [for s in ["slack_bot_token"] : local.secret_env[s] if contains(k.needs, "slack")],
    [for s in ["weather_api_key"] : local.secret_env[s] if contains(k.needs, "weather")],
    [for e in [local.flags_env] : e if kind == "scheduler"],
  ) }

  # --- hardened pods -------------------------------------------------------------------------
  pod_security = {
    runAsNonRoot   = true
    runAsUser      = local.uid
    runAsGroup     = local.uid
    fsGroup        = local.uid
    seccompProfile = { type = "RuntimeDefault" }
  }
  container_security = {
    runAsNonRoot             = true
    runAsUser                = local.uid
    runAsGroup               = local.uid
    allowPrivilegeEscalation = false
    privileged               = false
    readOnlyRootFilesystem   = true
    capabilities             = { drop = ["ALL"] }
    seccompProfile           = { type = "RuntimeDefault" }
  }
  resources = {
    requests = { cpu = "100m", memory = "192Mi" }
    limits   = { cpu = "1", memory = "512Mi" }
  }
  # The root filesystem is read-only; Python and libraries may still want a scratch folder.
  tmp_volume = { name = "tmp", emptyDir = { medium = "Memory", sizeLimit = "64Mi" } }
  tmp_mount  = { name = "tmp", mountPath = "/tmp" }

  # --- the processes: one Deployment per HTTP service and per worker kind ------------------
  apps = merge(
    { for svc, port in local.http_ports : svc => {
      command        = ["jeeves", "serve", svc]
      config         = svc
      port_name      = "http"
      port           = port
      env            = concat([{ name = "JEEVES_${upper(svc)}_BIND", value = "0.0.0.0:${port}" }, { name = "JEEVES_SHUTDOWN_GRACE", value = tostring(local.shutdown_grace) }], local.http_env[svc])
      grace          = local.shutdown_grace + local.hypercorn_drain + 10
      ready_period   = local.readiness_period
      ready_failures = local.readiness_failure
      key_volume     = svc == "tokendealer"
    } },
    { for kind, k in local.worker_kinds : "worker-${kind}" => {
      command        = ["jeeves", "worker", kind]
      config         = "workers"
      port_name      = "health"
      port           = local.worker_health_port
      env            = concat([{ name = "JEEVES_WORKER_HEALTH_BIND", value = "0.0.0.0:${local.worker_health_port}" }], local.worker_env[kind])
      grace          = var.drain_timeout + 10
      ready_period   = 5
      ready_failures = 1
      key_volume     = false
    } },
  )

  deployments = { for c, a in local.apps : c => {
    apiVersion = "apps/v1"
    kind       = "Deployment"
    metadata   = { name = "jeeves-${c}", namespace = local.ns, labels = local.labels[c] }
    # No replicas for the scaled ones: the HPA (HTTP services) or KEDA (workers) owns the count.
    # The scheduler is not scaled: two replicas (their leases keep them from firing twice).
    spec = merge({ for k, v in { replicas = 2 } : k => v if c == "worker-scheduler" }, {
      revisionHistoryLimit = 5
      selector             = { matchLabels = local.selector[c] }
      strategy             = { type = "RollingUpdate", rollingUpdate = { maxUnavailable = 0, maxSurge = 1 } }
      template = {
        metadata = { labels = local.labels[c] }
        spec = {
          automountServiceAccountToken  = false
          enableServiceLinks            = false
          terminationGracePeriodSeconds = a.grace
          securityContext               = local.pod_security
          containers = [{
            name            = c
            image           = var.image
            imagePullPolicy = "Always"
            command         = a.command
            ports           = [{ name = a.port_name, containerPort = a.port, protocol = "TCP" }]
            envFrom         = [{ configMapRef = { name = "jeeves-${a.config}" } }]
            env             = a.env
            resources       = local.resources
            securityContext = local.container_security
            startupProbe    = { httpGet = { path = "/healthz", port = a.port_name }, periodSeconds = 2, failureThreshold = 30 }
            livenessProbe   = { httpGet = { path = "/healthz", port = a.port_name }, periodSeconds = 10, failureThreshold = 3 }
            readinessProbe  = { httpGet = { path = "/readyz", port = a.port_name }, periodSeconds = a.ready_period, failureThreshold = a.ready_failures }
            volumeMounts = concat([local.tmp_mount], [for v in [1] : {
              name = "signing-keys", mountPath = local.tokendealer_key_folder, readOnly = true
            } if a.key_volume])
          }]
          volumes = concat([local.tmp_volume], [for v in [1] : {
            name = "signing-keys", secret = { secretName = "jeeves-tokendealer-keys", defaultMode = 256 }
          } if a.key_volume])
        }
      }
    })
  } }

  services = { for svc, port in local.http_ports : svc => {
    apiVersion = "v1"
    kind       = "Service"
    metadata   = { name = "jeeves-${svc}", namespace = local.ns, labels = local.labels[svc] }
    spec = {
      selector = local.selector[svc]
      ports    = [{ name = "http", port = 80, targetPort = "http", protocol = "TCP" }]
    }
  } }

  hpas = { for svc, port in local.http_ports : svc => {
    apiVersion = "autoscaling/v2"
    kind       = "HorizontalPodAutoscaler"
    metadata   = { name = "jeeves-${svc}", namespace = local.ns, labels = local.labels[svc] }
    spec = {
      scaleTargetRef = { apiVersion = "apps/v1", kind = "Deployment", name = "jeeves-${svc}" }
      minReplicas    = var.http_replicas[svc].min
      maxReplicas    = var.http_replicas[svc].max
      metrics        = [{ type = "Resource", resource = { name = "cpu", target = { type = "Utilization", averageUtilization = 70 } } }]
    }
  } }

  pdbs = { for c, a in local.apps : c => {
    apiVersion = "policy/v1"
    kind       = "PodDisruptionBudget"
    metadata   = { name = "jeeves-${c}", namespace = local.ns, labels = local.labels[c] }
    spec       = { maxUnavailable = 1, selector = { matchLabels = local.selector[c] } }
  } }

  trigger_authentication = {
    apiVersion = "keda.sh/v1alpha1"
    kind       = "TriggerAuthentication"
    metadata   = { name = "jeeves-rabbitmq", namespace = local.ns, labels = { "app.kubernetes.io/name" = "jeeves", "app.kubernetes.io/part-of" = "jeeves" } }
    spec = { secretTargetRef = [
      { parameter = "username", name = local.rabbitmq_user_secret, key = "username" },
      { parameter = "password", name = local.rabbitmq_user_secret, key = "password" },
    ] }
  }

  # protocol http: KEDA reads the management API's message count, ready AND unacknowledged, so a
  # busy worker is not scaled down mid-work (amqp mode sees only ready messages).
  scaled_objects = { for kind, k in local.queue_kinds : kind => {
    apiVersion = "keda.sh/v1alpha1"
    kind       = "ScaledObject"
    metadata   = { name = "jeeves-worker-${kind}", namespace = local.ns, labels = local.labels["worker-${kind}"] }
    spec = {
      scaleTargetRef  = { name = "jeeves-worker-${kind}" }
      minReplicaCount = lookup(var.worker_replicas, kind, { min = 1, max = 10 }).min
      maxReplicaCount = lookup(var.worker_replicas, kind, { min = 1, max = 10 }).max
      pollingInterval = 15
      cooldownPeriod  = var.cooldown_period
      advanced = { horizontalPodAutoscalerConfig = { behavior = { scaleDown = {
        stabilizationWindowSeconds = var.cooldown_period
      } } } }
      triggers = [{
        type = "rabbitmq"
        metadata = {
          protocol  = "http"
          host      = "http://${local.rabbitmq_host}:15672/"
          vhostName = "/"
          queueName = k.queue
          mode      = "QueueLength"
          value     = tostring(var.queue_length_target)
        }
        authenticationRef = { name = "jeeves-rabbitmq" }
      }]
    }
  } }

  migration_job = {
    apiVersion = "batch/v1"
    kind       = "Job"
    # Named after the image: a new image is a new Job, so its migrations run before the Data
    # Service of that image rolls out (terraform/jeeves waits for it to complete).
    metadata = { name = "jeeves-migrate-${substr(sha256(var.image), 0, 10)}", namespace = local.ns, labels = local.labels["migrate"] }
    spec = {
      # No ttlSecondsAfterFinished: Terraform would see the collected Job as gone and run it
      # again; the next image's apply replaces it instead.
      backoffLimit          = 4
      activeDeadlineSeconds = 600
      template = {
        metadata = { labels = local.labels["migrate"] }
        spec = {
          restartPolicy                = "OnFailure"
          automountServiceAccountToken = false
          enableServiceLinks           = false
          securityContext              = local.pod_security
          containers = [{
            name            = "migrate"
            image           = var.image
            imagePullPolicy = "Always"
            command         = ["jeeves", "db", "upgrade"]
            envFrom         = [{ configMapRef = { name = "jeeves-migrate" } }]
            env             = local.database_env
            resources       = local.resources
            securityContext = local.container_security
            volumeMounts    = [local.tmp_mount]
          }]
          volumes = [local.tmp_volume]
        }
      }
    }
  }

  config_maps = { for c, data in local.config : c => {
    apiVersion = "v1"
    kind       = "ConfigMap"
    metadata   = { name = "jeeves-${c}", namespace = local.ns, labels = { "app.kubernetes.io/name" = "jeeves", "app.kubernetes.io/part-of" = "jeeves" } }
    data       = data
  } }

  namespace = {
    apiVersion = "v1"
    kind       = "Namespace"
    metadata = { name = local.ns, labels = {
      "app.kubernetes.io/part-of" = "jeeves"
      # Pod Security Admission: the namespace refuses pods that are not "restricted".
      "pod-security.kubernetes.io/enforce" = "restricted"
      "pod-security.kubernetes.io/audit"   = "restricted"
      "pod-security.kubernetes.io/warn"    = "restricted"
    } }
  }

  rabbitmq_cluster = {
    apiVersion = "rabbitmq.com/v1beta1"
    kind       = "RabbitmqCluster"
    metadata   = { name = local.rabbitmq_name, namespace = local.ns, labels = { "app.kubernetes.io/part-of" = "jeeves" } }
    spec = {
      replicas = var.rabbitmq.replicas
      resources = {
        requests = { cpu = "500m", memory = "1Gi" }
        limits   = { cpu = "2", memory = "2Gi" }
      }
      persistence = { storage = var.rabbitmq.storage }
      rabbitmq = {
        # Quorum queues by default (replicated, Raft); a minority side of a partition pauses
        # instead of diverging.
        additionalConfig = join("\n", [
          "cluster_partition_handling = pause_minority",
          "default_queue_type = quorum",
        ])
      }
    }
  }

  postgres_cluster = {
    apiVersion = "postgresql.cnpg.io/v1"
    kind       = "Cluster"
    metadata   = { name = local.postgres_name, namespace = local.ns, labels = { "app.kubernetes.io/part-of" = "jeeves" } }
    spec = {
      instances             = var.postgres.instances
      primaryUpdateStrategy = "unsupervised"
      enableSuperuserAccess = false
      storage               = { size = var.postgres.storage }
      resources = {
        requests = { cpu = "500m", memory = "1Gi" }
        limits   = { cpu = "2", memory = "2Gi" }
      }
      bootstrap = { initdb = {
        database = var.postgres.database
        owner    = var.postgres.owner
        secret   = { name = local.postgres_owner_secret }
      } }
    }
  }

  gateway = {
    apiVersion = "gateway.networking.k8s.io/v1"
    kind       = "Gateway"
    metadata   = { name = "jeeves", namespace = local.ns, labels = { "app.kubernetes.io/part-of" = "jeeves" } }
    spec = {
      gatewayClassName = var.gateway.class_name
      listeners = [{
        name          = "https"
        protocol      = "HTTPS"
        port          = 443
        hostname      = var.hostname
        tls           = { mode = "Terminate", certificateRefs = [{ kind = "Secret", name = var.gateway.tls_secret_name }] }
        allowedRoutes = { namespaces = { from = "Same" } }
      }]
    }
  }

  # Only Slack's endpoints (events, commands, the install pages), the dashboard and the pages'
  # static files are public. No per-IP rate limit here: Slack sends from shared addresses, and
  # the request signature is the gate (and the install's one-time state).
  http_route = {
    apiVersion = "gateway.networking.k8s.io/v1"
    kind       = "HTTPRoute"
    metadata   = { name = "jeeves-frontend", namespace = local.ns, labels = local.labels["frontend"] }
    spec = {
      parentRefs = [{ name = "jeeves", sectionName = "https" }]
      hostnames  = [var.hostname]
      rules = [{
        matches = [
          { path = { type = "PathPrefix", value = "/slack" } },
          { path = { type = "PathPrefix", value = "/dashboard" } },
          { path = { type = "PathPrefix", value = "/api/me" } },
          # The pages' style sheets and icon (the install pages').
          { path = { type = "PathPrefix", value = "/static" } },
        ]
        backendRefs = [{ name = "jeeves-frontend", port = 80 }]
      }]
    }
  }
}
