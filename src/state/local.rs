//! The local backend: a JSON file, written atomically, with a backup of the
//! previous version, a lock file and, while an apply runs, a journal beside
//! it (see `journal` and state/README.md for what survives a crash).
//!
//! It keeps the remote backend's semantics: a write succeeds only while the
//! file still holds exactly what this run last read or wrote (the local
//! analogue of S3's `If-Match`), and the lock file is created exclusively.
//! It never prints.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use async_trait::async_trait;

use super::journal::JournalFile;
use super::{Backend, Checked, LockInfo, State, StateError, StateVersion, describe_stored};

/// The version ids `state versions` shows for the local backend.
const CURRENT: &str = "current";
const BACKUP: &str = "backup";

/// What the next write expects to find on disk.
#[derive(Clone, Debug, PartialEq)]
enum Base {
    /// Nothing was read yet: the file must not exist.
    Unread,
    /// The file did not exist when read.
    Absent,
    /// The file's exact content when last read or written.
    Text(String),
}

pub struct LocalBackend {
    path: PathBuf,
    base: Mutex<Base>,
    /// The file's size and modification time when last read or written: a
    /// journal append compares these instead of reading the whole file.
    stamp: Mutex<Option<(u64, std::time::SystemTime)>>,
    /// The apply journal beside the state file.
    journal: JournalFile,
}

impl LocalBackend {
    pub fn new(path: impl Into<PathBuf>) -> LocalBackend {
        let path = path.into();
        LocalBackend {
            journal: JournalFile::new(sibling(&path, ".journal")),
            path,
            base: Mutex::new(Base::Unread),
            stamp: Mutex::new(None),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn lock_path(&self) -> PathBuf {
        sibling(&self.path, ".lock")
    }

    pub fn backup_path(&self) -> PathBuf {
        sibling(&self.path, ".backup")
    }

    /// The steps an apply finished since the state file was last written.
    pub fn journal_path(&self) -> PathBuf {
        sibling(&self.path, ".journal")
    }

    /// Appends one step's record to the journal and syncs it. The state
    /// file itself must still be what this run last read or wrote.
    pub fn append(&self, state: &State, address: &str) -> Result<(), StateError> {
        self.append_unsynced(state, address)?;
        self.journal.sync()
    }

    /// [`LocalBackend::append`] without the sync: durable once
    /// [`JournalFile::sync`] runs (`Backend::sync_appended`).
    fn append_unsynced(&self, state: &State, address: &str) -> Result<(), StateError> {
        if self.current_stamp() != *self.stamp.lock().expect("not poisoned") {
            self.check_unchanged()?;
        }
        self.journal.stage(state, address)
    }

    fn journal(&self) -> &JournalFile {
        &self.journal
    }

    fn current_stamp(&self) -> Option<(u64, std::time::SystemTime)> {
        let metadata = fs::metadata(&self.path).ok()?;
        Some((metadata.len(), metadata.modified().ok()?))
    }

    /// Refuses when the state file is not what this run last read or wrote.
    fn check_unchanged(&self) -> Result<Option<String>, StateError> {
        let base = self.base.lock().expect("not poisoned").clone();
        let on_disk = self.read_text(&self.path)?;
        let unchanged = match (&base, &on_disk) {
            (Base::Unread | Base::Absent, None) => true,
            (Base::Text(expected), Some(current)) => expected == current,
            _ => false,
        };
        if !unchanged {
            return Err(StateError::Conflict {
                now: on_disk
                    .as_deref()
                    .map_or("no state".into(), describe_stored),
            });
        }
        Ok(on_disk)
    }

    fn io_error(&self, path: &Path, source: std::io::Error) -> StateError {
        StateError::Io {
            path: path.display().to_string(),
            source,
        }
    }

    fn read_text(&self, path: &Path) -> Result<Option<String>, StateError> {
        match fs::read_to_string(path) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.io_error(path, e)),
        }
    }

    fn parse(&self, path: &Path, text: &str) -> Result<State, StateError> {
        State::from_json(text).map_err(|e| match e {
            StateError::Corrupt(message) => {
                StateError::Corrupt(format!("{}: {message}", path.display()))
            }
            other => other,
        })
    }

    pub fn read(&self) -> Result<Option<State>, StateError> {
        let text = self.read_text(&self.path)?;
        let mut state = text
            .as_deref()
            .map(|t| self.parse(&self.path, t))
            .transpose()?;
        // Steps an apply recorded after the file was last written (it was
        // stopped before writing it whole) are part of the state; the first
        // apply of a stack may have recorded steps before any file existed.
        state = self.journal().replay_onto(state)?;
        *self.stamp.lock().expect("not poisoned") = self.current_stamp();
        // Only a state that parsed becomes the base: a damaged file is never
        // overwritten by accident (see `adopt_current`).
        *self.base.lock().expect("not poisoned") = match text {
            Some(text) => Base::Text(text),
            None => Base::Absent,
        };
        Ok(state)
    }

    pub fn adopt_current(&self) -> Result<(), StateError> {
        let text = self.read_text(&self.path)?;
        *self.base.lock().expect("not poisoned") = text.map_or(Base::Absent, Base::Text);
        *self.stamp.lock().expect("not poisoned") = self.current_stamp();
        Ok(())
    }

    /// Writes `state` atomically (temp file, fsync, rename), keeping the
    /// previous file as `.backup`. Refuses if the file changed since read.
    pub fn write(&self, state: &State) -> Result<(), StateError> {
        let on_disk = self.check_unchanged()?;
        let mut base = self.base.lock().expect("not poisoned");
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(|e| self.io_error(dir, e))?;
        }
        if on_disk.is_some() {
            fs::copy(&self.path, self.backup_path())
                .map_err(|e| self.io_error(&self.backup_path(), e))?;
        }
        let text = state.to_json();
        let temp = sibling(&self.path, &format!(".tmp.{}", std::process::id()));
        let write_temp = || -> std::io::Result<()> {
            let mut file = File::create(&temp)?;
            file.write_all(text.as_bytes())?;
            file.sync_all()
        };
        write_temp().map_err(|e| self.io_error(&temp, e))?;
        fs::rename(&temp, &self.path).map_err(|e| self.io_error(&self.path, e))?;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            // Make the rename itself durable.
            let _ = File::open(dir).and_then(|d| d.sync_all());
        }
        *base = Base::Text(text);
        *self.stamp.lock().expect("not poisoned") = self.current_stamp();
        // The whole state is on disk now: the journal's records are in it.
        self.remove_journal()
    }

    fn remove_journal(&self) -> Result<(), StateError> {
        self.journal().remove()
    }

    /// Takes the lock by creating the lock file exclusively.
    pub fn lock(&self, info: &LockInfo) -> Result<(), StateError> {
        let lock_path = self.lock_path();
        if let Some(dir) = lock_path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(|e| self.io_error(dir, e))?;
        }
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&lock_path)
        {
            Ok(mut file) => file
                .write_all(info.to_json().as_bytes())
                .and_then(|_| file.sync_all())
                .map_err(|e| self.io_error(&lock_path, e)),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => Err(match self.lock_holder()? {
                Some(holder) => StateError::Locked(Box::new(holder)),
                None => StateError::Io {
                    path: lock_path.display().to_string(),
                    source: e,
                },
            }),
            Err(e) => Err(self.io_error(&lock_path, e)),
        }
    }

    pub fn lock_holder(&self) -> Result<Option<LockInfo>, StateError> {
        let lock_path = self.lock_path();
        Ok(self
            .read_text(&lock_path)?
            .map(|text| LockInfo::from_json_or_unknown(&text, &lock_path.display().to_string())))
    }

    /// Releases the lock if `id` matches the holder's.
    pub fn unlock(&self, id: &str) -> Result<(), StateError> {
        match self.lock_holder()? {
            None => Err(StateError::NotLocked),
            Some(holder) if holder.id != id => Err(StateError::WrongLockId {
                given: id.to_string(),
                held: holder.id,
            }),
            Some(_) => {
                fs::remove_file(self.lock_path()).map_err(|e| self.io_error(&self.lock_path(), e))
            }
        }
    }

    /// The local backend keeps two versions: the file and its `.backup`.
    pub fn versions(&self) -> Result<Vec<StateVersion>, StateError> {
        let mut versions = Vec::new();
        for (id, path) in [(CURRENT, self.path.clone()), (BACKUP, self.backup_path())] {
            let Some(text) = self.read_text(&path)? else {
                continue;
            };
            let modified = fs::metadata(&path)
                .and_then(|m| m.modified())
                .ok()
                .map(|t| humantime::format_rfc3339_seconds(t).to_string());
            let mut version = StateVersion {
                id: id.to_string(),
                modified,
                is_current: id == CURRENT,
                serial: None,
                lineage: None,
                note: None,
            };
            version.describe_text(&text);
            versions.push(version);
        }
        Ok(versions)
    }

    pub fn read_version(&self, version_id: &str) -> Result<State, StateError> {
        let path = match version_id {
            CURRENT => self.path.clone(),
            BACKUP => self.backup_path(),
            other => return Err(StateError::VersionNotFound(other.to_string())),
        };
        let text = self
            .read_text(&path)?
            .ok_or_else(|| StateError::VersionNotFound(version_id.to_string()))?;
        self.parse(&path, &text)
    }
}

#[async_trait]
impl Backend for LocalBackend {
    fn location(&self) -> String {
        self.path.display().to_string()
    }

    async fn check(&self, _create_missing: bool) -> Result<Checked, StateError> {
        // The directory is created on the first write; a present but
        // unreadable file is reported here rather than mid-run.
        self.read_text(&self.path)?;
        Ok(Checked::default())
    }

    async fn read(&self) -> Result<Option<State>, StateError> {
        LocalBackend::read(self)
    }

    async fn adopt_current(&self) -> Result<(), StateError> {
        LocalBackend::adopt_current(self)
    }

    async fn write(&self, state: &State) -> Result<(), StateError> {
        LocalBackend::write(self, state)
    }

    async fn append(&self, state: &State, address: &str) -> Result<(), StateError> {
        LocalBackend::append(self, state, address)
    }

    async fn append_unsynced(&self, state: &State, address: &str) -> Result<(), StateError> {
        LocalBackend::append_unsynced(self, state, address)
    }

    fn sync_appended(&self) -> Result<(), StateError> {
        self.journal.sync()
    }

    async fn delete(&self) -> Result<(), StateError> {
        if self.path.exists() {
            fs::rename(&self.path, self.backup_path()).map_err(|e| self.io_error(&self.path, e))?;
        }
        // Callers delete only a state that reads as empty, journal included.
        self.remove_journal()
    }

    async fn lock(&self, info: &LockInfo) -> Result<(), StateError> {
        LocalBackend::lock(self, info)
    }

    async fn lock_holder(&self) -> Result<Option<LockInfo>, StateError> {
        LocalBackend::lock_holder(self)
    }

    async fn unlock(&self, id: &str) -> Result<(), StateError> {
        LocalBackend::unlock(self, id)
    }

    async fn versions(&self) -> Result<Vec<StateVersion>, StateError> {
        LocalBackend::versions(self)
    }

    async fn read_version(&self, version_id: &str) -> Result<State, StateError> {
        LocalBackend::read_version(self, version_id)
    }
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

/// The workspaces that have a state beside the default workspace's at
/// `path` (in `terraform.tfstate.d/<workspace>/<file name>`), by name.
pub fn workspaces(path: &Path) -> Result<Vec<String>, StateError> {
    let dir = path
        .parent()
        .unwrap_or(Path::new(""))
        .join(super::LOCAL_WORKSPACES_DIR);
    let Some(file_name) = path.file_name() else {
        return Ok(Vec::new());
    };
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(StateError::Io {
                path: dir.display().to_string(),
                source,
            });
        }
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|entry| entry.path().join(file_name).is_file())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vpc(n: usize) -> crate::state::ResourceState {
        crate::state::ResourceState {
            address: format!("aws_vpc.v[{n}]"),
            type_name: "aws_vpc".into(),
            id: format!("vpc-{n}"),
            attributes: Default::default(),
            dependencies: Vec::new(),
            provider: "aws".into(),
            sensitive_attributes: Vec::new(),
        }
    }

    /// Steps staged in one turn share one sync and replay like any
    /// others; once the final write removed the journal, the next step
    /// starts a new one.
    #[test]
    fn steps_staged_together_are_synced_together_and_replayed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stack.json");
        let backend = LocalBackend::new(&path);
        let mut state = State::new();
        state.serial = 1;
        backend.write(&state).unwrap();
        for n in 0..3 {
            state.upsert(vpc(n));
            state.serial += 1;
            backend.append_unsynced(&state, &vpc(n).address).unwrap();
        }
        backend.journal().sync().unwrap();
        let replayed = LocalBackend::new(&path).read().unwrap().unwrap();
        assert_eq!(replayed.resources.len(), 3);

        backend.write(&state).unwrap();
        assert!(!backend.journal_path().exists());
        state.upsert(vpc(3));
        state.serial += 1;
        backend.append(&state, &vpc(3).address).unwrap();
        let journal = fs::read_to_string(backend.journal_path()).unwrap();
        assert_eq!(journal.lines().count(), 1);
        let replayed = LocalBackend::new(&path).read().unwrap().unwrap();
        assert_eq!(replayed.resources.len(), 4);
    }

    /// Each step appends one line and leaves the state file alone; a run
    /// stopped before its final write loses nothing (the next read replays
    /// the journal); the final write folds it in and removes it.
    #[test]
    fn steps_go_to_a_journal_that_a_stopped_run_leaves_replayable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stack.json");
        let backend = LocalBackend::new(&path);
        assert_eq!(backend.read().unwrap(), None);
        let mut state = State::new();
        state.serial = 1;
        backend.write(&state).unwrap();
        let written = fs::read_to_string(&path).unwrap();
        for n in 0..3 {
            state.upsert(vpc(n));
            state.serial += 1;
            backend.append(&state, &vpc(n).address).unwrap();
        }
        state.remove("aws_vpc.v[1]");
        state.serial += 1;
        backend.append(&state, "aws_vpc.v[1]").unwrap();
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            written,
            "the state file is untouched"
        );
        let journal = fs::read_to_string(backend.journal_path()).unwrap();
        assert_eq!(journal.lines().count(), 4);

        // The run stops here. Another reads state and journal together; a
        // line cut short by the crash is ignored.
        let mut torn = journal.clone();
        torn.push_str("{\"lineage\": \"");
        fs::write(backend.journal_path(), torn).unwrap();
        let next = LocalBackend::new(&path);
        let replayed = next.read().unwrap().unwrap();
        assert_eq!(replayed, state);

        // Its write holds everything; the journal is gone, and replaying an
        // old journal onto newer state changes nothing.
        next.write(&replayed).unwrap();
        assert!(!next.journal_path().exists());
        fs::write(next.journal_path(), &journal).unwrap();
        assert_eq!(LocalBackend::new(&path).read().unwrap().unwrap(), state);

        // (A run killed between its final write and removing the journal
        // leaves just that.) The next run's steps replay after it.
        let third = LocalBackend::new(&path);
        let mut read = third.read().unwrap().unwrap();
        read.upsert(vpc(5));
        read.serial += 1;
        third.append(&read, &vpc(5).address).unwrap();
        assert_eq!(LocalBackend::new(&path).read().unwrap().unwrap(), read);
    }

    /// A journal whose steps no longer continue the stored state (another
    /// run wrote a state with a serial inside the journal's range) is not
    /// applied: it would undo that run's work.
    #[test]
    fn a_journal_another_run_has_overtaken_is_not_applied() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stack.json");
        let ours = LocalBackend::new(&path);
        assert_eq!(ours.read().unwrap(), None);
        let mut state = State::new();
        state.serial = 10;
        ours.write(&state).unwrap();
        for n in 0..4 {
            state.upsert(vpc(n));
            state.serial += 1;
            ours.append(&state, &vpc(n).address).unwrap();
        }
        let journal = fs::read_to_string(ours.journal_path()).unwrap();

        // Another run (elsewhere: it never saw the journal) read serial 10
        // and wrote 12 after two steps of its own.
        fs::remove_file(ours.journal_path()).unwrap();
        let theirs = LocalBackend::new(&path);
        let mut their_state = theirs.read().unwrap().unwrap();
        their_state.upsert(vpc(7));
        their_state.serial = 12;
        theirs.write(&their_state).unwrap();
        fs::write(theirs.journal_path(), &journal).unwrap();
        assert_eq!(
            LocalBackend::new(&path).read().unwrap(),
            Some(their_state),
            "records 13 and 14 follow 12 only in number"
        );
    }

    /// The first apply of a stack writes no state file until it ends: if it
    /// is stopped, the journal alone still gives back what it created.
    #[test]
    fn a_journal_without_a_state_file_is_not_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stack.json");
        let backend = LocalBackend::new(&path);
        assert_eq!(backend.read().unwrap(), None);
        let mut state = State::new();
        state.upsert(vpc(0));
        state.serial += 1;
        backend.append(&state, &vpc(0).address).unwrap();
        assert!(!path.exists());
        assert_eq!(LocalBackend::new(&path).read().unwrap(), Some(state));
    }

    #[test]
    fn writes_atomically_with_backup_and_detects_concurrent_writers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stack.json");
        let ours = LocalBackend::new(&path);
        assert_eq!(ours.read().unwrap(), None);
        let mut state = State::new();
        state.serial = 1;
        ours.write(&state).unwrap();
        state.serial = 2;
        ours.write(&state).unwrap();
        let backup = State::from_json(&fs::read_to_string(ours.backup_path()).unwrap()).unwrap();
        assert_eq!(backup.serial, 1);

        // Another writer read serial 2 and wrote serial 3: our next write must fail.
        let theirs = LocalBackend::new(&path);
        let mut their_state = theirs.read().unwrap().unwrap();
        their_state.serial = 3;
        theirs.write(&their_state).unwrap();
        state.serial = 3;
        match ours.write(&state) {
            Err(StateError::Conflict { now }) => assert!(now.contains("serial 3"), "{now}"),
            other => panic!("expected Conflict, got {other:?}"),
        }
        assert_eq!(theirs.read().unwrap().unwrap(), their_state);
    }

    #[test]
    fn a_backend_that_never_read_does_not_overwrite_an_existing_state() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stack.json");
        let first = LocalBackend::new(&path);
        first.read().unwrap();
        first.write(&State::new()).unwrap();
        let blind = LocalBackend::new(&path);
        assert!(matches!(
            blind.write(&State::new()),
            Err(StateError::Conflict { .. })
        ));
    }

    #[test]
    fn a_damaged_file_is_refused_and_only_replaced_deliberately() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stack.json");
        let damaged = &State::new().to_json()[..30];
        fs::write(&path, damaged).unwrap();
        let backend = LocalBackend::new(&path);
        assert!(matches!(backend.read(), Err(StateError::Corrupt(_))));
        assert!(matches!(
            backend.write(&State::new()),
            Err(StateError::Conflict { .. })
        ));
        assert_eq!(fs::read_to_string(&path).unwrap(), damaged);
        backend.adopt_current().unwrap();
        backend.write(&State::new()).unwrap();
        assert!(backend.read().unwrap().is_some());
    }

    #[test]
    fn versions_are_the_file_and_its_backup() {
        let dir = tempfile::tempdir().unwrap();
        let backend = LocalBackend::new(dir.path().join("s.json"));
        backend.read().unwrap();
        let mut state = State::new();
        state.serial = 1;
        backend.write(&state).unwrap();
        state.serial = 2;
        backend.write(&state).unwrap();
        let versions = backend.versions().unwrap();
        let serials: Vec<_> = versions.iter().map(|v| (v.id.as_str(), v.serial)).collect();
        assert_eq!(serials, [("current", Some(2)), ("backup", Some(1))]);
        assert_eq!(backend.read_version("backup").unwrap().serial, 1);
        assert!(matches!(
            backend.read_version("nope"),
            Err(StateError::VersionNotFound(_))
        ));
    }

    #[test]
    fn lock_is_exclusive_and_names_its_holder() {
        let dir = tempfile::tempdir().unwrap();
        let backend = LocalBackend::new(dir.path().join("s.json"));
        let first = LockInfo::new("apply", "s.json");
        backend.lock(&first).unwrap();
        let second = LockInfo::new("plan", "s.json");
        match backend.lock(&second) {
            Err(StateError::Locked(holder)) => assert_eq!(*holder, first),
            other => panic!("expected Locked, got {other:?}"),
        }
        assert!(matches!(
            backend.unlock(&second.id),
            Err(StateError::WrongLockId { .. })
        ));
        backend.unlock(&first.id).unwrap();
        backend.lock(&second).unwrap();
    }
}
