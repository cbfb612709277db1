//! The apply journal: what each finished step changed, appended to a local
//! file so a step costs O(1) writes instead of a rewrite of the whole state.
//!
//! A record holds everything state says about one address after the step
//! (its object, its pending create, its deposed objects), so replaying it
//! is idempotent. Records carry the state's lineage and serial, one serial
//! per step, and a journal starts right after a whole-state write: replay
//! applies records only while they continue the stored state's serial, so
//! a journal left beside a state written since (by this run, or by another
//! that never saw its steps) changes nothing. What follows the records a
//! run's read applied is cut off before that run appends its own, which
//! would otherwise never be replayed.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::{PendingOperation, ResourceState, State, StateError};

/// A journal on local disk: one JSON line per step, synced to disk before
/// the step counts as recorded. Lines written together (the steps one turn
/// of the apply finishes and starts, or several turns' finished creates)
/// share one sync: `stage` each, then `sync` once. The local backend keeps
/// it beside its state file; the S3 backend keeps one in the working
/// directory for the steps not yet in its last write.
pub struct JournalFile {
    path: PathBuf,
    open: Mutex<Appending>,
}

/// The journal while an apply writes to it.
#[derive(Default)]
struct Appending {
    /// The file, open for appending.
    file: Option<File>,
    /// Lines were written since the last sync.
    unsynced: bool,
    /// A write failed and lines written before it could not be synced:
    /// the next sync reports it rather than claiming them durable.
    lost: Option<String>,
    /// A write failed part-way: the next line starts on a line of its own.
    torn: bool,
    /// What the last replay found after the records it applied (see
    /// [`Resume`]): dealt with when this run opens the file.
    resume: Option<Resume>,
}

/// What this run's read of the journal found, for its first append: the
/// journal's length then (a journal that changed since has another writer,
/// possible only without a lock) and where the records replay applied end.
/// Lines after those (a journal left beside a state written since, another
/// run's records, a line cut short) would stop replay before this run's own
/// lines, or swallow the first of them, so they are cut off first.
#[derive(Clone, Copy, Default)]
struct Resume {
    /// The bytes up to and including the last applied record's line.
    keep: u64,
    /// That line has no line break after it yet (it was the last thing a
    /// killed run wrote).
    unterminated: bool,
    /// The journal's length when it was read (0 when there was none).
    read_len: u64,
}

impl Resume {
    /// A read of `journal` that applied none of it.
    fn after_nothing(journal: &[u8]) -> Resume {
        Resume {
            read_len: journal.len() as u64,
            ..Resume::default()
        }
    }
}

impl JournalFile {
    pub fn new(path: impl Into<PathBuf>) -> JournalFile {
        JournalFile {
            path: path.into(),
            open: Mutex::new(Appending::default()),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io_error(&self, source: std::io::Error) -> StateError {
        StateError::Io {
            path: self.path.display().to_string(),
            source,
        }
    }

    /// Appends what `state` says about `address`, not yet synced: it is
    /// recorded once [`JournalFile::sync`] returns.
    pub fn stage(&self, state: &State, address: &str) -> Result<(), StateError> {
        let record = JournalRecord::of(state, address);
        let mut line = serde_json::to_string(&record)
            .map_err(|e| StateError::Corrupt(format!("cannot encode a journal record: {e}")))?;
        line.push('\n');
        let mut open = self.open.lock().expect("not poisoned");
        if open.file.is_none()
            && let Some(resume) = open.resume
        {
            self.check_unchanged_since_read(resume)?;
        }
        let append = |open: &mut Appending| -> std::io::Result<()> {
            if open.file.is_none() {
                if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    fs::create_dir_all(dir)?;
                }
                let mut file = OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&self.path)?;
                if let Some(resume) = open.resume {
                    if resume.keep < resume.read_len {
                        file.set_len(resume.keep)?;
                    }
                    open.torn |= resume.unterminated;
                    open.resume = None;
                }
                if open.torn {
                    // Ends the part of a line a failed write left, which
                    // replay then skips.
                    file.write_all(b"\n")?;
                    open.torn = false;
                }
                open.file = Some(file);
            }
            let file = open.file.as_mut().expect("opened above");
            open.unsynced = true;
            file.write_all(line.as_bytes())
        };
        append(&mut open).map_err(|e| {
            // What was written before this line must still reach the disk
            // before the next sync says so; the next line starts afresh.
            if let Some(file) = open.file.take()
                && open.unsynced
                && let Err(sync) = file.sync_data()
            {
                open.lost = Some(sync.to_string());
            }
            open.unsynced = false;
            open.torn = true;
            self.io_error(e)
        })
    }

    /// Refuses a journal that changed after this run read it: another run
    /// writes it (possible only without the lock), and neither cutting its
    /// lines nor appending after them (where replay may never reach) is
    /// safe.
    fn check_unchanged_since_read(&self, resume: Resume) -> Result<(), StateError> {
        let len = match fs::metadata(&self.path) {
            Ok(metadata) => metadata.len(),
            Err(e) if e.kind() == ErrorKind::NotFound => 0,
            Err(e) => return Err(self.io_error(e)),
        };
        if len == resume.read_len {
            return Ok(());
        }
        Err(StateError::Conflict {
            now: format!(
                "its journal {} was changed by another run",
                self.path.display()
            ),
        })
    }

    /// Syncs every line staged since the last sync to disk (one
    /// `fdatasync` for all of them); nothing to do when none was.
    pub fn sync(&self) -> Result<(), StateError> {
        let mut open = self.open.lock().expect("not poisoned");
        if let Some(lost) = open.lost.take() {
            return Err(self.io_error(std::io::Error::other(lost)));
        }
        let Some(file) = open.file.as_ref() else {
            return Ok(());
        };
        if !open.unsynced {
            return Ok(());
        }
        match file.sync_data() {
            Ok(()) => {
                open.unsynced = false;
                Ok(())
            }
            Err(e) => {
                open.file = None;
                open.unsynced = false;
                Err(self.io_error(e))
            }
        }
    }

    /// `state` with the journal's records applied (by the rules of `replay`
    /// below). Whatever follows the applied records is cut off when this run
    /// appends its first line, so that its lines continue them.
    pub fn replay_onto(&self, state: Option<State>) -> Result<Option<State>, StateError> {
        // Bytes, not text: a line cut short may end inside a character.
        let (state, resume) = match fs::read(&self.path) {
            Ok(recorded) => replay_onto(state, &recorded),
            Err(e) if e.kind() == ErrorKind::NotFound => (state, Resume::default()),
            Err(e) => return Err(self.io_error(e)),
        };
        let mut open = self.open.lock().expect("not poisoned");
        if open.file.is_none() {
            open.resume = Some(resume);
        }
        Ok(state)
    }

    /// Removes the journal once a whole state holding its records is stored.
    pub fn remove(&self) -> Result<(), StateError> {
        *self.open.lock().expect("not poisoned") = Appending::default();
        match fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(self.io_error(e)),
        }
    }
}

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
fn replay_onto(state: Option<State>, journal: &[u8]) -> (Option<State>, Resume) {
    let mut state = match state {
        Some(state) => state,
        None => {
            let Some(first) = journal
                .split(|&byte| byte == b'\n')
                .find_map(|line| serde_json::from_slice::<JournalRecord>(line).ok())
            else {
                return (None, Resume::after_nothing(journal));
            };
            State {
                lineage: first.lineage,
                ..State::new()
            }
        }
    };
    let replayed = replay(&mut state, journal);
    (Some(state), replayed)
}

/// Applies the journal's records (one JSON object per line) to `state`.
/// A last line cut short by a crash mid-write is ignored: its step was not
/// acknowledged. Returns where the applied records end.
fn replay(state: &mut State, journal: &[u8]) -> Resume {
    let mut replayed = Resume::after_nothing(journal);
    let mut offset = 0;
    for line in journal.split_inclusive(|&byte| byte == b'\n') {
        offset += line.len();
        let Ok(record) = serde_json::from_slice::<JournalRecord>(line) else {
            continue;
        };
        if record.lineage != state.lineage || record.serial != state.serial + 1 {
            // A journal is started right after a whole-state write, so its
            // first record follows the stored serial. If it does not, the
            // state was written since: by this run before it could remove
            // the journal (the state holds every record), or by another run
            // that never saw these steps (they must not undo its work).
            break;
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
        replayed.keep = offset as u64;
        replayed.unterminated = !line.ends_with(b"\n");
    }
    replayed
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A write that fails (a full disk: `/dev/full`) fails its step, and
    /// the sync after it does not report lines durable that it could not
    /// make so.
    #[test]
    fn a_failed_write_is_never_reported_synced() {
        let journal = JournalFile::new("/dev/full");
        let state = State::new();
        assert!(journal.stage(&state, "aws_vpc.main").is_err());
        assert!(journal.sync().is_err());
        // Reported once: a later turn with nothing new has nothing to sync.
        assert!(journal.sync().is_ok());
    }

    /// The state as stored: serial 5.
    fn stored() -> State {
        State {
            serial: 5,
            lineage: "one lineage".into(),
            ..State::new()
        }
    }

    /// The journal line of the step that made `serial`.
    fn line(serial: u64) -> String {
        let state = State { serial, ..stored() };
        let record = JournalRecord::of(&state, &format!("terraform_data.step[{serial}]"));
        serde_json::to_string(&record).unwrap() + "\n"
    }

    /// A run reads the state (replaying the journal) and records the step
    /// after it; the next read must replay that step.
    fn next_run_records_serial(path: &Path, serial: u64) -> u64 {
        let journal = JournalFile::new(path);
        let read = journal.replay_onto(Some(stored())).unwrap().unwrap();
        assert_eq!(read.serial, serial - 1, "the journal before the run");
        let step = State { serial, ..read };
        journal.stage(&step, "terraform_data.next").unwrap();
        journal.sync().unwrap();
        JournalFile::new(path)
            .replay_onto(Some(stored()))
            .unwrap()
            .unwrap()
            .serial
    }

    /// A journal whose records the stored state already holds (the run was
    /// killed between its final write and removing the journal), one whose
    /// last line a crash cut short (inside a character, too), one whose
    /// last record has no line break yet, and one with another run's
    /// records after this one's: the next run's own records are replayed
    /// after each.
    #[test]
    fn what_follows_the_replayed_records_never_hides_the_next_runs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.journal");
        let mut cut_in_a_character = (line(6) + r#"{"address":"é"#).into_bytes();
        cut_in_a_character.pop();
        let cases = [
            ((line(4) + &line(5)).into_bytes(), 6),
            ((line(6) + r#"{"lineage":"#).into_bytes(), 7),
            (cut_in_a_character, 7),
            (line(6).trim_end().as_bytes().to_vec(), 7),
            ((line(6) + &line(8) + &line(9)).into_bytes(), 7),
        ];
        for (journal, next) in cases {
            fs::write(&path, &journal).unwrap();
            assert_eq!(
                next_run_records_serial(&path, next),
                next,
                "after {:?}",
                String::from_utf8_lossy(&journal)
            );
        }
    }

    /// A journal that changed after it was read has another writer (only
    /// possible without a lock): the run refuses to write it, and its
    /// lines are left alone. Also when there was no journal at the read.
    #[test]
    fn a_journal_another_writer_changed_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.journal");
        for before in [line(4) + &line(5), String::new()] {
            let _ = fs::remove_file(&path);
            if !before.is_empty() {
                fs::write(&path, &before).unwrap();
            }
            let journal = JournalFile::new(&path);
            journal.replay_onto(Some(stored())).unwrap();
            let theirs = line(6);
            OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .unwrap()
                .write_all(theirs.as_bytes())
                .unwrap();
            let ours = State {
                serial: 6,
                ..stored()
            };
            let refused = journal.stage(&ours, "terraform_data.next");
            assert!(
                matches!(refused, Err(StateError::Conflict { .. })),
                "{refused:?}"
            );
            assert_eq!(fs::read_to_string(&path).unwrap(), before + &theirs);
        }
    }
}
