//! Nothing orphaned, nothing made twice: a create a killed run left pending
//! is adopted by the next run when AWS has its object (found by terrane's
//! tags, its name or its client token), dropped when AWS has none, and an
//! object with the create's name that this stack did not make is a conflict,
//! never adopted. The crash trials kill `terrane apply` (and `destroy`) of
//! `stacks/production` at seeded random moments, run it again, and compare
//! what AWS holds, listed by each service's own calls, with state.
//!
//! `TERRANE_CRASH_TRIALS` sets the number of trials (5 by default; `make
//! test-long`, which sets `TERRANE_LONG_TESTS`, runs 50) and
//! `TERRANE_CRASH_SEED` the first seed.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::Emulator;
use crate::support::checks::vpc_tagged;
use crate::support::cli::{Workspace, terrane};
use crate::support::inventory::{inventory, state_inventory, state_of};
use crate::support::proxy::Seeded;

fn pending_state(address: &str, token: &str) -> String {
    format!(
        r#"{{"format_version": 2, "terrane_version": "0.1.0", "serial": 3,
            "lineage": "5a5a5a5a-0000-4000-8000-000000000000", "resources": [],
            "pending": [{{"address": "{address}", "operation": "create",
            "client_token": "{token}", "started_at": "2026-11-22T10:00:00Z"}}]}}"#
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn an_object_an_interrupted_create_made_is_adopted_not_made_again() {
    let emulator = Emulator::start();
    let ws = Workspace::copy_of("tests/fixtures/ci/stack");
    let ec2 = emulator.ec2();
    // What a run killed right after CreateVpc leaves: the VPC, with
    // terrane's tags from the create call, and a pending record (here in
    // the older shape, without the arguments).
    let tag = |key: &str, value: &str| {
        aws_sdk_ec2::types::Tag::builder()
            .key(key)
            .value(value)
            .build()
    };
    let made = ec2
        .create_vpc()
        .cidr_block("10.77.0.0/16")
        .tag_specifications(
            aws_sdk_ec2::types::TagSpecification::builder()
                .resource_type(aws_sdk_ec2::types::ResourceType::Vpc)
                .tags(tag("terrane:stack", "stack"))
                .tags(tag("terrane:address", "aws_vpc.main"))
                .build(),
        )
        .send()
        .await
        .expect("create vpc");
    let vpc_id = made.vpc().and_then(|v| v.vpc_id()).expect("id").to_string();
    std::fs::write(&ws.state, pending_state("aws_vpc.main", "t-1")).expect("state");

    let plan = ws.run(&emulator, "plan", &["--var", "name=x"]);
    assert_eq!(plan.code, 0, "{}", plan.log());
    assert!(
        plan.stderr
            .contains(&format!("Adopted aws_vpc.main ({vpc_id})")),
        "{}",
        plan.log()
    );
    assert!(
        plan.stdout
            .contains("aws_vpc.main will be updated in-place"),
        "adopted, then planned as any object is (its Name tag is added): {}",
        plan.log()
    );

    let apply = ws.run(&emulator, "apply", &["--auto-approve", "--var", "name=x"]);
    assert_eq!(apply.code, 0, "{}", apply.log());
    assert_eq!(
        vpc_tagged(&ec2, "terrane:address", "aws_vpc.main").await,
        Some(vpc_id.clone()),
        "one VPC, the adopted one"
    );
    let state = state_of(&ws.state);
    assert_eq!(state["resources"][0]["id"], vpc_id.as_str());
    assert!(state["pending"].is_null(), "{state}");
    let again = ws.run(
        &emulator,
        "plan",
        &["--var", "name=x", "--detailed-exitcode"],
    );
    assert_eq!(again.code, 0, "no changes left: {}", again.log());
}

#[test]
fn a_pending_create_aws_never_saw_is_dropped_and_made() {
    let emulator = Emulator::start();
    let ws = Workspace::copy_of("tests/fixtures/ci/stack");
    std::fs::write(&ws.state, pending_state("aws_vpc.main", "t-1")).expect("state");
    let apply = ws.run(&emulator, "apply", &["--auto-approve", "--var", "name=x"]);
    assert_eq!(apply.code, 0, "{}", apply.log());
    assert!(
        apply.stderr.contains("AWS has no such object"),
        "{}",
        apply.log()
    );
    assert!(apply.stdout.contains("1 added"), "{}", apply.log());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_named_object_this_stack_did_not_make_is_a_conflict_not_adopted() {
    let emulator = Emulator::start();
    let ws = Workspace::copy_of("tests/fixtures/ci/stack");
    ws.write(
        "main.tf",
        r#"provider "aws" {
  region = "us-east-1"
}

resource "aws_iam_role" "app" {
  name = "shop-app"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }]
  })
}
"#,
    );
    let policy = r#"{"Version":"2012-10-17","Statement":[]}"#;
    emulator
        .iam()
        .create_role()
        .role_name("shop-app")
        .assume_role_policy_document(policy)
        .send()
        .await
        .expect("someone else's role");
    // The record as apply writes it: with the arguments the create sent.
    let mut state: serde_json::Value =
        serde_json::from_str(&pending_state("aws_iam_role.app", "t-2")).unwrap();
    state["pending"][0]["planned"] = serde_json::json!({
        "address": "aws_iam_role.app", "type": "aws_iam_role", "id": "",
        "attributes": {"name": "shop-app", "assume_role_policy": policy}
    });
    std::fs::write(&ws.state, state.to_string()).expect("state");

    let plan = ws.run(&emulator, "plan", &[]);
    assert_eq!(plan.code, 1, "{}", plan.log());
    for expected in [
        "aws_iam_role.app: shop-app already exists in AWS",
        "this stack did not create it",
        "terrane import aws_iam_role.app shop-app",
    ] {
        assert!(
            plan.stderr.contains(expected),
            "{expected:?}: {}",
            plan.log()
        );
    }
    assert!(
        !state_of(&ws.state)["pending"].is_null(),
        "the record stays until the conflict is settled"
    );

    // With this stack's tags it is the create's own object: adopted.
    emulator
        .iam()
        .tag_role()
        .role_name("shop-app")
        .tags(
            aws_sdk_iam::types::Tag::builder()
                .key("terrane:stack")
                .value("stack")
                .build()
                .unwrap(),
        )
        .tags(
            aws_sdk_iam::types::Tag::builder()
                .key("terrane:address")
                .value("aws_iam_role.app")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("tag");
    let apply = ws.run(&emulator, "apply", &["--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.log());
    assert!(
        apply.stderr.contains("Adopted aws_iam_role.app (shop-app)"),
        "{}",
        apply.log()
    );
    let roles = emulator.iam().list_roles().send().await.expect("roles");
    assert_eq!(roles.roles().len(), 1, "{roles:?}");
}

fn journal_of(state: &Path) -> std::path::PathBuf {
    let mut name = state.file_name().unwrap().to_os_string();
    name.push(".journal");
    state.with_file_name(name)
}

fn start(ws: &Workspace, emulator: &Emulator, command: &str, log: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_terrane"))
        .arg(command)
        .arg(&ws.stack)
        .args(["--auto-approve", "--state"])
        .arg(&ws.state)
        .current_dir(ws.root())
        .envs(emulator.env())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(ws.root().join(log)).expect("log file"))
        .spawn()
        .expect("start terrane")
}

/// SIGKILLs `child` once the state journal has `lines` lines (each step
/// writes one or two), plus up to 30 ms more, so the kill lands anywhere in
/// a step. Returns false if the run ended first.
fn kill_after(child: &mut Child, journal: &Path, lines: usize, extra_ms: u64) -> bool {
    let started = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            return false;
        }
        let written = std::fs::read_to_string(journal)
            .map(|t| t.lines().count())
            .unwrap_or(0);
        if written >= lines {
            std::thread::sleep(Duration::from_millis(extra_ms));
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the run stalled"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().expect("kill");
    let _ = child.wait();
    true
}

/// `terrane force-unlock` with the id the killed run's lock file names.
fn force_unlock(ws: &Workspace, emulator: &Emulator) {
    let lock = ws.state.with_file_name("state.json.lock");
    let Ok(text) = std::fs::read_to_string(&lock) else {
        return;
    };
    let id = serde_json::from_str::<serde_json::Value>(&text).expect("lock json")["ID"]
        .as_str()
        .expect("lock id")
        .to_string();
    let unlocked = terrane(
        emulator,
        ws.root(),
        &[
            "force-unlock".into(),
            ws.stack.display().to_string(),
            id,
            "--state".into(),
            ws.state.display().to_string(),
        ],
    );
    assert_eq!(unlocked.code, 0, "{}", unlocked.log());
}

fn trials() -> (u64, u64) {
    let long = std::env::var_os("TERRANE_LONG_TESTS").is_some();
    let count = std::env::var("TERRANE_CRASH_TRIALS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(if long { 50 } else { 5 });
    let seed = std::env::var("TERRANE_CRASH_SEED")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    (seed, count)
}

async fn check_matches_state(emulator: &Emulator, ws: &Workspace, context: &str) {
    let aws = inventory(emulator).await;
    let recorded = state_inventory(&state_of(&ws.state));
    assert_eq!(
        aws, recorded,
        "{context}: what AWS holds (left) is exactly what state records (right)"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_killed_at_random_moments_then_run_again_leaves_no_duplicate_or_orphan() {
    let (first_seed, count) = trials();
    let emulator = Emulator::start();
    for seed in first_seed..first_seed + count {
        emulator.reset();
        let ws = Workspace::copy_of("stacks/production");
        let mut random = Seeded(seed);
        let lines = 1 + random.below(80) as usize;
        let extra = random.below(30);
        let context = format!("seed {seed} (killed after {lines} journal lines + {extra} ms)");

        let mut child = start(&ws, &emulator, "apply", "killed.txt");
        let killed = kill_after(&mut child, &journal_of(&ws.state), lines, extra);
        force_unlock(&ws, &emulator);
        let again = ws.run(&emulator, "apply", &["--auto-approve"]);
        assert_eq!(again.code, 0, "{context}: {}", again.log());
        let plan = ws.run(&emulator, "plan", &["--detailed-exitcode"]);
        assert_eq!(plan.code, 0, "{context}: a clean plan: {}", plan.log());
        check_matches_state(&emulator, &ws, &context).await;
        assert!(
            inventory(&emulator).await.contains_key("aws_eks_cluster"),
            "{context}: the whole stack is built (killed: {killed})"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn destroy_killed_at_random_moments_then_run_again_leaves_nothing() {
    let (first_seed, count) = trials();
    let emulator = Emulator::start();
    for seed in first_seed..first_seed + count {
        emulator.reset();
        let ws = Workspace::copy_of("stacks/production");
        let built = ws.run(&emulator, "apply", &["--auto-approve"]);
        assert_eq!(built.code, 0, "{}", built.log());
        let journal = journal_of(&ws.state);
        let _ = std::fs::remove_file(&journal);
        let mut random = Seeded(seed);
        let lines = 1 + random.below(40) as usize;
        let extra = random.below(30);
        let context =
            format!("seed {seed} (destroy killed after {lines} journal lines + {extra} ms)");

        let mut child = start(&ws, &emulator, "destroy", "killed.txt");
        kill_after(&mut child, &journal, lines, extra);
        force_unlock(&ws, &emulator);
        let again = ws.run(&emulator, "destroy", &["--auto-approve"]);
        assert_eq!(again.code, 0, "{context}: {}", again.log());
        assert_eq!(inventory(&emulator).await, BTreeMap::new(), "{context}");
        assert_eq!(
            state_inventory(&state_of(&ws.state)),
            BTreeMap::new(),
            "{context}"
        );
    }
}

/// Objects tagged as this stack's that no state holds (what a bug or a
/// hand-made copy could leave), one per way of finding them: EC2's
/// DescribeTags (a VPC), the Resource Groups Tagging API (a bucket and a
/// target group) and a service's own listing (an IAM role, a hosted zone).
/// Returns their ids, as state would record them.
async fn make_unclaimed_objects(emulator: &Emulator, stack: &str) -> Vec<String> {
    let tag = |address: &str| {
        [
            ("terrane:stack".to_string(), stack.to_string()),
            ("terrane:address".to_string(), address.to_string()),
        ]
    };
    let [(stack_key, stack_value), (address_key, address_value)] = tag("aws_vpc.copy");
    let ec2_tag = |k: &str, v: &str| aws_sdk_ec2::types::Tag::builder().key(k).value(v).build();
    let vpc = emulator
        .ec2()
        .create_vpc()
        .cidr_block("10.99.0.0/16")
        .tag_specifications(
            aws_sdk_ec2::types::TagSpecification::builder()
                .resource_type(aws_sdk_ec2::types::ResourceType::Vpc)
                .tags(ec2_tag(&stack_key, &stack_value))
                .tags(ec2_tag(&address_key, &address_value))
                .build(),
        )
        .send()
        .await
        .expect("vpc");
    let vpc_id = vpc.vpc().and_then(|v| v.vpc_id()).unwrap().to_string();

    let s3 = emulator.s3();
    s3.create_bucket()
        .bucket("shop-copy-of-app")
        .send()
        .await
        .expect("bucket");
    let s3_tags = tag("aws_s3_bucket.copy").map(|(k, v)| {
        aws_sdk_s3::types::Tag::builder()
            .key(k)
            .value(v)
            .build()
            .unwrap()
    });
    s3.put_bucket_tagging()
        .bucket("shop-copy-of-app")
        .tagging(
            aws_sdk_s3::types::Tagging::builder()
                .set_tag_set(Some(s3_tags.to_vec()))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("bucket tags");

    let elb_tags = tag("aws_lb_target_group.copy").map(|(k, v)| {
        aws_sdk_elasticloadbalancingv2::types::Tag::builder()
            .key(k)
            .value(v)
            .build()
    });
    let group = emulator
        .elbv2()
        .create_target_group()
        .name("shop-copy")
        .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Http)
        .port(80)
        .vpc_id(&vpc_id)
        .set_tags(Some(elb_tags.to_vec()))
        .send()
        .await
        .expect("target group");
    let group_arn = group.target_groups()[0]
        .target_group_arn()
        .unwrap()
        .to_string();

    let iam_tags = tag("aws_iam_role.copy").map(|(k, v)| {
        aws_sdk_iam::types::Tag::builder()
            .key(k)
            .value(v)
            .build()
            .unwrap()
    });
    emulator
        .iam()
        .create_role()
        .role_name("shop-copy")
        .assume_role_policy_document(r#"{"Version":"2012-10-17","Statement":[]}"#)
        .set_tags(Some(iam_tags.to_vec()))
        .send()
        .await
        .expect("role");

    let route53 = emulator.route53();
    let zone = route53
        .create_hosted_zone()
        .name("copy.example.com")
        .caller_reference("unclaimed-zone")
        .send()
        .await
        .expect("zone");
    let zone_id = zone
        .hosted_zone()
        .unwrap()
        .id()
        .trim_start_matches("/hostedzone/");
    let zone_tags = tag("aws_route53_zone.copy").map(|(k, v)| {
        aws_sdk_route53::types::Tag::builder()
            .key(k)
            .value(v)
            .build()
    });
    route53
        .change_tags_for_resource()
        .resource_type(aws_sdk_route53::types::TagResourceType::Hostedzone)
        .resource_id(zone_id)
        .set_add_tags(Some(zone_tags.to_vec()))
        .send()
        .await
        .expect("zone tags");

    vec![
        vpc_id,
        "shop-copy-of-app".to_string(),
        group_arn,
        "shop-copy".to_string(),
        zone_id.to_string(),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_state_is_rebuilt_from_aws_and_plans_clean() {
    let emulator = Emulator::start();
    let ws = Workspace::copy_of("stacks/production");
    let built = ws.run(&emulator, "apply", &["--auto-approve"]);
    assert_eq!(built.code, 0, "{}", built.log());
    let original = state_of(&ws.state);
    std::fs::remove_file(&ws.state).expect("lose the state");
    let stack = ws.stack.canonicalize().expect("stack dir");
    let stack = stack.file_name().unwrap().to_string_lossy();
    let unclaimed = make_unclaimed_objects(&emulator, &stack).await;

    let rebuilt = ws.run(&emulator, "state", &[]);
    assert_ne!(rebuilt.code, 0, "`state` alone is not a command");
    let args = |extra: &[&str]| {
        let mut args: Vec<String> = vec!["state".into(), "rebuild".into()];
        args.push(ws.stack.display().to_string());
        args.extend(["--state".to_string(), ws.state.display().to_string()]);
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    let rebuilt = terrane(&emulator, ws.root(), &args(&[]));
    assert_eq!(rebuilt.code, 0, "{}", rebuilt.log());
    let addresses = |state: &serde_json::Value| -> Vec<(String, String)> {
        state["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                (
                    r["address"].as_str().unwrap().to_string(),
                    r["id"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let state = state_of(&ws.state);
    assert_eq!(addresses(&state), addresses(&original), "{}", rebuilt.log());
    assert_ne!(state["lineage"], original["lineage"], "a new lineage");
    assert!(
        rebuilt.stdout.contains(&format!(
            "Rebuilt the state with {} instance(s) (0 not in AWS, 0 not this stack's, {} unclaimed)",
            addresses(&original).len(),
            unclaimed.len()
        )),
        "{}",
        rebuilt.log()
    );
    for id in &unclaimed {
        assert!(
            rebuilt
                .stdout
                .contains(&format!("Unclaimed: {id} is tagged as aws_")),
            "{id}: {}",
            rebuilt.log()
        );
    }
    let plan = ws.run(&emulator, "plan", &["--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "a clean plan: {}", plan.log());

    // It never replaces a state that holds instances, unless told to.
    let again = terrane(&emulator, ws.root(), &args(&[]));
    assert_eq!(again.code, 1, "{}", again.log());
    assert!(again.stderr.contains("--force"), "{}", again.log());
}
