//! The apply journal: what each finished step changed, appended to a file
//! beside a local state so a step costs O(1) writes instead of a rewrite of
//! the whole state.
//!
//! A record holds everything state says about one address after the step
//! (its object, its pending create, its deposed objects), so replaying it
//! is idempotent. Records carry the state's lineage and serial: replay
//! applies, in order, those of the same lineage with a serial above the
//! state's, which makes a journal left beside a newer state harmless.

use serde::{Deserialize, Serialize};

use super::{PendingOperation, ResourceState, State};

#[derive(Debug, Serialize, Deserialize)]
pub struct JournalRecord {
    lineage: String,
    serial: u64,
    address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    resource: Option<ResourceState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pending: Option<PendingOperation>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    deposed: Vec<ResourceState>,
}

impl JournalRecord {
    /// What `state` says about `address` now.
    pub fn of(state: &State, address: &str) -> JournalRecord {
        JournalRecord {
            lineage: state.lineage.clone(),
            serial: state.serial,
            address: address.to_string(),
            resource: state.resource(address).cloned(),
            pending: state.pending.iter().find(|p| p.address == address).cloned(),
            deposed: state
                .deposed
                .iter()
                .filter(|r| r.address == address)
                .cloned()
                .collect(),
        }
    }
}

/// The state with the journal applied. With no state file yet (the first
/// apply of a stack was stopped before writing one), the journal's own
/// lineage starts one, so that what it created is not forgotten.
pub fn replay_onto(state: Option<State>, journal: &str) -> Option<State> {
    let mut state = match state {
        Some(state) => state,
        None => {
            let lineage = journal
                .lines()
                .find_map(|line| serde_json::from_str::<JournalRecord>(line).ok())?
                .lineage;
            State {
                lineage,
                ..State::new()
            }
        }
    };
    replay(&mut state, journal);
    Some(state)
}

/// Applies the journal's records (one JSON object per line) to `state`.
/// A last line cut short by a crash mid-write is ignored: its step was not
/// acknowledged. Returns how many records were applied.
pub fn replay(state: &mut State, journal: &str) -> usize {
    let mut applied = 0;
    for line in journal.lines() {
        let Ok(record) = serde_json::from_str::<JournalRecord>(line) else {
            continue;
        };
        if record.lineage != state.lineage || record.serial <= state.serial {
            continue;
        }
        let address = record.address;
        state.remove(&address);
        if let Some(resource) = record.resource {
            state.upsert(resource);
        }
        state.pending.retain(|p| p.address != address);
        state.pending.extend(record.pending);
        state.deposed.retain(|r| r.address != address);
        state.deposed.extend(record.deposed);
        state.serial = record.serial;
        applied += 1;
    }
    applied
}
