//! Refresh: reading every object in state back from AWS, one batched call
//! per resource type and provider configuration (region or account).

use std::collections::BTreeMap;

use crate::diag::Diagnostic;
use crate::diag::Diagnostics;
use crate::plan::diff::{ID, derive_tags, keep_unreported};
use crate::provider::{self, Providers};
use crate::state::State;
use crate::value::Value;

/// Returns the state as AWS has it now. Objects that no longer exist are
/// dropped (and noted), as Terraform does, so the plan creates them again.
pub async fn refresh(
    providers: &Providers,
    mut state: State,
) -> Result<(State, Diagnostics), Diagnostic> {
    let mut notes = Diagnostics::default();
    for pending in &state.pending {
        notes.push(
            Diagnostic::warning(format!("A previous run was interrupted while creating {}", pending.address))
                .with_detail(format!(
                    "the object may exist in AWS without being in state; look for the tag terrane:address = {:?} (started {})",
                    pending.address, pending.started_at
                )),
        );
    }

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
