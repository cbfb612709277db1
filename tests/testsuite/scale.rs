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
//! so no AWS call is in the time.

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

/// Applies the stack in `dir` and says how long it took.
fn timed_apply(dir: &Path) -> (Duration, String) {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_terrane"))
        .args(["apply", "--auto-approve"])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_REGION", "us-east-1")
        .output()
        .expect("run terrane apply");
    let took = started.elapsed();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    (took, String::from_utf8_lossy(&output.stdout).into_owned())
}

#[test]
fn apply_with_a_local_over_every_instance_grows_linearly() {
    for keyed in [false, true] {
        let small = tempfile::tempdir().expect("temp dir");
        let large = tempfile::tempdir().expect("temp dir");
        write_local_over_instances(small.path(), 1000, keyed);
        write_local_over_instances(large.path(), 4000, keyed);
        let (small_took, _) = timed_apply(small.path());
        let (large_took, stdout) = timed_apply(large.path());
        // What the last step read through the local is its own `a`'s output.
        assert!(stdout.contains(r#"last = "a-3999""#), "{stdout}");
        // Linear work is about 4 times as long; quadratic was 13 to 15.
        let ratio = large_took.as_secs_f64() / small_took.as_secs_f64();
        assert!(
            ratio < 8.0,
            "for_each: {keyed}; 2,000 resources took {small_took:?}, 8,000 took {large_took:?}: {ratio:.1} times"
        );
    }
}
