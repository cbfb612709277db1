//! Workspaces through the real binary, with the S3 backend: each
//! workspace's state at Terraform's key (`env:/<workspace>/<key>`),
//! `terraform.workspace` in the configuration, and the guards on delete.

use crate::state_s3::{S3Stack, object_text};
use crate::support::Emulator;
use crate::support::checks::vpc_tagged;

const STACK: &str = r#"
terraform {
  backend "s3" {
    bucket = "terrane-state"
    key    = "app/terrane.json"
    region = "us-east-1"
  }
}

provider "aws" {
  region = "us-east-1"
}

resource "aws_vpc" "main" {
  cidr_block = terraform.workspace == "default" ? "10.30.0.0/16" : "10.31.0.0/16"
  tags = {
    Name = "ws-${terraform.workspace}"
  }
}
"#;

const DEFAULT_KEY: &str = "app/terrane.json";
const STAGING_KEY: &str = "env:/staging/app/terrane.json";

fn resource_count(text: &str) -> usize {
    let state: serde_json::Value = serde_json::from_str(text).expect("state JSON");
    state["resources"].as_array().map_or(0, Vec::len)
}

#[tokio::test(flavor = "multi_thread")]
async fn workspaces_keep_separate_states_at_terraforms_keys() {
    let emulator = Emulator::start();
    let (s3, ec2) = (emulator.s3(), emulator.ec2());
    let stack = S3Stack::new(STACK);
    stack.init_bucket(&emulator);

    let run = stack.run(&emulator, &["apply"], &["--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(vpc_tagged(&ec2, "Name", "ws-default").await.is_some());

    let run = stack.run(&emulator, &["workspace", "new"], &["staging"]);
    assert_eq!(run.code, 0, "{}", run.log());
    let empty = object_text(&s3, STAGING_KEY, None)
        .await
        .expect("the new workspace's state is at env:/staging/<key>");
    assert_eq!(resource_count(&empty), 0);

    let run = stack.run(&emulator, &["workspace", "show"], &[]);
    assert_eq!(run.stdout.trim(), "staging", "{}", run.log());
    let run = stack.run(&emulator, &["workspace", "list"], &[]);
    assert_eq!(run.stdout, "  default\n* staging\n", "{}", run.log());

    // The selected workspace's own state, and terraform.workspace.
    let run = stack.run(&emulator, &["apply"], &["--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(
        run.stdout.contains("1 added"),
        "staging starts empty:\n{}",
        run.log()
    );
    assert!(vpc_tagged(&ec2, "Name", "ws-staging").await.is_some());
    let staging = object_text(&s3, STAGING_KEY, None)
        .await
        .expect("staging state");
    let default = object_text(&s3, DEFAULT_KEY, None)
        .await
        .expect("default state");
    assert_eq!((resource_count(&staging), resource_count(&default)), (1, 1));

    // Deleting is refused for the selected workspace and for one that
    // still manages objects.
    let run = stack.run(&emulator, &["workspace", "delete"], &["staging"]);
    assert_eq!(run.code, 1, "{}", run.log());
    assert!(run.stderr.contains("is selected"), "{}", run.log());
    let run = stack.run(&emulator, &["workspace", "select"], &["default"]);
    assert_eq!(run.code, 0, "{}", run.log());
    let run = stack.run(&emulator, &["workspace", "delete"], &["staging"]);
    assert_eq!(run.code, 1, "{}", run.log());
    assert!(
        run.stderr.contains("still manages 1 object(s)"),
        "{}",
        run.log()
    );

    // Emptied, it goes; the default workspace is untouched.
    let run = stack.run(&emulator, &["workspace", "select"], &["staging"]);
    assert_eq!(run.code, 0, "{}", run.log());
    let run = stack.run(&emulator, &["destroy"], &["--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(vpc_tagged(&ec2, "Name", "ws-staging").await, None);
    let run = stack.run(&emulator, &["workspace", "select"], &["default"]);
    assert_eq!(run.code, 0, "{}", run.log());
    let run = stack.run(&emulator, &["workspace", "delete"], &["staging"]);
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(object_text(&s3, STAGING_KEY, None).await, None);
    let run = stack.run(&emulator, &["workspace", "list"], &[]);
    assert_eq!(run.stdout, "* default\n", "{}", run.log());
    let run = stack.run(&emulator, &["plan"], &["--detailed-exitcode"]);
    assert_eq!(
        run.code,
        0,
        "the default workspace still matches:\n{}",
        run.log()
    );
    assert!(vpc_tagged(&ec2, "Name", "ws-default").await.is_some());

    // Selecting a workspace that does not exist is an error, not a new one.
    let run = stack.run(&emulator, &["workspace", "select"], &["prod"]);
    assert_eq!(run.code, 1, "{}", run.log());
    assert!(
        run.stderr.contains("Workspace \"prod\" does not exist"),
        "{}",
        run.log()
    );
}
