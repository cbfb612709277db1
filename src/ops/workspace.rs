//! Workspaces: several states for one stack (`staging`, `production`),
//! laid out as Terraform lays them out so teams that use workspaces keep
//! their states.
//!
//! The selected workspace is the `TF_WORKSPACE` environment variable, else
//! the name in `.terraform/environment` in the stack directory (what
//! `terraform workspace select` writes), else `default`. Where each
//! workspace's state lives is `BackendChoice::in_workspace`. This module
//! sequences; it never prints.

use std::path::Path;

use super::backend::{
    BackendChoice, DEFAULT_WORKSPACE, backend_s3_client, choose_default_workspace_backend,
    load_backend_config, open_choice,
};
use super::state_cmds::EditOptions;
use super::{Report, with_lock};
use crate::diag::Diagnostic;
use crate::lang::Config;
use crate::state::{self, State};

/// The file the selected workspace's name is kept in.
const SELECTION_FILE: &str = ".terraform/environment";

/// The selected workspace of the stack in `dir`.
pub fn current(dir: &Path) -> Result<String, Report> {
    let name = match std::env::var("TF_WORKSPACE") {
        Ok(name) if !name.is_empty() => name,
        _ => match std::fs::read_to_string(dir.join(SELECTION_FILE)) {
            Ok(text) => text.trim().to_string(),
            Err(_) => DEFAULT_WORKSPACE.to_string(),
        },
    };
    check_name(&name)?;
    Ok(name)
}

/// Workspace names are what Terraform allows in a state path: letters,
/// digits, `-`, `_` and `.`, not empty.
fn check_name(name: &str) -> Result<(), Report> {
    let valid = !name.is_empty()
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if valid {
        Ok(())
    } else {
        Err(Report::error(
            Diagnostic::error(format!("{name:?} is not a valid workspace name"))
                .with_hint("use letters, digits, '-', '_' and '.'"),
        ))
    }
}

/// Every workspace with a state, `default` always first; and the selected
/// one.
pub async fn list(dir: &Path) -> Result<(Vec<String>, String), Report> {
    let config = load_backend_config(dir)?;
    let (choice, _) = choose_default_workspace_backend(&config)?;
    let mut names = match &choice {
        BackendChoice::Local(path) => state::local_workspaces(path).map_err(Report::state)?,
        BackendChoice::S3 {
            settings,
            region,
            endpoint,
            workspace_key_prefix,
        } => {
            let client = backend_s3_client(region, endpoint, &config).await?;
            state::s3::workspaces(
                &client,
                &settings.bucket,
                workspace_key_prefix,
                &settings.key,
            )
            .await
            .map_err(Report::state)?
        }
    };
    names.retain(|name| name != DEFAULT_WORKSPACE);
    names.insert(0, DEFAULT_WORKSPACE.to_string());
    Ok((names, current(dir)?))
}

/// Creates a workspace with an empty state, and selects it.
pub async fn new(dir: &Path, name: &str) -> Result<(), Report> {
    check_name(name)?;
    let (existing, _) = list(dir).await?;
    if existing.iter().any(|n| n == name) {
        return Err(Report::error(
            Diagnostic::error(format!("Workspace {name:?} already exists"))
                .with_hint(format!("select it with `terrane workspace select {name}`")),
        ));
    }
    let (config, choice) = workspace_backend(dir, name)?;
    let backend = open_choice(&choice, &config).await?;
    backend.write(&State::new()).await.map_err(Report::state)?;
    select_unchecked(dir, name)
}

/// Selects an existing workspace for the next commands in `dir`.
pub async fn select(dir: &Path, name: &str) -> Result<(), Report> {
    check_name(name)?;
    let (existing, _) = list(dir).await?;
    if !existing.iter().any(|n| n == name) {
        return Err(Report::error(
            Diagnostic::error(format!("Workspace {name:?} does not exist"))
                .with_detail(format!("the workspaces are {}", existing.join(", ")))
                .with_hint(format!("create it with `terrane workspace new {name}`")),
        ));
    }
    select_unchecked(dir, name)
}

fn select_unchecked(dir: &Path, name: &str) -> Result<(), Report> {
    let path = dir.join(SELECTION_FILE);
    let written = path
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::write(&path, format!("{name}\n")));
    written.map_err(|e| {
        Report::error(Diagnostic::error(format!(
            "Cannot record the selected workspace in {}: {e}",
            path.display()
        )))
    })
}

/// Deletes a workspace's state. Refused for `default`, for the selected
/// workspace, and (unless `force`) while its state still manages objects,
/// which would otherwise be forgotten, not destroyed.
pub async fn delete(dir: &Path, name: &str, options: EditOptions) -> Result<(), Report> {
    check_name(name)?;
    let refuse = |summary: String, hint: &str| {
        Err(Report::error(Diagnostic::error(summary).with_hint(hint)))
    };
    if name == DEFAULT_WORKSPACE {
        return refuse(
            "The default workspace cannot be deleted".into(),
            "destroy its objects with `terrane destroy` instead",
        );
    }
    if current(dir)? == name {
        return refuse(
            format!("Workspace {name:?} is selected"),
            "select another workspace first",
        );
    }
    let (config, choice) = workspace_backend(dir, name)?;
    let backend = open_choice(&choice, &config).await?;
    let force = options.force;
    let work = async {
        let stored = backend.read().await.map_err(Report::state)?;
        let Some(stored) = stored else {
            return Err(Report::error(Diagnostic::error(format!(
                "Workspace {name:?} does not exist"
            ))));
        };
        if !stored.resources.is_empty() && !force {
            return Err(Report::error(
                Diagnostic::error(format!(
                    "Workspace {name:?} still manages {} object(s)",
                    stored.resources.len()
                ))
                .with_detail("deleting its state would leave them in AWS, forgotten")
                .with_hint(format!(
                    "destroy them first (`terrane workspace select {name}`, then `terrane destroy`), or add --force to forget them"
                )),
            ));
        }
        backend.delete().await.map_err(Report::state)
    };
    with_lock(
        &backend,
        "workspace delete",
        &options.lock,
        options.interrupt,
        |_| {},
        work,
    )
    .await
}

/// The stack's backend for `workspace`.
fn workspace_backend(dir: &Path, workspace: &str) -> Result<(Config, BackendChoice), Report> {
    let config = load_backend_config(dir)?;
    let (choice, _) = choose_default_workspace_backend(&config)?;
    Ok((config, choice.in_workspace(workspace)))
}
