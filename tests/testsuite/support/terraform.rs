//! Pointing terraform's aws provider at a loopback endpoint (the emulator
//! or the proxy): an override file's provider block, which only terraform
//! reads. terrane takes the endpoint from `AWS_ENDPOINT_URL` instead. Also
//! where the machine keeps the provider's local mirror.

use std::path::{Path, PathBuf};

/// A `provider "aws"` block (with `alias`, when given) that sends every
/// service terrane's stacks use to `endpoint`, with the emulator's test
/// credentials and no account lookups.
pub fn provider_override(endpoint: &str, alias: Option<&str>) -> String {
    let services = [
        "autoscaling",
        "ec2",
        "eks",
        "elbv2",
        "iam",
        "route53",
        "s3",
        "sts",
        "wafv2",
    ]
    .iter()
    .map(|s| format!("    {s} = \"{endpoint}\"\n"))
    .collect::<String>();
    let alias = alias.map_or(String::new(), |a| format!("  alias = \"{a}\"\n"));
    format!(
        "provider \"aws\" {{\n{alias}  access_key                  = \"test\"\n  secret_key                  = \"test\"\n  skip_credentials_validation = true\n  skip_requesting_account_id  = true\n  skip_metadata_api_check     = true\n  s3_use_path_style           = true\n  endpoints {{\n{services}  }}\n}}\n"
    )
}

/// Where the machine's local mirror of the aws provider lives.
pub fn provider_mirror() -> Option<PathBuf> {
    let candidates = [
        std::env::var("TERRANE_TF_PLUGIN_MIRROR")
            .ok()
            .map(PathBuf::from),
        Some(PathBuf::from("/opt/tf-plugins")),
        std::env::var("HOME")
            .ok()
            .map(|h| Path::new(&h).join(".terraform.d/plugins")),
        Some(PathBuf::from("/usr/share/terraform/plugins")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|dir| dir.join("registry.terraform.io/hashicorp/aws").is_dir())
}

/// Runs `terraform ARGS` in `dir` with the emulator's environment (`env`),
/// with the CLI configuration that installs the provider from the local
/// mirror, and returns what it printed; a failure fails the test with its
/// output.
// The benchmark includes this file and runs terraform its own way, timed.
#[cfg_attr(not(test), allow(dead_code))]
pub fn run_terraform(
    dir: &Path,
    cli_config: &Path,
    env: &[(String, String)],
    args: &[&str],
) -> String {
    let output = std::process::Command::new("terraform")
        .args(args)
        .current_dir(dir)
        .env("TF_CLI_CONFIG_FILE", cli_config)
        .env("TF_IN_AUTOMATION", "1")
        .envs(env.iter().cloned())
        .output()
        .expect("run terraform");
    assert!(
        output.status.success(),
        "terraform {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}
