//! IAM policies, inline role policies and instance profiles through the
//! real binary against the emulator: made, changed in place, read back
//! clean, imported by Terraform's ids and destroyed, each step checked with
//! IAM's own answers.

use crate::provider_compute::percent_decode;
use crate::support::Emulator;
use crate::support::cli::Workspace;

const STACK: &str = r#"
provider "aws" {
  region = "us-east-1"
}

variable "bucket" {
  type    = string
  default = "app"
}

data "aws_iam_policy_document" "ec2_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "nodes" {
  name               = "nodes"
  assume_role_policy = data.aws_iam_policy_document.ec2_trust.json
}

resource "aws_iam_role" "batch" {
  name                 = "batch"
  assume_role_policy   = data.aws_iam_policy_document.ec2_trust.json
  permissions_boundary = aws_iam_policy.read_bucket.arn
}

data "aws_iam_policy_document" "read_bucket" {
  statement {
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::${var.bucket}/*"]
  }
}

resource "aws_iam_policy" "read_bucket" {
  name        = "read-bucket"
  path        = "/app/"
  description = "reads the app bucket"
  policy      = data.aws_iam_policy_document.read_bucket.json
  tags = {
    Team = "platform"
  }
}

resource "aws_iam_role_policy_attachment" "nodes_read" {
  role       = aws_iam_role.nodes.name
  policy_arn = aws_iam_policy.read_bucket.arn
}

resource "aws_iam_role_policy" "logs" {
  name = "logs"
  role = aws_iam_role.nodes.name
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "logs:PutLogEvents", Resource = "*" }]
  })
}

resource "aws_iam_instance_profile" "nodes" {
  name = "nodes"
  role = aws_iam_role.nodes.name
}
"#;

async fn document(emulator: &Emulator, arn: &str) -> serde_json::Value {
    let iam = emulator.iam();
    let policy = iam
        .get_policy()
        .policy_arn(arn)
        .send()
        .await
        .expect("policy");
    let version = policy
        .policy()
        .and_then(|p| p.default_version_id())
        .expect("default version");
    let got = iam
        .get_policy_version()
        .policy_arn(arn)
        .version_id(version)
        .send()
        .await
        .expect("version");
    let text = got
        .policy_version()
        .and_then(|v| v.document())
        .expect("document");
    serde_json::from_str(&percent_decode(text)).expect("JSON")
}

#[tokio::test(flavor = "multi_thread")]
async fn policies_and_instance_profiles_round_trip() {
    let emulator = Emulator::start();
    let iam = emulator.iam();
    let ws = Workspace::copy_of("tests/fixtures/ci/stack");
    ws.write("main.tf", STACK);
    let apply = ws.run(&emulator, "apply", &["--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.log());

    let arn = "arn:aws:iam::123456789012:policy/app/read-bucket";
    let policy = iam
        .get_policy()
        .policy_arn(arn)
        .send()
        .await
        .expect("managed policy");
    let policy = policy.policy().expect("policy");
    assert_eq!(policy.description(), Some("reads the app bucket"));
    assert!(
        policy
            .tags()
            .iter()
            .any(|t| t.key() == "Team" && t.value() == "platform")
    );
    assert_eq!(
        document(&emulator, arn).await["Statement"][0]["Resource"],
        "arn:aws:s3:::app/*"
    );
    let attached = iam
        .list_attached_role_policies()
        .role_name("nodes")
        .send()
        .await
        .unwrap();
    assert!(
        attached
            .attached_policies()
            .iter()
            .any(|p| p.policy_arn() == Some(arn))
    );
    let inline = iam
        .get_role_policy()
        .role_name("nodes")
        .policy_name("logs")
        .send()
        .await
        .expect("inline policy");
    assert!(percent_decode(inline.policy_document()).contains("logs:PutLogEvents"));
    let profile = iam
        .get_instance_profile()
        .instance_profile_name("nodes")
        .send()
        .await
        .expect("profile");
    let roles: Vec<&str> = profile
        .instance_profile()
        .unwrap()
        .roles()
        .iter()
        .map(|r| r.role_name())
        .collect();
    assert_eq!(roles, ["nodes"]);
    let boundary = |iam: aws_sdk_iam::Client| async move {
        let role = iam
            .get_role()
            .role_name("batch")
            .send()
            .await
            .expect("role");
        role.role()
            .and_then(|r| r.permissions_boundary())
            .and_then(|b| b.permissions_boundary_arn())
            .map(String::from)
    };
    assert_eq!(boundary(iam.clone()).await.as_deref(), Some(arn));

    let clean = ws.run(&emulator, "plan", &["--detailed-exitcode"]);
    assert_eq!(clean.code, 0, "read back as planned:\n{}", clean.log());

    // In place: a new policy version, a new inline document, the profile
    // handed to the other role, the other role's boundary taken off.
    ws.edit("main.tf", "default = \"app\"", "default = \"data\"");
    ws.edit("main.tf", "logs:PutLogEvents", "logs:CreateLogStream");
    ws.edit(
        "main.tf",
        "  name = \"nodes\"\n  role = aws_iam_role.nodes.name",
        "  name = \"nodes\"\n  role = aws_iam_role.batch.name",
    );
    ws.edit(
        "main.tf",
        "  permissions_boundary = aws_iam_policy.read_bucket.arn\n",
        "",
    );
    let plan = ws.run(&emulator, "plan", &["--no-color"]);
    assert!(
        plan.stdout.contains("4 to change, 0 to destroy"),
        "{}",
        plan.log()
    );
    let apply = ws.run(&emulator, "apply", &["--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.log());
    let versions = iam
        .list_policy_versions()
        .policy_arn(arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        versions.versions().len(),
        2,
        "the document is a new default version"
    );
    assert_eq!(
        boundary(iam.clone()).await,
        None,
        "the boundary is taken off"
    );
    assert_eq!(
        document(&emulator, arn).await["Statement"][0]["Resource"],
        "arn:aws:s3:::data/*"
    );
    let inline = iam
        .get_role_policy()
        .role_name("nodes")
        .policy_name("logs")
        .send()
        .await
        .unwrap();
    assert!(percent_decode(inline.policy_document()).contains("logs:CreateLogStream"));
    let profile = iam
        .get_instance_profile()
        .instance_profile_name("nodes")
        .send()
        .await
        .unwrap();
    let roles: Vec<&str> = profile
        .instance_profile()
        .unwrap()
        .roles()
        .iter()
        .map(|r| r.role_name())
        .collect();
    assert_eq!(roles, ["batch"]);
    let clean = ws.run(&emulator, "plan", &["--detailed-exitcode"]);
    assert_eq!(clean.code, 0, "{}", clean.log());

    // Forgotten, then imported by Terraform's ids: nothing to change.
    for (address, id) in [
        ("aws_iam_policy.read_bucket", arn),
        ("aws_iam_role_policy.logs", "nodes:logs"),
        ("aws_iam_instance_profile.nodes", "nodes"),
    ] {
        ws.forget_and_import(&emulator, address, id);
    }
    let clean = ws.run(&emulator, "plan", &["--detailed-exitcode"]);
    assert_eq!(
        clean.code,
        0,
        "imported objects read as configured:\n{}",
        clean.log()
    );

    let destroy = ws.run(&emulator, "destroy", &["--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.log());
    assert!(
        iam.get_policy().policy_arn(arn).send().await.is_err(),
        "policy deleted"
    );
    assert!(
        iam.get_instance_profile()
            .instance_profile_name("nodes")
            .send()
            .await
            .is_err()
    );
    assert!(iam.get_role().role_name("nodes").send().await.is_err());
}

const USERS: &str = r#"
provider "aws" {
  region = "us-east-1"
}

resource "aws_iam_group" "ops" {
  name = "ops"
  path = "/teams/"
}

resource "aws_iam_user" "deploy" {
  name          = "deploy"
  path          = "/ci/"
  force_destroy = true
  tags = {
    Team = "ci"
  }
}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn users_and_groups_are_renamed_in_place_and_force_destroyed() {
    let emulator = Emulator::start();
    let iam = emulator.iam();
    let ws = Workspace::copy_of("tests/fixtures/ci/stack");
    ws.write("main.tf", USERS);
    let apply = ws.run(&emulator, "apply", &["--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.log());

    let user = iam
        .get_user()
        .user_name("deploy")
        .send()
        .await
        .expect("user");
    let user = user.user().expect("user");
    assert_eq!(user.path(), "/ci/");
    assert!(
        user.tags()
            .iter()
            .any(|t| t.key() == "Team" && t.value() == "ci"),
        "{:?}",
        user.tags()
    );
    let group = iam
        .get_group()
        .group_name("ops")
        .send()
        .await
        .expect("group");
    assert_eq!(group.group().expect("group").path(), "/teams/");
    let clean = ws.run(&emulator, "plan", &["--detailed-exitcode"]);
    assert_eq!(clean.code, 0, "read back as planned:\n{}", clean.log());

    // Renamed and moved: in place, as Terraform does, not replaced.
    ws.write(
        "main.tf",
        &USERS
            .replace(r#"name = "ops""#, r#"name = "operators""#)
            .replace(
                r#"name          = "deploy""#,
                r#"name          = "deployer""#,
            )
            .replace(r#"path          = "/ci/""#, r#"path          = "/ci/v2/""#)
            .replace(r#"Team = "ci""#, r#"Team = "release""#),
    );
    let plan = ws.run(&emulator, "plan", &["--no-color"]);
    assert!(
        plan.stdout.contains("0 to add, 2 to change, 0 to destroy"),
        "{}",
        plan.log()
    );
    let apply = ws.run(&emulator, "apply", &["--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.log());
    assert!(iam.get_user().user_name("deploy").send().await.is_err());
    let user = iam
        .get_user()
        .user_name("deployer")
        .send()
        .await
        .expect("renamed");
    let user = user.user().expect("user");
    assert_eq!(user.path(), "/ci/v2/");
    assert!(user.tags().iter().any(|t| t.value() == "release"));
    assert!(iam.get_group().group_name("operators").send().await.is_ok());
    let clean = ws.run(&emulator, "plan", &["--detailed-exitcode"]);
    assert_eq!(clean.code, 0, "{}", clean.log());

    for (address, id) in [
        ("aws_iam_user.deploy", "deployer"),
        ("aws_iam_group.ops", "operators"),
    ] {
        ws.forget_and_import(&emulator, address, id);
    }
    // As in Terraform, an import cannot know force_destroy (it lives in
    // state only): the one change is to set it.
    let plan = ws.run(&emulator, "plan", &["--no-color"]);
    assert!(
        plan.stdout.contains("~ force_destroy = false -> true")
            && plan.stdout.contains("0 to add, 1 to change, 0 to destroy"),
        "imported as configured but for force_destroy:\n{}",
        plan.log()
    );
    let apply = ws.run(&emulator, "apply", &["--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.log());

    // Made outside the stack: what IAM refuses to delete a user with.
    iam.add_user_to_group()
        .group_name("operators")
        .user_name("deployer")
        .send()
        .await
        .expect("membership");
    iam.create_access_key()
        .user_name("deployer")
        .send()
        .await
        .expect("access key");
    iam.put_user_policy()
        .user_name("deployer")
        .policy_name("inline")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}"#)
        .send()
        .await
        .expect("inline policy");

    // Without force_destroy, what was made outside the stack refuses the
    // delete at once, saying how to go on.
    ws.edit("main.tf", "force_destroy = true", "force_destroy = false");
    ws.apply_ok(&emulator);
    let started = std::time::Instant::now();
    let refused = ws.run(&emulator, "destroy", &["--auto-approve"]);
    assert!(
        refused.code == 1
            && refused.stderr.contains("set force_destroy = true")
            && started.elapsed() < std::time::Duration::from_secs(60),
        "{}",
        refused.log()
    );
    ws.edit("main.tf", "force_destroy = false", "force_destroy = true");
    ws.apply_ok(&emulator);

    let destroy = ws.run(&emulator, "destroy", &["--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.log());
    assert!(iam.get_user().user_name("deployer").send().await.is_err());
    assert!(
        iam.get_group()
            .group_name("operators")
            .send()
            .await
            .is_err()
    );
}
