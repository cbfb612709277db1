//! Every built-in function, as Terraform computes it: the expressions in
//! `tests/fixtures/functions/expressions.txt` are evaluated by `terrane
//! console` and compared with what `terraform console` printed for them,
//! recorded in `expected.json`, so the test runs where terraform is absent.
//! Where terraform is installed, the recording is checked against it too;
//! `RECORD_TERRAFORM_ANSWERS=1` writes a new one.
//!
//! Each expression is evaluated as `jsonencode(EXPR)`, because terrane's
//! console prints values without Terraform's `tolist(...)`, `toset(...)`
//! and `tomap(...)` wrappers. The types themselves are kept apart (lists,
//! sets and tuples; maps and objects): conversion errors and `==` show it.
//! A value must print identically; an error must be an error with the same
//! summary and detail. A difference terrane keeps on purpose would be
//! listed, with its reason and terrane's own answer, in
//! `known_differences.json` (none is, now).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

use crate::support::cli::{copy_tree, repo_path};
use crate::terraform_compat::terraform_available;

const FIXTURES: &str = "tests/fixtures/functions";

/// What one tool printed for one expression.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Answer {
    expression: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    output: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
}

/// A difference kept on purpose.
#[derive(Debug, Deserialize)]
struct KnownDifference {
    reason: String,
    terrane: Answer,
}

fn expressions() -> Vec<String> {
    std::fs::read_to_string(repo_path(FIXTURES).join("expressions.txt"))
        .expect("read expressions")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

fn recorded() -> Vec<Answer> {
    let text = std::fs::read_to_string(repo_path(FIXTURES).join("expected.json"))
        .expect("read expected.json");
    serde_json::from_str(&text).expect("parse expected.json")
}

fn known_differences() -> BTreeMap<String, KnownDifference> {
    let text = std::fs::read_to_string(repo_path(FIXTURES).join("known_differences.json"))
        .expect("read known_differences.json");
    serde_json::from_str(&text).expect("parse known_differences.json")
}

/// A copy of the fixture stack to evaluate in, so neither tool writes
/// into the repository.
fn stack_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_tree(&repo_path(FIXTURES).join("stack"), dir.path());
    dir
}

/// Runs `answer` for every expression, on a few threads (each answer is a
/// process of its own).
fn answers(exprs: &[String], answer: impl Fn(usize, &str) -> Answer + Sync) -> Vec<Answer> {
    const THREADS: usize = 4;
    let mut results: Vec<Option<Answer>> = vec![None; exprs.len()];
    std::thread::scope(|scope| {
        let chunks: Vec<_> = results.chunks_mut(exprs.len().div_ceil(THREADS)).collect();
        let mut start = 0;
        for chunk in chunks {
            let first = start;
            start += chunk.len();
            let answer = &answer;
            scope.spawn(move || {
                for (offset, slot) in chunk.iter_mut().enumerate() {
                    let i = first + offset;
                    *slot = Some(answer(i, &exprs[i]));
                }
            });
        }
    });
    results.into_iter().map(|a| a.expect("answered")).collect()
}

/// Runs a console with `jsonencode(EXPRESSION)` as its one line of input.
fn console(command: &mut Command, expression: &str) -> std::process::Output {
    let mut child = command
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run the console");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        writeln!(stdin, "jsonencode({expression})").expect("write expression");
    }
    child.wait_with_output().expect("the console's output")
}

/// The value a console printed, when it printed one.
fn printed(expression: &str, output: &std::process::Output) -> Option<Answer> {
    output.status.success().then(|| Answer {
        expression: expression.to_string(),
        output: Some(
            String::from_utf8_lossy(&output.stdout)
                .trim_end()
                .to_string(),
        ),
        error: None,
        detail: None,
    })
}

fn terrane_answer(dir: &Path, expression: &str) -> Answer {
    let output = console(
        Command::new(env!("CARGO_BIN_EXE_terrane"))
            .args(["console", ".", "--state", "none.tfstate"])
            .current_dir(dir)
            .env("NO_COLOR", "1"),
        expression,
    );
    if let Some(printed) = printed(expression, &output) {
        return printed;
    }
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert_eq!(
        output.status.code(),
        Some(1),
        "terrane console failed without a clean error for {expression}:\n{stderr}"
    );
    assert!(
        !stderr.contains("panicked"),
        "terrane console panicked on {expression}:\n{stderr}"
    );
    let summary = stderr
        .lines()
        .find_map(|l| l.strip_prefix("error: "))
        .unwrap_or(&stderr)
        .to_string();
    let detail: Vec<&str> = stderr
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("= note: "))
        .collect();
    failed(expression, summary, &detail)
}

fn failed(expression: &str, summary: String, detail: &[&str]) -> Answer {
    Answer {
        expression: expression.to_string(),
        output: None,
        error: Some(summary),
        detail: Some(unwrap_lines(detail)),
    }
}

/// Detail text as one line: Terraform wraps it at 78 columns, terrane's
/// renderer not at all.
fn unwrap_lines(lines: &[&str]) -> String {
    lines
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn terraform_answer(dir: &Path, state: &Path, expression: &str) -> Answer {
    let output = console(
        Command::new("terraform")
            .args(["console", "-no-color"])
            .arg(format!("-state={}", state.display()))
            .current_dir(dir)
            .env("TF_CLI_CONFIG_FILE", dir.join("empty.tfrc")),
        expression,
    );
    if let Some(printed) = printed(expression, &output) {
        return printed;
    }
    // The first diagnostic: "Error: SUMMARY", the source lines, the detail.
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr
        .lines()
        .map(|l| l.strip_prefix("│ ").unwrap_or(l.trim_start_matches('│')))
        .collect();
    let start = lines
        .iter()
        .position(|l| l.starts_with("Error: "))
        .unwrap_or(0);
    let summary = lines
        .get(start)
        .map_or("", |l| l.trim_start_matches("Error: "))
        .to_string();
    let detail: Vec<&str> = lines[start + 1..]
        .iter()
        .skip_while(|l| !l.contains("(source code not available)"))
        .skip(1)
        .take_while(|l| !l.starts_with('╵') && !l.starts_with("Error: "))
        .copied()
        .collect();
    failed(expression, summary, &detail)
}

fn describe(answer: &Answer) -> String {
    match (&answer.output, &answer.error) {
        (Some(output), _) => output.clone(),
        (None, Some(error)) => format!(
            "error: {error}: {}",
            answer.detail.as_deref().unwrap_or_default()
        ),
        (None, None) => "(nothing)".to_string(),
    }
}

#[test]
fn terrane_console_prints_what_terraform_printed() {
    let recorded = recorded();
    let exprs = expressions();
    let recorded_exprs: Vec<&String> = recorded.iter().map(|a| &a.expression).collect();
    assert_eq!(
        recorded_exprs,
        exprs.iter().collect::<Vec<_>>(),
        "expected.json does not answer expressions.txt; record it again (RECORD_TERRAFORM_ANSWERS=1)"
    );
    let known = known_differences();
    let dir = stack_copy();
    let terrane = answers(&exprs, |_, e| terrane_answer(dir.path(), e));

    let mut unexpected = Vec::new();
    let mut kept = 0;
    for (expected, actual) in recorded.iter().zip(&terrane) {
        match known.get(&expected.expression) {
            Some(difference) => {
                kept += 1;
                if &difference.terrane != actual {
                    unexpected.push(format!(
                        "{}\n  terrane now:      {}\n  known difference: {} ({})",
                        expected.expression,
                        describe(actual),
                        describe(&difference.terrane),
                        difference.reason
                    ));
                }
            }
            None if expected != actual => unexpected.push(format!(
                "{}\n  terraform: {}\n  terrane:   {}",
                expected.expression,
                describe(expected),
                describe(actual)
            )),
            None => {}
        }
    }
    let unused: Vec<&String> = known.keys().filter(|k| !exprs.contains(k)).collect();
    assert!(
        unused.is_empty(),
        "known differences for no expression: {unused:?}"
    );
    assert!(
        unexpected.is_empty(),
        "{} of {} expressions differ from Terraform ({kept} known differences):\n\n{}",
        unexpected.len(),
        exprs.len(),
        unexpected.join("\n\n")
    );
    eprintln!(
        "{} expressions: {} identical to Terraform, {kept} known differences",
        exprs.len(),
        exprs.len() - kept
    );
}

#[test]
fn recorded_answers_are_terraform_s() {
    if !terraform_available() {
        eprintln!(
            "skipped: terraform is not installed, so the recorded answers were not checked against it"
        );
        return;
    }
    let exprs = expressions();
    let dir = stack_copy();
    std::fs::write(dir.path().join("empty.tfrc"), "").expect("cli config");
    let states = tempfile::tempdir().expect("temp dir");
    let live = answers(&exprs, |i, e| {
        // One state file per expression: the console locks the one it reads.
        let state: PathBuf = states.path().join(format!("{i}.tfstate"));
        terraform_answer(dir.path(), &state, e)
    });
    if std::env::var_os("RECORD_TERRAFORM_ANSWERS").is_some() {
        let text = serde_json::to_string_pretty(&live).expect("serialise answers");
        std::fs::write(repo_path(FIXTURES).join("expected.json"), text + "\n")
            .expect("write expected.json");
        eprintln!("recorded {} answers from terraform", live.len());
        return;
    }
    let recorded = recorded();
    let stale: Vec<String> = recorded
        .iter()
        .zip(&live)
        .filter(|(r, l)| r != l)
        .map(|(r, l)| {
            format!(
                "{}\n  recorded: {}\n  terraform: {}",
                r.expression,
                describe(r),
                describe(l)
            )
        })
        .collect();
    assert_eq!(
        recorded.len(),
        live.len(),
        "record again: the expressions changed"
    );
    assert!(
        stale.is_empty(),
        "the recorded answers are not what terraform prints now (RECORD_TERRAFORM_ANSWERS=1 records them again):\n\n{}",
        stale.join("\n\n")
    );
}

/// Terraform's built-in functions, as `terraform metadata functions -json`
/// lists them (recorded, and checked against terraform where installed).
#[test]
fn every_terraform_function_exists() {
    let recorded_path = repo_path(FIXTURES).join("terraform_functions.txt");
    let recorded: Vec<String> = std::fs::read_to_string(&recorded_path)
        .expect("read terraform_functions.txt")
        .lines()
        .map(str::to_string)
        .collect();
    if terraform_available() {
        let output = Command::new("terraform")
            .args(["metadata", "functions", "-json"])
            .output()
            .expect("terraform metadata functions");
        let json: serde_json::Value =
            serde_json::from_slice(&output.stdout).expect("function metadata JSON");
        let mut live: Vec<String> = json["function_signatures"]
            .as_object()
            .expect("function_signatures")
            .keys()
            // ephemeralasnull concerns ephemeral values, which terrane has not.
            .filter(|name| !name.ends_with("ephemeralasnull"))
            .cloned()
            .collect();
        live.sort();
        assert_eq!(
            live, recorded,
            "terraform_functions.txt is not terraform's list"
        );
    } else {
        eprintln!("skipped: terraform is not installed; checked against the recorded list only");
    }
    let ours = terrane::lang::functions::function_names();
    let missing: Vec<&String> = recorded
        .iter()
        // `core::NAME` is the same function as `NAME`.
        .filter(|name| !ours.contains(&name.trim_start_matches("core::")))
        .collect();
    assert!(missing.is_empty(), "functions terrane lacks: {missing:?}");
}
