//! Showing a plan the way Terraform does: one block per changing instance
//! with `+`, `~`, `-/+` or `-`, `# forces replacement` on the attributes that
//! force it, and the closing `Plan: X to add, Y to change, Z to destroy.`

use std::fmt::Write;

use crate::plan::{Action, Plan, ResourceChange};
use crate::provider;
use crate::value::{Attrs, Value};

pub fn render(plan: &Plan) -> String {
    let mut out = String::new();
    if !plan.has_changes() {
        out.push_str("No changes. Your infrastructure matches the configuration.\n");
        return out;
    }
    out.push_str("terrane will perform the following actions:\n\n");
    for change in plan
        .resource_changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
    {
        render_change(&mut out, change);
    }
    let (add, change, destroy) = plan.summary();
    let _ = writeln!(
        out,
        "Plan: {add} to add, {change} to change, {destroy} to destroy."
    );
    out
}

fn render_change(out: &mut String, change: &ResourceChange) {
    let what = match change.action {
        Action::Create => "will be created",
        Action::Update => "will be updated in-place",
        Action::DeleteThenCreate => "must be replaced",
        Action::Delete => "will be destroyed",
        Action::NoOp => return,
    };
    let _ = writeln!(out, "  # {} {what}", change.address);
    let symbol = change.action.symbol();
    let _ = writeln!(
        out,
        "{symbol:>3} resource \"{}\" \"{}\" {{",
        change.type_name, change.addr.name
    );
    let sensitive = |name: &str| {
        provider::resource_type(&change.type_name)
            .and_then(|t| t.schema().attribute(name))
            .is_some_and(|a| a.sensitive)
    };
    let show = |v: &Value, name: &str| {
        if sensitive(name) {
            "(sensitive value)".to_string()
        } else {
            v.to_string()
        }
    };
    let empty = Attrs::new();
    let before = change.before.as_ref().unwrap_or(&empty);
    let after = change.after.as_ref().unwrap_or(&empty);
    let mut lines: Vec<(String, String, String)> = Vec::new(); // (symbol, name, text)
    match change.action {
        Action::Create => {
            for (name, value) in after.iter().filter(|(_, v)| !is_empty(v)) {
                lines.push(("+".into(), name.clone(), show(value, name)));
            }
        }
        Action::Delete => {
            for (name, value) in before.iter().filter(|(_, v)| !is_empty(v)) {
                lines.push((
                    "-".into(),
                    name.clone(),
                    format!("{} -> null", show(value, name)),
                ));
            }
        }
        Action::Update | Action::DeleteThenCreate => {
            if let Some(id) = before.get("id") {
                let after_id = after.get("id").unwrap_or(&Value::Null);
                if after_id == id {
                    lines.push((" ".into(), "id".into(), id.to_string()));
                } else {
                    lines.push(("~".into(), "id".into(), format!("{id} -> {after_id}")));
                }
            }
            for name in &change.changed {
                let old = before.get(name).unwrap_or(&Value::Null);
                let new = after.get(name).unwrap_or(&Value::Null);
                let mut text = format!("{} -> {}", show(old, name), show(new, name));
                if change.replace_paths.contains(name) {
                    text.push_str(" # forces replacement");
                }
                lines.push(("~".into(), name.clone(), text));
            }
        }
        Action::NoOp => {}
    }
    let width = lines
        .iter()
        .map(|(_, name, _)| name.len())
        .max()
        .unwrap_or(0);
    for (symbol, name, text) in &lines {
        let _ = writeln!(out, "      {symbol} {name:<width$} = {text}");
    }
    if matches!(change.action, Action::Update | Action::DeleteThenCreate) {
        let hidden = after
            .iter()
            .filter(|(k, v)| *k != "id" && !change.changed.contains(k) && !is_empty(v))
            .count();
        if hidden > 0 {
            let _ = writeln!(out, "        # ({hidden} unchanged attributes hidden)");
        }
    }
    out.push_str("    }\n\n");
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::List(items) => items.is_empty(),
        Value::Map(map) => map.is_empty(),
        _ => false,
    }
}
