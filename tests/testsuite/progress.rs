//! What an operator sees while apply works: on a terminal (a pseudo-
//! terminal here), live lines for the operations in flight with what they
//! wait for, an overall bar and the slowest operations at the end, in
//! colour unless NO_COLOR; in a log, one timestamped line per start and
//! finish and no escape codes.

use std::process::Command;

use crate::support::Emulator;
use crate::support::cli::Workspace;

/// The apply of tests/fixtures/progress under a pseudo-terminal, with
/// `env`; everything it wrote, once it ended.
fn apply_on_a_terminal(emulator: &Emulator, ws: &Workspace, env: &[(&str, &str)]) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_terrane"));
    command
        .args(ws.args_for("apply", &["--auto-approve"]))
        .current_dir(ws.root())
        .envs(emulator.env())
        .env("TERM", "xterm-256color")
        .env_remove("NO_COLOR")
        .envs(env.iter().copied());
    let mut session = rexpect::session::spawn_command(command, Some(60_000)).expect("a pty");
    let mut seen = session
        .exp_string("waiting for create_duration (3s) to pass")
        .expect("the wait is shown while it lasts");
    seen.push_str("waiting for create_duration (3s) to pass");
    seen.push_str(&session.exp_eof().expect("the apply ends"));
    seen
}

#[test]
fn a_terminal_shows_operations_in_flight_and_the_slowest() {
    let emulator = Emulator::start();
    let ws = Workspace::copy_of("tests/fixtures/progress");
    let seen = apply_on_a_terminal(&emulator, &ws, &[]);
    for expected in [
        "time_sleep.settle",
        "creating",
        "operations",
        "Slowest: ",
        "Apply complete! Resources: 2 added",
    ] {
        assert!(seen.contains(expected), "{expected:?} in:\n{seen:?}");
    }
    assert!(slowest_names_the_wait(&seen), "{seen:?}");
    assert!(
        seen.contains("\u{1b}[2K"),
        "lines are redrawn in place: {seen:?}"
    );
    assert!(seen.contains("\u{1b}[32m"), "in colour: {seen:?}");
    assert!(
        !seen
            .lines()
            .any(|l| l.starts_with("20") && l.contains("Creating...")),
        "no log lines on a terminal: {seen:?}"
    );

    // NO_COLOR: still live, never coloured.
    let ws = Workspace::copy_of("tests/fixtures/progress");
    let seen = apply_on_a_terminal(&emulator, &ws, &[("NO_COLOR", "1")]);
    assert!(seen.contains("\u{1b}[2K"), "{seen:?}");
    let colours = ["\u{1b}[3", "\u{1b}[1m"];
    assert!(
        !colours.iter().any(|c| seen.contains(c)),
        "no colour with NO_COLOR: {seen:?}"
    );
}

#[test]
fn a_log_gets_one_timestamped_line_per_start_and_finish() {
    let emulator = Emulator::start();
    let ws = Workspace::copy_of("tests/fixtures/progress");
    let run = ws.run(&emulator, "apply", &["--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(!run.stdout.contains('\u{1b}'), "{}", run.log());
    let progress: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.contains(": Creat"))
        .collect();
    assert_eq!(progress.len(), 4, "{}", run.log());
    for line in &progress {
        let (stamp, _) = line.split_once(' ').unwrap();
        assert!(
            humantime::parse_rfc3339(stamp).is_ok() && stamp.ends_with('Z'),
            "{line}"
        );
    }
    assert!(
        progress[0].ends_with("aws_vpc.main: Creating..."),
        "{progress:?}"
    );
    assert!(
        progress[3].contains("time_sleep.settle: Creation complete after 3s"),
        "{progress:?}"
    );
    assert!(slowest_names_the_wait(&run.stdout), "{}", run.log());
}

/// Whether the summary's line of slowest operations names the 3 s wait
/// (a loaded machine can make the VPC slower still).
fn slowest_names_the_wait(output: &str) -> bool {
    output.split("Slowest: ").nth(1).is_some_and(|rest| {
        rest.lines()
            .next()
            .is_some_and(|line| line.contains("time_sleep.settle (creation 3s)"))
    })
}

#[test]
fn a_step_is_announced_soon_after_it_finishes_while_others_run_on() {
    // Its record waits for the sync of the next step to start; with none
    // starting, a timer syncs it a fraction of a second later, not only
    // when the run ends.
    let emulator = Emulator::start();
    let ws = Workspace::copy_of("tests/fixtures/ci/stack");
    ws.write(
        "main.tf",
        "resource \"time_sleep\" \"quick\" {\n  create_duration = \"0s\"\n}\n\nresource \"time_sleep\" \"slow\" {\n  create_duration = \"3s\"\n}\n",
    );
    let run = ws.run(&emulator, "apply", &["--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.log());
    let announced = |address: &str| {
        let line = run
            .stdout
            .lines()
            .find(|l| l.contains(&format!("{address}: Creation complete")))
            .unwrap_or_else(|| panic!("{address} announced:\n{}", run.log()));
        let (stamp, _) = line.split_once(' ').unwrap();
        humantime::parse_rfc3339(stamp).expect("a timestamp")
    };
    let quick = announced("time_sleep.quick");
    let slow = announced("time_sleep.slow");
    assert!(
        slow.duration_since(quick)
            .is_ok_and(|d| d >= std::time::Duration::from_secs(2)),
        "the quick step was announced with the slow one:\n{}",
        run.log()
    );
}
