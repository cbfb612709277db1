//! Command-line behaviour through the real binary: parallelism, what a
//! failed apply leaves behind, the state lock, outputs, the graph, and the
//! sources of variable values.

use std::time::Duration;

use crate::support::Emulator;
use crate::support::cli::{Run, Workspace, terrane};
use crate::support::proxy::{Faults, Proxy};

/// The largest number of resources being created at once, read from
/// apply's `Creating...` / `Creation complete` lines.
fn most_resources_in_progress(run: &Run) -> usize {
    let (mut now, mut max) = (0usize, 0usize);
    for line in run.stdout.lines() {
        if line.ends_with(": Creating...") {
            now += 1;
            max = max.max(now);
        } else if line.contains(": Creation complete after") {
            now -= 1;
        }
    }
    max
}

/// `--parallelism N` bounds the operations at work against AWS at once.
/// A proxy in front of the emulator sees them as the calls that change
/// something: a step makes its changes one after another, while its reads
/// may go out together. (A step that waits, for an object to become ready
/// or for a read another step makes, gives its place to the next
/// meanwhile, so more than N resources may show as in progress.)
#[test]
fn parallelism_bounds_the_operations_in_flight() {
    let apply = |parallelism: Option<&str>| {
        let emulator = Emulator::start();
        // Latency makes calls that may overlap do so.
        let faults = Faults {
            latency: Duration::from_millis(20),
            ..Faults::default()
        };
        let proxy = Proxy::start(emulator.endpoint(), faults);
        let ws = Workspace::copy_of("stacks/network");
        let mut args = vec!["--auto-approve"];
        args.extend(
            parallelism
                .map(|n| ["--parallelism", n])
                .into_iter()
                .flatten(),
        );
        let run = ws.run_via(&emulator, &proxy.endpoint(), "apply", &args);
        assert_eq!(run.code, 0, "{}", run.log());
        let reads = ["Describe", "List", "Get"];
        let changes =
            proxy.most_at_once(|call| !reads.iter().any(|r| call.operation.starts_with(r)));
        (run, changes)
    };

    let (_, changes) = apply(Some("1"));
    assert_eq!(changes, 1, "one change at a time with --parallelism 1");

    let (run, changes) = apply(None);
    assert!(
        changes > 1 && changes <= 10,
        "default parallelism changes independent objects together, at most 10 at once: {changes}"
    );
    assert!(
        most_resources_in_progress(&run) > 1,
        "independent resources are made together:\n{}",
        run.stdout
    );
}

#[test]
fn a_failed_create_stops_new_work_saves_what_finished_and_names_the_error() {
    let emulator = Emulator::start();
    let ws = Workspace::copy_of("stacks/network");
    // A subnet outside the VPC's range: AWS rejects it.
    ws.write(
        "broken.tf",
        "resource \"aws_subnet\" \"outside\" {\n  vpc_id     = aws_vpc.main.id\n  cidr_block = \"192.168.0.0/24\"\n}\n",
    );
    let run = ws.run(&emulator, "apply", &["--auto-approve"]);
    assert_eq!(run.code, 1, "{}", run.log());
    assert!(
        run.stderr.contains("aws_subnet.outside"),
        "names the resource:\n{}",
        run.log()
    );
    assert!(
        run.stderr.contains("InvalidSubnet"),
        "names the AWS error code:\n{}",
        run.log()
    );
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&ws.state).expect("state saved"))
            .expect("json");
    let addresses: Vec<&str> = state["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter_map(|r| r["address"].as_str())
        .collect();
    assert!(
        addresses.contains(&"aws_vpc.main"),
        "what finished is in state: {addresses:?}"
    );
    assert!(!addresses.contains(&"aws_subnet.outside"));

    // Fixing the file and applying again finishes the job without duplicates.
    ws.remove("broken.tf");
    let run = ws.run(&emulator, "apply", &["--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.log());
    let run = ws.run(&emulator, "plan", &["--detailed-exitcode"]);
    assert_eq!(run.code, 0, "{}", run.log());
    let vpcs = tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(async {
            emulator
                .ec2()
                .describe_vpcs()
                .filters(crate::support::checks::filter("tag:Stack", "network"))
                .send()
                .await
                .expect("vpcs")
        });
    assert_eq!(vpcs.vpcs().len(), 1, "no duplicate VPC");
}

#[test]
fn a_held_lock_stops_a_second_run_and_names_its_holder() {
    let emulator = Emulator::start();
    let ws = Workspace::copy_of("stacks/network");
    let lock = ws.state.with_file_name("state.json.lock");
    std::fs::write(
        &lock,
        r#"{"ID": "1234-abcd", "Operation": "apply", "Who": "ops@ci-runner", "Created": "2026-11-22T10:00:00Z", "Version": "0.1.0", "Path": "state.json"}"#,
    )
    .expect("lock");
    let run = ws.run(&emulator, "plan", &[]);
    assert_eq!(run.code, 1, "{}", run.log());
    for detail in [
        "ops@ci-runner",
        "2026-11-22T10:00:00Z",
        "apply",
        "1234-abcd",
    ] {
        assert!(
            run.stderr.contains(detail),
            "the error names {detail}:\n{}",
            run.log()
        );
    }
    assert!(lock.exists(), "someone else's lock is left alone");
}

#[test]
fn outputs_graph_and_variables_from_every_source() {
    let emulator = Emulator::start();
    let ws = Workspace::copy_of("stacks/network");

    // Defaults, then TF_VAR_, then --var-file, then --var: later wins.
    let var_file = ws.root().join("two.tfvars");
    std::fs::write(&var_file, "az_count = 2\nname = \"fromfile\"\n").expect("var file");
    let plan = |extra: &[&str]| ws.run(&emulator, "plan", extra);
    assert!(
        plan(&[]).stdout.contains("Plan: 26 to add"),
        "3 zones by default"
    );
    let run = plan(&["--var-file", var_file.to_str().expect("path")]);
    assert!(
        run.stdout.contains("Plan: 19 to add"),
        "2 zones from the file:\n{}",
        run.log()
    );
    assert!(run.stdout.contains("\"fromfile-vpc\""), "{}", run.log());
    let run = plan(&[
        "--var-file",
        var_file.to_str().expect("path"),
        "--var",
        "az_count=1",
    ]);
    assert!(
        run.stdout.contains("Plan: 12 to add"),
        "the flag overrides the file:\n{}",
        run.log()
    );
    let stack = ws.stack.display().to_string();
    let state = ws.state.display().to_string();
    let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let with_env = std::process::Command::new(env!("CARGO_BIN_EXE_terrane"))
        .args(args(&["plan", &stack, "--state", &state]))
        .envs(emulator.env())
        .env("TF_VAR_name", "fromenv")
        .env("NO_COLOR", "1")
        .output()
        .expect("run");
    assert!(String::from_utf8_lossy(&with_env.stdout).contains("\"fromenv-vpc\""));
    let run = plan(&["--var", "nope=1"]);
    assert_eq!(
        run.code,
        1,
        "an undeclared variable is an error:\n{}",
        run.log()
    );
    assert!(
        run.stderr.contains("undeclared variable \"nope\""),
        "{}",
        run.log()
    );
    let run = plan(&["--var", "az_count=many"]);
    assert_eq!(run.code, 1, "{}", run.log());

    let run = ws.run(&emulator, "apply", &["--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.log());
    let run = terrane(
        &emulator,
        ws.root(),
        &args(&["output", &stack, "--json", "--state", &state]),
    );
    assert_eq!(run.code, 0, "{}", run.log());
    let outputs: serde_json::Value =
        serde_json::from_str(&run.stdout).expect("output --json is JSON");
    assert!(
        outputs["vpc_id"]["value"]
            .as_str()
            .is_some_and(|v| v.starts_with("vpc-")),
        "{outputs}"
    );
    assert_eq!(
        outputs["public_subnet_ids"]["value"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
    let run = terrane(
        &emulator,
        ws.root(),
        &args(&["output", &stack, "vpc_id", "--state", &state]),
    );
    assert!(run.stdout.trim().starts_with("\"vpc-"), "{}", run.log());
    let run = terrane(
        &emulator,
        ws.root(),
        &args(&["output", &stack, "nope", "--state", &state]),
    );
    assert_eq!(run.code, 1, "a missing output is an error:\n{}", run.log());

    let graph = terrane(
        &emulator,
        ws.root(),
        &["graph".into(), ws.stack.display().to_string()],
    );
    assert_eq!(graph.code, 0, "{}", graph.log());
    assert!(graph.stdout.starts_with("digraph"), "{}", graph.stdout);
    assert!(
        graph
            .stdout
            .contains("\"aws_subnet.public\" -> \"aws_vpc.main\""),
        "{}",
        graph.stdout
    );
    assert!(
        graph
            .stdout
            .contains("\"aws_nat_gateway.main\" -> \"aws_eip.nat\""),
        "{}",
        graph.stdout
    );
}

#[test]
fn an_interrupt_stops_new_work_keeps_what_finished_and_releases_the_lock() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let emulator = Emulator::start();
    let ws = Workspace::copy_of("stacks/network");
    let mut child = Command::new(env!("CARGO_BIN_EXE_terrane"))
        .args([
            "apply",
            ws.stack.to_str().expect("path"),
            "--auto-approve",
            "--parallelism",
            "1",
        ])
        .args(["--state", ws.state.to_str().expect("path")])
        .current_dir(ws.root())
        .envs(emulator.env())
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start apply");
    // Interrupt as soon as the first resource is done, as Ctrl-C would.
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    while stdout.read_line(&mut line).expect("read") > 0 {
        if line.contains("Creation complete") {
            let status = Command::new("kill")
                .args(["-INT", &child.id().to_string()])
                .status()
                .expect("kill");
            assert!(status.success());
            break;
        }
        line.clear();
    }
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).expect("read rest");
    let output = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Apply interrupted"), "{stderr}");

    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&ws.state).expect("state saved"))
            .expect("json");
    let saved = state["resources"].as_array().map_or(0, Vec::len);
    assert!(
        (1..26).contains(&saved),
        "what finished is saved, the rest never started: {saved}"
    );
    assert!(
        !ws.state.with_file_name("state.json.lock").exists(),
        "the lock is released"
    );

    // The next apply finishes the job, without duplicating what exists.
    let run = ws.run(&emulator, "apply", &["--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(
        run.stdout.contains(&format!("{} added", 26 - saved)),
        "{}",
        run.log()
    );
}

#[test]
fn a_closed_output_pipe_is_not_a_crash() {
    use std::process::{Command, Stdio};
    // `terrane graph ... | head -0`: the reader is gone before terrane writes.
    let mut child = Command::new(env!("CARGO_BIN_EXE_terrane"))
        .args([
            "graph",
            crate::support::cli::repo_path("stacks/production")
                .to_str()
                .expect("path"),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start");
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.code(), Some(0), "{stderr}");
}

#[test]
fn console_evaluates_against_the_stack_and_its_state() {
    use std::io::Write as _;
    let emulator = Emulator::start();
    let ws = Workspace::copy_of("tests/fixtures/ci/stack");
    let built = ws.run(&emulator, "apply", &["--auto-approve", "--var", "name=ci"]);
    assert_eq!(built.code, 0, "{}", built.log());
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_terrane"))
        .args(ws.args_for("console", &["--var", "name=ci"]))
        .current_dir(ws.root())
        .envs(emulator.env())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("console");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"aws_vpc.main.cidr_block\nupper(var.name)\naws_vpc.main.tags[\"Name\"]\nstartswith(aws_vpc.main.id, \"vpc-\")\n")
        .unwrap();
    let run = Run::from(child.wait_with_output().unwrap());
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(
        run.stdout,
        "\"10.77.0.0/16\"\n\"CI\"\n\"ci-vpc\"\ntrue\n",
        "{}",
        run.log()
    );
}
