//! Network ACLs, inline and as standalone rules, through the real binary
//! against the emulator: made, changed in place or replaced as Terraform
//! does, read back clean, imported by Terraform's ids and destroyed, each
//! step checked with EC2's own answers.

use aws_sdk_ec2::types::{Filter, NetworkAcl};

use crate::support::Emulator;
use crate::support::cli::Workspace;

const STACK: &str = r#"
provider "aws" {
  region = "us-east-1"
}

resource "aws_vpc" "main" {
  cidr_block = "10.60.0.0/16"
}

resource "aws_subnet" "a" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.60.1.0/24"
  availability_zone = "us-east-1a"
}

resource "aws_subnet" "b" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.60.2.0/24"
  availability_zone = "us-east-1b"
}

resource "aws_network_acl" "private" {
  vpc_id     = aws_vpc.main.id
  subnet_ids = [aws_subnet.a.id]

  ingress {
    rule_no    = 100
    action     = "allow"
    protocol   = "tcp"
    from_port  = 443
    to_port    = 443
    cidr_block = "10.0.0.0/8"
  }

  egress {
    rule_no    = 100
    action     = "allow"
    protocol   = "-1"
    from_port  = 0
    to_port    = 0
    cidr_block = "0.0.0.0/0"
  }

  tags = {
    Name = "private"
  }
}

resource "aws_network_acl" "open" {
  vpc_id = aws_vpc.main.id
}

resource "aws_network_acl_rule" "ssh" {
  network_acl_id = aws_network_acl.open.id
  rule_number    = 200
  protocol       = "tcp"
  rule_action    = "deny"
  cidr_block     = "0.0.0.0/0"
  from_port      = 22
  to_port        = 22
}
"#;

async fn acl(ec2: &aws_sdk_ec2::Client, id: &str) -> NetworkAcl {
    let out = ec2
        .describe_network_acls()
        .network_acl_ids(id)
        .send()
        .await
        .expect("describe network ACL");
    out.network_acls()[0].clone()
}

/// The ACL that guards a subnet.
async fn acl_of_subnet(ec2: &aws_sdk_ec2::Client, subnet: &str) -> String {
    let out = ec2
        .describe_network_acls()
        .filters(
            Filter::builder()
                .name("association.subnet-id")
                .values(subnet)
                .build(),
        )
        .send()
        .await
        .expect("describe network ACLs");
    let acls = out.network_acls();
    assert_eq!(acls.len(), 1, "one ACL guards {subnet}: {acls:?}");
    acls[0].network_acl_id().expect("id").to_string()
}

/// (rule number, egress, protocol, from port, action) of each configurable entry.
fn entries(acl: &NetworkAcl) -> Vec<(i32, bool, String, i32, String)> {
    let mut entries: Vec<_> = acl
        .entries()
        .iter()
        .filter(|e| e.rule_number() != Some(32767))
        .map(|e| {
            (
                e.rule_number().unwrap_or_default(),
                e.egress().unwrap_or_default(),
                e.protocol().unwrap_or_default().to_string(),
                e.port_range().and_then(|p| p.from()).unwrap_or_default(),
                e.rule_action()
                    .map(|a| a.as_str().to_string())
                    .unwrap_or_default(),
            )
        })
        .collect();
    entries.sort();
    entries
}

#[tokio::test(flavor = "multi_thread")]
async fn network_acls_and_rules_round_trip() {
    let emulator = Emulator::start();
    let ec2 = emulator.ec2();
    let ws = Workspace::copy_of("tests/fixtures/ci/stack");
    ws.write("main.tf", STACK);
    ws.apply_ok(&emulator);

    let private = ws.state_attribute("aws_network_acl.private", "id");
    let open = ws.state_attribute("aws_network_acl.open", "id");
    let subnet_a = ws.state_attribute("aws_subnet.a", "id");
    let subnet_b = ws.state_attribute("aws_subnet.b", "id");
    let made = acl(&ec2, &private).await;
    assert_eq!(
        entries(&made),
        [
            (100, false, "6".to_string(), 443, "allow".to_string()),
            (100, true, "-1".to_string(), 0, "allow".to_string()),
        ],
        "protocols are sent as numbers, as Terraform sends them"
    );
    assert!(made.tags().iter().any(|t| t.value() == Some("private")));
    assert_eq!(acl_of_subnet(&ec2, &subnet_a).await, private);
    assert_eq!(
        entries(&acl(&ec2, &open).await),
        [(200, false, "6".to_string(), 22, "deny".to_string())]
    );
    ws.assert_plan_clean(&emulator, "read back as written");

    // Entries and subnets change in place; a standalone rule is replaced.
    ws.edit(
        "main.tf",
        "from_port  = 443\n    to_port    = 443",
        "from_port  = 8443\n    to_port    = 8443",
    );
    ws.edit(
        "main.tf",
        "subnet_ids = [aws_subnet.a.id]",
        "subnet_ids = [aws_subnet.b.id]",
    );
    ws.edit("main.tf", "rule_number    = 200", "rule_number    = 210");
    let plan = ws.run(&emulator, "plan", &["--no-color"]);
    assert!(
        plan.stdout.contains("1 to add, 1 to change, 1 to destroy")
            && plan
                .stdout
                .contains("aws_network_acl_rule.ssh must be replaced"),
        "{}",
        plan.log()
    );
    ws.apply_ok(&emulator);
    let changed = acl(&ec2, &private).await;
    assert_eq!(entries(&changed)[0].3, 8443);
    assert_eq!(acl_of_subnet(&ec2, &subnet_b).await, private);
    let default = acl_of_subnet(&ec2, &subnet_a).await;
    assert!(
        acl(&ec2, &default).await.is_default() == Some(true),
        "a subnet taken off the ACL goes back to the VPC's default ACL"
    );
    assert_eq!(
        entries(&acl(&ec2, &open).await),
        [(210, false, "6".to_string(), 22, "deny".to_string())]
    );
    ws.assert_plan_clean(&emulator, "changed as planned");

    for (address, id) in [
        ("aws_network_acl.private", private.clone()),
        ("aws_network_acl_rule.ssh", format!("{open}:210:tcp:false")),
    ] {
        ws.forget_and_import(&emulator, address, &id);
    }
    ws.assert_plan_clean(&emulator, "imported by Terraform's ids");

    ws.destroy_ok(&emulator);
    let left = ec2
        .describe_network_acls()
        .filters(
            Filter::builder()
                .name("vpc-id")
                .values(made.vpc_id().unwrap_or_default())
                .build(),
        )
        .send()
        .await
        .expect("describe");
    // The emulator keeps a deleted VPC's default ACL; AWS deletes it too.
    let made_here: Vec<_> = left
        .network_acls()
        .iter()
        .filter(|a| a.is_default() != Some(true))
        .collect();
    assert!(made_here.is_empty(), "{made_here:?}");
}
