# Provider-free on purpose: this module only computes the Kubernetes objects of Jeeves from its
# variables, so `terraform validate` and `terraform test` run offline. The root module
# terraform/jeeves applies its outputs with the Kubernetes provider.
terraform {
  required_version = ">= 1.7.0"
}
