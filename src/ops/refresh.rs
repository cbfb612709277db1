//! Refresh: reading every object in state back from AWS, one batched call
//! per resource type.

use std::collections::BTreeMap;

use crate::diag::Diagnostic;
use crate::diag::Diagnostics;
use crate::plan::diff::{ID, derive_tags, keep_unreported};
use crate::provider::{self, AwsContext};
use crate::state::State;
use crate::value::Value;

/// Returns the state as AWS has it now. Objects that no longer exist are
/// dropped (and noted), as Terraform does, so the plan creates them again.
pub async fn refresh(
    aws: &AwsContext,
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

    let mut ids_by_type: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for resource in &state.resources {
        ids_by_type
            .entry(resource.type_name.clone())
            .or_default()
            .push(resource.id.clone());
    }
    let reads = ids_by_type.into_iter().map(|(type_name, ids)| async move {
        let Some(resource_type) = provider::resource_type(&type_name) else {
            return Err(Diagnostic::error(format!(
                "State holds resources of type {type_name:?}, which this terrane does not support"
            )));
        };
        resource_type
            .read_many(aws, &ids)
            .await
            .map(|found| (type_name.clone(), found))
            .map_err(|e| Diagnostic::error(format!("Refreshing {type_name} failed: {e}")))
    });
    let mut found: BTreeMap<String, BTreeMap<String, crate::value::Attrs>> = BTreeMap::new();
    for result in futures::future::join_all(reads).await {
        let (type_name, objects) = result?;
        found.insert(type_name, objects);
    }

    let default_tags = &aws.settings.default_tags;
    let mut kept = Vec::new();
    for mut resource in std::mem::take(&mut state.resources) {
        match found
            .get_mut(&resource.type_name)
            .and_then(|objects| objects.remove(&resource.id))
        {
            Some(mut attrs) => {
                attrs.insert(ID.to_string(), Value::string(resource.id.clone()));
                keep_unreported(&mut attrs, &resource.attributes);
                derive_tags(&mut attrs, resource.attributes.get("tags"), default_tags);
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
