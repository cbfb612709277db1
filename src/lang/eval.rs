//! Expression evaluation: HCL expressions (from hcl-edit) to [`Value`]s.
//!
//! Pure: names resolve through a [`Scope`] supplied by the caller, and the only
//! file access (`file()`) goes through the caller's [`FileReader`]. Values not
//! known until apply propagate as [`Value::Unknown`]. Semantics follow
//! Terraform's: the same conversions between primitives, the same splat and
//! `for` rules, and diagnostics with Terraform's summaries, each pointing at
//! the most precise failing sub-expression. Built-in functions live in
//! [`super::functions`]; this module must not grow function-specific logic.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use hcl_edit::Span as _;
use hcl_edit::expr::{
    BinaryOp, BinaryOperator, Conditional, Expression, ForExpr, Object, ObjectKey, Traversal,
    TraversalOperator, UnaryOp, UnaryOperator,
};
use hcl_edit::template::{Directive, Element, ForDirective, IfDirective, StringTemplate, Template};
use hcl_edit::{Decorated, Ident};

use super::functions;
use crate::diag::did_you_mean;
use crate::diag::{Diagnostic, FileId, Span};
use crate::number::{NotANumber, Number};
use crate::value::{Attrs, Elements, ListKind, MapKind, Value};

/// Resolves the root names of references: `var`, `local`, `data`, `count`,
/// `each`, `path`, and resource type names such as `aws_vpc`. A resource type
/// name resolves to a map from resource name to the resource's value (an
/// object, or a list/map of objects with `count`/`for_each`).
pub trait Scope {
    fn lookup(&self, root: &str) -> Option<&Value>;

    /// The names this scope resolves, for did-you-mean hints. Scopes that
    /// cannot list their names may leave this empty.
    fn names(&self) -> Vec<&str> {
        Vec::new()
    }
}

impl Scope for BTreeMap<String, Value> {
    fn lookup(&self, root: &str) -> Option<&Value> {
        self.get(root)
    }

    fn names(&self) -> Vec<&str> {
        self.keys().map(String::as_str).collect()
    }
}

/// Bindings that shadow an outer scope: the iteration variables of `for`
/// expressions and template directives. Without a parent, only the bindings
/// are visible (as for `templatefile`'s variables).
pub struct ChainedScope<'a> {
    pub bindings: BTreeMap<String, Value>,
    pub parent: Option<&'a dyn Scope>,
}

impl Scope for ChainedScope<'_> {
    fn lookup(&self, root: &str) -> Option<&Value> {
        self.bindings
            .get(root)
            .or_else(|| self.parent.and_then(|parent| parent.lookup(root)))
    }

    fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.bindings.keys().map(String::as_str).collect();
        if let Some(parent) = self.parent {
            names.extend(parent.names());
        }
        names
    }
}

/// Reads files for the `file()` function; relative paths are relative to the
/// stack directory.
pub trait FileReader {
    fn read_to_string(&self, path: &Path) -> std::io::Result<String>;

    /// A file's bytes, for the functions that hash or encode them. Readers
    /// of text alone give the text's bytes.
    fn read_bytes(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        self.read_to_string(path).map(String::into_bytes)
    }

    /// Every regular file under `dir`, as paths relative to it with `/`
    /// between parts (for `fileset`).
    fn list_files(&self, dir: &Path) -> std::io::Result<Vec<std::path::PathBuf>> {
        let _ = dir;
        Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            "listing files is not available here",
        ))
    }

    /// The user's home directory, for `pathexpand`.
    fn home_dir(&self) -> Option<std::path::PathBuf> {
        None
    }
}

/// The times `timestamp()` and `plantimestamp()` return, in seconds since
/// the Unix epoch. `ops` reads the clock; `lang` only carries its readings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Clock {
    /// The plan's own time; `None` while validating, when
    /// `plantimestamp()` is unknown.
    pub plan: Option<i64>,
    /// The time of this run, while applying and in the console; `None`
    /// while planning, when `timestamp()` is unknown (as in Terraform).
    pub now: Option<i64>,
}

#[derive(Clone, Copy)]
pub struct EvalContext<'a> {
    /// The file the expression came from, for diagnostic spans.
    pub file: FileId,
    pub scope: &'a dyn Scope,
    pub files: &'a dyn FileReader,
    /// The stack directory: `path.module` and the base of relative `file()` paths.
    pub stack_dir: &'a Path,
    pub clock: Clock,
}

impl<'a> EvalContext<'a> {
    /// The same context with names resolved through another scope.
    pub fn with_scope<'b>(&self, scope: &'b dyn Scope) -> EvalContext<'b>
    where
        'a: 'b,
    {
        EvalContext { scope, ..*self }
    }

    /// A diagnostic located at a byte range of this context's file.
    pub fn error(&self, summary: impl Into<String>, range: Option<Range<usize>>) -> Diagnostic {
        Diagnostic::error(summary).with_span(range.map(|r| Span::new(self.file, r)))
    }
}

/// Evaluates an expression. Errors carry the span of the failing sub-expression.
pub fn eval(expr: &Expression, ctx: &EvalContext<'_>) -> Result<Value, Diagnostic> {
    match expr {
        Expression::Null(_) => Ok(Value::Null),
        Expression::Bool(b) => Ok(Value::Bool(*b.value())),
        Expression::Number(n) => literal_number(n).map(Value::Number).ok_or_else(|| {
            ctx.error("Invalid number literal", expr.span())
                .with_detail("The number is too large to be represented.")
        }),
        Expression::String(s) => Ok(Value::String(s.value().clone())),
        Expression::Array(items) => items
            .iter()
            .map(|item| eval(item, ctx))
            .collect::<Result<Elements, _>>()
            .map(Value::List),
        Expression::Object(object) => eval_object(object, ctx),
        Expression::StringTemplate(template) => eval_string_template(template, ctx),
        Expression::HeredocTemplate(heredoc) => render(&heredoc.template, ctx),
        Expression::Parenthesis(inner) => eval(inner.inner(), ctx),
        Expression::Variable(name) => lookup_root(name, ctx),
        Expression::Conditional(cond) => eval_conditional(cond, ctx),
        Expression::FuncCall(call) => functions::call(call, ctx),
        Expression::Traversal(traversal) => eval_traversal(traversal, ctx),
        Expression::UnaryOp(op) => eval_unary(op, ctx),
        Expression::BinaryOp(op) => eval_binary(op, ctx),
        Expression::ForExpr(for_expr) => eval_for(for_expr, ctx),
    }
}

fn lookup_root(name: &Decorated<Ident>, ctx: &EvalContext<'_>) -> Result<Value, Diagnostic> {
    let name_str = name.as_str();
    if let Some(value) = ctx.scope.lookup(name_str) {
        return Ok(value.clone());
    }
    let diag = ctx
        .error("Unknown reference", name.span())
        .with_detail(format!(
            "There is no variable or object named {name_str:?} here."
        ));
    Err(match did_you_mean(name_str, &ctx.scope.names()) {
        Some(close) => diag.with_hint(format!("did you mean {close:?}?")),
        None => diag,
    })
}

// ---------------------------------------------------------------------------
// Conversions between primitive types, shared with the built-in functions.

/// A number literal, read from its source text with 512 bits as Terraform
/// reads it (`-0` stays negative zero).
pub(crate) fn literal_number(literal: &hcl_edit::Formatted<hcl_edit::Number>) -> Option<Number> {
    match literal.as_repr() {
        // The parser folds a minus into the literal, with any space after it.
        Some(repr) => Number::parse(&repr.split_whitespace().collect::<String>()),
        None => Number::parse(&literal.value().to_string()),
    }
}

/// A number, or a string that is the decimal form of one (Terraform converts
/// these implicitly).
pub(crate) fn to_number(value: &Value) -> Option<Number> {
    match value {
        Value::Number(n) => Some(n.clone()),
        Value::String(s) => Number::parse(s),
        _ => None,
    }
}

/// A bool, or the string `"true"` or `"false"`.
pub(crate) fn to_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s == "true" => Some(true),
        Value::String(s) if s == "false" => Some(false),
        _ => None,
    }
}

/// The keys of a map for a message: up to a few, quoted, and how many more.
pub(crate) fn list_keys(map: &Attrs) -> String {
    const SHOWN: usize = 5;
    if map.is_empty() {
        return "it has none".to_string();
    }
    let mut shown: Vec<String> = map.keys().take(SHOWN).map(|k| format!("{k:?}")).collect();
    if map.len() > SHOWN {
        shown.push(format!("and {} more", map.len() - SHOWN));
    }
    format!("available: {}", shown.join(", "))
}

fn hint_close_key(diag: Diagnostic, key: &str, map: &Attrs) -> Diagnostic {
    let keys: Vec<&str> = map.keys().map(String::as_str).collect();
    match did_you_mean(key, &keys) {
        Some(close) => diag.with_hint(format!("did you mean {close:?}?")),
        None => diag,
    }
}

/// Evaluates a rule's condition and, when it is false, its error message
/// (variable validations, `check` assertions, preconditions): `Ok(None)`
/// when it holds or is not known yet, `Ok(Some(message))` when it fails, an
/// error when it cannot be evaluated or is not a bool. A message built from
/// sensitive values is not shown.
pub(crate) fn evaluate_rule(
    condition: &super::config::Expr,
    error_message: &super::config::Expr,
    ctx: &EvalContext<'_>,
) -> Result<Option<String>, Diagnostic> {
    let (value, _) = eval(&condition.expr, ctx)?.unmark_deep();
    match value {
        Value::Bool(true) | Value::Unknown => return Ok(None),
        Value::Bool(false) => {}
        other => {
            return Err(Diagnostic::error("Invalid condition")
                .with_detail(format!("the condition must be true or false, not {other}"))
                .with_span(condition.span()));
        }
    }
    let message = match eval(&error_message.expr, ctx)? {
        Value::Sensitive(_) => "(the error message refers to sensitive values)".to_string(),
        Value::String(message) => message,
        other => other.to_string(),
    };
    Ok(Some(message))
}

/// An error about sensitive values keeps its summary and place, but not its
/// detail, which may quote the values.
pub(crate) fn hide_sensitive_detail(diag: Diagnostic) -> Diagnostic {
    Diagnostic {
        detail: Some("The values involved are sensitive, so the details are hidden.".into()),
        hint: None,
        ..diag
    }
}

// ---------------------------------------------------------------------------
// Objects.

fn eval_object(object: &Object, ctx: &EvalContext<'_>) -> Result<Value, Diagnostic> {
    let mut map = Attrs::new();
    let mut unknown = false;
    let mut sensitive_key = false;
    for (key, value) in object.iter() {
        let name = match key {
            ObjectKey::Ident(ident) => Some(ident.as_str().to_string()),
            // A bare name is a literal key, as in HCL; parenthesise to evaluate it.
            ObjectKey::Expression(Expression::Variable(ident)) => Some(ident.as_str().to_string()),
            ObjectKey::Expression(expr) => {
                let (key, marked) = eval(expr, ctx)?.unmark_deep();
                sensitive_key |= marked;
                object_key(key, expr, ctx)?
            }
        };
        let value = eval(value.expr(), ctx)?;
        let Some(name) = name else {
            unknown = true;
            continue;
        };
        if map.insert(name.clone(), value).is_some() {
            return Err(ctx
                .error("Duplicate object attribute", key.span())
                .with_detail(format!(
                    "The attribute {name:?} is defined more than once in this object."
                )));
        }
    }
    Ok(if unknown {
        Value::Unknown
    } else {
        Value::Map(map.into()).mark_if(sensitive_key)
    })
}

/// Converts an evaluated key to a string; `None` when it is unknown.
fn object_key(
    key: Value,
    expr: &Expression,
    ctx: &EvalContext<'_>,
) -> Result<Option<String>, Diagnostic> {
    match key {
        Value::Unknown => Ok(None),
        Value::Null => Err(ctx
            .error("Invalid object key", expr.span())
            .with_detail("An object key must not be null.")),
        other => match other.to_string_lossless() {
            Some(name) => Ok(Some(name)),
            None => Err(ctx
                .error("Invalid object key", expr.span())
                .with_detail(format!(
                    "An object key must be a string, got {}.",
                    other.type_name()
                ))),
        },
    }
}

// ---------------------------------------------------------------------------
// Templates.

/// A template that is only one interpolation, `"${x}"`, yields `x` itself,
/// unconverted, as in HCL.
fn eval_string_template(
    template: &StringTemplate,
    ctx: &EvalContext<'_>,
) -> Result<Value, Diagnostic> {
    if let Some(Element::Interpolation(interp)) = template.as_single_element() {
        return eval(&interp.expr, ctx);
    }
    render(template, ctx)
}

/// Renders a template to a string; unknown when any interpolated value is.
pub(crate) fn render(template: &Template, ctx: &EvalContext<'_>) -> Result<Value, Diagnostic> {
    let mut out = Rendered::default();
    render_into(template, false, false, ctx, &mut out)?;
    Ok(if out.unknown {
        Value::Unknown
    } else {
        Value::String(out.text).mark_if(out.sensitive)
    })
}

#[derive(Default)]
struct Rendered {
    text: String,
    unknown: bool,
    /// A sensitive value was interpolated or decided a directive.
    sensitive: bool,
}

/// Whether an element strips the whitespace before it (`~` after its opening
/// marker) and after it (`~` before its closing marker).
fn element_strips(element: &Element) -> (bool, bool) {
    match element {
        Element::Literal(_) => (false, false),
        Element::Interpolation(interp) => (interp.strip.strip_start(), interp.strip.strip_end()),
        Element::Directive(directive) => match directive.as_ref() {
            Directive::If(d) => (
                d.if_expr.strip.strip_start(),
                d.endif_expr.strip.strip_end(),
            ),
            Directive::For(d) => (
                d.for_expr.strip.strip_start(),
                d.endfor_expr.strip.strip_end(),
            ),
        },
    }
}

/// Renders `template`; `strip_first`/`strip_last` say whether the markers
/// around this (nested) template strip its leading/trailing whitespace.
fn render_into(
    template: &Template,
    strip_first: bool,
    strip_last: bool,
    ctx: &EvalContext<'_>,
    out: &mut Rendered,
) -> Result<(), Diagnostic> {
    let elements: Vec<&Element> = template.iter().collect();
    for (i, element) in elements.iter().enumerate() {
        match element {
            Element::Literal(literal) => {
                let strip_start = if i == 0 {
                    strip_first
                } else {
                    element_strips(elements[i - 1]).1
                };
                let strip_end = match elements.get(i + 1) {
                    Some(next) => element_strips(next).0,
                    None => strip_last,
                };
                let mut text: &str = literal.value();
                if strip_start {
                    text = text.trim_start();
                }
                if strip_end {
                    text = text.trim_end();
                }
                out.text.push_str(text);
            }
            Element::Interpolation(interp) => {
                let value = eval(&interp.expr, ctx)?;
                interpolate(value, &interp.expr, ctx, out)?;
                if out.text.len() > functions::MAX_STRING_BYTES {
                    return Err(ctx
                        .error("Template result too long", interp.expr.span())
                        .with_detail(format!(
                            "The rendered string would be longer than {} MiB, the most a string may hold.",
                            functions::MAX_STRING_BYTES / (1024 * 1024)
                        ))
                        .with_hint("a template that repeats a large value in a loop is almost always a mistake"));
                }
            }
            Element::Directive(directive) => match directive.as_ref() {
                Directive::If(d) => render_if(d, ctx, out)?,
                Directive::For(d) => render_for(d, ctx, out)?,
            },
        }
    }
    Ok(())
}

fn interpolate(
    value: Value,
    expr: &Expression,
    ctx: &EvalContext<'_>,
    out: &mut Rendered,
) -> Result<(), Diagnostic> {
    let (value, marked) = value.unmark_deep();
    out.sensitive |= marked;
    match value {
        Value::Unknown => out.unknown = true,
        Value::Null => {
            return Err(ctx
                .error("Invalid template interpolation value", expr.span())
                .with_detail("The expression result is null. Cannot include a null value in a string template."));
        }
        other => match other.to_string_lossless() {
            Some(text) => out.text.push_str(&text),
            None => {
                return Err(ctx
                    .error("Invalid template interpolation value", expr.span())
                    .with_detail(format!(
                        "Cannot include the given value in a string template: string required, got {}.",
                        other.type_name()
                    ))
                    .with_hint("use join() for a list or jsonencode() for a structure"));
            }
        },
    }
    Ok(())
}

fn render_if(
    directive: &IfDirective,
    ctx: &EvalContext<'_>,
    out: &mut Rendered,
) -> Result<(), Diagnostic> {
    let cond_expr = &directive.if_expr.cond_expr;
    let (value, marked) = eval(cond_expr, ctx)?.unmark_deep();
    out.sensitive |= marked;
    let Some(cond) = condition(value, cond_expr, ctx)? else {
        out.unknown = true;
        return Ok(());
    };
    let endif_strips_before = directive.endif_expr.strip.strip_start();
    if cond {
        let strip_last = match &directive.else_expr {
            Some(else_expr) => else_expr.strip.strip_start(),
            None => endif_strips_before,
        };
        render_into(
            &directive.if_expr.template,
            directive.if_expr.strip.strip_end(),
            strip_last,
            ctx,
            out,
        )
    } else if let Some(else_expr) = &directive.else_expr {
        render_into(
            &else_expr.template,
            else_expr.strip.strip_end(),
            endif_strips_before,
            ctx,
            out,
        )
    } else {
        Ok(())
    }
}

fn render_for(
    directive: &ForDirective,
    ctx: &EvalContext<'_>,
    out: &mut Rendered,
) -> Result<(), Diagnostic> {
    let intro = &directive.for_expr;
    let (collection, marked) = eval(&intro.collection_expr, ctx)?.unmark();
    out.sensitive |= marked;
    let Some(items) = iteration_items(collection, &intro.collection_expr, ctx)? else {
        out.unknown = true;
        return Ok(());
    };
    let strip_first = intro.strip.strip_end();
    let strip_last = directive.endfor_expr.strip.strip_start();
    let _budget = IterationBudget::enter();
    for (key, value) in items {
        IterationBudget::charge(&intro.collection_expr, ctx)?;
        let scope = iteration_scope(intro.key_var.as_ref(), &intro.value_var, key, value, ctx);
        render_into(
            &intro.template,
            strip_first,
            strip_last,
            &ctx.with_scope(&scope),
            out,
        )?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Conditionals and `for`.

/// How many iterations a `for` expression (or template directive) and those
/// nested in it may make, together: each level may be short, but nesting
/// multiplies them. Counted per outermost `for` on this thread.
pub const MAX_FOR_ITERATIONS: usize = 1_000_000;

thread_local! {
    /// (nesting depth, iterations so far) of the `for` being evaluated.
    static FOR_BUDGET: std::cell::Cell<(usize, usize)> = const { std::cell::Cell::new((0, 0)) };
}

/// Entered by each `for`; the outermost one starts a fresh count.
struct IterationBudget;

impl IterationBudget {
    fn enter() -> IterationBudget {
        FOR_BUDGET.with(|budget| {
            let (depth, used) = budget.get();
            budget.set((depth + 1, if depth == 0 { 0 } else { used }));
        });
        IterationBudget
    }

    fn charge(collection: &Expression, ctx: &EvalContext<'_>) -> Result<(), Diagnostic> {
        let used = FOR_BUDGET.with(|budget| {
            let (depth, used) = budget.get();
            budget.set((depth, used + 1));
            used + 1
        });
        if used > MAX_FOR_ITERATIONS {
            return Err(ctx
                .error("Too many iterations", collection.span())
                .with_detail(format!(
                    "This 'for' and the ones nested in it would iterate more than {MAX_FOR_ITERATIONS} times."
                ))
                .with_hint("nested loops multiply; a collection this large is almost always a mistake"));
        }
        Ok(())
    }
}

impl Drop for IterationBudget {
    fn drop(&mut self) {
        FOR_BUDGET.with(|budget| {
            let (depth, used) = budget.get();
            budget.set((depth.saturating_sub(1), used));
        });
    }
}

/// A condition's truth value; `None` when it is unknown.
fn condition(
    value: Value,
    expr: &Expression,
    ctx: &EvalContext<'_>,
) -> Result<Option<bool>, Diagnostic> {
    match value {
        Value::Unknown => Ok(None),
        Value::Null => Err(ctx
            .error("Null condition", expr.span())
            .with_detail("The condition value is null. Conditions must either be true or false.")),
        other => match to_bool(&other) {
            Some(b) => Ok(Some(b)),
            None => Err(ctx
                .error("Incorrect condition type", expr.span())
                .with_detail(format!(
                    "The condition expression must be of type bool, got {}.",
                    other.type_name()
                ))),
        },
    }
}

fn eval_conditional(cond: &Conditional, ctx: &EvalContext<'_>) -> Result<Value, Diagnostic> {
    // Only the chosen branch's errors count, so `x == null ? "" : x.id` works.
    let (value, marked) = eval(&cond.cond_expr, ctx)?.unmark_deep();
    let (chosen, other, taken) = match condition(value, &cond.cond_expr, ctx)? {
        None => return Ok(Value::Unknown.mark_if(marked)),
        Some(true) => (&cond.true_expr, &cond.false_expr, true),
        Some(false) => (&cond.false_expr, &cond.true_expr, false),
    };
    let mut chosen = eval(chosen, ctx)?;
    // As in Terraform, the result has the type both branches unify to: in
    // `cond ? var.tags : {}` the empty object is a map of strings. The
    // other branch is evaluated for its type only, and only when the one
    // taken is a tuple or an object; its errors are ignored, as
    // Terraform ignores them.
    let untyped = matches!(&chosen, Value::List(items) if items.kind == ListKind::Tuple)
        || matches!(&chosen, Value::Map(map) if map.kind == MapKind::Object);
    if untyped && let Ok(other) = eval(other, ctx) {
        chosen = take_collection_type(chosen, &other).map_err(|mismatch| {
            // Terraform words it as the 'true' value against the 'false' one.
            let detail = match mismatch {
                Mismatch::Lengths(chosen, other) => {
                    let (t, f) = if taken { (chosen, other) } else { (other, chosen) };
                    format!("The 'true' tuple has length {t}, but the 'false' tuple has length {f}.")
                }
                Mismatch::Attributes(chosen, other) => {
                    let (t, f) = if taken { (chosen, other) } else { (other, chosen) };
                    let absent = |a: &[String], b: &[String]| a.iter().find(|k| !b.contains(k)).cloned();
                    match absent(&t, &f) {
                        Some(name) => format!("The 'true' value includes object attribute {name:?}, which is absent in the 'false' value."),
                        None => format!(
                            "The 'false' value includes object attribute {:?}, which is absent in the 'true' value.",
                            absent(&f, &t).unwrap_or_default()
                        ),
                    }
                }
            };
            ctx.error("Inconsistent conditional result types", cond.span())
                .with_detail(format!(
                    "The true and false result expressions must have consistent types. {detail}"
                ))
        })?;
    }
    // Which branch was taken tells something about a sensitive condition.
    Ok(chosen.mark_if(marked))
}

/// The common cases of Terraform's type unification of a conditional's
/// branches, for the tuple or object `value` taken against the `typed`
/// one not taken: a list, set or map when `typed` is one and every element
/// of `value` is of its element type (always, when `value` is empty); a
/// list or map when both are tuples of different lengths, or objects of
/// different attributes, whose elements are all of one type.
///
/// Tuples of different lengths and objects of different attributes with
/// no common element type cannot unify.
fn take_collection_type(value: Value, typed: &Value) -> Result<Value, Mismatch> {
    use super::functions::{element_type_name, map_element_type_name};
    let typed = match typed {
        Value::Sensitive(inner) => inner.as_ref(),
        other => other,
    };
    match (value, typed) {
        (Value::List(mut items), Value::List(like)) if like.kind != ListKind::Tuple => {
            let element = element_type_name(like.iter(), &like.element);
            if !all_of_type(items.iter(), &element) {
                return Ok(Value::List(items));
            }
            items.kind = ListKind::List;
            items.element = Some(element.into());
            let list = Value::List(items);
            Ok(if like.kind == ListKind::Set {
                list.into_set()
            } else {
                list
            })
        }
        (Value::Map(mut map), Value::Map(like)) if like.kind == MapKind::Map => {
            let element = map_element_type_name(like);
            if all_of_type(map.values(), &element) {
                map.kind = MapKind::Map;
                map.element = Some(element.into());
            }
            Ok(Value::Map(map))
        }
        (Value::List(mut items), Value::List(like)) if items.len() != like.len() => {
            let element = match one_element_type(items.iter().chain(like.iter())) {
                Unified::To(element) => element,
                Unified::Untold => return Ok(Value::List(items)),
                Unified::Conflict => return Err(Mismatch::Lengths(items.len(), like.len())),
            };
            convert_primitives(items.iter_mut(), &element);
            items.kind = ListKind::List;
            items.element = Some(element.into());
            Ok(Value::List(items))
        }
        (Value::Map(mut map), Value::Map(like)) if map.keys().ne(like.keys()) => {
            let element = match one_element_type(map.values().chain(like.values())) {
                Unified::To(element) => element,
                Unified::Untold => return Ok(Value::Map(map)),
                Unified::Conflict => {
                    return Err(Mismatch::Attributes(
                        map.keys().cloned().collect(),
                        like.keys().cloned().collect(),
                    ));
                }
            };
            convert_primitives(map.values_mut(), &element);
            map.kind = MapKind::Map;
            map.element = Some(element.into());
            Ok(Value::Map(map))
        }
        (value, _) => Ok(value),
    }
}

/// Why a conditional's branches cannot unify, of the branch taken and the
/// other: tuple lengths, or object attribute names.
enum Mismatch {
    Lengths(usize, usize),
    Attributes(Vec<String>, Vec<String>),
}

/// What the elements of two branches unify to.
enum Unified {
    /// One type: the elements' own, or strings for strings, numbers and
    /// bools together (numbers and bools alone do not unify).
    To(String),
    /// Not told here: no element's type is known (all null or unknown), an
    /// unknown element may be of any type, or the elements are collections
    /// (whose deep unification is not done). The value is left as it is.
    Untold,
    /// Certainly different types, as Terraform refuses them.
    Conflict,
}

/// What the elements of both branches unify to (see [`Unified`]).
fn one_element_type<'v>(elements: impl Iterator<Item = &'v Value>) -> Unified {
    let mut unknown = false;
    let mut names = std::collections::BTreeSet::new();
    for element in elements {
        match element {
            Value::Null => {}
            Value::Unknown => unknown = true,
            known => {
                names.insert(super::functions::conversion_type_name(known));
            }
        }
    }
    let primitive = |name: &String| matches!(name.as_str(), "string" | "number" | "bool");
    if names.len() == 1 {
        return Unified::To(names.into_iter().next().unwrap_or_default());
    }
    if names.contains("string") && names.iter().all(primitive) {
        return Unified::To("string".into());
    }
    if unknown || names.is_empty() || !names.iter().any(primitive) {
        return Unified::Untold;
    }
    Unified::Conflict
}

/// Whether every element that is not null is of the type named `element`.
fn all_of_type<'v>(mut elements: impl Iterator<Item = &'v Value>, element: &str) -> bool {
    elements.all(|item| item.is_null() || super::functions::conversion_type_name(item) == element)
}

/// Elements unified to strings: each number or bool becomes the string
/// Terraform converts it to. Other element types are left as they are.
fn convert_primitives<'v>(elements: impl Iterator<Item = &'v mut Value>, element: &str) {
    if element != "string" {
        return;
    }
    for value in elements {
        if let Value::Number(_) | Value::Bool(_) = value {
            *value = Value::String(value.to_string_lossless().unwrap_or_default());
        }
    }
}

/// The (key, value) pairs a `for` iterates over: index and element of a list,
/// key and value of a map. `None` when the collection is unknown.
fn iteration_items(
    collection: Value,
    expr: &Expression,
    ctx: &EvalContext<'_>,
) -> Result<Option<Vec<(Value, Value)>>, Diagnostic> {
    match collection {
        Value::Unknown => Ok(None),
        Value::List(items) => Ok(Some(
            items
                .into_iter()
                .enumerate()
                .map(|(i, v)| (Value::from(i), v))
                .collect(),
        )),
        Value::Map(map) => Ok(Some(
            map.into_iter()
                .map(|(k, v)| (Value::String(k), v))
                .collect(),
        )),
        Value::Null => Err(ctx
            .error("Iteration over null value", expr.span())
            .with_detail("A null value cannot be used as the collection in a 'for' expression.")),
        other => Err(ctx
            .error("Iteration over non-iterable value", expr.span())
            .with_detail(format!(
                "A value of type {} cannot be used as the collection in a 'for' expression.",
                other.type_name()
            ))),
    }
}

fn iteration_scope<'a>(
    key_var: Option<&Decorated<Ident>>,
    value_var: &Decorated<Ident>,
    key: Value,
    value: Value,
    ctx: &EvalContext<'a>,
) -> ChainedScope<'a> {
    let mut bindings = BTreeMap::new();
    if let Some(key_var) = key_var {
        bindings.insert(key_var.as_str().to_string(), key);
    }
    bindings.insert(value_var.as_str().to_string(), value);
    ChainedScope {
        bindings,
        parent: Some(ctx.scope),
    }
}

fn eval_for(for_expr: &ForExpr, ctx: &EvalContext<'_>) -> Result<Value, Diagnostic> {
    let intro = &for_expr.intro;
    if let Some(key_var) = &intro.key_var
        && key_var.as_str() == intro.value_var.as_str()
    {
        return Err(ctx
            .error("Invalid 'for' expression", intro.value_var.span())
            .with_detail("The key and value variables must have different names."));
    }
    if for_expr.grouping && for_expr.key_expr.is_none() {
        return Err(ctx
            .error("Invalid 'for' expression", for_expr.value_expr.span())
            .with_detail("Grouping with '...' is only allowed in a 'for' expression that produces an object."));
    }
    // Elements keep their own marks; a mark on the whole collection (or on
    // a key or condition) marks the result.
    let (collection, mut sensitive) = eval(&intro.collection_expr, ctx)?.unmark();
    let Some(items) = iteration_items(collection, &intro.collection_expr, ctx)? else {
        return Ok(Value::Unknown);
    };
    let mut list = Vec::new();
    let mut map = Attrs::new();
    let mut groups: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut unknown = false;
    let _budget = IterationBudget::enter();
    for (key, value) in items {
        IterationBudget::charge(&intro.collection_expr, ctx)?;
        let scope = iteration_scope(intro.key_var.as_ref(), &intro.value_var, key, value, ctx);
        let inner = ctx.with_scope(&scope);
        if let Some(cond) = &for_expr.cond {
            let (value, marked) = eval(&cond.expr, &inner)?.unmark_deep();
            sensitive |= marked;
            match condition(value, &cond.expr, ctx)? {
                Some(true) => {}
                Some(false) => continue,
                None => {
                    unknown = true;
                    continue;
                }
            }
        }
        let Some(key_expr) = &for_expr.key_expr else {
            list.push(eval(&for_expr.value_expr, &inner)?);
            continue;
        };
        let (key, marked) = eval(key_expr, &inner)?.unmark_deep();
        sensitive |= marked;
        let key = object_key(key, key_expr, ctx)?;
        let value = eval(&for_expr.value_expr, &inner)?;
        let Some(key) = key else {
            unknown = true;
            continue;
        };
        if for_expr.grouping {
            groups.entry(key).or_default().push(value);
            continue;
        }
        match map.entry(key) {
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert(value);
            }
            std::collections::btree_map::Entry::Occupied(slot) => {
                return Err(ctx
                    .error("Duplicate object key", key_expr.span())
                    .with_detail(format!(
                        "Two different items produced the key {:?} in this 'for' expression.",
                        slot.key()
                    ))
                    .with_hint("if duplicates are expected, add '...' after the value expression to group them by key"));
            }
        }
    }
    if unknown {
        return Ok(Value::Unknown);
    }
    let result = match &for_expr.key_expr {
        None => Value::List(list.into()),
        Some(_) if for_expr.grouping => Value::Map(
            groups
                .into_iter()
                .map(|(k, v)| (k, Value::List(v.into())))
                .collect(),
        ),
        Some(_) => Value::Map(map.into()),
    };
    Ok(result.mark_if(sensitive))
}

// ---------------------------------------------------------------------------
// Traversals: attributes, indices and splats.

type Operator = Decorated<TraversalOperator>;

fn eval_traversal(traversal: &Traversal, ctx: &EvalContext<'_>) -> Result<Value, Diagnostic> {
    // `aws_subnet.s[3].id` must not copy every subnet: attribute and index
    // steps walk the named value in place, and only what they reach is
    // copied. Anything else (splats, marks, unknowns, a missing key) goes
    // the general way from that step on, with its messages.
    if let Expression::Variable(name) = &traversal.expr
        && let Some(root) = ctx.scope.lookup(name.as_str())
    {
        let operators = &traversal.operators;
        let mut current = root;
        let mut step = 0;
        while let Some(operator) = operators.get(step) {
            let next = match operator.value() {
                TraversalOperator::GetAttr(attr) => match current {
                    Value::Map(map) => map.get(attr.as_str()),
                    _ => None,
                },
                TraversalOperator::Index(key_expr) => {
                    borrowed_index(current, &eval(key_expr, ctx)?)
                }
                TraversalOperator::LegacyIndex(n) => {
                    borrowed_index(current, &Value::from(*n.value()))
                }
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => None,
            };
            match next {
                Some(found) => {
                    current = found;
                    step += 1;
                }
                None => break,
            }
        }
        return apply_operators(current.clone(), &operators[step..], ctx);
    }
    let base = eval(&traversal.expr, ctx)?;
    apply_operators(base, &traversal.operators, ctx)
}

/// An element of a plain list or map, found without copying it; `None`
/// whenever [`index`] has more to do (marks, unknowns, conversions of odd
/// keys, errors).
fn borrowed_index<'v>(value: &'v Value, key: &Value) -> Option<&'v Value> {
    match (value, key) {
        (Value::List(items), Value::Number(_)) => items.get(key.as_index()?),
        (Value::Map(map), Value::String(name)) => map.get(name),
        _ => None,
    }
}

fn apply_operators(
    mut value: Value,
    operators: &[Operator],
    ctx: &EvalContext<'_>,
) -> Result<Value, Diagnostic> {
    let mut i = 0;
    while i < operators.len() {
        let operator = &operators[i];
        match operator.value() {
            TraversalOperator::AttrSplat(_) => {
                // `.*` applies only the attribute accesses right after it to
                // each element; later operators apply to the resulting list.
                let rest = &operators[i + 1..];
                let attrs = rest
                    .iter()
                    .take_while(|op| matches!(op.value(), TraversalOperator::GetAttr(_)))
                    .count();
                value = splat(value, &rest[..attrs], ctx)?;
                i += 1 + attrs;
                continue;
            }
            // `[*]` applies every remaining operator to each element.
            TraversalOperator::FullSplat(_) => return splat(value, &operators[i + 1..], ctx),
            TraversalOperator::GetAttr(name) => {
                value = get_attr(value, name.as_str(), name.span(), ctx)?;
            }
            TraversalOperator::Index(key_expr) => {
                let key = eval(key_expr, ctx)?;
                value = index(value, &key, key_expr.span(), ctx)?;
            }
            TraversalOperator::LegacyIndex(n) => {
                value = index(value, &Value::from(*n.value()), operator.span(), ctx)?;
            }
        }
        i += 1;
    }
    Ok(value)
}

fn splat(value: Value, operators: &[Operator], ctx: &EvalContext<'_>) -> Result<Value, Diagnostic> {
    if let Value::Sensitive(inner) = value {
        return splat(*inner, operators, ctx).map(Value::mark);
    }
    // A list's or a set's splat is a list (of what the operators give);
    // anything else's is a tuple.
    let (items, kind) = match value {
        Value::Unknown => return Ok(Value::Unknown),
        Value::Null => (Vec::new(), ListKind::Tuple),
        Value::List(items) => {
            let kind = match items.kind {
                ListKind::Tuple => ListKind::Tuple,
                ListKind::List | ListKind::Set => ListKind::List,
            };
            (items.into_vec(), kind)
        }
        single => (vec![single], ListKind::Tuple),
    };
    items
        .into_iter()
        .map(|item| apply_operators(item, operators, ctx))
        .collect::<Result<Vec<_>, _>>()
        .map(|items| Value::List(Elements::new(items, kind)))
}

fn get_attr(
    value: Value,
    name: &str,
    span: Option<Range<usize>>,
    ctx: &EvalContext<'_>,
) -> Result<Value, Diagnostic> {
    match value {
        // What is inside a sensitive value is sensitive.
        Value::Sensitive(inner) => get_attr(*inner, name, span, ctx).map(Value::mark),
        Value::Unknown => Ok(Value::Unknown),
        Value::Map(mut map) => match map.remove(name) {
            Some(found) => Ok(found),
            None => {
                let diag = ctx.error("Unsupported attribute", span).with_detail(format!(
                    "This object does not have an attribute named {name:?} ({}).",
                    list_keys(&map)
                ));
                Err(hint_close_key(diag, name, &map))
            }
        },
        Value::Null => Err(ctx
            .error("Attempt to get attribute from null value", span)
            .with_detail(format!("This value is null, so it does not have an attribute named {name:?}."))),
        Value::List(_) => Err(ctx
            .error("Unsupported attribute", span)
            .with_detail(format!(
                "Can't access attributes on a list of objects. Did you mean to access attribute {name:?} for a specific element of the list, or across all elements of the list?"
            ))
            .with_hint(format!("use `[0].{name}` for one element or `[*].{name}` for all of them"))),
        other => Err(ctx.error("Unsupported attribute", span).with_detail(format!(
            "Can't access attributes on a primitive-typed value ({}).",
            other.type_name()
        ))),
    }
}

fn index(
    value: Value,
    key: &Value,
    span: Option<Range<usize>>,
    ctx: &EvalContext<'_>,
) -> Result<Value, Diagnostic> {
    if value.is_marked() || key.is_marked() {
        let (value, value_marked) = value.unmark();
        let (key, key_marked) = key.clone().unmark_deep();
        return index(value, &key, span, ctx)
            .map(|v| v.mark_if(value_marked || key_marked))
            .map_err(hide_sensitive_detail);
    }
    let invalid =
        |detail: String| Err(ctx.error("Invalid index", span.clone()).with_detail(detail));
    if matches!(value, Value::Unknown) || matches!(key, Value::Unknown) {
        return Ok(Value::Unknown);
    }
    if key.is_null() {
        return invalid("Can't use a null value as an indexing key.".into());
    }
    match value {
        Value::List(mut items) => {
            let Some(n) = to_number(key) else {
                return invalid(format!(
                    "A list is indexed by a number, got {}.",
                    key.type_name()
                ));
            };
            if !n.is_integer() {
                return invalid(format!("A list index must be a whole number, got {n}."));
            }
            match n.to_index() {
                Some(i) if i < items.len() => Ok(items.swap_remove(i)),
                _ => invalid(format!(
                    "Index {n} is out of range for a list of {} element{}.",
                    items.len(),
                    if items.len() == 1 { "" } else { "s" }
                )),
            }
        }
        Value::Map(mut map) => {
            let Some(name) = key.to_string_lossless() else {
                return invalid(format!(
                    "A map is indexed by a string key, got {}.",
                    key.type_name()
                ));
            };
            match map.remove(&name) {
                Some(found) => Ok(found),
                None => {
                    let diag = ctx.error("Invalid index", span.clone()).with_detail(format!(
                        "The given key does not identify an element in this collection value: there is no key {name:?} ({}).",
                        list_keys(&map)
                    ));
                    Err(hint_close_key(diag, &name, &map))
                }
            }
        }
        Value::Null => Err(ctx
            .error("Attempt to index null value", span)
            .with_detail("This value is null, so it does not have any indices.")),
        other => invalid(format!(
            "A {} value does not have any indices.",
            other.type_name()
        )),
    }
}

// ---------------------------------------------------------------------------
// Operators.

fn eval_unary(op: &UnaryOp, ctx: &EvalContext<'_>) -> Result<Value, Diagnostic> {
    let (operand, marked) = eval(&op.expr, ctx)?.unmark_deep();
    let result = match op.operator.value() {
        UnaryOperator::Neg => number_operand(&operand, "operand", &op.expr, ctx)?
            .map_or(Value::Unknown, |n| Value::Number(n.neg())),
        UnaryOperator::Not => bool_operand(&operand, "operand", &op.expr, ctx)?
            .map_or(Value::Unknown, |b| Value::Bool(!b)),
    };
    Ok(result.mark_if(marked))
}

/// The number an operand converts to; `None` when it is unknown.
fn number_operand(
    value: &Value,
    which: &str,
    expr: &Expression,
    ctx: &EvalContext<'_>,
) -> Result<Option<Number>, Diagnostic> {
    if matches!(value, Value::Unknown) {
        return Ok(None);
    }
    to_number(value).map(Some).ok_or_else(|| {
        let got = match value {
            Value::String(s) => format!("string {s:?}"),
            other => other.type_name().to_string(),
        };
        ctx.error("Invalid operand", expr.span())
            .with_detail(format!(
                "Unsuitable value for {which}: a number is required."
            ))
            .with_hint(format!("the {which} is {got}"))
    })
}

/// The bool an operand converts to; `None` when it is unknown.
fn bool_operand(
    value: &Value,
    which: &str,
    expr: &Expression,
    ctx: &EvalContext<'_>,
) -> Result<Option<bool>, Diagnostic> {
    if matches!(value, Value::Unknown) {
        return Ok(None);
    }
    to_bool(value).map(Some).ok_or_else(|| {
        ctx.error("Invalid operand", expr.span())
            .with_detail(format!(
                "Unsuitable value for {which}: a bool is required, got {}.",
                value.type_name()
            ))
    })
}

fn eval_binary(op: &BinaryOp, ctx: &EvalContext<'_>) -> Result<Value, Diagnostic> {
    use BinaryOperator::*;
    let operator = *op.operator.value();
    if matches!(operator, And | Or) {
        return eval_logical(op, operator == And, ctx);
    }
    let (lhs, lhs_marked) = eval(&op.lhs_expr, ctx)?.unmark_deep();
    let (rhs, rhs_marked) = eval(&op.rhs_expr, ctx)?.unmark_deep();
    if lhs_marked || rhs_marked {
        // Operand values must not appear in an error: say only that they are sensitive.
        return eval_binary_values(op, operator, lhs, rhs, ctx)
            .map(Value::mark)
            .map_err(hide_sensitive_detail);
    }
    eval_binary_values(op, operator, lhs, rhs, ctx)
}

fn eval_binary_values(
    op: &BinaryOp,
    operator: BinaryOperator,
    lhs: Value,
    rhs: Value,
    ctx: &EvalContext<'_>,
) -> Result<Value, Diagnostic> {
    use BinaryOperator::*;
    match operator {
        Eq | NotEq => Ok(match equal_values(&lhs, &rhs) {
            Some(equal) => Value::Bool(equal == (operator == Eq)),
            None => Value::Unknown,
        }),
        _ => {
            let a = number_operand(&lhs, "left operand", &op.lhs_expr, ctx)?;
            let b = number_operand(&rhs, "right operand", &op.rhs_expr, ctx)?;
            let (Some(a), Some(b)) = (a, b) else {
                return Ok(Value::Unknown);
            };
            // As Terraform's arithmetic functions word their failures.
            let arithmetic = |result: Result<Number, NotANumber>, nan: &str| {
                result.map(Value::Number).map_err(|NotANumber| {
                    ctx.error("Operation failed", op.span())
                        .with_detail(format!("Error during operation: {nan}."))
                })
            };
            Ok(match operator {
                Plus => arithmetic(a.add(&b), "can't compute sum of opposing infinities")?,
                Minus => arithmetic(a.sub(&b), "can't subtract infinity from itself")?,
                Mul => arithmetic(a.mul(&b), "can't multiply zero by infinity")?,
                Div => arithmetic(
                    a.div(&b),
                    "can't divide zero by zero or infinity by infinity",
                )?,
                Mod => match a.rem(&b) {
                    Some(result) => arithmetic(result, "can't use modulo with zero and infinity")?,
                    // Terraform fails here with an internal error.
                    None => {
                        return Err(ctx.error("Operation failed", op.span()).with_detail(
                            "Error during operation: can't use modulo with an infinite left operand.",
                        ));
                    }
                },
                Less => Value::Bool(a.compare(&b).is_lt()),
                LessEq => Value::Bool(a.compare(&b).is_le()),
                Greater => Value::Bool(a.compare(&b).is_gt()),
                GreaterEq => Value::Bool(a.compare(&b).is_ge()),
                Eq | NotEq | And | Or => unreachable!("handled above"),
            })
        }
    }
}

/// `&&` and `||`, short-circuiting when the left operand decides the result.
fn eval_logical(op: &BinaryOp, is_and: bool, ctx: &EvalContext<'_>) -> Result<Value, Diagnostic> {
    let (lhs, lhs_marked) = eval(&op.lhs_expr, ctx)?.unmark_deep();
    let a = bool_operand(&lhs, "left operand", &op.lhs_expr, ctx)?;
    // false && x is false, true || x is true, whatever x is.
    if a == Some(!is_and) {
        return Ok(Value::Bool(!is_and).mark_if(lhs_marked));
    }
    let (rhs, rhs_marked) = eval(&op.rhs_expr, ctx)?.unmark_deep();
    let b = bool_operand(&rhs, "right operand", &op.rhs_expr, ctx)?;
    let result = match (a, b) {
        (Some(a), Some(b)) => Value::Bool(if is_and { a && b } else { a || b }),
        (_, Some(b)) if b != is_and => Value::Bool(b),
        _ => Value::Unknown,
    };
    Ok(result.mark_if(lhs_marked || rhs_marked))
}

/// Deep equality across any types (no conversions: `1 == "1"` is false).
/// `None` when unknown values decide the answer.
pub(crate) fn deep_equal(a: &Value, b: &Value) -> Option<bool> {
    match (a, b) {
        (Value::Unknown, _) | (_, Value::Unknown) => None,
        // An unknown element of a set may equal any other: neither which
        // elements pair up nor how many there are is known.
        (Value::List(xs), Value::List(ys))
            if (xs.kind == ListKind::Set || ys.kind == ListKind::Set)
                && !(a.is_wholly_known() && b.is_wholly_known()) =>
        {
            None
        }
        (Value::List(xs), Value::List(ys)) => {
            if xs.len() != ys.len() {
                return Some(false);
            }
            all_equal(xs.iter().zip(ys))
        }
        (Value::Map(xs), Value::Map(ys)) => {
            if xs.len() != ys.len() || xs.keys().ne(ys.keys()) {
                return Some(false);
            }
            all_equal(xs.values().zip(ys.values()))
        }
        (a, b) => Some(a == b),
    }
}

/// Whether two values are equal, as `==`, `contains` and `index` decide:
/// values of different types never are (`tolist(["a"]) == ["a"]` is false,
/// a list is not a tuple); `None` when an unknown value leaves it open.
pub(crate) fn equal_values(a: &Value, b: &Value) -> Option<bool> {
    if same_kinds(a, b) {
        deep_equal(a, b)
    } else {
        Some(false)
    }
}

/// False when the two values have lists of different kinds (a list and a
/// tuple, a list and a set) in the same place. Elements are compared
/// pairwise; what `deep_equal` compares decides the rest.
fn same_kinds(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Sensitive(a), b) | (b, Value::Sensitive(a)) => same_kinds(a, b),
        (Value::List(xs), Value::List(ys)) => {
            xs.kind == ys.kind && xs.iter().zip(ys.iter()).all(|(x, y)| same_kinds(x, y))
        }
        (Value::Map(xs), Value::Map(ys)) => {
            xs.kind == ys.kind
                && xs
                    .iter()
                    .all(|(k, x)| ys.get(k).is_none_or(|y| same_kinds(x, y)))
        }
        _ => true,
    }
}

fn all_equal<'v>(pairs: impl Iterator<Item = (&'v Value, &'v Value)>) -> Option<bool> {
    let mut unknown = false;
    for (x, y) in pairs {
        match deep_equal(x, y) {
            Some(false) => return Some(false),
            Some(true) => {}
            None => unknown = true,
        }
    }
    if unknown { None } else { Some(true) }
}

#[cfg(test)]
pub(crate) mod tests;
