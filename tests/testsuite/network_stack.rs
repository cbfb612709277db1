//! The `stacks/network` example end to end through the real binary: apply,
//! an empty second plan, a tag edit, a removed subnet, and destroy — each
//! checked with independent EC2 Describe calls.

use std::collections::BTreeSet;

use aws_sdk_ec2::types::Filter;

use crate::support::Emulator;
use crate::support::cli::Workspace;

fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

/// The id of the stack's VPC, found by its tag rather than from state.
async fn stack_vpc(ec2: &aws_sdk_ec2::Client) -> Option<String> {
    let vpcs = ec2
        .describe_vpcs()
        .filters(filter("tag:Stack", "network"))
        .send()
        .await
        .expect("describe vpcs");
    let ids: Vec<String> = vpcs
        .vpcs()
        .iter()
        .filter_map(|v| v.vpc_id().map(str::to_string))
        .collect();
    assert!(ids.len() <= 1, "more than one stack VPC: {ids:?}");
    ids.into_iter().next()
}

async fn tag_value(ec2: &aws_sdk_ec2::Client, id: &str, key: &str) -> Option<String> {
    let tags = ec2
        .describe_tags()
        .filters(filter("resource-id", id))
        .filters(filter("key", key))
        .send()
        .await
        .expect("describe tags");
    tags.tags()
        .first()
        .and_then(|t| t.value().map(str::to_string))
}

async fn check_built(ec2: &aws_sdk_ec2::Client) -> String {
    let vpc_id = stack_vpc(ec2).await.expect("the stack's VPC exists");
    let vpc = ec2
        .describe_vpcs()
        .vpc_ids(&vpc_id)
        .send()
        .await
        .expect("vpc");
    assert_eq!(vpc.vpcs()[0].cidr_block(), Some("10.0.0.0/16"));

    let subnets = ec2
        .describe_subnets()
        .filters(filter("vpc-id", &vpc_id))
        .send()
        .await
        .expect("subnets");
    let subnets = subnets.subnets();
    assert_eq!(subnets.len(), 6, "3 public + 3 private subnets");
    let zones: BTreeSet<&str> = subnets
        .iter()
        .filter_map(|s| s.availability_zone())
        .collect();
    assert_eq!(
        zones.len(),
        3,
        "spread over 3 availability zones: {zones:?}"
    );
    let public: Vec<_> = subnets
        .iter()
        .filter(|s| s.map_public_ip_on_launch() == Some(true))
        .collect();
    assert_eq!(public.len(), 3, "public subnets map public IPs");
    let public_ids: BTreeSet<&str> = public.iter().filter_map(|s| s.subnet_id()).collect();

    let igws = ec2
        .describe_internet_gateways()
        .filters(filter("attachment.vpc-id", &vpc_id))
        .send()
        .await
        .expect("igws");
    assert_eq!(
        igws.internet_gateways().len(),
        1,
        "one internet gateway attached"
    );

    let nats = ec2
        .describe_nat_gateways()
        .filter(filter("vpc-id", &vpc_id))
        .filter(filter("state", "available"))
        .send()
        .await
        .expect("nat gateways");
    let nats = nats.nat_gateways();
    assert_eq!(nats.len(), 3, "one NAT gateway per zone");
    for nat in nats {
        assert!(
            public_ids.contains(nat.subnet_id().unwrap_or_default()),
            "NAT gateways sit in public subnets"
        );
    }
    let nat_ids: BTreeSet<&str> = nats.iter().filter_map(|n| n.nat_gateway_id()).collect();

    // Every private subnet's default route goes through a NAT gateway.
    let tables = ec2
        .describe_route_tables()
        .filters(filter("vpc-id", &vpc_id))
        .send()
        .await
        .expect("route tables");
    for subnet in subnets
        .iter()
        .filter(|s| s.map_public_ip_on_launch() != Some(true))
    {
        let id = subnet.subnet_id().unwrap_or_default();
        let table = tables
            .route_tables()
            .iter()
            .find(|t| t.associations().iter().any(|a| a.subnet_id() == Some(id)))
            .unwrap_or_else(|| panic!("private subnet {id} has a route table"));
        let default_route = table
            .routes()
            .iter()
            .find(|r| r.destination_cidr_block() == Some("0.0.0.0/0"))
            .expect("a default route");
        assert!(
            nat_ids.contains(default_route.nat_gateway_id().unwrap_or_default()),
            "private default route via NAT"
        );
    }

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
