//! The example stacks are also valid Terraform 1.x configurations with the
//! hashicorp/aws 5.x provider, so the two tools can be compared on the very
//! same files. Skipped, with a message, when terraform is not installed.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::cli::{copy_tree, repo_path};

pub use crate::support::terraform::provider_mirror;

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

/// terrane's schemas against the hashicorp/aws provider's own
/// (`terraform providers schema -json`, offline from the mirror), through
/// scripts/schema-coverage.sh: every argument terrane has exists in
/// Terraform's schema with the same type and required-ness, but for the
/// differences listed (with reasons) in tests/fixtures/schema_differences.txt.
#[test]
fn schemas_agree_with_the_aws_provider_but_for_the_listed_differences() {
    if !terraform_available() {
        eprintln!("skipped: terraform is not installed, so schemas were not compared");
        return;
    }
    let Some(mirror) = provider_mirror() else {
        eprintln!("skipped: no local mirror of the hashicorp/aws provider was found");
        return;
    };
    let output = Command::new(repo_path("scripts/schema-coverage.sh"))
        .arg("--json")
        .env("TERRANE_BIN", env!("CARGO_BIN_EXE_terrane"))
        .env("TERRANE_TF_PLUGIN_MIRROR", &mirror)
        .output()
        .expect("scripts/schema-coverage.sh runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let mut found = Vec::new();
    for (name, facts) in report["types"].as_object().unwrap() {
        for difference in facts["disagreements"].as_array().unwrap() {
            found.push(format!("{name}: {}", difference.as_str().unwrap()));
        }
        for argument in facts["not_in_terraform"].as_array().unwrap() {
            found.push(format!(
                "{name}: {}: not in terraform",
                argument.as_str().unwrap()
            ));
        }
    }
    let listed: Vec<String> =
        std::fs::read_to_string(repo_path("tests/fixtures/schema_differences.txt"))
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(String::from)
            .collect();
    found.sort();
    assert_eq!(found, listed, "schema differences changed");
    let totals = &report["totals"];
    eprintln!(
        "coverage of the provider's schema: {}/{} top-level arguments, {}/{} block types",
        totals["top_arguments"][0],
        totals["top_arguments"][1],
        totals["blocks"][0],
        totals["blocks"][1]
    );
}
