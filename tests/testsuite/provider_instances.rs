//! `aws_instance` through the real binary against the emulator: launched
//! with a key, an instance profile, user data, a sized root volume with
//! tags and IMDSv2; changed in place as Terraform changes it (type and
//! user data with a stop and a start, groups, protection, metadata, the
//! root volume, tags); read back clean, imported by its id, and destroyed
//! with termination protection on; an Elastic IP associated with it
//! (`aws_eip_association`), and another by its own `instance`, the same
//! way. Every step is checked with EC2's own answers.

use base64::Engine as _;

use crate::support::Emulator;
use crate::support::cli::Workspace;

const STACK: &str = r##"
provider "aws" {
  region = "us-east-1"
}

resource "aws_vpc" "main" {
  cidr_block = "10.80.0.0/16"
}

resource "aws_subnet" "app" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.80.1.0/24"
  availability_zone = "us-east-1a"
}

resource "aws_security_group" "a" {
  name   = "a"
  vpc_id = aws_vpc.main.id
}

resource "aws_security_group" "b" {
  name   = "b"
  vpc_id = aws_vpc.main.id
}

resource "aws_key_pair" "ops" {
  key_name   = "ops"
  public_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPhu3gnqroOL79Vt6RW0somrpFDEfKKcN4J4O3K7CXlJ ops@example"
}

resource "aws_iam_role" "web" {
  name = "web"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_instance_profile" "web" {
  name = "web"
  role = aws_iam_role.web.name
}

resource "aws_instance" "web" {
  ami                    = "ami-12c6146b"
  instance_type          = "t3.micro"
  subnet_id              = aws_subnet.app.id
  vpc_security_group_ids = [aws_security_group.a.id]
  key_name               = aws_key_pair.ops.key_name
  iam_instance_profile   = aws_iam_instance_profile.web.name
  user_data              = "#!/bin/sh\necho one\n"

  root_block_device {
    volume_size = 10
  }

  metadata_options {
    http_tokens = "required"
  }

  volume_tags = {
    Backup = "daily"
  }

  tags = {
    Name = "web"
  }
}

resource "aws_eip" "web" {
  domain = "vpc"
}

resource "aws_eip" "direct" {
  domain   = "vpc"
  instance = aws_instance.web.id
}

resource "aws_eip_association" "web" {
  instance_id   = aws_instance.web.id
  allocation_id = aws_eip.web.id
}
"##;

struct Seen {
    state: String,
    instance_type: String,
    groups: Vec<String>,
    key: String,
    profile: String,
    tokens: String,
    user_data: String,
    root_size: i32,
    root_tags: Vec<(String, String)>,
    termination_protected: bool,
}

async fn seen(emulator: &Emulator, id: &str) -> Seen {
    let ec2 = emulator.ec2();
    let described = ec2
        .describe_instances()
        .instance_ids(id)
        .send()
        .await
        .expect("instances");
    let instance = described
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .next()
        .expect("the instance")
        .clone();
    let attribute = |name: aws_sdk_ec2::types::InstanceAttributeName| {
        ec2.describe_instance_attribute()
            .instance_id(id)
            .attribute(name)
            .send()
    };
    let user_data = attribute(aws_sdk_ec2::types::InstanceAttributeName::UserData)
        .await
        .expect("user data");
    let user_data = user_data
        .user_data()
        .and_then(|v| v.value())
        .map(|v| {
            String::from_utf8(
                base64::engine::general_purpose::STANDARD
                    .decode(v)
                    .expect("base64"),
            )
            .expect("text")
        })
        .unwrap_or_default();
    let protected = attribute(aws_sdk_ec2::types::InstanceAttributeName::DisableApiTermination)
        .await
        .expect("termination protection");
    let root = instance
        .block_device_mappings()
        .iter()
        .find(|m| m.device_name() == instance.root_device_name())
        .and_then(|m| m.ebs())
        .and_then(|e| e.volume_id())
        .expect("a root volume")
        .to_string();
    let volumes = ec2
        .describe_volumes()
        .volume_ids(&root)
        .send()
        .await
        .expect("volumes");
    let volume = volumes.volumes().first().expect("the root volume");
    let mut groups: Vec<String> = instance
        .security_groups()
        .iter()
        .filter_map(|g| g.group_id().map(str::to_string))
        .collect();
    groups.sort();
    let mut root_tags: Vec<(String, String)> = volume
        .tags()
        .iter()
        .filter(|t| !t.key().unwrap_or_default().starts_with("terrane:"))
        .map(|t| {
            (
                t.key().unwrap_or_default().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect();
    root_tags.sort();
    Seen {
        state: instance
            .state()
            .and_then(|s| s.name())
            .map(|n| n.as_str().to_string())
            .unwrap_or_default(),
        instance_type: instance
            .instance_type()
            .map(|t| t.as_str().to_string())
            .unwrap_or_default(),
        groups,
        key: instance.key_name().unwrap_or_default().to_string(),
        profile: instance
            .iam_instance_profile()
            .and_then(|p| p.arn())
            .unwrap_or_default()
            .to_string(),
        tokens: instance
            .metadata_options()
            .and_then(|m| m.http_tokens())
            .map(|t| t.as_str().to_string())
            .unwrap_or_default(),
        user_data,
        root_size: volume.size().unwrap_or_default(),
        root_tags,
        termination_protected: protected
            .disable_api_termination()
            .and_then(|v| v.value())
            .unwrap_or(false),
    }
}

/// The instance an address association ties its address to.
async fn associated_instance(emulator: &Emulator, association: &str) -> Option<String> {
    let addresses = emulator
        .ec2()
        .describe_addresses()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("association-id")
                .values(association)
                .build(),
        )
        .send()
        .await
        .expect("addresses");
    addresses
        .addresses()
        .first()
        .and_then(|a| a.instance_id())
        .map(str::to_string)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_instance_is_launched_changed_in_place_imported_and_terminated() {
    let emulator = Emulator::start();
    let ws = Workspace::with_main(STACK);
    ws.apply_ok(&emulator);
    let id = ws.state_attribute("aws_instance.web", "id");
    let a = ws.state_attribute("aws_security_group.a", "id");
    let b = ws.state_attribute("aws_security_group.b", "id");

    let launched = seen(&emulator, &id).await;
    assert_eq!(launched.state, "running");
    assert_eq!(launched.instance_type, "t3.micro");
    assert_eq!(launched.groups, vec![a]);
    assert_eq!(launched.key, "ops");
    assert!(launched.profile.ends_with("/web"), "{}", launched.profile);
    assert_eq!(launched.tokens, "required");
    assert_eq!(launched.user_data, "#!/bin/sh\necho one\n");
    assert_eq!(launched.root_size, 10);
    assert_eq!(
        launched.root_tags,
        [("Backup".to_string(), "daily".to_string())]
    );
    let association = ws.state_attribute("aws_eip_association.web", "id");
    assert!(association.starts_with("eipassoc-"), "{association}");
    assert_eq!(
        associated_instance(&emulator, &association)
            .await
            .as_deref(),
        Some(id.as_str())
    );
    // An address given its instance directly is associated with it too.
    let direct = ws.state_attribute("aws_eip.direct", "association_id");
    assert_eq!(
        associated_instance(&emulator, &direct).await.as_deref(),
        Some(id.as_str())
    );
    ws.assert_plan_clean(&emulator, "read back as planned");

    // All of these change the instance in place, as in Terraform.
    ws.edit("main.tf", "\"t3.micro\"", "\"t3.small\"");
    ws.edit(
        "main.tf",
        "[aws_security_group.a.id]",
        "[aws_security_group.b.id]",
    );
    ws.edit("main.tf", "echo one", "echo two");
    ws.edit("main.tf", "volume_size = 10", "volume_size = 20");
    ws.edit(
        "main.tf",
        "http_tokens = \"required\"",
        "http_tokens = \"optional\"",
    );
    ws.edit("main.tf", "Name = \"web\"", "Name = \"web-2\"");
    ws.edit(
        "main.tf",
        "  user_data ",
        "  disable_api_termination = true\n  user_data ",
    );
    let apply = ws.apply_ok(&emulator);
    assert!(
        apply.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        apply.stdout
    );
    assert_eq!(
        ws.state_attribute("aws_instance.web", "id"),
        id,
        "the same instance"
    );
    let changed = seen(&emulator, &id).await;
    assert_eq!(changed.state, "running", "started again after the stop");
    assert_eq!(changed.instance_type, "t3.small");
    assert_eq!(changed.groups, [b]);
    assert_eq!(changed.user_data, "#!/bin/sh\necho two\n");
    assert_eq!(changed.root_size, 20);
    assert_eq!(changed.tokens, "optional");
    assert!(changed.termination_protected);
    ws.assert_plan_clean(&emulator, "nothing left to do");

    // Forgotten, then imported by its id: nothing to change.
    ws.forget_and_import(&emulator, "aws_instance.web", &id);
    ws.forget_and_import(&emulator, "aws_eip_association.web", &association);
    ws.assert_plan_clean(&emulator, "imported as configured");

    // Termination protection is lifted to destroy, as the provider does.
    let destroy = ws.run(&emulator, "destroy", &["--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.log());
    let described = emulator
        .ec2()
        .describe_instances()
        .instance_ids(&id)
        .send()
        .await
        .expect("instances");
    let state = described
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .find_map(|i| i.state().and_then(|s| s.name()).cloned());
    assert_eq!(
        state,
        Some(aws_sdk_ec2::types::InstanceStateName::Terminated)
    );
    assert_eq!(associated_instance(&emulator, &association).await, None);
}
