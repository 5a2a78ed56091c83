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

variable "namespace" {
  description = "Namespace of Jeeves."
  type        = string
  default     = "jeeves"
}

variable "image" {
  description = "The image by digest, as image.yml recorded it: ghcr.io/<owner>/jeeves@sha256:..."
  type        = string
}

variable "hostname" {
  description = "Public DNS name of the front door."
  type        = string
}

variable "settings" {
  description = "Non-secret JEEVES_* overrides per component (see the module)."
  type        = map(map(string))
  default     = {}
}

# Slack's secrets come from the Slack app's settings page: pass them as TF_VAR_* environment
# variables, never in a committed tfvars file.
variable "slack_signing_secret" {
  description = "The Slack app's signing secret (JEEVES_SLACK_SIGNING_SECRET)."
  type        = string
  sensitive   = true
}

variable "slack_bot_token" {
  description = "The bot token, xoxb-... (JEEVES_SLACK_BOT_TOKEN)."
  type        = string
  sensitive   = true
}

variable "slack_client_id" {
  description = "The Slack app's client id (JEEVES_SLACK_CLIENT_ID); empty: installs, Sign in with Slack and token rotation are off."
  type        = string
  default     = ""
}

variable "slack_client_secret" {
  description = "The Slack app's client secret (JEEVES_SLACK_CLIENT_SECRET); empty: installs, Sign in with Slack and token rotation are off."
  type        = string
  default     = ""
  sensitive   = true
}

variable "weather_api_key" {
  description = "The weather provider's API key (JEEVES_WEATHER_API_KEY); empty: weather apologises."
  type        = string
  sensitive   = true
  default     = ""
}
