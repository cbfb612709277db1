//! `terrane workspace list|show|new|select|delete`: several states for one
//! stack, as Terraform's workspaces (see `ops::workspace`). Like the other
//! commands they take the stack directory first, optionally:
//! `terrane workspace select [DIR] NAME`.

use std::path::PathBuf;

use clap::Subcommand;

use super::{LockArgs, stop_on_signals};
use crate::ops::state_cmds::EditOptions;
use crate::ops::{Report, workspace};

#[derive(Subcommand, Debug)]
pub enum WorkspaceCommand {
    /// List the workspaces; `*` marks the selected one.
    List {
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Print the selected workspace.
    Show {
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Create a workspace (with an empty state) and select it.
    #[command(allow_missing_positional = true)]
    New {
        /// The stack directory.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// The workspace.
        name: String,
    },
    /// Select a workspace for the commands that follow.
    #[command(allow_missing_positional = true)]
    Select {
        /// The stack directory.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// The workspace.
        name: String,
    },
    /// Delete a workspace's state (refused while it manages objects).
    #[command(allow_missing_positional = true)]
    Delete {
        /// The stack directory.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// The workspace.
        name: String,
        /// Delete even a state that still manages objects; they stay in
        /// AWS, forgotten.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        lock: LockArgs,
    },
}

pub async fn run(command: WorkspaceCommand) -> Result<i32, Report> {
    match command {
        WorkspaceCommand::List { dir } => {
            let (names, selected) = workspace::list(&dir).await?;
            for name in names {
                let mark = if name == selected { '*' } else { ' ' };
                outln!("{mark} {name}");
            }
        }
        WorkspaceCommand::Show { dir } => outln!("{}", workspace::current(&dir)?),
        WorkspaceCommand::New { name, dir } => {
            workspace::new(&dir, &name).await?;
            outln!("Created and switched to workspace {name:?}.");
        }
        WorkspaceCommand::Select { name, dir } => {
            workspace::select(&dir, &name).await?;
            outln!("Switched to workspace {name:?}.");
            if let Ok(overriding) = std::env::var("TF_WORKSPACE")
                && !overriding.is_empty()
                && overriding != name
            {
                errln!(
                    "warning: TF_WORKSPACE={overriding} is set and takes precedence over the selection"
                );
            }
        }
        WorkspaceCommand::Delete {
            name,
            dir,
            force,
            lock,
        } => {
            let options = EditOptions {
                lock: lock.options(),
                interrupt: Some(stop_on_signals()?),
                force,
            };
            workspace::delete(&dir, &name, options).await?;
            outln!("Deleted workspace {name:?}.");
        }
    }
    Ok(0)
}
