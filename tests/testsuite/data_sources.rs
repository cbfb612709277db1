//! Data sources: each fixture's outputs, read by terrane, are what
//! terraform and the hashicorp/aws provider wrote for the same files
//! (recorded in its expected.json, and checked again where terraform is
//! installed). `aws_iam_policy_document` is rendered byte for byte, and
//! computed like a local value, at plan when its arguments are known and
//! during apply when they name what apply makes.

use serde_json::Value as Json;

use crate::provider_compute::percent_decode;
use crate::support::Emulator;
use crate::support::cli::{Workspace, repo_path};
use crate::support::terraform::{provider_override, run_terraform};
use crate::terraform_compat::{provider_mirror, terraform_available, write_cli_config};

/// What terraform wrote for a fixture's outputs: name to value.
fn recorded(fixture: &str) -> Json {
    let path = repo_path(fixture).join("expected.json");
    let text = std::fs::read_to_string(&path).expect("expected.json");
    serde_json::from_str(&text).expect("expected.json is JSON")
}

/// Every leaf where `actual` differs from `expected`, by its path.
fn differences(path: &str, expected: &Json, actual: &Json, found: &mut Vec<String>) {
    match (expected, actual) {
        (Json::Object(want), Json::Object(got)) => {
            for key in want
                .keys()
                .chain(got.keys().filter(|k| !want.contains_key(*k)))
            {
                let (w, g) = (
                    &want.get(key).cloned().unwrap_or(Json::Null),
                    &got.get(key).cloned().unwrap_or(Json::Null),
                );
                differences(&format!("{path}.{key}"), w, g, found);
            }
        }
        _ if expected != actual => {
            found.push(format!(
                "{path}:\n  expected {expected}\n  got      {actual}"
            ));
        }
        _ => {}
    }
}

/// Outputs as `output -json` prints them, name to value.
fn values(printed: &str) -> Json {
    let outputs: Json = serde_json::from_str(printed).expect("outputs are JSON");
    let outputs = outputs.as_object().expect("outputs by name");
    Json::Object(
        outputs
            .iter()
            .map(|(name, o)| (name.clone(), o["value"].clone()))
            .collect(),
    )
}

/// Applies a fixture with terrane and compares its outputs with the
/// recording.
fn terrane_reads_what_terraform_recorded(fixture: &str) {
    let emulator = Emulator::start();
    let ws = Workspace::copy_of(fixture);
    ws.apply_ok(&emulator);
    let output = ws.run(&emulator, "output", &["--json"]);
    assert_eq!(output.code, 0, "{}", output.log());
    let mut problems = Vec::new();
    differences(
        "",
        &recorded(fixture),
        &values(&output.stdout),
        &mut problems,
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Applies a fixture with terraform (its provider blocks, by `aliases`,
/// pointed at the emulator) and compares its outputs with the recording,
/// so a provider that now writes something else is noticed. Skipped
/// without terraform.
fn terraform_writes_what_was_recorded(fixture: &str, aliases: &[Option<&str>]) {
    if !terraform_available() {
        eprintln!(
            "skipped: terraform is not installed; the recorded answers were checked where it was"
        );
        return;
    }
    let Some(mirror) = provider_mirror() else {
        eprintln!("skipped: no local mirror of the hashicorp/aws provider was found");
        return;
    };
    let emulator = Emulator::start();
    let ws = Workspace::copy_of(fixture);
    let overrides: String = aliases
        .iter()
        .map(|alias| provider_override(&emulator.endpoint(), *alias))
        .collect();
    ws.write("override.tf", &overrides);
    let cli_config = write_cli_config(ws.root(), &mirror);
    let terraform = |args: &[&str]| run_terraform(&ws.stack, &cli_config, &emulator.env(), args);
    terraform(&["init", "-input=false", "-no-color"]);
    terraform(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    let mut problems = Vec::new();
    differences(
        "",
        &recorded(fixture),
        &values(&terraform(&["output", "-json"])),
        &mut problems,
    );
    assert!(
        problems.is_empty(),
        "terraform now writes something else; record it again into {fixture}/expected.json:\n{}",
        problems.join("\n")
    );
}

const POLICY_DOCUMENTS: &str = "tests/fixtures/policy_documents";
const WHERE_THE_PROVIDER_RUNS: &str = "tests/fixtures/meta_data_sources";

#[test]
fn policy_documents_render_as_the_aws_provider_renders_them() {
    terrane_reads_what_terraform_recorded(POLICY_DOCUMENTS);
}

#[test]
fn the_recorded_policy_documents_are_what_terraform_writes() {
    terraform_writes_what_was_recorded(POLICY_DOCUMENTS, &[None]);
}

#[test]
fn regions_and_partitions_are_described_as_the_aws_provider_describes_them() {
    terrane_reads_what_terraform_recorded(WHERE_THE_PROVIDER_RUNS);
}

#[test]
fn the_recorded_regions_and_partitions_are_what_terraform_writes() {
    terraform_writes_what_was_recorded(
        WHERE_THE_PROVIDER_RUNS,
        &[None, Some("china"), Some("govcloud"), Some("sovereign")],
    );
}

/// The account, ARN and user id are STS's answer for the credentials.
#[tokio::test(flavor = "multi_thread")]
async fn the_caller_identity_is_what_sts_says() {
    let emulator = Emulator::start();
    let ws = Workspace::with_main(
        "data \"aws_caller_identity\" \"current\" {}\n\noutput \"identity\" {\n  value = data.aws_caller_identity.current\n}\n",
    );
    ws.apply_ok(&emulator);
    let output = ws.run(&emulator, "output", &["identity", "--json"]);
    assert_eq!(output.code, 0, "{}", output.log());
    let identity: Json = serde_json::from_str(&output.stdout).expect("JSON");
    let sts = aws_sdk_sts::Client::new(&emulator.sdk_config());
    let answer = sts
        .get_caller_identity()
        .send()
        .await
        .expect("GetCallerIdentity");
    let account = answer.account().expect("account");
    assert_eq!(identity["account_id"], account);
    assert_eq!(identity["id"], account);
    assert_eq!(identity["arn"], answer.arn().expect("arn"));
    assert_eq!(identity["user_id"], answer.user_id().expect("user id"));
}

/// A trust policy naming a role apply is about to make: unknown at the
/// first plan, computed during apply once the role exists, then known at
/// plan from state, so the next plan is clean.
#[tokio::test(flavor = "multi_thread")]
async fn a_document_naming_a_new_resource_is_computed_during_apply() {
    let emulator = Emulator::start();
    let ws = Workspace::with_main(
        r#"data "aws_iam_policy_document" "ec2_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "first" {
  name               = "first"
  assume_role_policy = data.aws_iam_policy_document.ec2_trust.json
}

data "aws_iam_policy_document" "trust_first" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.first.arn]
    }
  }
}

resource "aws_iam_role" "second" {
  name               = "second"
  assume_role_policy = data.aws_iam_policy_document.trust_first.json
}
"#,
    );
    let plan = ws.run(&emulator, "plan", &["--no-color"]);
    assert_eq!(plan.code, 0, "{}", plan.log());
    // The first role's trust policy is known; the second's waits for the
    // first role.
    let waiting = plan
        .stdout
        .lines()
        .filter(|l| l.contains("assume_role_policy") && l.contains("(known after apply)"))
        .count();
    assert_eq!(waiting, 1, "{}", plan.stdout);

    ws.apply_ok(&emulator);
    let first = emulator
        .iam()
        .get_role()
        .role_name("first")
        .send()
        .await
        .expect("first role");
    let first_arn = first.role().expect("role").arn().to_string();
    let second = emulator
        .iam()
        .get_role()
        .role_name("second")
        .send()
        .await
        .expect("second role");
    let document = second
        .role()
        .and_then(|r| r.assume_role_policy_document())
        .expect("trust policy");
    let document = percent_decode(document);
    let trust: Json = serde_json::from_str(&document).expect("trust policy is JSON");
    assert_eq!(
        trust["Statement"][0]["Principal"]["AWS"],
        Json::String(first_arn)
    );

    let again = ws.run(&emulator, "plan", &["--detailed-exitcode"]);
    assert_eq!(again.code, 0, "no changes after apply:\n{}", again.log());
}

/// A data source naming a role the stack manages is read during apply
/// while the role has changes pending (made, or changed in place), after
/// the role's step and before what uses it; once the role is settled, it is
/// read at plan and the plan is clean.
#[tokio::test(flavor = "multi_thread")]
async fn a_data_source_depending_on_a_changing_resource_is_read_during_apply() {
    let emulator = Emulator::start();
    let ws = Workspace::with_main(
        r#"resource "aws_iam_role" "app" {
  name        = "app"
  description = "first"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }]
  })
}

data "aws_iam_role" "app" {
  name = aws_iam_role.app.name
}

resource "aws_iam_instance_profile" "app" {
  name = "app-${data.aws_iam_role.app.description}"
  role = data.aws_iam_role.app.name
}

output "role_arn" {
  value = data.aws_iam_role.app.arn
}

output "description" {
  value = data.aws_iam_role.app.description
}
"#,
    );
    let plan = ws.run(&emulator, "plan", &["--no-color"]);
    assert_eq!(plan.code, 0, "{}", plan.log());
    for line in [
        "# data.aws_iam_role.app will be read during apply",
        "# (depends on a resource or a module with changes pending)",
        " <= data \"aws_iam_role\" \"app\" {",
        "Plan: 2 to add, 0 to change, 0 to destroy.",
    ] {
        assert!(
            plan.stdout.contains(line),
            "{line:?} missing:\n{}",
            plan.stdout
        );
    }
    let read_block = &plan.stdout[plan.stdout.find(" <= data").expect("read block")..];
    let shown = |name: &str, value: &str| {
        read_block.lines().take_while(|l| l.trim() != "}").any(|l| {
            let l = l.trim();
            l.starts_with(&format!("+ {name} ")) && l.ends_with(&format!("= {value}"))
        })
    };
    assert!(shown("name", "\"app\""), "{read_block}");
    assert!(shown("arn", "(known after apply)"), "{read_block}");
    let json = ws.run(&emulator, "plan", &["--json"]);
    assert_eq!(json.code, 0, "{}", json.log());
    let json: Json = serde_json::from_str(&json.stdout).expect("plan JSON");
    let read = json["resource_changes"]
        .as_array()
        .expect("resource_changes")
        .iter()
        .find(|c| c["address"] == "data.aws_iam_role.app")
        .expect("the read is a resource change");
    assert_eq!(read["mode"], "data");
    assert_eq!(read["change"]["actions"], serde_json::json!(["read"]));
    assert_eq!(read["action_reason"], "read_because_dependency_pending");
    assert_eq!(read["change"]["after"]["name"], "app");
    assert_eq!(read["change"]["after_unknown"]["arn"], true);

    let apply = ws.apply_ok(&emulator);
    let reading = apply.stdout.find("data.aws_iam_role.app: Reading...");
    let role_made = apply.stdout.find("aws_iam_role.app: Creation complete");
    let profile = apply
        .stdout
        .find("aws_iam_instance_profile.app: Creating...");
    assert!(
        role_made < reading && reading < profile && role_made.is_some(),
        "the read comes after the role and before the profile:\n{}",
        apply.stdout
    );
    let role = emulator
        .iam()
        .get_role()
        .role_name("app")
        .send()
        .await
        .expect("role");
    let arn = role.role().expect("role").arn().to_string();
    let output = |name: &str| -> Json {
        let run = ws.run(&emulator, "output", &[name, "--json"]);
        assert_eq!(run.code, 0, "{}", run.log());
        serde_json::from_str(&run.stdout).expect("output is JSON")
    };
    assert_eq!(output("role_arn"), Json::String(arn));
    let profile = emulator
        .iam()
        .get_instance_profile()
        .instance_profile_name("app-first")
        .send()
        .await
        .expect("the profile is named from what the data source read");
    let roles = profile.instance_profile().expect("profile").roles();
    assert_eq!(roles.first().map(|r| r.role_name()), Some("app"));
    ws.assert_plan_clean(
        &emulator,
        "the role is settled: the data source is read at plan",
    );

    // A change in place defers the read again; it sees the new description.
    ws.edit("main.tf", "\"first\"", "\"second\"");
    let plan = ws.run(&emulator, "plan", &["--no-color"]);
    assert_eq!(plan.code, 0, "{}", plan.log());
    assert!(
        plan.stdout
            .contains("# data.aws_iam_role.app will be read during apply"),
        "{}",
        plan.stdout
    );
    ws.apply_ok(&emulator);
    assert_eq!(output("description"), Json::String("second".into()));
    emulator
        .iam()
        .get_instance_profile()
        .instance_profile_name("app-second")
        .send()
        .await
        .expect("the profile was replaced with the name read after the role's update");
    ws.assert_plan_clean(&emulator, "settled again after the update");
}

/// Once what a data source depends on is settled, the planner reads it
/// and plans again, so a for_each over what it finds plans; a data source
/// with no instances is an empty collection.
#[tokio::test(flavor = "multi_thread")]
async fn a_for_each_over_a_settled_data_source_plans() {
    let emulator = Emulator::start();
    let network = r#"resource "aws_vpc" "main" {
  cidr_block = "10.80.0.0/16"
}

resource "aws_subnet" "a" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.80.1.0/24"
  availability_zone = "us-east-1a"
}

data "aws_subnets" "in_vpc" {
  filter {
    name   = "vpc-id"
    values = [aws_vpc.main.id]
  }
  depends_on = [aws_subnet.a]
}

data "aws_vpc" "none" {
  count = 0
  id    = aws_vpc.main.id
}

output "none" {
  value = length(data.aws_vpc.none)
}
"#;
    let ws = Workspace::with_main(network);
    ws.apply_ok(&emulator);
    ws.write(
        "tables.tf",
        r#"resource "aws_route_table" "per_subnet" {
  for_each = toset(data.aws_subnets.in_vpc.ids)
  vpc_id   = aws_vpc.main.id
}
"#,
    );
    let plan = ws.run(&emulator, "plan", &["--no-color"]);
    assert_eq!(plan.code, 0, "{}", plan.log());
    let subnet = ws.state_attribute("aws_subnet.a", "id");
    assert!(
        plan.stdout.contains(&format!(
            "aws_route_table.per_subnet[\"{subnet}\"] will be created"
        )),
        "{}",
        plan.stdout
    );
    ws.apply_ok(&emulator);
    let output = ws.run(&emulator, "output", &["none", "--json"]);
    assert_eq!(output.stdout.trim(), "0", "{}", output.log());
    ws.assert_plan_clean(&emulator, "settled");
}

/// A VPC and its subnets made outside the stack (here, with direct EC2
/// calls) are found by tags and filters: the ids are EC2's own.
#[tokio::test(flavor = "multi_thread")]
async fn a_vpc_and_its_subnets_are_found_by_tags_and_filters() {
    use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};
    let emulator = Emulator::start();
    let ec2 = emulator.ec2();
    let tagged = |kind: ResourceType, pairs: &[(&str, &str)]| {
        let tags = pairs
            .iter()
            .map(|(k, v)| Tag::builder().key(*k).value(*v).build());
        TagSpecification::builder()
            .resource_type(kind)
            .set_tags(Some(tags.collect()))
            .build()
    };
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.60.0.0/16")
        .tag_specifications(tagged(ResourceType::Vpc, &[("Name", "shared")]))
        .send()
        .await
        .expect("VPC");
    let vpc_id = vpc
        .vpc()
        .and_then(|v| v.vpc_id())
        .expect("VPC id")
        .to_string();
    let mut private = Vec::new();
    for (index, tier) in ["private", "private", "public"].into_iter().enumerate() {
        let subnet = ec2
            .create_subnet()
            .vpc_id(&vpc_id)
            .cidr_block(format!("10.60.{index}.0/24"))
            .tag_specifications(tagged(ResourceType::Subnet, &[("Tier", tier)]))
            .send()
            .await
            .expect("subnet");
        if tier == "private" {
            private.push(
                subnet
                    .subnet()
                    .and_then(|s| s.subnet_id())
                    .expect("id")
                    .to_string(),
            );
        }
    }
    let default_vpc = ec2
        .describe_vpcs()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("is-default")
                .values("true")
                .build(),
        )
        .send()
        .await
        .expect("default VPC");
    let default_vpc = default_vpc
        .vpcs()
        .first()
        .and_then(|v| v.vpc_id())
        .expect("the region has one")
        .to_string();

    let ws = Workspace::with_main(
        r#"data "aws_vpc" "shared" {
  tags = {
    Name = "shared"
  }
}

data "aws_vpc" "default" {
  default = true
}

data "aws_subnets" "private" {
  filter {
    name   = "vpc-id"
    values = [data.aws_vpc.shared.id]
  }
  tags = {
    Tier = "private"
  }
}

output "found" {
  value = {
    shared       = data.aws_vpc.shared.id
    shared_cidr  = data.aws_vpc.shared.cidr_block
    shared_is_default = data.aws_vpc.shared.default
    default      = data.aws_vpc.default.id
    private      = sort(data.aws_subnets.private.ids)
  }
}
"#,
    );
    ws.apply_ok(&emulator);
    let output = ws.run(&emulator, "output", &["found", "--json"]);
    assert_eq!(output.code, 0, "{}", output.log());
    let found: Json = serde_json::from_str(&output.stdout).expect("JSON");
    private.sort();
    assert_eq!(found["shared"], vpc_id.as_str());
    assert_eq!(found["shared_cidr"], "10.60.0.0/16");
    assert_eq!(found["shared_is_default"], false);
    assert_eq!(found["default"], default_vpc.as_str());
    assert_eq!(found["private"], serde_json::json!(private));

    // No match is an error naming the data source, as in Terraform.
    ws.edit("main.tf", "Name = \"shared\"", "Name = \"nowhere\"");
    let plan = ws.run(&emulator, "plan", &[]);
    assert_eq!(plan.code, 1, "{}", plan.log());
    assert!(
        plan.stderr.contains("data.aws_vpc.shared")
            && plan.stderr.contains("no matching EC2 VPC found"),
        "{}",
        plan.log()
    );
}

/// What another stack made, for the data sources to find.
const MADE_ELSEWHERE: &str = r#"
provider "aws" {
  region = "us-east-1"
}

resource "aws_vpc" "shared" {
  cidr_block = "10.70.0.0/16"
}

resource "aws_subnet" "app" {
  count             = 2
  vpc_id            = aws_vpc.shared.id
  cidr_block        = "10.70.${count.index}.0/24"
  availability_zone = ["us-east-1a", "us-east-1b"][count.index]
  tags = {
    Tier = "app-${count.index}"
  }
}

resource "aws_security_group" "app" {
  name   = "app"
  vpc_id = aws_vpc.shared.id
}

resource "aws_iam_role" "cluster" {
  name = "shop-cluster"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "eks.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_policy" "read" {
  name   = "app-read"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "*" }]
  })
}

resource "aws_route53_zone" "internal" {
  name = "shop.example"
  tags = {
    Team = "web"
  }
}

resource "aws_lb" "app" {
  name    = "app-lb"
  subnets = aws_subnet.app[*].id
  tags = {
    Service = "shop"
  }
}

resource "aws_eks_cluster" "shop" {
  name     = "shop"
  role_arn = aws_iam_role.cluster.arn
  vpc_config {
    subnet_ids = aws_subnet.app[*].id
  }
}
"#;

const FINDS: &str = r#"
provider "aws" {
  region = "us-east-1"
}

data "aws_subnet" "app" {
  tags = {
    Tier = "app-1"
  }

  # Accepted as in Terraform; terrane's reads do not wait.
  timeouts {
    read = "5m"
  }
}

data "aws_security_group" "app" {
  name   = "app"
  vpc_id = data.aws_subnet.app.vpc_id
}

data "aws_iam_role" "cluster" {
  name = "shop-cluster"
}

data "aws_iam_policy" "read" {
  name = "app-read"
}

data "aws_iam_policy" "managed" {
  arn = "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
}

data "aws_route53_zone" "internal" {
  name = "shop.example."
  tags = {
    Team = "web"
  }
}

data "aws_lb" "by_tags" {
  tags = {
    Service = "shop"
  }
}

data "aws_alb" "by_name" {
  name = "app-lb"
}

data "aws_eks_cluster" "shop" {
  name = "shop"
}

data "aws_ami" "trusty" {
  owners      = ["099720109477"]
  most_recent = true
  name_regex  = "^ubuntu/images/hvm-ssd/ubuntu-trusty-14\\.04-amd64-server-"
  filter {
    name   = "virtualization-type"
    values = ["hvm"]
  }
}

output "found" {
  value = {
    subnet            = data.aws_subnet.app.id
    subnet_cidr       = data.aws_subnet.app.cidr_block
    subnet_zone       = data.aws_subnet.app.availability_zone
    security_group    = data.aws_security_group.app.id
    role              = data.aws_iam_role.cluster.arn
    role_trusts       = jsondecode(data.aws_iam_role.cluster.assume_role_policy).Statement[0].Principal.Service
    policy            = data.aws_iam_policy.read.arn
    policy_document   = jsondecode(data.aws_iam_policy.read.policy).Statement[0].Action
    managed           = data.aws_iam_policy.managed.name
    zone              = data.aws_route53_zone.internal.zone_id
    zone_private      = data.aws_route53_zone.internal.private_zone
    lb_by_tags        = data.aws_lb.by_tags.arn
    lb_by_name        = data.aws_alb.by_name.dns_name
    cluster_endpoint  = data.aws_eks_cluster.shop.endpoint
    cluster_subnets   = sort(data.aws_eks_cluster.shop.vpc_config[0].subnet_ids)
    ami_name          = data.aws_ami.trusty.name
    ami_id            = data.aws_ami.trusty.id
    ami_arn           = data.aws_ami.trusty.arn
  }
}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn what_another_stack_made_is_found_by_the_data_sources() {
    let emulator = Emulator::start();
    let elsewhere = Workspace::with_main(MADE_ELSEWHERE);
    elsewhere.apply_ok(&emulator);
    let made = |address: &str, key: &str| elsewhere.state_attribute(address, key);

    let ws = Workspace::with_main(FINDS);
    ws.apply_ok(&emulator);
    let output = ws.run(&emulator, "output", &["found", "--json"]);
    assert_eq!(output.code, 0, "{}", output.log());
    let found: Json = serde_json::from_str(&output.stdout).expect("JSON");

    let trusty = emulator
        .ec2()
        .describe_images()
        .owners("099720109477")
        .image_ids(found["ami_id"].as_str().unwrap_or_default())
        .send()
        .await
        .expect("images");
    let image = trusty.images().first().expect("the image found is EC2's");
    let mut subnets = vec![
        made("aws_subnet.app[0]", "id"),
        made("aws_subnet.app[1]", "id"),
    ];
    subnets.sort();
    let expected = serde_json::json!({
        "subnet": made("aws_subnet.app[1]", "id"),
        "subnet_cidr": "10.70.1.0/24",
        "subnet_zone": "us-east-1b",
        "security_group": made("aws_security_group.app", "id"),
        "role": made("aws_iam_role.cluster", "arn"),
        "role_trusts": "eks.amazonaws.com",
        "policy": made("aws_iam_policy.read", "arn"),
        "policy_document": "s3:GetObject",
        "managed": "AmazonEKSClusterPolicy",
        "zone": made("aws_route53_zone.internal", "zone_id"),
        "zone_private": false,
        "lb_by_tags": made("aws_lb.app", "arn"),
        "lb_by_name": made("aws_lb.app", "dns_name"),
        "cluster_endpoint": made("aws_eks_cluster.shop", "endpoint"),
        // The emulator reports no VPC id for a cluster; its subnets it does.
        "cluster_subnets": subnets,
        "ami_name": image.name().unwrap_or_default(),
        "ami_id": image.image_id().unwrap_or_default(),
        "ami_arn": format!("arn:aws:ec2:us-east-1::image/{}", image.image_id().unwrap_or_default()),
    });
    assert_eq!(found, expected);
    assert!(
        found["ami_name"].as_str().is_some_and(
            |n| n.starts_with("ubuntu/images/hvm-ssd/ubuntu-trusty-14.04-amd64-server-")
        ),
        "{found}"
    );

    // Several matches are an error unless the newest is asked for.
    ws.edit("main.tf", "  most_recent = true\n", "");
    ws.edit("main.tf", "ubuntu-trusty-14\\\\.04-amd64-server-", "ubuntu");
    let plan = ws.run(&emulator, "plan", &[]);
    assert_eq!(plan.code, 1, "{}", plan.log());
    assert!(
        plan.stderr.contains("data.aws_ami.trusty") && plan.stderr.contains("most_recent = true"),
        "{}",
        plan.log()
    );
    // So is a search that finds two subnets.
    ws.edit("main.tf", "Tier = \"app-1\"", "");
    let plan = ws.run(&emulator, "plan", &[]);
    assert_eq!(plan.code, 1, "{}", plan.log());
    assert!(
        plan.stderr.contains("multiple EC2 Subnets matched"),
        "{}",
        plan.log()
    );
}

const PARAMETERS_AND_TOKEN: &str = r#"
provider "aws" {
  region = "us-east-1"
}

data "aws_ssm_parameter" "ami" {
  name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-x86_64"
}

data "aws_ssm_parameter" "password" {
  name = "/shop/db-password"
}

data "aws_eks_cluster_auth" "main" {
  name = "shop"
}

output "ami" {
  value = data.aws_ssm_parameter.ami.insecure_value
}

output "ami_type" {
  value = data.aws_ssm_parameter.ami.type
}

output "password_hidden" {
  value = data.aws_ssm_parameter.password.insecure_value
}

output "password" {
  value     = data.aws_ssm_parameter.password.value
  sensitive = true
}

output "token" {
  value     = data.aws_eks_cluster_auth.main.token
  sensitive = true
}
"#;

/// Signs the token's request again with botocore (the Python SDK, in the
/// emulator's environment): an independent SigV4 implementation, at the
/// time the token names. Prints `match` when the signatures agree.
const VERIFY_SIGNATURE: &str = r#"
import datetime, sys
from unittest import mock
from urllib.parse import urlsplit, parse_qsl
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

url, key, secret, region, cluster = sys.argv[1:6]
parts = urlsplit(url)
query = dict(parse_qsl(parts.query))
signed_at = datetime.datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
base = f"{parts.scheme}://{parts.netloc}{parts.path}?Action=GetCallerIdentity&Version=2011-06-15"
request = AWSRequest(method="GET", url=base, headers={"x-k8s-aws-id": cluster})
with mock.patch.object(botocore.auth, "get_current_datetime", return_value=signed_at):
    botocore.auth.SigV4QueryAuth(Credentials(key, secret), "sts", region, expires=60).add_auth(request)
expected = dict(parse_qsl(urlsplit(request.url).query))["X-Amz-Signature"]
print("match" if expected == query["X-Amz-Signature"] else f"mismatch: botocore {expected}, token {query['X-Amz-Signature']}")
"#;

#[tokio::test(flavor = "multi_thread")]
async fn ssm_parameters_and_an_eks_token_are_read() {
    use aws_sdk_ssm::types::ParameterType;
    use base64::Engine as _;
    let emulator = Emulator::start();
    let ssm = emulator.ssm();
    ssm.put_parameter()
        .name("/shop/db-password")
        .value("s3cret-value")
        .r#type(ParameterType::SecureString)
        .send()
        .await
        .expect("put parameter");
    // One AWS publishes (the emulator has its own copy).
    let published = ssm
        .get_parameter()
        .name("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-x86_64")
        .send()
        .await
        .expect("get parameter");
    let ami = published
        .parameter()
        .and_then(|p| p.value())
        .expect("value");
    assert!(ami.starts_with("ami-"), "{ami}");
    // A parameter's value is sensitive: an output of it must say so.
    let leak = format!(
        "{PARAMETERS_AND_TOKEN}\noutput \"leak\" {{\n  value = data.aws_ssm_parameter.password.value\n}}\n"
    );
    let ws = Workspace::with_main(&leak);
    let plan = ws.run(&emulator, "plan", &["--no-color"]);
    assert!(
        plan.code == 1 && plan.stderr.contains("Output refers to sensitive values"),
        "{}",
        plan.log()
    );
    // The same when the read waits for apply (its name is not known at
    // plan): refused at plan, not midway through apply.
    let ws = Workspace::with_main(
        r#"resource "terraform_data" "name" {
  input = "/shop/db-password"
}

data "aws_ssm_parameter" "later" {
  name = terraform_data.name.output
}

output "leak" {
  value = data.aws_ssm_parameter.later.value
}
"#,
    );
    let plan = ws.run(&emulator, "plan", &["--no-color"]);
    assert!(
        plan.code == 1 && plan.stderr.contains("Output refers to sensitive values"),
        "{}",
        plan.log()
    );
    let ws = Workspace::with_main(PARAMETERS_AND_TOKEN);
    ws.apply_ok(&emulator);
    let output = ws.run(&emulator, "output", &["--json", "--show-sensitive"]);
    assert_eq!(output.code, 0, "{}", output.log());
    let outputs = values(&output.stdout);
    assert_eq!(outputs["ami"], ami);
    assert_eq!(outputs["ami_type"], "String");
    assert_eq!(
        outputs["password_hidden"],
        Json::Null,
        "a SecureString has no insecure_value"
    );
    assert_eq!(outputs["password"], "s3cret-value", "decrypted by default");

    // The token: a presigned GetCallerIdentity on the provider's STS
    // endpoint that STS answers when the cluster header comes with it.
    let token = outputs["token"].as_str().expect("token");
    let encoded = token
        .strip_prefix("k8s-aws-v1.")
        .expect("the token's prefix");
    let url = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(encoded)
        .expect("base64url");
    let url = String::from_utf8(url).expect("a URL");
    assert!(
        url.starts_with(&format!(
            "{}/?Action=GetCallerIdentity&Version=2011-06-15&",
            emulator.endpoint()
        )),
        "{url}"
    );
    assert!(
        url.contains("X-Amz-SignedHeaders=host%3Bx-k8s-aws-id"),
        "{url}"
    );
    // The emulator serves no presigned STS GET, so the signature is checked
    // against botocore's for the same request, credentials and time.
    let verified = std::process::Command::new(repo_path(".venv/bin/python"))
        .args([
            "-c",
            VERIFY_SIGNATURE,
            &url,
            "test",
            "test",
            "us-east-1",
            "shop",
        ])
        .output()
        .expect("run the emulator's python");
    assert_eq!(
        String::from_utf8_lossy(&verified.stdout).trim(),
        "match",
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
}
