//! Evaluating whole blocks: the table of values that references resolve to,
//! filled in as the graph is walked.
//!
//! The same evaluator serves planning (resource values hold unknowns for what
//! AWS has yet to compute) and applying (values are replaced by real state as
//! each instance completes). Each module instance has its own table: a
//! block sees the names of the module it is written in. Pure: file reads go
//! through the `FileReader`.

use std::collections::{BTreeMap, BTreeSet};

use super::body::eval_body;
use super::config::{Config, Expr, Mode, ROOT};
use super::eval::{Clock, EvalContext, FileReader, Scope, eval, evaluate_rule};
use super::variables::check_validations;
use crate::addr::InstanceKey;
use crate::diag::{Diagnostic, Diagnostics, FileId, Span};
use crate::provider::{
    self,
    schema::{Schema, Type},
};
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

/// A resource instance's evaluated arguments, without marks.
#[derive(Clone, Debug, Default)]
pub struct InstanceArgs {
    pub attrs: Attrs,
    /// The attributes whose values are sensitive: set from a sensitive
    /// value, or sensitive in the schema. Sorted.
    pub sensitive: Vec<String>,
}

/// An instance's value as references see it: the sensitive attributes
/// marked, so what is computed from them is sensitive too.
pub fn with_marks(mut attrs: Attrs, sensitive: &[String]) -> Value {
    for name in sensitive {
        if let Some(value) = attrs.remove(name) {
            attrs.insert(name.clone(), value.mark());
        }
    }
    Value::Map(attrs.into())
}

pub struct BlockEvaluator<'a> {
    config: &'a Config,
    files: &'a dyn FileReader,
    /// Per module instance: `var`, `local`, `data`, `module`, `path`,
    /// `terraform` and one entry per resource type.
    roots: Vec<BTreeMap<String, Value>>,
    instances: BTreeMap<usize, BTreeMap<InstanceKey, Value>>,
    /// Per module call: each instance's outputs evaluated so far.
    call_outputs: BTreeMap<usize, BTreeMap<InstanceKey, Attrs>>,
    clock: Clock,
    /// The instances of `for_each` resources, by key, where the caller
    /// keeps them ([`BlockEvaluator::keep_instances`]).
    kept: BTreeMap<usize, BTreeMap<InstanceKey, Instance>>,
}

/// Adds `count` and `each` to the shared roots for one instance.
struct InstanceScope<'s> {
    base: &'s BTreeMap<String, Value>,
    count: Option<Value>,
    each: Option<Value>,
    /// `self`, in a postcondition.
    this: Option<Value>,
}

impl<'s> InstanceScope<'s> {
    fn new(
        base: &'s BTreeMap<String, Value>,
        count_index: Option<Value>,
        each: Option<(Value, Value)>,
    ) -> InstanceScope<'s> {
        InstanceScope {
            base,
            count: count_index
                .map(|index| Value::Map(Attrs::from([("index".to_string(), index)]).into())),
            each: each.map(|(key, value)| {
                Value::Map(
                    Attrs::from([("key".to_string(), key), ("value".to_string(), value)]).into(),
                )
            }),
            this: None,
        }
    }
}

impl Scope for InstanceScope<'_> {
    fn lookup(&self, root: &str) -> Option<&Value> {
        match root {
            "count" => self.count.as_ref(),
            "each" => self.each.as_ref(),
            "self" => self.this.as_ref(),
            _ => self.base.get(root),
        }
    }
}

impl<'a> BlockEvaluator<'a> {
    /// `variables` are the root module's; a called module's come from its
    /// call, as [`eval_variable`](Self::eval_variable) evaluates them.
    pub fn new(
        config: &'a Config,
        files: &'a dyn FileReader,
        variables: BTreeMap<String, Value>,
    ) -> BlockEvaluator<'a> {
        // The root module's sensitive variables are marked, so that what is
        // computed from them is too.
        let mut variables = Some(
            variables
                .into_iter()
                .map(|(name, value)| {
                    let sensitive = config
                        .variables
                        .iter()
                        .any(|v| v.module == ROOT && v.name == name && v.sensitive);
                    (name, value.mark_if(sensitive))
                })
                .collect::<Attrs>(),
        );
        let roots = config
            .modules
            .iter()
            .map(|module| {
                let mut roots = BTreeMap::new();
                let vars = match module.call {
                    None => variables.take().unwrap_or_default(),
                    Some(_) => Attrs::new(),
                };
                roots.insert("var".to_string(), Value::Map(vars.into()));
                for root in ["local", "data", "module"] {
                    roots.insert(root.to_string(), Value::Map(Attrs::new().into()));
                }
                roots.insert(
                    "path".to_string(),
                    Value::Map(
                        Attrs::from([
                            (
                                "module".to_string(),
                                Value::string(relative_to(&module.dir, &config.dir)),
                            ),
                            ("root".to_string(), Value::string(".")),
                            ("cwd".to_string(), Value::string(".")),
                        ])
                        .into(),
                    ),
                );
                roots.insert(
                    "terraform".to_string(),
                    Value::Map(
                        Attrs::from([(
                            "workspace".to_string(),
                            Value::string(config.workspace.clone()),
                        )])
                        .into(),
                    ),
                );
                roots
            })
            .collect();
        BlockEvaluator {
            config,
            files,
            roots,
            instances: BTreeMap::new(),
            call_outputs: BTreeMap::new(),
            clock: Clock::default(),
            kept: BTreeMap::new(),
        }
    }

    /// What `timestamp()` and `plantimestamp()` return from now on.
    pub fn set_clock(&mut self, clock: Clock) {
        self.clock = clock;
    }

    fn context<'s>(&'s self, file: FileId, scope: &'s dyn Scope) -> EvalContext<'s> {
        EvalContext {
            file,
            scope,
            files: self.files,
            stack_dir: &self.config.dir,
            clock: self.clock,
        }
    }

    fn map_root(&mut self, module: usize, root: &str) -> &mut Attrs {
        map_at(&mut self.roots[module], root)
    }

    /// The root module's values evaluated so far, for evaluating other
    /// expressions (the provider blocks).
    pub fn scope(&self) -> &dyn Scope {
        &self.roots[ROOT]
    }

    /// A copy of the root module's values evaluated so far (for the
    /// console, which evaluates expressions after the stack's own).
    pub fn root_values(&self) -> BTreeMap<String, Value> {
        self.roots[ROOT].clone()
    }

    pub fn eval_local(&mut self, index: usize) -> Result<(), Diagnostic> {
        let local = &self.config.locals[index];
        let value = eval(
            &local.value.expr,
            &self.context(local.value.file, &self.roots[local.module]),
        )?;
        self.map_root(local.module, "local")
            .insert(local.name.clone(), value);
        Ok(())
    }

    /// A called module's variable: its call's argument, evaluated in the
    /// caller (with the instance's `count.index` / `each`), or its default;
    /// converted to its type and checked by its validation blocks. The root
    /// module's variables are resolved before, by `variables`.
    pub fn eval_variable(&mut self, index: usize) -> Result<(), Diagnostics> {
        let variable = &self.config.variables[index];
        let instance = &self.config.modules[variable.module];
        let Some(call) = instance.call.map(|c| &self.config.calls[c]) else {
            return Ok(());
        };
        let input = call.inputs.iter().find(|(name, _)| name == &variable.name);
        let given = match input {
            Some((_, expr)) => {
                let scope = InstanceScope::new(
                    &self.roots[call.module],
                    instance.count_index.clone(),
                    instance.each.clone(),
                );
                match eval(&expr.expr, &self.context(expr.file, &scope)) {
                    Ok(value) => Some((value, expr.span())),
                    Err(diag) => {
                        // Unknown to its uses, so the problem is reported once.
                        let (module, name) = (variable.module, variable.name.clone());
                        self.map_root(module, "var").insert(name, Value::Unknown);
                        return Err(diag.into());
                    }
                }
            }
            None => None,
        };
        // `nullable = false` takes a null argument as not given.
        let null_refused = !variable.nullable && given.as_ref().is_some_and(|(v, _)| v.is_null());
        let given = given.filter(|_| !null_refused);
        let (value, span) = match (given, &variable.default) {
            (Some(given), _) => given,
            (None, Some(default)) => (
                eval(
                    &default.expr,
                    &self.context(default.file, &self.roots[ROOT]),
                )?,
                default.span(),
            ),
            (None, None) if null_refused => {
                return Err(Diagnostic::error(format!(
                    "The module's variable {:?} must not be null",
                    variable.name
                ))
                .with_span(input.and_then(|(_, expr)| expr.span()))
                .with_detail("it is declared with nullable = false and has no default")
                .into());
            }
            // Reported when the module was joined to the configuration.
            (None, None) => (Value::Unknown, None),
        };
        let ty = variable.ty.clone().unwrap_or(Type::Any);
        let checked = match ty.convert(value) {
            Ok(value) => {
                let problems = check_validations(self.config, variable, &value, self.files);
                if problems.has_errors() {
                    Err(problems)
                } else {
                    Ok(value)
                }
            }
            Err(message) => Err(Diagnostic::error(format!(
                "Invalid value for the module's variable {:?}",
                variable.name
            ))
            .with_detail(message)
            .with_span(span.or(Some(variable.span.clone())))
            .into()),
        };
        // A value that failed is unknown to what uses it, so the one problem
        // is reported once, not again at every use.
        let (module, name) = (variable.module, variable.name.clone());
        let value = checked
            .as_ref()
            .map_or(Value::Unknown, |v| v.clone().mark_if(variable.sensitive));
        self.map_root(module, "var").insert(name, value);
        checked.map(|_| ())
    }

    /// An output's value. One declared `sensitive` is marked; one that
    /// exposes a sensitive value without saying so is an error, as in
    /// Terraform.
    pub fn eval_output(&self, index: usize) -> Result<Value, Diagnostic> {
        let output = &self.config.outputs[index];
        let value = eval(
            &output.value.expr,
            &self.context(output.value.file, &self.roots[output.module]),
        )?;
        // Only the root module's outputs are saved.
        if output.module == ROOT && value.contains_infinity() {
            return Err(infinity_error(
                output.value.span().or(Some(output.span.clone())),
                &format!("output {:?}", output.name),
            ));
        }
        if output.sensitive {
            return Ok(value.unmark_deep().0.mark());
        }
        if value.contains_marks() {
            return Err(Diagnostic::error("Output refers to sensitive values")
                .with_span(output.value.span().or(Some(output.span.clone())))
                .with_detail(format!(
                    "output {:?} would show a value derived from a sensitive variable or attribute",
                    output.name
                ))
                .with_hint("add sensitive = true to the output block to confirm that it is meant to be sensitive"));
        }
        Ok(value)
    }

    /// Evaluates a called module's output and makes it visible to the caller
    /// as `module.<name>.<output>`. Root outputs are the plan's, not this.
    pub fn eval_module_output(&mut self, index: usize) -> Result<(), Diagnostic> {
        let output = &self.config.outputs[index];
        let instance = &self.config.modules[output.module];
        let Some(call) = instance.call else {
            return Ok(());
        };
        let value = self.eval_output(index)?;
        let key = instance.key();
        self.call_outputs
            .entry(call)
            .or_default()
            .entry(key.clone())
            .or_default()
            .insert(output.name.clone(), value.clone());
        // In place where the call is published with this instance: making
        // it whole again for each output of each instance was quadratic in
        // the call's instances.
        if !self.set_published_output(call, &key, &output.name, value) {
            self.publish_call(call);
        }
        Ok(())
    }

    /// Sets one output of one instance in `module.<name>` as the caller
    /// sees it, if that is published with the instance (an object, or the
    /// instance's object in the list or map [`publish_call`] makes).
    /// `false` when it is not (not yet, or unknown).
    ///
    /// [`publish_call`]: BlockEvaluator::publish_call
    fn set_published_output(
        &mut self,
        call: usize,
        key: &InstanceKey,
        name: &str,
        value: Value,
    ) -> bool {
        let (module, call_name) = (
            self.config.calls[call].module,
            &self.config.calls[call].name,
        );
        let Some(published) = self.map_root(module, "module").get_mut(call_name) else {
            return false;
        };
        let object = match (published, key) {
            (Value::Map(object), InstanceKey::None) => Some(object),
            (Value::Map(instances), InstanceKey::Key(k)) => match instances.get_mut(k) {
                Some(Value::Map(object)) => Some(object),
                _ => None,
            },
            (Value::List(instances), InstanceKey::Index(i)) => match instances.get_mut(*i) {
                Some(Value::Map(object)) => Some(object),
                _ => None,
            },
            _ => None,
        };
        object.is_some_and(|object| {
            object.insert(name.to_string(), value);
            true
        })
    }

    /// Makes `module.<name>` visible in the caller with the outputs known so
    /// far: an object, a list (`count`) or a map (`for_each`); unknown while
    /// the call's instances are not known.
    pub fn publish_call(&mut self, index: usize) {
        let call = &self.config.calls[index];
        let instances = call.instances.clone();
        let outputs = self.call_outputs.get(&index).cloned().unwrap_or_default();
        let object =
            |key: &InstanceKey| Value::Map(outputs.get(key).cloned().unwrap_or_default().into());
        let value = match &instances {
            None => Value::Unknown,
            Some(list) if list.iter().any(|&m| self.config.modules[m].placeholder) => {
                Value::Unknown
            }
            Some(list) => {
                let keys: Vec<InstanceKey> =
                    list.iter().map(|&m| self.config.modules[m].key()).collect();
                if call.count.is_some() {
                    Value::List(keys.iter().map(object).collect())
                } else if call.for_each.is_some() {
                    Value::Map(
                        keys.iter()
                            .filter_map(|key| match key {
                                InstanceKey::Key(k) => Some((k.clone(), object(key))),
                                _ => None,
                            })
                            .collect(),
                    )
                } else {
                    object(&InstanceKey::None)
                }
            }
        };
        let (module, name) = (call.module, call.name.clone());
        self.map_root(module, "module").insert(name, value);
    }

    /// Runs a `check` block's assertions with the values known now. A
    /// false condition, or one that cannot be evaluated, is a warning (a
    /// check never stops a run); one not known yet is not checked.
    pub fn eval_check(&self, index: usize) -> Diagnostics {
        let check = &self.config.checks[index];
        let roots = &self.roots[check.module];
        let mut warnings = Diagnostics::default();
        for assertion in &check.assertions {
            let ctx = self.context(assertion.condition.file, roots);
            let message = match evaluate_rule(&assertion.condition, &assertion.error_message, &ctx)
            {
                Ok(None) => continue,
                Ok(Some(message)) => message,
                // A check never stops a run.
                Err(diag) => {
                    warnings.push(Diagnostic {
                        severity: crate::diag::Severity::Warning,
                        ..diag
                    });
                    continue;
                }
            };
            let module = &self.config.modules[check.module].path;
            let name = if module.is_root() {
                format!("check.{}", check.name)
            } else {
                format!("{module}.check.{}", check.name)
            };
            warnings.push(
                Diagnostic::warning(format!("Check block assertion failed: {name}"))
                    .with_detail(message)
                    .with_span(Some(assertion.span.clone())),
            );
        }
        warnings
    }

    /// The instances a module call expands to, evaluated in its caller.
    /// With `validate_only`, a `count` / `for_each` not known yet gives one
    /// placeholder instance.
    pub fn expand_call(
        &self,
        index: usize,
        validate_only: bool,
    ) -> Result<Vec<Instance>, Diagnostic> {
        let call = &self.config.calls[index];
        let (count, for_each) = (call.count.as_ref(), call.for_each.as_ref());
        if validate_only {
            self.expand_for_validation_with(call.module, count, for_each)
        } else {
            self.expand_with(call.module, count, for_each)
        }
    }

    /// The instances a resource block expands to under `count` / `for_each`.
    pub fn expand(&self, index: usize) -> Result<Vec<Instance>, Diagnostic> {
        let resource = &self.config.resources[index];
        self.expand_with(
            resource.module,
            resource.count.as_ref(),
            resource.for_each.as_ref(),
        )
    }

    /// The one instance of a resource with `key`, if the configuration
    /// still has it: what [`BlockEvaluator::expand`] would find. An apply
    /// step needs only its own, and making all n instances of a counted
    /// resource for each of its n steps was quadratic (each `count.index`
    /// is a number to build); with `count` it makes only that one. With
    /// `for_each` it evaluates the whole collection to find its key, unless
    /// the caller keeps the instances made once (`keep_instances`).
    pub fn expand_one(
        &self,
        index: usize,
        key: &InstanceKey,
    ) -> Result<Option<Instance>, Diagnostic> {
        if let Some(kept) = self.kept.get(&index) {
            return Ok(kept.get(key).cloned());
        }
        let resource = &self.config.resources[index];
        if let (Some(count), InstanceKey::Index(i)) = (resource.count.as_ref(), key) {
            let n = self.count_value(resource.module, count)?;
            return Ok((*i < n).then(|| Instance::indexed(*i)));
        }
        Ok(self.expand(index)?.into_iter().find(|i| &i.key == key))
    }

    /// Makes the instances of a `for_each` resource now and keeps them for
    /// [`BlockEvaluator::expand_one`], until called again: the apply keeps
    /// them while nothing the block depends on changes, so that each of n
    /// steps does not evaluate the whole collection. A block without
    /// `for_each` makes one instance cheaply, and keeps nothing; nor does
    /// one whose `for_each` fails (`expand_one` reports the error).
    pub fn keep_instances(&mut self, index: usize) {
        self.kept.remove(&index);
        if self.config.resources[index].for_each.is_some()
            && let Ok(all) = self.expand(index)
        {
            let by_key = all.into_iter().map(|i| (i.key.clone(), i)).collect();
            self.kept.insert(index, by_key);
        }
    }

    /// A `count` argument's value: a whole number within the instance
    /// limit.
    fn count_value(&self, module: usize, count: &Expr) -> Result<usize, Diagnostic> {
        let roots = &self.roots[module];
        let (value, _) = eval(&count.expr, &self.context(count.file, roots))?.unmark_deep();
        match value {
            Value::Unknown => Err(Diagnostic::error("Invalid count argument")
                .with_detail("the count value depends on values that are known only after apply")
                .with_span(count.span())
                .with_hint("base count on variables, locals or data sources")),
            other => match other.as_index() {
                Some(n) if n > self.config.max_instances => Err(self.too_many(n, count)),
                Some(n) => Ok(n),
                None => Err(Diagnostic::error("Invalid count argument")
                    .with_detail(format!(
                        "count must be a whole, non-negative number, not {other}"
                    ))
                    .with_span(count.span())),
            },
        }
    }

    fn expand_with(
        &self,
        module: usize,
        count: Option<&Expr>,
        for_each: Option<&Expr>,
    ) -> Result<Vec<Instance>, Diagnostic> {
        let roots = &self.roots[module];
        if let Some(count) = count {
            let n = self.count_value(module, count)?;
            return Ok((0..n).map(Instance::indexed).collect());
        }
        if let Some(for_each) = for_each {
            let (value, sensitive) =
                eval(&for_each.expr, &self.context(for_each.file, roots))?.unmark_deep();
            let invalid = |detail: String| {
                Diagnostic::error("Invalid for_each argument")
                    .with_detail(detail)
                    .with_span(for_each.span())
            };
            if sensitive {
                // Its keys would become instance addresses, shown everywhere.
                return Err(invalid(
                    "sensitive values, or values derived from them, cannot be used as for_each arguments".into(),
                )
                .with_hint("if the keys are not secret, wrap the value in nonsensitive()"));
            }
            let size = match &value {
                Value::Map(map) => map.len(),
                Value::List(items) => items.len(),
                _ => 0,
            };
            if size > self.config.max_instances {
                return Err(self.too_many(size, for_each));
            }
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

    /// The error for a `count` or `for_each` past the instance limit, given
    /// before any instance is made.
    fn too_many(&self, wanted: usize, expr: &Expr) -> Diagnostic {
        let limit = self.config.max_instances;
        Diagnostic::error("Too many instances")
            .with_detail(format!(
                "this would make {wanted} instances of one block; the limit is {limit}"
            ))
            .with_span(expr.span())
            .with_hint(format!(
                "if you mean it, raise the limit with --max-instances {wanted}"
            ))
    }

    /// For validation: the instances, or when `count` / `for_each` is not
    /// known yet, one placeholder instance whose `count.index` / `each` are
    /// unknown, so its arguments can still be checked.
    pub fn expand_for_validation(&self, index: usize) -> Result<Vec<Instance>, Diagnostic> {
        let resource = &self.config.resources[index];
        self.expand_for_validation_with(
            resource.module,
            resource.count.as_ref(),
            resource.for_each.as_ref(),
        )
    }

    fn expand_for_validation_with(
        &self,
        module: usize,
        count: Option<&Expr>,
        for_each: Option<&Expr>,
    ) -> Result<Vec<Instance>, Diagnostic> {
        if let Some(expr) = count.or(for_each)
            && eval(&expr.expr, &self.context(expr.file, &self.roots[module]))?
                .unmark_deep()
                .0
                == Value::Unknown
        {
            return Ok(vec![Instance {
                key: InstanceKey::None,
                count_index: count.map(|_| Value::Unknown),
                each: for_each.map(|_| (Value::Unknown, Value::Unknown)),
            }]);
        }
        self.expand_with(module, count, for_each)
    }

    /// Checks an instance's `precondition` blocks. A false condition is an
    /// error with its message; one not known yet is checked no further
    /// (Terraform checks it again at apply).
    pub fn check_preconditions(&self, index: usize, instance: &Instance) -> Diagnostics {
        let resource = &self.config.resources[index];
        let scope = InstanceScope::new(
            &self.roots[resource.module],
            instance.count_index.clone(),
            instance.each.clone(),
        );
        let mut errors = Diagnostics::default();
        for precondition in &resource.lifecycle.preconditions {
            let ctx = self.context(precondition.condition.file, &scope);
            match evaluate_rule(&precondition.condition, &precondition.error_message, &ctx) {
                Ok(None) => {}
                Err(diag) => errors.push(diag),
                Ok(Some(message)) => {
                    errors.push(
                        Diagnostic::error(format!(
                            "Resource precondition failed: {}",
                            resource.address()
                        ))
                        .with_detail(message)
                        .with_span(Some(precondition.span.clone())),
                    );
                }
            }
        }
        errors
    }

    /// Checks an applied instance's `postcondition` blocks, with `self` its
    /// new value. The first failure comes back as a message.
    pub fn check_postconditions(
        &self,
        index: usize,
        key: &InstanceKey,
        value: Value,
    ) -> Option<String> {
        let resource = &self.config.resources[index];
        if resource.lifecycle.postconditions.is_empty() {
            return None;
        }
        let instance = self.expand_one(index, key).ok()??;
        let mut scope = InstanceScope::new(
            &self.roots[resource.module],
            instance.count_index,
            instance.each,
        );
        scope.this = Some(self.as_referenced(index, value));
        for postcondition in &resource.lifecycle.postconditions {
            let ctx = self.context(postcondition.condition.file, &scope);
            match evaluate_rule(&postcondition.condition, &postcondition.error_message, &ctx) {
                Ok(None) => {}
                Ok(Some(message)) => {
                    return Some(format!("Resource postcondition failed: {message}"));
                }
                Err(diag) => return Some(format!("Invalid postcondition: {}", diag.summary)),
            }
        }
        None
    }

    /// Evaluates one instance's arguments against its schema. Marks are
    /// taken off (AWS gets real values); the arguments that held sensitive
    /// values, or are sensitive in the schema, are named instead.
    pub fn eval_instance(
        &self,
        index: usize,
        instance: &Instance,
        schema: &Schema,
    ) -> Result<InstanceArgs, Diagnostics> {
        let resource = &self.config.resources[index];
        let scope = InstanceScope::new(
            &self.roots[resource.module],
            instance.count_index.clone(),
            instance.each.clone(),
        );
        let marked = eval_body(&resource.body, schema, &self.context(resource.file, &scope))?;
        if let Some((name, _)) = marked.iter().find(|(_, v)| v.contains_infinity()) {
            let span = resource
                .body
                .get_attribute(name)
                .and_then(|attr| hcl_edit::Span::span(&attr.value))
                .map_or(resource.span.clone(), |r| Span::new(resource.file, r));
            return Err(infinity_error(Some(span), &format!("argument {name:?}")).into());
        }
        let mut sensitive: BTreeSet<String> = schema
            .attributes
            .iter()
            .filter(|a| a.sensitive)
            .map(|a| a.name.to_string())
            .collect();
        let attrs = marked
            .into_iter()
            .map(|(name, value)| {
                let (value, was_marked) = value.unmark_deep();
                if was_marked {
                    sensitive.insert(name.clone());
                }
                (name, value)
            })
            .collect();
        // What is computed from a sensitive argument is sensitive too.
        let derived = schema
            .derived
            .iter()
            .copied()
            .chain(schema.attribute("tags_all").map(|_| ("tags", "tags_all")));
        for (argument, attribute) in derived {
            if sensitive.contains(argument) {
                sensitive.insert(attribute.to_string());
            }
        }
        Ok(InstanceArgs {
            attrs,
            sensitive: sensitive.into_iter().collect(),
        })
    }

    /// Records an instance's value (planned or applied), so references to it
    /// resolve.
    pub fn set_instance(&mut self, index: usize, key: InstanceKey, value: Value) {
        let value = self.as_referenced(index, value);
        let instances = self.instances.entry(index).or_default();
        let replaced = instances.insert(key.clone(), value.clone()).is_some();
        // Contiguous `count` keys (0..n) put instance i at position i.
        let contiguous = matches!(
            instances.last_key_value(),
            Some((InstanceKey::Index(last), _)) if last + 1 == instances.len()
        );
        if !self.publish_one(index, &key, value, replaced, contiguous) {
            self.publish(index);
        }
    }

    /// An instance's value as expressions see it: its lists have the kinds
    /// its schema gives them, and no others, so that it reads the same
    /// whether planned now, read from AWS or loaded from state (whose JSON
    /// keeps no kinds); `==` must not answer differently at plan and apply.
    fn as_referenced(&self, index: usize, mut value: Value) -> Value {
        value.erase_kinds();
        let resource = &self.config.resources[index];
        let schema = match resource.mode {
            Mode::Managed => provider::resource_type(&resource.type_name).map(|t| t.schema()),
            Mode::Data => provider::data_source_type(&resource.type_name).map(|t| t.schema()),
        };
        if let (Some(schema), Value::Map(attrs)) = (schema, &mut value) {
            schema.assign_kinds(attrs);
        }
        value
    }

    /// Updates the one instance in the value references see, in place, so
    /// that setting each of n instances costs O(log n), not a rebuild of
    /// all n. False when only a rebuild will do.
    fn publish_one(
        &mut self,
        index: usize,
        key: &InstanceKey,
        value: Value,
        replaced: bool,
        contiguous: bool,
    ) -> bool {
        let resource = &self.config.resources[index];
        let (counted, keyed) = (resource.count.is_some(), resource.for_each.is_some());
        let Some(published) = self
            .resource_root(resource.module, resource.mode, &resource.type_name)
            .get_mut(&resource.name)
        else {
            return false;
        };
        match (key, published) {
            (InstanceKey::Index(i), Value::List(items)) if counted && contiguous => {
                if replaced && *i < items.len() {
                    items[*i] = value;
                    true
                } else if !replaced && *i == items.len() {
                    items.push(value);
                    true
                } else {
                    false
                }
            }
            (InstanceKey::Key(k), Value::Map(map)) if keyed => {
                map.insert(k.clone(), value);
                true
            }
            (InstanceKey::None, slot) if !counted && !keyed => {
                *slot = value;
                true
            }
            _ => false,
        }
    }

    /// Records every instance of a resource at once (a data source's, as
    /// read), so `count = 0` gives an empty list.
    pub fn set_instances(&mut self, index: usize, instances: BTreeMap<InstanceKey, Value>) {
        let instances = instances
            .into_iter()
            .map(|(key, value)| (key, self.as_referenced(index, value)))
            .collect();
        self.instances.insert(index, instances);
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
    /// The configuration being evaluated.
    pub fn config(&self) -> &'a Config {
        self.config
    }

    /// Whether every instance of a resource has a value with nothing
    /// unknown in it.
    pub fn instances_known(&self, index: usize) -> bool {
        self.instances
            .get(&index)
            .is_some_and(|instances| instances.values().all(Value::is_wholly_known))
    }

    pub fn set_resource_unknown(&mut self, index: usize) {
        let resource = &self.config.resources[index];
        let (type_name, name) = (resource.type_name.clone(), resource.name.clone());
        self.resource_root(resource.module, resource.mode, &type_name)
            .insert(name, Value::Unknown);
    }

    fn resource_root(&mut self, module: usize, mode: Mode, type_name: &str) -> &mut Attrs {
        match mode {
            Mode::Managed => self.map_root(module, type_name),
            Mode::Data => map_at(self.map_root(module, "data"), type_name),
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
        let (module, mode, type_name, name) = (
            resource.module,
            resource.mode,
            resource.type_name.clone(),
            resource.name.clone(),
        );
        self.resource_root(module, mode, &type_name)
            .insert(name, value);
    }
}

/// `dir` relative to the stack directory, as Terraform gives `path.module`
/// (`.` for the root module, `modules/network` for a module in it), so that
/// `file("${path.module}/x")`, resolved against the stack directory, finds
/// the module's file. A directory outside the stack stays as it is.
fn relative_to(dir: &std::path::Path, stack_dir: &std::path::Path) -> String {
    let clean = |p: &std::path::Path| -> std::path::PathBuf {
        p.components()
            .filter(|c| !matches!(c, std::path::Component::CurDir))
            .collect()
    };
    match clean(dir).strip_prefix(clean(stack_dir)) {
        Ok(rest) if rest.as_os_str().is_empty() => ".".into(),
        Ok(rest) => rest.display().to_string(),
        Err(_) => dir.display().to_string(),
    }
}

/// The map stored under `key`, created (or reset) if it is not a map.
fn map_at<'m>(map: &'m mut Attrs, key: &str) -> &'m mut Attrs {
    let entry = map
        .entry(key.to_string())
        .or_insert_with(|| Value::Map(Attrs::new().into()));
    if !matches!(entry, Value::Map(_)) {
        *entry = Value::Map(Attrs::new().into());
    }
    match entry {
        Value::Map(inner) => inner,
        _ => unreachable!("ensured to be a map above"),
    }
}

/// An infinite number where a value is kept: Terraform fails later, saving
/// the plan or state, as JSON has no form for it.
fn infinity_error(span: Option<Span>, what: &str) -> Diagnostic {
    Diagnostic::error("Infinite number")
        .with_span(span)
        .with_detail(format!(
            "{what} holds an infinite number, which cannot be saved: JSON, and so the plan and state, have no form for it."
        ))
        .with_hint("a number divided by zero is +Inf or -Inf")
}

/// What tests of evaluation share.
#[cfg(test)]
pub(crate) mod testing {
    use super::{Config, FileReader};

    /// Reads no file: for stacks that read none.
    pub struct NoFiles;

    impl FileReader for NoFiles {
        fn read_to_string(&self, _: &std::path::Path) -> std::io::Result<String> {
            Err(std::io::ErrorKind::Unsupported.into())
        }
    }

    /// The configuration of a stack of one file, `text`, which must load
    /// without errors.
    pub fn config_of(text: &str) -> Config {
        let (config, diags) = crate::lang::load::load(".", vec![("main.tf".into(), text.into())]);
        assert!(!diags.has_errors(), "{diags:?}");
        config
    }

    /// The index of the resource block named `name`.
    pub fn resource_index(config: &Config, name: &str) -> usize {
        config
            .resources
            .iter()
            .position(|r| r.name == name)
            .expect("declared")
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{NoFiles, config_of, resource_index};
    use super::*;

    /// `expand_one` finds what `expand` would, for counted (none too),
    /// keyed, set-keyed and single resources, nothing for a key the
    /// configuration lost, and the same error for a count that is wrong.
    #[test]
    fn expand_one_finds_the_instance_expand_would() {
        let text = r#"
resource "aws_vpc" "counted" {
  count      = 3
  cidr_block = "10.${count.index}.0.0/16"
}
resource "aws_vpc" "keyed" {
  for_each   = { a = "10.10.0.0/16", b = "10.11.0.0/16" }
  cidr_block = each.value
}
resource "aws_vpc" "single" {
  cidr_block = "10.20.0.0/16"
}
resource "aws_vpc" "none" {
  count      = 0
  cidr_block = "10.30.0.0/16"
}
resource "aws_vpc" "listed" {
  for_each   = toset(["x", "y"])
  cidr_block = "10.40.0.0/16"
}
resource "aws_vpc" "negative" {
  count      = -1
  cidr_block = "10.50.0.0/16"
}
resource "aws_vpc" "unkeyable" {
  for_each   = 5
  cidr_block = "10.60.0.0/16"
}
"#;
        let config = config_of(text);
        let mut evaluator = BlockEvaluator::new(&config, &NoFiles, BTreeMap::new());
        let index_of = |name: &str| resource_index(&config, name);
        let keys = [
            InstanceKey::Index(0),
            InstanceKey::Index(2),
            InstanceKey::Index(3),
            InstanceKey::Key("a".into()),
            InstanceKey::Key("c".into()),
            InstanceKey::Key("y".into()),
            InstanceKey::None,
        ];
        // Alike whether the instances are kept or made for each ask.
        for keep in [false, true] {
            for name in ["counted", "keyed", "single", "none", "listed"] {
                let index = index_of(name);
                if keep {
                    evaluator.keep_instances(index);
                }
                let all = evaluator.expand(index).expect("expands");
                for key in &keys {
                    let one = evaluator.expand_one(index, key).expect("expands");
                    let expected = all.iter().find(|i| &i.key == key);
                    assert_eq!(
                        one.as_ref().map(|i| (&i.key, &i.count_index, &i.each)),
                        expected.map(|i| (&i.key, &i.count_index, &i.each)),
                        "{name} {key:?} kept: {keep}"
                    );
                }
            }
        }
        let counted = index_of("counted");
        let third = evaluator
            .expand_one(counted, &InstanceKey::Index(2))
            .expect("expands")
            .expect("in range");
        assert_eq!(third.count_index, Some(Value::from(2i64)));
        // A count that is no count fails alike, whichever instance is asked.
        let negative = index_of("negative");
        let all = evaluator.expand(negative).expect_err("negative count");
        let one = evaluator
            .expand_one(negative, &InstanceKey::Index(0))
            .expect_err("negative count");
        assert_eq!((&one.summary, &one.detail), (&all.summary, &all.detail));
        assert_eq!(all.summary, "Invalid count argument");
        // A for_each that fails keeps nothing: asking reports the error.
        let unkeyable = index_of("unkeyable");
        evaluator.keep_instances(unkeyable);
        let error = evaluator
            .expand_one(unkeyable, &InstanceKey::Key("a".into()))
            .expect_err("not a map or set");
        assert_eq!(error.summary, "Invalid for_each argument");
    }
}
