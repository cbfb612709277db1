//! Input variables: defaults, `TF_VAR_name`, `--var-file` and `--var`,
//! in Terraform's order of precedence (later wins).

use std::collections::BTreeMap;
use std::path::PathBuf;

use hcl_edit::Span as _;
use hcl_edit::structure::Structure;

use super::config::Config;
use super::eval::{EvalContext, FileReader, eval};
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
}

/// Resolves every declared variable. Var files are added to `config.sources`
/// so their diagnostics can quote them.
pub fn resolve(
    config: &mut Config,
    inputs: &[VarInput],
    files: &dyn FileReader,
) -> (BTreeMap<String, Value>, Diagnostics) {
    let mut diags = Diagnostics::default();
    let mut values: BTreeMap<String, (Value, Option<Span>)> = BTreeMap::new();
    let empty: BTreeMap<String, Value> = BTreeMap::new();

    for variable in &config.variables {
        if let Some(default) = &variable.default {
            let ctx = EvalContext {
                file: default.file,
                scope: &empty,
                files,
                stack_dir: &config.dir,
            };
            match eval(&default.expr, &ctx) {
                Ok(value) => {
                    values.insert(variable.name.clone(), (value, default.span()));
                }
                Err(diag) => diags.push(diag),
            }
        }
    }

    // Environment values are ordered before files and flags.
    let mut ordered: Vec<&VarInput> = inputs
        .iter()
        .filter(|i| matches!(i, VarInput::Env { .. }))
        .collect();
    ordered.extend(inputs.iter().filter(|i| !matches!(i, VarInput::Env { .. })));
    for input in ordered {
        match input {
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
                    diags.push(
                        Diagnostic::error(format!("Value for undeclared variable {name:?}"))
                            .with_hint(format!(
                                "declare it in the stack with `variable \"{name}\" {{}}`"
                            )),
                    );
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
                let file = config.sources.add(path.clone(), text.clone());
                read_var_file(config, file, text, files, &mut values, &mut diags);
            }
        }
    }

    let mut resolved = BTreeMap::new();
    for variable in &config.variables {
        match values.remove(&variable.name) {
            Some((value, span)) => {
                let ty = variable.ty.clone().unwrap_or(Type::Any);
                match ty.convert(value) {
                    Ok(v) => {
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
    };
    eval(&expr, &ctx).map_err(|d| d.summary)
}

fn read_var_file(
    config: &Config,
    file: FileId,
    text: &str,
    files: &dyn FileReader,
    values: &mut BTreeMap<String, (Value, Option<Span>)>,
    diags: &mut Diagnostics,
) {
    let body = match hcl_edit::parser::parse_body(text) {
        Ok(body) => body,
        Err(err) => {
            let loc = err.location();
            let offset = config.sources.offset_of(file, loc.line(), loc.column());
            diags.push(
                Diagnostic::error(format!("Invalid syntax: {}", err.message()))
                    .with_span(Some(Span::new(file, offset..offset + 1))),
            );
            return;
        }
    };
    let empty: BTreeMap<String, Value> = BTreeMap::new();
    for structure in body.iter() {
        match structure {
            Structure::Attribute(attr) => {
                let name = attr.key.as_str();
                let key_span = attr.key.span().map(|r| Span::new(file, r));
                if config.variable(name).is_none() {
                    diags.push(
                        Diagnostic::warning(format!("Value for undeclared variable {name:?}"))
                            .with_span(key_span)
                            .with_detail(
                                "the stack declares no such variable; the value is ignored",
                            ),
                    );
                    continue;
                }
                let ctx = EvalContext {
                    file,
                    scope: &empty,
                    files,
                    stack_dir: &config.dir,
                };
                match eval(&attr.value, &ctx) {
                    Ok(value) => {
                        values.insert(
                            name.to_string(),
                            (value, attr.value.span().map(|r| Span::new(file, r))),
                        );
                    }
                    Err(diag) => diags.push(diag),
                }
            }
            Structure::Block(block) => diags.push(
                Diagnostic::error("Blocks are not allowed in a variables file")
                    .with_span(block.ident.span().map(|r| Span::new(file, r))),
            ),
        }
    }
}
