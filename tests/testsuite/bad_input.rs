//! Bad input never panics: a corrupted state, a plan file from elsewhere,
//! an answer from AWS without a field terrane needs, an endpoint nobody
//! listens on. Each is a clear error and exit code 1.

use std::time::{Duration, Instant};

use crate::support::Emulator;
use crate::support::cli::{Run, Workspace, terrane_with};
use crate::support::proxy::{Faults, Proxy};

fn assert_clear_failure(run: &Run, expected: &str) {
    assert_eq!(run.code, 1, "{}", run.log());
    assert!(
        run.stderr.contains(expected),
        "{expected:?} in:\n{}",
        run.log()
    );
    for debug_dump in [
        "panicked",
        "DispatchFailure(",
        "ConnectorError {",
        "RUST_BACKTRACE",
    ] {
        assert!(
            !run.stderr.contains(debug_dump),
            "{debug_dump:?} in:\n{}",
            run.log()
        );
    }
}

#[test]
fn a_corrupted_state_is_refused_and_left_as_it_is() {
    let emulator = Emulator::start();
    let ws = Workspace::copy_of("tests/fixtures/ci/stack");
    let corrupt = "{\"format_version\": 2, \"serial\": 4, \"lineage\": \"x\", \"resources\": [{\"address\": 7}]}";
    std::fs::write(&ws.state, corrupt).expect("state");
    let plan = ws.run(&emulator, "plan", &["--var", "name=x"]);
    assert_clear_failure(&plan, "state");
    assert_eq!(
        std::fs::read_to_string(&ws.state).unwrap(),
        corrupt,
        "left as it is"
    );
}

#[test]
fn a_plan_file_from_elsewhere_is_refused_before_any_call() {
    let emulator = Emulator::start();
    let ws = Workspace::copy_of("tests/fixtures/ci/stack");
    let file = ws.root().join("other.plan");
    for (bytes, expected) in [
        (&b"\x00\x01not a plan at all"[..], "make a new plan"),
        (
            &b"{\"format_version\": \"1.2\", \"terraform_version\": \"1.11.0\"}"[..],
            "make a new plan",
        ),
        (
            &b"{\"format\": \"terrane-plan\", \"format_version\": 99}"[..],
            "make a new plan",
        ),
    ] {
        std::fs::write(&file, bytes).expect("plan file");
        let before = emulator.request_count();
        let apply = terrane_with(
            &emulator,
            ws.root(),
            &["apply".into(), file.display().to_string()],
            &[],
        );
        assert_clear_failure(&apply, expected);
        assert_eq!(emulator.request_count(), before, "no AWS call");
    }
}

#[test]
fn an_answer_without_the_id_terrane_needs_is_a_clear_error() {
    let emulator = Emulator::start();
    let proxy = Proxy::start(
        emulator.endpoint(),
        Faults {
            rewrite: Some(Box::new(|call, body| {
                let start = body.find("<vpcId>")?;
                let end = body[start..].find("</vpcId>")? + start + "</vpcId>".len();
                (call.operation == "CreateVpc")
                    .then(|| format!("{}{}", &body[..start], &body[end..]))
            })),
            ..Faults::default()
        },
    );
    let ws = Workspace::copy_of("tests/fixtures/ci/stack");
    let apply = ws.run_via(
        &emulator,
        &proxy.endpoint(),
        "apply",
        &["--auto-approve", "--var", "name=x"],
    );
    assert_clear_failure(&apply, "CreateVpc");
    // The VPC AWS made is not forgotten: the create stays pending, and the
    // next run (with AWS answering whole again) adopts it.
    let again = ws.run(&emulator, "apply", &["--auto-approve", "--var", "name=x"]);
    assert_eq!(again.code, 0, "{}", again.log());
    assert!(
        again.stderr.contains("Adopted aws_vpc.main"),
        "{}",
        again.log()
    );
}

#[test]
fn an_endpoint_nobody_listens_on_fails_at_once_and_says_so() {
    let emulator = Emulator::start();
    let ws = Workspace::copy_of("tests/fixtures/ci/stack");
    let built = ws.run(&emulator, "apply", &["--auto-approve", "--var", "name=x"]);
    assert_eq!(built.code, 0, "{}", built.log());
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let started = Instant::now();
    let plan = terrane_with(
        &emulator,
        ws.root(),
        &ws.args_for("plan", &["--var", "name=x"]),
        &[("AWS_ENDPOINT_URL", &format!("http://{closed}"))],
    );
    assert_clear_failure(&plan, "could not reach AWS");
    assert!(plan.stderr.contains("Connection refused"), "{}", plan.log());
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "a refused connection is not retried for minutes: {:?}",
        started.elapsed()
    );
}
