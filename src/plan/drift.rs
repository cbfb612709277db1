//! Drift: what changed outside terrane, found by comparing the state as
//! last saved with the state just read back from AWS. Reported before the
//! plan, attribute by attribute, as Terraform's "Objects have changed
//! outside of Terraform". Pure.

use crate::addr::InstanceAddr;
use crate::provider;
use crate::provider::schema::Presence;
use crate::state::State;
use crate::value::{Attrs, Value};

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
                let mut changed = difference(schema, &after.attributes, &before.attributes).changed;
                changed.retain(|name| !filled_in_by_aws(schema, name, &before.attributes));
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

/// An optional-and-computed attribute that had no value and has one now
/// (an Elastic IP's `network_interface` once its NAT gateway takes it):
/// AWS filled it in; nobody changed anything the configuration says. If
/// the configuration sets it, the plan shows the difference anyway.
fn filled_in_by_aws(schema: &crate::provider::schema::Schema, name: &str, saved: &Attrs) -> bool {
    let optional_computed = schema
        .attribute(name)
        .is_some_and(|a| a.presence == Presence::OptionalComputed);
    let was_empty = match saved.get(name) {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        Some(Value::List(items)) => items.is_empty(),
        Some(Value::Map(map)) => map.is_empty(),
        Some(_) => false,
    };
    optional_computed && was_empty
}
