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
use crate::diag::{Diagnostic, Diagnostics};
use crate::plan::PlanMode;
use crate::provider::aws::stats::{self, StepRequests, recording_requests};
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

/// Saves apply's state through the backend.
struct BackendSink(Arc<dyn Backend>);

#[async_trait::async_trait]
impl StateSink for BackendSink {
    async fn save(&self, state: &State) -> Result<(), StateError> {
        self.0.write(state).await
    }

    async fn stage(&self, state: &State, address: &str) -> Result<(), StateError> {
        self.0.append_unsynced(state, address).await
    }

    fn commit(&self) -> Result<(), StateError> {
        self.0.sync_appended()
    }

    fn write_due(&self) -> Option<std::time::Instant> {
        self.0.write_due()
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
            json: false,
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
        // No step can start before these requests answer: they head the
        // apply's critical path.
        let planning = Arc::new(StepRequests::default());
        let (aws, pending_before, mut planned) = recording_requests(planning.clone(), async {
            let prior = read_state(backend.as_ref()).await?;
            if let Some(file) = &saved {
                saved_plan::check_state(file, &prior)?;
            }
            let aws = stack.aws_providers().await?;
            let pending_before = prior.pending.clone();
            let planned = until_interrupted(
                refresh_and_plan(&stack, &aws, prior, &plan_options),
                interrupt.clone(),
            )
            .await?;
            Ok::<_, Report>((aws, pending_before, planned))
        })
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
        let findings =
            crate::policy::check(&stack.config, &planned.plan.resource_changes, &stack.policy);
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
        stats::lengthen_critical_path(&planning);

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
            diags.push(failure_diagnostic(&stack, &planned.plan, failure));
        }
        if outcome.interrupted {
            diags.push(Diagnostic::error("Apply interrupted").with_detail(
                "steps in flight finished and were saved; run apply again to continue",
            ));
        }
        Err(Report {
            sources: stack.config.sources.clone(),
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

/// A failed step as a diagnostic at its resource block; when AWS's message
/// names one of the block's arguments (`cidrBlock` for `cidr_block`) or
/// quotes its value, at that argument, with a hint saying so.
fn failure_diagnostic(
    stack: &super::Stack,
    plan: &crate::plan::Plan,
    failure: &apply::Failure,
) -> Diagnostic {
    let diag = Diagnostic::error(format!("{}: {}", failure.address, failure.message));
    let change = plan
        .resource_changes
        .iter()
        .find(|c| c.address == failure.address);
    let Some(resource) = change
        .and_then(|c| c.resource)
        .and_then(|i| stack.config.resources.get(i))
    else {
        return diag;
    };
    let planned = change.and_then(|c| c.after.as_ref());
    match argument_named_in(resource, planned, &failure.message) {
        Some((name, span)) => diag.with_span(Some(span)).with_hint(format!(
            "AWS's answer is about `{name}`: check its value here"
        )),
        None => diag.with_span(Some(resource.span.clone())),
    }
}

/// The argument of `resource` (top level or in a nested block) that
/// `message` names, in AWS's spelling (`cidrBlock`, `CidrBlock`) or ours,
/// or else whose planned value it quotes; with where it is written.
fn argument_named_in(
    resource: &crate::lang::config::Resource,
    planned: Option<&crate::value::Attrs>,
    message: &str,
) -> Option<(String, crate::diag::Span)> {
    use hcl_edit::Span as _;
    use hcl_edit::structure::{Body, Structure};
    fn arguments<'a>(body: &'a Body, out: &mut Vec<&'a hcl_edit::structure::Attribute>) {
        for structure in body.iter() {
            match structure {
                Structure::Attribute(attr) => out.push(attr),
                Structure::Block(block) => arguments(&block.body, out),
            }
        }
    }
    let mut written = Vec::new();
    arguments(&resource.body, &mut written);
    let names = |key: &str| {
        let camel: String = key
            .split('_')
            .enumerate()
            .map(|(i, part)| {
                let mut chars = part.chars();
                match chars.next() {
                    Some(first) if i > 0 => first.to_uppercase().chain(chars).collect(),
                    Some(first) => std::iter::once(first).chain(chars).collect(),
                    None => String::new(),
                }
            })
            .collect();
        let mut pascal = camel.clone();
        if let Some(first) = pascal.get(0..1) {
            pascal.replace_range(0..1, &first.to_uppercase());
        }
        [key.to_string(), camel, pascal]
    };
    let mentions = |text: &str| {
        message.match_indices(text).any(|(at, _)| {
            let before = message[..at].chars().next_back();
            let after = message[at + text.len()..].chars().next();
            !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
                && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
    };
    let at = |attr: &hcl_edit::structure::Attribute| {
        attr.value
            .span()
            .map(|range| crate::diag::Span::new(resource.file, range))
    };
    let by_name = written
        .iter()
        .filter(|attr| attr.key.as_str().len() >= 4)
        .filter(|attr| names(attr.key.as_str()).iter().any(|form| mentions(form)))
        .max_by_key(|attr| attr.key.as_str().len());
    if let Some(attr) = by_name {
        return Some((attr.key.to_string(), at(attr)?));
    }
    let planned = planned?;
    written.iter().find_map(|attr| {
        let value = planned.get(attr.key.as_str())?.to_string_lossless()?;
        if value.len() >= 3 && mentions(&value) {
            Some((attr.key.to_string(), at(attr)?))
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::ops::{DiskFiles, StackOptions, load};
    use crate::plan::PlanRequest;
    use crate::provider::Providers;

    /// What an apply told its state sink and its user, in order.
    #[derive(Default)]
    struct Recording(Mutex<Vec<String>>);

    impl Recording {
        fn push(&self, entry: String) -> Result<(), StateError> {
            self.0.lock().unwrap().push(entry);
            Ok(())
        }
    }

    #[async_trait::async_trait]
    impl StateSink for Recording {
        async fn save(&self, _: &State) -> Result<(), StateError> {
            self.push("save".into())
        }

        async fn stage(&self, _: &State, address: &str) -> Result<(), StateError> {
            self.push(format!("stage {address}"))
        }

        fn commit(&self) -> Result<(), StateError> {
            self.push("commit".into())
        }
    }

    /// Plans `main_tf` from an empty state and applies it with `sink`, with
    /// AWS clients that must never be called.
    async fn plan_and_apply(
        main_tf: &str,
        sink: &dyn StateSink,
        on_event: &(dyn Fn(Event<'_>) + Sync),
    ) -> apply::ApplyOutcome {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.tf"), main_tf).unwrap();
        let stack = load(&StackOptions {
            dir: dir.path().into(),
            ..StackOptions::default()
        })
        .unwrap_or_else(|_| panic!("the stack loads"));
        let (plan, diags) = crate::plan::plan(PlanRequest {
            config: &stack.config,
            graph: &stack.graph,
            variables: stack.variables.clone(),
            data: BTreeMap::new(),
            prior: &State::new(),
            default_tags: BTreeMap::new(),
            files: &DiskFiles,
            destroy: false,
            validate_only: false,
            targeting: Default::default(),
            timestamp: Some(0),
        });
        assert!(!diags.has_errors(), "{diags:?}");
        let (_keep, interrupt) = watch::channel(false);
        apply::apply(
            ApplyRequest {
                config: &stack.config,
                graph: &stack.graph,
                plan: &plan,
                variables: stack.variables.clone(),
                data: BTreeMap::new(),
                files: &DiskFiles,
                aws: Providers(BTreeMap::from([(
                    "aws".to_string(),
                    Arc::new(crate::provider::AwsContext::from_sdk_config(
                        crate::provider::AwsSettings::default(),
                        aws_config::SdkConfig::builder().build(),
                    )),
                )])),
                parallelism: 10,
                interrupt,
                sink,
                on_event,
                now: 0,
            },
            State::new(),
        )
        .await
    }

    /// Creates that finish while another runs on and nothing starts share
    /// one sync, and each is announced only after a sync made its record
    /// durable; what starts is sent only after its pending create is.
    #[tokio::test]
    async fn finished_creates_wait_for_one_sync_and_are_announced_after_it() {
        let sink = Recording::default();
        let on_event = |event: Event<'_>| {
            let entry = match event {
                Event::Started { address, .. } => format!("started {address}"),
                Event::Finished { address, .. } => format!("finished {address}"),
                _ => return,
            };
            sink.push(entry).unwrap();
        };
        let outcome = plan_and_apply(
            "resource \"time_sleep\" \"quick\" {\n  count           = 3\n  create_duration = \"${count.index * 10}ms\"\n}\n\nresource \"time_sleep\" \"slow\" {\n  create_duration = \"1s\"\n}\n",
            &sink,
            &on_event,
        )
        .await;
        assert!(outcome.failures.is_empty(), "{:?}", outcome.failures);
        let log = sink.0.into_inner().unwrap();
        let at = |entry: &str| log.iter().position(|e| e == entry);
        let commits: Vec<usize> = (0..log.len()).filter(|&i| log[i] == "commit").collect();
        for address in [
            "time_sleep.quick[0]",
            "time_sleep.quick[1]",
            "time_sleep.quick[2]",
            "time_sleep.slow",
        ] {
            let started = at(&format!("started {address}")).expect("started");
            let finished = at(&format!("finished {address}")).expect("announced");
            let last_stage = log
                .iter()
                .rposition(|e| *e == format!("stage {address}"))
                .expect("staged");
            assert!(
                commits.iter().any(|&c| c < started),
                "{address} started before a commit: {log:#?}"
            );
            assert!(
                commits.iter().any(|&c| last_stage < c && c < finished),
                "{address} announced before its record was committed: {log:#?}"
            );
        }
        // One commit before the four start, one for the three quick ones
        // (10 ms apart, within the 100 ms a finished create may wait), one
        // when the slow one ends. A commit per turn made four or five.
        assert_eq!(commits.len(), 3, "{log:#?}");
    }

    /// Refuses every record, as a journal another run changed does.
    struct Refusing;

    #[async_trait::async_trait]
    impl StateSink for Refusing {
        async fn save(&self, _: &State) -> Result<(), StateError> {
            Ok(())
        }

        async fn stage(&self, _: &State, _: &str) -> Result<(), StateError> {
            Err(StateError::Conflict {
                now: "a test's refusal".into(),
            })
        }

        fn commit(&self) -> Result<(), StateError> {
            Ok(())
        }
    }

    /// A create whose pending record is refused is never sent (these AWS
    /// clients have no endpoint or credentials) and leaves no pending
    /// create in state for the next run to look for.
    #[tokio::test]
    async fn a_create_whose_pending_record_is_refused_is_not_left_pending() {
        let outcome = plan_and_apply(
            "resource \"aws_vpc\" \"main\" {\n  cidr_block = \"10.0.0.0/16\"\n}\n",
            &Refusing,
            &|_| {},
        )
        .await;
        assert_eq!(outcome.failures.len(), 1, "{:?}", outcome.failures);
        assert!(
            outcome.failures[0]
                .message
                .starts_with("could not record the pending create in state"),
            "{:?}",
            outcome.failures
        );
        assert!(
            outcome.state.pending.is_empty(),
            "{:?}",
            outcome.state.pending
        );
        assert!(outcome.state.resources.is_empty());
    }
}
