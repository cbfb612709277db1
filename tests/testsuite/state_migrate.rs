//! `terrane state migrate-terraform`: a Terraform (format 4) state of
//! objects created outside terrane becomes terrane state in S3, refreshed
//! with one batched read per type, after which `terrane plan` finds nothing
//! to change. With terraform installed, the same holds for stacks that
//! terraform itself applied from the very same .tf files (a small one, and
//! stacks/production). Also: the state format's JSON Schema fits a real
//! state file.

use std::collections::BTreeSet;
use std::process::Command;

use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};
use serde_json::{Value as Json, json};

use crate::state_s3::{S3Stack, state_object};
use crate::support::Emulator;
use crate::support::cli::{Workspace, repo_path, terrane};
use crate::terraform_compat::{provider_mirror, terraform_available, write_cli_config};

const ASSUME_ROLE_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"ec2.amazonaws.com"}}]}"#;

/// The stack that describes the objects the test creates directly.
const MIGRATED_STACK: &str = r#"
terraform {
  backend "s3" {
    bucket       = "terrane-state"
    key          = "app/terrane.json"
    region       = "us-east-1"
    use_lockfile = true
  }
}

provider "aws" {
  region = "us-east-1"

  default_tags {
    tags = { Stack = "migrated" }
  }
}

resource "aws_vpc" "main" {
  cidr_block = "10.42.0.0/16"
  tags       = { Name = "main" }
}

resource "aws_subnet" "a" {
  count             = 2
  vpc_id            = aws_vpc.main.id
  cidr_block        = cidrsubnet("10.42.0.0/16", 8, count.index)
  availability_zone = "us-east-1a"
  tags              = { Name = "a${count.index}" }
}

resource "aws_iam_role" "app" {
  name = "migrated-app"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "ec2.amazonaws.com" }
    }]
  })
  tags = { Team = "core" }
}

output "vpc_id" {
  value = aws_vpc.main.id
}
"#;

fn ec2_tags(resource: ResourceType, name: &str) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(resource)
        .tags(Tag::builder().key("Name").value(name).build())
        .tags(Tag::builder().key("Stack").value("migrated").build())
        .build()
}

/// Creates the stack's objects with plain SDK calls, as Terraform would
/// have; returns (vpc id, subnet ids).
async fn create_objects(emulator: &Emulator) -> (String, Vec<String>) {
    let ec2 = emulator.ec2();
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.42.0.0/16")
        .tag_specifications(ec2_tags(ResourceType::Vpc, "main"))
        .send()
        .await
        .expect("create vpc");
    let vpc_id = vpc
        .vpc()
        .and_then(|v| v.vpc_id())
        .expect("vpc id")
        .to_string();
    let mut subnets = Vec::new();
    for index in 0..2 {
        let subnet = ec2
            .create_subnet()
            .vpc_id(&vpc_id)
            .cidr_block(format!("10.42.{index}.0/24"))
            .availability_zone("us-east-1a")
            .tag_specifications(ec2_tags(ResourceType::Subnet, &format!("a{index}")))
            .send()
            .await
            .expect("create subnet");
        subnets.push(
            subnet
                .subnet()
                .and_then(|s| s.subnet_id())
                .expect("subnet id")
                .to_string(),
        );
    }
    let tag = |key: &str, value: &str| {
        aws_sdk_iam::types::Tag::builder()
            .key(key)
            .value(value)
            .build()
            .expect("tag")
    };
    emulator
        .iam()
        .create_role()
        .role_name("migrated-app")
        .assume_role_policy_document(ASSUME_ROLE_POLICY)
        .tags(tag("Team", "core"))
        .tags(tag("Stack", "migrated"))
        .send()
        .await
        .expect("create role");
    (vpc_id, subnets)
}

/// A Terraform state for those objects, shaped like the ones terraform 1.x
/// writes, with a resource type terrane lacks, a data source and a module.
fn terraform_state(vpc_id: &str, subnets: &[String]) -> Json {
    let subnet = |index: usize| {
        json!({
            "index_key": index,
            "schema_version": 1,
            "attributes": {
                "id": subnets[index],
                "vpc_id": vpc_id,
                "cidr_block": format!("10.42.{index}.0/24"),
                "availability_zone": "us-east-1a",
                "map_public_ip_on_launch": false,
                "tags": { "Name": format!("a{index}") },
                "tags_all": { "Name": format!("a{index}"), "Stack": "migrated" },
                "timeouts": null
            },
            "sensitive_attributes": [],
            "dependencies": ["aws_vpc.main"]
        })
    };
    json!({
        "version": 4,
        "terraform_version": "1.11.4",
        "serial": 12,
        "lineage": "0eadb67c-ea7c-244f-b5e4-f3baddeb7853",
        "outputs": { "vpc_id": { "value": vpc_id, "type": "string" } },
        "resources": [
            {
                "mode": "data", "type": "aws_availability_zones", "name": "all",
                "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
                "instances": [{ "schema_version": 0, "attributes": { "id": "us-east-1" } }]
            },
            {
                "mode": "managed", "type": "aws_iam_role", "name": "app",
                "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
                "instances": [{
                    "schema_version": 0,
                    "attributes": {
                        "id": "migrated-app",
                        "name": "migrated-app",
                        "name_prefix": "",
                        "assume_role_policy": ASSUME_ROLE_POLICY,
                        "description": "",
                        "path": "/",
                        "max_session_duration": 3600,
                        "force_detach_policies": false,
                        "permissions_boundary": "",
                        "inline_policy": [],
                        "tags": { "Team": "core" },
                        "tags_all": { "Team": "core", "Stack": "migrated" }
                    }
                }]
            },
            {
                "mode": "managed", "type": "aws_sqs_queue", "name": "jobs",
                "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
                "instances": [{ "schema_version": 0, "attributes": { "id": "https://sqs/jobs" } }]
            },
            {
                "mode": "managed", "type": "aws_subnet", "name": "a",
                "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
                "instances": [subnet(0), subnet(1)]
            },
            {
                "mode": "managed", "type": "aws_vpc", "name": "main",
                "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
                "instances": [{
                    "schema_version": 1,
                    "attributes": {
                        "id": vpc_id,
                        "cidr_block": "10.42.0.0/16",
                        "enable_dns_hostnames": false,
                        "enable_dns_support": true,
                        "instance_tenancy": "default",
                        "tags": { "Name": "main" },
                        "tags_all": { "Name": "main", "Stack": "migrated" }
                    }
                }]
            },
            {
                "module": "module.extra",
                "mode": "managed", "type": "aws_vpc", "name": "inner",
                "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
                "instances": [{ "schema_version": 1, "attributes": { "id": "vpc-0000" } }]
            }
        ]
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_terraform_state_migrates_and_the_stack_plans_no_changes() {
    let emulator = Emulator::start();
    let s3 = emulator.s3();
    let (vpc_id, subnets) = create_objects(&emulator).await;

    // The Terraform state sits in S3, where teams usually keep it.
    s3.create_bucket()
        .bucket("tf-legacy")
        .send()
        .await
        .expect("bucket");
    let tf_state = terraform_state(&vpc_id, &subnets);
    s3.put_object()
        .bucket("tf-legacy")
        .key("network/terraform.tfstate")
        .body(tf_state.to_string().into_bytes().into())
        .send()
        .await
        .expect("upload terraform state");

    let stack = S3Stack::new(MIGRATED_STACK);
    stack.init_bucket(&emulator);
    let subnet_reads = emulator.action_count("DescribeSubnets");
    let source = "s3://tf-legacy/network/terraform.tfstate";
    let run = terrane(
        &emulator,
        stack.root(),
        &[
            "state".into(),
            "migrate-terraform".into(),
            source.into(),
            stack.path(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.log());
    assert_eq!(
        emulator.action_count("DescribeSubnets") - subnet_reads,
        1,
        "both subnets refreshed with one batched call"
    );
    assert!(
        run.stdout
            .contains("Left out aws_sqs_queue.jobs: terrane does not support aws_sqs_queue"),
        "{}",
        run.log()
    );
    // An instance inside a module keeps its module address; this one's VPC
    // is gone, which the refresh reports as for any other instance.
    assert!(
        run.stderr
            .contains("module.extra.aws_vpc.inner (vpc-0000) no longer exists in AWS"),
        "{}",
        run.log()
    );
    assert!(
        !run.stdout.contains("aws_availability_zones"),
        "data sources are not state"
    );

    let (state, _, encryption) = state_object(&s3).await;
    assert!(encryption.is_some(), "written encrypted");
    assert_eq!(state["serial"], 1);
    let lineage = state["lineage"].as_str().expect("lineage");
    assert_ne!(
        lineage,
        tf_state["lineage"].as_str().unwrap(),
        "a new lineage"
    );
    assert_eq!(lineage.len(), 36, "a UUID: {lineage}");
    let resources = state["resources"].as_array().expect("resources");
    let summary: Vec<(&str, &str)> = resources
        .iter()
        .map(|r| (r["address"].as_str().unwrap(), r["id"].as_str().unwrap()))
        .collect();
    assert_eq!(
        summary,
        [
            ("aws_iam_role.app", "migrated-app"),
            ("aws_subnet.a[0]", subnets[0].as_str()),
            ("aws_subnet.a[1]", subnets[1].as_str()),
            ("aws_vpc.main", vpc_id.as_str()),
        ]
    );
    assert_eq!(resources[1]["dependencies"], json!(["aws_vpc.main"]));
    assert_eq!(
        resources[3]["attributes"]["tags"],
        json!({ "Name": "main" })
    );
    assert_eq!(
        resources[3]["attributes"]["tags_all"],
        json!({ "Name": "main", "Stack": "migrated" })
    );
    assert_eq!(state["outputs"]["vpc_id"]["value"], json!(vpc_id));

    let plan = stack.run(&emulator, &["plan"], &["--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}", plan.log());
    assert!(plan.stdout.contains("No changes."), "{}", plan.log());

    // A terrane state with instances is only replaced on purpose.
    let again = terrane(
        &emulator,
        stack.root(),
        &[
            "state".into(),
            "migrate-terraform".into(),
            source.into(),
            stack.path(),
        ],
    );
    assert_eq!(again.code, 1, "{}", again.log());
    assert!(again.stderr.contains("already holds"), "{}", again.log());
    assert_eq!(state_object(&s3).await.0, state, "nothing written");
    let forced = terrane(
        &emulator,
        stack.root(),
        &[
            "state".into(),
            "migrate-terraform".into(),
            source.into(),
            stack.path(),
            "--force".into(),
        ],
    );
    assert_eq!(forced.code, 0, "{}", forced.log());
    assert_eq!(
        state_object(&s3).await.0["serial"],
        2,
        "serials keep growing"
    );
}

/// What terraform applies, and terrane then plans against: a VPC with two
/// subnets and an IAM role. The provider block points terraform at the
/// emulator; terrane reads the same `endpoints`.
fn terraform_stack(endpoint: &str) -> String {
    let services = ["ec2", "iam", "sts", "s3"]
        .iter()
        .map(|s| format!("    {s} = \"{endpoint}\"\n"))
        .collect::<String>();
    format!(
        r#"
terraform {{
  required_providers {{
    aws = {{ source = "hashicorp/aws" }}
  }}
}}

provider "aws" {{
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  s3_use_path_style           = true

  endpoints {{
{services}  }}

  default_tags {{
    tags = {{ Stack = "tf-migrated" }}
  }}
}}

resource "aws_vpc" "main" {{
  cidr_block           = "10.52.0.0/16"
  enable_dns_hostnames = true
  tags                 = {{ Name = "main" }}
}}

resource "aws_subnet" "a" {{
  count             = 2
  vpc_id            = aws_vpc.main.id
  cidr_block        = cidrsubnet(aws_vpc.main.cidr_block, 8, count.index)
  availability_zone = "us-east-1a"
  tags              = {{ Name = "a${{count.index}}" }}
}}

resource "aws_iam_role" "app" {{
  name = "tf-app"
  assume_role_policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = {{ Service = "ec2.amazonaws.com" }}
    }}]
  }})
  tags = {{ Team = "core" }}
}}
"#
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stack_applied_by_terraform_migrates_with_no_changes() {
    if !terraform_available() {
        eprintln!("skipped: terraform is not installed");
        return;
    }
    let Some(mirror) = provider_mirror() else {
        eprintln!("skipped: no local mirror of the hashicorp/aws provider was found");
        return;
    };
    let emulator = Emulator::start();
    let root = tempfile::tempdir().expect("temp dir");
    let dir = root.path().join("stack");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("main.tf"), terraform_stack(&emulator.endpoint())).unwrap();
    let cli_config = write_cli_config(root.path(), &mirror);
    let terraform = |args: &[&str]| {
        let output = Command::new("terraform")
            .args(args)
            .current_dir(&dir)
            .env("TF_CLI_CONFIG_FILE", &cli_config)
            .env("TF_IN_AUTOMATION", "1")
            .envs(emulator.env())
            .output()
            .expect("run terraform");
        assert!(
            output.status.success(),
            "terraform {args:?} failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    };
    terraform(&["init", "-input=false", "-no-color"]);
    terraform(&["apply", "-auto-approve", "-input=false", "-no-color"]);

    let state_path = root.path().join("terrane.json");
    let run = terrane(
        &emulator,
        root.path(),
        &[
            "state".into(),
            "migrate-terraform".into(),
            dir.join("terraform.tfstate").display().to_string(),
            dir.display().to_string(),
            "--state".into(),
            state_path.display().to_string(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.log());
    let state: Json =
        serde_json::from_str(&std::fs::read_to_string(&state_path).expect("state written"))
            .expect("state JSON");
    let addresses: BTreeSet<&str> = state["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["address"].as_str().unwrap())
        .collect();
    assert_eq!(
        addresses,
        BTreeSet::from([
            "aws_iam_role.app",
            "aws_subnet.a[0]",
            "aws_subnet.a[1]",
            "aws_vpc.main"
        ])
    );

    let plan = terrane(
        &emulator,
        root.path(),
        &[
            "plan".into(),
            dir.display().to_string(),
            "--state".into(),
            state_path.display().to_string(),
            "--detailed-exitcode".into(),
        ],
    );
    assert_eq!(plan.code, 0, "{}", plan.log());
}

/// The issue's acceptance test: stacks/production, applied by terraform
/// from its own files, migrated, then planned by terrane with no changes.
#[tokio::test(flavor = "multi_thread")]
async fn stacks_production_applied_by_terraform_migrates_with_no_changes() {
    if !terraform_available() {
        eprintln!("skipped: terraform is not installed");
        return;
    }
    let Some(mirror) = provider_mirror() else {
        eprintln!("skipped: no local mirror of the hashicorp/aws provider was found");
        return;
    };
    let emulator = Emulator::start();
    let ws = Workspace::copy_of("stacks/production");
    ws.write(
        "override.tf",
        &crate::support::terraform::provider_override(&emulator.endpoint(), None),
    );
    let cli_config = write_cli_config(ws.root(), &mirror);
    for args in [
        &["init", "-input=false", "-no-color"][..],
        &["apply", "-auto-approve", "-input=false", "-no-color"],
    ] {
        crate::support::terraform::run_terraform(&ws.stack, &cli_config, &emulator.env(), args);
    }
    ws.remove("override.tf");

    let run = terrane(
        &emulator,
        ws.root(),
        &[
            "state".into(),
            "migrate-terraform".into(),
            ws.stack.join("terraform.tfstate").display().to_string(),
            ws.stack.display().to_string(),
            "--state".into(),
            ws.state.display().to_string(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.log());
    assert!(
        run.stdout.contains("left out 0"),
        "every type is supported:\n{}",
        run.log()
    );
    let plan = ws.run(&emulator, "plan", &["--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}", plan.log());
}

/// The JSON Schema in state/ describes real state files: every property a
/// state file has is declared with the right JSON type, and every required
/// one is present. A small structural check of the keywords the schema
/// uses, not a full JSON Schema validator.
#[test]
fn the_state_schema_fits_a_real_state_file() {
    let schema: Json = serde_json::from_str(
        &std::fs::read_to_string(repo_path("state/state.schema.json")).expect("schema file"),
    )
    .expect("schema is JSON");
    let mut state = terrane::state::State::new();
    state.serial = 3;
    state.outputs.insert(
        "vpc_id".into(),
        terrane::state::OutputState {
            value: terrane::value::Value::string("vpc-1"),
            sensitive: false,
        },
    );
    state.upsert(terrane::state::ResourceState {
        address: "aws_subnet.a[0]".into(),
        type_name: "aws_subnet".into(),
        id: "subnet-1".into(),
        attributes: terrane::value::attrs([
            ("id", terrane::value::Value::string("subnet-1")),
            (
                "map_public_ip_on_launch",
                terrane::value::Value::Bool(false),
            ),
        ]),
        dependencies: vec!["aws_vpc.main".into()],
        provider: "aws".into(),
        sensitive_attributes: Vec::new(),
    });
    let planned = state.resources[0].clone();
    state.pending.push(terrane::state::PendingOperation {
        address: "aws_vpc.main".into(),
        operation: "create".into(),
        client_token: "t".into(),
        started_at: "2026-01-01T00:00:00Z".into(),
        planned: Some(Box::new(planned)),
    });
    let instance: Json = serde_json::from_str(&state.to_json()).unwrap();
    let mut problems = Vec::new();
    check_against(&schema, &schema, &instance, "$", &mut problems);
    assert!(problems.is_empty(), "{problems:#?}");

    // The check can fail: a wrong type and a missing property are caught.
    let mut broken = instance.clone();
    broken["serial"] = json!("three");
    broken.as_object_mut().unwrap().remove("lineage");
    let mut problems = Vec::new();
    check_against(&schema, &schema, &broken, "$", &mut problems);
    assert_eq!(problems.len(), 2, "{problems:#?}");
}

fn check_against(root: &Json, schema: &Json, value: &Json, path: &str, problems: &mut Vec<String>) {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/$defs/");
        return check_against(root, &root["$defs"][name], value, path, problems);
    }
    let types: Vec<&str> = match &schema["type"] {
        Json::String(t) => vec![t.as_str()],
        Json::Array(ts) => ts.iter().filter_map(Json::as_str).collect(),
        _ => vec![],
    };
    let actual = match value {
        Json::Null => "null",
        Json::Bool(_) => "boolean",
        Json::Number(n) if n.is_u64() || n.is_i64() => "integer",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    };
    let fits = types.is_empty()
        || types.contains(&actual)
        || (actual == "integer" && types.contains(&"number"));
    if !fits {
        problems.push(format!("{path}: {actual}, expected {types:?}"));
        return;
    }
    if let (Json::Object(map), Some(properties)) = (value, schema["properties"].as_object()) {
        for required in schema["required"].as_array().into_iter().flatten() {
            let name = required.as_str().unwrap_or_default();
            if !map.contains_key(name) {
                problems.push(format!("{path}: missing {name}"));
            }
        }
        for (name, item) in map {
            match properties.get(name) {
                Some(property) => {
                    check_against(root, property, item, &format!("{path}.{name}"), problems)
                }
                None if schema["additionalProperties"] == json!(false) => {
                    problems.push(format!("{path}: undeclared {name}"))
                }
                None => {}
            }
        }
    }
    if let (Json::Object(map), Some(values)) = (value, schema.get("additionalProperties"))
        && values.is_object()
    {
        for (name, item) in map {
            check_against(root, values, item, &format!("{path}.{name}"), problems);
        }
    }
    if let (Json::Array(items), Some(item_schema)) = (value, schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            check_against(root, item_schema, item, &format!("{path}[{i}]"), problems);
        }
    }
}
