//! Drift: what changed outside terrane, found by comparing the state as
//! last saved with the state just read back from AWS. Reported before the
//! plan, attribute by attribute, as Terraform's "Objects have changed
//! outside of Terraform". Pure.

use crate::addr::InstanceAddr;
use crate::provider;
use crate::state::State;

use super::diff::difference;
use super::{Action, ResourceChange};

/// One entry per object that changed (`Update`, with the attributes that
/// differ) or disappeared (`Delete`) since state was saved, in address
/// order. Objects only in state (built-in local types) cannot drift.
pub fn drift(saved: &State, refreshed: &State) -> Vec<ResourceChange> {
    let mut found = Vec::new();
    for before in &saved.resources {
        let Some(resource_type) = provider::resource_type(&before.type_name) else {
            continue;
        };
        if resource_type.is_local() {
            continue;
        }
        let Some(addr) = InstanceAddr::parse(&before.address) else {
            continue;
        };
        let schema = resource_type.schema();
        let after = refreshed.resource(&before.address);
        let (action, changed) = match after {
            None => (Action::Delete, Vec::new()),
            Some(after) => {
                let changed = difference(schema, &after.attributes, &before.attributes).changed;
                if changed.is_empty() {
                    continue;
                }
                (Action::Update, changed)
            }
        };
        found.push(ResourceChange {
            action,
            after: after.map(|a| a.attributes.clone()),
            changed,
            ..ResourceChange::deletion(before, addr)
        });
    }
    found.sort_by(|a, b| a.addr.cmp(&b.addr));
    found
}
