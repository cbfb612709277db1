//! Evaluating a resource's arguments and nested blocks against its schema.

use hcl_edit::Span as _;
use hcl_edit::structure::{Body, Structure};

use super::eval::{EvalContext, eval};
use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::provider::schema::{Schema, Type};
use crate::value::{Attrs, Value};

/// Evaluates every argument (converted to its schema type) and nested block
/// (as a list of objects). Arguments not written are absent. All problems are
/// collected.
pub fn eval_body(
    body: &Body,
    schema: &Schema,
    ctx: &EvalContext<'_>,
) -> Result<Attrs, Diagnostics> {
    let mut diags = Diagnostics::default();
    let mut out = Attrs::new();
    for structure in body.iter() {
        match structure {
            Structure::Attribute(attr) => {
                let name = attr.key.as_str();
                let Some(attr_schema) = schema.attribute(name) else {
                    continue; // reported by the loader
                };
                match eval(&attr.value, ctx) {
                    Ok(value) => {
                        // A single value where a list is wanted: show it in brackets.
                        let bracketed = match (&attr_schema.ty, &value) {
                            (
                                Type::List(_) | Type::Set(_),
                                Value::String(_) | Value::Number(_) | Value::Bool(_),
                            ) => Some(format!("write a list: [{value}]")),
                            _ => None,
                        };
                        match attr_schema.ty.convert(value) {
                            Ok(converted) => {
                                out.insert(name.to_string(), converted);
                            }
                            Err(message) => {
                                let mut diag = Diagnostic::error(format!(
                                    "Inappropriate value for argument {name:?}"
                                ))
                                .with_detail(message)
                                .with_span(attr.value.span().map(|r| Span::new(ctx.file, r)));
                                if let Some(hint) = bracketed {
                                    diag = diag.with_hint(hint);
                                }
                                diags.push(diag);
                            }
                        }
                    }
                    Err(diag) => diags.push(diag),
                }
            }
            Structure::Block(block) => {
                let name = block.ident.as_str();
                let Some(block_schema) = schema.block(name) else {
                    continue; // reported by the loader
                };
                match eval_body(&block.body, &block_schema.schema, ctx) {
                    Ok(item) => {
                        let entry = out
                            .entry(name.to_string())
                            .or_insert_with(|| Value::List(Vec::new()));
                        if let Value::List(items) = entry {
                            items.push(Value::Map(item));
                        }
                    }
                    Err(nested) => diags.extend(nested),
                }
            }
        }
    }
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok(out)
    }
}
