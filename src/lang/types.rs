//! Variable type constraints (`string`, `list(string)`, `object({...})`, …).

use hcl_edit::expr::Expression;

use crate::provider::schema::Type;

/// Parses a `type = ...` constraint. Object and tuple types are accepted and
/// checked only as "any value", since terrane does not model their shape.
pub fn parse_type(expr: &Expression) -> Result<Type, String> {
    match expr {
        Expression::Variable(v) => match v.as_str() {
            "string" => Ok(Type::String),
            "number" => Ok(Type::Number),
            "bool" => Ok(Type::Bool),
            "any" => Ok(Type::Any),
            "list" | "set" | "map" => Ok(Type::Any),
            other => Err(format!("unknown type {other:?}")),
        },
        Expression::FuncCall(call) => {
            let name = call.name.name.as_str();
            let args: Vec<&Expression> = call.args.iter().collect();
            let single = || -> Result<Type, String> {
                match args.as_slice() {
                    [inner] => parse_type(inner),
                    _ => Err(format!("{name}(...) takes exactly one element type")),
                }
            };
            match name {
                "list" => Ok(Type::list_of(single()?)),
                "set" => Ok(Type::set_of(single()?)),
                "map" => Ok(Type::map_of(single()?)),
                "object" | "tuple" | "optional" => Ok(Type::Any),
                other => Err(format!("unknown type constructor {other:?}")),
            }
        }
        _ => {
            Err("expected a type such as string, number, bool, list(string) or map(string)".into())
        }
    }
}
