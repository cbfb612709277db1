//! Variable type constraints (`string`, `list(string)`, `object({...})`, …).

use std::ops::Range;

use hcl_edit::Span as _;
use hcl_edit::expr::Expression;

use crate::diag::did_you_mean;
use crate::provider::schema::Type;

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

/// Parses a `type = ...` constraint. Object and tuple types are accepted and
/// checked only as "any value", since terrane does not model their shape.
pub fn parse_type(expr: &Expression) -> Result<Type, TypeError> {
    match expr {
        Expression::Variable(v) => match v.as_str() {
            "string" => Ok(Type::String),
            "number" => Ok(Type::Number),
            "bool" => Ok(Type::Bool),
            "any" => Ok(Type::Any),
            "list" | "set" | "map" => Ok(Type::Any),
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
                "object" | "tuple" | "optional" => Ok(Type::Any),
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
