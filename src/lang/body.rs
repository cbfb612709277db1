//! Evaluating a resource's arguments and nested blocks against its schema,
//! including `dynamic` blocks, which generate nested blocks from a
//! collection.

use std::collections::BTreeMap;

use hcl_edit::Span as _;
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Attribute, Block, Body, Structure};

use super::eval::{ChainedScope, EvalContext, eval};
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
                    if let Some(block) = schema.block(name).filter(|b| b.attribute_syntax) {
                        match eval_blocks_argument(
                            attr,
                            &block.schema,
                            &block.attribute_type(),
                            ctx,
                        ) {
                            Ok(Value::Null) => {}
                            Ok(value) => {
                                out.insert(name.to_string(), value);
                            }
                            Err(diag) => diags.push(diag),
                        }
                    }
                    continue; // anything else is reported by the loader
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
            Structure::Block(block) if block.ident.as_str() == "dynamic" => {
                let Some(dynamic) = Dynamic::read(block) else {
                    continue; // reported by the loader
                };
                let Some(block_schema) = schema.block(dynamic.target) else {
                    continue;
                };
                match eval_dynamic(&dynamic, &block_schema.schema, ctx) {
                    Ok(Value::List(generated)) => {
                        let entry = out
                            .entry(dynamic.target.to_string())
                            .or_insert_with(|| Value::List(Vec::new().into()));
                        if let Value::List(items) = entry {
                            items.extend(generated);
                        }
                    }
                    // The collection is not known yet: neither are the blocks.
                    Ok(other) => {
                        out.insert(dynamic.target.to_string(), other);
                    }
                    Err(nested) => diags.extend(nested),
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
                            .or_insert_with(|| Value::List(Vec::new().into()));
                        if let Value::List(items) = entry {
                            items.push(Value::Map(item.into()));
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

/// Blocks written as one argument (`ingress = [{ ... }]`, a block type with
/// `attribute_syntax`): a list of objects, each key one of the block's
/// arguments. A key the block does not have is an error, not dropped.
fn eval_blocks_argument(
    attr: &Attribute,
    schema: &Schema,
    ty: &Type,
    ctx: &EvalContext<'_>,
) -> Result<Value, Diagnostic> {
    let name = attr.key.as_str();
    let span = attr.value.span().map(|r| Span::new(ctx.file, r));
    let value = eval(&attr.value, ctx)?;
    let inappropriate = |detail: String| {
        Diagnostic::error(format!("Inappropriate value for argument {name:?}"))
            .with_detail(detail)
            .with_span(span.clone())
    };
    if let Value::Map(_) = &value {
        return Err(inappropriate(format!(
            "a list of {name} objects is required, but got one object"
        ))
        .with_hint(format!(
            "write it as a block, `{name} {{ ... }}`, or as a list, `{name} = [{{ ... }}]`"
        )));
    }
    if let Value::List(items) = &value {
        for item in items {
            let Value::Map(keys) = item else { continue };
            if let Some(unknown) = keys
                .keys()
                .find(|k| schema.attribute(k).is_none_or(|a| !a.user_settable()))
            {
                let close = crate::diag::did_you_mean(unknown, &schema.settable_names());
                let mut diag =
                    inappropriate(format!("{unknown:?} is not an argument of a {name} block"));
                if let Some(close) = close {
                    diag = diag.with_hint(format!("did you mean {close:?}?"));
                }
                return Err(diag);
            }
        }
    }
    ty.convert(value).map_err(inappropriate)
}

/// A `dynamic "NAME" { for_each = ..., iterator = ..., content { ... } }`
/// block, as written.
pub struct Dynamic<'a> {
    /// The nested block type it generates.
    pub target: &'a str,
    pub for_each: Option<&'a Attribute>,
    /// The name `content` uses for the current element: `iterator`, or the
    /// block type's name.
    pub iterator: String,
    pub content: Option<&'a Block>,
}

impl<'a> Dynamic<'a> {
    /// The parts of a `dynamic` block; `None` when it does not have exactly
    /// one label (the loader reports that).
    pub fn read(block: &'a Block) -> Option<Dynamic<'a>> {
        let [label] = block.labels.as_slice() else {
            return None;
        };
        let target = label.as_str();
        let iterator = match block.body.get_attribute("iterator").map(|a| &a.value) {
            Some(Expression::Variable(name)) => name.as_str().to_string(),
            _ => target.to_string(),
        };
        Some(Dynamic {
            target,
            for_each: block.body.get_attribute("for_each"),
            iterator,
            content: block.body.get_blocks("content").next(),
        })
    }
}

/// The blocks a `dynamic` block generates, as a list of objects; unknown
/// when its collection is not known yet.
fn eval_dynamic(
    dynamic: &Dynamic<'_>,
    schema: &Schema,
    ctx: &EvalContext<'_>,
) -> Result<Value, Diagnostics> {
    let (Some(for_each), Some(content)) = (dynamic.for_each, dynamic.content) else {
        return Ok(Value::List(Vec::new().into())); // reported by the loader
    };
    let span = |range: Option<std::ops::Range<usize>>| range.map(|r| Span::new(ctx.file, r));
    let elements: Vec<(Value, Value)> = match eval(&for_each.value, ctx)? {
        Value::Unknown => return Ok(Value::Unknown),
        Value::Null => Vec::new(),
        Value::List(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| (Value::from(i as i64), v))
            .collect(),
        Value::Map(map) => map
            .into_iter()
            .map(|(k, v)| (Value::string(k), v))
            .collect(),
        other => {
            return Err(Diagnostic::error("Invalid dynamic for_each value")
                .with_detail(format!(
                    "for_each takes a list, set or map, not a {}",
                    other.type_name()
                ))
                .with_span(span(for_each.value.span()))
                .into());
        }
    };
    let mut generated = Vec::new();
    let mut diags = Diagnostics::default();
    for (key, value) in elements {
        let scope = ChainedScope {
            bindings: BTreeMap::from([(
                dynamic.iterator.clone(),
                Value::Map(
                    Attrs::from([("key".to_string(), key), ("value".to_string(), value)]).into(),
                ),
            )]),
            parent: Some(ctx.scope),
        };
        match eval_body(&content.body, schema, &ctx.with_scope(&scope)) {
            Ok(item) => generated.push(Value::Map(item.into())),
            Err(nested) => diags.extend(nested),
        }
    }
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok(Value::List(generated.into()))
    }
}
