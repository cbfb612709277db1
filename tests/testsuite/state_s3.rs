//! Remote state in S3 through the real binary: encrypted and versioned
//! writes with growing serials, the lock under concurrent runs, a killed run
//! and `force-unlock`, Ctrl-C, conditional writes with locking off, damaged
//! state, `state restore` / `push`, and `init --create-state-bucket`.
//! Everything is checked with independent S3 and IAM calls.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_s3::types::{BucketVersioningStatus, ServerSideEncryption};
use serde_json::Value as Json;

use crate::support::Emulator;
use crate::support::cli::{Run, terrane, terrane_with};
use crate::support::proxy::{Faults, Proxy};

const BUCKET: &str = "terrane-state";
const KEY: &str = "app/terrane.json";
const LOCK_KEY: &str = "app/terrane.json.tflock";
/// How long a spawned run may take to reach a point the test waits for.
const PATIENCE: Duration = Duration::from_secs(120);

const STACK: &str = r#"
terraform {
  backend "s3" {
    bucket       = "terrane-state"
    key          = "app/terrane.json"
    region       = "us-east-1"
    encrypt      = true
    use_lockfile = true
  }
}

provider "aws" {
  region = "us-east-1"
}

variable "roles" {
  type    = number
  default = 2
}

resource "aws_iam_role" "app" {
  count = var.roles
  name  = "app-${count.index}"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "ec2.amazonaws.com" }
    }]
  })
}

output "first_role_arn" {
  value = aws_iam_role.app[0].arn
}
"#;

/// A stack directory (in a temporary root, which is also the working
/// directory of every run) whose state lives in the emulator's S3.
pub struct S3Stack {
    root: tempfile::TempDir,
    pub dir: PathBuf,
}

impl S3Stack {
    pub fn new(main_tf: &str) -> S3Stack {
        let root = tempfile::tempdir().expect("temp dir");
        let dir = root.path().join("app");
        std::fs::create_dir_all(&dir).expect("stack dir");
        std::fs::write(dir.join("main.tf"), main_tf).expect("main.tf");
        S3Stack { root, dir }
    }

    pub fn roles() -> S3Stack {
        S3Stack::new(STACK)
    }

    pub fn path(&self) -> String {
        self.dir.display().to_string()
    }

    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// Runs `terrane <command> <dir> <extra...>`.
    pub fn run(&self, emulator: &Emulator, command: &[&str], extra: &[&str]) -> Run {
        terrane(emulator, self.root(), &self.args(command, extra))
    }

    fn args(&self, command: &[&str], extra: &[&str]) -> Vec<String> {
        command
            .iter()
            .map(|s| s.to_string())
            .chain([self.path()])
            .chain(extra.iter().map(|s| s.to_string()))
            .collect()
    }

    /// Starts `terrane <command> <dir> <extra...>` with its input and output
    /// connected to the test.
    fn spawn(&self, emulator: &Emulator, command: &[&str], extra: &[&str]) -> Spawned {
        let mut child = Command::new(env!("CARGO_BIN_EXE_terrane"))
            .args(self.args(command, extra))
            .current_dir(self.root())
            .envs(emulator.env())
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start terrane");
        let stdout = collect(child.stdout.take().expect("stdout"));
        let stderr = collect(child.stderr.take().expect("stderr"));
        Spawned {
            child,
            stdout,
            stderr,
        }
    }

    /// Creates the state bucket the way an operator would.
    pub fn init_bucket(&self, emulator: &Emulator) {
        let run = self.run(emulator, &["init"], &["--create-state-bucket"]);
        assert_eq!(run.code, 0, "{}", run.log());
    }
}

/// Reads a pipe to the end in the background, so the test can look at what
/// arrived so far (a prompt has no newline after it).
fn collect(mut pipe: impl Read + Send + 'static) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = text.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    text
}

/// A run in progress.
struct Spawned {
    child: Child,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

const PROMPT: &str = "Enter a value:";

impl Spawned {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits until stdout shows `needle`, or the run ends (`false`).
    fn wait_for_stdout(&mut self, needle: &str) -> bool {
        let started = Instant::now();
        while started.elapsed() < PATIENCE {
            if self.stdout().contains(needle) {
                return true;
            }
            if let Ok(Some(_)) = self.child.try_wait() {
                // Let the reader threads drain what is left.
                std::thread::sleep(Duration::from_millis(200));
                return self.stdout().contains(needle);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    fn answer(&mut self, text: &str) {
        let stdin = self.child.stdin.as_mut().expect("stdin");
        stdin.write_all(text.as_bytes()).expect("write stdin");
        stdin.flush().expect("flush stdin");
    }

    /// Waits for the run to end.
    fn finish(mut self) -> Run {
        let started = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status;
            }
            if started.elapsed() > PATIENCE {
                let _ = self.child.kill();
                panic!(
                    "terrane did not finish\n--- stdout\n{}\n--- stderr\n{}",
                    self.stdout(),
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        std::thread::sleep(Duration::from_millis(200));
        Run {
            code: status.code().unwrap_or(-1),
            stdout: self.stdout(),
            stderr: self.stderr(),
        }
    }

    /// SIGKILL: the run gets no chance to clean up.
    fn kill_hard(mut self) {
        self.child.kill().expect("kill -9");
        let _ = self.child.wait();
    }
}

/// A run a failing test leaves behind (paused, say) is killed with it.
impl Drop for Spawned {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The state object now: its JSON, ETag and server-side encryption.
pub async fn state_object(s3: &aws_sdk_s3::Client) -> (Json, String, Option<ServerSideEncryption>) {
    let text = object_text(s3, KEY, None)
        .await
        .expect("state object exists");
    let head = s3
        .head_object()
        .bucket(BUCKET)
        .key(KEY)
        .send()
        .await
        .expect("head state");
    let json = serde_json::from_str(&text).expect("state object is JSON");
    (
        json,
        head.e_tag().unwrap_or_default().to_string(),
        head.server_side_encryption().cloned(),
    )
}

pub async fn object_text(
    s3: &aws_sdk_s3::Client,
    key: &str,
    version: Option<&str>,
) -> Option<String> {
    let object = s3
        .get_object()
        .bucket(BUCKET)
        .key(key)
        .set_version_id(version.map(str::to_string))
        .send()
        .await
        .ok()?;
    let bytes = object.body.collect().await.expect("body").into_bytes();
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// The lock record, if the lock object exists.
async fn lock_record(s3: &aws_sdk_s3::Client) -> Option<Json> {
    object_text(s3, LOCK_KEY, None)
        .await
        .map(|text| serde_json::from_str(&text).expect("lock record is JSON"))
}

/// Every stored version of the state object, newest first:
/// (version id, serial, lineage); serial and lineage are `None` for a
/// version that is not valid JSON.
async fn state_versions(s3: &aws_sdk_s3::Client) -> Vec<(String, Option<u64>, Option<String>)> {
    let listed = s3
        .list_object_versions()
        .bucket(BUCKET)
        .prefix(KEY)
        .send()
        .await
        .expect("list versions");
    let mut out = Vec::new();
    for version in listed.versions().iter().filter(|v| v.key() == Some(KEY)) {
        let id = version.version_id().expect("version id").to_string();
        let text = object_text(s3, KEY, Some(&id)).await.expect("version");
        let json: Option<Json> = serde_json::from_str(&text).ok();
        out.push((
            id,
            json.as_ref().and_then(|j| j["serial"].as_u64()),
            json.as_ref()
                .and_then(|j| j["lineage"].as_str())
                .map(str::to_string),
        ));
    }
    out
}

fn addresses(state: &Json) -> Vec<String> {
    state["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .map(|r| r["address"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Names of the IAM roles that exist, sorted.
async fn role_names(iam: &aws_sdk_iam::Client) -> Vec<String> {
    let roles = iam.list_roles().send().await.expect("list roles");
    let mut names: Vec<String> = roles
        .roles()
        .iter()
        .map(|r| r.role_name().to_string())
        .filter(|n| n.starts_with("app-"))
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread")]
async fn state_lands_in_the_bucket_encrypted_with_a_new_version_per_write() {
    let emulator = Emulator::start();
    let s3 = emulator.s3();
    let stack = S3Stack::roles();

    // Without the bucket, runs stop before doing anything and say what to do.
    let run = stack.run(&emulator, &["plan"], &[]);
    assert_eq!(run.code, 1, "{}", run.log());
    assert!(
        run.stderr.contains("does not exist") && run.stderr.contains("--create-state-bucket"),
        "{}",
        run.log()
    );

    stack.init_bucket(&emulator);
    let versioning = s3.get_bucket_versioning().bucket(BUCKET).send().await;
    // moto names this answer's XML root differently from AWS, which the SDK
    // refuses; the versioning status is checked through the versions listed
    // below instead when that happens.
    if let Ok(versioning) = versioning {
        assert_eq!(versioning.status(), Some(&BucketVersioningStatus::Enabled));
    }
    let encryption = s3
        .get_bucket_encryption()
        .bucket(BUCKET)
        .send()
        .await
        .expect("bucket encryption");
    let rule = &encryption
        .server_side_encryption_configuration()
        .expect("configuration")
        .rules()[0];
    assert_eq!(
        rule.apply_server_side_encryption_by_default()
            .map(|d| d.sse_algorithm()),
        Some(&ServerSideEncryption::Aes256)
    );
    let blocked = s3
        .get_public_access_block()
        .bucket(BUCKET)
        .send()
        .await
        .expect("public access block");
    let blocked = blocked
        .public_access_block_configuration()
        .expect("configuration");
    assert_eq!(
        (
            blocked.block_public_acls(),
            blocked.ignore_public_acls(),
            blocked.block_public_policy(),
            blocked.restrict_public_buckets()
        ),
        (Some(true), Some(true), Some(true), Some(true))
    );
    // Running init again on the existing bucket is fine.
    stack.init_bucket(&emulator);

    let run = stack.run(&emulator, &["apply"], &["--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.log());
    let (state, _, encryption) = state_object(&s3).await;
    assert_eq!(encryption, Some(ServerSideEncryption::Aes256));
    assert_eq!(
        addresses(&state),
        ["aws_iam_role.app[0]", "aws_iam_role.app[1]"]
    );
    assert_eq!(role_names(&emulator.iam()).await, ["app-0", "app-1"]);
    assert!(lock_record(&s3).await.is_none(), "the lock is released");
    let arn = emulator
        .iam()
        .get_role()
        .role_name("app-0")
        .send()
        .await
        .expect("role")
        .role()
        .map(|r| r.arn().to_string())
        .expect("arn");
    let output = stack.run(&emulator, &["output"], &["first_role_arn"]);
    assert_eq!(output.stdout.trim(), format!("{arn:?}"), "{}", output.log());

    let run = stack.run(
        &emulator,
        &["apply"],
        &["--auto-approve", "--var", "roles=3"],
    );
    assert_eq!(run.code, 0, "{}", run.log());

    // One object version per write, newest first, the serial growing with
    // every write (steps batched into one write skip serials), one lineage
    // throughout.
    let versions = state_versions(&s3).await;
    let serials: Vec<u64> = versions.iter().map(|v| v.1.expect("valid state")).collect();
    assert!(
        serials.windows(2).all(|pair| pair[0] > pair[1]),
        "serials grow with every write: {serials:?}"
    );
    assert!(serials.len() >= 4, "two applies write at least twice each");
    let lineages: std::collections::BTreeSet<_> = versions.iter().map(|v| v.2.clone()).collect();
    assert_eq!(lineages.len(), 1, "lineage is stable: {lineages:?}");
    let (state, _, encryption) = state_object(&s3).await;
    assert_eq!(encryption, Some(ServerSideEncryption::Aes256));
    assert_eq!(state["serial"].as_u64(), Some(serials[0]));
    assert_eq!(addresses(&state).len(), 3);

    // `state versions` shows the same history.
    let run = stack.run(&emulator, &["state", "versions"], &[]);
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(run.stdout.lines().count(), versions.len(), "{}", run.log());
    assert!(
        run.stdout
            .lines()
            .next()
            .unwrap_or_default()
            .contains("(current)")
    );
    for (id, serial, _) in &versions {
        let line = run
            .stdout
            .lines()
            .find(|l| l.starts_with(id.as_str()))
            .unwrap_or_else(|| panic!("version {id} listed:\n{}", run.log()));
        assert!(
            line.contains(&format!("serial {:>4}", serial.unwrap_or(0))),
            "{line}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bucket_without_versioning_is_warned_about_loudly() {
    let emulator = Emulator::start();
    let s3 = emulator.s3();
    s3.create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .expect("bucket");
    let stack = S3Stack::roles();
    let run = stack.run(&emulator, &["plan"], &[]);
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(
        run.stderr.contains("VERSIONING IS OFF") && run.stderr.contains("put-bucket-versioning"),
        "{}",
        run.log()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn kms_key_id_encrypts_state_and_lock_with_sse_kms() {
    let emulator = Emulator::start();
    let s3 = emulator.s3();
    // moto accepts any key id without checking that the key exists, and
    // reports it back as given; AWS needs a key the caller may use and
    // reports its ARN.
    let stack = S3Stack::new(&STACK.replace(
        "use_lockfile = true",
        "use_lockfile = true\n    kms_key_id   = \"alias/terrane-state\"",
    ));
    stack.init_bucket(&emulator);
    let encryption = s3
        .get_bucket_encryption()
        .bucket(BUCKET)
        .send()
        .await
        .expect("bucket encryption");
    let default = encryption
        .server_side_encryption_configuration()
        .and_then(|c| c.rules().first())
        .and_then(|r| r.apply_server_side_encryption_by_default())
        .expect("default encryption");
    assert_eq!(default.sse_algorithm(), &ServerSideEncryption::AwsKms);
    assert_eq!(default.kms_master_key_id(), Some("alias/terrane-state"));

    let mut run = stack.spawn(&emulator, &["apply"], &[]);
    assert!(run.wait_for_stdout(PROMPT), "{}", run.stderr());
    let lock = s3
        .head_object()
        .bucket(BUCKET)
        .key(LOCK_KEY)
        .send()
        .await
        .expect("lock object");
    assert_eq!(
        lock.server_side_encryption(),
        Some(&ServerSideEncryption::AwsKms)
    );
    run.answer("yes\n");
    let done = run.finish();
    assert_eq!(done.code, 0, "{}", done.log());
    let head = s3
        .head_object()
        .bucket(BUCKET)
        .key(KEY)
        .send()
        .await
        .expect("state object");
    assert_eq!(
        head.server_side_encryption(),
        Some(&ServerSideEncryption::AwsKms)
    );
    assert_eq!(head.ssekms_key_id(), Some("alias/terrane-state"));
}

#[tokio::test(flavor = "multi_thread")]
async fn two_applies_at_once_one_runs_and_the_other_names_the_holder() {
    let emulator = Emulator::start();
    let s3 = emulator.s3();
    let stack = S3Stack::roles();
    stack.init_bucket(&emulator);

    // Both start at the same moment. Neither is auto-approved, so the
    // winner holds the lock at its prompt for as long as the test needs.
    let mut first = stack.spawn(&emulator, &["apply"], &[]);
    let mut second = stack.spawn(&emulator, &["apply"], &[]);
    let (mut winner, loser) = loop {
        if let Ok(Some(_)) = first.child.try_wait() {
            break (second, first);
        }
        if let Ok(Some(_)) = second.child.try_wait() {
            break (first, second);
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let lost = loser.finish();
    assert_eq!(lost.code, 1, "{}", lost.log());
    assert!(winner.wait_for_stdout(PROMPT), "the winner plans and asks");

    // The error names who holds the lock, since when and for what; the lock
    // object says the same.
    let record = lock_record(&s3)
        .await
        .expect("the winner holds the lock object");
    let id = record["ID"].as_str().expect("ID").to_string();
    assert_eq!(record["Operation"], "apply");
    let who = record["Who"].as_str().expect("Who");
    assert!(who.contains('@'), "Who is user@host: {who}");
    let created = record["Created"].as_str().expect("Created");
    for expected in ["locked by", who, created, "operation: apply", id.as_str()] {
        assert!(
            lost.stderr.contains(expected),
            "{expected:?} in:\n{}",
            lost.log()
        );
    }
    assert!(
        lost.stderr.contains(&format!("terrane force-unlock {id}")),
        "{}",
        lost.log()
    );

    winner.answer("yes\n");
    let won = winner.finish();
    assert_eq!(won.code, 0, "{}", won.log());

    // The state is the complete result of the run that went ahead.
    let (state, _, _) = state_object(&s3).await;
    assert_eq!(
        addresses(&state),
        ["aws_iam_role.app[0]", "aws_iam_role.app[1]"]
    );
    assert!(
        state["pending"].is_null(),
        "no pending creates left: {state}"
    );
    let iam = emulator.iam();
    assert_eq!(role_names(&iam).await, ["app-0", "app-1"]);
    for resource in state["resources"].as_array().unwrap() {
        let id = resource["id"].as_str().unwrap();
        let role = iam
            .get_role()
            .role_name(id)
            .send()
            .await
            .expect("role exists");
        assert_eq!(
            resource["attributes"]["arn"].as_str(),
            role.role().map(|r| r.arn())
        );
    }
    assert!(lock_record(&s3).await.is_none(), "the lock is released");
}

#[tokio::test(flavor = "multi_thread")]
async fn with_locking_off_the_second_writer_is_refused_and_nothing_is_overwritten() {
    let emulator = Emulator::start();
    let s3 = emulator.s3();
    let stack = S3Stack::roles();
    stack.init_bucket(&emulator);
    let run = stack.run(&emulator, &["apply"], &["--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.log());

    // Both read the same state and plan the same new role, then wait.
    let three = ["--lock=false", "--var", "roles=3"];
    let mut first = stack.spawn(&emulator, &["apply"], &three);
    assert!(first.wait_for_stdout(PROMPT), "{}", first.stderr());
    let mut second = stack.spawn(&emulator, &["apply"], &three);
    assert!(second.wait_for_stdout(PROMPT), "{}", second.stderr());
    assert!(lock_record(&s3).await.is_none(), "no lock taken");

    first.answer("yes\n");
    let ran = first.finish();
    assert_eq!(ran.code, 0, "{}", ran.log());
    assert!(
        ran.stderr.contains("--lock=false"),
        "a warning says locking is off:\n{}",
        ran.log()
    );
    let (after_first, etag_after_first, _) = state_object(&s3).await;
    let versions_after_first = state_versions(&s3).await.len();

    second.answer("yes\n");
    let refused = second.finish();
    assert_eq!(refused.code, 1, "{}", refused.log());
    assert!(
        refused.stderr.contains("changed under us"),
        "the second writer says the state changed under it:\n{}",
        refused.log()
    );

    // Nothing overwritten: same object, same history, and the second run
    // created nothing (its first write, the pending record, was refused).
    let (now, etag_now, _) = state_object(&s3).await;
    assert_eq!(now, after_first);
    assert_eq!(etag_now, etag_after_first);
    assert_eq!(state_versions(&s3).await.len(), versions_after_first);
    assert_eq!(addresses(&now).len(), 3);
    assert_eq!(
        role_names(&emulator.iam()).await,
        ["app-0", "app-1", "app-2"]
    );
}

/// A stack of `count` VPCs whose state is in the emulator's S3.
fn vpcs_in_s3(count: usize) -> String {
    let backend = &STACK[..STACK.find("variable").expect("the roles stack")];
    format!(
        "{backend}resource \"aws_vpc\" \"v\" {{\n  count      = {count}\n  cidr_block = \"10.${{count.index % 250}}.0.0/16\"\n}}\n"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn steps_are_batched_into_few_writes_and_a_killed_apply_keeps_every_finished_one() {
    let emulator = Emulator::start();
    let s3 = emulator.s3();
    let stack = S3Stack::new(&vpcs_in_s3(40));
    stack.init_bucket(&emulator);

    // 40 creates are 80 steps (pending, then done); written one by one
    // they would be 80 versions.
    // Batched, they are at most one per write interval (plus the last).
    let started = Instant::now();
    let run = stack.run(&emulator, &["apply"], &["--auto-approve"]);
    let elapsed = started.elapsed();
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(addresses(&state_object(&s3).await.0).len(), 40);
    let writes = state_versions(&s3).await.len();
    let most =
        (elapsed.as_millis() / terrane::state::s3::MIN_WRITE_INTERVAL.as_millis()) as usize + 2;
    assert!(
        writes <= most.min(40),
        "{writes} writes for 80 steps in {elapsed:?}: not batched\n{}",
        run.log()
    );
    let journal = terrane::ops::s3_journal_path(&stack.dir, BUCKET, KEY);
    assert!(!journal.exists(), "a finished run leaves no journal");

    // Kill an apply of 80 more at a moment when it has written the bucket
    // and holds further finished steps only in its local journal. The run
    // is paused (SIGSTOP) while the test looks, so what it sees is what the
    // kill leaves.
    std::fs::write(stack.dir.join("main.tf"), vpcs_in_s3(120)).expect("main.tf");
    let mut run = stack.spawn(&emulator, &["apply"], &["--auto-approve"]);
    let signal = |pid: u32, signal: i32| {
        // SAFETY: kill(2) on our own child's pid.
        assert_eq!(
            unsafe { libc::kill(pid as i32, signal) },
            0,
            "signal the run"
        );
    };
    let started = Instant::now();
    let expected = loop {
        assert!(
            started.elapsed() < PATIENCE,
            "no moment with unwritten steps"
        );
        assert!(
            run.child.try_wait().unwrap().is_none(),
            "apply ended too soon:\n{}",
            run.stderr()
        );
        std::thread::sleep(Duration::from_millis(20));
        signal(run.pid(), libc::SIGSTOP);
        let stored: std::collections::BTreeSet<String> =
            addresses(&state_object(&s3).await.0).into_iter().collect();
        let mut expected = stored.clone();
        for line in std::fs::read_to_string(&journal)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str::<Json>(l).ok())
        {
            if line.get("resource").is_some() {
                expected.insert(line["address"].as_str().unwrap().to_string());
            }
        }
        if stored.len() > 40 && expected.len() >= stored.len() + 2 {
            break expected;
        }
        signal(run.pid(), libc::SIGCONT);
    };
    run.kill_hard();

    // The next reader sees every finished step: the bucket's and the
    // journal's.
    let listed = stack.run(&emulator, &["state", "list"], &[]);
    assert_eq!(listed.code, 0, "{}", listed.log());
    let listed: std::collections::BTreeSet<String> =
        listed.stdout.lines().map(str::to_string).collect();
    assert!(
        expected.is_subset(&listed),
        "missing: {:?}",
        expected.difference(&listed).collect::<Vec<_>>()
    );

    // The lock the killed run left is released by hand; the next apply
    // finishes the work with no duplicate.
    let holder = lock_record(&s3).await.expect("the killed run's lock");
    let unlock = stack.run(
        &emulator,
        &["force-unlock"],
        &[holder["ID"].as_str().unwrap()],
    );
    assert_eq!(unlock.code, 0, "{}", unlock.log());
    let run = stack.run(&emulator, &["apply"], &["--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(addresses(&state_object(&s3).await.0).len(), 120);
    let vpcs = emulator
        .ec2()
        .describe_vpcs()
        .send()
        .await
        .expect("describe vpcs");
    let made = vpcs
        .vpcs()
        .iter()
        .filter(|v| v.is_default() != Some(true))
        .count();
    assert_eq!(made, 120, "one VPC per address, none twice");
    assert!(!journal.exists());
}

/// The bucket refuses every write of the state after the first, so the
/// one due in the middle of the apply fails: the run stops and says so,
/// failing no step that finished, and the journal keeps every one of them,
/// so that the next reader sees every VPC AWS made, and the next apply
/// makes none twice. Each EC2 call waits 200 ms more and S3's do not, so
/// that the apply lasts several times the interval the first write sets
/// (19 times what it took, at least 300 ms).
#[tokio::test(flavor = "multi_thread")]
async fn a_bucket_write_that_fails_mid_apply_loses_no_finished_step() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    const VPCS: usize = 40;
    let emulator = Emulator::start();
    let stack = S3Stack::new(&vpcs_in_s3(VPCS));
    stack.init_bucket(&emulator);
    let state_writes = Arc::new(AtomicUsize::new(0));
    let counted = state_writes.clone();
    let proxy = Proxy::start(
        emulator.endpoint(),
        Faults {
            delay: Some(Box::new(|call| {
                if call.service == "ec2" {
                    Duration::from_millis(200)
                } else {
                    Duration::ZERO
                }
            })),
            refuse: Some(Box::new(move |call| {
                let state_write =
                    call.service == "s3" && call.method == "PUT" && call.path.ends_with(KEY);
                (state_write && counted.fetch_add(1, Ordering::SeqCst) >= 1)
                    .then_some(("AccessDenied", "Access Denied"))
            })),
            ..Faults::default()
        },
    );
    let run = terrane_with(
        &emulator,
        stack.root(),
        &stack.args(&["apply"], &["--auto-approve"]),
        &[("AWS_ENDPOINT_URL", &proxy.endpoint())],
    );
    assert_eq!(run.code, 1, "{}", run.log());
    assert!(run.stderr.contains("AccessDenied"), "{}", run.log());
    assert!(
        !run.stderr
            .contains("the step succeeded but state could not be saved"),
        "{}",
        run.log()
    );
    // The first write, one refused during the run, the final save refused.
    assert!(state_writes.load(Ordering::SeqCst) >= 3, "{}", run.log());

    let vpcs = |ec2: aws_sdk_ec2::Client| async move {
        let answer = ec2.describe_vpcs().send().await.expect("describe vpcs");
        answer
            .vpcs()
            .iter()
            .filter(|v| v.is_default() != Some(true))
            .count()
    };
    let made = vpcs(emulator.ec2()).await;
    assert!(
        (1..VPCS).contains(&made),
        "the run stopped part-way: {made} made\n{}",
        run.log()
    );
    let listed = stack.run(&emulator, &["state", "list"], &[]);
    assert_eq!(listed.code, 0, "{}", listed.log());
    assert_eq!(
        listed.stdout.lines().count(),
        made,
        "every VPC made is in state:\n{}\n{}",
        listed.stdout,
        run.log()
    );

    let again = stack.run(&emulator, &["apply"], &["--auto-approve"]);
    assert_eq!(again.code, 0, "{}", again.log());
    assert_eq!(vpcs(emulator.ec2()).await, VPCS, "none made twice");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_run_leaves_its_lock_and_force_unlock_with_its_id_clears_it() {
    let emulator = Emulator::start();
    let s3 = emulator.s3();
    let stack = S3Stack::roles();
    stack.init_bucket(&emulator);

    // Kill -9 while the run is in its slow step (waiting for approval),
    // once its lock object exists.
    let mut run = stack.spawn(&emulator, &["apply"], &[]);
    assert!(run.wait_for_stdout(PROMPT), "{}", run.stderr());
    let record = lock_record(&s3).await.expect("lock held");
    let id = record["ID"].as_str().expect("ID").to_string();
    run.kill_hard();
    assert_eq!(
        lock_record(&s3).await,
        Some(record),
        "SIGKILL leaves the lock"
    );

    let plan = stack.run(&emulator, &["plan"], &[]);
    assert_eq!(plan.code, 1, "{}", plan.log());
    assert!(plan.stderr.contains(&id), "{}", plan.log());

    // --lock-timeout keeps trying, then gives up naming the holder.
    let started = Instant::now();
    let plan = stack.run(&emulator, &["plan"], &["--lock-timeout", "2s"]);
    assert_eq!(plan.code, 1, "{}", plan.log());
    assert!(started.elapsed() >= Duration::from_secs(2), "it waited");
    assert!(plan.stderr.contains(&id), "{}", plan.log());

    // Only the matching ID unlocks. The directory comes first, as elsewhere.
    let wrong = stack.run(&emulator, &["force-unlock"], &["not-the-id"]);
    assert_eq!(wrong.code, 1, "{}", wrong.log());
    assert!(wrong.stderr.contains("does not match"), "{}", wrong.log());
    assert!(lock_record(&s3).await.is_some());
    let unlock = stack.run(&emulator, &["force-unlock"], &[&id]);
    assert_eq!(unlock.code, 0, "{}", unlock.log());
    assert!(
        lock_record(&s3).await.is_none(),
        "force-unlock removed the lock"
    );
    let again = stack.run(&emulator, &["force-unlock"], &[&id]);
    assert_eq!(again.code, 1, "{}", again.log());
    assert!(again.stderr.contains("not locked"), "{}", again.log());

    let plan = stack.run(&emulator, &["plan"], &[]);
    assert_eq!(plan.code, 0, "{}", plan.log());
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_ends_the_run_and_releases_the_lock() {
    let emulator = Emulator::start();
    let s3 = emulator.s3();
    let stack = S3Stack::roles();
    stack.init_bucket(&emulator);

    let mut run = stack.spawn(&emulator, &["apply"], &[]);
    assert!(run.wait_for_stdout(PROMPT), "{}", run.stderr());
    assert!(lock_record(&s3).await.is_some());
    let sent = Command::new("kill")
        .args(["-INT", &run.pid().to_string()])
        .status()
        .expect("kill -INT");
    assert!(sent.success());
    let ended = run.finish();
    assert_eq!(ended.code, 1, "{}", ended.log());
    assert!(lock_record(&s3).await.is_none(), "Ctrl-C released the lock");
    assert!(
        role_names(&emulator.iam()).await.is_empty(),
        "nothing was applied"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn restore_push_and_a_damaged_state_object() {
    let emulator = Emulator::start();
    let s3 = emulator.s3();
    let stack = S3Stack::roles();
    stack.init_bucket(&emulator);
    assert_eq!(
        stack.run(&emulator, &["apply"], &["--auto-approve"]).code,
        0
    );
    let (two_roles, _, _) = state_object(&s3).await;
    let two_roles_version = state_versions(&s3).await[0].0.clone();
    let run = stack.run(
        &emulator,
        &["apply"],
        &["--auto-approve", "--var", "roles=3"],
    );
    assert_eq!(run.code, 0, "{}", run.log());
    let (three_roles, _, _) = state_object(&s3).await;
    let latest_serial = three_roles["serial"].as_u64().unwrap();

    // Restore brings the earlier version back as a new write.
    let run = stack.run(&emulator, &["state", "restore"], &[&two_roles_version]);
    assert_eq!(run.code, 0, "{}", run.log());
    let (restored, _, encryption) = state_object(&s3).await;
    assert_eq!(encryption, Some(ServerSideEncryption::Aes256));
    assert_eq!(restored["serial"].as_u64(), Some(latest_serial + 1));
    assert_eq!(restored["lineage"], two_roles["lineage"]);
    assert_eq!(restored["resources"], two_roles["resources"]);
    let run = stack.run(&emulator, &["state", "restore"], &["no-such-version"]);
    assert_eq!(run.code, 1, "{}", run.log());

    // Push refuses a foreign lineage, and a serial that is not newer.
    let pulled = stack.run(&emulator, &["state", "pull"], &[]);
    assert_eq!(pulled.code, 0, "{}", pulled.log());
    let mut foreign: Json = serde_json::from_str(&pulled.stdout).expect("pull prints JSON");
    foreign["lineage"] = "3f7b2c1e-0000-4000-8000-000000000000".into();
    foreign["serial"] = (latest_serial + 10).into();
    let file = stack.root().join("foreign.json");
    std::fs::write(&file, foreign.to_string()).unwrap();
    let (_, etag_before, _) = state_object(&s3).await;
    let run = stack.run(
        &emulator,
        &["state", "push"],
        &[&file.display().to_string()],
    );
    assert_eq!(run.code, 1, "{}", run.log());
    assert!(run.stderr.contains("lineage"), "{}", run.log());
    let same = stack.root().join("same.json");
    std::fs::write(&same, &pulled.stdout).unwrap();
    let run = stack.run(
        &emulator,
        &["state", "push"],
        &[&same.display().to_string()],
    );
    assert_eq!(run.code, 1, "{}", run.log());
    assert!(run.stderr.contains("not newer"), "{}", run.log());
    assert_eq!(
        state_object(&s3).await.1,
        etag_before,
        "refused pushes wrote nothing"
    );
    let mut newer: Json = serde_json::from_str(&pulled.stdout).unwrap();
    newer["serial"] = (latest_serial + 5).into();
    std::fs::write(&same, newer.to_string()).unwrap();
    let run = stack.run(
        &emulator,
        &["state", "push"],
        &[&same.display().to_string()],
    );
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(
        state_object(&s3).await.0["serial"].as_u64(),
        Some(latest_serial + 5)
    );

    // A truncated state object is refused with a clear error and left as it is.
    let full = object_text(&s3, KEY, None).await.unwrap();
    let truncated = &full[..full.len() / 2];
    s3.put_object()
        .bucket(BUCKET)
        .key(KEY)
        .body(truncated.as_bytes().to_vec().into())
        .send()
        .await
        .expect("damage the state");
    for command in [&["plan"][..], &["apply"], &["state", "list"]] {
        let extra: &[&str] = if command == ["apply"] {
            &["--auto-approve"]
        } else {
            &[]
        };
        let run = stack.run(&emulator, command, extra);
        assert_eq!(run.code, 1, "{command:?}: {}", run.log());
        assert!(
            run.stderr.contains("The state is not valid") && run.stderr.contains(KEY),
            "{command:?}: {}",
            run.log()
        );
    }
    let run = stack.run(
        &emulator,
        &["state", "push"],
        &[&same.display().to_string()],
    );
    assert_eq!(
        run.code,
        1,
        "pushing over a damaged state needs --force: {}",
        run.log()
    );
    assert_eq!(
        object_text(&s3, KEY, None).await.as_deref(),
        Some(truncated)
    );
    assert!(lock_record(&s3).await.is_none());

    // The recovery path: restore the last good version over the damage.
    let good = state_versions(&s3).await[1].0.clone();
    let run = stack.run(&emulator, &["state", "restore"], &[&good]);
    assert_eq!(run.code, 0, "{}", run.log());
    let (recovered, _, _) = state_object(&s3).await;
    assert_eq!(recovered["serial"].as_u64(), Some(latest_serial + 6));
    let run = stack.run(&emulator, &["plan"], &["--detailed-exitcode"]);
    assert_eq!(run.code, 0, "{}", run.log());
}

#[tokio::test(flavor = "multi_thread")]
async fn state_list_show_mv_and_rm() {
    let emulator = Emulator::start();
    let s3 = emulator.s3();
    let stack = S3Stack::roles();
    stack.init_bucket(&emulator);
    assert_eq!(
        stack.run(&emulator, &["apply"], &["--auto-approve"]).code,
        0
    );

    let list = stack.run(&emulator, &["state", "list"], &[]);
    assert_eq!(
        list.stdout,
        "aws_iam_role.app[0]\naws_iam_role.app[1]\n",
        "{}",
        list.log()
    );

    let show = stack.run(&emulator, &["state", "show"], &["aws_iam_role.app[1]"]);
    assert_eq!(show.code, 0, "{}", show.log());
    assert!(
        show.stdout
            .starts_with("# aws_iam_role.app[1]:\nresource \"aws_iam_role\" \"app\" {"),
        "{}",
        show.log()
    );
    assert!(
        show.stdout.contains("name                  = \"app-1\""),
        "{}",
        show.log()
    );
    let missing = stack.run(&emulator, &["state", "show"], &["aws_iam_role.nope"]);
    assert_eq!(missing.code, 1, "{}", missing.log());

    // Move into a for_each instance; the state object says so.
    let serial_before = state_object(&s3).await.0["serial"].as_u64().unwrap();
    let mv = stack.run(
        &emulator,
        &["state", "mv"],
        &["aws_iam_role.app[0]", "aws_iam_role.named[\"first\"]"],
    );
    assert_eq!(mv.code, 0, "{}", mv.log());
    let (state, _, _) = state_object(&s3).await;
    assert_eq!(
        addresses(&state),
        ["aws_iam_role.app[1]", "aws_iam_role.named[\"first\"]"]
    );
    assert_eq!(state["resources"][1]["id"], "app-0");
    assert_eq!(state["serial"].as_u64(), Some(serial_before + 1));

    // Refused onto an existing instance, and for a bad address.
    let onto = stack.run(
        &emulator,
        &["state", "mv"],
        &["aws_iam_role.app[1]", "aws_iam_role.named[\"first\"]"],
    );
    assert_eq!(onto.code, 1, "{}", onto.log());
    assert!(onto.stderr.contains("already exists"), "{}", onto.log());
    let bad = stack.run(
        &emulator,
        &["state", "mv"],
        &["aws_iam_role.app[1]", "nonsense"],
    );
    assert_eq!(bad.code, 1, "{}", bad.log());
    assert_eq!(
        state_object(&s3).await.0,
        state,
        "refused moves wrote nothing"
    );

    // rm forgets without deleting.
    let rm = stack.run(&emulator, &["state", "rm"], &["aws_iam_role.named"]);
    assert_eq!(rm.code, 0, "{}", rm.log());
    assert!(
        rm.stdout.contains("Removed aws_iam_role.named[\"first\"]"),
        "{}",
        rm.log()
    );
    let (state, _, _) = state_object(&s3).await;
    assert_eq!(addresses(&state), ["aws_iam_role.app[1]"]);
    assert_eq!(
        role_names(&emulator.iam()).await,
        ["app-0", "app-1"],
        "nothing deleted"
    );
    let rm = stack.run(&emulator, &["state", "rm"], &["aws_iam_role.named"]);
    assert_eq!(rm.code, 1, "{}", rm.log());

    // The stack now plans to create app[0] again: terrane forgot it.
    let plan = stack.run(&emulator, &["plan"], &["--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}", plan.log());
    assert!(
        plan.stdout.contains("aws_iam_role.app[0] will be created"),
        "{}",
        plan.log()
    );
}
