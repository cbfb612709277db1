//! A pipeline switches from Terraform by changing the binary's name: a
//! typical CI job written for `terraform` (single-dash flags, `-chdir`,
//! `-out`, `show -json`, applying the saved plan, `output -raw`), with
//! `TF_CLI_ARGS_plan` and `TF_IN_AUTOMATION` set, runs unchanged with
//! `terrane` against the emulator. And what a CI log shows of a run's
//! cost: `--stats`.

use std::process::Command;

use crate::support::Emulator;
use crate::support::checks::vpc_tagged;
use crate::support::cli::{copy_tree, repo_path};

#[tokio::test(flavor = "multi_thread")]
async fn a_terraform_ci_job_runs_with_terrane() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().expect("temp dir");
    copy_tree(&repo_path("tests/fixtures/ci"), dir.path());
    let run = Command::new("sh")
        .arg("terraform-ci.sh")
        .current_dir(dir.path())
        .envs(emulator.env())
        .env("TF", env!("CARGO_BIN_EXE_terrane"))
        .env("TF_IN_AUTOMATION", "1")
        .env("TF_CLI_ARGS_plan", "-parallelism=3 -refresh=true")
        .output()
        .expect("run the CI script");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stdout}\n{stderr}");

    // The saved plan's JSON, the applied object, and the outputs.
    let plan: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("plan.json")).expect("plan.json"),
    )
    .expect("plan JSON");
    assert_eq!(
        plan["resource_changes"][0]["change"]["actions"],
        serde_json::json!(["create"]),
        "{plan:#}"
    );
    assert!(
        vpc_tagged(&emulator.ec2(), "Name", "ci-vpc")
            .await
            .is_some()
    );
    let raw = std::fs::read_to_string(dir.path().join("vpc_name.txt")).expect("vpc_name.txt");
    assert_eq!(raw, "ci-vpc", "-raw prints the bare string");
    let outputs: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("outputs.json")).expect("outputs.json"),
    )
    .expect("outputs JSON");
    assert_eq!(outputs["vpc_name"]["value"], "ci-vpc");

    // TF_IN_AUTOMATION leaves out the advice on what to run next.
    assert!(stdout.contains("Saved the plan to tfplan."), "{stdout}");
    assert!(!stdout.contains("To carry out exactly"), "{stdout}");
}

/// Terraform's `-input=false` forbids the confirmation prompt.
#[test]
fn input_false_refuses_to_ask() {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_tree(&repo_path("tests/fixtures/ci/stack"), dir.path());
    let run = Command::new(env!("CARGO_BIN_EXE_terrane"))
        .args(["apply", "-input=false", "-var", "name=x", "-refresh=false"])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .output()
        .expect("run terrane");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("--input=false forbids asking"), "{stderr}");
}

/// `--stats` counts every request the run sent, as the emulator's own log
/// counts them, by operation, with terrane's CPU time.
#[tokio::test(flavor = "multi_thread")]
async fn stats_count_what_the_emulator_served() {
    let emulator = Emulator::start();
    let ws = crate::support::cli::Workspace::copy_of("tests/fixtures/ci/stack");
    let applied = ws.run(
        &emulator,
        "apply",
        &["--auto-approve", "--var", "name=stats"],
    );
    assert_eq!(applied.code, 0, "{}", applied.log());

    let before = emulator.request_count();
    let plan = ws.run(
        &emulator,
        "plan",
        &["--var", "name=stats", "--json", "--stats"],
    );
    let served = emulator.request_count() - before;
    assert_eq!(plan.code, 0, "{}", plan.log());
    let stats: serde_json::Value =
        serde_json::from_str(plan.stderr.lines().last().expect("the stats line"))
            .expect("stats JSON");
    let sent = stats["api_calls"].as_u64().unwrap() + stats["retries"].as_u64().unwrap();
    assert_eq!(sent as usize, served, "{stats:#}");
    assert!(served > 0);
    let describe_vpcs = stats["operations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["operation"] == "DescribeVpcs")
        .expect("DescribeVpcs counted");
    assert_eq!(describe_vpcs["service"], "EC2");
    assert!(
        stats["cpu_seconds"]["user"].as_f64().unwrap() > 0.0,
        "{stats:#}"
    );

    // In text, at the end of the human plan.
    let text = ws.run(&emulator, "plan", &["--var", "name=stats", "--stats"]);
    assert!(
        text.stderr.contains("AWS calls") && text.stderr.contains("DescribeVpcs"),
        "{}",
        text.log()
    );
}

/// An apply's critical path starts with the requests of its plan: a data
/// source the plan reads comes before any step, even one that makes no
/// request of its own.
#[test]
fn the_critical_path_starts_with_the_plan_s_requests() {
    let emulator = Emulator::start();
    let ws = crate::support::cli::Workspace::copy_of("tests/fixtures/ci/stack");
    ws.write(
        "main.tf",
        r#"provider "aws" {
  region = "us-east-1"
}

data "aws_availability_zones" "here" {}

resource "terraform_data" "zones" {
  input = data.aws_availability_zones.here.names
}
"#,
    );
    let applied = ws.run(&emulator, "apply", &["--auto-approve", "--stats=json"]);
    assert_eq!(applied.code, 0, "{}", applied.log());
    let stats: serde_json::Value =
        serde_json::from_str(applied.stderr.lines().last().expect("the stats line"))
            .expect("stats JSON");
    assert!(
        stats["critical_path"]["round_trips"].as_u64().unwrap() >= 1,
        "{stats:#}"
    );
    assert!(stats["critical_path"]["seconds_in_aws"].as_f64().unwrap() > 0.0);
}

/// Creates of one type that finish close together are read back with
/// shared Describe calls, not one each: `--stats` shows fewer DescribeVpcs
/// than VPCs made. A create AWS answers as ready is not waited for with a
/// Describe of its own: nothing names it before the read-back. And what a
/// VPC's create wrote (its DNS settings) is taken as written, not read.
#[tokio::test(flavor = "multi_thread")]
async fn creates_of_one_type_are_read_back_in_shared_calls() {
    let emulator = Emulator::start();
    let ws = crate::support::cli::Workspace::copy_of("tests/fixtures/ci/stack");
    ws.write(
        "main.tf",
        r#"resource "aws_vpc" "v" {
  count      = 30
  cidr_block = "10.${count.index}.0.0/16"
  # Half the VPCs have a DNS setting to write.
  enable_dns_hostnames = count.index % 2 == 0
}

resource "aws_subnet" "s" {
  count      = 30
  vpc_id     = aws_vpc.v[count.index].id
  cidr_block = cidrsubnet(aws_vpc.v[count.index].cidr_block, 8, 1)
}

resource "aws_route_table" "r" {
  count  = 30
  vpc_id = aws_vpc.v[count.index].id
}
"#,
    );
    let applied = ws.run(
        &emulator,
        "apply",
        &["--auto-approve", "--parallelism", "10", "--stats=json"],
    );
    assert_eq!(applied.code, 0, "{}", applied.log());
    let stats: serde_json::Value =
        serde_json::from_str(applied.stderr.lines().last().expect("the stats line"))
            .expect("stats JSON");
    let calls = |operation: &str| {
        stats["operations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["operation"] == operation)
            .map_or(0, |o| o["calls"].as_u64().unwrap())
    };
    // A VPC's read is DescribeVpcs plus one DescribeRouteTables (its main
    // route table) for all the ids it is given. The emulator answers
    // CreateVpc and CreateSubnet with the object available, so their
    // creates do not wait with a Describe of their own, nor does a route
    // table's without routes; only a VPC with a DNS setting to write does,
    // once, as that call names it. Read back one by one, and waited for,
    // that would be 60 DescribeVpcs, 60 DescribeSubnets and 90
    // DescribeRouteTables.
    assert_eq!(calls("CreateVpc"), 30, "{stats:#}");
    assert_eq!(calls("CreateSubnet"), 30, "{stats:#}");
    // The 15 VPCs with a DNS setting are waited for once each.
    assert!(calls("DescribeVpcs") <= 15 + 15, "{stats:#}");
    assert!(calls("DescribeSubnets") <= 15, "{stats:#}");
    // Main route tables of the VPCs, and the route tables made.
    assert!(calls("DescribeRouteTables") <= 30, "{stats:#}");
    // The DNS settings the creates wrote, or left at AWS's defaults, are
    // not read back (three calls a VPC).
    assert_eq!(calls("ModifyVpcAttribute"), 15, "{stats:#}");
    assert_eq!(calls("DescribeVpcAttribute"), 0, "{stats:#}");
    // Independent chains of two steps: the critical path is a VPC's and
    // then a subnet's round trips (create, read back), not the run's
    // requests.
    let critical = stats["critical_path"]["round_trips"]
        .as_u64()
        .expect("an apply's critical path");
    assert!((4..=16).contains(&critical), "{stats:#}");
    assert!(stats["critical_path"]["seconds_in_aws"].as_f64().unwrap() > 0.0);

    // State holds what the creates wrote, and AWS agrees.
    for i in [0, 29] {
        let vpc = format!("aws_vpc.v[{i}]");
        assert_eq!(ws.state_value(&vpc, "enable_dns_hostnames"), i % 2 == 0);
        assert_eq!(ws.state_value(&vpc, "enable_dns_support"), true);
        let usage_metrics = ws.state_value(&vpc, "enable_network_address_usage_metrics");
        assert_eq!(usage_metrics, false);
    }
    ws.assert_plan_clean(
        &emulator,
        "the values the read-back took as written are AWS's",
    );
}
