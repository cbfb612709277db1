# Sourced by the scripts that read the hashicorp/aws provider's schema:
# `provider_schema DIR` writes DIR/schema.json (`terraform providers schema
# -json`) and DIR/version.json, offline, with the provider from a local
# filesystem mirror (TERRANE_TF_PLUGIN_MIRROR, default /opt/tf-plugins).
provider_schema() {
  local work="$1"
  local mirror="${TERRANE_TF_PLUGIN_MIRROR:-/opt/tf-plugins}"
  cat > "$work/main.tf" <<'TF'
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}
TF
  printf 'provider_installation {\n  filesystem_mirror {\n    path = "%s"\n  }\n}\n' "$mirror" > "$work/cli.tfrc"
  TF_CLI_CONFIG_FILE="$work/cli.tfrc" terraform -chdir="$work" init -input=false -no-color > /dev/null
  TF_CLI_CONFIG_FILE="$work/cli.tfrc" terraform -chdir="$work" providers schema -json > "$work/schema.json"
  TF_CLI_CONFIG_FILE="$work/cli.tfrc" terraform -chdir="$work" version -json > "$work/version.json"
}
