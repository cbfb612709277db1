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

/// `# ADDR will be created` lines of a human plan, as (address, actions)
/// in Terraform's JSON words.
fn human_actions(plan: &str) -> Vec<(String, Vec<String>)> {
    let mut found = Vec::new();
    for line in plan.lines() {
        let Some(rest) = line.trim_start().strip_prefix("# ") else {
            continue;
        };
        let words: &[(&str, &[&str])] = &[
            (" will be created", &["create"]),
            (" will be updated in-place", &["update"]),
            (" must be replaced", &["delete", "create"]),
            (" will be replaced, as requested", &["delete", "create"]),
            (" will be destroyed", &["delete"]),
        ];
        for (suffix, actions) in words {
            if let Some(address) = rest.strip_suffix(suffix) {
                let actions = actions.iter().map(|a| a.to_string()).collect();
                found.push((address.to_string(), actions));
            }
        }
    }
    found.sort();
    found
}

fn json_actions(plan: &serde_json::Value) -> Vec<(String, Vec<String>)> {
    let mut found: Vec<(String, Vec<String>)> = plan["resource_changes"]
        .as_array()
        .expect("resource_changes")
        .iter()
        .map(|change| {
            let actions = change["change"]["actions"]
                .as_array()
                .expect("actions")
                .iter()
                .map(|a| a.as_str().expect("action").to_string())
                .collect();
            (
                change["address"].as_str().expect("address").to_string(),
                actions,
            )
        })
        .filter(|(_, actions): &(String, Vec<String>)| actions != &["no-op"])
        .collect();
    found.sort();
    found
}

/// Checks a plan document against the schema in the repository.
fn assert_valid_plan_json(document: &serde_json::Value) {
    let schema_text =
        std::fs::read_to_string(crate::support::cli::repo_path("docs/plan-json.schema.json"))
            .expect("the schema");
    let schema: serde_json::Value = serde_json::from_str(&schema_text).expect("schema parses");
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let errors: Vec<String> = validator
        .iter_errors(document)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "plan JSON does not match the schema:\n{}",
        errors.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_json_matches_the_schema_and_the_human_plan() {
    let emulator = Emulator::start();
    let ws = Workspace::copy_of(STACK);
    let human = run(&ws, &emulator, "plan", &[]);
    assert_eq!(human.code, 0, "{}", human.log());
    let machine = run(&ws, &emulator, "plan", &["--json"]);
    assert_eq!(machine.code, 0, "{}", machine.log());
    let document: serde_json::Value =
        serde_json::from_str(&machine.stdout).expect("plan --json prints one JSON document");
    assert_valid_plan_json(&document);
    assert_eq!(human_actions(&human.stdout), json_actions(&document));
    assert_eq!(json_actions(&document).len(), 5);

    // Sensitive values are marked, never written.
    let bucket = document["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "aws_s3_bucket.app")
        .expect("the bucket");
    assert_eq!(bucket["change"]["after_sensitive"]["tags"], true);
    assert_eq!(bucket["change"]["after"]["tags"], serde_json::Value::Null);
    assert_eq!(document["variables"]["db_password"]["sensitive"], true);
    assert_eq!(
        document["output_changes"]["connection"]["after_sensitive"],
        true
    );
    assert_eq!(
        document["configuration"]["root_module"]["resources"][0]["expressions"]["cidr_block"]["constant_value"],
        "10.40.0.0/16"
    );

    // After an apply and a change, the JSON still agrees with the human plan.
    let applied = run(&ws, &emulator, "apply", &["--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.log());
    ws.edit(
        "main.tf",
        "Name = \"${var.name}-vpc\"",
        "Name = \"${var.name}-vpc-2\"",
    );
    ws.edit(
        "main.tf",
        "cidr_block = cidrsubnet(\"10.40.0.0/16\", 8, count.index)",
        "cidr_block = cidrsubnet(\"10.40.0.0/16\", 8, count.index + 10)",
    );
    let human = run(&ws, &emulator, "plan", &[]);
    let machine = run(&ws, &emulator, "plan", &["--json"]);
    let document: serde_json::Value = serde_json::from_str(&machine.stdout).expect("JSON");
    assert_valid_plan_json(&document);
    assert_eq!(human_actions(&human.stdout), json_actions(&document));
    assert!(
        json_actions(&document).contains(&(
            "aws_subnet.private[0]".to_string(),
            vec!["delete".to_string(), "create".to_string()]
        )),
        "{}",
        machine.stdout
    );
    assert!(
        !document["prior_state"]["values"]["root_module"]["resources"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

/// `terrane apply FILE`, run from the workspace with the state file.
fn apply_saved(ws: &Workspace, emulator: &Emulator, file: &std::path::Path, secret: bool) -> Run {
    let mut args = vec![
        "apply".to_string(),
        file.display().to_string(),
        "--state".into(),
        ws.state.display().to_string(),
    ];
    if secret {
        args.extend(["--var".to_string(), secret_arg()]);
    }
    let run = crate::support::cli::terrane(emulator, ws.root(), &args);
    assert!(
        !run.stdout.contains(SECRET) && !run.stderr.contains(SECRET),
        "{}",
        run.log()
    );
    run
}

#[tokio::test(flavor = "multi_thread")]
async fn a_saved_plan_applies_exactly_and_a_stale_one_is_refused() {
    let emulator = Emulator::start();
    let ec2 = emulator.ec2();
    let ws = Workspace::copy_of(STACK);
    let first = ws.root().join("first.plan");
    let made = run(&ws, &emulator, "plan", &["--out", first.to_str().unwrap()]);
    assert_eq!(made.code, 0, "{}", made.log());
    assert!(made.stdout.contains("terrane apply"), "{}", made.log());
    let text = std::fs::read_to_string(&first).expect("the plan file");
    assert!(
        !text.contains(SECRET),
        "the plan file holds the sensitive value"
    );

    // `show` renders it as the human plan and as the same JSON.
    let shown = crate::support::cli::terrane(
        &emulator,
        ws.root(),
        &["show".into(), first.display().to_string()],
    );
    assert!(
        shown
            .stdout
            .contains("Plan: 5 to add, 0 to change, 0 to destroy."),
        "{}",
        shown.log()
    );
    let shown_json = crate::support::cli::terrane(
        &emulator,
        ws.root(),
        &["show".into(), first.display().to_string(), "--json".into()],
    );
    let document: serde_json::Value = serde_json::from_str(&shown_json.stdout).expect("JSON");
    assert_valid_plan_json(&document);
    assert!(!shown_json.stdout.contains(SECRET));

    // Without the sensitive variable given again, it is refused, and AWS
    // is not asked anything.
    let requests = emulator.request_count();
    let refused = apply_saved(&ws, &emulator, &first, false);
    assert_eq!(refused.code, 1, "{}", refused.log());
    assert!(
        refused.stderr.contains("db_password") && refused.stderr.contains("digest"),
        "{}",
        refused.log()
    );
    assert_eq!(emulator.request_count(), requests, "AWS was called");

    // With it, the plan is carried out as shown, without a prompt.
    let applied = apply_saved(&ws, &emulator, &first, true);
    assert_eq!(applied.code, 0, "{}", applied.log());
    assert!(
        applied
            .stdout
            .contains("Apply complete! Resources: 5 added, 0 changed, 0 destroyed."),
        "{}",
        applied.log()
    );
    let vpc_id = vpc_tagged(&ec2, "Name", "contract-vpc").await.expect("VPC");

    // A plan made before another apply is stale: refused, AWS untouched.
    ws.edit(
        "main.tf",
        "Name = \"${var.name}-vpc\"",
        "Name = \"${var.name}-vpc-b\"",
    );
    let second = ws.root().join("second.plan");
    let made = run(&ws, &emulator, "plan", &["--out", second.to_str().unwrap()]);
    assert_eq!(made.code, 0, "{}", made.log());
    let other = run(&ws, &emulator, "apply", &["--auto-approve"]);
    assert_eq!(other.code, 0, "{}", other.log());
    let requests = emulator.request_count();
    let stale = apply_saved(&ws, &emulator, &second, true);
    assert_eq!(stale.code, 1, "{}", stale.log());
    assert!(
        stale.stderr.contains("The plan is stale"),
        "{}",
        stale.log()
    );
    assert_eq!(emulator.request_count(), requests, "AWS was called");

    // So is one whose stack files changed since.
    let third = ws.root().join("third.plan");
    let made = run(&ws, &emulator, "plan", &["--out", third.to_str().unwrap()]);
    assert_eq!(made.code, 0, "{}", made.log());
    ws.edit(
        "main.tf",
        "Name = \"${var.name}-vpc-b\"",
        "Name = \"${var.name}-vpc-c\"",
    );
    let changed = apply_saved(&ws, &emulator, &third, true);
    assert_eq!(changed.code, 1, "{}", changed.log());
    assert!(
        changed.stderr.contains("files have changed"),
        "{}",
        changed.log()
    );
    assert_eq!(
        tag_value(&ec2, &vpc_id, "Name").await.as_deref(),
        Some("contract-vpc-b")
    );

    // And so is one that, made again now, would do more: AWS changed in
    // between (a subnet deleted by hand). AWS is read, not changed.
    let fourth = ws.root().join("fourth.plan");
    let made = run(&ws, &emulator, "plan", &["--out", fourth.to_str().unwrap()]);
    assert_eq!(made.code, 0, "{}", made.log());
    let subnet = subnet_ids(&ec2, &vpc_id).await.pop().expect("a subnet");
    ec2.delete_subnet()
        .subnet_id(&subnet)
        .send()
        .await
        .expect("delete subnet");
    let moved_on = apply_saved(&ws, &emulator, &fourth, true);
    assert_eq!(moved_on.code, 1, "{}", moved_on.log());
    assert!(
        moved_on
            .stderr
            .contains("The infrastructure has changed since the plan was made"),
        "{}",
        moved_on.log()
    );
    assert_eq!(
        tag_value(&ec2, &vpc_id, "Name").await.as_deref(),
        Some("contract-vpc-b")
    );

    // Options that would change a saved plan are refused.
    let mut args = vec![
        "apply".to_string(),
        fourth.display().to_string(),
        "--target".into(),
        "aws_vpc.main".into(),
    ];
    args.extend(["--state".to_string(), ws.state.display().to_string()]);
    let changed_options = crate::support::cli::terrane(&emulator, ws.root(), &args);
    assert_eq!(changed_options.code, 1, "{}", changed_options.log());
    assert!(
        changed_options
            .stderr
            .contains("A saved plan is applied as it was made"),
        "{}",
        changed_options.log()
    );

    // A file that is not a plan is refused with a clear message.
    let junk = ws.root().join("junk.plan");
    std::fs::write(&junk, "{\"not\": \"a plan\"}").unwrap();
    let refused = apply_saved(&ws, &emulator, &junk, true);
    assert_eq!(refused.code, 1, "{}", refused.log());
    assert!(
        refused.stderr.contains("is not a terrane plan file"),
        "{}",
        refused.log()
    );
}

async fn subnet_named(ec2: &aws_sdk_ec2::Client, name: &str) -> Option<String> {
    let subnets = ec2
        .describe_subnets()
        .filters(filter("tag:Name", name))
        .send()
        .await
        .expect("describe subnets");
    subnets
        .subnets()
        .first()
        .and_then(|s| s.subnet_id().map(str::to_string))
}

#[tokio::test(flavor = "multi_thread")]
async fn target_exclude_and_replace_touch_only_what_they_name() {
    let emulator = Emulator::start();
    let ec2 = emulator.ec2();
    let ws = Workspace::copy_of(STACK);
    let applied = run(&ws, &emulator, "apply", &["--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.log());
    let vpc_id = vpc_tagged(&ec2, "Name", "contract-vpc").await.expect("VPC");
    let group = group_id(&ec2).await;

    // Four changes: the VPC's tag, both subnets' tags, the group's rule.
    ws.edit(
        "main.tf",
        "Name = \"${var.name}-vpc\"",
        "Name = \"${var.name}-vpc-v2\"",
    );
    ws.edit(
        "main.tf",
        "Name = \"${var.name}-private-${count.index}\"",
        "Name = \"${var.name}-private-${count.index}-v2\"",
    );
    ws.edit(
        "main.tf",
        "from_port   = 443\n    to_port     = 443",
        "from_port   = 8443\n    to_port     = 8443",
    );

    // --target plans the instance and what it depends on, nothing else.
    let targeted = run(
        &ws,
        &emulator,
        "plan",
        &["--target", "aws_subnet.private[1]"],
    );
    assert_eq!(targeted.code, 0, "{}", targeted.log());
    assert_eq!(
        human_actions(&targeted.stdout),
        [
            (
                "aws_subnet.private[1]".to_string(),
                vec!["update".to_string()]
            ),
            ("aws_vpc.main".to_string(), vec!["update".to_string()]),
        ],
        "{}",
        targeted.log()
    );
    assert!(
        targeted.stderr.contains("Resource targeting is in effect"),
        "{}",
        targeted.log()
    );
    let applied = run(
        &ws,
        &emulator,
        "apply",
        &["--target", "aws_subnet.private[1]", "--auto-approve"],
    );
    assert_eq!(applied.code, 0, "{}", applied.log());
    assert!(subnet_named(&ec2, "contract-private-1-v2").await.is_some());
    assert!(
        subnet_named(&ec2, "contract-private-0").await.is_some(),
        "untargeted subnet changed"
    );
    assert_eq!(
        tag_value(&ec2, &vpc_id, "Name").await.as_deref(),
        Some("contract-vpc-v2")
    );
    assert_eq!(
        ingress_ports(&ec2, &group).await,
        [443],
        "untargeted group changed"
    );

    // --exclude plans everything but the group (and what depends on it).
    let applied = run(
        &ws,
        &emulator,
        "apply",
        &["--exclude", "aws_security_group.app", "--auto-approve"],
    );
    assert_eq!(applied.code, 0, "{}", applied.log());
    assert!(
        applied
            .stdout
            .contains("Apply complete! Resources: 0 added, 1 changed, 0 destroyed."),
        "{}",
        applied.log()
    );
    assert!(subnet_named(&ec2, "contract-private-0-v2").await.is_some());
    assert_eq!(
        ingress_ports(&ec2, &group).await,
        [443],
        "excluded group changed"
    );

    // The state kept everything: a whole plan now has just the group.
    let rest = run(&ws, &emulator, "plan", &[]);
    assert_eq!(
        human_actions(&rest.stdout),
        [(
            "aws_security_group.app".to_string(),
            vec!["update".to_string()]
        )],
        "{}",
        rest.log()
    );

    // --replace replaces one instance that nothing forces to change.
    ws.edit(
        "main.tf",
        "from_port   = 8443\n    to_port     = 8443",
        "from_port   = 443\n    to_port     = 443",
    );
    let before = subnet_named(&ec2, "contract-private-0-v2")
        .await
        .expect("subnet 0");
    let other = subnet_named(&ec2, "contract-private-1-v2")
        .await
        .expect("subnet 1");
    let planned = run(
        &ws,
        &emulator,
        "plan",
        &["--replace", "aws_subnet.private[0]"],
    );
    assert!(
        planned
            .stdout
            .contains("# aws_subnet.private[0] will be replaced, as requested")
            && planned
                .stdout
                .contains("Plan: 1 to add, 0 to change, 1 to destroy."),
        "{}",
        planned.log()
    );
    let replaced = run(
        &ws,
        &emulator,
        "apply",
        &["--replace", "aws_subnet.private[0]", "--auto-approve"],
    );
    assert_eq!(replaced.code, 0, "{}", replaced.log());
    let after = subnet_named(&ec2, "contract-private-0-v2")
        .await
        .expect("subnet 0");
    assert_ne!(before, after, "subnet 0 was not replaced");
    assert_eq!(
        subnet_named(&ec2, "contract-private-1-v2").await,
        Some(other)
    );

    // A malformed address is an error, not an empty plan.
    let bad = run(&ws, &emulator, "plan", &["--target", "aws_subnet"]);
    assert_eq!(bad.code, 1, "{}", bad.log());
    assert!(
        bad.stderr.contains("is not a resource address"),
        "{}",
        bad.log()
    );
}

const LIFECYCLE_STACK: &str = r#"
provider "aws" {
  region = "us-east-1"
}

variable "cidr" {
  type    = string
  default = "10.50.1.0/24"
}

resource "aws_vpc" "main" {
  cidr_block = "10.50.0.0/16"
}

resource "aws_subnet" "a" {
  vpc_id     = aws_vpc.main.id
  cidr_block = var.cidr

  lifecycle {
    create_before_destroy = true

    postcondition {
      condition     = self.vpc_id == aws_vpc.main.id
      error_message = "The subnet must be in the stack's VPC."
    }

    postcondition {
      condition     = self.cidr_block != "10.50.9.0/24"
      error_message = "10.50.9.0/24 is reserved."
    }
  }
}

resource "aws_route_table" "a" {
  vpc_id = aws_vpc.main.id
}

resource "aws_route_table_association" "a" {
  subnet_id      = aws_subnet.a.id
  route_table_id = aws_route_table.a.id
}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn create_before_destroy_creates_first_and_postconditions_are_checked() {
    let emulator = Emulator::start();
    let ec2 = emulator.ec2();
    let ws = Workspace::copy_of(STACK);
    ws.write("main.tf", LIFECYCLE_STACK);
    let applied = ws.run(&emulator, "apply", &["--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.log());
    let vpc_id = ec2
        .describe_vpcs()
        .filters(filter("cidr", "10.50.0.0/16"))
        .send()
        .await
        .expect("vpcs")
        .vpcs()[0]
        .vpc_id()
        .expect("id")
        .to_string();

    // A new CIDR forces replacement: the new subnet is created (and the
    // association moved to it) before the old one is destroyed.
    let replaced = ws.run(
        &emulator,
        "apply",
        &["--auto-approve", "--var", "cidr=10.50.2.0/24"],
    );
    assert_eq!(replaced.code, 0, "{}", replaced.log());
    let out = &replaced.stdout;
    assert!(
        out.contains("+/- resource \"aws_subnet\" \"a\""),
        "{}",
        replaced.log()
    );
    let at = |needle: &str| {
        out.find(needle)
            .unwrap_or_else(|| panic!("{needle:?} not in the output:\n{out}"))
    };
    assert!(
        at("aws_subnet.a: Creation complete") < at("aws_subnet.a: Destroying..."),
        "{out}"
    );
    assert!(
        at("aws_route_table_association.a: Creation complete") < at("aws_subnet.a: Destroying..."),
        "{out}"
    );
    let cidrs: Vec<String> = ec2
        .describe_subnets()
        .filters(filter("vpc-id", &vpc_id))
        .send()
        .await
        .expect("subnets")
        .subnets()
        .iter()
        .filter_map(|s| s.cidr_block().map(str::to_string))
        .collect();
    assert_eq!(cidrs, ["10.50.2.0/24"]);
    let state = std::fs::read_to_string(&ws.state).expect("state");
    assert!(!state.contains("deposed"), "{state}");
    let clean = ws.run(
        &emulator,
        "plan",
        &["--detailed-exitcode", "--var", "cidr=10.50.2.0/24"],
    );
    assert_eq!(clean.code, 0, "{}", clean.log());

    // A postcondition that fails stops the run with its message; the new
    // object is kept in state, not forgotten.
    let failed = ws.run(
        &emulator,
        "apply",
        &["--auto-approve", "--var", "cidr=10.50.9.0/24"],
    );
    assert_eq!(failed.code, 1, "{}", failed.log());
    assert!(
        failed
            .stderr
            .contains("Resource postcondition failed: 10.50.9.0/24 is reserved."),
        "{}",
        failed.log()
    );
    let state = std::fs::read_to_string(&ws.state).expect("state");
    assert!(state.contains("10.50.9.0/24"), "{state}");
}

/// The sensitive variable's value, through every command that could show
/// it: plan and apply output, `output`, `state show`, plan JSON, a saved
/// plan and `show`, and errors about it.
#[tokio::test(flavor = "multi_thread")]
async fn a_sensitive_value_appears_in_no_output() {
    let emulator = Emulator::start();
    let ws = Workspace::copy_of(STACK);
    // run() checks each command's stdout and stderr for the value.
    let applied = run(&ws, &emulator, "apply", &["--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.log());
    let json = run(&ws, &emulator, "plan", &["--json"]);
    assert_eq!(json.code, 0, "{}", json.log());
    // Destroying shows the objects as they are, sensitive parts hidden.
    let destroy = run(&ws, &emulator, "plan", &["--destroy", "--json"]);
    assert_eq!(destroy.code, 0, "{}", destroy.log());
    let destroy = run(&ws, &emulator, "plan", &["--destroy"]);
    assert!(
        destroy.stdout.contains("(sensitive value)"),
        "{}",
        destroy.log()
    );
    let file = ws.root().join("p.plan");
    let saved = run(&ws, &emulator, "plan", &["--out", file.to_str().unwrap()]);
    assert_eq!(saved.code, 0, "{}", saved.log());
    assert!(!std::fs::read_to_string(&file).unwrap().contains(SECRET));

    let state = ws.state.display().to_string();
    let stack = ws.stack.display().to_string();
    let file = file.display().to_string();
    let commands: Vec<Vec<&str>> = vec![
        vec!["output", &stack, "--state", &state],
        vec!["output", &stack, "connection", "--state", &state],
        vec!["output", &stack, "--json", "--state", &state],
        vec![
            "state",
            "show",
            &stack,
            "aws_s3_bucket.app",
            "--state",
            &state,
        ],
        vec!["show", &file],
        vec!["show", &file, "--json"],
    ];
    for args in commands {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let shown = crate::support::cli::terrane(&emulator, ws.root(), &args);
        assert_eq!(shown.code, 0, "{args:?}: {}", shown.log());
        assert!(
            !shown.stdout.contains(SECRET) && !shown.stderr.contains(SECRET),
            "{args:?} printed the sensitive value:\n{}",
            shown.log()
        );
    }
    // Asked for by name with --show-sensitive, an output is printed.
    let asked = crate::support::cli::terrane(
        &emulator,
        ws.root(),
        &[
            "output".into(),
            stack.clone(),
            "connection".into(),
            "--show-sensitive".into(),
            "--state".into(),
            state.clone(),
        ],
    );
    assert!(asked.stdout.contains(SECRET), "{}", asked.log());

    // Errors about the value do not quote it: a failed conversion, a
    // precondition message built from it, an output exposing it.
    ws.write(
        "errors.tf",
        r#"
resource "aws_vpc" "converted" {
  cidr_block = "10.41.0.0/16"
  tags = {
    Port = tonumber(var.db_password)
  }
}

resource "aws_vpc" "guarded" {
  cidr_block = "10.42.0.0/16"
  lifecycle {
    precondition {
      condition     = var.db_password == "something else"
      error_message = "the password ${var.db_password} is not accepted"
    }
  }
}

output "exposed" {
  value = "${var.db_password}!"
}
"#,
    );
    let failed = run(&ws, &emulator, "plan", &[]);
    assert_eq!(failed.code, 1, "{}", failed.log());
    assert!(
        failed.stderr.contains("Output refers to sensitive values"),
        "{}",
        failed.log()
    );
    ws.edit(
        "errors.tf",
        "output \"exposed\" {\n  value = \"${var.db_password}!\"\n}",
        "",
    );
    let failed = run(&ws, &emulator, "plan", &[]);
    assert_eq!(failed.code, 1, "{}", failed.log());
    for expected in [
        "Invalid function argument",
        "The values involved are sensitive, so the details are hidden.",
    ] {
        assert!(
            failed.stderr.contains(expected),
            "{expected:?}:\n{}",
            failed.log()
        );
    }
    ws.edit("errors.tf", "    Port = tonumber(var.db_password)\n", "");
    let failed = run(&ws, &emulator, "plan", &[]);
    assert_eq!(failed.code, 1, "{}", failed.log());
    for expected in [
        "Resource precondition failed: aws_vpc.guarded",
        "(the error message refers to sensitive values)",
    ] {
        assert!(
            failed.stderr.contains(expected),
            "{expected:?}:\n{}",
            failed.log()
        );
    }
}

/// `plantimestamp()` is the plan's own time, which a saved plan keeps:
/// applying it a while later plans again with that time and so matches.
/// `timestamp()` and `uuid()` are unknown in the plan and set by apply.
#[tokio::test(flavor = "multi_thread")]
async fn plan_and_apply_times_follow_terraform() {
    let emulator = Emulator::start();
    let ec2 = emulator.ec2();
    let ws = Workspace::copy_of(STACK);
    ws.write(
        "main.tf",
        "resource \"aws_vpc\" \"timed\" {\n  cidr_block = \"10.41.0.0/16\"\n  tags = {\n    Name    = \"timed\"\n    Planned = plantimestamp()\n    Applied = timestamp()\n    Id      = uuid()\n  }\n}\n",
    );
    let file = ws.root().join("timed.plan");
    let made = ws.run(
        &emulator,
        "plan",
        &["--out", file.to_str().unwrap(), "--json"],
    );
    assert_eq!(made.code, 0, "{}", made.log());
    let plan: serde_json::Value = serde_json::from_str(&made.stdout).expect("plan JSON");
    let planned_at = plan["timestamp"]
        .as_str()
        .expect("the plan's time")
        .to_string();
    let change = &plan["resource_changes"][0]["change"];
    assert_eq!(
        change["after"]["tags"]["Planned"],
        planned_at.as_str(),
        "{plan:#}"
    );
    assert_eq!(change["after_unknown"]["tags"]["Applied"], true, "{plan:#}");
    assert_eq!(change["after_unknown"]["tags"]["Id"], true, "{plan:#}");

    // A second passes: the saved plan still applies, with its own time.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let applied = apply_saved(&ws, &emulator, &file, false);
    assert_eq!(applied.code, 0, "{}", applied.log());
    let vpc = vpc_tagged(&ec2, "Name", "timed").await.expect("the VPC");
    assert_eq!(
        tag_value(&ec2, &vpc, "Planned").await.as_deref(),
        Some(planned_at.as_str())
    );
    let applied_at = tag_value(&ec2, &vpc, "Applied").await.expect("Applied tag");
    assert!(
        applied_at > planned_at,
        "{applied_at} is not after {planned_at}"
    );
    let id = tag_value(&ec2, &vpc, "Id").await.expect("Id tag");
    assert_eq!(id.len(), 36, "{id}");
}
