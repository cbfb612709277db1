//! Modules in the engine, without AWS: how calls expand into addresses and
//! provider configurations, modules installed by `terraform init`, and
//! modules whose `count` is not known while validating.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use terrane::lang::eval::FileReader;
use terrane::ops::{self, StackOptions};
use terrane::plan::{self, PlanRequest};
use terrane::state::State;

use crate::support::cli::repo_path;

struct DiskFiles;

impl FileReader for DiskFiles {
    fn read_to_string(&self, path: &Path) -> std::io::Result<String> {
        std::fs::read_to_string(path)
    }
}

fn load(dir: &Path, validate_only: bool) -> Result<ops::Stack, String> {
    ops::load(&StackOptions {
        dir: dir.to_path_buf(),
        validate_only,
        ..StackOptions::default()
    })
    .map_err(|report| {
        report
            .diags
            .iter()
            .map(|d| format!("{}: {:?}", d.summary, d.detail))
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// Every planned instance as `action address (provider)`, and the outputs.
fn plan_summary(stack: &ops::Stack) -> String {
    let empty = State::new();
    let (plan, diags) = plan::plan(PlanRequest {
        config: &stack.config,
        graph: &stack.graph,
        variables: stack.variables.clone(),
        data: BTreeMap::new(),
        prior: &empty,
        default_tags: BTreeMap::new(),
        files: &DiskFiles,
        destroy: false,
        validate_only: false,
        targeting: Default::default(),
        timestamp: Some(0),
    });
    assert!(!diags.has_errors(), "{diags:?}");
    let mut out = String::new();
    for change in &plan.resource_changes {
        writeln!(
            out,
            "{} {} ({})",
            change.action.symbol(),
            change.address,
            change.provider
        )
        .unwrap();
    }
    for (name, value) in &plan.outputs {
        writeln!(out, "output {name} = {}", value.value).unwrap();
    }
    out
}

#[test]
fn module_calls_expand_into_addresses_and_provider_configurations() {
    let stack = load(&repo_path("tests/fixtures/valid/modules"), false).expect("loads");
    insta::assert_snapshot!(plan_summary(&stack));
}

/// A registry module `terraform init` installed is used from where the
/// manifest says, with no download.
#[test]
fn modules_installed_by_terraform_init_are_used_in_place() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    std::fs::write(
        root.join("main.tf"),
        r#"
module "vpc" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "~> 5.0"
  cidr    = "10.9.0.0/16"
}

output "vpc_id" {
  value = module.vpc.vpc_id
}
"#,
    )
    .unwrap();
    let installed = root.join(".terraform/modules/vpc");
    std::fs::create_dir_all(&installed).unwrap();
    std::fs::write(
        installed.join("main.tf"),
        r#"
variable "cidr" {
  type = string
}

resource "aws_vpc" "this" {
  cidr_block = var.cidr
}

output "vpc_id" {
  value = aws_vpc.this.id
}
"#,
    )
    .unwrap();
    std::fs::write(
        root.join(".terraform/modules/modules.json"),
        r#"{"Modules":[{"Key":"","Source":"","Dir":"."},{"Key":"vpc","Source":"registry.terraform.io/terraform-aws-modules/vpc/aws","Version":"5.21.0","Dir":".terraform/modules/vpc"}]}"#,
    )
    .unwrap();
    let stack = load(root, false).expect("loads");
    let summary = plan_summary(&stack);
    assert!(
        summary.contains("+ module.vpc.aws_vpc.this (aws)"),
        "{summary}"
    );

    // Without the manifest, the module is not installed: an error naming
    // its source and saying how to install it.
    std::fs::remove_file(root.join(".terraform/modules/modules.json")).unwrap();
    let error = load(root, false).err().expect("fails without the manifest");
    assert!(error.contains("Module \"vpc\" is not installed"), "{error}");
    assert!(error.contains("terraform-aws-modules/vpc/aws"), "{error}");
}

/// `validate` checks a module whose `count` depends on a variable with no
/// value once, and sees its outputs as unknown: indexing them is not an
/// error, as in Terraform.
#[test]
fn a_module_with_unknown_count_validates_as_unknown() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("modules/zone")).unwrap();
    std::fs::write(
        root.join("main.tf"),
        r#"
variable "zones" {
  type = list(string)
}

module "zone" {
  source = "./modules/zone"
  count  = length(var.zones)
  name   = var.zones[count.index]
}

output "third" {
  value = module.zone[2].name
}
"#,
    )
    .unwrap();
    std::fs::write(
        root.join("modules/zone/main.tf"),
        r#"
variable "name" {
  type = string
}

resource "aws_vpc" "this" {
  cidr_block = "10.0.0.0/16"
  tags       = { Name = var.name }
}

output "name" {
  value = var.name
}
"#,
    )
    .unwrap();
    load(root, true).expect("validates with zones unknown");
    let error = load(root, false).err().expect("plan needs the value");
    assert!(error.contains("No value for required variable"), "{error}");
}

/// A null argument: the default for a `nullable = false` variable, null for
/// any other, as in Terraform.
#[test]
fn null_arguments_follow_nullable() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("modules/net")).unwrap();
    std::fs::write(
        root.join("main.tf"),
        r#"
module "net" {
  source = "./modules/net"
  octet  = null
  name   = null
}

output "cidr" {
  value = module.net.cidr
}

output "name_is_null" {
  value = module.net.name == null
}

output "greeting" {
  value = module.net.greeting
}

output "root_path" {
  value = path.module
}
"#,
    )
    .unwrap();
    std::fs::write(
        root.join("modules/net/main.tf"),
        r#"
variable "octet" {
  type     = number
  default  = 9
  nullable = false
}

variable "name" {
  type    = string
  default = "net"
}

output "cidr" {
  value = "10.${var.octet}.0.0/16"
}

output "name" {
  value = var.name
}

output "greeting" {
  value = file("${path.module}/greeting.txt")
}
"#,
    )
    .unwrap();
    std::fs::write(root.join("modules/net/greeting.txt"), "hello").unwrap();
    let summary = plan_summary(&load(root, false).expect("loads"));
    // path.module is relative to the stack, so a module finds its files
    // wherever the stack directory is.
    assert!(summary.contains("output greeting = \"hello\""), "{summary}");
    assert!(summary.contains("output root_path = \".\""), "{summary}");
    assert!(
        summary.contains("output cidr = \"10.9.0.0/16\""),
        "{summary}"
    );
    assert!(summary.contains("output name_is_null = true"), "{summary}");
}

/// `depends_on = [module.network]` waits for every resource in the module,
/// not only those its outputs name (the internet gateway feeds no output).
#[test]
fn depends_on_a_module_means_all_its_resources() {
    let stack = load(&repo_path("tests/fixtures/valid/modules"), false).expect("loads");
    let config = &stack.config;
    let web = config
        .resources
        .iter()
        .position(|r| r.address() == "module.web[\"blue\"].aws_security_group.this")
        .expect("the blue web group");
    let deps: Vec<String> = stack.graph.resource_deps[web]
        .iter()
        .map(|&d| config.resources[d].address())
        .collect();
    assert!(
        deps.contains(&"module.network.aws_internet_gateway.this".to_string()),
        "{deps:?}"
    );
}
