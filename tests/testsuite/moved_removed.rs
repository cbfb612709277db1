//! `moved` and `removed` blocks through the real binary: resources move
//! into a module without being replaced, and a resource leaves terrane's
//! care without being destroyed — checked with Describe calls.

use crate::support::Emulator;
use crate::support::checks::vpc_tagged;
use crate::support::cli::Workspace;

const REFACTORED: &str = r#"
provider "aws" {
  region = "us-east-1"
}

module "net" {
  source = "./modules/net"
}

moved {
  from = aws_vpc.main
  to   = module.net.aws_vpc.this
}

moved {
  from = aws_subnet.a
  to   = module.net.aws_subnet.a
}

removed {
  from = aws_vpc.legacy

  lifecycle {
    destroy = false
  }
}
"#;

const MODULE: &str = r#"
resource "aws_vpc" "this" {
  cidr_block = "10.5.0.0/16"
  tags = {
    Name = "moved-main"
  }
}

resource "aws_subnet" "a" {
  vpc_id     = aws_vpc.this.id
  cidr_block = "10.5.1.0/24"
}
"#;

fn addresses(ws: &Workspace) -> Vec<String> {
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&ws.state).expect("state")).expect("json");
    state["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .map(|r| r["address"].as_str().expect("address").to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn moved_blocks_rename_and_removed_blocks_forget_without_touching_aws() {
    let emulator = Emulator::start();
    let ec2 = emulator.ec2();
    let ws = Workspace::copy_of("tests/fixtures/valid/moved_and_removed");
    let run = ws.run(&emulator, "apply", &["--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.log());
    let main_vpc = vpc_tagged(&ec2, "Name", "moved-main")
        .await
        .expect("main VPC");
    let legacy_vpc = vpc_tagged(&ec2, "Name", "moved-legacy")
        .await
        .expect("legacy VPC");

    ws.write("main.tf", REFACTORED);
    std::fs::create_dir_all(ws.stack.join("modules/net")).expect("module dir");
    ws.write("modules/net/main.tf", MODULE);

    let run = ws.run(&emulator, "plan", &["--detailed-exitcode"]);
    assert_eq!(run.code, 2, "{}", run.log());
    for line in [
        "# aws_vpc.main has moved to module.net.aws_vpc.this",
        "# aws_subnet.a has moved to module.net.aws_subnet.a",
        "# aws_vpc.legacy will no longer be managed by terrane",
        "Plan: 0 to add, 0 to change, 0 to destroy.",
    ] {
        assert!(run.stdout.contains(line), "{line:?}:\n{}", run.log());
    }

    let run = ws.run(&emulator, "apply", &["--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(
        addresses(&ws),
        ["module.net.aws_subnet.a", "module.net.aws_vpc.this"]
    );
    // The same objects, not replacements; the forgotten VPC is still there.
    assert_eq!(
        vpc_tagged(&ec2, "Name", "moved-main").await.as_deref(),
        Some(main_vpc.as_str())
    );
    assert_eq!(
        vpc_tagged(&ec2, "Name", "moved-legacy").await.as_deref(),
        Some(legacy_vpc.as_str())
    );

    // The moves are recorded: the blocks stay, with nothing left to do.
    let run = ws.run(&emulator, "plan", &["--detailed-exitcode"]);
    assert_eq!(run.code, 0, "{}", run.log());

    let run = ws.run(&emulator, "destroy", &["--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(vpc_tagged(&ec2, "Name", "moved-main").await, None);
    assert_eq!(
        vpc_tagged(&ec2, "Name", "moved-legacy").await.as_deref(),
        Some(legacy_vpc.as_str()),
        "destroy leaves what terrane no longer manages"
    );
}
