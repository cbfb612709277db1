//! Showing a plan the way Terraform does: one block per changing instance
//! with `+`, `~`, `-/+` or `-`; maps and nested blocks shown element by
//! element, so an edited tag or rule reads as exactly that change;
//! `# forces replacement` on the attributes that force it; `<= data` for a
//! data source read during apply; and the closing
//! `Plan: X to add, Y to change, Z to destroy.`

use std::fmt::Write;

use crate::plan::{Action, Plan, PlanMode, ReadReason, ResourceChange};
use crate::provider::{self, schema::Schema};
use crate::value::{Attrs, Value};

pub fn render(plan: &Plan) -> String {
    let mut out = String::new();
    render_drift(&mut out, plan);
    if !plan.has_changes() {
        out.push_str("No changes. Your infrastructure matches the configuration.\n");
        return out;
    }
    let only_outputs = plan.outputs_changed
        && !plan.changes_objects()
        && plan.moved.is_empty()
        && plan.forgotten.is_empty()
        && plan.imported.is_empty();
    if only_outputs && plan.mode != PlanMode::RefreshOnly {
        out.push_str(
            "Only output values change: applying this plan saves them in state, \
             without changing any object in AWS.\n",
        );
        return out;
    }
    if plan.mode == PlanMode::RefreshOnly {
        out.push_str(
            "This is a refresh-only plan: applying it records the changes above in state, \
             without changing any object in AWS.\n\n",
        );
    } else {
        out.push_str("terrane will perform the following actions:\n\n");
    }
    for (from, to) in &plan.moved {
        let _ = writeln!(out, "  # {from} has moved to {to}\n");
    }
    for address in &plan.imported {
        let _ = writeln!(out, "  # {address} will be imported\n");
    }
    for address in &plan.forgotten {
        let _ = writeln!(
            out,
            "  # {address} will no longer be managed by terrane (removed block: it is forgotten, not destroyed)\n"
        );
    }
    for change in plan
        .resource_changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
    {
        render_change(&mut out, change, None);
    }
    if plan.mode == PlanMode::RefreshOnly {
        return out;
    }
    let (add, change, destroy) = plan.summary();
    let imports = match plan.imported.len() {
        0 => String::new(),
        n => format!("{n} to import, "),
    };
    let _ = writeln!(
        out,
        "Plan: {imports}{add} to add, {change} to change, {destroy} to destroy."
    );
    out
}

/// Whether a line adds, removes, changes or just shows a value.
#[derive(Clone, Copy, PartialEq)]
enum Mark {
    Add,
    Remove,
    Change,
    Same,
}

impl Mark {
    fn symbol(self) -> char {
        match self {
            Mark::Add => '+',
            Mark::Remove => '-',
            Mark::Change => '~',
            Mark::Same => ' ',
        }
    }
}

/// Writes one resource's lines at a given indentation.
struct Writer<'a> {
    out: &'a mut String,
    schema: Option<&'static Schema>,
    /// Attributes at this level whose values are sensitive.
    sensitive: &'a [String],
}

/// "Objects have changed outside of terrane": each changed object with
/// what changed, each deleted one as deleted, before the plan.
fn render_drift(out: &mut String, plan: &Plan) {
    if plan.drift.is_empty() {
        return;
    }
    out.push_str(
        "Note: Objects have changed outside of terrane\n\n\
         terrane detected the following changes made outside of terrane since the last apply:\n\n",
    );
    for change in &plan.drift {
        let what = match change.action {
            Action::Delete => "has been deleted",
            _ => "has changed",
        };
        render_change(out, change, Some(what));
    }
    if plan.mode != PlanMode::RefreshOnly {
        out.push_str(
            "Unless you have made equivalent changes to your configuration, the actions below \
             undo or respond to these changes.\n\n",
        );
    }
}

/// One instance's block; `drift` names what happened outside terrane
/// instead of what the plan does.
fn render_change(out: &mut String, change: &ResourceChange, drift: Option<&str>) {
    if change.action == Action::Read {
        return render_read(out, change);
    }
    let planned = match change.action {
        Action::Create => "will be created",
        Action::Update => "will be updated in-place",
        _ if change.deposed => "(deposed object) will be destroyed",
        action if action.replaces() && change.requested => "will be replaced, as requested",
        Action::DeleteThenCreate | Action::CreateThenDelete => "must be replaced",
        Action::Delete => "will be destroyed",
        Action::NoOp | Action::Read => return,
    };
    let what = drift.unwrap_or(planned);
    let _ = writeln!(out, "  # {} {what}", change.address);
    let _ = writeln!(
        out,
        "{:>3} resource \"{}\" \"{}\" {{",
        change.action.symbol(),
        change.type_name,
        change.addr.name
    );
    let schema = provider::resource_type(&change.type_name).map(|t| t.schema());
    let empty = Attrs::new();
    let before = change.before.as_ref().unwrap_or(&empty);
    let after = change.after.as_ref().unwrap_or(&empty);
    let mut writer = Writer {
        out,
        schema,
        sensitive: &change.sensitive,
    };
    match change.action {
        Action::Create => writer.object(6, Mark::Add, &empty, after),
        Action::Delete => writer.object(6, Mark::Remove, before, &empty),
        _ => {
            let shown: Vec<&str> = std::iter::once("id")
                .chain(change.changed.iter().map(String::as_str))
                .collect();
            writer.changed_object(6, before, after, &shown, &change.replace_paths);
            let hidden = after
                .iter()
                .filter(|(k, v)| !shown.contains(&k.as_str()) && !is_empty(v))
                .count();
            if hidden > 0 {
                let _ = writeln!(
                    writer.out,
                    "        # ({hidden} unchanged attributes hidden)"
                );
            }
        }
    }
    out.push_str("    }\n\n");
}

/// A data source read during apply, as Terraform shows it: `<= data`, why
/// it waits, and its arguments with what it will read `(known after apply)`.
fn render_read(out: &mut String, change: &ResourceChange) {
    let why = match change.read_reason {
        Some(ReadReason::ConfigUnknown) => "config refers to values not yet known",
        _ => "depends on a resource or a module with changes pending",
    };
    let _ = writeln!(out, "  # {} will be read during apply", change.address);
    let _ = writeln!(out, "  # ({why})");
    let type_name = change.type_name.trim_start_matches("data.");
    let _ = writeln!(out, " <= data \"{type_name}\" \"{}\" {{", change.addr.name);
    let empty = Attrs::new();
    let mut writer = Writer {
        out,
        schema: provider::data_source_type(type_name).map(|t| t.schema()),
        sensitive: &change.sensitive,
    };
    writer.object(
        6,
        Mark::Add,
        &empty,
        change.after.as_ref().unwrap_or(&empty),
    );
    out.push_str("    }\n\n");
}

impl Writer<'_> {
    fn sensitive(&self, name: &str) -> bool {
        self.sensitive.iter().any(|s| s == name)
            || self
                .schema
                .and_then(|s| s.attribute(name))
                .is_some_and(|a| a.sensitive)
    }

    fn nested_schema(&self, name: &str) -> Option<&'static Schema> {
        self.schema.and_then(|s| s.block(name)).map(|b| &b.schema)
    }

    fn show(&self, name: &str, value: &Value) -> String {
        if self.sensitive(name) {
            "(sensitive value)".into()
        } else {
            value.to_string()
        }
    }

    /// Every non-empty attribute of an object being added or removed.
    fn object(&mut self, indent: usize, mark: Mark, before: &Attrs, after: &Attrs) {
        let source = if mark == Mark::Remove { before } else { after };
        // Attributes first, then nested blocks, as Terraform lists them.
        let (mut names, blocks): (Vec<&String>, Vec<&String>) = source
            .keys()
            .filter(|k| !is_empty(&source[*k]))
            .partition(|k| !self.is_block(k, &source[*k]));
        names.extend(blocks);
        let width = self.width(source, names.iter().map(|s| s.as_str()));
        for name in names {
            let value = &source[name];
            self.attribute(indent, mark, name, value, value, width, false);
        }
    }

    /// The listed attributes of an object that changes in place.
    fn changed_object(
        &mut self,
        indent: usize,
        before: &Attrs,
        after: &Attrs,
        names: &[&str],
        replace: &[String],
    ) {
        let width = self.width(after, names.iter().copied());
        for name in names {
            let (old, new) = (
                before.get(*name).unwrap_or(&Value::Null),
                after.get(*name).unwrap_or(&Value::Null),
            );
            let mark = if old == new { Mark::Same } else { Mark::Change };
            let forces = replace.iter().any(|r| r == name);
            self.attribute(indent, mark, name, old, new, width, forces);
        }
    }

    /// Whether a value is shown as nested blocks (an unknown block is shown
    /// on one line, like any value).
    fn is_block(&self, name: &str, value: &Value) -> bool {
        self.nested_schema(name).is_some() && !matches!(value, Value::Unknown)
    }

    /// The width names are padded to, so `=` signs line up; maps and
    /// blocks, which take several lines, don't count.
    fn width<'n>(&self, values: &Attrs, names: impl Iterator<Item = &'n str>) -> usize {
        names
            .filter(|n| {
                let value = values.get(*n).unwrap_or(&Value::Null);
                !self.is_block(n, value) && !matches!(value, Value::Map(_))
            })
            .map(str::len)
            .max()
            .unwrap_or(0)
    }

    #[allow(clippy::too_many_arguments)]
    fn attribute(
        &mut self,
        indent: usize,
        mark: Mark,
        name: &str,
        old: &Value,
        new: &Value,
        width: usize,
        forces: bool,
    ) {
        let pad = " ".repeat(indent);
        let note = if forces { " # forces replacement" } else { "" };
        if let Some(schema) = self
            .nested_schema(name)
            .filter(|_| self.is_block(name, new) && !self.sensitive(name))
        {
            let mut nested = Writer {
                out: self.out,
                schema: Some(schema),
                sensitive: &[],
            };
            nested.blocks(indent, mark, name, old, new, note);
            return;
        }
        match (mark, old, new) {
            (_, Value::Map(_), _) | (_, _, Value::Map(_)) if !self.sensitive(name) => {
                let _ = writeln!(self.out, "{pad}{} {name} = {{{note}", mark.symbol());
                self.map_entries(indent + 4, mark, old, new);
                let _ = writeln!(self.out, "{pad}  }}");
            }
            (Mark::Add | Mark::Same, _, value) => {
                let _ = writeln!(
                    self.out,
                    "{pad}{} {name:<width$} = {}{note}",
                    mark.symbol(),
                    self.show(name, value)
                );
            }
            (Mark::Remove, value, _) => {
                let _ = writeln!(
                    self.out,
                    "{pad}{} {name:<width$} = {} -> null{note}",
                    mark.symbol(),
                    self.show(name, value)
                );
            }
            (Mark::Change, old, new) => {
                let _ = writeln!(
                    self.out,
                    "{pad}{} {name:<width$} = {} -> {}{note}",
                    mark.symbol(),
                    self.show(name, old),
                    self.show(name, new)
                );
            }
        }
    }

    /// A map's entries: added, removed and changed keys, unchanged ones counted.
    fn map_entries(&mut self, indent: usize, mark: Mark, old: &Value, new: &Value) {
        let pad = " ".repeat(indent);
        let empty = Attrs::new();
        let (old, new) = (
            old.as_map().unwrap_or(&empty),
            new.as_map().unwrap_or(&empty),
        );
        if matches!(mark, Mark::Change) && (old.is_empty() && new.is_empty()) {
            return;
        }
        let keys: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
        let width = keys.iter().map(|k| k.len() + 2).max().unwrap_or(0);
        let mut unchanged = 0;
        for key in keys {
            let quoted = format!("{:?}", key.as_str());
            match (mark, old.get(key), new.get(key)) {
                (Mark::Add, _, Some(v)) => {
                    let _ = writeln!(self.out, "{pad}+ {quoted:<width$} = {v}");
                }
                (Mark::Remove, Some(v), _) => {
                    let _ = writeln!(self.out, "{pad}- {quoted:<width$} = {v} -> null");
                }
                (_, Some(a), Some(b)) if a == b => unchanged += 1,
                (_, Some(a), Some(b)) => {
                    let _ = writeln!(self.out, "{pad}~ {quoted:<width$} = {a} -> {b}");
                }
                (_, None, Some(b)) => {
                    let _ = writeln!(self.out, "{pad}+ {quoted:<width$} = {b}");
                }
                (_, Some(a), None) => {
                    let _ = writeln!(self.out, "{pad}- {quoted:<width$} = {a} -> null");
                }
                (_, None, None) => {}
            }
        }
        if unchanged > 0 {
            let noun = if unchanged == 1 {
                "element"
            } else {
                "elements"
            };
            let _ = writeln!(self.out, "{pad}  # ({unchanged} unchanged {noun} hidden)");
        }
    }

    /// Nested blocks: added and removed ones in full; for a changed list
    /// block, items compared by position.
    fn blocks(
        &mut self,
        indent: usize,
        mark: Mark,
        name: &str,
        old: &Value,
        new: &Value,
        note: &str,
    ) {
        let items = |v: &Value| -> Vec<Attrs> {
            v.as_list()
                .map(|l| l.iter().filter_map(Value::as_map).cloned().collect())
                .unwrap_or_default()
        };
        let (old_items, new_items) = (items(old), items(new));
        let empty = Attrs::new();
        match mark {
            Mark::Add | Mark::Same => {
                for item in &new_items {
                    self.block(indent, Mark::Add, name, &empty, item, note);
                }
            }
            Mark::Remove => {
                for item in &old_items {
                    self.block(indent, Mark::Remove, name, item, &empty, note);
                }
            }
            Mark::Change => {
                let removed: Vec<&Attrs> = old_items
                    .iter()
                    .filter(|i| !new_items.contains(i))
                    .collect();
                let added: Vec<&Attrs> = new_items
                    .iter()
                    .filter(|i| !old_items.contains(i))
                    .collect();
                if removed.len() == 1 && added.len() == 1 {
                    self.block(indent, Mark::Change, name, removed[0], added[0], note);
                } else {
                    for item in removed {
                        self.block(indent, Mark::Remove, name, item, &empty, note);
                    }
                    for item in added {
                        self.block(indent, Mark::Add, name, &empty, item, note);
                    }
                }
            }
        }
    }

    fn block(
        &mut self,
        indent: usize,
        mark: Mark,
        name: &str,
        old: &Attrs,
        new: &Attrs,
        note: &str,
    ) {
        let pad = " ".repeat(indent);
        let _ = writeln!(self.out, "{pad}{} {name} {{{note}", mark.symbol());
        match mark {
            Mark::Change => {
                let names: Vec<&str> = old
                    .keys()
                    .chain(new.keys())
                    .map(String::as_str)
                    .filter(|k| {
                        old.get(*k).unwrap_or(&Value::Null) != new.get(*k).unwrap_or(&Value::Null)
                    })
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect();
                self.changed_object(indent + 4, old, new, &names, &[]);
            }
            _ => self.object(indent + 4, mark, old, new),
        }
        let _ = writeln!(self.out, "{pad}  }}");
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::List(items) => items.is_empty(),
        Value::Map(map) => map.is_empty(),
        _ => false,
    }
}
