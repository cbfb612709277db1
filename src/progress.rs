//! What an operation in flight is doing right now, for the operator's
//! terminal: the apply scheduler gives each step a [`Note`] (task-local),
//! waits write into it what they wait for ("NAT gateway nat-1 to become
//! available"), and `cli` reads it while drawing progress. Nothing here
//! prints or blocks.

use std::sync::{Arc, Mutex};
use std::time::Instant;

tokio::task_local! {
    static NOTE: Note;
}

/// What one step is waiting for, and since when; shared between the step
/// and whoever shows it.
#[derive(Clone, Debug, Default)]
pub struct Note(Arc<Mutex<Option<(String, Instant)>>>);

impl Note {
    /// What the step waits for now, and since when; `None` while it works.
    pub fn waiting(&self) -> Option<(String, Instant)> {
        self.0.lock().ok()?.clone()
    }
}

/// Runs `work` with `note` as its step's note.
pub async fn with_note<F: std::future::Future>(note: Note, work: F) -> F::Output {
    NOTE.scope(note, work).await
}

/// Runs `wait`, saying meanwhile in the current step's note (if it has
/// one) that it waits for `what`.
pub async fn waiting<F: std::future::Future>(what: &str, wait: F) -> F::Output {
    waiting_for(what);
    let result = wait.await;
    done_waiting();
    result
}

/// Says, in the current step's note (if it has one), that it waits for
/// `what` from now on; until [`done_waiting`].
fn waiting_for(what: &str) {
    let _ = NOTE.try_with(|note| {
        if let Ok(mut slot) = note.0.lock() {
            *slot = Some((what.to_string(), Instant::now()));
        }
    });
}

/// The current step is working again.
fn done_waiting() {
    let _ = NOTE.try_with(|note| {
        if let Ok(mut slot) = note.0.lock() {
            *slot = None;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_step_s_waits_show_in_its_note_only() {
        let note = Note::default();
        let seen = note.clone();
        with_note(note, async {
            waiting("the cluster to become ACTIVE", async {
                assert_eq!(
                    seen.waiting().map(|(what, _)| what).as_deref(),
                    Some("the cluster to become ACTIVE")
                );
            })
            .await;
        })
        .await;
        assert!(seen.waiting().is_none());
        // Outside any step: nothing to write to, and no panic.
        waiting("nothing", async {}).await;
    }
}
