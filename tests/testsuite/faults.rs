//! Runs through the fault-injecting proxy (`support::proxy`): AWS that
//! throttles, fails inside and answers slowly, and a network that loses the
//! answer to a create after AWS carried it out. terrane must converge
//! without a duplicate and without forgetting anything.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::support::Emulator;
use crate::support::cli::{Workspace, terrane_with};
use crate::support::inventory::{inventory, state_inventory, state_of};
use crate::support::proxy::{Faults, Proxy};

#[tokio::test(flavor = "multi_thread")]
async fn production_converges_through_throttling_server_errors_and_latency() {
    let emulator = Emulator::start();
    let proxy = Proxy::start(
        emulator.endpoint(),
        Faults {
            seed: 11,
            latency: Duration::from_millis(50),
            throttle: 0.05,
            server_error: 0.05,
            ..Faults::default()
        },
    );
    let ws = Workspace::copy_of("stacks/production");
    let via = proxy.endpoint();

    let apply = ws.run_via(&emulator, &via, "apply", &["--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.log());
    let injected = proxy.injected();
    let seen: usize = proxy.counts().values().sum();
    assert!(
        injected * 20 > seen,
        "about a tenth of {seen} calls failed: {injected}"
    );
    assert_eq!(
        inventory(&emulator).await,
        state_inventory(&state_of(&ws.state)),
        "what AWS holds is what state records"
    );

    let plan = ws.run_via(&emulator, &via, "plan", &["--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "a clean plan: {}", plan.log());

    let destroy = ws.run_via(&emulator, &via, "destroy", &["--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.log());
    assert_eq!(inventory(&emulator).await, BTreeMap::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn creates_whose_answers_are_lost_are_adopted_not_made_twice() {
    let emulator = Emulator::start();
    let proxy = Proxy::start(
        emulator.endpoint(),
        Faults {
            lose_answers: vec![
                Box::new(|call| call.operation == "CreateVpc"),
                Box::new(|call| call.operation == "CreateRole"),
                // Its subnet mappings are computed: the update that finishes
                // the adopted create must not send them as unknown.
                Box::new(|call| call.operation == "CreateLoadBalancer"),
                // CreateBucket: a PUT of the bucket itself, with no key.
                Box::new(|call| {
                    call.service == "s3"
                        && call.method == "PUT"
                        && call.path.trim_matches('/').split('/').count() == 1
                        && call.query.is_empty()
                }),
            ],
            ..Faults::default()
        },
    );
    let ws = Workspace::copy_of("tests/fixtures/ci/stack");
    ws.write(
        "main.tf",
        r#"provider "aws" {
  region = "us-east-1"
}

resource "aws_vpc" "main" {
  cidr_block = "10.77.0.0/16"
  tags       = { Name = "lost-answer" }
}

resource "aws_subnet" "a" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.77.1.0/24"
  availability_zone = "us-east-1a"
}

resource "aws_subnet" "b" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.77.2.0/24"
  availability_zone = "us-east-1b"
}

resource "aws_lb" "app" {
  name    = "lost-answer"
  subnets = [aws_subnet.a.id, aws_subnet.b.id]
}

resource "aws_iam_role" "app" {
  name = "lost-answer-app"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }]
  })
  tags = { Team = "shop" }
}

resource "aws_s3_bucket" "app" {
  bucket = "lost-answer-app"
  tags   = { Team = "shop" }
}
"#,
    );
    let apply = ws.run_via(&emulator, &proxy.endpoint(), "apply", &["--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.log());
    let lost: Vec<String> = proxy.lost().into_iter().map(|c| c.operation).collect();
    assert_eq!(lost.len(), 4, "each rule dropped one answer: {lost:?}");

    let aws = inventory(&emulator).await;
    assert_eq!(aws["aws_vpc"].len(), 1, "{aws:?}");
    assert_eq!(aws["aws_iam_role"].len(), 1, "{aws:?}");
    assert_eq!(aws["aws_s3_bucket"].len(), 1, "{aws:?}");
    assert_eq!(aws["aws_lb"].len(), 1, "{aws:?}");
    assert_eq!(aws, state_inventory(&state_of(&ws.state)));

    // What the creates had yet to do after the lost answer (the bucket's
    // tags are a second call) was done as an update: nothing is left.
    let plan = ws.run_via(
        &emulator,
        &proxy.endpoint(),
        "plan",
        &["--detailed-exitcode"],
    );
    assert_eq!(plan.code, 0, "a clean plan: {}", plan.log());
}

#[test]
fn calls_keep_to_the_client_side_rate_limits() {
    let emulator = Emulator::start();
    let proxy = Proxy::start(emulator.endpoint(), Faults::default());
    let ws = Workspace::copy_of("tests/fixtures/ci/stack");
    ws.write(
        "main.tf",
        r#"resource "aws_iam_role" "r" {
  count              = 5
  name               = "limited-${count.index}"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [] })
}
"#,
    );
    // A fifth of the chosen rates: IAM changes in a burst of 2, then one a
    // second.
    let args = ws.args_for("apply", &["--auto-approve"]);
    let env = [
        ("AWS_ENDPOINT_URL", proxy.endpoint()),
        ("TERRANE_RATE_LIMITS", "0.2".to_string()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let apply = terrane_with(&emulator, ws.root(), &args, &env);
    assert_eq!(apply.code, 0, "{}", apply.log());
    let reads = ["Describe", "List", "Get"];
    let changes = proxy.arrivals(|call| {
        call.service == "iam" && !reads.iter().any(|r| call.operation.starts_with(r))
    });
    assert!(changes.len() >= 5, "{} IAM changes", changes.len());
    let span = changes[changes.len() - 1].duration_since(changes[0]);
    let least = Duration::from_secs_f64((changes.len() - 2) as f64 - 0.3);
    assert!(
        span >= least,
        "{} changes after the burst, at one a second, took {span:?}",
        changes.len() - 2
    );

    let bad = terrane_with(
        &emulator,
        ws.root(),
        &ws.args_for("plan", &[]),
        &[("TERRANE_RATE_LIMITS", "fast")],
    );
    assert_eq!(bad.code, 1, "{}", bad.log());
    assert!(
        bad.stderr
            .contains("TERRANE_RATE_LIMITS must be `off` or a positive number"),
        "{}",
        bad.log()
    );
}

/// Waits for new objects share their Describe calls: of ten security
/// groups and ten gateways made at once, 100 ms a request, waits that each
/// polled for their own object alone would cost a call per object (ten
/// each) before the read-backs'. Each object still ends as its own wait saw it: every
/// gateway attached to its own VPC, every group without AWS's default
/// egress rule.
#[tokio::test(flavor = "multi_thread")]
async fn waits_for_many_new_objects_share_their_describe_calls() {
    let emulator = Emulator::start();
    let proxy = Proxy::start(
        emulator.endpoint(),
        Faults {
            latency: Duration::from_millis(100),
            ..Faults::default()
        },
    );
    let ws = Workspace::copy_of("tests/fixtures/ci/stack");
    ws.write(
        "main.tf",
        r#"provider "aws" {
  region = "us-east-1"
}

resource "aws_vpc" "v" {
  count      = 10
  cidr_block = "10.${count.index}.0.0/16"
}

resource "aws_security_group" "g" {
  count  = 10
  name   = "shared-wait-${count.index}"
  vpc_id = aws_vpc.v[count.index].id
}

resource "aws_internet_gateway" "i" {
  count  = 10
  vpc_id = aws_vpc.v[count.index].id
}
"#,
    );
    // Every create at once, so how many calls the waits share does not
    // hang on when each gets a slot.
    let apply = ws.run_via(
        &emulator,
        &proxy.endpoint(),
        "apply",
        &["--auto-approve", "--parallelism", "30"],
    );
    assert_eq!(apply.code, 0, "{}", apply.log());

    let counts = proxy.counts();
    let calls = |operation: &str| {
        counts
            .get(&("ec2".to_string(), operation.to_string()))
            .copied()
            .unwrap_or(0)
    };
    // A VPC's read-back describes its default group too, one call per
    // DescribeVpcs.
    assert!(
        calls("DescribeSecurityGroups") < calls("DescribeVpcs") + 10,
        "fewer calls than groups, read-backs included: {counts:?}"
    );
    assert!(
        calls("DescribeInternetGateways") < 10,
        "fewer calls than gateways, read-backs included: {counts:?}"
    );

    let ec2 = emulator.ec2();
    let state = state_of(&ws.state);
    for n in 0..10 {
        let instance = |address: String| {
            state["resources"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["address"] == address.as_str())
                .and_then(|r| r["id"].as_str())
                .unwrap_or_else(|| panic!("{address} in state"))
                .to_string()
        };
        let (vpc, group, gateway) = (
            instance(format!("aws_vpc.v[{n}]")),
            instance(format!("aws_security_group.g[{n}]")),
            instance(format!("aws_internet_gateway.i[{n}]")),
        );
        let described = ec2
            .describe_internet_gateways()
            .internet_gateway_ids(&gateway)
            .send()
            .await
            .unwrap();
        let attached: Vec<_> = described.internet_gateways()[0]
            .attachments()
            .iter()
            .filter_map(|a| a.vpc_id())
            .collect();
        assert_eq!(attached, [vpc.as_str()], "gateway {n}");
        let described = ec2
            .describe_security_groups()
            .group_ids(&group)
            .send()
            .await
            .unwrap();
        let described = &described.security_groups()[0];
        assert_eq!(described.vpc_id(), Some(vpc.as_str()), "group {n}");
        assert!(
            described.ip_permissions_egress().is_empty(),
            "group {n}: the default egress rule was revoked"
        );
    }
}
