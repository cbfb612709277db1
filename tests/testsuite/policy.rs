//! The built-in policy checks: for each rule, a stack under
//! `tests/fixtures/policy` that trips it (`<rule>_trips`) and one that does
//! not (`<rule>_passes`); each has a `terrane-policy.hcl` that makes its
//! rule an error and turns the others off. `terrane validate` must fail the
//! first with exactly the findings in its `validate.snap` and pass the
//! second. Record a new case's snapshot with
//! `INSTA_UPDATE=always cargo test --test testsuite policy`, and read it.
//!
//! Then what the policy file does (waivers, severities, `fail_on`), the
//! `--policy-fail-on` flag, mistakes in the file, `stacks/production` at
//! error severity, and a plan that a finding fails.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::Emulator;
use crate::support::cli::{Run, Workspace, copy_tree, repo_path};

fn fixtures_dir() -> PathBuf {
    repo_path("tests/fixtures")
}

/// `terrane validate DIR EXTRA...` from `cwd`, AWS pointed at a closed port.
fn validate(cwd: &Path, dir: &str, extra: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_terrane"))
        .arg("validate")
        .arg(dir)
        .args(extra)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .output()
        .expect("the terrane binary runs");
    Run::from(output)
}

fn case_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures_dir().join("policy"))
        .expect("tests/fixtures/policy exists")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// `trn004_zone_spread_trips` → `TRN004`.
fn rule_of(name: &str) -> String {
    name[..6].to_ascii_uppercase()
}

#[test]
fn each_rule_trips_on_its_bad_stack_and_not_on_its_good_one() {
    let names = case_names();
    let rules: std::collections::BTreeSet<String> = names.iter().map(|n| rule_of(n)).collect();
    assert_eq!(rules.len(), 7, "a trip and a pass case per rule: {names:?}");
    let mut failures = Vec::new();
    for name in &names {
        let run = validate(&fixtures_dir(), &format!("policy/{name}"), &[]);
        let rule = rule_of(name);
        if name.ends_with("_passes") {
            if run.code != 0 || run.stderr.contains("[TRN") {
                failures.push(format!("{name} should pass: {}", run.log()));
            }
            continue;
        }
        let findings = run
            .stderr
            .lines()
            .filter(|l| l.starts_with(&format!("error: [{rule}]")))
            .count();
        let located = run
            .stderr
            .lines()
            .filter(|l| {
                l.trim_start()
                    .starts_with(&format!("--> policy/{name}/main.tf:"))
            })
            .count();
        if run.code != 1 || findings == 0 || located != findings || !run.stdout.is_empty() {
            failures.push(format!(
                "{name}: exit {}, {findings} finding(s), {located} located: {}",
                run.code,
                run.log()
            ));
            continue;
        }
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(format!("../fixtures/policy/{name}"));
        settings.set_prepend_module_to_snapshot(false);
        settings.set_description(format!("terrane validate policy/{name}"));
        settings.bind(|| insta::assert_snapshot!("validate", run.stderr));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// A copy of one case, to edit its policy file.
fn case_copy(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_tree(&fixtures_dir().join("policy").join(name), dir.path());
    dir
}

fn write_policy(dir: &Path, text: &str) {
    std::fs::write(dir.join("terrane-policy.hcl"), text).expect("write policy");
}

#[test]
fn a_waiver_with_a_reason_lets_one_resource_pass_and_says_why() {
    let case = case_copy("trn001_open_ingress_trips");
    write_policy(
        case.path(),
        r#"rule "TRN001" { severity = "error" }

waiver "TRN001" {
  resource = "aws_security_group.bastion"
  reason   = "SSH from anywhere until the VPN is up (OPS-1234)"
}
"#,
    );
    let run = validate(case.path(), ".", &[]);
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(
        run.stderr
            .contains("warning: [TRN001] aws_security_group.bastion allows ingress from 0.0.0.0/0 on port 22 (waived)"),
        "{}",
        run.log()
    );
    assert!(
        run.stderr
            .contains("waived: SSH from anywhere until the VPN is up (OPS-1234)"),
        "{}",
        run.log()
    );

    // A waiver for another resource leaves this one failing.
    write_policy(
        case.path(),
        r#"rule "TRN001" { severity = "error" }

waiver "TRN001" {
  resource = "aws_security_group.other"
  reason   = "not this one"
}
"#,
    );
    let run = validate(case.path(), ".", &[]);
    assert_eq!(run.code, 1, "{}", run.log());
}

#[test]
fn warnings_fail_only_when_asked() {
    let case = case_copy("trn006_imds_v2_trips");
    // No policy file: every rule is a warning, and warnings do not fail.
    std::fs::remove_file(case.path().join("terrane-policy.hcl")).unwrap();
    let run = validate(case.path(), ".", &[]);
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(run.stderr.contains("warning: [TRN006]"), "{}", run.log());
    let strict = validate(case.path(), ".", &["--policy-fail-on", "warning"]);
    assert_eq!(strict.code, 1, "{}", strict.log());
    assert!(
        strict
            .stderr
            .contains("1 policy finding(s) at warning severity or above"),
        "{}",
        strict.log()
    );
    // Terraform's single-dash spelling works too.
    let strict = validate(case.path(), ".", &["-policy-fail-on=warning"]);
    assert_eq!(strict.code, 1, "{}", strict.log());

    // The policy file can say the same; and "off" silences a rule.
    write_policy(case.path(), "policy {\n  fail_on = \"warning\"\n}\n");
    assert_eq!(validate(case.path(), ".", &[]).code, 1);
    write_policy(case.path(), "rule \"TRN006\" { severity = \"off\" }\n");
    let off = validate(case.path(), ".", &["--policy-fail-on", "warning"]);
    assert_eq!(off.code, 0, "{}", off.log());
    assert!(!off.stderr.contains("TRN006"), "{}", off.log());
}

#[test]
fn mistakes_in_the_policy_file_are_errors_at_their_line() {
    let case = case_copy("trn006_imds_v2_passes");
    write_policy(
        case.path(),
        r#"rule "TRN006" { severity = "error" }
rule "TRN999" { severity = "error" }
rule "TRN001" { severity = "fatal" }
waiver "TRN002" {
  resource = "aws_s3_bucket.logs"
}
"#,
    );
    let run = validate(case.path(), ".", &[]);
    assert_eq!(run.code, 1, "{}", run.log());
    for expected in [
        "error: Unknown policy rule \"TRN999\"",
        "terrane-policy.hcl:2:1",
        "error: `severity` must be \"error\", \"warning\" or \"off\", not \"fatal\"",
        "terrane-policy.hcl:3:28",
        "error: The waiver of TRN002 needs `resource` and a `reason`",
        "terrane-policy.hcl:4:1",
    ] {
        assert!(run.stderr.contains(expected), "{expected}: {}", run.log());
    }
}

#[test]
fn the_production_stack_passes_every_rule_at_error_severity() {
    let policy = std::fs::read_to_string(repo_path("stacks/production/terrane-policy.hcl"))
        .expect("stacks/production has a policy file");
    for rule in 1..=7 {
        assert!(
            policy.contains(&format!("rule \"TRN00{rule}\" {{ severity = \"error\" }}"))
                || (rule == 7 && policy.contains("rule \"TRN007\" {\n  severity = \"error\"")),
            "TRN00{rule} is an error for stacks/production"
        );
    }
    let run = validate(
        &repo_path("."),
        "stacks/production",
        &["--policy-fail-on", "warning"],
    );
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(!run.stderr.contains("[TRN"), "{}", run.log());
}

#[test]
fn a_finding_fails_the_plan_after_showing_it_and_blocks_apply() {
    let emulator = Emulator::start();
    let ws = Workspace::copy_of("tests/fixtures/policy/trn006_imds_v2_trips");
    let plan = ws.run(&emulator, "plan", &[]);
    assert_eq!(plan.code, 1, "{}", plan.log());
    assert!(plan.stdout.contains("Plan: 1 to add"), "{}", plan.log());
    assert!(plan.stderr.contains("error: [TRN006]"), "{}", plan.log());
    let apply = ws.run(&emulator, "apply", &["--auto-approve"]);
    assert_eq!(apply.code, 1, "{}", apply.log());
    assert!(apply.stderr.contains("error: [TRN006]"), "{}", apply.log());
    let templates = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(emulator.ec2().describe_launch_templates().send())
        .expect("describe");
    assert!(
        templates.launch_templates().is_empty(),
        "nothing was created"
    );
}
