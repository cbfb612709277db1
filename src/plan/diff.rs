//! The diff rules: the proposed new state of one instance, and which of its
//! attributes differ from the prior state and which of those force
//! replacement.
//!
//! As in Terraform's core: configured values are laid over prior computed
//! values; an attribute the user leaves out takes its default, keeps AWS's
//! value when it is optional-and-computed, or is removed. Comparison goes
//! through the schema, so sets compare as sets and a null equals an empty
//! collection.

use std::collections::BTreeMap;

use crate::provider::schema::{Attribute, Block, Presence, Schema};
use crate::value::{Attrs, Value, canonical_order};

/// The attribute every instance has, besides its schema's.
pub const ID: &str = "id";

/// The proposed new state of an instance. With no prior state (a create or a
/// replacement), computed values are unknown.
pub fn proposed(
    schema: &Schema,
    config: &Attrs,
    prior: Option<&Attrs>,
    default_tags: &BTreeMap<String, String>,
) -> Attrs {
    let mut out = proposed_object(schema, config, prior);
    out.insert(
        ID.to_string(),
        prior.map_or(Value::Unknown, |p| {
            p.get(ID).cloned().unwrap_or(Value::Unknown)
        }),
    );
    if schema.has_tags() {
        out.insert(
            "tags_all".to_string(),
            merge_tags(default_tags, config.get("tags")),
        );
    }
    out
}

fn proposed_object(schema: &Schema, config: &Attrs, prior: Option<&Attrs>) -> Attrs {
    let mut out = Attrs::new();
    let prior_value = |name: &str| {
        prior.map_or(Value::Unknown, |p| {
            p.get(name).cloned().unwrap_or(Value::Null)
        })
    };
    for attr in &schema.attributes {
        let configured = config.get(attr.name).filter(|v| !v.is_null());
        let value = match (attr.presence, configured, &attr.default) {
            (Presence::Computed, _, _) => prior_value(attr.name),
            (_, Some(v), _) => v.clone(),
            (_, None, Some(default)) => default.clone(),
            (Presence::OptionalComputed, None, None) => prior_value(attr.name),
            (_, None, None) => Value::Null,
        };
        out.insert(attr.name.to_string(), value);
    }
    for block in &schema.blocks {
        let value = match config.get(block.name).and_then(Value::as_list) {
            Some(items) => {
                let prior_items = prior
                    .and_then(|p| p.get(block.name))
                    .and_then(Value::as_list)
                    .unwrap_or(&[]);
                let mut unmatched: Vec<&Attrs> =
                    prior_items.iter().filter_map(Value::as_map).collect();
                Value::List(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, item)| {
                            let empty = Attrs::new();
                            let item = item.as_map().unwrap_or(&empty);
                            // Set items have no stable position: one is
                            // matched to the prior item that holds what it
                            // configures, as Terraform correlates them, so
                            // its computed values stay known.
                            let prior_item = if block.is_set {
                                unmatched
                                    .iter()
                                    .position(|prior| configures_same(&block.schema, item, prior))
                                    .map(|at| unmatched.remove(at))
                            } else {
                                prior_items.get(i).and_then(Value::as_map)
                            };
                            Value::Map(proposed_object(&block.schema, item, prior_item).into())
                        })
                        .collect(),
                )
            }
            None if block.computed_when_absent => prior_value(block.name),
            None => Value::List(Vec::new().into()),
        };
        out.insert(block.name.to_string(), value);
    }
    out
}

/// Whether a prior set item holds every value a configured one writes (its
/// arguments left out may have been computed), nested blocks included.
fn configures_same(schema: &Schema, config: &Attrs, prior: &Attrs) -> bool {
    let attributes_match = schema.attributes.iter().all(|attr| {
        let normalized = |value: &Value| match (attr.normalize, value) {
            (Some(normalize), Value::String(text)) => Value::String(normalize(text)),
            _ => value.clone(),
        };
        match config.get(attr.name).filter(|v| !v.is_null()) {
            None => true,
            Some(value) => prior.get(attr.name).map(normalized) == Some(normalized(value)),
        }
    });
    attributes_match
        && schema.blocks.iter().all(|block| {
            let items = |attrs: &Attrs| {
                attrs
                    .get(block.name)
                    .and_then(Value::as_list)
                    .map(<[Value]>::to_vec)
                    .unwrap_or_default()
            };
            let (configured, prior_items) = (items(config), items(prior));
            configured.len() == prior_items.len()
                && configured.iter().zip(&prior_items).all(|(c, p)| {
                    match (c.as_map(), p.as_map()) {
                        (Some(c), Some(p)) => configures_same(&block.schema, c, p),
                        _ => c == p,
                    }
                })
        })
}

/// `tags_all`: the provider's default tags overlaid with the resource's own.
fn merge_tags(default_tags: &BTreeMap<String, String>, tags: Option<&Value>) -> Value {
    let mut merged: Attrs = default_tags
        .iter()
        .map(|(k, v)| (k.clone(), Value::string(v.clone())))
        .collect();
    match tags {
        Some(Value::Unknown) => return Value::Unknown,
        Some(Value::Map(own)) => merged.extend(own.clone()),
        _ => {}
    }
    Value::Map(merged.into())
}

/// Attributes AWS does not report back (settings that live only in the
/// configuration, such as `force_delete` or `timeouts {}`) keep their last
/// known value, as Terraform keeps them in state.
pub fn keep_unreported(read: &mut Attrs, known: &Attrs) {
    for (name, value) in known {
        if !read.contains_key(name) && value.is_wholly_known() {
            read.insert(name.clone(), value.clone());
        }
    }
}

/// The planned arguments of an object adopted after a lost create answer,
/// as a fresh plan against that object would hold them: each computed value
/// the create left to AWS (unknown, so not in `planned`, at any depth) is
/// what AWS made. The update that finishes the create then changes only
/// what the stack wrote.
pub fn settle_computed(schema: &Schema, planned: &Attrs, read: &Attrs) -> Attrs {
    let mut settled = planned.clone();
    for (name, reported) in read {
        if name != ID && !settled.contains_key(name) {
            settled.insert(name.clone(), reported.clone());
        }
    }
    for block in &schema.blocks {
        let mut unmatched: Vec<&Attrs> = read
            .get(block.name)
            .and_then(Value::as_list)
            .map(|items| items.iter().filter_map(Value::as_map).collect())
            .unwrap_or_default();
        let Some(Value::List(items)) = settled.get_mut(block.name) else {
            continue;
        };
        for (i, item) in items.iter_mut().enumerate() {
            let Value::Map(planned_item) = item else {
                continue;
            };
            let counterpart = if block.is_set {
                unmatched
                    .iter()
                    .position(|r| configures_same(&block.schema, planned_item, r))
                    .map(|at| unmatched.remove(at))
            } else {
                unmatched.get(i).copied()
            };
            if let Some(read_item) = counterpart {
                *planned_item = settle_computed(&block.schema, planned_item, read_item).into();
            }
        }
    }
    settled
}

/// Derives `tags` from the `tags_all` AWS reported: every tag except those
/// that only come from the provider's default tags.
pub fn derive_tags(
    attrs: &mut Attrs,
    prior_tags: Option<&Value>,
    default_tags: &BTreeMap<String, String>,
) {
    let Some(Value::Map(all)) = attrs.get("tags_all") else {
        return;
    };
    let own_keys = prior_tags.and_then(Value::as_map);
    let tags: Attrs = all
        .iter()
        .filter(|(k, v)| {
            let from_default = default_tags.get(*k).map(String::as_str) == v.as_str();
            !from_default || own_keys.is_some_and(|own| own.contains_key(*k))
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    attrs.insert("tags".to_string(), Value::Map(tags.into()));
}

/// The outcome of comparing a proposed state with the prior one.
#[derive(Debug, Default, PartialEq)]
pub struct Difference {
    /// Top-level attributes and blocks that differ.
    pub changed: Vec<String>,
    /// Those of `changed` that force replacement.
    pub replace: Vec<String>,
}

pub fn difference(schema: &Schema, proposed: &Attrs, prior: &Attrs) -> Difference {
    let mut diff = Difference::default();
    for attr in &schema.attributes {
        let changed = if attr.name == "tags_all" {
            values_differ(proposed.get(attr.name), prior.get(attr.name), attr)
        } else {
            attribute_differs(attr, proposed, prior)
        };
        if changed {
            diff.changed.push(attr.name.to_string());
            if attr.force_new {
                diff.replace.push(attr.name.to_string());
            }
        }
    }
    for block in &schema.blocks {
        let (new, old) = (proposed.get(block.name), prior.get(block.name));
        if blocks_differ(block, new, old) {
            diff.changed.push(block.name.to_string());
            if block.force_new || (!block.is_set && nested_forces_new(block, new, old)) {
                diff.replace.push(block.name.to_string());
            }
        }
    }
    diff
}

fn attribute_differs(attr: &Attribute, new: &Attrs, old: &Attrs) -> bool {
    if attr.presence == Presence::Computed {
        return false;
    }
    let value = new.get(attr.name);
    if attr.presence == Presence::OptionalComputed && value.is_none_or(Value::is_null) {
        return false;
    }
    values_differ(value, old.get(attr.name), attr)
}

/// Compares two values of one attribute in canonical form: converted to its
/// type (sets sorted, JSON canonical), the attribute's own normaliser applied
/// (DNS names without the trailing dot, protocol numbers as names), and an
/// empty collection equal to null.
fn values_differ(new: Option<&Value>, old: Option<&Value>, attr: &Attribute) -> bool {
    let normalize = |v: Option<&Value>| -> Value {
        let v = v.cloned().unwrap_or(Value::Null);
        let v = attr.ty.convert(v.clone()).unwrap_or(v);
        match (attr.normalize, v) {
            (Some(normalize), Value::String(s)) => Value::String(normalize(&s)),
            (_, Value::List(items)) if items.is_empty() => Value::Null,
            (_, Value::Map(map)) if map.is_empty() => Value::Null,
            (_, other) => other,
        }
    };
    let (new, old) = (normalize(new), normalize(old));
    !new.is_wholly_known() || new != old
}

fn block_items(value: Option<&Value>) -> Vec<&Attrs> {
    value
        .and_then(Value::as_list)
        .map(|items| items.iter().filter_map(Value::as_map).collect())
        .unwrap_or_default()
}

fn blocks_differ(block: &Block, new: Option<&Value>, old: Option<&Value>) -> bool {
    if matches!(new, Some(Value::Unknown)) {
        return old.is_some_and(|o| !o.is_null()) || block.computed_when_absent;
    }
    let (new_items, old_items) = (block_items(new), block_items(old));
    if new_items.len() != old_items.len() {
        return true;
    }
    let differ = |a: &Attrs, b: &Attrs| !difference(&block.schema, a, b).changed.is_empty();
    if block.is_set {
        let mut unmatched: Vec<&Attrs> = old_items.clone();
        let mut sorted = new_items.clone();
        sorted.sort_by(|a, b| {
            canonical_order(
                &Value::Map(((*a).clone()).into()),
                &Value::Map(((*b).clone()).into()),
            )
        });
        for item in sorted {
            match unmatched.iter().position(|o| !differ(item, o)) {
                Some(at) => {
                    unmatched.remove(at);
                }
                None => return true,
            }
        }
        false
    } else {
        new_items.iter().zip(&old_items).any(|(a, b)| differ(a, b))
    }
}

/// Whether a changed list block changed in a nested attribute that forces
/// replacement.
fn nested_forces_new(block: &Block, new: Option<&Value>, old: Option<&Value>) -> bool {
    let (new_items, old_items) = (block_items(new), block_items(old));
    if new_items.len() != old_items.len() {
        return block.schema.attributes.iter().any(|a| a.force_new);
    }
    new_items
        .iter()
        .zip(&old_items)
        .any(|(a, b)| !difference(&block.schema, a, b).replace.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::schema::Type;
    use crate::value::attrs;

    #[test]
    fn an_adopted_objects_computed_values_are_settled_at_every_depth() {
        let root = Schema::new(
            vec![
                Attribute::optional_computed("volume_size", Type::Number),
                Attribute::optional_computed("volume_type", Type::String),
            ],
            vec![],
        );
        let schema = Schema::new(
            vec![Attribute::computed("arn", Type::String)],
            vec![Block::single("root", root)],
        );
        let planned = attrs([(
            "root",
            Value::List(vec![Value::Map(attrs([("volume_size", Value::from(20))]).into())].into()),
        )]);
        let read = attrs([
            ("arn", Value::string("arn:1")),
            (
                "root",
                Value::List(
                    vec![Value::Map(
                        attrs([
                            ("volume_size", Value::from(8)),
                            ("volume_type", Value::string("gp3")),
                        ])
                        .into(),
                    )]
                    .into(),
                ),
            ),
        ]);
        let settled = settle_computed(&schema, &planned, &read);
        assert_eq!(settled["arn"], Value::string("arn:1"));
        let root = settled["root"].as_list().expect("root")[0]
            .as_map()
            .expect("map");
        assert_eq!(root["volume_type"], Value::string("gp3"));
        assert_eq!(
            root["volume_size"],
            Value::from(20),
            "what the stack wrote stays"
        );
    }

    #[test]
    fn a_set_item_keeps_the_computed_values_of_the_prior_item_it_matches() {
        let device = Schema::new(
            vec![
                Attribute::required("device_name", Type::String),
                Attribute::optional_computed("volume_size", Type::Number),
            ],
            vec![],
        );
        let schema = Schema::new(vec![], vec![Block::set("ebs", device)]);
        let item = |name: &str, size: Option<i64>| {
            let mut item = attrs([("device_name", Value::string(name))]);
            item.insert("volume_size".into(), size.map_or(Value::Null, Value::from));
            Value::Map(item.into())
        };
        let prior = attrs([(
            "ebs",
            Value::List(vec![item("/dev/sdb", Some(8)), item("/dev/sdc", Some(20))].into()),
        )]);
        let config = attrs([(
            "ebs",
            Value::List(vec![item("/dev/sdc", None), item("/dev/sdd", None)].into()),
        )]);
        let proposed = proposed_object(&schema, &config, Some(&prior));
        let items = proposed["ebs"].as_list().expect("items");
        assert_eq!(
            items[0].as_map().expect("map")["volume_size"],
            Value::from(20)
        );
        assert_eq!(
            items[1].as_map().expect("map")["volume_size"],
            Value::Unknown,
            "a new item's computed values are unknown"
        );
    }
}
