//! Security group rules through the real binary against the emulator: the
//! standalone `aws_security_group_rule` (several sources, a source group),
//! the one-source `aws_vpc_security_group_ingress_rule` and
//! `..._egress_rule`, and inline rules written as an argument
//! (`ingress = [...]`, then `ingress = []`). Each is made, changed in place
//! or replaced as Terraform does, read back clean, imported by Terraform's
//! import id and destroyed, every step checked with EC2's own answers.

use crate::support::Emulator;
use crate::support::cli::Workspace;

const STACK: &str = r#"
provider "aws" {
  region = "us-east-1"
}

resource "aws_vpc" "main" {
  cidr_block = "10.50.0.0/16"
}

# No inline rules: the rule resources below own this group's rules.
resource "aws_security_group" "web" {
  name   = "web"
  vpc_id = aws_vpc.main.id
}

resource "aws_security_group" "db" {
  name   = "db"
  vpc_id = aws_vpc.main.id
  egress = []
}

resource "aws_security_group" "legacy" {
  name   = "legacy"
  vpc_id = aws_vpc.main.id
  ingress = [{
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }]
}

resource "aws_security_group_rule" "https" {
  type              = "ingress"
  security_group_id = aws_security_group.web.id
  from_port         = 443
  to_port           = 443
  protocol          = "tcp"
  cidr_blocks       = ["10.0.0.0/8", "192.168.0.0/16"]
  description       = "https"
}

# The group allows itself, by its own id rather than `self = true`.
resource "aws_security_group_rule" "web_from_itself" {
  type                     = "ingress"
  security_group_id        = aws_security_group.web.id
  from_port                = 8080
  to_port                  = 8080
  protocol                 = "tcp"
  source_security_group_id = aws_security_group.web.id
}

resource "aws_security_group_rule" "db_from_web" {
  type                     = "ingress"
  security_group_id        = aws_security_group.db.id
  from_port                = 5432
  to_port                  = 5432
  protocol                 = "6"
  source_security_group_id = aws_security_group.web.id
}

resource "aws_vpc_security_group_ingress_rule" "ssh" {
  security_group_id = aws_security_group.web.id
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22
  cidr_ipv4         = "10.1.0.0/16"
  tags = {
    Name = "ssh"
  }
}

resource "aws_vpc_security_group_egress_rule" "all" {
  security_group_id = aws_security_group.web.id
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}
"#;

/// A group's rules of one direction as EC2 describes them: (protocol,
/// from, to, source, description), sorted.
async fn rules(
    emulator: &Emulator,
    group: &str,
    egress: bool,
) -> Vec<(String, i32, i32, String, String)> {
    let described = emulator
        .ec2()
        .describe_security_group_rules()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("group-id")
                .values(group)
                .build(),
        )
        .send()
        .await
        .expect("rules");
    let mut out: Vec<_> = described
        .security_group_rules()
        .iter()
        .filter(|r| r.is_egress() == Some(egress))
        .map(|r| {
            let source = r
                .cidr_ipv4()
                .map(str::to_string)
                .or_else(|| {
                    r.referenced_group_info()
                        .and_then(|g| g.group_id())
                        .map(str::to_string)
                })
                .unwrap_or_default();
            (
                r.ip_protocol().unwrap_or_default().to_string(),
                r.from_port().unwrap_or(-1),
                r.to_port().unwrap_or(-1),
                source,
                r.description().unwrap_or_default().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn rule(
    protocol: &str,
    from: i32,
    to: i32,
    source: &str,
    description: &str,
) -> (String, i32, i32, String, String) {
    (protocol.into(), from, to, source.into(), description.into())
}

#[tokio::test(flavor = "multi_thread")]
async fn security_group_rules_of_every_kind_round_trip() {
    let emulator = Emulator::start();
    let ws = Workspace::with_main(STACK);
    ws.apply_ok(&emulator);

    let web = ws.state_attribute("aws_security_group.web", "id");
    let db = ws.state_attribute("aws_security_group.db", "id");
    let legacy = ws.state_attribute("aws_security_group.legacy", "id");
    let https = ws.state_attribute("aws_security_group_rule.https", "id");
    let ssh = ws.state_attribute("aws_vpc_security_group_ingress_rule.ssh", "id");
    assert_eq!(
        https,
        format!("{web}_ingress_tcp_443_443_10.0.0.0/8_192.168.0.0/16"),
        "the id is Terraform's import id"
    );
    assert!(ssh.starts_with("sgr-"), "{ssh}");
    assert_eq!(
        rules(&emulator, &web, false).await,
        [
            rule("tcp", 22, 22, "10.1.0.0/16", ""),
            rule("tcp", 443, 443, "10.0.0.0/8", "https"),
            rule("tcp", 443, 443, "192.168.0.0/16", "https"),
            rule("tcp", 8080, 8080, &web, ""),
        ]
    );
    assert_eq!(
        rules(&emulator, &web, true).await,
        [rule("-1", -1, -1, "0.0.0.0/0", "")],
        "the default egress rule was revoked; the rule resource made its own"
    );
    assert_eq!(
        rules(&emulator, &db, false).await,
        [rule("tcp", 5432, 5432, &web, "")]
    );
    assert_eq!(
        rules(&emulator, &db, true).await,
        [],
        "egress = [] keeps none"
    );
    assert_eq!(
        rules(&emulator, &legacy, false).await,
        [rule("tcp", 80, 80, "0.0.0.0/0", "")]
    );
    ws.assert_plan_clean(&emulator, "groups and rule resources agree");

    // A description changes in place; a port makes a new rule; a one-source
    // rule changes in place, source, tags and all; `ingress = []` removes
    // the inline rules.
    ws.edit(
        "main.tf",
        "description       = \"https\"",
        "description       = \"tls\"",
    );
    ws.edit(
        "main.tf",
        "  from_port                = 5432\n  to_port                  = 5432",
        "  from_port                = 6432\n  to_port                  = 6432",
    );
    ws.edit(
        "main.tf",
        "cidr_ipv4         = \"10.1.0.0/16\"",
        "cidr_ipv4         = \"10.2.0.0/16\"\n  description       = \"bastion\"",
    );
    ws.edit("main.tf", "Name = \"ssh\"", "Name = \"bastion\"");
    let inline = "  ingress = [{\n    from_port   = 80\n    to_port     = 80\n    protocol    = \"tcp\"\n    cidr_blocks = [\"0.0.0.0/0\"]\n  }]";
    ws.edit("main.tf", inline, "  ingress = []");
    let apply = ws.apply_ok(&emulator);
    assert!(
        apply.stdout.contains("1 added, 3 changed, 1 destroyed"),
        "{}",
        apply.stdout
    );
    assert_eq!(
        ws.state_attribute("aws_vpc_security_group_ingress_rule.ssh", "id"),
        ssh,
        "changed in place"
    );
    assert_eq!(
        rules(&emulator, &web, false).await,
        [
            rule("tcp", 22, 22, "10.2.0.0/16", "bastion"),
            rule("tcp", 443, 443, "10.0.0.0/8", "tls"),
            rule("tcp", 443, 443, "192.168.0.0/16", "tls"),
            rule("tcp", 8080, 8080, &web, ""),
        ]
    );
    assert_eq!(
        rules(&emulator, &db, false).await,
        [rule("tcp", 6432, 6432, &web, "")]
    );
    assert_eq!(rules(&emulator, &legacy, false).await, []);
    let tags = emulator
        .ec2()
        .describe_tags()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("resource-id")
                .values(&ssh)
                .build(),
        )
        .send()
        .await
        .expect("tags");
    assert!(
        tags.tags()
            .iter()
            .any(|t| t.key() == Some("Name") && t.value() == Some("bastion")),
        "{tags:?}"
    );
    ws.assert_plan_clean(&emulator, "nothing left to do");

    // A rule made by hand behind the rule resources' back is drift the
    // group keeps (its rules are not written inline); a revoked rule is
    // made again.
    emulator
        .ec2()
        .revoke_security_group_ingress()
        .group_id(&db)
        .ip_permissions(
            aws_sdk_ec2::types::IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(6432)
                .to_port(6432)
                .user_id_group_pairs(
                    aws_sdk_ec2::types::UserIdGroupPair::builder()
                        .group_id(&web)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("revoke");
    let drift = ws.run(&emulator, "plan", &["--detailed-exitcode"]);
    assert_eq!(drift.code, 2, "{}", drift.log());
    assert!(
        drift
            .stdout
            .contains("aws_security_group_rule.db_from_web will be created"),
        "{}",
        drift.stdout
    );
    ws.apply_ok(&emulator);

    // Forgotten, then imported by Terraform's import ids: nothing to change.
    let https = ws.state_attribute("aws_security_group_rule.https", "id");
    ws.forget_and_import(&emulator, "aws_security_group_rule.https", &https);
    ws.forget_and_import(&emulator, "aws_vpc_security_group_ingress_rule.ssh", &ssh);
    ws.assert_plan_clean(&emulator, "imported as configured");

    let destroy = ws.run(&emulator, "destroy", &["--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.log());
    let left = emulator
        .ec2()
        .describe_security_groups()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("group-id")
                .values(&web)
                .values(&db)
                .build(),
        )
        .send()
        .await
        .expect("groups");
    assert!(left.security_groups().is_empty(), "{left:?}");
}
