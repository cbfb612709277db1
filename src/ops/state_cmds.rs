//! The state commands: inspect (`list`, `show`, `pull`, `versions`), edit
//! (`rm`, `mv`, `push`, `restore`), unlock, and check the backend (`init`).
//! Migration from Terraform is in `migrate.rs`.
//!
//! Every command that changes state takes the lock, reads through the
//! backend (which remembers what it read) and writes a new serial through
//! the conditional path, so a concurrent writer is detected, never
//! overwritten. Results come back as values; this module never prints.

use std::path::Path;
use std::sync::Arc;

use tokio::sync::watch;

use super::{LockOptions, Report, choose_backend, load_backend_config, open_choice, with_lock};

use crate::diag::{Diagnostic, Diagnostics, Sources};
use crate::provider;
use crate::state::{Backend, Checked, ResourceState, State, StateError, StateVersion, edit};

pub use super::migrate::{Migrated, migrate_terraform};
pub use super::rebuild::{Rebuilt, rebuild_state};

/// How a state-changing command runs: its lock settings, Ctrl-C, and
/// `--force`.
pub struct EditOptions {
    pub lock: LockOptions,
    pub interrupt: Option<watch::Receiver<bool>>,
    pub force: bool,
}

/// The outcome of a state-changing command.
#[derive(Debug)]
pub struct Edited<T> {
    pub result: T,
    /// The serial written.
    pub serial: u64,
    pub warnings: Diagnostics,
}

/// The current state, or an error saying there is none yet.
async fn read_existing(backend: &dyn Backend) -> Result<State, Report> {
    backend.read().await.map_err(Report::state)?.ok_or_else(|| {
        Report::error(
            Diagnostic::error(format!("No state at {}", backend.location()))
                .with_hint("run apply first, or check the stack directory and backend"),
        )
    })
}

/// Under the lock: reads the state, lets `change` edit it, and writes it
/// back as the next serial.
async fn edit<T>(
    backend: &Arc<dyn Backend>,
    operation: &str,
    options: EditOptions,
    change: impl FnOnce(&mut State) -> Result<T, Report>,
) -> Result<Edited<T>, Report> {
    let mut warnings = Diagnostics::default();
    let work = async {
        let mut state = read_existing(backend.as_ref()).await?;
        let result = change(&mut state)?;
        state.serial += 1;
        backend.write(&state).await.map_err(Report::state)?;
        Ok((result, state.serial))
    };
    let (result, serial) = with_lock(
        backend,
        operation,
        &options.lock,
        options.interrupt,
        |w| warnings.extend(w),
        work,
    )
    .await?;
    Ok(Edited {
        result,
        serial,
        warnings,
    })
}

/// Every instance address in state.
pub async fn list(backend: &dyn Backend) -> Result<Vec<String>, Report> {
    Ok(backend
        .read()
        .await
        .map_err(Report::state)?
        .map(|state| state.resources.into_iter().map(|r| r.address).collect())
        .unwrap_or_default())
}

/// One instance, with its sensitive attributes (the schema's, and those
/// state records as set from sensitive values) named so `cli` can hide
/// them.
pub async fn show(
    backend: &dyn Backend,
    address: &str,
) -> Result<(ResourceState, Vec<String>), Report> {
    let state = read_existing(backend).await?;
    let resource = state.resource(address).cloned().ok_or_else(|| {
        Report::error(
            Diagnostic::error(format!("No instance {address} in state"))
                .with_hint("list the addresses with `terrane state list`"),
        )
    })?;
    let mut sensitive = provider::resource_type(&resource.type_name)
        .map(|t| crate::plan::schema_sensitive(t.schema()))
        .unwrap_or_default();
    sensitive.extend(resource.sensitive_attributes.iter().cloned());
    Ok((resource, sensitive))
}

/// The state as stored, in terrane's format.
pub async fn pull(backend: &dyn Backend) -> Result<String, Report> {
    Ok(read_existing(backend).await?.to_json())
}

pub async fn versions(backend: &dyn Backend) -> Result<Vec<StateVersion>, Report> {
    backend.versions().await.map_err(Report::state)
}

/// What `init` found and did.
pub struct Initialized {
    /// The remote modules installed (or found installed).
    pub modules: Vec<super::module_install::InstalledModule>,
    /// Where state lives; `None` when the backend was not checked.
    pub location: Option<String>,
    /// The bucket it created, if any.
    pub created: Option<String>,
    pub sources: Sources,
    /// Warnings about the backend block and the storage.
    pub warnings: Diagnostics,
}

/// Checks the stack's backend; with `create_missing`, creates a missing S3
/// bucket (`terrane init --create-state-bucket`).
pub async fn init(
    dir: &Path,
    create_missing: bool,
    check_backend: bool,
    state_path: Option<&Path>,
) -> Result<Initialized, Report> {
    let config = load_backend_config(dir)?;
    let modules = super::module_install::install(dir).await?;
    if !check_backend {
        return Ok(Initialized {
            modules,
            location: None,
            created: None,
            sources: config.sources,
            warnings: Diagnostics::default(),
        });
    }
    let (choice, mut warnings) = choose_backend(&config, state_path)?;
    let backend = open_choice(&choice, &config).await?;
    let checked: Checked = backend.check(create_missing).await.map_err(Report::state)?;
    warnings.extend(Diagnostics(checked.warnings));
    Ok(Initialized {
        modules,
        location: Some(backend.location()),
        created: checked.created,
        sources: config.sources,
        warnings,
    })
}

/// Removes the lock if `id` is its holder's.
pub async fn force_unlock(backend: &dyn Backend, id: &str) -> Result<(), Report> {
    backend.unlock(id).await.map_err(Report::state)
}

/// Forgets instances without deleting them from AWS.
pub async fn rm(
    backend: &Arc<dyn Backend>,
    addresses: &[String],
    options: EditOptions,
) -> Result<Edited<Vec<String>>, Report> {
    edit(backend, "state rm", options, |state| {
        let mut removed = Vec::new();
        let mut diags = Diagnostics::default();
        for address in addresses {
            let found = edit::matching(state, address);
            if found.is_empty() {
                diags.push(
                    Diagnostic::error(format!("No instance {address} in state"))
                        .with_hint("list the addresses with `terrane state list`"),
                );
            }
            removed.extend(found);
        }
        if diags.has_errors() {
            return Err(Report {
                diags,
                ..Report::default()
            });
        }
        for address in &removed {
            state.remove(address);
        }
        Ok(removed)
    })
    .await
}

/// Renames instances: one instance to another address (e.g. into a `count`
/// or `for_each` instance), or a whole resource with all its instances.
pub async fn mv(
    backend: &Arc<dyn Backend>,
    source: &str,
    destination: &str,
    options: EditOptions,
) -> Result<Edited<Vec<(String, String)>>, Report> {
    edit(backend, "state mv", options, |state| {
        edit::move_address(state, source, destination)
            .map_err(|error| Report::error(error.into_diagnostic()))
    })
    .await
}

/// Reads the state now stored for an overwrite: a damaged state is accepted
/// only with `force` (it is then replaced deliberately).
pub(super) async fn current_for_replace(
    backend: &dyn Backend,
    force: bool,
) -> Result<Option<Result<State, String>>, Report> {
    match backend.read().await {
        Ok(current) => Ok(current.map(Ok)),
        Err(StateError::Corrupt(message)) if force => {
            backend.adopt_current().await.map_err(Report::state)?;
            Ok(Some(Err(message)))
        }
        Err(e @ StateError::Corrupt(_)) => {
            let mut report = Report::state(e);
            if let Some(diag) = report.diags.0.first_mut() {
                diag.hint = Some("to replace the damaged state, add --force".into());
            }
            Err(report)
        }
        Err(e) => Err(Report::state(e)),
    }
}

/// The highest serial in the backend's history, so a state written over a
/// damaged one still gets a serial above everything before it.
async fn highest_serial(backend: &dyn Backend) -> u64 {
    backend
        .versions()
        .await
        .unwrap_or_default()
        .iter()
        .filter_map(|v| v.serial)
        .max()
        .unwrap_or(0)
}

/// The serial for a state replacing `current` (or a damaged state).
pub(super) async fn next_serial(
    backend: &dyn Backend,
    current: &Option<Result<State, String>>,
    at_least: u64,
) -> u64 {
    let above = match current {
        Some(Ok(state)) => state.serial,
        Some(Err(_)) | None => highest_serial(backend).await,
    };
    (above + 1).max(at_least)
}

/// Writes a state file over the stored one. Refused when it belongs to
/// another lineage, or its serial is not newer, unless `force`.
pub async fn push(
    backend: &Arc<dyn Backend>,
    file: &Path,
    options: EditOptions,
) -> Result<Edited<()>, Report> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        Report::error(Diagnostic::error(format!(
            "Cannot read {}: {e}",
            file.display()
        )))
    })?;
    let mut pushed = State::from_json(&text).map_err(Report::state)?;
    let force = options.force;
    let mut warnings = Diagnostics::default();
    let work = async {
        let current = current_for_replace(backend.as_ref(), force).await?;
        if let Some(Ok(stored)) = &current {
            if stored.lineage != pushed.lineage && !force {
                return Err(Report::error(
                    Diagnostic::error("The file belongs to another state: its lineage differs")
                        .with_detail(format!(
                            "file: lineage {}; stored: lineage {}",
                            pushed.lineage, stored.lineage
                        ))
                        .with_hint("push it anyway with --force, replacing the stored state"),
                ));
            }
            if pushed.serial <= stored.serial && !force {
                return Err(Report::error(
                    Diagnostic::error(format!(
                        "The file's serial {} is not newer than the stored serial {}",
                        pushed.serial, stored.serial
                    ))
                    .with_hint(
                        "pull the state, edit that, and push it; or push anyway with --force",
                    ),
                ));
            }
        }
        // The serial still grows on every write, even for a forced push.
        pushed.serial = next_serial(backend.as_ref(), &current, pushed.serial).await;
        backend.write(&pushed).await.map_err(Report::state)?;
        Ok(pushed.serial)
    };
    let serial = with_lock(
        backend,
        "state push",
        &options.lock,
        options.interrupt,
        |w| warnings.extend(w),
        work,
    )
    .await?;
    Ok(Edited {
        result: (),
        serial,
        warnings,
    })
}

/// Makes an earlier version current again, written as a new serial. Works
/// over a damaged current state: this is the recovery path.
pub async fn restore(
    backend: &Arc<dyn Backend>,
    version_id: &str,
    options: EditOptions,
) -> Result<Edited<u64>, Report> {
    let force = options.force;
    let mut warnings = Diagnostics::default();
    let work = async {
        let mut restored = backend
            .read_version(version_id)
            .await
            .map_err(Report::state)?;
        let restored_serial = restored.serial;
        // Restoring is a deliberate replacement, so a damaged current state
        // is accepted without --force.
        let current = current_for_replace(backend.as_ref(), true).await?;
        if let Some(Ok(stored)) = &current
            && stored.lineage != restored.lineage
            && !force
        {
            return Err(Report::error(
                Diagnostic::error("That version belongs to another state: its lineage differs")
                    .with_detail(format!(
                        "version: lineage {}; stored: lineage {}",
                        restored.lineage, stored.lineage
                    ))
                    .with_hint("restore it anyway with --force"),
            ));
        }
        restored.serial = next_serial(backend.as_ref(), &current, restored.serial + 1).await;
        backend.write(&restored).await.map_err(Report::state)?;
        Ok((restored_serial, restored.serial))
    };
    let (restored_serial, serial) = with_lock(
        backend,
        "state restore",
        &options.lock,
        options.interrupt,
        |w| warnings.extend(w),
        work,
    )
    .await?;
    Ok(Edited {
        result: restored_serial,
        serial,
        warnings,
    })
}

/// Opens the backend of the stack in `dir` for a state command.
pub async fn open_for_state_command(
    dir: &Path,
    state_path: Option<&Path>,
) -> Result<super::OpenedBackend, Report> {
    let config = load_backend_config(dir)?;
    super::open_backend(&config, state_path).await
}
