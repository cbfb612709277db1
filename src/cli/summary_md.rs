//! `terrane plan --summary-md FILE`: the plan as Markdown for a pull
//! request comment. Counts come first, then what a reviewer must not miss
//! (replacements and deletions), then a table of every change, then drift,
//! then the policy findings. Only attribute names appear, never values, so
//! nothing sensitive reaches the comment.

use std::fmt::Write as _;

use crate::plan::{Action, Plan, ResourceChange};
use crate::policy::{Finding, Severity};

/// The Markdown summary of `plan` for the stack named `stack`.
pub fn render(plan: &Plan, findings: &[Finding], stack: &str) -> String {
    let mut md = String::new();
    let (add, change, destroy) = plan.summary();
    let replaced = count(plan, |a| a.replaces());
    let _ = writeln!(md, "## terrane plan: `{}`\n", code(stack));
    if plan.has_changes() {
        let _ = write!(
            md,
            "**{add} to add, {change} to change, {destroy} to destroy**"
        );
        if replaced > 0 {
            let _ = write!(md, " ({replaced} of them replaced)");
        }
        md.push_str("\n\n");
    } else {
        md.push_str("**No changes.** The infrastructure matches the configuration.\n\n");
    }
    let failing = findings
        .iter()
        .filter(|f| f.waived.is_none() && f.severity == Severity::Error)
        .count();
    if failing > 0 {
        let _ = writeln!(
            md,
            "**{failing} policy error(s)**: see [Policy](#policy).\n"
        );
    }

    let risky: Vec<&ResourceChange> = plan
        .resource_changes
        .iter()
        .filter(|c| c.action.deletes())
        .collect();
    if !risky.is_empty() {
        md.push_str("> [!WARNING]\n> **Replaced or destroyed** (review these first):\n");
        for change in &risky {
            let what = if change.action.replaces() {
                let why = if change.requested {
                    " (as requested)".to_string()
                } else if change.replace_paths.is_empty() {
                    String::new()
                } else {
                    format!(" (forced by {})", names(&change.replace_paths))
                };
                format!("replaced{why}")
            } else {
                "destroyed".to_string()
            };
            let _ = writeln!(
                md,
                "> - `{}` `{}` {what}",
                change.action.symbol(),
                code(&change.address)
            );
        }
        md.push('\n');
    }

    let changes: Vec<&ResourceChange> = plan
        .resource_changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .collect();
    if !changes.is_empty() {
        md.push_str("### Changes\n\n| | Action | Resource | Attributes |\n|---|---|---|---|\n");
        for change in changes {
            let _ = writeln!(
                md,
                "| `{}` | {} | `{}` | {} |",
                change.action.symbol(),
                action_name(change.action),
                code(&change.address),
                names(&change.changed)
            );
        }
        md.push('\n');
    }
    let state_only: Vec<String> = plan
        .moved
        .iter()
        .map(|(from, to)| format!("`{}` moved to `{}`", code(from), code(to)))
        .chain(
            plan.imported
                .iter()
                .map(|a| format!("`{}` imported", code(a))),
        )
        .chain(
            plan.forgotten
                .iter()
                .map(|a| format!("`{}` removed from state, not destroyed", code(a))),
        )
        .collect();
    if !state_only.is_empty() {
        md.push_str("### State only\n\n");
        for line in state_only {
            let _ = writeln!(md, "- {line}");
        }
        md.push('\n');
    }

    if !plan.drift.is_empty() {
        md.push_str(
            "### Drift\n\nChanged outside terrane since the last apply:\n\n| Resource | Change | Attributes |\n|---|---|---|\n",
        );
        for drifted in &plan.drift {
            let change = if drifted.action == Action::Delete {
                "deleted"
            } else {
                "changed"
            };
            let _ = writeln!(
                md,
                "| `{}` | {change} | {} |",
                code(&drifted.address),
                names(&drifted.changed)
            );
        }
        md.push('\n');
    }

    if !findings.is_empty() {
        md.push_str(
            "### Policy\n\n| Severity | Rule | Resource | Finding | Fix |\n|---|---|---|---|---|\n",
        );
        for finding in findings {
            let severity = match &finding.waived {
                Some(reason) => format!("waived: {}", cell(reason)),
                None => finding.severity.as_str().to_string(),
            };
            let _ = writeln!(
                md,
                "| {severity} | {} | `{}` | {} | {} |",
                finding.rule,
                code(&finding.address),
                cell(&finding.message),
                cell(finding.fix)
            );
        }
        md.push('\n');
    }
    md
}

fn count(plan: &Plan, which: impl Fn(Action) -> bool) -> usize {
    plan.resource_changes
        .iter()
        .filter(|c| which(c.action))
        .count()
}

fn action_name(action: Action) -> &'static str {
    match action {
        Action::NoOp => "no-op",
        Action::Create => "create",
        Action::Update => "update",
        Action::DeleteThenCreate => "replace (destroy first)",
        Action::CreateThenDelete => "replace (create first)",
        Action::Delete => "destroy",
        Action::Read => "read during apply",
    }
}

/// Attribute names as code, comma-separated, for a table cell.
fn names(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{}`", code(n)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Text for inside a code span in a table: a backtick would end the span
/// and a pipe the cell.
fn code(text: &str) -> String {
    text.replace('`', "'").replace('|', "\\|")
}

/// Plain text for a table cell: one line, pipes escaped.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}
