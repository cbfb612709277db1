//! Refresh: reading every object in state back from AWS, one batched call
//! per resource type and provider configuration (region or account).

use std::collections::BTreeMap;
use std::time::Duration;

use crate::diag::Diagnostic;
use crate::diag::Diagnostics;
use crate::plan::diff::{ID, derive_tags, keep_unreported};
use crate::provider::{self, CreateRequest, Found, ProviderError, Providers};
use crate::retry::{self, Backoff};
use crate::state::{ResourceState, State};
use crate::value::Value;

/// Returns the state as AWS has it now. Objects that no longer exist are
/// dropped (and noted), as Terraform does, so the plan creates them again.
pub async fn refresh(
    providers: &Providers,
    mut state: State,
) -> Result<(State, Diagnostics), Diagnostic> {
    let mut notes = Diagnostics::default();

    // Keyed by (provider configuration, type).
    let mut ids_by_type: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for resource in &state.resources {
        if provider::resource_type(&resource.type_name).is_some_and(|t| t.is_local()) {
            continue; // lives only in state: nothing to read
        }
        ids_by_type
            .entry((resource.provider.clone(), resource.type_name.clone()))
            .or_default()
            .push(resource.id.clone());
    }
    let reads = ids_by_type.into_iter().map(|(key, ids)| async move {
        let (provider_name, type_name) = &key;
        let Some(resource_type) = provider::resource_type(type_name) else {
            return Err(Diagnostic::error(format!(
                "State holds resources of type {type_name:?}, which this terrane does not support"
            )));
        };
        let aws = providers.get(provider_name).map_err(|_| {
            Diagnostic::error(format!(
                "State holds {type_name} resources managed by the provider configuration {provider_name}, which the stack no longer declares"
            ))
            .with_hint("restore its provider block until the resources it manages are destroyed")
        })?;
        resource_type
            .read_many(aws, &ids)
            .await
            .map(|found| (key.clone(), found))
            .map_err(|e| Diagnostic::error(format!("Refreshing {type_name} failed: {e}")))
    });
    let mut found: BTreeMap<(String, String), BTreeMap<String, crate::value::Attrs>> =
        BTreeMap::new();
    for result in futures::future::join_all(reads).await {
        let (key, objects) = result?;
        found.insert(key, objects);
    }

    let default_tags = providers.default_tags();
    let no_tags = BTreeMap::new();
    let mut kept = Vec::new();
    for mut resource in std::mem::take(&mut state.resources) {
        if provider::resource_type(&resource.type_name).is_some_and(|t| t.is_local()) {
            kept.push(resource);
            continue;
        }
        let default_tags = default_tags.get(&resource.provider).unwrap_or(&no_tags);
        match found
            .get_mut(&(resource.provider.clone(), resource.type_name.clone()))
            .and_then(|objects| objects.remove(&resource.id))
        {
            Some(mut attrs) => {
                attrs.insert(ID.to_string(), Value::string(resource.id.clone()));
                keep_unreported(&mut attrs, &resource.attributes);
                derive_tags(&mut attrs, resource.attributes.get("tags"), default_tags);
                if let Some(aws) = providers.0.get(&resource.provider) {
                    aws.settings.ignore_tags.strip(&mut attrs);
                }
                resource.attributes = attrs;
                kept.push(resource);
            }
            None => notes.push(Diagnostic::warning(format!(
                "{} ({}) no longer exists in AWS; it will be planned as new",
                resource.address, resource.id
            ))),
        }
    }
    state.resources = kept;
    Ok((state, notes))
}

/// How long after a create started AWS may still carry out its request (or
/// show its object): a create killed earlier than this and not found yet is
/// looked for again until then.
const REQUEST_SETTLE_TIME: Duration = Duration::from_secs(15);

/// Settles each create a previous run started and never finished: the
/// object it made, if AWS has it (found by its client token, terrane's tags
/// or its name), joins state to be read back and planned like any other;
/// if AWS has none, the pending record goes. An object that has the
/// create's name but is not this stack's is never adopted: that is an error
/// naming the address, and the record stays for the next run.
pub async fn resolve_interrupted_creates(
    providers: &Providers,
    state: &mut State,
) -> Result<Diagnostics, Diagnostic> {
    let mut notes = Diagnostics::default();
    let searches = state.pending.iter().map(|pending| async move {
        let record = pending.planned.as_deref().cloned().unwrap_or_else(|| {
            // A record from before terrane kept the arguments: tags alone.
            let addr = crate::addr::InstanceAddr::parse(&pending.address);
            ResourceState {
                address: pending.address.clone(),
                type_name: addr.map(|a| a.type_name).unwrap_or_default(),
                id: String::new(),
                attributes: Default::default(),
                dependencies: Vec::new(),
                provider: "aws".into(),
                sensitive_attributes: Vec::new(),
            }
        });
        let found = match (
            provider::resource_type(&record.type_name),
            providers.get(&record.provider),
        ) {
            (Some(resource_type), Ok(aws)) => {
                let started = humantime::parse_rfc3339_weak(&pending.started_at)
                    .unwrap_or(std::time::SystemTime::UNIX_EPOCH);
                let request = CreateRequest {
                    planned: &record.attributes,
                    address: &pending.address,
                    client_token: &pending.client_token,
                    started,
                };
                // A request sent just before the kill may be carried out
                // (or become visible) a little later: until it has had time
                // to, finding nothing is looked at again.
                let settled = started + REQUEST_SETTLE_TIME;
                let left = settled
                    .duration_since(std::time::SystemTime::now())
                    .unwrap_or_default();
                let looks = Backoff::doubling(Duration::from_millis(500), Duration::from_secs(4))
                    .within(left);
                let found = retry::poll(looks, || async {
                    let found = resource_type.find_created(aws, &request).await?;
                    let settled = found != Found::Nothing || left.is_zero();
                    Ok::<_, ProviderError>(settled.then_some(found))
                })
                .await
                .map(|found| found.unwrap_or(Found::Nothing));
                Some(found.map_err(|e| {
                    Diagnostic::error(format!(
                        "Looking for {}, whose create a previous run started, failed: {e}",
                        pending.address
                    ))
                })?)
            }
            // No way to look (its provider block is gone): kept for a run
            // that has one.
            _ => None,
        };
        Ok::<_, Diagnostic>((pending.started_at.clone(), record, found))
    });
    let mut conflicts = Vec::new();
    for result in futures::future::join_all(searches).await {
        let (started_at, mut record, found) = result?;
        let address = record.address.clone();
        match found {
            None => notes.push(
                Diagnostic::warning(format!(
                    "A previous run started creating {address} (at {started_at}) and was interrupted; it could not be looked for"
                ))
                .with_detail(format!(
                    "its provider configuration {} or its type is missing from this stack; the object may exist in AWS with the tag terrane:address = {address:?}",
                    record.provider
                )),
            ),
            Some(Found::Ours(id)) => {
                notes.push(Diagnostic::warning(format!(
                    "Adopted {address} ({id}): a previous run created it and was interrupted before recording it"
                )));
                if let Some(old) = state.remove(&address) {
                    // A create-before-destroy replacement: the old object
                    // still waits for its delete.
                    state.deposed.push(old);
                }
                record
                    .attributes
                    .insert(ID.to_string(), Value::string(id.clone()));
                record.id = id;
                state.upsert(record);
                state.pending.retain(|p| p.address != address);
            }
            Some(Found::Nothing) => {
                notes.push(Diagnostic::warning(format!(
                    "A previous run started creating {address} (at {started_at}) and was interrupted; AWS has no such object, so it will be planned again"
                )));
                state.pending.retain(|p| p.address != address);
            }
            Some(Found::Foreign(id)) => conflicts.push((address, id)),
        }
    }
    if let Some((address, id)) = conflicts.first() {
        let others = conflicts.len() - 1;
        return Err(Diagnostic::error(format!(
            "{address}: {id} already exists in AWS with the name this stack gives it, but this stack did not create it"
        ))
        .with_detail(format!(
            "a previous run started creating {address} and was interrupted; the object found has the same name without this stack's terrane:stack and terrane:address tags, so it is someone else's and is left alone{}",
            if others > 0 { format!(" ({others} more like it)") } else { String::new() }
        ))
        .with_hint(format!(
            "if it is the object this stack means, take it over with `terrane import {address} {id}`; otherwise give the resource another name"
        )));
    }
    Ok(notes)
}
