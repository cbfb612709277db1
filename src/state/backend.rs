//! The storage contract every state backend honours, local or remote.
//!
//! A backend stores one state, never silently overwrites it, and locks it:
//! - `read` remembers what it saw (file content, S3 ETag); `write` succeeds
//!   only while the stored state is still exactly that, and refuses with
//!   [`StateError::Conflict`] otherwise. A backend that was never read expects
//!   no state to exist yet.
//! - `lock` is exclusive and names its holder when refused; `unlock` needs the
//!   holder's ID.
//!
//! This module defines the contract only; it does no I/O and never prints.

use async_trait::async_trait;

use super::{LockInfo, State, StateError};
use crate::diag::Diagnostic;

/// One stored version of the state, for `terrane state versions`.
#[derive(Clone, Debug, PartialEq)]
pub struct StateVersion {
    /// What `terrane state restore` takes: an S3 version ID, or `current` /
    /// `backup` for the local backend.
    pub id: String,
    /// When it was written (RFC 3339), where the backend knows.
    pub modified: Option<String>,
    pub is_current: bool,
    /// The state's serial and lineage, when the version is a readable state.
    pub serial: Option<u64>,
    pub lineage: Option<String>,
    /// Why serial and lineage are missing: a delete marker, unreadable JSON.
    pub note: Option<String>,
}

impl StateVersion {
    /// Fills serial and lineage from the version's text, or explains why not.
    pub fn describe_text(&mut self, text: &str) {
        match State::from_json(text) {
            Ok(state) => {
                self.serial = Some(state.serial);
                self.lineage = Some(state.lineage);
            }
            Err(e) => self.note = Some(e.to_string()),
        }
    }
}

/// What `Backend::check` found and did.
#[derive(Debug, Default)]
pub struct Checked {
    /// What was created, e.g. "bucket my-state with versioning, …".
    pub created: Option<String>,
    /// Unsafe settings the user should fix (e.g. bucket versioning is off).
    pub warnings: Vec<Diagnostic>,
}

#[async_trait]
pub trait Backend: Send + Sync {
    /// Where the state lives, for messages: a path or `s3://bucket/key`.
    fn location(&self) -> String;

    /// Checks that the storage is reachable and configured safely; with
    /// `create_missing`, creates missing storage (the S3 bucket).
    async fn check(&self, create_missing: bool) -> Result<Checked, StateError>;

    /// False when the configuration turned locking off (`use_lockfile =
    /// false`); the caller then neither locks nor unlocks.
    fn locking(&self) -> bool {
        true
    }

    /// Reads the current state (`None` when there is none yet) and remembers
    /// it as the base the next write must still find.
    async fn read(&self) -> Result<Option<State>, StateError>;

    /// Takes whatever is stored now as the base of the next write without
    /// parsing it. Only for deliberately replacing a damaged state
    /// (`state push --force`, `state restore`).
    async fn adopt_current(&self) -> Result<(), StateError>;

    /// Writes `state` if the stored state is still the one last read or
    /// written by this backend; otherwise fails with `Conflict` and leaves the
    /// stored state as it is.
    async fn write(&self, state: &State) -> Result<(), StateError>;

    /// Records that one step of an apply changed what `state` says about
    /// `address`, durably, before the run goes on. A backend that keeps a
    /// journal appends to it, at a cost that does not grow with the state
    /// (the S3 one leaves the whole state to be written when `write_due`
    /// says: at most every 300 ms, up to 20 s apart when writes are slow);
    /// the others write the whole state.
    async fn append(&self, state: &State, address: &str) -> Result<(), StateError> {
        let _ = address;
        self.write(state).await
    }

    /// [`Backend::append`] without waiting for the disk: durable once
    /// [`Backend::sync_appended`] returns, which syncs every step appended
    /// this way since with one `fdatasync` (group commit). A backend
    /// without a journal records the step at once. A batching backend
    /// only journals it: the caller writes the stored state when
    /// [`Backend::write_due`] says.
    async fn append_unsynced(&self, state: &State, address: &str) -> Result<(), StateError> {
        self.append(state, address).await
    }

    /// Makes every `append_unsynced` since the last call durable.
    fn sync_appended(&self) -> Result<(), StateError> {
        Ok(())
    }

    /// When steps recorded by `append` but not yet in the stored state
    /// must be written (with `write`), for a backend that batches them;
    /// `None` when nothing waits.
    fn write_due(&self) -> Option<std::time::Instant> {
        None
    }

    /// Takes the lock, or fails with `Locked` naming the holder.
    async fn lock(&self, info: &LockInfo) -> Result<(), StateError>;

    async fn lock_holder(&self) -> Result<Option<LockInfo>, StateError>;

    /// Releases the lock if `id` is the holder's.
    async fn unlock(&self, id: &str) -> Result<(), StateError>;

    /// Stored versions of the state, newest first.
    async fn versions(&self) -> Result<Vec<StateVersion>, StateError>;

    /// Reads one stored version (an id from `versions`).
    async fn read_version(&self, version_id: &str) -> Result<State, StateError>;

    /// Deletes the stored state (`terrane workspace delete`), leaving a way
    /// back: the local backend keeps it as its `.backup`, and S3 keeps the
    /// object's versions (`state versions`, `state restore`).
    async fn delete(&self) -> Result<(), StateError>;
}

/// The directory Terraform keeps other workspaces' local states in, beside
/// the default workspace's: `<dir>/terraform.tfstate.d/<workspace>/<file>`.
pub const LOCAL_WORKSPACES_DIR: &str = "terraform.tfstate.d";
