//! Key pairs and attachments through the real binary against the
//! emulator: `aws_key_pair`, a target registered with a target group
//! (`aws_lb_target_group_attachment`) and a target group attached to an
//! Auto Scaling group (`aws_autoscaling_attachment`). Each is made, changed
//! in place or replaced as Terraform does, read back clean, imported by its
//! id and destroyed, every step checked with AWS's own answers.

use crate::support::Emulator;
use crate::support::cli::Workspace;

/// A real ed25519 public key (made with ssh-keygen for this test), with
/// its comment.
const PUBLIC_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPhu3gnqroOL79Vt6RW0somrpFDEfKKcN4J4O3K7CXlJ ops@example";
const OTHER_PUBLIC_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDXqA6NBtv2YAnH5TLM6LCdEGtVMudTuQCKZfwjRh+hq";

#[tokio::test(flavor = "multi_thread")]
async fn a_key_pair_is_imported_retagged_and_replaced() {
    let emulator = Emulator::start();
    let ws = Workspace::with_main(&format!(
        r#"
provider "aws" {{
  region = "us-east-1"
}}

resource "aws_key_pair" "ops" {{
  key_name_prefix = "ops-"
  public_key      = "{PUBLIC_KEY}"
  tags = {{
    Team = "ops"
  }}
}}

output "fingerprint" {{
  value = aws_key_pair.ops.fingerprint
}}
"#
    ));
    ws.apply_ok(&emulator);
    let name = ws.state_attribute("aws_key_pair.ops", "id");
    assert!(name.starts_with("ops-"), "{name}");
    let described = emulator
        .ec2()
        .describe_key_pairs()
        .key_names(&name)
        .include_public_key(true)
        .send()
        .await
        .expect("key pairs");
    let key = described.key_pairs().first().expect("the key pair");
    assert_eq!(
        key.public_key().map(|k| k.split_whitespace().nth(1)),
        Some(PUBLIC_KEY.split_whitespace().nth(1))
    );
    assert_eq!(
        ws.state_attribute("aws_key_pair.ops", "fingerprint"),
        key.key_fingerprint().unwrap_or_default()
    );
    assert!(
        key.tags()
            .iter()
            .any(|t| t.key() == Some("Team") && t.value() == Some("ops"))
    );
    ws.assert_plan_clean(&emulator, "nothing left to do");

    // Tags change in place.
    ws.edit("main.tf", "Team = \"ops\"", "Team = \"platform\"");
    let apply = ws.apply_ok(&emulator);
    assert!(
        apply.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        apply.stdout
    );
    assert_eq!(ws.state_attribute("aws_key_pair.ops", "id"), name);

    // Imported by name: nothing to change.
    ws.forget_and_import(&emulator, "aws_key_pair.ops", &name);
    ws.assert_plan_clean(&emulator, "imported as configured");

    // Another key makes a new key pair.
    ws.edit("main.tf", PUBLIC_KEY, OTHER_PUBLIC_KEY);
    let apply = ws.apply_ok(&emulator);
    assert!(
        apply.stdout.contains("1 added, 0 changed, 1 destroyed"),
        "{}",
        apply.stdout
    );
    let replaced = ws.state_attribute("aws_key_pair.ops", "id");
    assert_ne!(replaced, name);

    let destroy = ws.run(&emulator, "destroy", &["--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.log());
    let left = emulator
        .ec2()
        .describe_key_pairs()
        .send()
        .await
        .expect("key pairs");
    assert!(left.key_pairs().is_empty(), "{left:?}");
}

const ATTACHMENT_STACK: &str = r#"
provider "aws" {
  region = "us-east-1"
}

resource "aws_vpc" "main" {
  cidr_block = "10.60.0.0/16"
}

resource "aws_subnet" "app" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.60.1.0/24"
  availability_zone = "us-east-1a"
}

resource "aws_lb_target_group" "ips" {
  name        = "ips"
  port        = 8080
  protocol    = "HTTP"
  target_type = "ip"
  vpc_id      = aws_vpc.main.id
}

resource "aws_lb_target_group" "app" {
  name     = "app"
  port     = 80
  protocol = "HTTP"
  vpc_id   = aws_vpc.main.id
}

resource "aws_lb_target_group_attachment" "sidecar" {
  target_group_arn = aws_lb_target_group.ips.arn
  target_id        = "10.60.1.10"
  port             = 8080
}

resource "aws_launch_template" "app" {
  name_prefix   = "app-"
  image_id      = "ami-12c6146b"
  instance_type = "t3.micro"
}

resource "aws_autoscaling_group" "app" {
  name                = "app"
  min_size            = 0
  max_size            = 1
  desired_capacity    = 0
  vpc_zone_identifier = [aws_subnet.app.id]

  launch_template {
    id      = aws_launch_template.app.id
    version = "$Latest"
  }
}

resource "aws_autoscaling_attachment" "app" {
  autoscaling_group_name = aws_autoscaling_group.app.name
  lb_target_group_arn    = aws_lb_target_group.app.arn
}
"#;

/// The targets registered with a target group, as (id, port).
async fn targets(emulator: &Emulator, group: &str) -> Vec<(String, i32)> {
    let health = emulator
        .elbv2()
        .describe_target_health()
        .target_group_arn(group)
        .send()
        .await
        .expect("target health");
    let mut out: Vec<(String, i32)> = health
        .target_health_descriptions()
        .iter()
        .filter_map(|d| d.target())
        .map(|t| {
            (
                t.id().unwrap_or_default().to_string(),
                t.port().unwrap_or(0),
            )
        })
        .collect();
    out.sort();
    out
}

async fn group_target_groups(emulator: &Emulator, name: &str) -> Vec<String> {
    let groups = emulator
        .autoscaling()
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(name)
        .send()
        .await
        .expect("groups");
    groups
        .auto_scaling_groups()
        .first()
        .map(|g| g.target_group_arns().to_vec())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn targets_and_target_groups_are_attached_replaced_and_imported() {
    let emulator = Emulator::start();
    let ws = Workspace::with_main(ATTACHMENT_STACK);
    ws.apply_ok(&emulator);

    let ips = ws.state_attribute("aws_lb_target_group.ips", "id");
    let app = ws.state_attribute("aws_lb_target_group.app", "id");
    let sidecar = ws.state_attribute("aws_lb_target_group_attachment.sidecar", "id");
    let attachment = ws.state_attribute("aws_autoscaling_attachment.app", "id");
    assert_eq!(sidecar, format!("{ips},10.60.1.10,8080"));
    assert_eq!(attachment, format!("app,{app}"));
    assert_eq!(
        targets(&emulator, &ips).await,
        [("10.60.1.10".to_string(), 8080)]
    );
    assert_eq!(group_target_groups(&emulator, "app").await, vec![app]);
    ws.assert_plan_clean(&emulator, "the group keeps what the attachment attached");

    // Another port is another registration.
    ws.edit(
        "main.tf",
        "  port             = 8080",
        "  port             = 9090",
    );
    let apply = ws.apply_ok(&emulator);
    assert!(
        apply.stdout.contains("1 added, 0 changed, 1 destroyed"),
        "{}",
        apply.stdout
    );
    assert_eq!(
        targets(&emulator, &ips).await,
        [("10.60.1.10".to_string(), 9090)]
    );

    // A target deregistered behind terrane's back is registered again.
    emulator
        .elbv2()
        .deregister_targets()
        .target_group_arn(&ips)
        .targets(
            aws_sdk_elasticloadbalancingv2::types::TargetDescription::builder()
                .id("10.60.1.10")
                .port(9090)
                .build(),
        )
        .send()
        .await
        .expect("deregister");
    let drift = ws.run(&emulator, "plan", &["--detailed-exitcode"]);
    assert_eq!(drift.code, 2, "{}", drift.log());
    ws.apply_ok(&emulator);
    assert_eq!(
        targets(&emulator, &ips).await,
        [("10.60.1.10".to_string(), 9090)]
    );

    // Imported by their ids: nothing to change.
    let sidecar = ws.state_attribute("aws_lb_target_group_attachment.sidecar", "id");
    ws.forget_and_import(
        &emulator,
        "aws_lb_target_group_attachment.sidecar",
        &sidecar,
    );
    ws.forget_and_import(&emulator, "aws_autoscaling_attachment.app", &attachment);
    ws.assert_plan_clean(&emulator, "imported as configured");

    // Removing the attachments detaches and deregisters.
    let (kept, _) = ATTACHMENT_STACK
        .split_once("resource \"aws_lb_target_group_attachment\"")
        .expect("attachment");
    let launch = ATTACHMENT_STACK
        .split_once("resource \"aws_launch_template\"")
        .expect("launch template")
        .1;
    let group = launch
        .split_once("resource \"aws_autoscaling_attachment\"")
        .expect("attachment")
        .0;
    ws.write(
        "main.tf",
        &format!("{kept}resource \"aws_launch_template\"{group}"),
    );
    let apply = ws.apply_ok(&emulator);
    assert!(
        apply.stdout.contains("0 added, 0 changed, 2 destroyed"),
        "{}",
        apply.stdout
    );
    assert_eq!(targets(&emulator, &ips).await, []);
    assert_eq!(
        group_target_groups(&emulator, "app").await,
        Vec::<String>::new()
    );

    let destroy = ws.run(&emulator, "destroy", &["--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.log());
}
