//! Engine tests without AWS: stacks are planned against a prior state made
//! by "applying" an earlier plan in memory (unknown values become
//! deterministic fake ids), and the rendered plans are snapshots.
//!
//! Update snapshots with `INSTA_UPDATE=always cargo test --test testsuite plan_engine`
//! (or `cargo insta review`), then read every changed `.snap` file.

use std::collections::BTreeMap;
use std::path::PathBuf;

use terrane::addr::InstanceKey;
use terrane::cli::plan_view;
use terrane::lang::eval::{FileReader, Scope};
use terrane::lang::variables::Unset;
use terrane::lang::{self, Mode};
use terrane::plan::{self, Action, DataValues, Plan, PlanRequest};
use terrane::state::{ResourceState, State};
use terrane::value::{Attrs, Value};

struct NoFiles;

impl FileReader for NoFiles {
    fn read_to_string(&self, path: &std::path::Path) -> std::io::Result<String> {
        Err(std::io::Error::other(format!("no file {}", path.display())))
    }
}

fn availability_zones() -> Value {
    Value::Map(
        Attrs::from([
            ("id".to_string(), Value::string("us-east-1")),
            (
                "names".to_string(),
                Value::from(vec!["us-east-1a", "us-east-1b", "us-east-1c"]),
            ),
        ])
        .into(),
    )
}

/// What the data sources read, as if AWS answered: every one (they are
/// all `aws_availability_zones`) gets the three zones.
fn zones_for_every_data_source(config: &lang::Config) -> DataValues {
    config
        .resources
        .iter()
        .enumerate()
        .filter(|(_, r)| r.mode == Mode::Data)
        .map(|(i, _)| {
            (
                i,
                BTreeMap::from([(InstanceKey::None, availability_zones())]),
            )
        })
        .collect()
}

/// Plans `source` (one `main.tf`) against `prior`.
fn plan_of(source: &str, prior: &State) -> Plan {
    let (mut config, diags) = lang::load(
        "stack",
        vec![(PathBuf::from("stack/main.tf"), source.to_string())],
    );
    assert!(!diags.has_errors(), "{diags:?}");
    let (graph, diags) = terrane::graph::build(&config);
    assert!(!diags.has_errors(), "{diags:?}");
    let (variables, diags) = lang::variables::resolve(&mut config, &[], &NoFiles, Unset::Required);
    assert!(!diags.has_errors(), "{diags:?}");
    let scope: BTreeMap<String, Value> =
        BTreeMap::from([("var".to_string(), Value::Map(variables.clone().into()))]);
    let mut default_tags = BTreeMap::new();
    for provider in &config.providers {
        let (evaluated, diags) = lang::provider_config::evaluate(
            &config,
            provider,
            &scope as &dyn Scope,
            &NoFiles,
            Unset::Required,
        );
        assert!(!diags.has_errors(), "{diags:?}");
        default_tags.insert(provider.name(), evaluated.default_tags);
    }
    let data = zones_for_every_data_source(&config);
    let (plan, diags) = plan::plan(PlanRequest {
        config: &config,
        graph: &graph,
        variables,
        data,
        prior,
        default_tags,
        files: &NoFiles,
        destroy: false,
        validate_only: false,
        targeting: Default::default(),
        timestamp: Some(0),
    });
    assert!(!diags.has_errors(), "{diags:?}");
    plan
}

/// Builds `source` from nothing in memory, the way apply would: each round
/// applies the plan (unknown values become `<address>.<attribute>`) and plans
/// again, until values that depended on other resources' ids have settled.
fn built(source: &str) -> State {
    let mut state = State::new();
    for _ in 0..5 {
        let plan = plan_of(source, &state);
        if actions(&plan).is_empty() {
            return state;
        }
        state = fake_apply(&plan);
    }
    panic!("the stack did not settle after 5 rounds")
}

/// Applies a plan in memory, as a provider that echoes the planned values
/// would: unknown values become `<address>.<attribute>`.
fn fake_apply(plan: &Plan) -> State {
    fn fill(value: &Value, path: &str) -> Value {
        match value {
            Value::Unknown => Value::string(path),
            Value::List(items) => Value::List(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| fill(v, &format!("{path}[{i}]")))
                    .collect(),
            ),
            Value::Map(map) => Value::Map(
                map.iter()
                    .map(|(k, v)| (k.clone(), fill(v, &format!("{path}.{k}"))))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    let mut state = State::new();
    for change in &plan.resource_changes {
        let Some(after) = &change.after else { continue };
        let Value::Map(attributes) = fill(&Value::Map(after.clone().into()), &change.address)
        else {
            unreachable!("a map fills to a map")
        };
        state.upsert(ResourceState {
            address: change.address.clone(),
            type_name: change.type_name.clone(),
            id: attributes
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            attributes: attributes.into_attrs(),
            dependencies: change.dependencies.clone(),
            provider: change.provider.clone(),
            sensitive_attributes: Vec::new(),
        });
    }
    state
}

/// The errors of planning `source` against `state`.
fn plan_errors(source: &str, state: &State, destroy: bool) -> Vec<String> {
    let (mut config, _) = lang::load(
        "stack",
        vec![(PathBuf::from("stack/main.tf"), source.to_string())],
    );
    let (graph, _) = terrane::graph::build(&config);
    let (variables, _) = lang::variables::resolve(&mut config, &[], &NoFiles, Unset::Required);
    let data = zones_for_every_data_source(&config);
    let (_, diags) = plan::plan(PlanRequest {
        config: &config,
        graph: &graph,
        variables,
        data,
        prior: state,
        default_tags: BTreeMap::from([(
            "aws".to_string(),
            BTreeMap::from([("Stack".to_string(), "test".to_string())]),
        )]),
        files: &NoFiles,
        destroy,
        validate_only: false,
        targeting: Default::default(),
        timestamp: Some(0),
    });
    diags
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.summary.clone())
        .collect::<Vec<_>>()
}

fn actions(plan: &Plan) -> Vec<(String, Action)> {
    plan.resource_changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .map(|c| (c.address.clone(), c.action))
        .collect()
}

const NETWORK: &str = r#"
provider "aws" {
  region = "us-east-1"
  default_tags {
    tags = { Stack = "test" }
  }
}

variable "subnets" {
  type    = number
  default = 2
}

data "aws_availability_zones" "available" {
  state = "available"
}

resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
  tags       = { Name = "main" }
}

resource "aws_subnet" "public" {
  count             = var.subnets
  vpc_id            = aws_vpc.main.id
  cidr_block        = cidrsubnet(aws_vpc.main.cidr_block, 8, count.index)
  availability_zone = data.aws_availability_zones.available.names[count.index]
}

resource "aws_security_group" "web" {
  name   = "web"
  vpc_id = aws_vpc.main.id

  ingress {
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0", "10.0.0.0/8"]
  }

  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
"#;

#[test]
fn first_plan_creates_everything_with_unknowns_for_computed_values() {
    let plan = plan_of(NETWORK, &State::new());
    insta::assert_snapshot!(plan_view::render(&plan));
}

#[test]
fn applying_then_planning_again_changes_nothing() {
    let state = built(NETWORK);
    let plan = plan_of(NETWORK, &state);
    assert_eq!(actions(&plan), vec![], "{}", plan_view::render(&plan));
}

#[test]
fn set_blocks_and_sets_compare_regardless_of_order() {
    let state = built(NETWORK);
    // The same rules and CIDR blocks, written in another order, with the
    // protocol as AWS's number.
    let reordered = NETWORK
        .replace(
            "[\"0.0.0.0/0\", \"10.0.0.0/8\"]",
            "[\"10.0.0.0/8\", \"0.0.0.0/0\"]",
        )
        .replace(
            "from_port   = 443\n    to_port     = 443\n    protocol    = \"tcp\"",
            "from_port   = 443\n    to_port     = 443\n    protocol    = \"6\"",
        );
    assert_ne!(reordered, NETWORK);
    let plan = plan_of(&reordered, &state);
    assert_eq!(actions(&plan), vec![], "{}", plan_view::render(&plan));
}

#[test]
fn a_tag_edit_is_one_in_place_update() {
    let state = built(NETWORK);
    let plan = plan_of(
        &NETWORK.replace("Name = \"main\"", "Name = \"renamed\""),
        &state,
    );
    assert_eq!(
        actions(&plan),
        vec![("aws_vpc.main".to_string(), Action::Update)]
    );
    insta::assert_snapshot!(plan_view::render(&plan));
}

#[test]
fn a_default_tag_edit_updates_every_tagged_resource() {
    let state = built(NETWORK);
    let plan = plan_of(
        &NETWORK.replace("Stack = \"test\"", "Stack = \"prod\""),
        &state,
    );
    let updated: Vec<String> = actions(&plan).into_iter().map(|(a, _)| a).collect();
    assert_eq!(
        updated,
        [
            "aws_security_group.web",
            "aws_subnet.public[0]",
            "aws_subnet.public[1]",
            "aws_vpc.main"
        ]
    );
}

#[test]
fn a_forcing_change_replaces_and_cascades_to_dependents_that_must_follow() {
    let state = built(NETWORK);
    let plan = plan_of(
        &NETWORK.replace(
            "cidr_block = \"10.0.0.0/16\"",
            "cidr_block = \"10.1.0.0/16\"",
        ),
        &state,
    );
    // The VPC is replaced; subnets and the security group take its new id,
    // which forces their replacement too.
    assert_eq!(
        actions(&plan),
        vec![
            (
                "aws_security_group.web".to_string(),
                Action::DeleteThenCreate
            ),
            ("aws_subnet.public[0]".to_string(), Action::DeleteThenCreate),
            ("aws_subnet.public[1]".to_string(), Action::DeleteThenCreate),
            ("aws_vpc.main".to_string(), Action::DeleteThenCreate),
        ]
    );
    insta::assert_snapshot!(plan_view::render(&plan));
}

#[test]
fn shrinking_count_destroys_the_last_instance_only() {
    let state = built(NETWORK);
    let plan = plan_of(&NETWORK.replace("default = 2", "default = 1"), &state);
    assert_eq!(
        actions(&plan),
        vec![("aws_subnet.public[1]".to_string(), Action::Delete)]
    );
    assert_eq!(plan.summary(), (0, 0, 1));
}

#[test]
fn resources_removed_from_the_files_are_destroyed_in_dependency_order() {
    let state = built(NETWORK);
    let plan = plan_of("provider \"aws\" {}\n", &state);
    assert_eq!(plan.summary(), (0, 0, 4));
    // Deletes wait for what depends on them: subnets and the security group
    // before the VPC.
    let steps = terrane::apply::steps::build(&plan);
    let order = petgraph::algo::toposort(&steps, None).expect("acyclic");
    let position = |address: &str| {
        order
            .iter()
            .position(|&n| {
                steps[n].is_some_and(|s| plan.resource_changes[s.change].address == address)
            })
            .expect("step exists")
    };
    assert!(position("aws_subnet.public[0]") < position("aws_vpc.main"));
    assert!(position("aws_security_group.web") < position("aws_vpc.main"));
}

#[test]
fn replacement_steps_delete_before_create_and_respect_dependencies() {
    let state = built(NETWORK);
    let plan = plan_of(
        &NETWORK.replace(
            "cidr_block = \"10.0.0.0/16\"",
            "cidr_block = \"10.1.0.0/16\"",
        ),
        &state,
    );
    let steps = terrane::apply::steps::build(&plan);
    let order = petgraph::algo::toposort(&steps, None).expect("the step graph has no cycle");
    let position = |address: &str, op: terrane::apply::Op| {
        order
            .iter()
            .position(|&n| {
                steps[n].is_some_and(|s| {
                    plan.resource_changes[s.change].address == address && s.op == op
                })
            })
            .expect("step exists")
    };
    use terrane::apply::Op::{Create, Delete};
    assert!(position("aws_subnet.public[0]", Delete) < position("aws_vpc.main", Delete));
    assert!(position("aws_vpc.main", Delete) < position("aws_vpc.main", Create));
    assert!(position("aws_vpc.main", Create) < position("aws_subnet.public[0]", Create));
}

#[test]
fn prevent_destroy_refuses_plans_that_would_destroy_the_instance() {
    let protected = NETWORK.replace(
        "  tags       = { Name = \"main\" }\n}",
        "  tags       = { Name = \"main\" }\n\n  lifecycle {\n    prevent_destroy = true\n  }\n}",
    );
    assert_ne!(protected, NETWORK);
    let state = built(&protected);
    // An update in place is fine; a replacement is refused.
    assert_eq!(
        plan_errors(
            &protected.replace("Name = \"main\"", "Name = \"x\""),
            &state,
            false
        ),
        Vec::<String>::new()
    );
    assert_eq!(
        plan_errors(
            &protected.replace("10.0.0.0/16", "10.9.0.0/16"),
            &state,
            false
        ),
        ["Instance cannot be destroyed: aws_vpc.main"]
    );
    // `destroy` is refused too, while the block keeps the setting.
    assert_eq!(
        plan_errors(&protected, &state, true),
        ["Instance cannot be destroyed: aws_vpc.main"]
    );
}

#[test]
fn an_edited_rule_shows_just_what_changed_in_it() {
    let state = built(NETWORK);
    let edited = NETWORK.replace(
        "from_port   = 443\n    to_port     = 443",
        "from_port   = 8443\n    to_port     = 8443",
    );
    let plan = plan_of(&edited, &state);
    assert_eq!(
        actions(&plan),
        vec![("aws_security_group.web".to_string(), Action::Update)]
    );
    insta::assert_snapshot!(plan_view::render(&plan));
}

#[test]
fn dynamic_blocks_generate_one_nested_block_per_element() {
    let plan = plan_of(
        r#"
        variable "rules" {
          default = { http = 80, https = 443 }
        }
        resource "aws_security_group" "web" {
          name = "web"
          dynamic "ingress" {
            for_each = var.rules
            iterator = rule
            content {
              description = rule.key
              from_port   = rule.value
              to_port     = rule.value
              protocol    = "tcp"
              cidr_blocks = ["0.0.0.0/0"]
            }
          }
        }
        resource "aws_lb_listener" "http" {
          load_balancer_arn = "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/x/1"
          port              = 80
          protocol          = "HTTP"
          dynamic "default_action" {
            for_each = ["fixed-response"]
            content {
              type = default_action.value
              dynamic "fixed_response" {
                for_each = ["ok"]
                iterator = body
                content {
                  content_type = "text/plain"
                  message_body = "${body.value} from ${default_action.value}"
                  status_code  = "200"
                }
              }
            }
          }
        }
        "#,
        &State::new(),
    );
    let after = |address: &str| {
        plan.resource_changes
            .iter()
            .find(|c| c.address == address)
            .and_then(|c| c.after.clone())
            .unwrap()
    };
    let group = after("aws_security_group.web");
    let mut ports: Vec<(String, String)> = group["ingress"]
        .as_list()
        .unwrap()
        .iter()
        .map(|rule| {
            let Value::Map(rule) = rule else {
                panic!("{rule:?}")
            };
            (
                rule["description"].to_string(),
                rule["from_port"].to_string(),
            )
        })
        .collect();
    ports.sort();
    assert_eq!(
        ports,
        [
            ("\"http\"".to_string(), "80".to_string()),
            ("\"https\"".to_string(), "443".to_string())
        ]
    );
    let listener = after("aws_lb_listener.http");
    let actions = listener["default_action"].as_list().unwrap();
    assert_eq!(actions.len(), 1);
    let Value::Map(action) = &actions[0] else {
        panic!()
    };
    let Value::Map(response) = &action["fixed_response"].as_list().unwrap()[0] else {
        panic!()
    };
    assert_eq!(
        response["message_body"],
        Value::string("ok from fixed-response")
    );
}

/// Optional object attributes take their defaults before resources see them.
#[test]
fn optional_object_attributes_reach_resources_with_their_defaults() {
    let source = std::fs::read_to_string(crate::support::cli::repo_path(
        "tests/fixtures/valid/optional_attributes/main.tf",
    ))
    .expect("fixture");
    let plan = plan_of(&source, &State::new());
    let after = |address: &str| {
        plan.resource_changes
            .iter()
            .find(|c| c.address == address)
            .and_then(|c| c.after.clone())
            .unwrap_or_else(|| panic!("{address} is planned"))
    };
    let a = after("aws_subnet.each[\"a\"]");
    let b = after("aws_subnet.each[\"b\"]");
    assert_eq!(a["map_public_ip_on_launch"], Value::Bool(true));
    assert_eq!(
        b["map_public_ip_on_launch"],
        Value::Bool(false),
        "the default"
    );
    assert_eq!(
        b["tags"],
        Value::Map(
            Attrs::from([
                ("Name".to_string(), Value::string("b")),
                ("Tier".to_string(), Value::string("data")),
            ])
            .into()
        )
    );
    assert_eq!(
        a["tags"],
        Value::Map(Attrs::from([("Name".to_string(), Value::string("a"))]).into()),
        "an empty map by default, merged"
    );
}

/// An object recorded under one provider configuration is never planned
/// under another: that would delete it in the wrong region and forget it.
#[test]
fn moving_an_object_to_another_provider_configuration_is_refused() {
    let source = "resource \"aws_vpc\" \"main\" {\n  cidr_block = \"10.0.0.0/16\"\n}\n";
    let state = built(source);
    let aliased = source.replace(
        "resource \"aws_vpc\" \"main\" {\n",
        "provider \"aws\" {\n  alias = \"dr\"\n}\n\nresource \"aws_vpc\" \"main\" {\n  provider = aws.dr\n",
    );
    assert_eq!(
        plan_errors(&aliased, &state, false),
        ["aws_vpc.main is managed by the provider configuration aws, but now names aws.dr"]
    );
}

/// A precondition is checked for each instance before it is planned.
#[test]
fn preconditions_stop_the_plan_when_false() {
    let source = |count: u32| {
        format!(
            "resource \"aws_vpc\" \"main\" {{\n  count      = {count}\n  cidr_block = \"10.${{count.index}}.0.0/16\"\n  lifecycle {{\n    precondition {{\n      condition     = count.index < 1\n      error_message = \"only one VPC, not ${{count.index + 1}}\"\n    }}\n  }}\n}}\n"
        )
    };
    assert!(plan_errors(&source(1), &State::new(), false).is_empty());
    assert_eq!(
        plan_errors(&source(2), &State::new(), false),
        ["Resource precondition failed: aws_vpc.main"]
    );
}

/// A sensitive variable marks what is computed from it: the attribute set
/// from it is named sensitive in the plan, another resource referring to
/// that attribute gets a sensitive value too, and an output exposing it
/// must say `sensitive = true`.
#[test]
fn sensitivity_follows_values_through_expressions_and_resources() {
    let source = r#"
variable "secret" {
  type      = string
  default   = "hunter2-not-for-logs"
  sensitive = true
}

locals {
  tags = { Name = "web", Token = "${var.secret}-x" }
}

resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
  tags       = local.tags
}

resource "aws_subnet" "a" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.1.0/24"
  tags       = { Copied = aws_vpc.main.tags["Token"], Plain = aws_vpc.main.cidr_block }
}

output "token" {
  value     = aws_vpc.main.tags
  sensitive = true
}
"#;
    let plan = plan_of(source, &State::new());
    let change = |address: &str| {
        plan.resource_changes
            .iter()
            .find(|c| c.address == address)
            .unwrap()
    };
    assert_eq!(change("aws_vpc.main").sensitive, ["tags", "tags_all"]);
    assert_eq!(change("aws_subnet.a").sensitive, ["tags", "tags_all"]);
    assert!(plan.outputs["token"].sensitive);
    let shown = plan_view::render(&plan);
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("(sensitive value)"), "{shown}");

    let exposed = source.replace(
        "  value     = aws_vpc.main.tags\n  sensitive = true\n",
        "  value     = aws_vpc.main.tags\n",
    );
    assert_eq!(
        plan_errors(&exposed, &State::new(), false),
        ["Output refers to sensitive values"]
    );
}

/// A VPC and a subnet, with `lifecycle` settings for the subnet and the
/// VPC's Name tag and the subnet's CIDR and tags as given.
fn lifecycle_stack(vpc_name: &str, cidr: &str, tags: &str, lifecycle: &str) -> String {
    format!(
        "resource \"aws_vpc\" \"main\" {{\n  cidr_block = \"10.0.0.0/16\"\n  tags = {{ Name = \"{vpc_name}\" }}\n}}\n\nresource \"aws_subnet\" \"a\" {{\n  vpc_id     = aws_vpc.main.id\n  cidr_block = \"{cidr}\"\n  tags       = {tags}\n  lifecycle {{\n    {lifecycle}\n  }}\n}}\n"
    )
}

#[test]
fn ignore_changes_keeps_what_exists() {
    let tags = "{ Name = \"a\" }";
    let state = built(&lifecycle_stack("v", "10.0.1.0/24", tags, ""));
    let edited = "{ Name = \"b\", Env = \"x\" }";

    let plan = plan_of(
        &lifecycle_stack("v", "10.0.1.0/24", edited, "ignore_changes = [tags]"),
        &state,
    );
    assert_eq!(actions(&plan), vec![], "tags are ignored");

    let plan = plan_of(
        &lifecycle_stack(
            "v",
            "10.0.1.0/24",
            edited,
            "ignore_changes = [tags[\"Name\"]]",
        ),
        &state,
    );
    assert_eq!(
        actions(&plan),
        vec![("aws_subnet.a".to_string(), Action::Update)]
    );
    let after = plan.resource_changes[0].after.as_ref().unwrap();
    assert_eq!(
        after["tags"],
        Value::Map(
            Attrs::from([
                ("Env".to_string(), Value::string("x")),
                ("Name".to_string(), Value::string("a")),
            ])
            .into()
        ),
        "the Name tag keeps its value, the new tag is added"
    );

    let plan = plan_of(
        &lifecycle_stack("v", "10.0.9.0/24", edited, "ignore_changes = all"),
        &state,
    );
    assert_eq!(
        actions(&plan),
        vec![],
        "all changes are ignored, even one forcing replacement"
    );
}

#[test]
fn create_before_destroy_and_replace_triggered_by_shape_replacements() {
    let tags = "{ Name = \"a\" }";
    let state = built(&lifecycle_stack("v", "10.0.1.0/24", tags, ""));

    let plan = plan_of(
        &lifecycle_stack("v", "10.0.2.0/24", tags, "create_before_destroy = true"),
        &state,
    );
    assert_eq!(
        actions(&plan),
        vec![("aws_subnet.a".to_string(), Action::CreateThenDelete)]
    );
    assert!(plan_view::render(&plan).contains("+/- resource \"aws_subnet\" \"a\""));

    // The VPC's tag changes in place; the subnet is replaced because it
    // names the VPC in replace_triggered_by.
    let plan = plan_of(
        &lifecycle_stack(
            "v2",
            "10.0.1.0/24",
            tags,
            "replace_triggered_by = [aws_vpc.main]",
        ),
        &state,
    );
    assert_eq!(
        actions(&plan),
        vec![
            ("aws_subnet.a".to_string(), Action::DeleteThenCreate),
            ("aws_vpc.main".to_string(), Action::Update),
        ]
    );
    assert!(plan.resource_changes.iter().any(|c| c.requested));
}

/// An object left deposed by an interrupted create-before-destroy
/// replacement is deleted by the next plan, beside the current one.
#[test]
fn deposed_objects_are_planned_for_deletion() {
    let source = lifecycle_stack("v", "10.0.1.0/24", "{ Name = \"a\" }", "");
    let mut state = built(&source);
    let mut old = state.resource("aws_subnet.a").unwrap().clone();
    old.id = "subnet-old".into();
    state.deposed.push(old);
    let plan = plan_of(&source, &state);
    let deletes: Vec<_> = plan
        .resource_changes
        .iter()
        .filter(|c| c.action == Action::Delete)
        .collect();
    assert_eq!(deletes.len(), 1);
    assert!(deletes[0].deposed && deletes[0].address == "aws_subnet.a");
    assert!(plan_view::render(&plan).contains("# aws_subnet.a (deposed object) will be destroyed"));
}
