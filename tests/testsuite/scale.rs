//! Cost that grows with the stack: evaluation must stay linear in the
//! number of instances. The synthetic stack is the benchmark's own
//! (`bench/synthetic_stack.py`): 10,000 resources whose subnets refer to
//! their VPC by index. Before evaluation walked references in place (and
//! updated one instance without rebuilding the rest), `validate` of it took
//! minutes; now well under a second, so the bound here only catches a
//! return of quadratic work, not noise.
//!
//! Apply too: with a local over every instance of a resource, read by as
//! many other instances, each step evaluated every local again (and, with
//! `for_each`, its block's whole collection), and an apply four times as
//! large took thirteen times as long. It runs on `terraform_data` alone,
//! so no AWS call is in the time. So does a module called for many
//! instances, whose every output of every instance made the caller's
//! `module.<name>` whole again. `validate` of a module with thousands of
//! instances grew quadratically too, in building the graph.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::cli::repo_path;

#[test]
fn validate_of_ten_thousand_resources_is_fast() {
    let dir = tempfile::tempdir().expect("temp dir");
    let generated = Command::new("python3")
        .arg(repo_path("bench/synthetic_stack.py"))
        .args(["10000"])
        .arg(dir.path())
        .status()
        .expect("run bench/synthetic_stack.py");
    assert!(generated.success());
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_terrane"))
        .args(["validate"])
        .arg(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .expect("run terrane validate");
    let took = started.elapsed();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        took < Duration::from_secs(20),
        "validate of 10,000 resources took {took:?}"
    );
}

/// A stack of 2 × `n` `terraform_data` resources: `b[i]` reads `a[i]`
/// through a local over all of `a`; `b` has `count`, or `for_each` over a
/// map the local makes.
fn write_local_over_instances(dir: &Path, n: usize, keyed: bool) {
    let (b, last) = if keyed {
        (
            "  for_each = { for i, output in local.all : tostring(i) => output }\n  input    = each.value".to_string(),
            format!("[\"{}\"]", n - 1),
        )
    } else {
        (
            format!("  count = {n}\n  input = local.all[count.index]"),
            format!("[{}]", n - 1),
        )
    };
    let text = format!(
        r#"resource "terraform_data" "a" {{
  count = {n}
  input = "a-${{count.index}}"
}}

locals {{
  all = terraform_data.a[*].output
}}

resource "terraform_data" "b" {{
{b}
}}

output "last" {{
  value = terraform_data.b{last}.output
}}
"#
    );
    std::fs::write(dir.join("main.tf"), text).expect("write the stack");
}

/// Runs `terrane <command>` in `dir` and says how long it took.
fn timed_run(dir: &Path, command: &[&str]) -> (Duration, String) {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_terrane"))
        .args(command)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_REGION", "us-east-1")
        .output()
        .expect("run terrane");
    let took = started.elapsed();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    (took, String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Runs `command` on the stack `write` makes at size `n` and at four times
/// `n`, and checks that the larger took less than `limit` times as long
/// (linear work takes about 4). Each size runs twice, on fresh copies, and
/// the faster is taken: other tests share the machine. Returns what the
/// larger run printed.
fn at_one_and_four_times(
    what: &str,
    command: &[&str],
    n: usize,
    limit: f64,
    write: impl Fn(&Path, usize),
) -> String {
    let fastest = |size: usize| {
        let runs: Vec<(Duration, String)> = (0..2)
            .map(|_| {
                let dir = tempfile::tempdir().expect("temp dir");
                write(dir.path(), size);
                timed_run(dir.path(), command)
            })
            .collect();
        runs.into_iter()
            .min_by_key(|(took, _)| *took)
            .expect("two runs")
    };
    let (small_took, _) = fastest(n);
    let (large_took, stdout) = fastest(4 * n);
    let ratio = large_took.as_secs_f64() / small_took.as_secs_f64();
    assert!(
        ratio < limit,
        "{what}: size {n} took {small_took:?}, size {} took {large_took:?}: {ratio:.1} times",
        4 * n
    );
    stdout
}

const APPLY: &[&str] = &["apply", "--auto-approve"];

#[test]
fn apply_with_a_local_over_every_instance_grows_linearly() {
    // Quadratic was 14.8 times (count) and 14.6 times (for_each).
    for keyed in [false, true] {
        let what = if keyed { "for_each" } else { "count" };
        let stdout = at_one_and_four_times(what, APPLY, 1000, 8.0, |dir, n| {
            write_local_over_instances(dir, n, keyed)
        });
        // What the last step read through the local is its own `a`'s output.
        assert!(stdout.contains(r#"last = "a-3999""#), "{stdout}");
    }
}

/// A module of one resource and three outputs.
const UNIT_MODULE: &str = r#"variable "name" {
  type = string
}

resource "terraform_data" "this" {
  input = var.name
}

output "id" {
  value = terraform_data.this.id
}

output "name" {
  value = var.name
}

output "output" {
  value = terraform_data.this.output
}
"#;

/// `UNIT_MODULE` called for `n` instances by `repeat` (a `for_each` or
/// `count` line, and the `name` argument), and an output of the last.
fn write_module_calls(dir: &Path, repeat: &str, last: &str) {
    std::fs::create_dir_all(dir.join("unit")).expect("module dir");
    std::fs::write(dir.join("unit/main.tf"), UNIT_MODULE).expect("write the module");
    let text = format!(
        r#"module "unit" {{
  source   = "./unit"
{repeat}
}}

output "last" {{
  value = module.unit[{last}].output
}}
"#
    );
    std::fs::write(dir.join("main.tf"), text).expect("write the stack");
}

/// The module called with `for_each` over `n` keys.
fn write_module_instances(dir: &Path, n: usize) {
    let repeat = format!(
        "  for_each = toset([for i in range({n}) : tostring(i)])\n  name     = \"unit-${{each.key}}\""
    );
    write_module_calls(dir, &repeat, &format!("\"{}\"", n - 1));
}

#[test]
fn a_module_with_many_instances_grows_linearly() {
    // Quadratic was 15.8 times.
    let stdout = at_one_and_four_times("module", APPLY, 250, 8.0, write_module_instances);
    assert!(stdout.contains(r#"last = "unit-999""#), "{stdout}");
}

#[test]
fn validate_of_a_module_with_many_instances_grows_linearly() {
    // Every node inside an instance waits for the module call, and adding
    // each of those edges walked the call's outgoing edges for a duplicate:
    // 3,000 to 12,000 instances took 12.5 times as long in the debug build
    // the tests run (1.1 to 14.0 s).
    // `count`, since `range` stops at 1,024 values.
    let stdout = at_one_and_four_times("module validate", &["validate"], 3000, 8.0, |dir, n| {
        let repeat = format!("  count    = {n}\n  name     = \"unit-${{count.index}}\"");
        write_module_calls(dir, &repeat, &(n - 1).to_string());
    });
    assert!(stdout.contains("The configuration is valid"), "{stdout}");
}
