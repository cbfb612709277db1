//! Import, through the real binary against the emulator: objects made with
//! direct AWS calls are brought under management by `import` blocks and by
//! `terrane import`, and the plan that follows shows no changes.

use crate::support::Emulator;
use crate::support::cli::{Workspace, terrane};

const STACK: &str = r#"
provider "aws" {
  region = "us-east-1"
}

variable "vpc_id" {
  type = string
}

variable "subnet_id" {
  type = string
}

variable "group_id" {
  type = string
}

import {
  to = aws_vpc.main
  id = var.vpc_id
}

import {
  to = aws_subnet.a
  id = var.subnet_id
}

import {
  to = aws_security_group.app
  id = var.group_id
}

resource "aws_vpc" "main" {
  cidr_block = "10.60.0.0/16"

  tags = {
    Name = "imported"
  }
}

resource "aws_subnet" "a" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.60.1.0/24"

  tags = {
    Name = "imported-a"
  }
}

resource "aws_security_group" "app" {
  name        = "imported-app"
  description = "app"
  vpc_id      = aws_vpc.main.id

  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["10.60.0.0/16"]
  }
}

resource "aws_s3_bucket" "app" {
  bucket = "imported-app-bucket"
}
"#;

fn tag(key: &str, value: &str) -> aws_sdk_ec2::types::Tag {
    aws_sdk_ec2::types::Tag::builder()
        .key(key)
        .value(value)
        .build()
}

fn tagged(
    kind: aws_sdk_ec2::types::ResourceType,
    name: &str,
) -> aws_sdk_ec2::types::TagSpecification {
    aws_sdk_ec2::types::TagSpecification::builder()
        .resource_type(kind)
        .tags(tag("Name", name))
        .build()
}

#[tokio::test(flavor = "multi_thread")]
async fn imported_objects_plan_no_changes() {
    use aws_sdk_ec2::types::ResourceType;
    let emulator = Emulator::start();
    let ec2 = emulator.ec2();
    let vpc_id = ec2
        .create_vpc()
        .cidr_block("10.60.0.0/16")
        .tag_specifications(tagged(ResourceType::Vpc, "imported"))
        .send()
        .await
        .expect("create vpc")
        .vpc()
        .and_then(|v| v.vpc_id())
        .expect("vpc id")
        .to_string();
    let subnet_id = ec2
        .create_subnet()
        .vpc_id(&vpc_id)
        .cidr_block("10.60.1.0/24")
        .tag_specifications(tagged(ResourceType::Subnet, "imported-a"))
        .send()
        .await
        .expect("create subnet")
        .subnet()
        .and_then(|s| s.subnet_id())
        .expect("subnet id")
        .to_string();
    let group_id = ec2
        .create_security_group()
        .group_name("imported-app")
        .description("app")
        .vpc_id(&vpc_id)
        .send()
        .await
        .expect("create group")
        .group_id()
        .expect("group id")
        .to_string();
    ec2.authorize_security_group_ingress()
        .group_id(&group_id)
        .ip_permissions(
            aws_sdk_ec2::types::IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(443)
                .to_port(443)
                .ip_ranges(
                    aws_sdk_ec2::types::IpRange::builder()
                        .cidr_ip("10.60.0.0/16")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("rule");
    emulator
        .s3()
        .create_bucket()
        .bucket("imported-app-bucket")
        .send()
        .await
        .expect("create bucket");

    let ws = Workspace::copy_of("tests/fixtures/valid/plan_contract");
    ws.write("main.tf", STACK);
    let vars = [
        format!("vpc_id={vpc_id}"),
        format!("subnet_id={subnet_id}"),
        format!("group_id={group_id}"),
    ];
    let with_vars = |extra: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        for var in &vars {
            args.extend(["--var".to_string(), var.clone()]);
        }
        args
    };

    // `terrane import` records one object in state at once.
    let mut args = vec![
        "import".to_string(),
        ws.stack.display().to_string(),
        "aws_s3_bucket.app".into(),
        "imported-app-bucket".into(),
        "--state".into(),
        ws.state.display().to_string(),
    ];
    args.extend(with_vars(&[]));
    let imported = terrane(&emulator, ws.root(), &args);
    assert_eq!(imported.code, 0, "{}", imported.log());
    assert!(
        imported.stdout.contains("Import successful"),
        "{}",
        imported.log()
    );
    let again = terrane(&emulator, ws.root(), &args);
    assert_eq!(again.code, 1, "{}", again.log());
    assert!(again.stderr.contains("already managed"), "{}", again.log());

    // Import blocks: the plan imports three objects and changes nothing.
    let args = with_vars(&["--detailed-exitcode"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let plan = ws.run(&emulator, "plan", &args);
    assert_eq!(plan.code, 2, "{}", plan.log());
    for address in ["aws_vpc.main", "aws_subnet.a", "aws_security_group.app"] {
        assert!(
            plan.stdout
                .contains(&format!("# {address} will be imported")),
            "{}",
            plan.log()
        );
    }
    assert!(
        plan.stdout
            .contains("Plan: 3 to import, 0 to add, 0 to change, 0 to destroy."),
        "{}",
        plan.log()
    );
    let apply_args = with_vars(&["--auto-approve"]);
    let apply_args: Vec<&str> = apply_args.iter().map(String::as_str).collect();
    let applied = ws.run(&emulator, "apply", &apply_args);
    assert_eq!(applied.code, 0, "{}", applied.log());
    let state = std::fs::read_to_string(&ws.state).expect("state");
    for id in [&vpc_id, &subnet_id, &group_id] {
        assert!(state.contains(id.as_str()), "{id} is not in state");
    }
    let clean = ws.run(&emulator, "plan", &args);
    assert_eq!(clean.code, 0, "{}", clean.log());
    assert!(clean.stdout.contains("No changes."), "{}", clean.log());

    // An import block without a resource block: --generate-config-out
    // writes one from the object, and the plan imports it unchanged.
    let generating = Workspace::copy_of("tests/fixtures/valid/plan_contract");
    generating.write(
        "main.tf",
        &format!(
            "provider \"aws\" {{\n  region = \"us-east-1\"\n}}\n\nimport {{\n  to = aws_vpc.main\n  id = \"{vpc_id}\"\n}}\n"
        ),
    );
    let without_block = generating.run(&emulator, "plan", &[]);
    assert_eq!(without_block.code, 1, "{}", without_block.log());
    assert!(
        without_block.stderr.contains("has no resource block"),
        "{}",
        without_block.log()
    );
    let generated_path = generating.stack.join("generated.tf");
    let generated_arg = generated_path.display().to_string();
    let plan = generating.run(
        &emulator,
        "plan",
        &["--generate-config-out", &generated_arg],
    );
    assert_eq!(plan.code, 0, "{}", plan.log());
    let generated = std::fs::read_to_string(&generated_path).expect("generated.tf");
    assert!(
        generated.contains("resource \"aws_vpc\" \"main\" {")
            && generated.contains("cidr_block")
            && generated.contains("\"10.60.0.0/16\""),
        "{generated}"
    );
    assert!(
        plan.stdout
            .contains("Plan: 1 to import, 0 to add, 0 to change, 0 to destroy."),
        "{}\n{generated}",
        plan.log()
    );
    let twice = generating.run(
        &emulator,
        "plan",
        &["--generate-config-out", &generated_arg],
    );
    assert_eq!(twice.code, 1, "{}", twice.log());
    assert!(twice.stderr.contains("already exists"), "{}", twice.log());

    // An import of an id AWS does not have names the address and the id.
    let mut bad = vars.clone();
    bad[0] = "vpc_id=vpc-0000000000".into();
    let mut args = vec!["--detailed-exitcode".to_string()];
    for var in &bad {
        args.extend(["--var".to_string(), var.clone()]);
    }
    let fresh = Workspace::copy_of("tests/fixtures/valid/plan_contract");
    fresh.write("main.tf", STACK);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let missing = fresh.run(&emulator, "plan", &args);
    assert_eq!(missing.code, 1, "{}", missing.log());
    assert!(
        missing.stderr.contains("Cannot import aws_vpc.main")
            && missing.stderr.contains("vpc-0000000000"),
        "{}",
        missing.log()
    );
}
