//! The built-in random, null, time and terraform_data types through the
//! real binary (`tests/fixtures/valid/builtin_providers`): they feed an AWS
//! resource, are kept in state across plans, follow their keepers and
//! triggers, and keep sensitive values out of the output.

use crate::support::Emulator;
use crate::support::cli::{Run, Workspace};

async fn vpc_name(ec2: &aws_sdk_ec2::Client) -> (String, String) {
    let vpcs = ec2.describe_vpcs().send().await.expect("describe vpcs");
    let vpc = vpcs
        .vpcs()
        .iter()
        .find(|v| v.tags().iter().any(|t| t.key() == Some("Settle")))
        .expect("the stack's VPC");
    let name = vpc
        .tags()
        .iter()
        .find(|t| t.key() == Some("Name"))
        .and_then(|t| t.value())
        .expect("Name tag")
        .to_string();
    (name, vpc.cidr_block().expect("cidr").to_string())
}

fn state(ws: &Workspace) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(&ws.state).expect("state")).expect("json")
}

fn attribute(state: &serde_json::Value, address: &str, name: &str) -> serde_json::Value {
    state["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .find(|r| r["address"] == address)
        .unwrap_or_else(|| panic!("{address} in state"))["attributes"][name]
        .clone()
}

fn header(run: &Run, address: &str) -> Option<String> {
    run.stdout
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("# {address} ")))
        .map(str::to_string)
}

#[tokio::test(flavor = "multi_thread")]
async fn built_in_types_feed_aws_and_follow_keepers() {
    let emulator = Emulator::start();
    let ec2 = emulator.ec2();
    let ws = Workspace::copy_of("tests/fixtures/valid/builtin_providers");

    let run = ws.run(&emulator, "apply", &["--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(
        run.stdout
            .contains("Apply complete! Resources: 9 added, 0 changed, 0 destroyed."),
        "{}",
        run.log()
    );
    // The password never reaches the terminal.
    assert!(
        run.stdout.contains("db_password = <sensitive>"),
        "{}",
        run.log()
    );

    let first = state(&ws);
    let password = attribute(&first, "random_password.db", "result");
    let password = password.as_str().expect("a password");
    assert_eq!(password.chars().count(), 20);
    assert!(password.chars().filter(char::is_ascii_digit).count() >= 2);
    assert!(!run.stdout.contains(password));

    // The AWS object is built from the random values state holds.
    let (name, cidr) = vpc_name(&ec2).await;
    let pet = attribute(&first, "random_pet.name", "id");
    let hex = attribute(&first, "random_id.suffix", "hex");
    assert_eq!(
        name,
        format!("{}-{}", pet.as_str().unwrap(), hex.as_str().unwrap())
    );
    assert!(name.starts_with("shop-"), "{name}");
    let octet = attribute(&first, "random_integer.octet", "result");
    assert_eq!(cidr, format!("10.{}.0.0/16", octet.as_i64().unwrap()));

    // Local objects are kept as state records them: nothing to do.
    let run = ws.run(&emulator, "plan", &["--detailed-exitcode"]);
    assert_eq!(run.code, 0, "{}", run.log());

    // A new generation: the keeper replaces random_id (and so renames the
    // VPC), terraform_data changes in place and its new output triggers
    // null_resource's replacement; the pet name stays.
    let run = ws.run(&emulator, "plan", &["--var", "generation=2"]);
    assert_eq!(run.code, 0, "{}", run.log());
    for (address, ending) in [
        ("random_id.suffix", "must be replaced"),
        ("terraform_data.release", "will be updated in-place"),
        ("null_resource.rollout", "must be replaced"),
    ] {
        let line = header(&run, address).unwrap_or_default();
        assert!(line.ends_with(ending), "{address}: {line:?}\n{}", run.log());
    }
    assert_eq!(header(&run, "random_pet.name"), None, "{}", run.log());

    let run = ws.run(
        &emulator,
        "apply",
        &["--auto-approve", "--var", "generation=2"],
    );
    assert_eq!(run.code, 0, "{}", run.log());
    let second = state(&ws);
    assert_eq!(attribute(&second, "random_pet.name", "id"), pet);
    assert_ne!(attribute(&second, "random_id.suffix", "hex"), hex);
    assert_eq!(attribute(&second, "terraform_data.release", "output"), "v2");
    let (renamed, _) = vpc_name(&ec2).await;
    assert_ne!(renamed, name);
    let run = ws.run(
        &emulator,
        "plan",
        &["--detailed-exitcode", "--var", "generation=2"],
    );
    assert_eq!(run.code, 0, "{}", run.log());

    let run = ws.run(
        &emulator,
        "destroy",
        &["--auto-approve", "--var", "generation=2"],
    );
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(state(&ws)["resources"].as_array().unwrap().is_empty());
}

#[test]
fn a_step_that_sleeps_gives_its_parallelism_slot_to_the_next() {
    let emulator = Emulator::start();
    let ws = Workspace::copy_of("tests/fixtures/ci/stack");
    ws.write(
        "main.tf",
        "resource \"time_sleep\" \"wait\" {\n  count           = 3\n  create_duration = \"2s\"\n}\n",
    );
    // One slot: three 2-second waits one after the other would take 6 s.
    let started = std::time::Instant::now();
    let apply = ws.run(
        &emulator,
        "apply",
        &["--auto-approve", "--parallelism", "1"],
    );
    let took = started.elapsed();
    assert_eq!(apply.code, 0, "{}", apply.log());
    assert!(apply.stdout.contains("3 added"), "{}", apply.log());
    assert!(
        took < std::time::Duration::from_millis(4500),
        "the waits overlapped: {took:?}"
    );
}
