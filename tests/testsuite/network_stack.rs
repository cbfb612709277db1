//! The `stacks/network` example end to end through the real binary: apply,
//! an empty second plan, a tag edit, a removed subnet, and destroy — each
//! checked with independent EC2 Describe calls.

use std::collections::BTreeSet;

use crate::support::Emulator;
use crate::support::checks::{self, filter, tag_value};
use crate::support::cli::Workspace;

/// The id of the stack's VPC, found by its tag rather than from state.
async fn stack_vpc(ec2: &aws_sdk_ec2::Client) -> Option<String> {
    checks::vpc_tagged(ec2, "Stack", "network").await
}

async fn check_built(ec2: &aws_sdk_ec2::Client) -> String {
    let vpc_id = stack_vpc(ec2).await.expect("the stack's VPC exists");
    checks::network_core(ec2, &vpc_id, "10.0.0.0/16").await;
    let groups = ec2
        .describe_security_groups()
        .filters(filter("vpc-id", &vpc_id))
        .send()
        .await
        .expect("sgs");
    let names: BTreeSet<&str> = groups
        .security_groups()
        .iter()
        .filter_map(|g| g.group_name())
        .collect();
    assert!(
        names.contains("demo-alb") && names.contains("demo-nodes"),
        "{names:?}"
    );
    vpc_id
}

#[tokio::test(flavor = "multi_thread")]
async fn network_stack_applies_replans_clean_edits_and_destroys() {
    let emulator = Emulator::start();
    let ec2 = emulator.ec2();
    let ws = Workspace::copy_of("stacks/network");

    let run = ws.run(&emulator, "apply", &["--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(
        run.stdout
            .contains("Apply complete! Resources: 26 added, 0 changed, 0 destroyed."),
        "{}",
        run.log()
    );
    let vpc_id = check_built(&ec2).await;

    // A second plan finds nothing to do, and refreshes in batches: far fewer
    // requests than the 26 objects it reads.
    let before = emulator.request_count();
    let run = ws.run(&emulator, "plan", &["--detailed-exitcode"]);
    assert_eq!(run.code, 0, "second plan must be empty:\n{}", run.log());
    assert!(run.stdout.contains("No changes."), "{}", run.log());
    let requests = emulator.request_count() - before;
    eprintln!("no-op plan of 26 objects: {requests} AWS requests");
    assert!(
        requests < 26,
        "refresh made {requests} requests for 26 objects"
    );

    // Changing one tag plans exactly one in-place update, and applies it.
    ws.edit(
        "main.tf",
        "Name = \"${var.name}-vpc\"",
        "Name = \"${var.name}-vpc-renamed\"",
    );
    let run = ws.run(&emulator, "plan", &["--detailed-exitcode"]);
    assert_eq!(run.code, 2, "{}", run.log());
    assert!(
        run.stdout
            .contains("Plan: 0 to add, 1 to change, 0 to destroy."),
        "{}",
        run.log()
    );
    assert!(
        run.stdout
            .contains("# aws_vpc.main will be updated in-place"),
        "{}",
        run.log()
    );
    assert_eq!(
        run.stdout.matches(" ~ resource ").count(),
        1,
        "{}",
        run.log()
    );
    let run = ws.run(&emulator, "apply", &["--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(
        tag_value(&ec2, &vpc_id, "Name").await.as_deref(),
        Some("demo-vpc-renamed")
    );
    assert_eq!(ws.run(&emulator, "plan", &["--detailed-exitcode"]).code, 0);

    // A subnet removed from the files is planned for destruction, alone.
    ws.write(
        "extra.tf",
        "resource \"aws_subnet\" \"extra\" {\n  vpc_id     = aws_vpc.main.id\n  cidr_block = \"10.0.200.0/24\"\n}\n",
    );
    let run = ws.run(&emulator, "apply", &["--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.log());
    let extra = ec2
        .describe_subnets()
        .filters(filter("cidr-block", "10.0.200.0/24"))
        .send()
        .await
        .expect("subnets");
    assert_eq!(extra.subnets().len(), 1);
    ws.remove("extra.tf");
    let run = ws.run(&emulator, "plan", &["--detailed-exitcode"]);
    assert_eq!(run.code, 2, "{}", run.log());
    assert!(
        run.stdout.contains("# aws_subnet.extra will be destroyed"),
        "{}",
        run.log()
    );
    assert!(
        run.stdout
            .contains("Plan: 0 to add, 0 to change, 1 to destroy."),
        "{}",
        run.log()
    );
    let run = ws.run(&emulator, "apply", &["--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.log());
    let extra = ec2
        .describe_subnets()
        .filters(filter("cidr-block", "10.0.200.0/24"))
        .send()
        .await
        .expect("subnets");
    assert!(extra.subnets().is_empty(), "the removed subnet is gone");

    // Destroy leaves nothing behind.
    let run = ws.run(&emulator, "destroy", &["--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(stack_vpc(&ec2).await, None, "the VPC is gone");
    let subnets = ec2
        .describe_subnets()
        .filters(filter("vpc-id", &vpc_id))
        .send()
        .await
        .expect("subnets");
    assert!(subnets.subnets().is_empty());
    let nats = ec2
        .describe_nat_gateways()
        .filter(filter("vpc-id", &vpc_id))
        .send()
        .await
        .expect("nats");
    assert!(
        nats.nat_gateways()
            .iter()
            .all(|n| n.state().map(|s| s.as_str()) == Some("deleted"))
    );
    let addresses = ec2
        .describe_addresses()
        .filters(filter("tag:Stack", "network"))
        .send()
        .await
        .expect("eips");
    assert!(addresses.addresses().is_empty(), "elastic IPs released");
    let igws = ec2
        .describe_internet_gateways()
        .filters(filter("tag:Stack", "network"))
        .send()
        .await
        .expect("igws");
    assert!(
        igws.internet_gateways().is_empty(),
        "internet gateway deleted"
    );
    let groups = ec2
        .describe_security_groups()
        .filters(filter("tag:Stack", "network"))
        .send()
        .await
        .expect("sgs");
    assert!(
        groups.security_groups().is_empty(),
        "security groups deleted"
    );
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&ws.state).expect("state")).expect("json");
    assert_eq!(
        state["resources"].as_array().map(Vec::len),
        Some(0),
        "state is empty"
    );
}
