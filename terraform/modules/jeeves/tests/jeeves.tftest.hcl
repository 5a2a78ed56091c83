# `terraform test` of the provider-free module: offline, seconds (tests/deploy runs it).

variables {
  image = "ghcr.io/example/jeeves@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
}

run "every_process_is_a_hardened_deployment" {
  command = apply

  assert {
    condition = toset([for d in values(output.workloads) : d.spec.template.spec.containers[0].command if d.kind == "Deployment"]) == toset([
      ["jeeves", "serve", "frontend"], ["jeeves", "serve", "dataservice"], ["jeeves", "serve", "tokendealer"],
      ["jeeves", "worker", "help"], ["jeeves", "worker", "weather"], ["jeeves", "worker", "user"],
      ["jeeves", "worker", "reminders"], ["jeeves", "worker", "slack"], ["jeeves", "worker", "scheduler"],
    ])
    error_message = "each HTTP service and worker kind must run as its own Deployment"
  }

  assert {
    condition = alltrue([for d in values(output.workloads) : alltrue([
      d.spec.template.spec.automountServiceAccountToken == false,
      d.spec.template.spec.securityContext.runAsNonRoot,
      d.spec.template.spec.securityContext.seccompProfile.type == "RuntimeDefault",
      d.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem,
      d.spec.template.spec.containers[0].securityContext.capabilities.drop == ["ALL"],
      d.spec.template.spec.containers[0].resources.limits.memory != "",
    ]) if d.kind == "Deployment"])
    error_message = "every pod must be non-root, read-only, capability-free, RuntimeDefault, with limits and no token"
  }

  assert {
    condition     = length([for o in values(output.workloads) : o if o.kind == "ScaledObject"]) == 5
    error_message = "each queue-consuming worker kind (all but the scheduler) needs a ScaledObject"
  }

  assert {
    condition = alltrue([for o in values(output.workloads) : (
      o.spec.triggers[0].metadata.protocol == "http" && o.spec.cooldownPeriod > 20
    ) if o.kind == "ScaledObject"])
    error_message = "KEDA must count unacknowledged messages (protocol http) and cool down longer than the drain"
  }

  assert {
    condition     = output.foundation["RabbitmqCluster/jeeves-rabbitmq"].spec.replicas == 3 && strcontains(output.foundation["RabbitmqCluster/jeeves-rabbitmq"].spec.rabbitmq.additionalConfig, "cluster_partition_handling = pause_minority")
    error_message = "RabbitMQ runs 3 replicas with pause_minority"
  }

  assert {
    condition     = output.foundation["Cluster/jeeves-postgres"].spec.instances == 3
    error_message = "PostgreSQL runs 3 instances"
  }

  assert {
    condition     = length(output.migration) == 1 && values(output.migration)[0].spec.template.spec.containers[0].command == ["jeeves", "db", "upgrade"]
    error_message = "one migration Job runs jeeves db upgrade"
  }

  assert {
    condition     = nonsensitive(length(output.secrets)) == 0
    error_message = "without var.secrets the module emits no Secret"
  }
}

run "a_new_image_is_a_new_migration_job" {
  command = apply
  variables {
    image = "ghcr.io/example/jeeves@sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
  }
  assert {
    condition     = keys(output.migration)[0] != "Job/jeeves-migrate-${substr(sha256("ghcr.io/example/jeeves@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"), 0, 10)}"
    error_message = "the migration Job's name must follow the image"
  }
}

run "secrets_when_given" {
  command = apply
  variables {
    secrets = {
      slack_signing_secret = "s3cr3t"
      slack_bot_token      = "xoxb-1"
      worker_client_secret = "client-secret"
      # checkov:skip=CKV_SECRET_6: a made-up hash of the right shape, for this test only
      worker_client_secret_hash = "$scrypt$ln=14,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"
      frontend_client_secret    = "frontend-secret"
      # checkov:skip=CKV_SECRET_6: a made-up hash of the right shape, for this test only
      frontend_client_secret_hash = "$scrypt$ln=14,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"
      encryption_keys             = "key"
      signing_key_pem             = "pem"
      # checkov:skip=CKV_SECRET_6: a made-up password for this test only
      postgres_password = "abcdefghijklmnop1234"
    }
  }
  assert {
    condition     = nonsensitive(jsondecode(base64decode(output.secrets["Secret/jeeves-tokendealer"].data.clients)).clients[0].id) == "jeeves-worker"
    error_message = "the TokenDealer's clients hold the workers' client"
  }
  assert {
    condition     = nonsensitive(jsondecode(base64decode(output.secrets["Secret/jeeves-tokendealer"].data.clients)).clients[1].id) == "jeeves-frontend"
    error_message = "the TokenDealer's clients hold the front door's client"
  }
  assert {
    condition     = nonsensitive(output.secrets["Secret/jeeves-postgres-credentials"].type) == "kubernetes.io/basic-auth"
    error_message = "CloudNativePG reads its owner's credentials from a basic-auth Secret"
  }
}

run "refuses_an_image_without_a_digest" {
  command = plan
  variables {
    image = "ghcr.io/example/jeeves:latest"
  }
  expect_failures = [var.image]
}

run "refuses_the_default_namespace" {
  command = plan
  variables {
    namespace = "default"
  }
  expect_failures = [var.namespace]
}

run "refuses_an_even_rabbitmq_cluster" {
  command = plan
  variables {
    rabbitmq = { replicas = 4 }
  }
  expect_failures = [var.rabbitmq]
}

run "refuses_fewer_than_three_postgres_instances" {
  command = plan
  variables {
    postgres = { instances = 1 }
  }
  expect_failures = [var.postgres]
}

run "refuses_a_cooldown_shorter_than_the_drain" {
  command = plan
  variables {
    drain_timeout   = 60
    cooldown_period = 30
  }
  expect_failures = [var.cooldown_period]
}

run "refuses_a_secret_in_a_configmap" {
  command = plan
  variables {
    settings = { workers = { JEEVES_SLACK_BOT_TOKEN = "xoxb-oops" } }
  }
  expect_failures = [var.settings]
}

run "refuses_a_single_replica_http_service" {
  command = plan
  variables {
    http_replicas = { frontend = { min = 1, max = 3 }, dataservice = { min = 2, max = 3 }, tokendealer = { min = 2, max = 3 } }
  }
  expect_failures = [var.http_replicas]
}

run "refuses_a_password_that_breaks_the_url" {
  command = plan
  variables {
    secrets = {
      slack_signing_secret        = "s"
      slack_bot_token             = "t"
      worker_client_secret        = "c"
      worker_client_secret_hash   = "$scrypt$ln=14,r=8,p=1$c2FsdA$aGFzaA"
      frontend_client_secret      = "f"
      frontend_client_secret_hash = "$scrypt$ln=14,r=8,p=1$c2FsdA$aGFzaA"
      encryption_keys             = "k"
      signing_key_pem             = "p"
      # checkov:skip=CKV_SECRET_6: the malformed password this test expects to be refused
      postgres_password = "p@ss/word:with-specials"
    }
  }
  expect_failures = [var.secrets]
}
