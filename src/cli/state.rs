//! `terrane state ...`, `init` and `force-unlock`: argument parsing and
//! printing; the work is in `ops::state_cmds`.
//!
//! Like every other command, these take the stack directory first and make
//! it optional: `terrane state show [DIR] ADDR`. Clap settles that shape
//! where one required argument follows the directory. `state mv [DIR] SRC
//! DST` takes a leading third argument as the directory, and `state rm
//! [DIR] ADDR...` takes its first argument as the directory when it is not a
//! resource address: shapes clap cannot express, resolved in
//! `leading_dir`. Only `migrate-terraform SOURCE [DIR]` puts the directory
//! last, as the issue that defined it does.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use super::{LockArgs, VarArgs, print_diagnostics, stop_on_signals};
use crate::addr::{InstanceAddr, ModulePath};
use crate::diag::{Diagnostics, Sources};
use crate::ops::state_cmds::{self, EditOptions, Edited};
use crate::ops::{self, OpenedBackend, Report, StackOptions};
use crate::value::Value;

#[derive(Subcommand, Debug)]
pub enum StateCommand {
    /// List the instances in state.
    #[command(override_usage = "terrane state list [DIR]")]
    List {
        #[arg(default_value = ".")]
        dir: PathBuf,
        #[command(flatten)]
        backend: StatePathArg,
    },
    /// Show one instance's attributes.
    #[command(allow_missing_positional = true)]
    Show {
        /// The stack directory.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// The instance, e.g. aws_subnet.public[0].
        #[arg(value_name = "ADDR")]
        address: String,
        #[command(flatten)]
        backend: StatePathArg,
    },
    /// Forget instances without deleting them from AWS.
    #[command(override_usage = "terrane state rm [DIR] ADDR...")]
    Rm {
        #[arg(value_name = "ARGS", num_args = 1.., required = true)]
        args: Vec<String>,
        #[command(flatten)]
        backend: StatePathArg,
        #[command(flatten)]
        lock: LockArgs,
    },
    /// Rename an instance (e.g. into a count or for_each instance) or a
    /// whole resource.
    #[command(override_usage = "terrane state mv [DIR] SOURCE DESTINATION")]
    Mv {
        #[arg(value_name = "ARGS", num_args = 2..=3, required = true)]
        args: Vec<String>,
        #[command(flatten)]
        backend: StatePathArg,
        #[command(flatten)]
        lock: LockArgs,
    },
    /// Print the state as stored.
    #[command(override_usage = "terrane state pull [DIR]")]
    Pull {
        #[arg(default_value = ".")]
        dir: PathBuf,
        #[command(flatten)]
        backend: StatePathArg,
    },
    /// Replace the stored state with a file.
    #[command(allow_missing_positional = true)]
    Push {
        /// The stack directory.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// The state file to push.
        file: PathBuf,
        /// Push even when the lineage differs or the serial is not newer.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        backend: StatePathArg,
        #[command(flatten)]
        lock: LockArgs,
    },
    /// List stored versions of the state (S3 object versions).
    #[command(override_usage = "terrane state versions [DIR]")]
    Versions {
        #[arg(default_value = ".")]
        dir: PathBuf,
        #[command(flatten)]
        backend: StatePathArg,
    },
    /// Make an earlier version current again, as a new write.
    #[command(allow_missing_positional = true)]
    Restore {
        /// The stack directory.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// The version, as `terrane state versions` lists it.
        version_id: String,
        /// Restore even a version of another lineage.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        backend: StatePathArg,
        #[command(flatten)]
        lock: LockArgs,
    },
    /// Build a new state from what AWS holds, when the state is lost: each
    /// instance of the stack is looked for by terrane's tags or its name.
    Rebuild {
        /// The stack directory.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Replace a state that already holds instances.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        variables: VarArgs,
        #[command(flatten)]
        backend: StatePathArg,
        #[command(flatten)]
        lock: LockArgs,
    },
    /// Build terrane state from a Terraform state (a file or s3://bucket/key).
    MigrateTerraform {
        /// The Terraform state: a file or an s3://bucket/key URL.
        source: String,
        /// The stack directory.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Replace a terrane state that already holds instances.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        variables: VarArgs,
        #[command(flatten)]
        backend: StatePathArg,
        #[command(flatten)]
        lock: LockArgs,
    },
}

/// `--state PATH`, for the commands that read or write state.
#[derive(Args, Debug)]
pub struct StatePathArg {
    /// Use this state file instead of the stack's backend.
    #[arg(long)]
    state: Option<PathBuf>,
}

/// Splits `[DIR] ARGS...` where clap cannot: the first argument is the
/// directory when there are more than `fixed` arguments (`fixed` = None: when
/// it is an existing directory or cannot be a resource address).
fn leading_dir(mut args: Vec<String>, fixed: Option<usize>) -> (PathBuf, Vec<String>) {
    let has_dir = match fixed {
        Some(fixed) => args.len() > fixed,
        None => args.len() > 1 && (Path::new(&args[0]).is_dir() || !is_address(&args[0])),
    };
    if has_dir {
        let dir = args.remove(0);
        (PathBuf::from(dir), args)
    } else {
        (PathBuf::from("."), args)
    }
}

/// A resource address (identifiers for type and name, e.g.
/// `aws_vpc.main[0]`, maybe inside a module) or a module's address
/// (`module.web["blue"]`).
fn is_address(text: &str) -> bool {
    let identifier = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    InstanceAddr::parse(text).is_some_and(|a| identifier(&a.type_name) && identifier(&a.name))
        || ModulePath::parse(text).is_some_and(|m| !m.is_root())
}

async fn open(dir: &Path, state: Option<&Path>) -> Result<OpenedBackend, Report> {
    let opened = state_cmds::open_for_state_command(dir, state).await?;
    print_diagnostics(&Sources::default(), &opened.warnings);
    Ok(opened)
}

fn edit_options(lock: &LockArgs, force: bool) -> Result<EditOptions, Report> {
    Ok(EditOptions {
        lock: lock.options(),
        interrupt: Some(stop_on_signals()?),
        force,
    })
}

fn print_warnings(warnings: &Diagnostics) {
    print_diagnostics(&Sources::default(), warnings);
}

pub async fn run(command: StateCommand) -> Result<i32, Report> {
    match command {
        StateCommand::List { dir, backend } => {
            let opened = open(&dir, backend.state.as_deref()).await?;
            for address in state_cmds::list(opened.backend.as_ref()).await? {
                outln!("{address}");
            }
        }
        StateCommand::Show {
            dir,
            address,
            backend,
        } => {
            let opened = open(&dir, backend.state.as_deref()).await?;
            let (resource, sensitive) = state_cmds::show(opened.backend.as_ref(), &address).await?;
            out!("{}", render_instance(&resource, &sensitive));
        }
        StateCommand::Rm {
            args,
            backend,
            lock,
        } => {
            let (dir, addresses) = leading_dir(args, None);
            let opened = open(&dir, backend.state.as_deref()).await?;
            let edited =
                state_cmds::rm(&opened.backend, &addresses, edit_options(&lock, false)?).await?;
            print_warnings(&edited.warnings);
            for address in &edited.result {
                outln!("Removed {address}");
            }
            print_saved(&edited);
        }
        StateCommand::Mv {
            args,
            backend,
            lock,
        } => {
            let (dir, args) = leading_dir(args, Some(2));
            let opened = open(&dir, backend.state.as_deref()).await?;
            let edited = state_cmds::mv(
                &opened.backend,
                &args[0],
                &args[1],
                edit_options(&lock, false)?,
            )
            .await?;
            print_warnings(&edited.warnings);
            for (from, to) in &edited.result {
                outln!("Moved {from} to {to}");
            }
            print_saved(&edited);
        }
        StateCommand::Pull { dir, backend } => {
            let opened = open(&dir, backend.state.as_deref()).await?;
            out!("{}", state_cmds::pull(opened.backend.as_ref()).await?);
        }
        StateCommand::Push {
            dir,
            file,
            force,
            backend,
            lock,
        } => {
            let opened = open(&dir, backend.state.as_deref()).await?;
            let edited =
                state_cmds::push(&opened.backend, &file, edit_options(&lock, force)?).await?;
            print_warnings(&edited.warnings);
            outln!(
                "Pushed {} to {} as serial {}.",
                file.display(),
                opened.backend.location(),
                edited.serial
            );
        }
        StateCommand::Versions { dir, backend } => {
            let opened = open(&dir, backend.state.as_deref()).await?;
            let versions = state_cmds::versions(opened.backend.as_ref()).await?;
            if versions.is_empty() {
                errln!("No stored versions at {}", opened.backend.location());
            }
            for version in versions {
                let serial = version
                    .serial
                    .map_or_else(|| "-".to_string(), |s| s.to_string());
                let note = match (&version.note, &version.lineage) {
                    (Some(note), _) => note.clone(),
                    (None, Some(lineage)) => format!("lineage {lineage}"),
                    (None, None) => String::new(),
                };
                outln!(
                    "{}  {}  serial {serial:>4}  {}{}",
                    version.id,
                    version.modified.as_deref().unwrap_or("-"),
                    note,
                    if version.is_current {
                        "  (current)"
                    } else {
                        ""
                    }
                );
            }
        }
        StateCommand::Restore {
            dir,
            version_id,
            force,
            backend,
            lock,
        } => {
            let opened = open(&dir, backend.state.as_deref()).await?;
            let edited =
                state_cmds::restore(&opened.backend, &version_id, edit_options(&lock, force)?)
                    .await?;
            print_warnings(&edited.warnings);
            outln!(
                "Restored version {} (serial {}) as serial {}.",
                version_id,
                edited.result,
                edited.serial
            );
        }
        StateCommand::Rebuild {
            dir,
            force,
            variables,
            backend,
            lock,
        } => {
            let options = stack_options(dir, variables, backend, &lock);
            let stack = ops::load(&options)?;
            print_diagnostics(&stack.config.sources, &stack.warnings);
            let rebuilt =
                state_cmds::rebuild_state(&stack, &options, edit_options(&lock, force)?).await?;
            print_warnings(&rebuilt.warnings);
            for (address, id) in &rebuilt.found {
                outln!("Found {address} ({id})");
            }
            for address in &rebuilt.missing {
                outln!("Not in AWS: {address} (a plan will create it)");
            }
            for (address, id) in &rebuilt.foreign {
                outln!(
                    "Not this stack's: {id} has the name of {address} without this stack's tags; `terrane import {address} {id}` takes it over"
                );
            }
            for (id, address) in &rebuilt.unclaimed {
                outln!(
                    "Unclaimed: {id} is tagged as {address} but is not in the new state; delete it, or `terrane import` it under an address the stack declares"
                );
            }
            outln!(
                "\nRebuilt the state with {} instance(s) ({} not in AWS, {} not this stack's, {} unclaimed); wrote serial {} (lineage {}).",
                rebuilt.found.len(),
                rebuilt.missing.len(),
                rebuilt.foreign.len(),
                rebuilt.unclaimed.len(),
                rebuilt.serial,
                rebuilt.lineage
            );
            outln!("Run `terrane plan` to check that the stack matches.");
        }
        StateCommand::MigrateTerraform {
            source,
            dir,
            force,
            variables,
            backend,
            lock,
        } => {
            let options = stack_options(dir, variables, backend, &lock);
            let stack = ops::load(&options)?;
            print_diagnostics(&stack.config.sources, &stack.warnings);
            let migrated = state_cmds::migrate_terraform(
                &stack,
                &options,
                &source,
                edit_options(&lock, force)?,
            )
            .await?;
            print_warnings(&migrated.warnings);
            for address in &migrated.migrated {
                outln!("Migrated {address}");
            }
            for (address, reason) in &migrated.left_out {
                outln!("Left out {address}: {reason}");
            }
            outln!(
                "\nMigrated {} instance(s), left out {}; wrote serial {} (lineage {}).",
                migrated.migrated.len(),
                migrated.left_out.len(),
                migrated.serial,
                migrated.lineage
            );
            if !migrated.migrated.is_empty() {
                outln!("Run `terrane plan` to check that the stack matches.");
            }
        }
    }
    Ok(0)
}

/// How a state command that reads the whole stack loads it.
fn stack_options(
    dir: PathBuf,
    variables: VarArgs,
    backend: StatePathArg,
    lock: &LockArgs,
) -> StackOptions {
    StackOptions {
        dir,
        vars: variables.vars,
        var_files: variables.var_files,
        state_path: backend.state,
        lock: lock.options(),
        validate_only: false,
        ..StackOptions::default()
    }
}

fn print_saved<T>(edited: &Edited<T>) {
    outln!("Saved the state as serial {}.", edited.serial);
}

/// One instance, in the shape `terraform state show` prints.
fn render_instance(resource: &crate::state::ResourceState, sensitive: &[String]) -> String {
    let name = InstanceAddr::parse(&resource.address)
        .map(|a| a.name)
        .unwrap_or_default();
    let width = resource
        .attributes
        .keys()
        .map(String::len)
        .max()
        .unwrap_or(0);
    let mut out = format!(
        "# {}:\nresource \"{}\" \"{name}\" {{\n",
        resource.address, resource.type_name
    );
    for (key, value) in &resource.attributes {
        if value == &Value::Null {
            continue;
        }
        let shown = if sensitive.contains(key) {
            "(sensitive value)".to_string()
        } else {
            value.to_string()
        };
        out.push_str(&format!("    {key:<width$} = {shown}\n"));
    }
    out.push_str("}\n");
    out
}

pub async fn init(
    dir: &Path,
    create_bucket: bool,
    backend: bool,
    state: Option<&Path>,
) -> Result<i32, Report> {
    let initialized = state_cmds::init(dir, create_bucket, backend, state).await?;
    for module in &initialized.modules {
        let version = module
            .version
            .as_deref()
            .map(|v| format!(" {v}"))
            .unwrap_or_default();
        let how = if module.kept { "Kept" } else { "Installed" };
        outln!("{how} module {} ({}{version})", module.key, module.source);
    }
    if let Some(created) = &initialized.created {
        outln!("Created {created}.");
    }
    print_diagnostics(&initialized.sources, &initialized.warnings);
    match &initialized.location {
        Some(location) => outln!("terrane has been initialized: state lives at {location}."),
        None => {
            outln!("terrane has been initialized (the backend was not checked: --backend=false).")
        }
    }
    Ok(0)
}

pub async fn force_unlock(dir: &Path, lock_id: &str, state: Option<&Path>) -> Result<i32, Report> {
    let opened = open(dir, state).await?;
    state_cmds::force_unlock(opened.backend.as_ref(), lock_id).await?;
    outln!(
        "The state at {} has been unlocked.",
        opened.backend.location()
    );
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|a| a.to_string()).collect()
    }

    #[test]
    fn the_directory_comes_first_and_is_optional() {
        assert_eq!(
            leading_dir(strings(&["aws_vpc.a", "aws_vpc.b"]), Some(2)),
            (PathBuf::from("."), strings(&["aws_vpc.a", "aws_vpc.b"]))
        );
        assert_eq!(
            leading_dir(strings(&["stacks/app", "aws_vpc.a", "aws_vpc.b"]), Some(2)),
            (
                PathBuf::from("stacks/app"),
                strings(&["aws_vpc.a", "aws_vpc.b"])
            )
        );
        assert_eq!(
            leading_dir(strings(&["./app", "aws_vpc.a", "aws_vpc.b"]), None),
            (PathBuf::from("./app"), strings(&["aws_vpc.a", "aws_vpc.b"]))
        );
        assert_eq!(
            leading_dir(strings(&["aws_vpc.a", "aws_vpc.b"]), None),
            (PathBuf::from("."), strings(&["aws_vpc.a", "aws_vpc.b"]))
        );
        // A path with a dot in it is still a path.
        assert_eq!(
            leading_dir(strings(&["/tmp/.tmpX/app", "aws_vpc.a"]), None),
            (PathBuf::from("/tmp/.tmpX/app"), strings(&["aws_vpc.a"]))
        );
    }
}
