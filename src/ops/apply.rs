//! `terrane apply` and `terrane destroy`: plan under the lock, show the plan,
//! ask, carry it out step by step, and save state after every step.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::watch;

use super::{
    DiskFiles, PlanOptions, Report, StackOptions, Ui, locked, open_stack, read_state,
    refresh_and_plan, saved_plan, until_interrupted,
};
use crate::apply::{self, ApplyRequest, Event, StateSink};
use crate::diag::{Diagnostic, Diagnostics, Sources};
use crate::plan::PlanMode;
use crate::state::{Backend, OutputState, State, StateError};

/// What the command line says about an apply or destroy.
pub struct ApplyOptions {
    pub stack: StackOptions,
    /// Destroy, refresh only, or plan without refreshing.
    pub plan: PlanOptions,
    /// `apply FILE`: carry out this saved plan (its stack directory and
    /// options replace the ones above), without asking.
    pub saved: Option<std::path::PathBuf>,
    /// Don't ask before carrying out the plan.
    pub auto_approve: bool,
    /// At most this many operations at once.
    pub parallelism: usize,
    /// Becomes true on Ctrl-C or SIGTERM.
    pub interrupt: watch::Receiver<bool>,
}

/// How an apply ended, when it did not fail.
pub enum Applied {
    /// The person asked said no.
    Cancelled,
    Complete {
        /// The plan had nothing to do.
        no_changes: bool,
        added: usize,
        changed: usize,
        destroyed: usize,
        /// The outputs now in state.
        outputs: BTreeMap<String, OutputState>,
    },
}

/// Saves apply's state through the backend. Apply saves synchronously
/// between steps; the backend is async, so the save blocks this worker
/// thread (the command line runs on the multi-threaded runtime).
struct BackendSink(Arc<dyn Backend>);

impl StateSink for BackendSink {
    fn save(&self, state: &State) -> Result<(), StateError> {
        let handle = tokio::runtime::Handle::current();
        tokio::task::block_in_place(|| handle.block_on(self.0.write(state)))
    }

    fn record(&self, state: &State, address: &str) -> Result<(), StateError> {
        let handle = tokio::runtime::Handle::current();
        tokio::task::block_in_place(|| handle.block_on(self.0.append(state, address)))
    }
}

/// Plans, shows the plan through `ui`, asks (unless auto-approved), and
/// applies, all under the state lock. Failures and an interrupt come back
/// as a report naming each failed address and its AWS error.
///
/// A saved plan is checked first, before AWS is read: against the stack's
/// files and variables, then the state; then, once AWS is read, the plan
/// made again must do exactly what the saved one says. Any difference
/// refuses it with nothing changed.
pub async fn apply(options: &ApplyOptions, ui: &dyn Ui) -> Result<Applied, Report> {
    let saved = options.saved.as_deref().map(saved_plan::read).transpose()?;
    let mut stack_options = options.stack.clone();
    let mut plan_options = options.plan.clone();
    if let Some(file) = &saved {
        stack_options.dir = file.stack_dir.clone().into();
        stack_options.saved_variables = saved_plan::saved_variables(file);
        plan_options = PlanOptions {
            destroy: file.destroy,
            mode: file.mode,
            out: None,
            targeting: file.targeting.clone(),
            generate_config_out: None,
            timestamp: file.plan_timestamp,
        };
    }
    let (stack, backend) = open_stack(&stack_options, ui)
        .await
        .map_err(|report| match &saved {
            Some(_) => saved_plan::explain_missing_sensitive(report),
            None => report,
        })?;
    if let Some(file) = &saved {
        saved_plan::check_stack(file, &stack)?;
    }
    let interrupt = options.interrupt.clone();
    let work = async {
        let prior = read_state(backend.as_ref()).await?;
        if let Some(file) = &saved {
            saved_plan::check_state(file, &prior)?;
        }
        let aws = stack.aws_providers().await?;
        let pending_before = prior.pending.clone();
        let mut planned = until_interrupted(
            refresh_and_plan(&stack, &aws, prior, &plan_options),
            interrupt.clone(),
        )
        .await?;
        if let Some(file) = &saved {
            saved_plan::check_same_plan(file, &stack, &planned)?;
        }
        if planned.state.pending != pending_before {
            // Objects of interrupted creates were adopted (or found never
            // made): recorded now, whatever happens next.
            planned.state.serial += 1;
            backend.write(&planned.state).await.map_err(Report::state)?;
        }
        ui.warnings(&stack.config.sources, &planned.warnings);
        ui.plan(&planned.plan);
        let findings = super::policy::check(&stack.config, &stack.policy, &planned.plan);
        ui.warnings(
            &stack.config.sources,
            &crate::policy::diagnostics(&findings),
        );
        super::policy::gate(&findings, stack.policy.fail_on)?;
        if !planned.plan.has_changes() {
            return Ok(Applied::Complete {
                no_changes: true,
                added: 0,
                changed: 0,
                destroyed: 0,
                outputs: planned.state.outputs,
            });
        }
        // A saved plan was reviewed when it was made: not asked again.
        if !options.auto_approve && saved.is_none() {
            let answer = until_interrupted(
                async { Ok(ui.confirm(plan_options.destroy).await) },
                interrupt.clone(),
            )
            .await;
            if !matches!(answer, Ok(true)) {
                return Ok(Applied::Cancelled);
            }
        }

        if !planned.plan.changes_objects() || planned.plan.mode == PlanMode::RefreshOnly {
            // Only state changes (moved, removed and import blocks, new
            // output values, or accepting what changed outside terrane):
            // record it.
            let mut state = planned.state;
            if planned.plan.mode != PlanMode::RefreshOnly && !planned.plan.destroy {
                state.outputs = planned.plan.known_outputs();
            }
            state.serial += 1;
            backend.write(&state).await.map_err(Report::state)?;
            return Ok(Applied::Complete {
                no_changes: false,
                added: 0,
                changed: 0,
                destroyed: 0,
                outputs: state.outputs,
            });
        }

        let sink = BackendSink(backend.clone());
        let on_event = |event: Event<'_>| ui.event(&event);
        let outcome = apply::apply(
            ApplyRequest {
                config: &stack.config,
                graph: &stack.graph,
                plan: &planned.plan,
                variables: stack.variables.clone(),
                data: planned.data.clone(),
                files: &DiskFiles,
                aws,
                parallelism: options.parallelism,
                interrupt: interrupt.clone(),
                sink: &sink,
                on_event: &on_event,
                now: super::unix_now(),
            },
            planned.state,
        )
        .await;

        ui.warnings(&stack.config.sources, &outcome.warnings);
        if outcome.failures.is_empty() && !outcome.interrupted {
            let (added, changed, destroyed) = planned.plan.summary();
            return Ok(Applied::Complete {
                no_changes: false,
                added,
                changed,
                destroyed,
                outputs: outcome.state.outputs,
            });
        }
        let mut diags = Diagnostics::default();
        for failure in &outcome.failures {
            diags.push(Diagnostic::error(format!(
                "{}: {}",
                failure.address, failure.message
            )));
        }
        if outcome.interrupted {
            diags.push(Diagnostic::error("Apply interrupted").with_detail(
                "steps in flight finished and were saved; run apply again to continue",
            ));
        }
        Err(Report {
            sources: Sources::default(),
            diags,
        })
    };
    let operation = if plan_options.destroy {
        "destroy"
    } else {
        "apply"
    };
    locked(
        &backend,
        operation,
        &stack_options,
        interrupt.clone(),
        ui,
        &stack,
        work,
    )
    .await
}
