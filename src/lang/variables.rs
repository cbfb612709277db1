//! Input variables: defaults, `TF_VAR_name`, `--var-file` and `--var`,
//! in Terraform's order of precedence (later wins).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use hcl_edit::Span as _;
use hcl_edit::structure::Structure;

use super::config::{Config, Variable};
use super::eval::{EvalContext, FileReader, eval, evaluate_rule};
use super::references::references;
use crate::diag::did_you_mean;
use crate::diag::{Diagnostic, Diagnostics, FileId, Span};
use crate::provider::schema::Type;
use crate::value::Value;

/// One source of variable values, already read by the caller.
#[derive(Clone, Debug)]
pub enum VarInput {
    /// `TF_VAR_name=value` from the environment.
    Env { name: String, value: String },
    /// A `.tfvars` file's text.
    File { path: PathBuf, text: String },
    /// `--var name=value`.
    Flag(String),
    /// A value a saved plan recorded: taken over the default, but any
    /// value given now (environment, files, flags) comes after it.
    Saved { name: String, value: Value },
}

/// Resolves every declared variable. Var files are added to `config.sources`
/// so their diagnostics can quote them.
pub fn resolve(
    config: &mut Config,
    inputs: &[VarInput],
    files: &dyn FileReader,
    unset: Unset,
) -> (BTreeMap<String, Value>, Diagnostics) {
    let mut diags = Diagnostics::default();
    let mut values: BTreeMap<String, (Value, Option<Span>)> = BTreeMap::new();
    let empty: BTreeMap<String, Value> = BTreeMap::new();
    // Variables already reported (a default or a value that failed): not
    // reported again as having no value.
    let mut reported: BTreeSet<String> = BTreeSet::new();
    // A variables file that does not parse may have held any value.
    let mut unparsed_file = false;

    for variable in declared_once(config) {
        if let Some(default) = &variable.default {
            // A default that refers to anything is reported by the graph.
            if !references(default).0.is_empty() {
                reported.insert(variable.name.clone());
                continue;
            }
            let ctx = EvalContext {
                file: default.file,
                scope: &empty,
                files,
                stack_dir: &config.dir,
                clock: Default::default(),
            };
            match eval(&default.expr, &ctx) {
                Ok(value) => {
                    values.insert(variable.name.clone(), (value, default.span()));
                }
                Err(diag) => {
                    reported.insert(variable.name.clone());
                    diags.push(diag);
                }
            }
        }
    }

    // Saved values come first, then the environment, then files and flags.
    let rank = |input: &&VarInput| match input {
        VarInput::Saved { .. } => 0,
        VarInput::Env { .. } => 1,
        VarInput::File { .. } | VarInput::Flag(_) => 2,
    };
    let mut ordered: Vec<&VarInput> = inputs.iter().collect();
    ordered.sort_by_key(rank);
    for input in ordered {
        match input {
            VarInput::Saved { name, value } => {
                if config.variable(name).is_some() {
                    values.insert(name.clone(), (value.clone(), None));
                }
            }
            VarInput::Env { name, value } => {
                if config.variable(name).is_some() {
                    match parse_raw(config, name, value) {
                        Ok(v) => {
                            values.insert(name.clone(), (v, None));
                        }
                        Err(message) => diags.push(Diagnostic::error(format!(
                            "Invalid value for variable {name:?} from TF_VAR_{name}: {message}"
                        ))),
                    }
                }
            }
            VarInput::Flag(raw) => {
                let Some((name, value)) = raw.split_once('=') else {
                    diags.push(
                        Diagnostic::error(format!("Invalid --var argument {raw:?}"))
                            .with_hint("write --var name=value"),
                    );
                    continue;
                };
                if config.variable(name).is_none() {
                    diags.push(undeclared_value(
                        config,
                        Diagnostic::error(format!("Value for undeclared variable {name:?}")),
                        name,
                    ));
                    continue;
                }
                match parse_raw(config, name, value) {
                    Ok(v) => {
                        values.insert(name.to_string(), (v, None));
                    }
                    Err(message) => diags.push(Diagnostic::error(format!(
                        "Invalid value for variable {name:?} from --var: {message}"
                    ))),
                }
            }
            VarInput::File { path, text } => {
                let text = super::syntax::without_bom(text);
                let file = config.sources.add(path.clone(), text);
                unparsed_file |= !read_var_file(
                    config,
                    file,
                    text,
                    files,
                    &mut values,
                    &mut reported,
                    &mut diags,
                );
            }
        }
    }

    let mut resolved = BTreeMap::new();
    for variable in declared_once(config) {
        match values.remove(&variable.name) {
            Some((value, span)) => {
                let ty = variable.ty.clone().unwrap_or(Type::Any);
                // Marked while converted, so an error does not quote a sensitive value.
                match ty.convert(value.mark_if(variable.sensitive)) {
                    Ok(v) => {
                        let (v, _) = v.unmark();
                        diags.extend(check_validations(config, variable, &v, files));
                        resolved.insert(variable.name.clone(), v);
                    }
                    Err(message) => diags.push(
                        Diagnostic::error(format!(
                            "Invalid value for variable {:?}",
                            variable.name
                        ))
                        .with_detail(message)
                        .with_span(span.or(Some(variable.span.clone()))),
                    ),
                }
            }
            None if unparsed_file || reported.contains(&variable.name) => {}
            None if unset == Unset::Unknown => {
                resolved.insert(variable.name.clone(), Value::Unknown);
            }
            None => diags.push(
                Diagnostic::error(format!(
                    "No value for required variable {:?}",
                    variable.name
                ))
                .with_span(Some(variable.span.clone()))
                .with_hint(format!(
                    "set it with --var {0}=..., a --var-file, or TF_VAR_{0}",
                    variable.name
                )),
            ),
        }
    }
    (resolved, diags)
}

/// What a variable with no value and no default is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unset {
    /// An error: plan and apply need every value.
    Required,
    /// Unknown, as `terraform validate` checks a configuration before any
    /// values exist.
    Unknown,
}

/// Each variable's first declaration; later ones are duplicates, reported by
/// the loader.
fn declared_once(config: &Config) -> impl Iterator<Item = &Variable> {
    let mut seen = BTreeSet::new();
    config
        .variables
        .iter()
        .filter(move |v| v.module == super::config::ROOT && seen.insert(v.name.as_str()))
}

/// A value given for a variable the stack does not declare: suggests the
/// declared name it was likely meant for, or how to declare it.
fn undeclared_value(config: &Config, diag: Diagnostic, name: &str) -> Diagnostic {
    let declared: Vec<&str> = config.variables.iter().map(|v| v.name.as_str()).collect();
    match did_you_mean(name, &declared) {
        Some(close) => diag.with_hint(format!("did you mean {close:?}?")),
        None => diag.with_hint(format!(
            "declare it in the stack with `variable \"{name}\" {{}}`"
        )),
    }
}

/// A raw string from a flag or the environment: taken as is for string
/// variables, parsed as an HCL expression for others (as Terraform does).
fn parse_raw(config: &Config, name: &str, raw: &str) -> Result<Value, String> {
    let declared = config.variable(name).and_then(|v| v.ty.clone());
    if matches!(declared, None | Some(Type::String)) {
        return Ok(Value::string(raw));
    }
    let expr = hcl_edit::parser::parse_expr(raw).map_err(|e| e.message().to_string())?;
    struct NoFiles;
    impl FileReader for NoFiles {
        fn read_to_string(&self, path: &std::path::Path) -> std::io::Result<String> {
            Err(std::io::Error::new(
                std::io::ErrorKind::Unsupported,
                format!(
                    "file({}) is not allowed in a variable value",
                    path.display()
                ),
            ))
        }
    }
    let empty: BTreeMap<String, Value> = BTreeMap::new();
    let ctx = EvalContext {
        file: FileId(0),
        scope: &empty,
        files: &NoFiles,
        stack_dir: &config.dir,
        clock: Default::default(),
    };
    eval(&expr, &ctx).map_err(|d| d.summary)
}

/// Reads one variables file into `values`; names whose value is in error go
/// into `reported`. False when the file does not parse.
fn read_var_file(
    config: &Config,
    file: FileId,
    text: &str,
    files: &dyn FileReader,
    values: &mut BTreeMap<String, (Value, Option<Span>)>,
    reported: &mut BTreeSet<String>,
    diags: &mut Diagnostics,
) -> bool {
    let body = match hcl_edit::parser::parse_body(text) {
        Ok(body) => body,
        Err(err) => {
            diags.push(super::syntax::parse_error(&config.sources, file, &err));
            return false;
        }
    };
    let empty: BTreeMap<String, Value> = BTreeMap::new();
    for structure in body.iter() {
        match structure {
            Structure::Attribute(attr) => {
                let name = attr.key.as_str();
                let key_span = attr.key.span().map(|r| Span::new(file, r));
                if config.variable(name).is_none() {
                    diags.push(undeclared_value(
                        config,
                        Diagnostic::warning(format!("Value for undeclared variable {name:?}"))
                            .with_span(key_span)
                            .with_detail(
                                "the stack declares no such variable; the value is ignored",
                            ),
                        name,
                    ));
                    continue;
                }
                let ctx = EvalContext {
                    file,
                    scope: &empty,
                    files,
                    stack_dir: &config.dir,
                    clock: Default::default(),
                };
                match eval(&attr.value, &ctx) {
                    Ok(value) => {
                        values.insert(
                            name.to_string(),
                            (value, attr.value.span().map(|r| Span::new(file, r))),
                        );
                    }
                    Err(diag) => {
                        reported.insert(name.to_string());
                        diags.push(diag);
                    }
                }
            }
            Structure::Block(block) => diags.push(
                Diagnostic::error("Blocks are not allowed in a variables file")
                    .with_span(block.ident.span().map(|r| Span::new(file, r))),
            ),
        }
    }
    true
}

/// Runs a variable's `validation` blocks against its value, as Terraform
/// does: a condition that is false reports the block's `error_message`. A
/// value or condition not known yet (`validate` without values) is not
/// checked. Conditions see the variable itself as `var.<name>`.
pub(crate) fn check_validations(
    config: &Config,
    variable: &Variable,
    value: &Value,
    files: &dyn FileReader,
) -> Diagnostics {
    let mut diags = Diagnostics::default();
    if !value.is_wholly_known() {
        return diags;
    }
    let scope: BTreeMap<String, Value> = BTreeMap::from([(
        "var".to_string(),
        Value::Map(
            BTreeMap::from([(
                variable.name.clone(),
                value.clone().mark_if(variable.sensitive),
            )])
            .into(),
        ),
    )]);
    for validation in &variable.validations {
        let ctx = EvalContext {
            file: validation.condition.file,
            scope: &scope,
            files,
            stack_dir: &config.dir,
            clock: Default::default(),
        };
        let message = match evaluate_rule(&validation.condition, &validation.error_message, &ctx) {
            Ok(None) => continue,
            Ok(Some(message)) => message,
            Err(diag) => {
                diags.push(diag);
                continue;
            }
        };
        diags.push(
            Diagnostic::error(format!("Invalid value for variable {:?}", variable.name))
                .with_detail(message)
                .with_span(Some(validation.span.clone()))
                .with_hint(format!(
                    "this value failed the validation rule of var.{}",
                    variable.name
                )),
        );
    }
    diags
}
