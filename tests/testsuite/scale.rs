//! Cost that grows with the stack: evaluation must stay linear in the
//! number of instances. The synthetic stack is the benchmark's own
//! (`bench/synthetic_stack.py`): 10,000 resources whose subnets refer to
//! their VPC by index. Before evaluation walked references in place (and
//! updated one instance without rebuilding the rest), `validate` of it took
//! minutes; now well under a second, so the bound here only catches a
//! return of quadratic work, not noise.

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
