//! An apply killed mid-run loses no finished step: each step is in the
//! local state's journal before the run goes on, and every reader replays
//! it. (Adopting the one create that was in flight at the kill is the
//! zero-orphans work's; this test only looks at what had finished.)

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::Emulator;
use crate::support::cli::{Workspace, terrane};

#[test]
fn a_killed_apply_keeps_every_finished_step() {
    let emulator = Emulator::start();
    let ws = Workspace::copy_of("tests/fixtures/ci/stack");
    ws.write(
        "main.tf",
        "resource \"aws_vpc\" \"v\" {\n  count      = 300\n  cidr_block = \"10.${count.index % 250}.0.0/16\"\n  tags = {\n    Name = \"journal-${count.index}\"\n  }\n}\n",
    );
    let journal = {
        let mut name = ws.state.file_name().unwrap().to_os_string();
        name.push(".journal");
        ws.state.with_file_name(name)
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_terrane"))
        .arg("apply")
        .arg(&ws.stack)
        .args(["--auto-approve", "--parallelism", "2", "--state"])
        .arg(&ws.state)
        .current_dir(ws.root())
        .envs(emulator.env())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(ws.root().join("stderr.txt")).expect("stderr file"))
        .spawn()
        .expect("start apply");
    // Kill it once a few creates have finished (each create is two lines:
    // the pending record, then the object; how many pending records come
    // between depends on how steps overlap).
    let started = Instant::now();
    loop {
        let finished = std::fs::read_to_string(&journal)
            .map(|t| t.lines().filter(|l| l.contains("\"resource\"")).count())
            .unwrap_or(0);
        if finished >= 5 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the journal never grew"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "apply ended too soon:\n{}",
            std::fs::read_to_string(ws.root().join("stderr.txt")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("kill apply");
    let _ = child.wait();

    // The state file was never written whole; the journal holds the steps.
    assert!(
        !ws.state.exists(),
        "the first apply writes state at its end"
    );
    let recorded: Vec<String> = std::fs::read_to_string(&journal)
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|r| r.get("resource").is_some())
        .map(|r| r["address"].as_str().unwrap().to_string())
        .collect();
    assert!(recorded.len() >= 4, "{recorded:?}");

    // Every reader sees them: `state list` names each recorded object.
    let listed = terrane(
        &emulator,
        ws.root(),
        &[
            "state".into(),
            "list".into(),
            ws.stack.display().to_string(),
            "--state".into(),
            ws.state.display().to_string(),
        ],
    );
    assert_eq!(listed.code, 0, "{}", listed.log());
    for address in &recorded {
        assert!(
            listed.stdout.lines().any(|l| l == address),
            "{address} missing:\n{}",
            listed.log()
        );
    }
}
