//! `check` blocks through the real binary: a failed assertion is a warning
//! after plan and after apply (with the applied values), and never stops
//! the run.

use crate::support::Emulator;
use crate::support::checks::vpc_tagged;
use crate::support::cli::Workspace;

const WARNING: &str = "warning: Check block assertion failed: check.dns_hostnames";

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_check_warns_after_plan_and_apply_without_stopping_them() {
    let emulator = Emulator::start();
    let ws = Workspace::copy_of("tests/fixtures/valid/check_blocks");

    let run = ws.run(&emulator, "plan", &[]);
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(run.stderr.contains(WARNING), "{}", run.log());

    let run = ws.run(&emulator, "apply", &["--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.log());
    let vpc = vpc_tagged(&emulator.ec2(), "Name", "checked")
        .await
        .expect("built despite the failed check");
    // After apply the message carries the real id.
    assert!(
        run.stderr
            .contains(&format!("VPC {vpc} has DNS hostnames turned off")),
        "{}",
        run.log()
    );

    ws.edit(
        "main.tf",
        "cidr_block = \"10.8.0.0/16\"",
        "cidr_block           = \"10.8.0.0/16\"\n  enable_dns_hostnames = true",
    );
    let run = ws.run(&emulator, "apply", &["--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(
        !run.stderr.contains(WARNING),
        "the check passes now:\n{}",
        run.log()
    );

    let run = ws.run(&emulator, "destroy", &["--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.log());
}
