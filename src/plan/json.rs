//! The machine-readable plan: one JSON document in the shape of
//! `terraform show -json PLANFILE` (format 1.2), so tools written for
//! Terraform's plans read terrane's. docs/plan-json.md documents every field
//! and every difference. Pure.
//!
//! Sensitive values never appear: where Terraform writes the value and marks
//! it in `*_sensitive`, terrane writes `null` and marks it the same way.

use std::collections::BTreeMap;

use hcl_edit::structure::{Body, Structure};
use serde_json::{Map, Value as Json, json};

use crate::addr::{InstanceAddr, InstanceKey};
use crate::lang::config::Expr;
use crate::lang::eval::{EvalContext, FileReader, eval};
use crate::lang::references::references;
use crate::lang::{Config, Mode, ROOT};
use crate::provider;
use crate::state::{ResourceState, State};
use crate::value::{Attrs, Value};

use super::{Action, Plan, PlanMode, ReadReason, ResourceChange, schema_sensitive};

/// The format version, as Terraform numbers its plan JSON.
pub const FORMAT_VERSION: &str = "1.2";
/// The Terraform release whose language and plan format terrane follows.
pub const TERRAFORM_VERSION: &str = "1.11.0";
/// Where Terraform says the AWS provider comes from.
const AWS_PROVIDER: &str = "registry.terraform.io/hashicorp/aws";

/// What the JSON document is made from.
pub struct PlanJson<'a> {
    pub plan: &'a Plan,
    pub config: &'a Config,
    /// The state the plan was made against, as refreshed.
    pub prior: &'a State,
    /// The root module's variables, without marks.
    pub variables: &'a BTreeMap<String, Value>,
    pub files: &'a dyn FileReader,
    /// When the plan was made, RFC 3339.
    pub timestamp: String,
}

pub fn render(input: &PlanJson<'_>) -> Json {
    let plan = input.plan;
    let variables: Map<String, Json> = input
        .variables
        .iter()
        .map(|(name, value)| {
            let sensitive = input.config.variable(name).is_some_and(|v| v.sensitive);
            let entry = if sensitive {
                json!({ "sensitive": true })
            } else {
                json!({ "value": known(value) })
            };
            (name.clone(), entry)
        })
        .collect();
    let changes: Vec<Json> = plan
        .resource_changes
        .iter()
        .map(|c| resource_change(c, plan.imported.contains(&c.address)))
        .collect();
    let drift: Vec<Json> = plan
        .drift
        .iter()
        .map(|c| resource_change(c, false))
        .collect();
    json!({
        "format_version": FORMAT_VERSION,
        "terraform_version": TERRAFORM_VERSION,
        "terrane_version": env!("CARGO_PKG_VERSION"),
        "variables": variables,
        "planned_values": planned_values(plan),
        "resource_drift": drift,
        "resource_changes": changes,
        "output_changes": output_changes(plan, input.prior),
        "prior_state": prior_state(input.prior, plan),
        "configuration": configuration(input),
        "timestamp": input.timestamp,
        "applyable": plan.has_changes(),
        "complete": true,
        "errored": false,
        "refresh_only": plan.mode == PlanMode::RefreshOnly,
    })
}

/// `["create"]`, `["delete", "create"]`, ... as Terraform names actions.
pub fn actions(action: Action) -> Vec<&'static str> {
    match action {
        Action::NoOp => vec!["no-op"],
        Action::Create => vec!["create"],
        Action::Update => vec!["update"],
        Action::DeleteThenCreate => vec!["delete", "create"],
        Action::CreateThenDelete => vec!["create", "delete"],
        Action::Delete => vec!["delete"],
        Action::Read => vec!["read"],
    }
}

/// The address parts every resource entry has.
fn address_fields(addr: &InstanceAddr, address: &str, type_name: &str) -> Map<String, Json> {
    let mut out = Map::new();
    out.insert("address".into(), json!(address));
    if !addr.module.is_root() {
        out.insert("module_address".into(), json!(addr.module.to_string()));
    }
    let (mode, type_name) = match type_name.strip_prefix("data.") {
        Some(data_type) => ("data", data_type),
        None => ("managed", type_name),
    };
    out.insert("mode".into(), json!(mode));
    out.insert("type".into(), json!(type_name));
    out.insert("name".into(), json!(addr.name));
    match &addr.key {
        InstanceKey::None => {}
        InstanceKey::Index(i) => {
            out.insert("index".into(), json!(i));
        }
        InstanceKey::Key(k) => {
            out.insert("index".into(), json!(k));
        }
    }
    out.insert("provider_name".into(), json!(AWS_PROVIDER));
    out
}

fn resource_change(change: &ResourceChange, importing: bool) -> Json {
    let mut out = address_fields(&change.addr, &change.address, &change.type_name);
    if change.deposed {
        // Terraform names each deposed object by a key; terrane keeps at
        // most one per instance.
        out.insert("deposed".into(), json!("deposed"));
    }
    let before = change.before.as_ref();
    let after = change.after.as_ref();
    let mut body = Map::new();
    body.insert("actions".into(), json!(actions(change.action)));
    body.insert(
        "before".into(),
        before.map_or(Json::Null, |a| redacted(a, &change.sensitive)),
    );
    body.insert(
        "after".into(),
        after.map_or(Json::Null, |a| redacted(a, &change.sensitive)),
    );
    body.insert(
        "after_unknown".into(),
        after.map_or(json!({}), |a| unknown_paths(&Value::Map(a.clone().into()))),
    );
    body.insert(
        "before_sensitive".into(),
        before.map_or(json!(false), |a| sensitive_paths(a, &change.sensitive)),
    );
    body.insert(
        "after_sensitive".into(),
        after.map_or(json!(false), |a| sensitive_paths(a, &change.sensitive)),
    );
    if !change.replace_paths.is_empty() {
        let paths: Vec<Json> = change.replace_paths.iter().map(|p| json!([p])).collect();
        body.insert("replace_paths".into(), Json::Array(paths));
    }
    if importing {
        let id = before.and_then(|b| b.get("id")).map_or(Json::Null, known);
        body.insert("importing".into(), json!({ "id": id }));
    }
    out.insert("change".into(), Json::Object(body));
    if change.action.replaces() {
        let reason = if change.requested {
            "replace_by_request"
        } else {
            "replace_because_cannot_update"
        };
        out.insert("action_reason".into(), json!(reason));
    }
    if let Some(reason) = change.read_reason {
        let reason = match reason {
            ReadReason::ConfigUnknown => "read_because_config_unknown",
            _ => "read_because_dependency_pending",
        };
        out.insert("action_reason".into(), json!(reason));
    }
    Json::Object(out)
}

/// A value as JSON with unknown parts left out (they are in
/// `after_unknown`).
fn known(value: &Value) -> Json {
    match value {
        Value::Unknown => Json::Null,
        Value::Sensitive(_) => Json::Null,
        Value::List(items) => Json::Array(items.iter().map(known).collect()),
        Value::Map(map) => Json::Object(
            map.iter()
                .filter(|(_, v)| !matches!(v, Value::Unknown))
                .map(|(k, v)| (k.clone(), known(v)))
                .collect(),
        ),
        other => other.to_json(),
    }
}

/// An object's attributes as JSON, sensitive ones `null`.
fn redacted(attrs: &Attrs, sensitive: &[String]) -> Json {
    let shown: Attrs = attrs
        .iter()
        .map(|(k, v)| {
            let v = if sensitive.contains(k) {
                Value::Null
            } else {
                v.clone()
            };
            (k.clone(), v)
        })
        .collect();
    known(&Value::Map(shown.into()))
}

/// `true` where the value is unknown, keeping the structure around it.
fn unknown_paths(value: &Value) -> Json {
    match value {
        Value::Unknown => json!(true),
        Value::List(items) => Json::Array(items.iter().map(unknown_paths).collect()),
        Value::Map(map) => Json::Object(
            map.iter()
                .filter(|(_, v)| !v.is_wholly_known())
                .map(|(k, v)| (k.clone(), unknown_paths(v)))
                .collect(),
        ),
        _ => json!(false),
    }
}

/// `{"password": true}`: which attributes are sensitive.
fn sensitive_paths(attrs: &Attrs, sensitive: &[String]) -> Json {
    Json::Object(
        sensitive
            .iter()
            .filter(|name| attrs.contains_key(name.as_str()))
            .map(|name| (name.clone(), json!(true)))
            .collect(),
    )
}

/// Outputs as `{name: {sensitive, value}}`, sensitive values `null`.
fn output_values<'a>(outputs: impl Iterator<Item = (&'a String, &'a Value, bool)>) -> Json {
    Json::Object(
        outputs
            .map(|(name, value, sensitive)| {
                let value = if sensitive { Json::Null } else { known(value) };
                (
                    name.clone(),
                    json!({ "sensitive": sensitive, "value": value }),
                )
            })
            .collect(),
    )
}

fn planned_values(plan: &Plan) -> Json {
    let outputs = output_values(
        plan.outputs
            .iter()
            .map(|(name, o)| (name, &o.value, o.sensitive)),
    );
    let resources = plan
        .resource_changes
        .iter()
        .filter(|c| c.action != Action::Delete)
        .map(|c| {
            let values = c
                .after
                .as_ref()
                .map_or(Json::Null, |a| redacted(a, &c.sensitive));
            let sensitive = c
                .after
                .as_ref()
                .map_or(json!({}), |a| sensitive_paths(a, &c.sensitive));
            (c, values, sensitive)
        });
    json!({
        "outputs": outputs,
        "root_module": module_tree(resources),
    })
}

/// Resources nested as Terraform nests them: the root module's under
/// `resources`, each module instance's under `child_modules`.
fn module_tree<'a>(resources: impl Iterator<Item = (&'a ResourceChange, Json, Json)>) -> Json {
    let mut by_module: BTreeMap<String, Vec<Json>> = BTreeMap::new();
    for (change, values, sensitive) in resources {
        let mut entry = address_fields(&change.addr, &change.address, &change.type_name);
        entry.insert("schema_version".into(), json!(0));
        entry.insert("values".into(), values);
        entry.insert("sensitive_values".into(), sensitive);
        by_module
            .entry(change.addr.module.to_string())
            .or_default()
            .push(Json::Object(entry));
    }
    let root = by_module.remove("").unwrap_or_default();
    // Terraform nests modules by their parents; terrane lists every module
    // instance directly under the root, each with its full address.
    let children: Vec<Json> = by_module
        .into_iter()
        .map(|(address, resources)| json!({ "address": address, "resources": resources }))
        .collect();
    let mut module = Map::new();
    module.insert("resources".into(), Json::Array(root));
    if !children.is_empty() {
        module.insert("child_modules".into(), Json::Array(children));
    }
    Json::Object(module)
}

fn output_changes(plan: &Plan, prior: &State) -> Json {
    let mut out = Map::new();
    for (name, output) in &plan.outputs {
        let before = prior.outputs.get(name);
        let action = match before {
            None => Action::Create,
            Some(b) if b.value == output.value => Action::NoOp,
            Some(_) => Action::Update,
        };
        let shown = |value: &Value, sensitive: bool| {
            if sensitive { Json::Null } else { known(value) }
        };
        out.insert(
            name.clone(),
            json!({
                "actions": actions(action),
                "before": before.map_or(Json::Null, |b| shown(&b.value, b.sensitive)),
                "after": shown(&output.value, output.sensitive),
                "after_unknown": !output.value.is_wholly_known(),
                "before_sensitive": before.is_some_and(|b| b.sensitive),
                "after_sensitive": output.sensitive,
            }),
        );
    }
    for (name, before) in &prior.outputs {
        if plan.outputs.contains_key(name) || plan.mode == PlanMode::RefreshOnly {
            continue;
        }
        out.insert(
            name.clone(),
            json!({
                "actions": ["delete"],
                "before": if before.sensitive { Json::Null } else { known(&before.value) },
                "after": null,
                "after_unknown": false,
                "before_sensitive": before.sensitive,
                "after_sensitive": false,
            }),
        );
    }
    Json::Object(out)
}

fn prior_state(prior: &State, plan: &Plan) -> Json {
    // Attributes the plan knows to be sensitive (from the configuration),
    // or the schema says are.
    let sensitive_of = |resource: &ResourceState| -> Vec<String> {
        let mut sensitive: Vec<String> = plan
            .resource_changes
            .iter()
            .find(|c| c.address == resource.address)
            .map(|c| c.sensitive.clone())
            .or_else(|| {
                provider::resource_type(&resource.type_name).map(|t| schema_sensitive(t.schema()))
            })
            .unwrap_or_default();
        sensitive.extend(resource.sensitive_attributes.iter().cloned());
        sensitive
    };
    let outputs = output_values(
        prior
            .outputs
            .iter()
            .map(|(name, o)| (name, &o.value, o.sensitive)),
    );
    let entries: Vec<(ResourceChange, Json, Json)> = prior
        .resources
        .iter()
        .filter_map(|r| {
            let addr = InstanceAddr::parse(&r.address)?;
            let sensitive = sensitive_of(r);
            let values = redacted(&r.attributes, &sensitive);
            let marks = sensitive_paths(&r.attributes, &sensitive);
            let change = ResourceChange {
                action: Action::NoOp,
                sensitive,
                ..ResourceChange::deletion(r, addr)
            };
            Some((change, values, marks))
        })
        .collect();
    json!({
        "format_version": "1.0",
        "terraform_version": TERRAFORM_VERSION,
        "values": {
            "outputs": outputs,
            "root_module": module_tree(entries.iter().map(|(c, v, s)| (c, v.clone(), s.clone()))),
        }
    })
}

/// The configuration as written, enough for policy tools: each resource's
/// arguments as a constant or the references it makes, outputs,
/// variables, provider configurations and module calls.
fn configuration(input: &PlanJson<'_>) -> Json {
    let config = input.config;
    let providers: Map<String, Json> = config
        .providers
        .iter()
        .map(|p| {
            let key = p.name();
            let mut entry = Map::new();
            entry.insert("name".into(), json!("aws"));
            entry.insert("full_name".into(), json!(AWS_PROVIDER));
            if let Some(alias) = &p.alias {
                entry.insert("alias".into(), json!(alias));
            }
            (key, Json::Object(entry))
        })
        .collect();
    json!({
        "provider_config": providers,
        "root_module": module_config(input, ROOT),
    })
}

/// One module's configuration, from one of its instances (every instance
/// of a module has the same blocks).
fn module_config(input: &PlanJson<'_>, module: usize) -> Json {
    let config = input.config;
    let resources: Vec<Json> = config
        .resources
        .iter()
        .filter(|r| r.module == module)
        .map(|r| {
            let mut entry = Map::new();
            let local = match r.mode {
                Mode::Managed => format!("{}.{}", r.type_name, r.name),
                Mode::Data => format!("data.{}.{}", r.type_name, r.name),
            };
            entry.insert("address".into(), json!(local));
            entry.insert(
                "mode".into(),
                json!(if r.mode == Mode::Managed {
                    "managed"
                } else {
                    "data"
                }),
            );
            entry.insert("type".into(), json!(r.type_name));
            entry.insert("name".into(), json!(r.name));
            entry.insert("provider_config_key".into(), json!(r.provider));
            entry.insert(
                "expressions".into(),
                body_expressions(input, &r.body, r.file),
            );
            entry.insert("schema_version".into(), json!(0));
            if let Some(count) = &r.count {
                entry.insert("count_expression".into(), expression(input, count));
            }
            if let Some(for_each) = &r.for_each {
                entry.insert("for_each_expression".into(), expression(input, for_each));
            }
            Json::Object(entry)
        })
        .collect();
    let outputs: Map<String, Json> = config
        .outputs
        .iter()
        .filter(|o| o.module == module)
        .map(|o| {
            let mut entry = Map::new();
            entry.insert("expression".into(), expression(input, &o.value));
            if o.sensitive {
                entry.insert("sensitive".into(), json!(true));
            }
            if let Some(description) = &o.description {
                entry.insert("description".into(), json!(description));
            }
            (o.name.clone(), Json::Object(entry))
        })
        .collect();
    let variables: Map<String, Json> = config
        .variables
        .iter()
        .filter(|v| v.module == module)
        .map(|v| {
            let mut entry = Map::new();
            if let Some(default) = &v.default
                && !v.sensitive
                && let Some(value) = expression(input, default).get("constant_value")
            {
                entry.insert("default".into(), value.clone());
            }
            if let Some(description) = &v.description {
                entry.insert("description".into(), json!(description));
            }
            if v.sensitive {
                entry.insert("sensitive".into(), json!(true));
            }
            (v.name.clone(), Json::Object(entry))
        })
        .collect();
    let calls: Map<String, Json> = config
        .calls
        .iter()
        .filter(|c| c.module == module)
        .map(|call| {
            let mut entry = Map::new();
            entry.insert("source".into(), json!(call.source));
            if let Some(version) = &call.version {
                entry.insert("version_constraint".into(), json!(version));
            }
            let expressions: Map<String, Json> = call
                .inputs
                .iter()
                .map(|(name, expr)| (name.clone(), expression(input, expr)))
                .collect();
            entry.insert("expressions".into(), Json::Object(expressions));
            if let Some(count) = &call.count {
                entry.insert("count_expression".into(), expression(input, count));
            }
            if let Some(for_each) = &call.for_each {
                entry.insert("for_each_expression".into(), expression(input, for_each));
            }
            let first = call.instances.as_ref().and_then(|i| i.first().copied());
            entry.insert(
                "module".into(),
                first.map_or(json!({ "resources": [] }), |m| module_config(input, m)),
            );
            (call.name.clone(), Json::Object(entry))
        })
        .collect();
    let mut out = Map::new();
    out.insert("resources".into(), Json::Array(resources));
    if !outputs.is_empty() {
        out.insert("outputs".into(), Json::Object(outputs));
    }
    if !variables.is_empty() {
        out.insert("variables".into(), Json::Object(variables));
    }
    if !calls.is_empty() {
        out.insert("module_calls".into(), Json::Object(calls));
    }
    Json::Object(out)
}

/// A block's arguments: each a constant or its references; nested blocks
/// as lists of the same.
fn body_expressions(input: &PlanJson<'_>, body: &Body, file: crate::diag::FileId) -> Json {
    let mut out = Map::new();
    for structure in body.iter() {
        match structure {
            Structure::Attribute(attr) => {
                let expr = Expr {
                    file,
                    expr: attr.value.clone(),
                };
                out.insert(attr.key.as_str().to_string(), expression(input, &expr));
            }
            Structure::Block(block) => {
                let name = match block.ident.as_str() {
                    // `dynamic "ingress"` stands for `ingress` blocks.
                    "dynamic" => match block.labels.first() {
                        Some(label) => label.as_str().to_string(),
                        None => continue,
                    },
                    other => other.to_string(),
                };
                let nested = body_expressions(input, &block.body, file);
                match out.entry(name).or_insert_with(|| Json::Array(Vec::new())) {
                    Json::Array(items) => items.push(nested),
                    _ => unreachable!("blocks are lists"),
                }
            }
        }
    }
    Json::Object(out)
}

/// `{"constant_value": v}` for an expression that refers to nothing,
/// `{"references": [...]}` otherwise, as Terraform writes them. A constant
/// that does not evaluate (or is marked sensitive) is left out.
fn expression(input: &PlanJson<'_>, expr: &Expr) -> Json {
    let (found, _) = references(expr);
    if found.is_empty() {
        let scope: BTreeMap<String, Value> = BTreeMap::new();
        let ctx = EvalContext {
            file: expr.file,
            scope: &scope,
            files: input.files,
            stack_dir: &input.config.dir,
            clock: Default::default(),
        };
        return match eval(&expr.expr, &ctx) {
            Ok(value) if !value.contains_marks() => json!({ "constant_value": known(&value) }),
            _ => json!({}),
        };
    }
    let mut names: Vec<String> = found.iter().map(|r| r.subject.display()).collect();
    names.sort();
    names.dedup();
    json!({ "references": names })
}
