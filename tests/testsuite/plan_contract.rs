//! The plan as a contract, through the real binary against the emulator:
//! drift made with direct AWS calls is reported before the plan and
//! corrected by apply, or accepted by `--refresh-only`; and a sensitive
//! variable's value appears in no output.

use crate::support::Emulator;
use crate::support::checks::{filter, tag_value, vpc_tagged};
use crate::support::cli::{Run, Workspace};

const STACK: &str = "tests/fixtures/valid/plan_contract";
/// The sensitive variable's value: it must never be printed.
const SECRET: &str = "s3cr3t-Value-never-shown";

fn secret_arg() -> String {
    format!("db_password={SECRET}")
}

/// Runs a command with the secret given, and checks it is not printed.
fn run(ws: &Workspace, emulator: &Emulator, command: &str, extra: &[&str]) -> Run {
    let secret = secret_arg();
    let mut args = vec!["--var", secret.as_str()];
    args.extend(extra);
    let run = ws.run(emulator, command, &args);
    assert!(
        !run.stdout.contains(SECRET) && !run.stderr.contains(SECRET),
        "`{command}` printed the sensitive value:\n{}",
        run.log()
    );
    run
}

async fn subnet_ids(ec2: &aws_sdk_ec2::Client, vpc_id: &str) -> Vec<String> {
    let subnets = ec2
        .describe_subnets()
        .filters(filter("vpc-id", vpc_id))
        .send()
        .await
        .expect("describe subnets");
    subnets
        .subnets()
        .iter()
        .filter_map(|s| s.subnet_id().map(str::to_string))
        .collect()
}

async fn ingress_ports(ec2: &aws_sdk_ec2::Client, group_id: &str) -> Vec<i32> {
    let groups = ec2
        .describe_security_groups()
        .group_ids(group_id)
        .send()
        .await
        .expect("describe security groups");
    let mut ports: Vec<i32> = groups.security_groups()[0]
        .ip_permissions()
        .iter()
        .filter_map(|p| p.from_port())
        .collect();
    ports.sort();
    ports
}

async fn group_id(ec2: &aws_sdk_ec2::Client) -> String {
    let groups = ec2
        .describe_security_groups()
        .filters(filter("group-name", "contract-app"))
        .send()
        .await
        .expect("describe security groups");
    groups.security_groups()[0]
        .group_id()
        .expect("group id")
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn drift_is_reported_then_corrected_or_accepted() {
    let emulator = Emulator::start();
    let ec2 = emulator.ec2();
    let ws = Workspace::copy_of(STACK);
    let applied = run(&ws, &emulator, "apply", &["--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.log());
    let vpc_id = vpc_tagged(&ec2, "Name", "contract-vpc")
        .await
        .expect("the VPC");
    let group = group_id(&ec2).await;
    let subnets = subnet_ids(&ec2, &vpc_id).await;
    assert_eq!(subnets.len(), 2);

    // Three changes made outside terrane: a tag edited, a rule added, a
    // subnet deleted.
    ec2.create_tags()
        .resources(&vpc_id)
        .tags(
            aws_sdk_ec2::types::Tag::builder()
                .key("Name")
                .value("edited-by-hand")
                .build(),
        )
        .send()
        .await
        .expect("edit tag");
    ec2.authorize_security_group_ingress()
        .group_id(&group)
        .ip_permissions(
            aws_sdk_ec2::types::IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(22)
                .to_port(22)
                .ip_ranges(
                    aws_sdk_ec2::types::IpRange::builder()
                        .cidr_ip("0.0.0.0/0")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("add rule");
    let second_subnet = ec2
        .describe_subnets()
        .filters(filter("tag:Name", "contract-private-1"))
        .send()
        .await
        .expect("describe subnet")
        .subnets()[0]
        .subnet_id()
        .expect("id")
        .to_string();
    ec2.delete_subnet()
        .subnet_id(&second_subnet)
        .send()
        .await
        .expect("delete subnet");

    // The plan reports each, attribute by attribute, before the changes
    // that undo them.
    let plan = run(&ws, &emulator, "plan", &["--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}", plan.log());
    let out = &plan.stdout;
    let drift_at = out
        .find("Objects have changed outside of terrane")
        .unwrap_or_else(|| panic!("no drift section:\n{}", plan.log()));
    let actions_at = out
        .find("terrane will perform the following actions")
        .expect("the plan's actions");
    assert!(drift_at < actions_at, "{}", plan.log());
    let drift = &out[drift_at..actions_at];
    for expected in [
        "# aws_vpc.main has changed",
        "\"Name\" = \"contract-vpc\" -> \"edited-by-hand\"",
        "# aws_security_group.app has changed",
        "from_port   = 22",
        "# aws_subnet.private[1] has been deleted",
    ] {
        assert!(
            drift.contains(expected),
            "{expected:?} not in the drift:\n{drift}"
        );
    }
    assert!(
        out.contains("Plan: 1 to add, 2 to change, 0 to destroy."),
        "{}",
        plan.log()
    );

    // --refresh-only shows the same drift and proposes nothing else;
    // applying it records AWS's values in state and touches nothing.
    let refresh_plan = run(&ws, &emulator, "plan", &["--refresh-only"]);
    assert_eq!(refresh_plan.code, 0, "{}", refresh_plan.log());
    assert!(
        refresh_plan
            .stdout
            .contains("# aws_subnet.private[1] has been deleted")
            && refresh_plan.stdout.contains("This is a refresh-only plan")
            && !refresh_plan.stdout.contains("Plan:"),
        "{}",
        refresh_plan.log()
    );
    let accepted = run(
        &ws,
        &emulator,
        "apply",
        &["--refresh-only", "--auto-approve"],
    );
    assert_eq!(accepted.code, 0, "{}", accepted.log());
    let state = std::fs::read_to_string(&ws.state).expect("state");
    assert!(state.contains("edited-by-hand"), "state keeps AWS's tag");
    assert!(
        !state.contains("aws_subnet.private[1]"),
        "the deleted subnet left state"
    );
    assert_eq!(
        tag_value(&ec2, &vpc_id, "Name").await.as_deref(),
        Some("edited-by-hand"),
        "refresh-only changed nothing in AWS"
    );
    assert_eq!(ingress_ports(&ec2, &group).await, [22, 443]);
    assert_eq!(subnet_ids(&ec2, &vpc_id).await.len(), 1);

    // The drift is state's now: the next plan shows no drift, only the
    // corrections, and apply makes them.
    let plan = run(&ws, &emulator, "plan", &[]);
    assert!(
        !plan.stdout.contains("changed outside")
            && plan
                .stdout
                .contains("Plan: 1 to add, 2 to change, 0 to destroy."),
        "{}",
        plan.log()
    );
    let corrected = run(&ws, &emulator, "apply", &["--auto-approve"]);
    assert_eq!(corrected.code, 0, "{}", corrected.log());
    assert_eq!(
        tag_value(&ec2, &vpc_id, "Name").await.as_deref(),
        Some("contract-vpc")
    );
    assert_eq!(ingress_ports(&ec2, &group).await, [443]);
    assert_eq!(subnet_ids(&ec2, &vpc_id).await.len(), 2);
    let clean = run(&ws, &emulator, "plan", &["--detailed-exitcode"]);
    assert_eq!(clean.code, 0, "{}", clean.log());

    // --refresh=false plans from state alone, and says so.
    let offline = run(&ws, &emulator, "plan", &["--refresh=false"]);
    assert_eq!(offline.code, 0, "{}", offline.log());
    assert!(
        offline.stderr.contains("--refresh=false"),
        "{}",
        offline.log()
    );
}
