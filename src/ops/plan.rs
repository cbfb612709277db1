//! Planning: refresh the prior state, read data sources, and diff the
//! configuration against what AWS has (the pure part is `crate::plan`).
//! `terrane plan` runs [`plan`]; apply and destroy plan through
//! [`refresh_and_plan`] while they hold the lock.

use std::collections::BTreeMap;
use std::path::PathBuf;

use tokio::sync::watch;

use super::{Report, Stack, StackOptions, Ui, locked, open_stack, read_state, until_interrupted};
use crate::addr::InstanceAddr;
use crate::diag::{Diagnostic, Diagnostics};
use crate::graph::Node;
use crate::lang::block_eval::{BlockEvaluator, with_marks};
use crate::lang::modules::absolute_address;
use crate::lang::{Config, Mode, Resource};
use crate::plan::{
    self, DataValues, Plan, PlanMode, PlanRequest, ReadReason, ResourceChange, TargetAddresses,
};
use crate::provider::{self, Providers};
use crate::state::{State, edit};
use crate::value::{Attrs, Value};

use super::refresh::resolve_interrupted_creates;
use super::{DiskFiles, import, refresh, saved_plan};

/// The result of planning: the plan and what it was made from.
pub(super) struct Planned {
    pub plan: Plan,
    /// The prior state, refreshed from AWS.
    pub state: State,
    pub data: DataValues,
    /// Notes about the refresh (objects deleted outside terrane, interrupted
    /// creates) and plan warnings.
    pub warnings: Diagnostics,
    /// The `--target`, `--exclude` and `--replace` it was made with.
    pub targeting: TargetAddresses,
}

/// What the command line says about how to plan.
#[derive(Clone, Debug, Default)]
pub struct PlanOptions {
    /// Plan to destroy everything the stack manages.
    pub destroy: bool,
    pub mode: PlanMode,
    /// `plan --out FILE`: save the plan there.
    pub out: Option<PathBuf>,
    /// `--target`, `--exclude`, `--replace`.
    pub targeting: TargetAddresses,
    /// `plan --generate-config-out FILE`: write resource blocks for import
    /// blocks that have none, then plan with them.
    pub generate_config_out: Option<PathBuf>,
    /// The plan's time, when applying a saved plan made at that time
    /// (`None`: now).
    pub timestamp: Option<i64>,
    /// `plan --json`: the outcome carries the plan in the shape of
    /// `terraform show -json` (built only then: it was the largest
    /// allocation at a no-change plan's peak).
    pub json: bool,
}

/// What `terrane plan` made.
pub struct PlanOutcome {
    pub plan: Plan,
    /// The plan in the shape of `terraform show -json`, when
    /// [`PlanOptions::json`] asked for it.
    pub json: Option<serde_json::Value>,
    /// What the policy rules found in the plan (already shown through the
    /// `Ui` as diagnostics); `policy::gate` says whether they fail the run.
    pub findings: Vec<crate::policy::Finding>,
    pub policy_fail_on: crate::policy::Severity,
}

/// `terrane plan`: loads the stack, takes the lock, refreshes and plans.
/// Warnings reach `ui` as soon as they are known; the plan comes back.
pub async fn plan(
    options: &StackOptions,
    plan_options: &PlanOptions,
    interrupt: watch::Receiver<bool>,
    ui: &dyn Ui,
) -> Result<PlanOutcome, Report> {
    if let Some(path) = &plan_options.generate_config_out {
        let written = import::generate_config(options, path, ui).await?;
        ui.warnings(
            &Default::default(),
            &Diagnostic::warning(format!(
                "Wrote {written} resource block(s) for import blocks to {}",
                path.display()
            ))
            .with_detail("review them before committing; the plan below includes them if the file is in the stack's directory")
            .into(),
        );
    }
    let (stack, backend) = open_stack(options, ui).await?;
    let work = async {
        let prior = read_state(backend.as_ref()).await?;
        let aws = stack.aws_providers().await?;
        let planned = until_interrupted(
            refresh_and_plan(&stack, &aws, prior, plan_options),
            interrupt.clone(),
        )
        .await?;
        ui.warnings(&stack.config.sources, &planned.warnings);
        let findings =
            crate::policy::check(&stack.config, &planned.plan.resource_changes, &stack.policy);
        ui.warnings(
            &stack.config.sources,
            &crate::policy::diagnostics(&findings),
        );
        if let Some(path) = &plan_options.out {
            let file = saved_plan::plan_file(&stack, &planned, saved_plan::new_salt()?);
            saved_plan::write(path, &file)?;
        }
        let json = plan_options
            .json
            .then(|| saved_plan::plan_json(&stack, &planned));
        Ok(PlanOutcome {
            plan: planned.plan,
            json,
            findings,
            policy_fail_on: stack.policy.fail_on,
        })
    };
    locked(
        &backend,
        "plan",
        options,
        interrupt.clone(),
        ui,
        &stack,
        work,
    )
    .await
}

/// Refreshes state (unless told not to), reads data sources and plans.
/// What changed outside terrane since state was saved comes back as the
/// plan's drift; a refresh-only plan proposes nothing else.
pub(super) async fn refresh_and_plan(
    stack: &Stack,
    aws: &Providers,
    mut prior: State,
    options: &PlanOptions,
) -> Result<Planned, Report> {
    let targeting = options.targeting.parse().map_err(|bad| {
        Report::error(
            Diagnostic::error(format!("{bad:?} is not a resource address"))
                .with_hint("addresses look like aws_vpc.main, aws_subnet.public[0], aws_subnet.az[\"us-east-1a\"] or module.network"),
        )
    })?;
    let (moved, forgotten, move_warnings) = apply_moved_and_removed(&stack.config, &mut prior);
    // Objects that interrupted creates made join state before it is read
    // (with or without a refresh), so that nothing is created twice.
    let mut resolved = prior.clone();
    let adoption_notes = resolve_interrupted_creates(aws, &mut resolved)
        .await
        .map_err(Report::error)?;
    // Objects import blocks bring in are read with the rest of state.
    let imports = import::import_block_seeds(stack, &resolved)?;
    let (state, mut warnings) = match options.mode {
        PlanMode::NoRefresh if !imports.is_empty() => {
            return Err(Report::error(
                Diagnostic::error("Import blocks need a refresh")
                    .with_detail("the objects they import are read from AWS")
                    .with_hint("plan without --refresh=false"),
            ));
        }
        PlanMode::NoRefresh => (
            resolved,
            Diagnostics::from(Diagnostic::warning("Planned from state alone (--refresh=false)").with_detail(
                "objects were not read back from AWS, so changes made outside terrane are not seen",
            )),
        ),
        _ => {
            let mut with_imports = resolved;
            for seed in &imports {
                with_imports.upsert(seed.clone());
            }
            refresh(aws, with_imports).await.map_err(Report::error)?
        }
    };
    warnings.extend(adoption_notes);
    import::check_found(&imports, &state)?;
    let drift = plan::drift::drift(&prior, &state);
    // The state as it was is needed no further: dropped here, the plan
    // below does not hold it too (at 10,000 resources a copy of state is
    // tens of megabytes of the plan's peak).
    drop(prior);
    warnings.extend(move_warnings);
    let mut data = read_data_sources(stack, aws).await?;
    let timestamp = Some(options.timestamp.unwrap_or_else(super::unix_now));
    // Data sources that depend on managed resources are read once the plan
    // shows those have no changes pending, and the plan is made again with
    // what they read, until none is left to read: each pass reads at least
    // one, so this ends.
    let (plan, diags) = loop {
        let (plan, diags) = plan::plan(PlanRequest {
            config: &stack.config,
            graph: &stack.graph,
            variables: stack.variables.clone(),
            data: data.clone(),
            prior: &state,
            default_tags: aws.default_tags(),
            files: &DiskFiles,
            destroy: options.destroy,
            validate_only: false,
            targeting: targeting.clone(),
            timestamp,
        });
        let ready: Vec<&ResourceChange> = plan
            .resource_changes
            .iter()
            .filter(|c| c.read_reason == Some(ReadReason::Ready))
            .collect();
        // Errors may come from what those reads will tell (a for_each over
        // what a data source finds): only a pass with nothing left to read
        // reports them.
        if !ready.is_empty() {
            read_ready(stack, aws, &ready, &mut data).await?;
            continue;
        }
        if diags.has_errors() {
            return Err(Report {
                sources: stack.config.sources.clone(),
                diags,
            });
        }
        break (plan, diags);
    };
    warnings.extend(diags);
    let mut plan = Plan {
        moved,
        forgotten,
        drift,
        mode: options.mode,
        imported: imports.iter().map(|i| i.address.clone()).collect(),
        ..plan
    };
    if options.mode == PlanMode::RefreshOnly {
        // Nothing is proposed but recording what AWS says (and what moved
        // and removed blocks do to addresses).
        plan.resource_changes.clear();
    }
    Ok(Planned {
        plan,
        state,
        data,
        warnings,
        targeting: options.targeting.clone(),
    })
}

/// Carries out `moved` blocks (in the order written) and `removed` blocks
/// with `destroy = false` on the prior state, as Terraform does before
/// planning. A move whose source is not in state has already happened (or
/// never will) and is skipped; one onto an address state already holds is
/// a warning, and the two objects are planned as they stand.
fn apply_moved_and_removed(
    config: &Config,
    state: &mut State,
) -> (Vec<(String, String)>, Vec<String>, Diagnostics) {
    let mut moved = Vec::new();
    let mut warnings = Diagnostics::default();
    for block in &config.moved {
        let from = absolute_address(config, block.module, &block.from);
        let to = absolute_address(config, block.module, &block.to);
        match edit::move_address(state, &from, &to) {
            Ok(done) => moved.extend(done),
            // Moved already (or never created): nothing to do.
            Err(error) if error.no_match => {}
            Err(error) => warnings.push(
                Diagnostic::warning(format!("Cannot move {from} to {to}"))
                    .with_detail(error.message)
                    .with_span(Some(block.span.clone())),
            ),
        }
    }
    let mut forgotten = Vec::new();
    for block in config.removed.iter().filter(|r| !r.destroy) {
        let from = absolute_address(config, block.module, &block.from);
        for address in edit::matching(state, &from) {
            state.remove(&address);
            forgotten.push(address);
        }
    }
    (moved, forgotten, warnings)
}

/// Reads the data sources the plan found ready (`ReadReason::Ready`: their
/// arguments known, nothing they depend on changing) into `data`.
async fn read_ready(
    stack: &Stack,
    aws: &Providers,
    ready: &[&ResourceChange],
    data: &mut DataValues,
) -> Result<(), Report> {
    let mut diags = Diagnostics::default();
    for change in ready {
        let Some(index) = change.resource else {
            continue;
        };
        let resource = &stack.config.resources[index];
        // The planned value: the arguments, and unknown computed attributes.
        let args: Attrs = change
            .after
            .iter()
            .flatten()
            .filter(|(_, value)| !matches!(value, Value::Unknown))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        match read_instance(aws, resource, &change.address, &args).await {
            Ok(value) => {
                data.entry(index)
                    .or_default()
                    .insert(change.addr.key.clone(), value);
            }
            Err(diag) => diags.push(diag),
        }
    }
    if diags.has_errors() {
        return Err(Report {
            sources: stack.config.sources.clone(),
            diags,
        });
    }
    Ok(())
}

/// Reads one instance of a data source from AWS.
async fn read_instance(
    aws: &Providers,
    resource: &Resource,
    address: &str,
    args: &Attrs,
) -> Result<Value, Diagnostic> {
    let at = |diag: Diagnostic| diag.with_span(Some(resource.span.clone()));
    let source = provider::data_source_type(&resource.type_name).ok_or_else(|| {
        at(Diagnostic::error(format!(
            "{} is not a data source terrane can read",
            resource.type_name
        )))
    })?;
    let aws = aws
        .get(&resource.provider)
        .map_err(|e| at(Diagnostic::error(e)))?;
    match source.read(aws, args).await {
        // Its sensitive attributes marked, so what uses them is too.
        Ok(value) => Ok(with_marks(
            value,
            &crate::plan::schema_sensitive(source.schema()),
        )),
        Err(e) => Err(at(Diagnostic::error(format!(
            "Reading {address} failed: {e}"
        )))),
    }
}

/// Reads every data source that depends on no managed resource and whose
/// arguments are known, walking the graph so that locals they use are
/// evaluated first. The others are the plan's to schedule
/// ([`plan::reads_after_managed`]); offline ones are computed by the plan.
async fn read_data_sources(stack: &Stack, aws: &Providers) -> Result<DataValues, Report> {
    let config = &stack.config;
    let mut evaluator = BlockEvaluator::new(config, &DiskFiles, stack.variables.clone());
    let mut data = DataValues::new();
    let mut diags = Diagnostics::default();
    for node in &stack.graph.order {
        match *node {
            Node::Resource(i) if config.resources[i].mode == Mode::Managed => {
                evaluator.set_resource_unknown(i);
            }
            Node::Resource(i) if plan::reads_after_managed(config, &stack.graph, i) => {
                // Left to the plan, but one with no instances has nothing
                // to wait for: an empty collection, here and in apply.
                if evaluator
                    .expand(i)
                    .is_ok_and(|instances| instances.is_empty())
                {
                    data.insert(i, BTreeMap::new());
                }
                evaluator.set_resource_unknown(i);
            }
            Node::Resource(i) => {
                // Computed here for the data sources that read it; the plan
                // computes it again, with the planned resources' values,
                // and reports its errors.
                if plan::eval_offline_data(&mut evaluator, i).is_some() {
                    continue;
                }
                let resource = &config.resources[i];
                let Some(source) = provider::data_source_type(&resource.type_name) else {
                    continue;
                };
                let instances = match evaluator.expand(i) {
                    Ok(instances) => instances,
                    Err(diag) => {
                        diags.push(diag.with_hint(
                            "a data source's count and for_each may use variables, locals and other data sources",
                        ));
                        continue;
                    }
                };
                // Each instance is read on its own; they are few.
                let instances_count = instances.len();
                let mut values = BTreeMap::new();
                for instance in instances {
                    let args = match evaluator.eval_instance(i, &instance, source.schema()) {
                        Ok(args) => args.attrs,
                        Err(errors) => {
                            diags.extend(errors);
                            continue;
                        }
                    };
                    let address = InstanceAddr::new(
                        &format!("data.{}", resource.type_name),
                        &resource.name,
                        instance.key.clone(),
                    )
                    .in_module(resource.module_path.clone());
                    // Known only after apply (`timestamp()`): the plan
                    // schedules it as a read during apply.
                    if args.values().any(|v| !v.is_wholly_known()) {
                        continue;
                    }
                    match read_instance(aws, resource, &address.to_string(), &args).await {
                        Ok(value) => {
                            values.insert(instance.key, value);
                        }
                        Err(diag) => diags.push(diag),
                    }
                }
                if values.len() == instances_count {
                    evaluator.set_instances(i, values.clone());
                } else {
                    // Some read during apply: what uses it waits too.
                    evaluator.set_resource_unknown(i);
                }
                data.insert(i, values);
            }
            other => {
                // Problems here are the plan's to report.
                let _ = plan::eval_value(&mut evaluator, other);
            }
        }
    }
    if diags.has_errors() {
        return Err(Report {
            sources: config.sources.clone(),
            diags,
        });
    }
    Ok(data)
}
