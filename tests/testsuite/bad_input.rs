//! Bad input never panics: a corrupted state, a plan file from elsewhere,
//! an answer from AWS without a field terrane needs, an endpoint nobody
//! listens on. Each is a clear error and exit code 1. So is every failure
//! a user can cause: no credentials, refused or denied credentials, a
//! region that does not exist, throttling that outlasts the retries, a
//! value AWS rejects (named at its line); each says what to do.

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

// Errors a person can act on: each says what happened and what to do, in
// one paragraph, with exit code 1.

#[test]
fn no_credentials_at_all_says_where_to_put_them() {
    let emulator = Emulator::start();
    let ws = Workspace::copy_of("tests/fixtures/ci/stack");
    let run = terrane_with(
        &emulator,
        ws.root(),
        &ws.args_for("apply", &["--auto-approve", "--var", "name=x"]),
        &[("AWS_ACCESS_KEY_ID", ""), ("AWS_SECRET_ACCESS_KEY", "")],
    );
    assert_clear_failure(&run, "No AWS credentials were found");
    assert!(run.stderr.contains("set AWS_PROFILE"), "{}", run.log());
    assert!(!run.stderr.contains("Attempted:"), "{}", run.log());
}

#[test]
fn a_region_that_does_not_exist_names_the_closest() {
    let emulator = Emulator::start();
    let ws = Workspace::copy_of("tests/fixtures/ci/stack");
    // Written in the provider block: at its line, found by validate too.
    ws.edit(
        "main.tf",
        "region = \"us-east-1\"",
        "region = \"eu-wset-1\"",
    );
    let run = terrane_with(
        &emulator,
        ws.root(),
        &["validate".to_string(), ws.stack.display().to_string()],
        &[],
    );
    assert_clear_failure(&run, "\"eu-wset-1\" is not an AWS region");
    assert!(run.stderr.contains("main.tf:4:"), "{}", run.log());
    assert!(
        run.stderr.contains("did you mean \"eu-west-1\"?"),
        "{}",
        run.log()
    );

    // From the environment, when the block has none.
    ws.edit("main.tf", "region = \"eu-wset-1\"", "");
    let run = terrane_with(
        &emulator,
        ws.root(),
        &ws.args_for("plan", &["--var", "name=x"]),
        &[("AWS_REGION", "us-eats-1")],
    );
    assert_clear_failure(
        &run,
        "\"us-eats-1\" (from AWS_REGION or the profile) is not an AWS region",
    );
    assert!(
        run.stderr.contains("did you mean \"us-east-1\"?"),
        "{}",
        run.log()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_and_denied_credentials_say_what_to_do() {
    // The emulator checks signatures and IAM policies after the first 3
    // calls, which make a user allowed only to look.
    let emulator = Emulator::start_with(&[("INITIAL_NO_AUTH_ACTION_COUNT", "3")]);
    let iam = emulator.iam();
    iam.create_user()
        .user_name("ci")
        .send()
        .await
        .expect("user");
    let key = iam
        .create_access_key()
        .user_name("ci")
        .send()
        .await
        .expect("key");
    let key = key.access_key().expect("a key");
    iam.put_user_policy()
        .user_name("ci")
        .policy_name("look-only")
        .policy_document(
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Action": ["ec2:Describe*", "sts:GetCallerIdentity"], "Resource": "*"}]}"#,
        )
        .send()
        .await
        .expect("policy");
    let ws = Workspace::copy_of("tests/fixtures/ci/stack");
    let apply = |id: &str, secret: &str| {
        terrane_with(
            &emulator,
            ws.root(),
            &ws.args_for("apply", &["--auto-approve", "--var", "name=x"]),
            &[("AWS_ACCESS_KEY_ID", id), ("AWS_SECRET_ACCESS_KEY", secret)],
        )
    };

    let refused = apply("AKIAIOSFODNN7EXAMPLE", "not-the-secret");
    assert_clear_failure(&refused, "AWS refused the credentials");
    assert!(refused.stderr.contains("refresh them"), "{}", refused.log());

    let denied = apply(key.access_key_id(), key.secret_access_key());
    assert_clear_failure(&denied, "AWS denied ec2:CreateVpc");
    assert!(
        denied
            .stderr
            .contains("allow ec2:CreateVpc in an IAM policy of the user or role"),
        "{}",
        denied.log()
    );
}

#[test]
fn throttling_that_outlasts_the_retries_says_what_to_do() {
    let emulator = Emulator::start();
    let ws = Workspace::copy_of("tests/fixtures/ci/stack");
    let built = ws.run(&emulator, "apply", &["--auto-approve", "--var", "name=x"]);
    assert_eq!(built.code, 0, "{}", built.log());
    let proxy = Proxy::start(
        emulator.endpoint(),
        Faults {
            throttle: 1.0,
            ..Faults::default()
        },
    );
    let plan = terrane_with(
        &emulator,
        ws.root(),
        &ws.args_for("plan", &["--var", "name=x"]),
        &[
            ("AWS_ENDPOINT_URL", &proxy.endpoint()),
            ("AWS_MAX_ATTEMPTS", "2"),
        ],
    );
    assert_clear_failure(
        &plan,
        "AWS kept throttling the calls until the retries ran out",
    );
    assert!(plan.stderr.contains("--parallelism"), "{}", plan.log());
}

#[test]
fn a_value_aws_rejects_is_named_at_its_line() {
    let emulator = Emulator::start();
    let ws = Workspace::copy_of("tests/fixtures/ci/stack");
    ws.edit("main.tf", "10.77.0.0/16", "10.0.0.0/8");
    let run = ws.run(&emulator, "apply", &["--auto-approve", "--var", "name=x"]);
    assert_clear_failure(
        &run,
        "aws_vpc.main: InvalidVpc.Range: The CIDR '10.0.0.0/8' is invalid",
    );
    let line = std::fs::read_to_string(ws.stack.join("main.tf"))
        .unwrap()
        .lines()
        .position(|l| l.contains("10.0.0.0/8"))
        .unwrap()
        + 1;
    assert!(
        run.stderr.contains(&format!("main.tf:{line}:16")),
        "at the argument's value: {}",
        run.log()
    );
    assert!(
        run.stderr.contains("AWS's answer is about `cidr_block`"),
        "{}",
        run.log()
    );
}
