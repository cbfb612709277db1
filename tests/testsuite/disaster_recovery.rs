//! The commands of docs/disaster-recovery.md, run as written (each `sh`
//! block under its heading, with bash, `terrane` on the PATH) against the
//! emulator: restoring a damaged state from an earlier S3 object version,
//! rebuilding a lost state from AWS, and rebuilding the whole environment
//! in another region. Each is followed by a clean plan inside its block.

use std::path::Path;
use std::process::Command;

use crate::support::Emulator;
use crate::support::checks::vpc_tagged;
use crate::support::cli::{Run, copy_tree, repo_path};

const BUCKET: &str = "shop-dr-drill-state";
const KEY: &str = "production/terrane.json";

/// The `sh` block under the `### <heading>` of the DR guide.
fn block(heading: &str) -> String {
    let doc = std::fs::read_to_string(repo_path("docs/disaster-recovery.md")).expect("guide");
    let section = doc
        .split("\n### ")
        .find(|s| s.starts_with(heading))
        .unwrap_or_else(|| panic!("no section {heading:?} in the guide"));
    let start = section.find("```sh\n").expect("an sh block") + "```sh\n".len();
    let end = start + section[start..].find("```").expect("the block ends");
    section[start..end].to_string()
}

/// Runs a block with bash in `dir`, against `emulator`.
fn run_block(heading: &str, dir: &Path, emulator: &Emulator) -> Run {
    let binary = Path::new(env!("CARGO_BIN_EXE_terrane"));
    let path = format!(
        "{}:{}",
        binary.parent().expect("bin dir").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &block(heading)])
        .current_dir(dir)
        .envs(emulator.env())
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .output()
        .expect("run bash");
    Run::from(output)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_recovery_commands_in_the_guide_work_as_written() {
    let emulator = Emulator::start();
    let s3 = emulator.s3();
    s3.create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .expect("bucket");
    s3.put_bucket_versioning()
        .bucket(BUCKET)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .expect("versioning");
    let dir = tempfile::tempdir().expect("dir");
    let stack = dir.path().join("stacks/production");
    copy_tree(&repo_path("stacks/production"), &stack);
    std::fs::write(
        stack.join("backend.tf"),
        format!(
            "terraform {{\n  backend \"s3\" {{\n    bucket = \"{BUCKET}\"\n    key    = \"{KEY}\"\n    region = \"us-east-1\"\n  }}\n}}\n"
        ),
    )
    .expect("backend");
    let terrane = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_terrane"))
            .args(args)
            .current_dir(dir.path())
            .envs(emulator.env())
            .env("NO_COLOR", "1")
            .output()
            .expect("terrane");
        Run::from(output)
    };
    let built = terrane(&["apply", "stacks/production", "--auto-approve"]);
    assert_eq!(built.code, 0, "{}", built.log());

    // Damaged: a write that is not a state became the current version.
    s3.put_object()
        .bucket(BUCKET)
        .key(KEY)
        .body(b"{\"format_version\": 2, \"serial\"".to_vec().into())
        .send()
        .await
        .expect("damage");
    let damaged = terrane(&["plan", "stacks/production"]);
    assert_eq!(damaged.code, 1, "{}", damaged.log());
    let restored = run_block(
        "Restoring the state from an earlier version",
        dir.path(),
        &emulator,
    );
    assert_eq!(restored.code, 0, "{}", restored.log());
    assert!(restored.stdout.contains("No changes"), "{}", restored.log());

    // Lost: every version of the state object is gone.
    let versions = s3
        .list_object_versions()
        .bucket(BUCKET)
        .send()
        .await
        .expect("versions");
    let doomed = versions
        .versions()
        .iter()
        .map(|v| (v.key(), v.version_id()))
        .chain(
            versions
                .delete_markers()
                .iter()
                .map(|m| (m.key(), m.version_id())),
        );
    for (key, version) in doomed {
        s3.delete_object()
            .bucket(BUCKET)
            .key(key.unwrap_or_default())
            .set_version_id(version.map(String::from))
            .send()
            .await
            .expect("delete version");
    }
    let rebuilt = run_block("Rebuilding the state from AWS", dir.path(), &emulator);
    assert_eq!(rebuilt.code, 0, "{}", rebuilt.log());
    assert!(rebuilt.stdout.contains("0 not in AWS"), "{}", rebuilt.log());

    // The region is gone: the same files, another region, a fresh account.
    let elsewhere = Emulator::start();
    let moved = run_block(
        "Rebuilding the environment in another region",
        dir.path(),
        &elsewhere,
    );
    assert_eq!(moved.code, 0, "{}", moved.log());
    let vpc = vpc_tagged(&elsewhere.ec2_in("us-west-2"), "Name", "shop-dr-vpc").await;
    assert!(vpc.is_some(), "the VPC is in us-west-2: {}", moved.log());
    let home = vpc_tagged(&elsewhere.ec2(), "Name", "shop-dr-vpc").await;
    assert_eq!(home, None, "and not in us-east-1");
}
