//! Variable type constraints (`string`, `list(string)`, `object({...})`, …).

use std::ops::Range;

use hcl_edit::Span as _;
use hcl_edit::expr::Expression;

use crate::diag::did_you_mean;
use crate::provider::schema::{ObjectAttribute, Type};
use crate::value::Value;

const TYPE_NAMES: &[&str] = &["string", "number", "bool", "any", "list", "set", "map"];
const TYPE_CONSTRUCTORS: &[&str] = &["list", "set", "map", "object", "tuple", "optional"];

/// Why a type constraint is invalid, and the part of it that is.
#[derive(Debug, PartialEq)]
pub struct TypeError {
    pub message: String,
    pub hint: Option<String>,
    pub range: Option<Range<usize>>,
}

impl TypeError {
    fn new(message: String, expr: &Expression) -> TypeError {
        TypeError {
            message,
            hint: None,
            range: expr.span(),
        }
    }

    fn unknown(what: &str, name: &str, known: &[&str], range: Option<Range<usize>>) -> TypeError {
        TypeError {
            message: format!("unknown {what} {name:?}"),
            hint: did_you_mean(name, known).map(|close| format!("did you mean {close:?}?")),
            range,
        }
    }
}

/// Parses a `type = ...` constraint. Tuple types are accepted and checked
/// only as "any value", since terrane does not model their shape.
pub fn parse_type(expr: &Expression) -> Result<Type, TypeError> {
    match expr {
        Expression::Variable(v) => match v.as_str() {
            "string" => Ok(Type::String),
            "number" => Ok(Type::Number),
            "bool" => Ok(Type::Bool),
            "any" => Ok(Type::Any),
            // Terraform's shorthand for `list(any)` and the like.
            "list" => Ok(Type::list_of(Type::Any)),
            "set" => Ok(Type::set_of(Type::Any)),
            "map" => Ok(Type::map_of(Type::Any)),
            other => Err(TypeError::unknown("type", other, TYPE_NAMES, v.span())),
        },
        Expression::FuncCall(call) => {
            let name = call.name.name.as_str();
            let args: Vec<&Expression> = call.args.iter().collect();
            let single = || -> Result<Type, TypeError> {
                match args.as_slice() {
                    [inner] => parse_type(inner),
                    _ => Err(TypeError::new(
                        format!("{name}(...) takes exactly one element type"),
                        expr,
                    )),
                }
            };
            match name {
                "list" => Ok(Type::list_of(single()?)),
                "set" => Ok(Type::set_of(single()?)),
                "map" => Ok(Type::map_of(single()?)),
                "object" => match args.as_slice() {
                    [Expression::Object(object)] => parse_object(object),
                    _ => Err(TypeError::new(
                        "object(...) takes one object of attribute types, e.g. object({ name = string })".into(),
                        expr,
                    )),
                },
                // Tuples are accepted and checked as "any value".
                "tuple" => Ok(Type::Any),
                "optional" => Err(TypeError::new(
                    "optional(...) is allowed only for an attribute of an object type".into(),
                    expr,
                )),
                other => Err(TypeError::unknown(
                    "type constructor",
                    other,
                    TYPE_CONSTRUCTORS,
                    call.name.name.span(),
                )),
            }
        }
        // The form of Terraform 0.11 and before.
        Expression::String(quoted) => Err(TypeError {
            hint: Some(format!("remove the quotes: type = {}", quoted.value())),
            ..TypeError::new("a type is written without quotes".into(), expr)
        }),
        _ => Err(TypeError::new(
            "expected a type such as string, number, bool, list(string) or map(string)".into(),
            expr,
        )),
    }
}

/// `object({ name = string, size = optional(number, 1) })`.
fn parse_object(object: &hcl_edit::expr::Object) -> Result<Type, TypeError> {
    let mut attributes = Vec::new();
    for (key, entry) in object.iter() {
        let name = match key {
            hcl_edit::expr::ObjectKey::Ident(ident) => ident.as_str().to_string(),
            hcl_edit::expr::ObjectKey::Expression(Expression::String(s)) => s.value().to_string(),
            hcl_edit::expr::ObjectKey::Expression(other) => {
                return Err(TypeError::new(
                    "an object type's attribute names are names, not expressions".into(),
                    other,
                ));
            }
        };
        let written = entry.expr();
        let attribute = match written {
            Expression::FuncCall(call) if call.name.name.as_str() == "optional" => {
                let args: Vec<&Expression> = call.args.iter().collect();
                let (ty, default) = match args.as_slice() {
                    [ty] => (parse_type(ty)?, None),
                    [ty, default] => {
                        let ty = parse_type(ty)?;
                        let value = literal(default).ok_or_else(|| {
                            TypeError::new(
                                "an optional attribute's default must be a constant".into(),
                                default,
                            )
                        })?;
                        let value = ty.convert(value).map_err(|message| {
                            TypeError::new(format!("invalid default: {message}"), default)
                        })?;
                        (ty, Some(value))
                    }
                    _ => {
                        return Err(TypeError::new(
                            "optional(...) takes a type and, after it, a default".into(),
                            written,
                        ));
                    }
                };
                ObjectAttribute {
                    name,
                    ty,
                    optional: true,
                    default,
                }
            }
            other => ObjectAttribute {
                name,
                ty: parse_type(other)?,
                optional: false,
                default: None,
            },
        };
        attributes.push(attribute);
    }
    Ok(Type::Object(attributes))
}

/// A constant written in a type constraint: strings, numbers, bools, null,
/// and lists and objects of them.
fn literal(expr: &Expression) -> Option<Value> {
    Some(match expr {
        Expression::Null(_) => Value::Null,
        Expression::Bool(b) => Value::Bool(*b.value()),
        Expression::Number(n) => Value::Number(super::eval::literal_number(n)?),
        Expression::String(s) => Value::string(s.value().to_string()),
        Expression::Array(items) => Value::List(items.iter().map(literal).collect::<Option<_>>()?),
        Expression::Object(object) => {
            let mut map = crate::value::Attrs::new();
            for (key, entry) in object.iter() {
                let key = match key {
                    hcl_edit::expr::ObjectKey::Ident(ident) => ident.as_str().to_string(),
                    hcl_edit::expr::ObjectKey::Expression(Expression::String(s)) => {
                        s.value().to_string()
                    }
                    _ => return None,
                };
                map.insert(key, literal(entry.expr())?);
            }
            Value::Map(map.into())
        }
        Expression::Parenthesis(inner) => literal(inner.inner())?,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::attrs;

    fn parsed(text: &str) -> Result<Type, TypeError> {
        let expr: Expression = text.parse().expect("an expression");
        parse_type(&expr)
    }

    #[test]
    fn object_types_fill_optional_attributes_and_drop_undeclared_ones() {
        let ty = parsed(
            r#"object({ name = string, size = optional(number, 2), tags = optional(map(string)) })"#,
        )
        .unwrap();
        let converted = ty
            .convert(Value::Map(
                attrs([("name", Value::string("web")), ("extra", Value::Bool(true))]).into(),
            ))
            .unwrap();
        assert_eq!(
            converted,
            Value::Map(
                attrs([
                    ("name", Value::string("web")),
                    ("size", Value::from(2)),
                    ("tags", Value::Null),
                ])
                .into()
            )
        );
        let missing = ty.convert(Value::Map(attrs([("size", Value::from(1))]).into()));
        assert_eq!(missing, Err("attribute \"name\" is required".to_string()));
        let nested = parsed("list(object({ port = number, cidrs = optional(list(string), []) }))")
            .unwrap()
            .convert(Value::List(
                vec![Value::Map(attrs([("port", Value::string("443"))]).into())].into(),
            ))
            .unwrap();
        assert_eq!(
            nested,
            Value::List(
                vec![Value::Map(
                    attrs([
                        ("cidrs", Value::List(vec![].into())),
                        ("port", Value::from(443)),
                    ])
                    .into()
                )]
                .into()
            )
        );
    }

    #[test]
    fn optional_outside_an_object_and_computed_defaults_are_refused() {
        assert!(parsed("optional(string)").is_err());
        assert!(parsed("object({ name = optional(string, var.x) })").is_err());
        assert!(parsed("object({ size = optional(number, \"big\") })").is_err());
    }
}
