//! The corpus of broken stacks: each directory under `tests/fixtures/broken`
//! is one realistic mistake, and `terrane validate` must reject it with
//! exactly the diagnostics checked in next to it, in `<name>/validate.snap`.
//!
//! Adding a case needs no code: create `tests/fixtures/broken/<name>/` with
//! its `.tf` files (and a `terraform.tfvars` if the case needs one), then
//! record its expected output with
//!
//! ```text
//! INSTA_UPDATE=always cargo test --test testsuite diagnostics
//! ```
//!
//! (or `cargo insta test --test testsuite --review`), read the new
//! `validate.snap` as a user would — right message, right line and column, a
//! useful hint — and commit it. A missing or different snapshot fails the
//! test; without `INSTA_UPDATE=always` insta only writes a `.snap.new` beside
//! it to compare against.
//!
//! A mistake that `validate` rightly accepts, because it needs values that
//! exist only at plan time (a variable with no value), names the command
//! that reports it in a file `command` beside the `.tf` files (`plan`); its
//! snapshot is then `<name>/plan.snap`. Such a plan fails while loading the
//! stack, before any backend or AWS call.
//!
//! These tests run the real binary and need no AWS emulator.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Where fixtures are run from, so paths in diagnostics read `broken/<name>/…`.
fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Runs `terrane validate <dir>` from `cwd`, with no colour and no variables
/// from the caller's environment.
fn validate(cwd: &Path, dir: &str) -> Output {
    run(cwd, "validate", dir)
}

/// Runs `terrane <subcommand> <dir>` the same way. AWS is pointed at a closed
/// loopback port, so a plan that got past loading could not reach anything.
fn run(cwd: &Path, subcommand: &str, dir: &str) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_terrane"));
    command
        .args([subcommand, dir])
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test");
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("TF_VAR_") {
            command.env_remove(name);
        }
    }
    command.output().expect("the terrane binary runs")
}

/// The names of the broken stacks, sorted.
fn fixture_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures_dir().join("broken"))
        .expect("tests/fixtures/broken exists")
        .map(|entry| entry.expect("readable directory entry"))
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Checks one fixture; `Err` says what is wrong besides the snapshot, which
/// insta checks (and reports) itself.
fn check_fixture(name: &str) -> Result<(), String> {
    let subcommand =
        std::fs::read_to_string(fixtures_dir().join("broken").join(name).join("command"))
            .map(|text| text.trim().to_string())
            .unwrap_or_else(|_| "validate".to_string());
    let output = run(&fixtures_dir(), &subcommand, &format!("broken/{name}"));
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let stdout = String::from_utf8_lossy(&output.stdout);
    if output.status.code() == Some(101) || stderr.contains("panicked") {
        return Err(format!("terrane panicked:\n{stderr}"));
    }
    if output.status.code() != Some(1) {
        return Err(format!(
            "expected exit code 1, got {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
            output.status.code()
        ));
    }
    if !stdout.is_empty() {
        return Err(format!("a failed validation printed to stdout:\n{stdout}"));
    }
    // Every diagnostic points into the stack's files: `--> broken/<name>/FILE:LINE:COL`.
    let headers = stderr
        .lines()
        .filter(|line| line.starts_with("error: ") || line.starts_with("warning: "))
        .count();
    let located = stderr
        .lines()
        .filter(|line| is_location(line, name))
        .count();
    if headers == 0 || located != headers {
        return Err(format!(
            "{headers} diagnostic(s) but {located} `--> broken/{name}/FILE:LINE:COL` location(s):\n{stderr}"
        ));
    }
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(format!("../fixtures/broken/{name}"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_description(format!("terrane {subcommand} broken/{name}"));
    settings.bind(|| insta::assert_snapshot!(subcommand.as_str(), stderr));
    Ok(())
}

/// Whether a line is a snippet header such as ` --> broken/x/main.tf:3:14`.
fn is_location(line: &str, name: &str) -> bool {
    let Some(location) = line.trim_start().strip_prefix("--> ") else {
        return false;
    };
    let Some(rest) = location.strip_prefix(&format!("broken/{name}/")) else {
        return false;
    };
    let mut parts = rest.rsplitn(3, ':');
    let (Some(column), Some(line), Some(file)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let number = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    // A file of the stack, or of a module inside it (`modules/net/main.tf`).
    !file.is_empty()
        && !file.starts_with('/')
        && !file.contains("..")
        && number(line)
        && number(column)
}

#[test]
fn every_broken_stack_fails_with_its_expected_diagnostics() {
    let names = fixture_names();
    assert!(
        names.len() >= 35,
        "the corpus has only {} fixtures",
        names.len()
    );
    // Check every fixture, then report all failures at once.
    let mut failures = Vec::new();
    for name in &names {
        match std::panic::catch_unwind(|| check_fixture(name)) {
            Ok(Ok(())) => {}
            Ok(Err(problem)) => failures.push(format!("{name}: {problem}")),
            Err(_) => failures.push(format!("{name}: the snapshot does not match (see above)")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} fixtures failed:\n{}",
        failures.len(),
        names.len(),
        failures.join("\n")
    );
}

#[test]
fn the_example_network_stack_validates() {
    let output = validate(Path::new(env!("CARGO_MANIFEST_DIR")), "stacks/network");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "stderr:\n{stderr}");
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("Success!"),
        "stderr:\n{stderr}"
    );
    assert!(stderr.is_empty(), "unexpected diagnostics:\n{stderr}");
}

/// Stacks under `tests/fixtures/valid/` that `validate` must accept with no
/// variable values at all, as `terraform validate` does (the terraform_compat
/// tests check that terraform accepts them too).
#[test]
fn valid_stacks_validate_without_variable_values() {
    let dir = fixtures_dir().join("valid");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("tests/fixtures/valid exists") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        let output = validate(&dir, &name);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{name}:\n{stderr}");
        // Policy findings (warnings: these stacks have no policy file) are
        // about what the stack builds, not its language: tests/testsuite/policy.rs.
        let language: Vec<&str> = stderr
            .split("\n\n")
            .filter(|block| !block.trim().is_empty() && !block.starts_with("warning: [TRN"))
            .collect();
        assert!(
            language.is_empty(),
            "{name}: unexpected diagnostics:\n{stderr}"
        );
        checked += 1;
    }
    assert!(checked > 0);
}

#[test]
fn validate_takes_variable_values_and_checks_their_types() {
    let stack = fixtures_dir().join("valid/unknown_repetition");
    let output = Command::new(env!("CARGO_BIN_EXE_terrane"))
        .args([
            "validate",
            ".",
            "--var",
            "region=eu-west-1",
            "--var",
            "names=oops",
        ])
        .current_dir(&stack)
        .env("NO_COLOR", "1")
        .output()
        .expect("the terrane binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("Invalid value for variable \"names\""),
        "{stderr}"
    );
    assert!(!stderr.contains("region"), "{stderr}");
}

#[test]
fn locations_are_recognised() {
    assert!(is_location(" --> broken/x/main.tf:3:14", "x"));
    assert!(is_location("  --> broken/x/terraform.tfvars:12:1", "x"));
    assert!(!is_location(" --> broken/y/main.tf:3:14", "x"));
    assert!(!is_location(" --> broken/x/main.tf:3", "x"));
    assert!(!is_location("error: --> broken/x/main.tf:3:14", "x"));
}
