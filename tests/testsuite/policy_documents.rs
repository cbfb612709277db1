//! `aws_iam_policy_document`: rendered byte for byte as the AWS provider
//! renders it, and computed like a local value, at plan when its arguments
//! are known and during apply when they name what apply makes.

use std::process::Command;

use serde_json::Value as Json;

use crate::provider_compute::percent_decode;
use crate::support::Emulator;
use crate::support::cli::{Workspace, repo_path};
use crate::support::terraform::provider_override;
use crate::terraform_compat::{provider_mirror, terraform_available, write_cli_config};

const FIXTURE: &str = "tests/fixtures/policy_documents";

/// What terraform and the hashicorp/aws provider wrote for the fixture's
/// documents (`terraform output -json documents`).
fn recorded() -> Json {
    let text =
        std::fs::read_to_string(repo_path(FIXTURE).join("expected.json")).expect("expected.json");
    serde_json::from_str(&text).expect("expected.json is JSON")
}

/// Each document's fields that differ between `expected` and `actual`.
fn differences(expected: &Json, actual: &Json) -> Vec<String> {
    let mut found = Vec::new();
    let documents = expected.as_object().expect("documents by name");
    for (name, fields) in documents {
        for (field, text) in fields.as_object().expect("fields") {
            let got = &actual[name][field];
            if got != text {
                found.push(format!(
                    "{name}.{field}:\n  expected {text}\n  got      {got}"
                ));
            }
        }
    }
    if actual.as_object().map(|o| o.len()) != Some(documents.len()) {
        found.push(format!(
            "documents: expected {:?}, got {actual}",
            documents.keys()
        ));
    }
    found
}

#[test]
fn documents_render_as_the_aws_provider_renders_them() {
    let emulator = Emulator::start();
    let ws = Workspace::copy_of(FIXTURE);
    let apply = ws.run(&emulator, "apply", &["--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.log());
    let output = ws.run(&emulator, "output", &["documents", "--json"]);
    assert_eq!(output.code, 0, "{}", output.log());
    let rendered: Json = serde_json::from_str(&output.stdout).expect("output is JSON");
    let problems = differences(&recorded(), &rendered);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The recording is what terraform writes today (skipped without it).
#[test]
fn the_recorded_documents_are_what_terraform_writes() {
    if !terraform_available() {
        eprintln!(
            "skipped: terraform is not installed; the recorded answers were checked where it was"
        );
        return;
    }
    let Some(mirror) = provider_mirror() else {
        eprintln!("skipped: no local mirror of the hashicorp/aws provider was found");
        return;
    };
    let emulator = Emulator::start();
    let ws = Workspace::copy_of(FIXTURE);
    ws.write(
        "override.tf",
        &provider_override(&emulator.endpoint(), None),
    );
    let cli_config = write_cli_config(ws.root(), &mirror);
    let terraform = |args: &[&str]| {
        let output = Command::new("terraform")
            .args(args)
            .current_dir(&ws.stack)
            .env("TF_CLI_CONFIG_FILE", &cli_config)
            .env("TF_IN_AUTOMATION", "1")
            .envs(emulator.env())
            .output()
            .expect("run terraform");
        assert!(
            output.status.success(),
            "terraform {args:?} failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    terraform(&["init", "-input=false", "-no-color"]);
    terraform(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    let written: Json =
        serde_json::from_str(&terraform(&["output", "-json", "documents"])).expect("JSON");
    let problems = differences(&recorded(), &written);
    assert!(
        problems.is_empty(),
        "terraform now writes other text; record it again into {FIXTURE}/expected.json:\n{}",
        problems.join("\n")
    );
}

/// A trust policy naming a role apply is about to make: unknown at the
/// first plan, computed during apply once the role exists, then known at
/// plan from state, so the next plan is clean.
#[tokio::test(flavor = "multi_thread")]
async fn a_document_naming_a_new_resource_is_computed_during_apply() {
    let emulator = Emulator::start();
    let ws = Workspace::copy_of("tests/fixtures/ci/stack");
    ws.write(
        "main.tf",
        r#"data "aws_iam_policy_document" "ec2_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "first" {
  name               = "first"
  assume_role_policy = data.aws_iam_policy_document.ec2_trust.json
}

data "aws_iam_policy_document" "trust_first" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.first.arn]
    }
  }
}

resource "aws_iam_role" "second" {
  name               = "second"
  assume_role_policy = data.aws_iam_policy_document.trust_first.json
}
"#,
    );
    let plan = ws.run(&emulator, "plan", &["--no-color"]);
    assert_eq!(plan.code, 0, "{}", plan.log());
    // The first role's trust policy is known; the second's waits for the
    // first role.
    let waiting = plan
        .stdout
        .lines()
        .filter(|l| l.contains("assume_role_policy") && l.contains("(known after apply)"))
        .count();
    assert_eq!(waiting, 1, "{}", plan.stdout);

    let apply = ws.run(&emulator, "apply", &["--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.log());
    let first = emulator
        .iam()
        .get_role()
        .role_name("first")
        .send()
        .await
        .expect("first role");
    let first_arn = first.role().expect("role").arn().to_string();
    let second = emulator
        .iam()
        .get_role()
        .role_name("second")
        .send()
        .await
        .expect("second role");
    let document = second
        .role()
        .and_then(|r| r.assume_role_policy_document())
        .expect("trust policy");
    let document = percent_decode(document);
    let trust: Json = serde_json::from_str(&document).expect("trust policy is JSON");
    assert_eq!(
        trust["Statement"][0]["Principal"]["AWS"],
        Json::String(first_arn)
    );

    let again = ws.run(&emulator, "plan", &["--detailed-exitcode"]);
    assert_eq!(again.code, 0, "no changes after apply:\n{}", again.log());
}
