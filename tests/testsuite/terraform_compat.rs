//! The example stacks are also valid Terraform 1.x configurations with the
//! hashicorp/aws 5.x provider, so the two tools can be compared on the very
//! same files. Skipped, with a message, when terraform is not installed.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::cli::{copy_tree, repo_path};

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

pub fn terraform_available() -> bool {
    Command::new("terraform")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn terraform_validate(stack: &str) {
    if !terraform_available() {
        eprintln!("skipped: terraform is not installed, so {stack} was not validated with it");
        return;
    }
    let Some(mirror) = provider_mirror() else {
        eprintln!("skipped: no local mirror of the hashicorp/aws provider was found");
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    copy_tree(&repo_path(stack), dir.path());
    let cli_config = write_cli_config(dir.path(), &mirror);
    let terraform = |args: &[&str]| {
        Command::new("terraform")
            .args(args)
            .current_dir(dir.path())
            .env("TF_CLI_CONFIG_FILE", &cli_config)
            .env("TF_IN_AUTOMATION", "1")
            .output()
            .expect("run terraform")
    };
    let init = terraform(&["init", "-backend=false", "-input=false", "-no-color"]);
    assert!(
        init.status.success(),
        "terraform init failed:\n{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let validate = terraform(&["validate", "-no-color"]);
    assert!(
        validate.status.success(),
        "terraform validate {stack} failed:\n{}{}",
        String::from_utf8_lossy(&validate.stdout),
        String::from_utf8_lossy(&validate.stderr)
    );
}

/// Writes a terraform CLI configuration that installs the aws provider from
/// the local mirror (no registry is contacted), for TF_CLI_CONFIG_FILE.
pub fn write_cli_config(dir: &Path, mirror: &Path) -> PathBuf {
    let cli_config = dir.join("cli.tfrc");
    std::fs::write(
        &cli_config,
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = {:?}\n    include = [\"registry.terraform.io/hashicorp/aws\"]\n  }}\n  direct {{\n    exclude = [\"registry.terraform.io/hashicorp/aws\"]\n  }}\n}}\n",
            mirror.display().to_string()
        ),
    )
    .expect("cli config");
    cli_config
}

#[test]
fn production_stack_is_valid_terraform() {
    terraform_validate("stacks/production");
}

#[test]
fn network_stack_is_valid_terraform() {
    terraform_validate("stacks/network");
}

/// The stack `validate` must accept without variable values: terraform
/// accepts it too, so terrane's acceptance is Terraform's behaviour.
#[test]
fn unknown_repetition_fixture_is_valid_terraform() {
    terraform_validate("tests/fixtures/valid/unknown_repetition");
}

#[test]
fn dynamic_blocks_fixture_is_valid_terraform() {
    terraform_validate("tests/fixtures/valid/dynamic_blocks");
}

#[test]
fn validation_and_workspace_fixture_is_valid_terraform() {
    terraform_validate("tests/fixtures/valid/validation_and_workspace");
}

#[test]
fn modules_fixture_is_valid_terraform() {
    terraform_validate("tests/fixtures/valid/modules");
}

#[test]
fn provider_settings_fixture_is_valid_terraform() {
    terraform_validate("tests/fixtures/valid/provider_settings");
}

#[test]
fn optional_attributes_fixture_is_valid_terraform() {
    terraform_validate("tests/fixtures/valid/optional_attributes");
}

#[test]
fn check_blocks_fixture_is_valid_terraform() {
    terraform_validate("tests/fixtures/valid/check_blocks");
}

#[test]
fn alb_aliases_fixture_is_valid_terraform() {
    terraform_validate("tests/fixtures/valid/alb_aliases");
}

#[test]
fn plan_contract_fixture_is_valid_terraform() {
    terraform_validate("tests/fixtures/valid/plan_contract");
}
