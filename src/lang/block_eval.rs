//! Evaluating whole blocks: the table of values that references resolve to,
//! filled in as the graph is walked.
//!
//! The same evaluator serves planning (resource values hold unknowns for what
//! AWS has yet to compute) and applying (values are replaced by real state as
//! each instance completes). Pure: file reads go through the `FileReader`.

use std::collections::BTreeMap;

use super::body::eval_body;
use super::config::{Config, Mode};
use super::eval::{EvalContext, FileReader, Scope, eval};
use crate::addr::InstanceKey;
use crate::diag::{Diagnostic, Diagnostics, FileId};
use crate::provider::schema::Schema;
use crate::value::{Attrs, Value};

/// One instance to be evaluated: its key and the `count` / `each` values
/// its expressions see.
#[derive(Clone, Debug, PartialEq)]
pub struct Instance {
    pub key: InstanceKey,
    /// `count.index`, with `count`.
    pub count_index: Option<Value>,
    /// `each.key` and `each.value`, with `for_each`.
    pub each: Option<(Value, Value)>,
}

impl Instance {
    fn single() -> Instance {
        Instance {
            key: InstanceKey::None,
            count_index: None,
            each: None,
        }
    }

    fn indexed(i: usize) -> Instance {
        Instance {
            key: InstanceKey::Index(i),
            count_index: Some(Value::from(i as i64)),
            each: None,
        }
    }

    fn keyed(key: String, value: Value) -> Instance {
        Instance {
            each: Some((Value::string(key.clone()), value)),
            key: InstanceKey::Key(key),
            count_index: None,
        }
    }
}

pub struct BlockEvaluator<'a> {
    config: &'a Config,
    files: &'a dyn FileReader,
    /// `var`, `local`, `data`, `path` and one entry per resource type.
    roots: BTreeMap<String, Value>,
    instances: BTreeMap<usize, BTreeMap<InstanceKey, Value>>,
}

/// Adds `count` and `each` to the shared roots for one instance.
struct InstanceScope<'s> {
    base: &'s BTreeMap<String, Value>,
    count: Option<Value>,
    each: Option<Value>,
}

impl Scope for InstanceScope<'_> {
    fn lookup(&self, root: &str) -> Option<&Value> {
        match root {
            "count" => self.count.as_ref(),
            "each" => self.each.as_ref(),
            _ => self.base.get(root),
        }
    }
}

impl<'a> BlockEvaluator<'a> {
    pub fn new(
        config: &'a Config,
        files: &'a dyn FileReader,
        variables: BTreeMap<String, Value>,
    ) -> BlockEvaluator<'a> {
        let dir = Value::string(config.dir.display().to_string());
        let mut roots = BTreeMap::new();
        roots.insert("var".to_string(), Value::Map(variables));
        roots.insert("local".to_string(), Value::Map(Attrs::new()));
        roots.insert("data".to_string(), Value::Map(Attrs::new()));
        roots.insert(
            "path".to_string(),
            Value::Map(Attrs::from([
                ("module".to_string(), dir.clone()),
                ("root".to_string(), dir),
                ("cwd".to_string(), Value::string(".")),
            ])),
        );
        // Workspaces are not implemented yet: every stack is in "default".
        roots.insert(
            "terraform".to_string(),
            Value::Map(Attrs::from([(
                "workspace".to_string(),
                Value::string("default"),
            )])),
        );
        BlockEvaluator {
            config,
            files,
            roots,
            instances: BTreeMap::new(),
        }
    }

    fn context<'s>(&'s self, file: FileId, scope: &'s dyn Scope) -> EvalContext<'s> {
        EvalContext {
            file,
            scope,
            files: self.files,
            stack_dir: &self.config.dir,
        }
    }

    fn map_root(&mut self, root: &str) -> &mut Attrs {
        map_at(&mut self.roots, root)
    }

    /// The values evaluated so far, for evaluating other expressions.
    pub fn scope(&self) -> &dyn Scope {
        &self.roots
    }

    pub fn eval_local(&mut self, index: usize) -> Result<(), Diagnostic> {
        let local = &self.config.locals[index];
        let value = eval(
            &local.value.expr,
            &self.context(local.value.file, &self.roots),
        )?;
        self.map_root("local").insert(local.name.clone(), value);
        Ok(())
    }

    pub fn eval_output(&self, index: usize) -> Result<Value, Diagnostic> {
        let output = &self.config.outputs[index];
        eval(
            &output.value.expr,
            &self.context(output.value.file, &self.roots),
        )
    }

    /// The instances a resource block expands to under `count` / `for_each`.
    pub fn expand(&self, index: usize) -> Result<Vec<Instance>, Diagnostic> {
        let resource = &self.config.resources[index];
        if let Some(count) = &resource.count {
            let value = eval(&count.expr, &self.context(count.file, &self.roots))?;
            return match value {
                Value::Unknown => Err(Diagnostic::error("Invalid count argument")
                    .with_detail(
                        "the count value depends on values that are known only after apply",
                    )
                    .with_span(count.span())
                    .with_hint("base count on variables, locals or data sources")),
                other => match other.as_index() {
                    Some(n) => Ok((0..n).map(Instance::indexed).collect()),
                    None => Err(Diagnostic::error("Invalid count argument")
                        .with_detail(format!(
                            "count must be a whole, non-negative number, not {other}"
                        ))
                        .with_span(count.span())),
                },
            };
        }
        if let Some(for_each) = &resource.for_each {
            let value = eval(&for_each.expr, &self.context(for_each.file, &self.roots))?;
            let invalid = |detail: String| {
                Diagnostic::error("Invalid for_each argument")
                    .with_detail(detail)
                    .with_span(for_each.span())
            };
            return match value {
                Value::Map(map) => Ok(map
                    .into_iter()
                    .map(|(k, v)| Instance::keyed(k, v))
                    .collect()),
                Value::List(items) => {
                    let mut keys = Vec::new();
                    for item in items {
                        match item {
                            Value::String(s) => keys.push(s),
                            Value::Unknown => {
                                return Err(invalid(
                                    "the set's elements depend on values known only after apply"
                                        .into(),
                                ));
                            }
                            other => {
                                return Err(invalid(format!(
                                    "for_each takes a map or a set of strings; found an element of type {}",
                                    other.type_name()
                                )));
                            }
                        }
                    }
                    keys.sort();
                    keys.dedup();
                    Ok(keys
                        .into_iter()
                        .map(|k| Instance::keyed(k.clone(), Value::string(k)))
                        .collect())
                }
                Value::Unknown => Err(invalid(
                    "the for_each value depends on values that are known only after apply".into(),
                )),
                other => Err(invalid(format!(
                    "for_each takes a map or a set of strings, not a {}",
                    other.type_name()
                ))),
            };
        }
        Ok(vec![Instance::single()])
    }

    /// For validation: the instances, or when `count` / `for_each` is not
    /// known yet, one placeholder instance whose `count.index` / `each` are
    /// unknown, so its arguments can still be checked.
    pub fn expand_for_validation(&self, index: usize) -> Result<Vec<Instance>, Diagnostic> {
        let resource = &self.config.resources[index];
        let repetition = resource.count.as_ref().or(resource.for_each.as_ref());
        if let Some(expr) = repetition
            && eval(&expr.expr, &self.context(expr.file, &self.roots))? == Value::Unknown
        {
            return Ok(vec![Instance {
                key: InstanceKey::None,
                count_index: resource.count.as_ref().map(|_| Value::Unknown),
                each: resource
                    .for_each
                    .as_ref()
                    .map(|_| (Value::Unknown, Value::Unknown)),
            }]);
        }
        self.expand(index)
    }

    /// Evaluates one instance's arguments against its schema.
    pub fn eval_instance(
        &self,
        index: usize,
        instance: &Instance,
        schema: &Schema,
    ) -> Result<Attrs, Diagnostics> {
        let resource = &self.config.resources[index];
        let scope = InstanceScope {
            base: &self.roots,
            count: instance
                .count_index
                .clone()
                .map(|index| Value::Map(Attrs::from([("index".to_string(), index)]))),
            each: instance.each.clone().map(|(key, value)| {
                Value::Map(Attrs::from([
                    ("key".to_string(), key),
                    ("value".to_string(), value),
                ]))
            }),
        };
        eval_body(&resource.body, schema, &self.context(resource.file, &scope))
    }

    /// Records an instance's value (planned or applied), so references to it
    /// resolve.
    pub fn set_instance(&mut self, index: usize, key: InstanceKey, value: Value) {
        self.instances.entry(index).or_default().insert(key, value);
        self.publish(index);
    }

    /// Forgets an instance (it is being deleted).
    pub fn remove_instance(&mut self, index: usize, key: &InstanceKey) {
        if let Some(instances) = self.instances.get_mut(&index) {
            instances.remove(key);
        }
        self.publish(index);
    }

    /// Marks a resource whose instances cannot be determined as unknown.
    pub fn set_resource_unknown(&mut self, index: usize) {
        let resource = &self.config.resources[index];
        let (type_name, name) = (resource.type_name.clone(), resource.name.clone());
        self.resource_root(resource.mode, &type_name)
            .insert(name, Value::Unknown);
    }

    fn resource_root(&mut self, mode: Mode, type_name: &str) -> &mut Attrs {
        match mode {
            Mode::Managed => self.map_root(type_name),
            Mode::Data => map_at(self.map_root("data"), type_name),
        }
    }

    /// Rebuilds the value references see for one resource from its instances:
    /// an object, a list (`count`) or a map (`for_each`).
    fn publish(&mut self, index: usize) {
        let resource = &self.config.resources[index];
        let instances = self.instances.get(&index).cloned().unwrap_or_default();
        let value = if resource.count.is_some() {
            Value::List(instances.into_values().collect())
        } else if resource.for_each.is_some() {
            Value::Map(
                instances
                    .into_iter()
                    .filter_map(|(k, v)| match k {
                        InstanceKey::Key(k) => Some((k, v)),
                        _ => None,
                    })
                    .collect(),
            )
        } else {
            instances.into_values().next().unwrap_or(Value::Null)
        };
        let (mode, type_name, name) = (
            resource.mode,
            resource.type_name.clone(),
            resource.name.clone(),
        );
        self.resource_root(mode, &type_name).insert(name, value);
    }
}

/// The map stored under `key`, created (or reset) if it is not a map.
fn map_at<'m>(map: &'m mut Attrs, key: &str) -> &'m mut Attrs {
    let entry = map
        .entry(key.to_string())
        .or_insert_with(|| Value::Map(Attrs::new()));
    if !matches!(entry, Value::Map(_)) {
        *entry = Value::Map(Attrs::new());
    }
    match entry {
        Value::Map(inner) => inner,
        _ => unreachable!("ensured to be a map above"),
    }
}
