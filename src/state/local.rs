//! The local backend: a JSON file, written atomically, with a backup of the
//! previous version and a lock file beside it.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::{LockInfo, State, StateError};

pub struct LocalBackend {
    path: PathBuf,
    /// Lineage and serial of the state as last read or written by this run;
    /// a write is refused if the file no longer matches them.
    expected: Mutex<Option<(String, u64)>>,
}

impl LocalBackend {
    pub fn new(path: impl Into<PathBuf>) -> LocalBackend {
        LocalBackend {
            path: path.into(),
            expected: Mutex::new(None),
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

    fn io_error(&self, path: &Path, source: std::io::Error) -> StateError {
        StateError::Io {
            path: path.display().to_string(),
            source,
        }
    }

    fn read_file(&self) -> Result<Option<State>, StateError> {
        match fs::read_to_string(&self.path) {
            Ok(text) => State::from_json(&text).map(Some),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.io_error(&self.path, e)),
        }
    }

    pub fn read(&self) -> Result<Option<State>, StateError> {
        let state = self.read_file()?;
        *self.expected.lock().expect("not poisoned") =
            state.as_ref().map(|s| (s.lineage.clone(), s.serial));
        Ok(state)
    }

    /// Writes `state` atomically (temp file, fsync, rename), keeping the
    /// previous file as `.backup`. Refuses if the file changed since read.
    pub fn write(&self, state: &State) -> Result<(), StateError> {
        let mut expected = self.expected.lock().expect("not poisoned");
        let on_disk = self.read_file()?;
        if let Some(current) = &on_disk {
            let unchanged = expected.as_ref().is_some_and(|(lineage, serial)| {
                *lineage == current.lineage && *serial == current.serial
            });
            if !unchanged {
                return Err(StateError::Conflict {
                    lineage: current.lineage.clone(),
                    serial: current.serial,
                });
            }
        }
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(|e| self.io_error(dir, e))?;
        }
        if on_disk.is_some() {
            fs::copy(&self.path, self.backup_path())
                .map_err(|e| self.io_error(&self.backup_path(), e))?;
        }
        let temp = sibling(&self.path, &format!(".tmp.{}", std::process::id()));
        let write_temp = || -> std::io::Result<()> {
            let mut file = File::create(&temp)?;
            file.write_all(state.to_json().as_bytes())?;
            file.sync_all()
        };
        write_temp().map_err(|e| self.io_error(&temp, e))?;
        fs::rename(&temp, &self.path).map_err(|e| self.io_error(&self.path, e))?;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            // Make the rename itself durable.
            let _ = File::open(dir).and_then(|d| d.sync_all());
        }
        *expected = Some((state.lineage.clone(), state.serial));
        Ok(())
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
            Ok(mut file) => {
                let text = serde_json::to_string_pretty(info).expect("lock info serialises");
                file.write_all(text.as_bytes())
                    .and_then(|_| file.sync_all())
                    .map_err(|e| self.io_error(&lock_path, e))
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => Err(match self.lock_holder()? {
                Some(holder) => StateError::Locked(holder),
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
        match fs::read_to_string(&lock_path) {
            Ok(text) => Ok(Some(serde_json::from_str(&text).unwrap_or_else(|_| {
                LockInfo {
                    id: "(unreadable lock file)".into(),
                    operation: "unknown".into(),
                    who: "unknown".into(),
                    created: "unknown".into(),
                    version: "unknown".into(),
                    path: lock_path.display().to_string(),
                }
            }))),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.io_error(&lock_path, e)),
        }
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
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(matches!(
            ours.write(&state),
            Err(StateError::Conflict { serial: 3, .. })
        ));
        assert_eq!(theirs.read().unwrap().unwrap(), their_state);
    }

    #[test]
    fn lock_is_exclusive_and_names_its_holder() {
        let dir = tempfile::tempdir().unwrap();
        let backend = LocalBackend::new(dir.path().join("s.json"));
        let first = LockInfo::new("apply", "s.json");
        backend.lock(&first).unwrap();
        let second = LockInfo::new("plan", "s.json");
        match backend.lock(&second) {
            Err(StateError::Locked(holder)) => assert_eq!(holder, first),
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
