//! The provider block's credential and safety settings through the real
//! binary (`tests/fixtures/valid/provider_settings`): `assume_role` goes
//! through STS, `allowed_account_ids` refuses another account before
//! anything is read, and `ignore_tags` keeps tags managed elsewhere out of
//! the plan.

use aws_sdk_ec2::types::Tag;

use crate::support::Emulator;
use crate::support::checks::vpc_tagged;
use crate::support::cli::Workspace;

#[tokio::test(flavor = "multi_thread")]
async fn assumed_role_account_checks_and_ignored_tags() {
    let emulator = Emulator::start();
    let ec2 = emulator.ec2();
    let ws = Workspace::copy_of("tests/fixtures/valid/provider_settings");

    let run = ws.run(&emulator, "apply", &["--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(
        emulator.action_count("AssumeRole") >= 1,
        "the role is assumed"
    );
    assert!(
        emulator
            .request_bodies()
            .iter()
            .any(|b| b.contains("RoleSessionName=terrane-ci") && b.contains("ExternalId=shop")),
        "with the block's session name and external id"
    );
    assert!(
        emulator.action_count("GetCallerIdentity") >= 1,
        "the account is checked"
    );
    let vpc = vpc_tagged(&ec2, "Name", "assumed").await.expect("the VPC");

    // Tags another system adds are not differences.
    ec2.create_tags()
        .resources(&vpc)
        .tags(Tag::builder().key("team:owner").value("payments").build())
        .tags(Tag::builder().key("CostCenter").value("42").build())
        .send()
        .await
        .expect("tag outside terrane");
    let run = ws.run(&emulator, "plan", &["--detailed-exitcode"]);
    assert_eq!(run.code, 0, "ignored tags are no change:\n{}", run.log());

    // Credentials for an account the block does not allow: refused before
    // any object is read or changed.
    let reads = emulator.action_count("DescribeVpcs");
    let run = ws.run(
        &emulator,
        "apply",
        &[
            "--auto-approve",
            "--var",
            "allowed_accounts=[\"999999999999\"]",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.log());
    assert!(
        run.stderr.contains(
            "The aws provider's credentials are for account 123456789012, and allowed_account_ids (999999999999) does not list it"
        ),
        "{}",
        run.log()
    );
    assert_eq!(
        emulator.action_count("DescribeVpcs"),
        reads,
        "nothing was read"
    );

    let run = ws.run(&emulator, "destroy", &["--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(vpc_tagged(&ec2, "Name", "assumed").await, None);
}
