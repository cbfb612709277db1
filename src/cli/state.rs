//! `terrane state ...`, `init` and `force-unlock`: argument parsing and
//! printing; the work is in `ops::state_cmds`.
//!
//! Like every other command, these take the stack directory first and make
//! it optional: `terrane state show [DIR] ADDR`. With a fixed number of
//! arguments, one extra leading argument is the directory; `state rm [DIR]
//! ADDR...` takes its first argument as the directory when it is not a
//! resource address. Only `migrate-terraform SOURCE [DIR]` puts the
//! directory last, as the issue that defined it does.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use super::{LockArgs, print_diagnostics, stop_on_signals};
use crate::addr::InstanceAddr;
use crate::diag::{Diagnostic, Diagnostics, Sources};
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
        backend: BackendArgs,
    },
    /// Show one instance's attributes.
    #[command(override_usage = "terrane state show [DIR] ADDR")]
    Show {
        #[arg(value_name = "ARGS", num_args = 1..=2, required = true)]
        args: Vec<String>,
        #[command(flatten)]
        backend: BackendArgs,
    },
    /// Forget instances without deleting them from AWS.
    #[command(override_usage = "terrane state rm [DIR] ADDR...")]
    Rm {
        #[arg(value_name = "ARGS", num_args = 1.., required = true)]
        args: Vec<String>,
        #[command(flatten)]
        backend: BackendArgs,
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
        backend: BackendArgs,
        #[command(flatten)]
        lock: LockArgs,
    },
    /// Print the state as stored.
    #[command(override_usage = "terrane state pull [DIR]")]
    Pull {
        #[arg(default_value = ".")]
        dir: PathBuf,
        #[command(flatten)]
        backend: BackendArgs,
    },
    /// Replace the stored state with a file.
    #[command(override_usage = "terrane state push [DIR] FILE")]
    Push {
        #[arg(value_name = "ARGS", num_args = 1..=2, required = true)]
        args: Vec<String>,
        /// Push even when the lineage differs or the serial is not newer.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        backend: BackendArgs,
        #[command(flatten)]
        lock: LockArgs,
    },
    /// List stored versions of the state (S3 object versions).
    #[command(override_usage = "terrane state versions [DIR]")]
    Versions {
        #[arg(default_value = ".")]
        dir: PathBuf,
        #[command(flatten)]
        backend: BackendArgs,
    },
    /// Make an earlier version current again, as a new write.
    #[command(override_usage = "terrane state restore [DIR] VERSION_ID")]
    Restore {
        #[arg(value_name = "ARGS", num_args = 1..=2, required = true)]
        args: Vec<String>,
        /// Restore even a version of another lineage.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        backend: BackendArgs,
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
        /// Set a variable: --var name=value (repeatable).
        #[arg(long = "var", value_name = "NAME=VALUE")]
        vars: Vec<String>,
        /// Read variables from a .tfvars file (repeatable).
        #[arg(long = "var-file", value_name = "FILE")]
        var_files: Vec<PathBuf>,
        #[command(flatten)]
        backend: BackendArgs,
        #[command(flatten)]
        lock: LockArgs,
    },
}

#[derive(Args, Debug)]
pub struct BackendArgs {
    /// Use this state file instead of the stack's backend.
    #[arg(long)]
    state: Option<PathBuf>,
}

/// Splits `[DIR] ARGS` when ARGS has exactly `fixed` items.
fn split_dir(mut args: Vec<String>, fixed: usize) -> (PathBuf, Vec<String>) {
    if args.len() > fixed {
        let dir = args.remove(0);
        (PathBuf::from(dir), args)
    } else {
        (PathBuf::from("."), args)
    }
}

/// Splits `[DIR] ADDR...`: the first argument is the directory when it is
/// an existing directory or cannot be a resource address.
fn split_dir_before_addresses(mut args: Vec<String>) -> (PathBuf, Vec<String>) {
    if args.len() > 1 && (Path::new(&args[0]).is_dir() || !is_address(&args[0])) {
        let dir = args.remove(0);
        (PathBuf::from(dir), args)
    } else {
        (PathBuf::from("."), args)
    }
}

/// A resource address: identifiers for type and name, e.g. `aws_vpc.main[0]`.
fn is_address(text: &str) -> bool {
    let identifier = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    InstanceAddr::parse(text).is_some_and(|a| identifier(&a.type_name) && identifier(&a.name))
}

async fn open(dir: &Path, backend: &BackendArgs) -> Result<OpenedBackend, Report> {
    let opened = state_cmds::open_for_state_command(dir, backend.state.as_deref()).await?;
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
            let opened = open(&dir, &backend).await?;
            for address in state_cmds::list(opened.backend.as_ref()).await? {
                outln!("{address}");
            }
        }
        StateCommand::Show { args, backend } => {
            let (dir, args) = split_dir(args, 1);
            let opened = open(&dir, &backend).await?;
            let (resource, sensitive) = state_cmds::show(opened.backend.as_ref(), &args[0]).await?;
            out!("{}", render_instance(&resource, &sensitive));
        }
        StateCommand::Rm {
            args,
            backend,
            lock,
        } => {
            let (dir, addresses) = split_dir_before_addresses(args);
            let opened = open(&dir, &backend).await?;
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
            let (dir, args) = split_dir(args, 2);
            let opened = open(&dir, &backend).await?;
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
            let opened = open(&dir, &backend).await?;
            out!("{}", state_cmds::pull(opened.backend.as_ref()).await?);
        }
        StateCommand::Push {
            args,
            force,
            backend,
            lock,
        } => {
            let (dir, args) = split_dir(args, 1);
            let text = std::fs::read_to_string(&args[0]).map_err(|e| {
                Report::error(Diagnostic::error(format!("Cannot read {}: {e}", args[0])))
            })?;
            let opened = open(&dir, &backend).await?;
            let edited =
                state_cmds::push(&opened.backend, &text, edit_options(&lock, force)?).await?;
            print_warnings(&edited.warnings);
            outln!(
                "Pushed {} to {} as serial {}.",
                args[0],
                opened.backend.location(),
                edited.serial
            );
        }
        StateCommand::Versions { dir, backend } => {
            let opened = open(&dir, &backend).await?;
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
            args,
            force,
            backend,
            lock,
        } => {
            let (dir, args) = split_dir(args, 1);
            let opened = open(&dir, &backend).await?;
            let edited =
                state_cmds::restore(&opened.backend, &args[0], edit_options(&lock, force)?).await?;
            print_warnings(&edited.warnings);
            outln!(
                "Restored version {} (serial {}) as serial {}.",
                args[0],
                edited.result,
                edited.serial
            );
        }
        StateCommand::MigrateTerraform {
            source,
            dir,
            force,
            vars,
            var_files,
            backend,
            lock,
        } => {
            let options = StackOptions {
                dir,
                vars,
                var_files,
                state_path: backend.state,
                lock: lock.options(),
            };
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

fn print_saved<T>(edited: &Edited<T>) {
    outln!("Saved the state as serial {}.", edited.serial);
}

/// One instance, in the shape `terraform state show` prints.
fn render_instance(resource: &crate::state::ResourceState, sensitive: &[&str]) -> String {
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
        let shown = if sensitive.contains(&key.as_str()) {
            "(sensitive value)".to_string()
        } else {
            value.to_string()
        };
        out.push_str(&format!("    {key:<width$} = {shown}\n"));
    }
    out.push_str("}\n");
    out
}

pub async fn init(dir: &Path, create_bucket: bool, state: Option<&Path>) -> Result<i32, Report> {
    let config = ops::load_backend_config(dir)?;
    let (choice, warnings) = ops::choose_backend(&config, state)?;
    print_diagnostics(&config.sources, &warnings);
    let backend = ops::open_choice(&choice, &config).await?;
    let checked = state_cmds::init(backend.as_ref(), create_bucket).await?;
    if let Some(created) = &checked.created {
        outln!("Created {created}.");
    }
    print_diagnostics(&config.sources, &Diagnostics(checked.warnings));
    outln!(
        "terrane has been initialized: state lives at {}.",
        backend.location()
    );
    Ok(0)
}

pub async fn force_unlock(args: Vec<String>, state: Option<&Path>) -> Result<i32, Report> {
    let (dir, args) = split_dir(args, 1);
    let opened = open(
        &dir,
        &BackendArgs {
            state: state.map(Path::to_path_buf),
        },
    )
    .await?;
    state_cmds::force_unlock(opened.backend.as_ref(), &args[0]).await?;
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
            split_dir(strings(&["aws_vpc.main"]), 1),
            (PathBuf::from("."), strings(&["aws_vpc.main"]))
        );
        assert_eq!(
            split_dir(strings(&["stacks/app", "aws_vpc.main"]), 1),
            (PathBuf::from("stacks/app"), strings(&["aws_vpc.main"]))
        );
        assert_eq!(
            split_dir_before_addresses(strings(&["./app", "aws_vpc.a", "aws_vpc.b"])),
            (PathBuf::from("./app"), strings(&["aws_vpc.a", "aws_vpc.b"]))
        );
        assert_eq!(
            split_dir_before_addresses(strings(&["aws_vpc.a", "aws_vpc.b"])),
            (PathBuf::from("."), strings(&["aws_vpc.a", "aws_vpc.b"]))
        );
        // A path with a dot in it is still a path.
        assert_eq!(
            split_dir_before_addresses(strings(&["/tmp/.tmpX/app", "aws_vpc.a"])),
            (PathBuf::from("/tmp/.tmpX/app"), strings(&["aws_vpc.a"]))
        );
    }
}
