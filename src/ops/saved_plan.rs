//! Saved plans and the machine-readable plan: writing a plan file after
//! `plan --out`, reading one for `show` and `apply FILE`, and the checks
//! that refuse a plan made against other files, variables or state. The
//! format itself is `crate::plan::file`; the JSON shape `crate::plan::json`.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value as Json;

use super::plan::Planned;
use super::{DiskFiles, Report, Stack};
use crate::diag::Diagnostic;
use crate::plan::file::{self, PlanFile, Provenance, SavedVariable};
use crate::plan::json::{self, PlanJson};
use crate::state::State;
use crate::value::Value;

fn now() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

/// The plan as `plan --json` prints it.
pub(super) fn plan_json(stack: &Stack, planned: &Planned) -> Json {
    json::render(&PlanJson {
        plan: &planned.plan,
        config: &stack.config,
        prior: &planned.state,
        variables: &stack.variables,
        files: &DiskFiles,
        timestamp: planned
            .plan
            .timestamp
            .map_or_else(now, crate::lang::functions::rfc3339_utc),
    })
}

/// A fresh salt for a new plan file's digests.
pub(super) fn new_salt() -> Result<String, Report> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| {
        Report::error(Diagnostic::error(format!(
            "Cannot draw random bytes for the plan file: {e}"
        )))
    })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The plan file for a plan, its sensitive values digested with `salt`.
pub(super) fn plan_file(stack: &Stack, planned: &Planned, salt: String) -> PlanFile {
    let variables: BTreeMap<String, (Value, bool)> = stack
        .variables
        .iter()
        .map(|(name, value)| {
            let sensitive = stack.config.variable(name).is_some_and(|v| v.sensitive);
            (name.clone(), (value.clone(), sensitive))
        })
        .collect();
    PlanFile::new(
        &planned.plan,
        Provenance {
            stack_dir: stack.config.dir.display().to_string(),
            workspace: stack.config.workspace.clone(),
            stack_digest: stack_digest(stack),
            variables: &variables,
            created_at: now(),
            salt,
            targeting: planned.targeting.clone(),
            json: plan_json(stack, planned),
        },
    )
}

/// The digest of the stack's `.tf` files, its modules' included, by path
/// relative to the stack directory.
fn stack_digest(stack: &Stack) -> String {
    let dir = &stack.config.dir;
    let files: Vec<(String, String)> = stack
        .config
        .sources
        .iter()
        .map(|(_, file)| file)
        .filter(|file| file.path.extension().is_some_and(|e| e == "tf"))
        .map(|file| {
            let relative = file.path.strip_prefix(dir).unwrap_or(&file.path);
            (relative.display().to_string(), file.text.clone())
        })
        .collect();
    file::stack_digest(&files)
}

pub(super) fn write(path: &Path, file: &PlanFile) -> Result<(), Report> {
    std::fs::write(path, file.to_bytes()).map_err(|e| {
        Report::error(Diagnostic::error(format!(
            "Cannot write the plan file {}: {e}",
            path.display()
        )))
    })
}

/// Reads a plan file (`show FILE`, `apply FILE`).
pub fn read(path: &Path) -> Result<PlanFile, Report> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| {
        Report::error(Diagnostic::error(format!(
            "Cannot read the plan file {shown}: {e}"
        )))
    })?;
    PlanFile::from_bytes(&shown, &bytes).map_err(|e| {
        Report::error(
            Diagnostic::error(super::capitalize(&e.to_string()))
                .with_hint("make a new plan with `terrane plan --out FILE`"),
        )
    })
}

/// The non-sensitive variable values a plan file recorded, to load the
/// stack with.
pub(super) fn saved_variables(file: &PlanFile) -> BTreeMap<String, Value> {
    file.variables
        .iter()
        .filter_map(|(name, saved)| match saved {
            SavedVariable::Value(json) => Some((name.clone(), Value::from_json(json))),
            SavedVariable::SensitiveDigest(_) => None,
        })
        .collect()
}

/// A saved plan keeps no sensitive variable's value: when one is missing at
/// apply, say so.
pub(super) fn explain_missing_sensitive(mut report: Report) -> Report {
    for diag in &mut report.diags.0 {
        if diag.summary.starts_with("No value for required variable") {
            diag.detail = Some(
                "a saved plan keeps only a digest of a sensitive variable: give the same value again when applying it"
                    .into(),
            );
        }
    }
    report
}

fn stale(summary: String, detail: impl Into<String>) -> Report {
    Report::error(
        Diagnostic::error(summary)
            .with_detail(detail)
            .with_hint("make a new plan with `terrane plan --out FILE`, review it, and apply that"),
    )
}

/// Refuses a plan made from other stack files, another workspace, or other
/// variable values. Runs before anything is read from AWS.
pub(super) fn check_stack(file: &PlanFile, stack: &Stack) -> Result<(), Report> {
    if file.workspace != stack.config.workspace {
        return Err(stale(
            format!(
                "The plan was made for workspace {:?}, not {:?}",
                file.workspace, stack.config.workspace
            ),
            "nothing was changed",
        ));
    }
    if file.stack_digest != stack_digest(stack) {
        return Err(stale(
            "The stack's files have changed since the plan was made".into(),
            "the plan no longer describes these files; nothing was changed",
        ));
    }
    for (name, saved) in &file.variables {
        let now = stack.variables.get(name);
        let same = match (saved, now) {
            (SavedVariable::Value(json), Some(now)) => Value::from_json(json) == *now,
            (SavedVariable::SensitiveDigest(digest), Some(now)) => {
                *digest == file::digest(&file.salt, now)
            }
            (_, None) => false,
        };
        if !same {
            let detail = match saved {
                SavedVariable::SensitiveDigest(_) => format!(
                    "var.{name} is sensitive, so the plan keeps only a digest of it: give the same value again (TF_VAR_{name}, a .tfvars file or --var) when applying; nothing was changed"
                ),
                SavedVariable::Value(_) => format!(
                    "var.{name} was given a different value now; the plan keeps the values it was made with, so give none or the same; nothing was changed"
                ),
            };
            return Err(stale(
                format!("The value of var.{name} differs from the plan's"),
                detail,
            ));
        }
    }
    Ok(())
}

/// Refuses a plan made against another state: another lineage, or an
/// older serial (something was applied since). Runs before anything is
/// read from AWS.
pub(super) fn check_state(file: &PlanFile, state: &State) -> Result<(), Report> {
    if file.state_lineage != state.lineage && !(file.state_serial == 0 && state.serial == 0) {
        return Err(stale(
            "The plan was made against a different state".into(),
            format!(
                "its state lineage is {}, the backend's is {}; nothing was changed",
                file.state_lineage, state.lineage
            ),
        ));
    }
    if file.state_serial != state.serial {
        return Err(stale(
            "The plan is stale: the state has changed since it was made".into(),
            format!(
                "it was made at state serial {}, and the state is now at serial {}; nothing was changed",
                file.state_serial, state.serial
            ),
        ));
    }
    Ok(())
}

/// Refuses to carry out a plan that, made again now, would do something
/// else (AWS changed in between). AWS has been read, not changed.
pub(super) fn check_same_plan(
    file: &PlanFile,
    stack: &Stack,
    planned: &Planned,
) -> Result<(), Report> {
    let fresh = plan_file(stack, planned, file.salt.clone());
    let differences = file.differences(&fresh);
    if differences.is_empty() {
        return Ok(());
    }
    Err(stale(
        "The infrastructure has changed since the plan was made".into(),
        format!(
            "made again now, the plan would differ: {}; nothing was changed",
            differences.join("; ")
        ),
    ))
}
