//! Modules and a provider alias end to end through the real binary
//! (`tests/fixtures/valid/modules`): a primary network in us-east-1, a
//! standby copy of the same module in us-west-2 through `aws.dr`, and one
//! security group per `for_each` key. Applied, re-planned clean, shrunk
//! (the standby's `count` to 0) and destroyed, each step checked with
//! Describe calls in both regions.

use std::collections::BTreeSet;

use crate::support::Emulator;
use crate::support::checks::{filter, vpc_tagged};
use crate::support::cli::Workspace;

const PRIMARY: &str = "us-east-1";
const STANDBY: &str = "us-west-2";

/// The availability zones of the subnets in a VPC.
async fn subnet_zones(ec2: &aws_sdk_ec2::Client, vpc_id: &str) -> BTreeSet<String> {
    ec2.describe_subnets()
        .filters(filter("vpc-id", vpc_id))
        .send()
        .await
        .expect("describe subnets")
        .subnets()
        .iter()
        .filter_map(|s| s.availability_zone().map(str::to_string))
        .collect()
}

async fn vpc_cidr(ec2: &aws_sdk_ec2::Client, vpc_id: &str) -> Option<String> {
    ec2.describe_vpcs()
        .vpc_ids(vpc_id)
        .send()
        .await
        .expect("describe vpc")
        .vpcs()
        .first()
        .and_then(|v| v.cidr_block().map(str::to_string))
}

/// The web security groups' names and ingress ports in a VPC.
async fn web_groups(ec2: &aws_sdk_ec2::Client, vpc_id: &str) -> BTreeSet<(String, i32)> {
    let groups = ec2
        .describe_security_groups()
        .filters(filter("vpc-id", vpc_id))
        .send()
        .await
        .expect("describe security groups");
    groups
        .security_groups()
        .iter()
        .filter(|g| g.group_name().is_some_and(|n| n.starts_with("web-")))
        .flat_map(|g| {
            g.ip_permissions().iter().map(|p| {
                (
                    g.group_name().unwrap_or_default().to_string(),
                    p.from_port().unwrap_or_default(),
                )
            })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn modules_and_a_provider_alias_build_in_two_regions() {
    let emulator = Emulator::start();
    let primary = emulator.ec2_in(PRIMARY);
    let standby = emulator.ec2_in(STANDBY);
    let ws = Workspace::copy_of("tests/fixtures/valid/modules");

    let run = ws.run(&emulator, "apply", &["--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(
        run.stdout
            .contains("Apply complete! Resources: 10 added, 0 changed, 0 destroyed."),
        "{}",
        run.log()
    );

    // Each network is in its own region, and only there.
    let primary_vpc = vpc_tagged(&primary, "Name", "primary")
        .await
        .expect("the primary VPC is in us-east-1");
    let standby_vpc = vpc_tagged(&standby, "Name", "standby")
        .await
        .expect("the standby VPC is in us-west-2");
    assert_eq!(vpc_tagged(&primary, "Name", "standby").await, None);
    assert_eq!(vpc_tagged(&standby, "Name", "primary").await, None);
    assert_eq!(
        vpc_cidr(&primary, &primary_vpc).await.as_deref(),
        Some("10.0.0.0/16")
    );
    assert_eq!(
        vpc_cidr(&standby, &standby_vpc).await.as_deref(),
        Some("10.1.0.0/16")
    );
    assert_eq!(
        subnet_zones(&standby, &standby_vpc).await,
        BTreeSet::from(["us-west-2a".to_string(), "us-west-2b".to_string()])
    );
    assert_eq!(
        subnet_zones(&primary, &primary_vpc).await,
        BTreeSet::from(["us-east-1a".to_string(), "us-east-1b".to_string()])
    );
    // for_each over a map: one group per key, each with its own port, in
    // the VPC another module's output named.
    assert_eq!(
        web_groups(&primary, &primary_vpc).await,
        BTreeSet::from([
            ("web-blue".to_string(), 8080),
            ("web-green".to_string(), 8081)
        ])
    );

    // State records module addresses and the alias that manages each object.
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&ws.state).expect("state")).expect("json");
    assert_eq!(state["format_version"], 2);
    let resources = state["resources"].as_array().expect("resources");
    let provider_of = |address: &str| {
        resources
            .iter()
            .find(|r| r["address"] == address)
            .map(|r| r["provider"].as_str().unwrap_or("aws").to_string())
    };
    assert_eq!(
        provider_of("module.standby[0].aws_vpc.this").as_deref(),
        Some("aws.dr")
    );
    assert_eq!(
        provider_of("module.network.aws_vpc.this").as_deref(),
        Some("aws")
    );
    assert_eq!(
        provider_of("module.web[\"blue\"].aws_security_group.this").as_deref(),
        Some("aws")
    );

    // Outputs reach through modules.
    let run = ws.run(&emulator, "output", &["--json"]);
    assert_eq!(run.code, 0, "{}", run.log());
    let outputs: serde_json::Value = serde_json::from_str(&run.stdout).expect("output json");
    assert_eq!(outputs["vpc_id"]["value"], primary_vpc.as_str());
    assert_eq!(outputs["standby_vpc_ids"]["value"][0], standby_vpc.as_str());
    // A counted data source in the standby module read us-west-2's zones.
    let zones = &outputs["standby_zone_names"]["value"][0];
    assert!(
        zones.as_array().is_some_and(|z| !z.is_empty()
            && z.iter()
                .all(|name| name.as_str().is_some_and(|n| n.starts_with(STANDBY)))),
        "{zones}"
    );

    // Refreshing each object in its own region finds nothing to change.
    let run = ws.run(&emulator, "plan", &["--detailed-exitcode"]);
    assert_eq!(run.code, 0, "second plan must be empty:\n{}", run.log());

    // Dropping the standby (count = 0) deletes it from us-west-2, through
    // the alias state recorded, and leaves the primary alone.
    let run = ws.run(
        &emulator,
        "apply",
        &["--auto-approve", "--var", "standby=false"],
    );
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(
        run.stdout
            .contains("Apply complete! Resources: 0 added, 0 changed, 4 destroyed."),
        "{}",
        run.log()
    );
    assert_eq!(vpc_tagged(&standby, "Name", "standby").await, None);
    assert!(vpc_tagged(&primary, "Name", "primary").await.is_some());

    let run = ws.run(
        &emulator,
        "destroy",
        &["--auto-approve", "--var", "standby=false"],
    );
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(vpc_tagged(&primary, "Name", "primary").await, None);
    assert!(web_groups(&primary, &primary_vpc).await.is_empty());
}
