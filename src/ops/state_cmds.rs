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
use crate::addr::{InstanceAddr, InstanceKey, ModulePath};
use crate::diag::{Diagnostic, Diagnostics, Sources};
use crate::provider;
use crate::state::{Backend, Checked, ResourceState, State, StateError, StateVersion};

pub use super::migrate::{Migrated, migrate_terraform};

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

/// One instance, with the schema's sensitive attributes named so `cli` can
/// hide them.
pub async fn show(
    backend: &dyn Backend,
    address: &str,
) -> Result<(ResourceState, Vec<&'static str>), Report> {
    let state = read_existing(backend).await?;
    let resource = state.resource(address).cloned().ok_or_else(|| {
        Report::error(
            Diagnostic::error(format!("No instance {address} in state"))
                .with_hint("list the addresses with `terrane state list`"),
        )
    })?;
    let sensitive = provider::resource_type(&resource.type_name)
        .map(|t| {
            t.schema()
                .attributes
                .iter()
                .filter(|a| a.sensitive)
                .map(|a| a.name)
                .collect()
        })
        .unwrap_or_default();
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
    /// Where state lives.
    pub location: String,
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
    state_path: Option<&Path>,
) -> Result<Initialized, Report> {
    let config = load_backend_config(dir)?;
    let (choice, mut warnings) = choose_backend(&config, state_path)?;
    let backend = open_choice(&choice, &config).await?;
    let checked: Checked = backend.check(create_missing).await.map_err(Report::state)?;
    warnings.extend(Diagnostics(checked.warnings));
    Ok(Initialized {
        location: backend.location(),
        created: checked.created,
        sources: config.sources,
        warnings,
    })
}

/// Removes the lock if `id` is its holder's.
pub async fn force_unlock(backend: &dyn Backend, id: &str) -> Result<(), Report> {
    backend.unlock(id).await.map_err(Report::state)
}

/// Instances named by an address: the instance itself, every instance of
/// a resource when the address has no key, or every instance inside a
/// module (`module.web` names all of its instances' resources,
/// `module.web["blue"]` one instance's).
fn matching(state: &State, address: &str) -> Vec<String> {
    if state.resource(address).is_some() {
        return vec![address.to_string()];
    }
    if let Some(module) = ModulePath::parse(address).filter(|m| !m.is_root()) {
        return state
            .resources
            .iter()
            .filter(|r| InstanceAddr::parse(&r.address).is_some_and(|a| within(&module, &a.module)))
            .map(|r| r.address.clone())
            .collect();
    }
    let Some(wanted) = InstanceAddr::parse(address) else {
        return Vec::new();
    };
    if wanted.key != InstanceKey::None {
        return Vec::new();
    }
    state
        .resources
        .iter()
        .filter(|r| InstanceAddr::parse(&r.address).is_some_and(|a| a.resource() == address))
        .map(|r| r.address.clone())
        .collect()
}

/// Whether `path` is the module `pattern` names or inside it; a step of the
/// pattern without a key stands for every instance of that call.
fn within(pattern: &ModulePath, path: &ModulePath) -> bool {
    pattern.0.len() <= path.0.len()
        && pattern
            .0
            .iter()
            .zip(&path.0)
            .all(|((name, key), (n, k))| name == n && (*key == InstanceKey::None || key == k))
}

fn parse_address(text: &str) -> Result<InstanceAddr, Report> {
    InstanceAddr::parse(text).ok_or_else(|| {
        Report::error(
            Diagnostic::error(format!("{text:?} is not a resource address"))
                .with_hint("addresses look like aws_vpc.main, aws_subnet.public[0], aws_subnet.az[\"us-east-1a\"] or module.network.aws_vpc.main"),
        )
    })
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
            let found = matching(state, address);
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
    let modules = (ModulePath::parse(source), ModulePath::parse(destination));
    if let (Some(from), Some(to)) = modules
        && !from.is_root()
        && !to.is_root()
    {
        return edit(backend, "state mv", options, |state| {
            move_module(state, &from, &to)
        })
        .await;
    }
    let from = parse_address(source)?;
    let to = parse_address(destination)?;
    edit(backend, "state mv", options, |state| {
        move_instances(state, &from, &to)
    })
    .await
}

/// Moves every instance inside one module instance to another module
/// address (`module.a` to `module.b`, or into `module.b["x"]`).
fn move_module(
    state: &mut State,
    from: &ModulePath,
    to: &ModulePath,
) -> Result<Vec<(String, String)>, Report> {
    let moves: Vec<(String, String)> = state
        .resources
        .iter()
        .filter_map(|r| InstanceAddr::parse(&r.address))
        .filter(|addr| addr.module.starts_with(from))
        .map(|addr| {
            let mut steps = to.0.clone();
            steps.extend(addr.module.0[from.0.len()..].iter().cloned());
            let new = addr.clone().in_module(ModulePath(steps));
            (addr.to_string(), new.to_string())
        })
        .collect();
    if moves.is_empty() {
        return Err(Report::error(Diagnostic::error(format!(
            "No instance in {from} in state"
        ))));
    }
    apply_moves(state, &moves)?;
    let moved = |address: &str| -> Option<String> {
        let addr = InstanceAddr::parse(address)?;
        if !addr.module.starts_with(from) {
            return None;
        }
        let mut steps = to.0.clone();
        steps.extend(addr.module.0[from.0.len()..].iter().cloned());
        Some(addr.in_module(ModulePath(steps)).to_string())
    };
    for resource in &mut state.resources {
        for dependency in &mut resource.dependencies {
            if let Some(new) = moved(dependency) {
                *dependency = new;
            }
        }
        resource.dependencies.sort();
        resource.dependencies.dedup();
    }
    Ok(moves)
}

fn move_instances(
    state: &mut State,
    from: &InstanceAddr,
    to: &InstanceAddr,
) -> Result<Vec<(String, String)>, Report> {
    let refuse = |summary: String| Err(Report::error(Diagnostic::error(summary)));
    if from.type_name != to.type_name {
        return refuse(format!(
            "Cannot move {from} to {to}: an instance keeps its resource type"
        ));
    }
    let source = from.to_string();
    let moves: Vec<(String, String)> = if state.resource(&source).is_some() {
        vec![(source.clone(), to.to_string())]
    } else if from.key == InstanceKey::None && to.key == InstanceKey::None {
        // The whole resource: every instance keeps its key.
        matching(state, &source)
            .into_iter()
            .filter_map(|address| InstanceAddr::parse(&address))
            .map(|old| {
                let new = InstanceAddr::new(&to.type_name, &to.name, old.key.clone())
                    .in_module(to.module.clone());
                (old.to_string(), new.to_string())
            })
            .collect()
    } else {
        Vec::new()
    };
    if moves.is_empty() {
        return refuse(format!("No instance {source} in state"));
    }
    apply_moves(state, &moves)?;
    // Dependencies name resources. Others that depended on the old resource
    // now depend on the new one too, and only on it once nothing is left at
    // the old address.
    let (old_resource, new_resource) = (from.resource(), to.resource());
    if old_resource != new_resource {
        let old_remains = !matching(state, &old_resource).is_empty();
        for resource in &mut state.resources {
            if !resource.dependencies.contains(&old_resource) {
                continue;
            }
            if !old_remains {
                resource.dependencies.retain(|d| *d != old_resource);
            }
            if !resource.dependencies.contains(&new_resource) {
                resource.dependencies.push(new_resource.clone());
            }
            resource.dependencies.sort();
        }
    }
    Ok(moves)
}

/// Renames instances, refusing to overwrite one that exists; pending
/// creates follow their instance. Dependencies on a module's resources
/// follow them too.
fn apply_moves(state: &mut State, moves: &[(String, String)]) -> Result<(), Report> {
    for (_, new) in moves {
        if state.resource(new).is_some() {
            return Err(Report::error(Diagnostic::error(format!(
                "{new} already exists in state; remove it first or choose another address"
            ))));
        }
    }
    for (old, new) in moves {
        if let Some(mut resource) = state.remove(old) {
            resource.address = new.clone();
            state.upsert(resource);
        }
        for pending in state.pending.iter_mut().filter(|p| p.address == *old) {
            pending.address = new.clone();
        }
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Attrs;

    fn instance(address: &str, deps: &[&str]) -> ResourceState {
        let addr = InstanceAddr::parse(address).unwrap();
        ResourceState {
            address: address.into(),
            type_name: addr.type_name,
            id: format!("id-{address}"),
            attributes: Attrs::new(),
            dependencies: deps.iter().map(|d| d.to_string()).collect(),
            provider: "aws".into(),
        }
    }

    fn state(resources: Vec<ResourceState>) -> State {
        let mut state = State::new();
        for r in resources {
            state.upsert(r);
        }
        state
    }

    fn addresses(state: &State) -> Vec<&str> {
        state.resources.iter().map(|r| r.address.as_str()).collect()
    }

    fn mv(state: &mut State, from: &str, to: &str) -> Result<Vec<(String, String)>, Report> {
        move_instances(
            state,
            &InstanceAddr::parse(from).unwrap(),
            &InstanceAddr::parse(to).unwrap(),
        )
    }

    #[test]
    fn moves_an_instance_into_count_and_for_each_and_updates_dependents() {
        let mut s = state(vec![
            instance("aws_subnet.a", &["aws_vpc.main"]),
            instance("aws_route_table_association.x", &["aws_subnet.a"]),
        ]);
        mv(&mut s, "aws_subnet.a", "aws_subnet.public[0]").unwrap();
        assert_eq!(
            addresses(&s),
            ["aws_route_table_association.x", "aws_subnet.public[0]"]
        );
        assert_eq!(s.resources[0].dependencies, ["aws_subnet.public"]);
        mv(
            &mut s,
            "aws_subnet.public[0]",
            "aws_subnet.az[\"us-east-1a\"]",
        )
        .unwrap();
        assert_eq!(
            s.resource("aws_subnet.az[\"us-east-1a\"]").unwrap().id,
            "id-aws_subnet.a"
        );
    }

    #[test]
    fn moves_a_whole_resource_keeping_keys() {
        let mut s = state(vec![
            instance("aws_subnet.a[0]", &[]),
            instance("aws_subnet.a[1]", &[]),
        ]);
        let moved = mv(&mut s, "aws_subnet.a", "aws_subnet.b").unwrap();
        assert_eq!(moved.len(), 2);
        assert_eq!(addresses(&s), ["aws_subnet.b[0]", "aws_subnet.b[1]"]);
    }

    #[test]
    fn refuses_moves_onto_existing_instances_across_types_or_from_nothing() {
        let mut s = state(vec![
            instance("aws_subnet.a", &[]),
            instance("aws_subnet.b", &[]),
        ]);
        let before = s.clone();
        assert!(mv(&mut s, "aws_subnet.a", "aws_subnet.b").is_err());
        assert!(mv(&mut s, "aws_subnet.a", "aws_vpc.a").is_err());
        assert!(mv(&mut s, "aws_subnet.c", "aws_subnet.d").is_err());
        assert_eq!(s, before);
    }

    #[test]
    fn matching_finds_instances_or_whole_resources() {
        let s = state(vec![
            instance("aws_subnet.a[0]", &[]),
            instance("aws_subnet.a[1]", &[]),
            instance("aws_subnet.ab", &[]),
        ]);
        assert_eq!(matching(&s, "aws_subnet.a").len(), 2);
        assert_eq!(matching(&s, "aws_subnet.a[1]"), ["aws_subnet.a[1]"]);
        assert!(matching(&s, "aws_subnet.a[2]").is_empty());
    }

    #[test]
    fn matching_and_moving_whole_modules() {
        let mut s = state(vec![
            instance("aws_vpc.root", &["module.net.aws_vpc.this"]),
            instance("module.net.aws_vpc.this", &[]),
            instance("module.net.aws_subnet.a[0]", &["module.net.aws_vpc.this"]),
            instance("module.web[\"blue\"].aws_security_group.this", &[]),
            instance("module.web[\"green\"].aws_security_group.this", &[]),
        ]);
        assert_eq!(matching(&s, "module.web").len(), 2);
        assert_eq!(matching(&s, "module.web[\"blue\"]").len(), 1);
        assert_eq!(matching(&s, "module.net.aws_subnet.a").len(), 1);
        assert!(matching(&s, "module.ne").is_empty());

        let moved = move_module(
            &mut s,
            &ModulePath::parse("module.net").unwrap(),
            &ModulePath::parse("module.network[\"primary\"]").unwrap(),
        )
        .unwrap();
        assert_eq!(moved.len(), 2);
        assert!(
            s.resource("module.network[\"primary\"].aws_vpc.this")
                .is_some()
        );
        // What depended on the module's resources follows them.
        assert_eq!(
            s.resource("aws_vpc.root").unwrap().dependencies,
            ["module.network[\"primary\"].aws_vpc.this"]
        );
        // A resource moves into a module, keeping its keys.
        mv(&mut s, "aws_vpc.root", "module.core.aws_vpc.root").unwrap();
        assert!(s.resource("module.core.aws_vpc.root").is_some());
    }
}
