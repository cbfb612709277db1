//! `terrane state rebuild`: a state made anew from what AWS holds, for when
//! the state is lost.
//!
//! The configuration says what should exist; AWS is asked, for each
//! instance the plan would create, whether the object is already there,
//! the way an interrupted create is looked for (`find_created`: terrane's
//! tags, the name, or the arguments that identify an untagged object).
//! What is found joins the state and is read back; that makes the
//! arguments of what depends on it known (a subnet's `vpc_id`), so the
//! search goes round again until a round finds nothing new. The state is
//! written with a new lineage, under the lock. Objects tagged with the
//! stack that the new state does not hold are listed too (`discovery`).
//! This module sequences; it never prints.

use std::collections::BTreeSet;
use std::time::SystemTime;

use super::migrate::write_new_state;
use super::plan::refresh_and_plan;
use super::state_cmds::EditOptions;
use super::{PlanOptions, Report, Stack, StackOptions};
use crate::diag::Diagnostics;
use crate::plan::diff::ID;
use crate::plan::{Action, ResourceChange};
use crate::provider::{self, CreateRequest, Found, Providers, aws::list_stack_objects};
use crate::state::{ResourceState, State};
use crate::value::{Attrs, Value};

/// A stack deeper than this many levels of dependency is not searched to
/// its leaves (each level needs the one above it found first).
const MAX_ROUNDS: usize = 32;

/// What `state rebuild` found and wrote.
#[derive(Debug, Default)]
pub struct Rebuilt {
    /// (address, id) of each object found and recorded.
    pub found: Vec<(String, String)>,
    /// Instances of the configuration AWS has no object for.
    pub missing: Vec<String>,
    /// (address, id): an object with the name the configuration gives,
    /// which this stack did not make: left out (`terrane import` takes it).
    pub foreign: Vec<(String, String)>,
    /// (id, its `terrane:address` tag): objects tagged with this stack that
    /// the new state does not hold.
    pub unclaimed: Vec<(String, String)>,
    pub serial: u64,
    pub lineage: String,
    pub warnings: Diagnostics,
}

/// Rebuilds the stack's state from AWS and writes it (refusing to replace
/// a state that holds instances unless `edit.force`).
pub async fn rebuild_state(
    stack: &Stack,
    options: &StackOptions,
    edit: EditOptions,
) -> Result<Rebuilt, Report> {
    let aws = stack.aws_providers().await?;
    let mut rebuilt = Rebuilt::default();
    let mut state = State::new();
    let mut settled: BTreeSet<String> = BTreeSet::new();
    for _ in 0..MAX_ROUNDS {
        let planned = refresh_and_plan(stack, &aws, state, &PlanOptions::default()).await?;
        state = planned.state;
        state.outputs = planned.plan.known_outputs();
        let creates: Vec<&ResourceChange> = planned
            .plan
            .resource_changes
            .iter()
            .filter(|c| c.action == Action::Create && !settled.contains(&c.address))
            .collect();
        let searches = creates.iter().map(|change| find(&aws, change));
        let mut found_any = false;
        for (change, found) in creates
            .iter()
            .zip(futures::future::join_all(searches).await)
        {
            match found? {
                Found::Ours(id) => {
                    state.upsert(recorded(change, &id));
                    rebuilt.found.push((change.address.clone(), id));
                    settled.insert(change.address.clone());
                    found_any = true;
                }
                Found::Foreign(id) => {
                    rebuilt.foreign.push((change.address.clone(), id));
                    settled.insert(change.address.clone());
                }
                Found::Nothing => {}
            }
        }
        if !found_any {
            rebuilt.missing = creates
                .iter()
                .filter(|c| !settled.contains(&c.address))
                .map(|c| c.address.clone())
                .collect();
            rebuilt.warnings.extend(planned.warnings);
            break;
        }
    }
    rebuilt.unclaimed = unclaimed(&aws, &state).await?;
    let written = write_new_state(stack, options, edit, state, "state rebuild").await?;
    rebuilt.warnings.extend(written.warnings);
    rebuilt.serial = written.serial;
    rebuilt.lineage = written.lineage;
    Ok(rebuilt)
}

/// Looks for the object `change` would create, with the arguments the plan
/// knows so far (an unknown one finds nothing yet).
async fn find(aws: &Providers, change: &ResourceChange) -> Result<Found, Report> {
    let (Some(resource_type), Some(planned)) =
        (provider::resource_type(&change.type_name), &change.after)
    else {
        return Ok(Found::Nothing);
    };
    if resource_type.is_local() {
        return Ok(Found::Nothing);
    }
    let context = aws
        .get(&change.provider)
        .map_err(|e| Report::error(crate::diag::Diagnostic::error(e)))?;
    let request = CreateRequest {
        planned,
        address: &change.address,
        // The token of the create that made it is gone with the state.
        client_token: "",
        started: SystemTime::UNIX_EPOCH,
    };
    resource_type
        .find_created(context, &request)
        .await
        .map_err(|e| {
            Report::error(crate::diag::Diagnostic::error(format!(
                "Looking for {} failed: {e}",
                change.address
            )))
        })
}

/// The state entry for an object found for `change`: its known planned
/// values until the refresh reads it whole.
fn recorded(change: &ResourceChange, id: &str) -> ResourceState {
    let mut attributes: Attrs = change
        .after
        .iter()
        .flatten()
        .filter(|(_, value)| value.is_wholly_known())
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    attributes.insert(ID.to_string(), Value::string(id));
    ResourceState {
        address: change.address.clone(),
        type_name: change.type_name.clone(),
        id: id.to_string(),
        attributes,
        dependencies: change.dependencies.clone(),
        provider: change.provider.clone(),
        sensitive_attributes: change.sensitive.clone(),
    }
}

/// Objects tagged with this stack that still exist and that the rebuilt
/// state does not hold: a duplicate of an address, or one the
/// configuration no longer declares.
async fn unclaimed(aws: &Providers, state: &State) -> Result<Vec<(String, String)>, Report> {
    let mut seen: BTreeSet<String> = state.resources.iter().map(|r| r.id.clone()).collect();
    let mut unclaimed = Vec::new();
    // Each provider (alias) lists the account's global objects (IAM, S3,
    // Route53) again: the first one to list an object reports it.
    for context in aws.0.values() {
        let tagged = list_stack_objects(context).await.map_err(|e| {
            Report::error(crate::diag::Diagnostic::error(format!(
                "Listing the objects tagged with this stack failed: {e}"
            )))
        })?;
        for (id, address) in tagged {
            if !seen.insert(id.clone()) {
                continue;
            }
            let type_name = crate::addr::InstanceAddr::parse(&address).map(|a| a.type_name);
            // The tags of a deleted object can outlive it: what its type
            // can read must read back. A tag naming no type terrane has is
            // reported as it is.
            let exists = match type_name.as_deref().and_then(provider::resource_type) {
                Some(resource_type) => resource_type
                    .read_many(context, std::slice::from_ref(&id))
                    .await
                    .map(|found| found.contains_key(&id))
                    .unwrap_or(true),
                None => true,
            };
            if exists {
                unclaimed.push((id, address));
            }
        }
    }
    Ok(unclaimed)
}
