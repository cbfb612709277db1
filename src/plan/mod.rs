//! Planning: what must change so that AWS matches the configuration.
//!
//! `plan` walks the graph in dependency order, evaluates each block with the
//! values planned so far (unknown where AWS has yet to compute them), and
//! compares each instance's proposed state with its refreshed prior state.
//! The result is a serialisable [`Plan`]. Pure: the refresh and data-source
//! reads happen before, in `ops`; nothing here does I/O or prints.

pub mod diff;
pub mod drift;
pub mod file;
pub mod json;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::addr::{AddressPattern, InstanceAddr, InstanceKey};
use crate::diag::{Diagnostic, Diagnostics};
use crate::graph::{Graph, Node};
use crate::lang::block_eval::{BlockEvaluator, with_marks};
use crate::lang::eval::{Clock, FileReader};
use crate::lang::{Config, Mode, ROOT};
use crate::provider;
use crate::state::{ResourceState, State};
use crate::value::{Attrs, Value};
use diff::{ID, difference, proposed};

/// How a plan treats AWS's current state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlanMode {
    /// Read every object back first, then plan the changes.
    #[default]
    Normal,
    /// Read every object back and propose only to record what changed
    /// outside terrane in state (`--refresh-only`).
    RefreshOnly,
    /// Plan from state alone, without reading AWS (`--refresh=false`).
    NoRefresh,
}

/// What happens to one resource instance. Each has one display symbol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    NoOp,
    Create,
    Update,
    /// Replace, destroying the old object before creating the new one.
    DeleteThenCreate,
    /// Replace, creating the new object first (`create_before_destroy`).
    CreateThenDelete,
    Delete,
    /// Read a data source during apply: its arguments are not known at
    /// plan, or what it depends on has changes pending (Terraform's `<=`).
    Read,
}

/// Why a data source is read during apply rather than at plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadReason {
    /// Its arguments use values known only after apply.
    ConfigUnknown,
    /// A managed resource it depends on has changes pending.
    DependencyPending,
    /// Nothing holds it back: the planner reads it and plans again. Never
    /// in a finished plan.
    Ready,
}

impl Action {
    pub fn symbol(self) -> &'static str {
        match self {
            Action::NoOp => " ",
            Action::Create => "+",
            Action::Update => "~",
            Action::DeleteThenCreate => "-/+",
            Action::CreateThenDelete => "+/-",
            Action::Delete => "-",
            Action::Read => "<=",
        }
    }

    pub fn creates(self) -> bool {
        matches!(
            self,
            Action::Create | Action::DeleteThenCreate | Action::CreateThenDelete
        )
    }

    pub fn deletes(self) -> bool {
        matches!(
            self,
            Action::Delete | Action::DeleteThenCreate | Action::CreateThenDelete
        )
    }

    pub fn replaces(self) -> bool {
        matches!(self, Action::DeleteThenCreate | Action::CreateThenDelete)
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct ResourceChange {
    pub address: String,
    #[serde(skip)]
    pub addr: InstanceAddr,
    #[serde(rename = "type")]
    pub type_name: String,
    /// Index of the resource block in the configuration; `None` for
    /// instances that are only in state.
    #[serde(skip)]
    pub resource: Option<usize>,
    pub action: Action,
    /// The refreshed prior state.
    pub before: Option<Attrs>,
    /// The proposed state, unknown values included.
    pub after: Option<Attrs>,
    /// Attributes whose change forces replacement.
    pub replace_paths: Vec<String>,
    /// Attributes that differ (for updates and replacements).
    pub changed: Vec<String>,
    /// Resource addresses this instance depends on.
    pub dependencies: Vec<String>,
    /// The provider configuration that manages it (`aws`, `aws.dr`).
    #[serde(skip)]
    pub provider: String,
    /// Attributes whose values are sensitive (set from a sensitive value,
    /// or sensitive in the schema): shown as `(sensitive value)`, never
    /// written to a plan file or JSON.
    pub sensitive: Vec<String>,
    /// A replacement asked for with `--replace` or triggered by
    /// `replace_triggered_by`, not forced by a change of its own.
    pub requested: bool,
    /// An object an interrupted `create_before_destroy` replacement left
    /// behind (state's `deposed`): only ever deleted.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub deposed: bool,
    /// Why a data source is read during apply (`Action::Read` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_reason: Option<ReadReason>,
}

impl Plan {
    /// The planned outputs whose values are known, as state keeps them.
    pub fn known_outputs(&self) -> BTreeMap<String, crate::state::OutputState> {
        self.outputs
            .iter()
            .filter(|(_, o)| o.value.is_wholly_known())
            .map(|(name, o)| {
                let output = crate::state::OutputState {
                    value: o.value.clone(),
                    sensitive: o.sensitive,
                };
                (name.clone(), output)
            })
            .collect()
    }
}

impl ResourceChange {
    /// The deletion of an object state holds (and no configuration plans):
    /// its attributes before, its sensitive ones named as state and the
    /// schema name them.
    pub fn deletion(prior: &ResourceState, addr: InstanceAddr) -> ResourceChange {
        let mut sensitive = provider::resource_type(&prior.type_name)
            .map(|t| schema_sensitive(t.schema()))
            .unwrap_or_default();
        sensitive.extend(prior.sensitive_attributes.iter().cloned());
        sensitive.sort();
        sensitive.dedup();
        ResourceChange {
            address: prior.address.clone(),
            addr,
            type_name: prior.type_name.clone(),
            resource: None,
            action: Action::Delete,
            before: Some(prior.attributes.clone()),
            after: None,
            replace_paths: Vec::new(),
            changed: Vec::new(),
            dependencies: prior.dependencies.clone(),
            provider: prior.provider.clone(),
            sensitive,
            requested: false,
            deposed: false,
            read_reason: None,
        }
    }
}

/// `--target`, `--exclude` and `--replace`.
#[derive(Clone, Debug, Default)]
pub struct Targeting {
    /// Plan only these (and what they depend on).
    pub targets: Vec<AddressPattern>,
    /// Plan everything but these (and what depends on them).
    pub excludes: Vec<AddressPattern>,
    /// Replace these instances even though nothing forces it.
    pub replace: Vec<AddressPattern>,
}

/// `--target`, `--exclude` and `--replace` as given on the command line.
#[derive(Clone, Debug, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct TargetAddresses {
    pub targets: Vec<String>,
    pub excludes: Vec<String>,
    pub replace: Vec<String>,
}

impl TargetAddresses {
    /// The addresses parsed; `Err` names the first that is not one.
    pub fn parse(&self) -> Result<Targeting, String> {
        let parse = |list: &[String]| -> Result<Vec<AddressPattern>, String> {
            list.iter()
                .map(|text| AddressPattern::parse(text).ok_or_else(|| text.clone()))
                .collect()
        };
        Ok(Targeting {
            targets: parse(&self.targets)?,
            excludes: parse(&self.excludes)?,
            replace: parse(&self.replace)?,
        })
    }
}

impl Targeting {
    /// Whether the plan covers less than the whole stack.
    pub fn narrows(&self) -> bool {
        !self.targets.is_empty() || !self.excludes.is_empty()
    }
}

/// A root module output as planned.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlannedOutput {
    /// Unknown parts print as `(known after apply)`.
    pub value: Value,
    pub sensitive: bool,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Plan {
    /// Every instance in configuration or state, in address order.
    pub resource_changes: Vec<ResourceChange>,
    /// Planned values of the root module's outputs.
    pub outputs: BTreeMap<String, PlannedOutput>,
    /// Whether the outputs differ from those state holds (one added,
    /// changed or gone): applying saves them even when no object changes.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub outputs_changed: bool,
    /// Objects changed or deleted outside terrane since state was saved
    /// (`Update` or `Delete`, before = as saved, after = as read now).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<ResourceChange>,
    /// How the plan was made: `Normal`, `RefreshOnly` (only accept what
    /// changed outside) or without refreshing.
    pub mode: PlanMode,
    /// Instances `import` blocks bring under management (recorded in state
    /// by apply).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub imported: Vec<String>,
    /// Instances `moved` blocks renamed in state, (from, to).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub moved: Vec<(String, String)>,
    /// Instances `removed` blocks take out of state without destroying them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub forgotten: Vec<String>,
    pub destroy: bool,
    /// When the plan was made (Unix seconds; `None` when only validating):
    /// what `plantimestamp()` returns, here and during its apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<i64>,
    /// The state this plan was made against, so a stale plan can be refused.
    pub prior_lineage: String,
    pub prior_serial: u64,
}

impl Plan {
    /// Whether applying the plan changes anything: in AWS, or only the
    /// addresses state records.
    pub fn has_changes(&self) -> bool {
        let addresses_change =
            !self.moved.is_empty() || !self.forgotten.is_empty() || !self.imported.is_empty();
        if self.mode == PlanMode::RefreshOnly {
            return !self.drift.is_empty() || addresses_change;
        }
        self.changes_objects() || addresses_change || self.outputs_changed
    }

    /// Whether applying the plan changes objects in AWS. Reading a data
    /// source changes nothing, so terrane counts a plan of reads alone as
    /// one without changes.
    pub fn changes_objects(&self) -> bool {
        self.resource_changes
            .iter()
            .any(|c| !matches!(c.action, Action::NoOp | Action::Read))
    }

    /// (to add, to change, to destroy), counted as Terraform counts them.
    pub fn summary(&self) -> (usize, usize, usize) {
        let mut counts = (0, 0, 0);
        for change in &self.resource_changes {
            match change.action {
                Action::Create => counts.0 += 1,
                Action::Update => counts.1 += 1,
                Action::DeleteThenCreate | Action::CreateThenDelete => {
                    counts.0 += 1;
                    counts.2 += 1;
                }
                Action::Delete => counts.2 += 1,
                Action::NoOp | Action::Read => {}
            }
        }
        counts
    }
}

/// Data sources' values: by resource index, by instance key.
pub type DataValues = BTreeMap<usize, BTreeMap<InstanceKey, Value>>;

pub struct PlanRequest<'a> {
    pub config: &'a Config,
    pub graph: &'a Graph,
    pub variables: BTreeMap<String, Value>,
    /// Values of data sources, read beforehand: by resource index, each
    /// instance's (one, or one per `count` / `for_each` instance). A data
    /// source read from AWS that is not here is planned as a read during
    /// apply (`Action::Read`).
    pub data: DataValues,
    /// The prior state, refreshed from AWS.
    pub prior: &'a State,
    /// Each provider configuration's default tags, by its name (`aws`,
    /// `aws.dr`).
    pub default_tags: BTreeMap<String, BTreeMap<String, String>>,
    pub files: &'a dyn FileReader,
    /// Plan to destroy everything in state.
    pub destroy: bool,
    /// Only check the configuration: a `count` or `for_each` that is not
    /// known yet is evaluated once with unknown `count.index` / `each`
    /// instead of being an error.
    pub validate_only: bool,
    pub targeting: Targeting,
    /// The plan's time, which `plantimestamp()` returns (`None` while
    /// validating: unknown).
    pub timestamp: Option<i64>,
}

pub fn plan(req: PlanRequest<'_>) -> (Plan, Diagnostics) {
    let mut diags = Diagnostics::default();
    let mut result = Plan {
        destroy: req.destroy,
        timestamp: req.timestamp,
        prior_lineage: req.prior.lineage.clone(),
        prior_serial: req.prior.serial,
        ..Plan::default()
    };
    let mut planned_addresses = BTreeSet::new();

    if !req.destroy {
        let mut evaluator = BlockEvaluator::new(req.config, req.files, req.variables.clone());
        evaluator.set_clock(Clock {
            plan: req.timestamp,
            now: None,
        });
        // Instances of each block across all instances of its modules.
        let mut block_totals = BTreeMap::new();
        for node in &req.graph.order {
            match *node {
                Node::Variable(_) | Node::Local(_) | Node::Call(_) => {
                    diags.extend(eval_value(&mut evaluator, *node));
                }
                Node::Resource(i) if req.config.resources[i].mode == Mode::Data => {
                    let reads_from_aws =
                        provider::data_source_type(&req.config.resources[i].type_name)
                            .is_some_and(|source| !source.is_offline());
                    if !req.validate_only && reads_from_aws {
                        let reads =
                            plan_data_reads(&req, &mut evaluator, i, &result.resource_changes);
                        match reads {
                            Ok(reads) => result.resource_changes.extend(reads),
                            Err(errors) => diags.extend(errors),
                        }
                    } else if let Some(instances) = req.data.get(&i) {
                        evaluator.set_instances(i, instances.clone());
                    } else if let Some(errors) = eval_offline_data(&mut evaluator, i) {
                        diags.extend(errors);
                    } else {
                        // Not read (validate): unknown, whatever its count.
                        evaluator.set_resource_unknown(i);
                    }
                }
                Node::Resource(i) => {
                    let changes = plan_resource(
                        &req,
                        &mut evaluator,
                        i,
                        &result.resource_changes,
                        &mut block_totals,
                        &mut diags,
                    );
                    for change in changes {
                        planned_addresses.insert(change.address.clone());
                        result.resource_changes.push(change);
                    }
                }
                // Checks are about real infrastructure: not checked by validate.
                Node::Check(_) if req.validate_only => {}
                Node::Check(i) => diags.extend(evaluator.eval_check(i)),
                Node::Output(i) if req.config.outputs[i].module != ROOT => {
                    diags.extend(eval_value(&mut evaluator, *node));
                }
                Node::Output(i) => match evaluator.eval_output(i) {
                    Ok(value) => {
                        let (value, sensitive) = value.unmark_deep();
                        result.outputs.insert(
                            req.config.outputs[i].name.clone(),
                            PlannedOutput { value, sensitive },
                        );
                    }
                    Err(diag) => diags.push(diag),
                },
            }
        }
    }

    // Whatever is in state but no longer planned is destroyed.
    for prior in &req.prior.resources {
        if planned_addresses.contains(&prior.address) {
            continue;
        }
        let Some(addr) = InstanceAddr::parse(&prior.address) else {
            diags.push(Diagnostic::error(format!(
                "State holds an invalid resource address {:?}",
                prior.address
            )));
            continue;
        };
        // While the block is in the configuration, its prevent_destroy
        // protects every instance: from `destroy` and from a smaller count.
        if let Some(block) = req
            .config
            .resource_at(&addr.module, &addr.type_name, &addr.name)
            && block.lifecycle.prevent_destroy
        {
            diags.push(
                Diagnostic::error(format!("Instance cannot be destroyed: {}", prior.address))
                    .with_detail(
                        "the plan would destroy it, but its lifecycle sets prevent_destroy",
                    )
                    .with_span(Some(block.span.clone()))
                    .with_hint("remove prevent_destroy from the block first to allow it"),
            );
        }
        result
            .resource_changes
            .push(ResourceChange::deletion(prior, addr));
    }
    if !req.destroy && !req.validate_only {
        // Terraform does not store null outputs: absent and null are the same.
        let saved: BTreeMap<&String, (&Value, bool)> = req
            .prior
            .outputs
            .iter()
            .filter(|(_, o)| !o.value.is_null())
            .map(|(name, o)| (name, (&o.value, o.sensitive)))
            .collect();
        let planned: BTreeMap<&String, (&Value, bool)> = result
            .outputs
            .iter()
            .filter(|(_, o)| !o.value.is_null())
            .map(|(name, o)| (name, (&o.value, o.sensitive)))
            .collect();
        result.outputs_changed = saved != planned;
    }
    // Objects an interrupted create-before-destroy replacement left behind
    // are deleted, whatever else the plan does.
    for object in &req.prior.deposed {
        let Some(addr) = InstanceAddr::parse(&object.address) else {
            continue;
        };
        result.resource_changes.push(ResourceChange {
            deposed: true,
            ..ResourceChange::deletion(object, addr)
        });
    }
    result.resource_changes.sort_by(|a, b| a.addr.cmp(&b.addr));
    if req.targeting.narrows() {
        narrow(&mut result, &req, &mut diags);
    }
    (result, diags)
}

/// Whether a data source is read from AWS and depends on a managed
/// resource (directly, through locals, or through other data sources):
/// such a data source cannot be read before planning, since what it reads
/// may be about to change. The plan decides when it is read
/// ([`plan_data_reads`]).
pub fn reads_after_managed(config: &Config, graph: &Graph, index: usize) -> bool {
    let offline = provider::data_source_type(&config.resources[index].type_name)
        .is_none_or(|source| source.is_offline());
    !offline
        && graph.resource_deps[index]
            .iter()
            .any(|&d| config.resources[d].mode == Mode::Managed)
}

/// Plans a data source read from AWS. An instance the planner has read
/// (`req.data`) takes its value; any other is read during
/// apply, and its value is its arguments with its computed attributes
/// unknown, as in Terraform. An instance whose dependencies have no changes
/// pending and whose arguments are known is `ReadReason::Ready`: the
/// planner reads it and plans again.
fn plan_data_reads(
    req: &PlanRequest<'_>,
    evaluator: &mut BlockEvaluator<'_>,
    index: usize,
    changes_so_far: &[ResourceChange],
) -> Result<Vec<ResourceChange>, Diagnostics> {
    let resource = &req.config.resources[index];
    let Some(source) = provider::data_source_type(&resource.type_name) else {
        evaluator.set_resource_unknown(index);
        return Ok(Vec::new()); // reported by the loader
    };
    let read = req.data.get(&index);
    let instances = evaluator.expand(index).map_err(|diag| {
        evaluator.set_resource_unknown(index);
        Diagnostics::from(diag.with_hint(
            "a data source's count and for_each must be known at plan: they may not use values known only after apply",
        ))
    })?;
    // Every instance read (or none to read: count = 0 is an empty
    // collection, not a missing one).
    if instances
        .iter()
        .all(|i| read.is_some_and(|r| r.contains_key(&i.key)))
    {
        evaluator.set_instances(index, read.cloned().unwrap_or_default());
        return Ok(Vec::new());
    }
    let dependencies: Vec<String> = req.graph.resource_deps[index]
        .iter()
        .map(|&d| req.config.resources[d].address())
        .collect();
    let pending = changes_so_far.iter().any(|change| {
        !matches!(change.action, Action::NoOp)
            && change
                .resource
                .is_some_and(|r| req.graph.resource_deps[index].contains(&r))
    });
    let type_name = format!("data.{}", resource.type_name);
    let mut reads = Vec::new();
    let mut diags = Diagnostics::default();
    for instance in instances {
        if let Some(value) = read.and_then(|r| r.get(&instance.key)) {
            evaluator.set_instance(index, instance.key.clone(), value.clone());
            continue;
        }
        let args = match evaluator.eval_instance(index, &instance, source.schema()) {
            Ok(args) => args,
            Err(errors) => {
                diags.extend(errors);
                evaluator.set_instance(index, instance.key.clone(), Value::Unknown);
                continue;
            }
        };
        let reason = if pending {
            ReadReason::DependencyPending
        } else if !args.attrs.values().all(Value::is_wholly_known) {
            ReadReason::ConfigUnknown
        } else {
            ReadReason::Ready
        };
        let mut after = args.attrs;
        for attribute in source
            .schema()
            .attributes
            .iter()
            .filter(|a| a.is_computed())
        {
            let value = after
                .entry(attribute.name.to_string())
                .or_insert(Value::Null);
            if value.is_null() {
                *value = Value::Unknown;
            }
        }
        // Marked as apply will mark it once read, so that what refers to a
        // sensitive attribute is refused at plan, not midway through apply.
        evaluator.set_instance(
            index,
            instance.key.clone(),
            with_marks(after.clone(), &args.sensitive),
        );
        let addr = InstanceAddr::new(&type_name, &resource.name, instance.key)
            .in_module(resource.module_path.clone());
        reads.push(ResourceChange {
            address: addr.to_string(),
            addr,
            type_name: type_name.clone(),
            resource: Some(index),
            action: Action::Read,
            before: None,
            after: Some(after),
            replace_paths: Vec::new(),
            changed: Vec::new(),
            dependencies: dependencies.clone(),
            provider: resource.provider.clone(),
            sensitive: args.sensitive,
            requested: false,
            deposed: false,
            read_reason: Some(reason),
        });
    }
    if diags.has_errors() {
        return Err(diags);
    }
    Ok(reads)
}

/// Plans every instance of one resource block, including instances in state
/// that `count` or `for_each` no longer produces.
fn plan_resource(
    req: &PlanRequest<'_>,
    evaluator: &mut BlockEvaluator<'_>,
    index: usize,
    changes_so_far: &[ResourceChange],
    block_totals: &mut BTreeMap<String, usize>,
    diags: &mut Diagnostics,
) -> Vec<ResourceChange> {
    let resource = &req.config.resources[index];
    let Some(resource_type) = provider::resource_type(&resource.type_name) else {
        evaluator.set_resource_unknown(index);
        return Vec::new(); // reported by the loader
    };
    let schema = resource_type.schema();
    let lifecycle = &resource.lifecycle;
    // `replace_triggered_by`: a planned change of what it names replaces
    // every instance (the named resources are planned before this one).
    let triggered = !req.validate_only && replacement_triggered(req, resource, changes_so_far);
    let expanded = if req.validate_only {
        evaluator.expand_for_validation(index)
    } else {
        evaluator.expand(index)
    };
    let instances = match expanded {
        Ok(instances) => instances,
        Err(diag) => {
            diags.push(diag);
            evaluator.set_resource_unknown(index);
            return Vec::new();
        }
    };
    // The limit holds for a block across every instance of its modules
    // too, where `count`s multiply.
    let block = format!(
        "{}{}.{}",
        resource
            .module_path
            .0
            .iter()
            .map(|(name, _)| format!("module.{name}."))
            .collect::<String>(),
        resource.type_name,
        resource.name
    );
    let total = block_totals.entry(block.clone()).or_insert(0);
    *total += instances.len();
    if *total > req.config.max_instances {
        diags.push(
            Diagnostic::error("Too many instances")
                .with_detail(format!(
                    "{block} would have more than {} instances across the instances of its modules",
                    req.config.max_instances
                ))
                .with_span(Some(resource.span.clone()))
                .with_hint("module and resource counts multiply; if you mean it, raise the limit with --max-instances"),
        );
        evaluator.set_resource_unknown(index);
        return Vec::new();
    }
    let dependencies: Vec<String> = req.graph.resource_deps[index]
        .iter()
        .map(|&d| req.config.resources[d].address())
        .collect();

    // `validate` evaluates a block whose `count` / `for_each` is not known
    // yet once, as a placeholder; references see the whole resource as
    // unknown, as in Terraform, not as a list or map of that one placeholder.
    let repetition_unknown = instances
        .iter()
        .any(|instance| instance.key == InstanceKey::None)
        && (resource.count.is_some() || resource.for_each.is_some());
    let mut changes = Vec::new();
    for instance in instances {
        let addr = InstanceAddr::new(&resource.type_name, &resource.name, instance.key.clone())
            .in_module(resource.module_path.clone());
        let address = addr.to_string();
        if !req.validate_only {
            let failed = evaluator.check_preconditions(index, &instance);
            if failed.has_errors() {
                diags.extend(failed);
                evaluator.set_instance(index, instance.key.clone(), Value::Unknown);
                continue;
            }
        }
        let args = match evaluator.eval_instance(index, &instance, schema) {
            Ok(args) => args,
            Err(errors) => {
                diags.extend(errors);
                evaluator.set_instance(index, instance.key.clone(), Value::Unknown);
                continue;
            }
        };
        let prior_state = req.prior.resource(&address);
        if let Some(recorded) = prior_state
            && recorded.provider != resource.provider
        {
            // Replacing it would delete through the new configuration, in
            // the wrong region or account, and forget the object.
            diags.push(
                Diagnostic::error(format!(
                    "{address} is managed by the provider configuration {}, but now names {}",
                    recorded.provider, resource.provider
                ))
                .with_span(resource.provider_span.clone().or(Some(resource.span.clone())))
                .with_detail("terrane does not move an object between regions or accounts")
                .with_hint("destroy it with its current configuration first (remove the block and apply), or keep its provider"),
            );
            evaluator.set_instance(index, instance.key.clone(), Value::Unknown);
            continue;
        }
        let prior = prior_state.map(|r| &r.attributes);
        let no_tags = BTreeMap::new();
        let default_tags = req.default_tags.get(&resource.provider).unwrap_or(&no_tags);
        let mut config = args.attrs;
        if let Some(prior) = prior {
            ignore_changes(lifecycle, &mut config, prior);
        }
        let requested = prior.is_some()
            && (triggered || req.targeting.replace.iter().any(|p| p.matches(&addr)));
        let (mut action, after, diff) = if requested {
            let mut replacement = proposed(schema, &config, None, default_tags);
            replacement.insert(ID.to_string(), Value::Unknown);
            let diff = diff::Difference::default();
            (Action::DeleteThenCreate, replacement, diff)
        } else {
            plan_instance(schema, &config, prior, default_tags)
        };
        if action == Action::DeleteThenCreate && lifecycle.create_before_destroy {
            action = Action::CreateThenDelete;
        }
        let mut after = after;
        if action.creates() {
            for (name, value) in resource_type.planned_computed(&config) {
                if matches!(after.get(&name), Some(Value::Unknown) | None) {
                    after.insert(name, value);
                }
            }
        }
        if action.deletes() && resource.lifecycle.prevent_destroy {
            diags.push(
                Diagnostic::error(format!("Instance cannot be destroyed: {address}"))
                    .with_detail(format!(
                        "the plan must replace it ({} forces replacement), but its lifecycle sets prevent_destroy",
                        diff.replace.join(", ")
                    ))
                    .with_span(Some(resource.span.clone()))
                    .with_hint("undo the change that forces replacement, or remove prevent_destroy to allow it"),
            );
        }
        evaluator.set_instance(
            index,
            instance.key.clone(),
            with_marks(after.clone(), &args.sensitive),
        );
        changes.push(ResourceChange {
            address,
            addr,
            type_name: resource.type_name.clone(),
            resource: Some(index),
            action,
            before: prior.cloned(),
            after: Some(after),
            replace_paths: diff.replace,
            changed: diff.changed,
            dependencies: dependencies.clone(),
            provider: resource.provider.clone(),
            sensitive: args.sensitive,
            requested,
            deposed: false,
            read_reason: None,
        });
    }
    if repetition_unknown {
        evaluator.set_resource_unknown(index);
    }
    changes
}

/// Lays the prior values over the configuration where `ignore_changes`
/// says the configuration does not matter once the object exists.
pub fn ignore_changes(
    lifecycle: &crate::lang::config::Lifecycle,
    config: &mut Attrs,
    prior: &Attrs,
) {
    if lifecycle.ignore_all_changes {
        *config = prior.clone();
        return;
    }
    for (name, key) in &lifecycle.ignore_changes {
        let before = prior.get(name);
        match key {
            None => match before {
                Some(value) => {
                    config.insert(name.clone(), value.clone());
                }
                None => {
                    config.remove(name);
                }
            },
            Some(key) => {
                let kept = before
                    .and_then(|b| b.as_map())
                    .and_then(|m| m.get(key))
                    .cloned();
                if let Some(Value::Map(map)) = config.get_mut(name) {
                    match kept {
                        Some(value) => {
                            map.insert(key.clone(), value);
                        }
                        None => {
                            map.remove(key);
                        }
                    }
                }
            }
        }
    }
}

/// Whether a resource named in `replace_triggered_by` has a planned change
/// (any action but no-op) among the changes planned so far.
fn replacement_triggered(
    req: &PlanRequest<'_>,
    resource: &crate::lang::config::Resource,
    planned: &[ResourceChange],
) -> bool {
    resource.lifecycle.replace_triggered_by.iter().any(|expr| {
        let (found, _) = crate::lang::references::references(expr);
        found.iter().any(|reference| match &reference.subject {
            crate::lang::references::Subject::Resource {
                type_name, name, ..
            } => planned
                .iter()
                .filter(|c| c.action != Action::NoOp)
                .filter_map(|c| c.resource)
                .any(|i| {
                    let r = &req.config.resources[i];
                    r.module == resource.module && r.type_name == *type_name && r.name == *name
                }),
            _ => false,
        })
    })
}

/// Leaves out of a plan what `--target` / `--exclude` leave out: a change
/// outside them becomes a no-op (an existing object stays as it is) or
/// disappears (an object not created). Targets bring what they depend on;
/// excludes take what depends on them.
fn narrow(plan: &mut Plan, req: &PlanRequest<'_>, diags: &mut Diagnostics) {
    let targeting = &req.targeting;
    let deps = &req.graph.resource_deps;
    let matched = |patterns: &[AddressPattern], change: &ResourceChange| {
        patterns.iter().any(|p| p.matches(&change.addr))
    };
    let blocks_of = |patterns: &[AddressPattern]| -> BTreeSet<usize> {
        plan.resource_changes
            .iter()
            .filter(|c| matched(patterns, c))
            .filter_map(|c| c.resource)
            .collect()
    };
    // What the targets depend on, transitively (the targets not included).
    let mut needed = BTreeSet::new();
    let mut queue: Vec<usize> = blocks_of(&targeting.targets).into_iter().collect();
    while let Some(block) = queue.pop() {
        for &dependency in &deps[block] {
            if needed.insert(dependency) {
                queue.push(dependency);
            }
        }
    }
    // What depends on the excluded, transitively.
    let excluded_blocks = blocks_of(&targeting.excludes);
    let mut dependents = BTreeSet::new();
    let mut changed = true;
    while changed {
        changed = false;
        for (block, block_deps) in deps.iter().enumerate() {
            if !dependents.contains(&block)
                && block_deps
                    .iter()
                    .any(|d| excluded_blocks.contains(d) || dependents.contains(d))
            {
                dependents.insert(block);
                changed = true;
            }
        }
    }
    let in_plan = |change: &ResourceChange| {
        let targeted = targeting.targets.is_empty()
            || matched(&targeting.targets, change)
            || change.resource.is_some_and(|b| needed.contains(&b));
        let excluded = matched(&targeting.excludes, change)
            || change.resource.is_some_and(|b| dependents.contains(&b));
        targeted && !excluded
    };
    let mut kept = Vec::new();
    for change in std::mem::take(&mut plan.resource_changes) {
        if in_plan(&change) {
            kept.push(change);
        } else if let Some(before) = &change.before
            && !change.deposed
        {
            kept.push(ResourceChange {
                action: Action::NoOp,
                after: Some(before.clone()),
                replace_paths: Vec::new(),
                changed: Vec::new(),
                requested: false,
                ..change
            });
        }
    }
    plan.resource_changes = kept;
    diags.push(
        Diagnostic::warning("Resource targeting is in effect")
            .with_detail(
                "the plan may not cover every change the configuration needs, and outputs may be incomplete: --target and --exclude are for exceptional situations, such as recovering from a mistake",
            )
            .with_hint("run a plan without them afterwards to see the whole picture"),
    );
}

/// The attributes a schema itself marks sensitive.
pub fn schema_sensitive(schema: &provider::Schema) -> Vec<String> {
    schema
        .attributes
        .iter()
        .filter(|a| a.sensitive)
        .map(|a| a.name.to_string())
        .collect()
}

/// Every string held in a change's sensitive attributes, before or after:
/// what must not appear in an error message (AWS errors may quote the
/// request).
pub fn sensitive_strings(change: &ResourceChange) -> Vec<String> {
    fn collect(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::String(s) if !s.is_empty() => out.push(s.clone()),
            Value::List(items) => items.iter().for_each(|v| collect(v, out)),
            Value::Map(map) => map.values().for_each(|v| collect(v, out)),
            Value::Sensitive(inner) => collect(inner, out),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for attrs in [&change.before, &change.after].into_iter().flatten() {
        for name in &change.sensitive {
            if let Some(value) = attrs.get(name) {
                collect(value, &mut out);
            }
        }
    }
    // Longest first, so a secret that contains another is hidden whole.
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out.dedup();
    out
}

/// `text` with every one of `secrets` replaced by `(sensitive value)`.
pub fn redact(text: &str, secrets: &[String]) -> String {
    secrets.iter().fold(text.to_string(), |text, secret| {
        text.replace(secret.as_str(), "(sensitive value)")
    })
}

/// Evaluates a node that is a value rather than a resource: a local, a
/// called module's variable or output, or what a module call makes visible
/// to its caller. (The root module's variables are resolved before the walk
/// and its outputs are the plan's; those are left to the walker.) Every walk
/// of the graph (plan, apply, reading data sources, configuring providers)
/// evaluates these the same way.
pub fn eval_value(evaluator: &mut BlockEvaluator<'_>, node: Node) -> Diagnostics {
    let mut diags = Diagnostics::default();
    match node {
        Node::Local(i) => diags.0.extend(evaluator.eval_local(i).err()),
        Node::Variable(i) => {
            if let Err(errors) = evaluator.eval_variable(i) {
                diags.extend(errors);
            }
        }
        Node::Output(i) => diags.0.extend(evaluator.eval_module_output(i).err()),
        Node::Call(i) => evaluator.publish_call(i),
        Node::Resource(_) | Node::Check(_) => {}
    }
    diags
}

/// Evaluates a data source that is computed from its arguments alone
/// (`DataSourceType::compute`) like a local value: each instance whose
/// arguments are known gets its result, the others stay unknown until a
/// later walk knows them (apply evaluates it again as steps finish).
/// `None` when the block's type needs AWS to be read.
pub fn eval_offline_data(evaluator: &mut BlockEvaluator<'_>, index: usize) -> Option<Diagnostics> {
    let resource = &evaluator.config().resources[index];
    let source = provider::data_source_type(&resource.type_name).filter(|s| s.is_offline())?;
    let mut diags = Diagnostics::default();
    let instances = match evaluator.expand(index) {
        Ok(instances) => instances,
        // A count or for_each not known yet: read once it is.
        Err(_) => {
            evaluator.set_resource_unknown(index);
            return Some(diags);
        }
    };
    let mut values = BTreeMap::new();
    for instance in instances {
        let value = match evaluator.eval_instance(index, &instance, source.schema()) {
            Ok(args) if !args.attrs.values().all(Value::is_wholly_known) => Value::Unknown,
            Ok(args) => match source.compute(&args.attrs) {
                Ok(attrs) => Value::Map(attrs.into()),
                Err(e) => {
                    let resource = &evaluator.config().resources[index];
                    diags.push(
                        Diagnostic::error(format!(
                            "Reading data.{}.{} failed: {e}",
                            resource.type_name, resource.name
                        ))
                        .with_span(Some(resource.span.clone())),
                    );
                    Value::Unknown
                }
            },
            Err(errors) => {
                diags.extend(errors);
                Value::Unknown
            }
        };
        values.insert(instance.key, value);
    }
    evaluator.set_instances(index, values);
    Some(diags)
}

/// Decides one instance's action and proposed state.
pub fn plan_instance(
    schema: &provider::Schema,
    config: &Attrs,
    prior: Option<&Attrs>,
    default_tags: &BTreeMap<String, String>,
) -> (Action, Attrs, diff::Difference) {
    let Some(prior) = prior else {
        return (
            Action::Create,
            proposed(schema, config, None, default_tags),
            diff::Difference::default(),
        );
    };
    let mut updated = proposed(schema, config, Some(prior), default_tags);
    let mut difference = difference(schema, &updated, prior);
    if difference.changed.is_empty() {
        (Action::NoOp, updated, difference)
    } else if difference.replace.is_empty() {
        for (argument, attribute) in &schema.derived {
            if difference.changed.iter().any(|c| c == argument) {
                updated.insert(attribute.to_string(), Value::Unknown);
                // Shown as changing to "(known after apply)", as Terraform
                // shows it.
                if !difference.changed.iter().any(|c| c == attribute) {
                    difference.changed.push(attribute.to_string());
                }
            }
        }
        (Action::Update, updated, difference)
    } else {
        // The replacement is a new object: its computed values are unknown.
        let mut replacement = proposed(schema, config, None, default_tags);
        replacement.insert(ID.to_string(), Value::Unknown);
        (Action::DeleteThenCreate, replacement, difference)
    }
}
