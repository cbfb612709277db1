//! Writing resource blocks from objects read from AWS, for
//! `plan --generate-config-out` (import blocks without a block of their
//! own), in the layout `terrane fmt` would give them. Pure.

use std::fmt::Write;

use crate::provider::schema::{Presence, Schema};
use crate::value::{Attrs, Value};

/// `resource "TYPE" "NAME" { ... }` with every argument the object has
/// that the configuration could set: computed-only attributes, nulls,
/// empty collections and values equal to the schema's default are left
/// out, and `tags_all` (derived from `tags`).
pub fn resource_block(type_name: &str, name: &str, schema: &Schema, object: &Attrs) -> String {
    let mut out = format!("resource \"{type_name}\" \"{name}\" {{\n");
    write_body(&mut out, 1, schema, object);
    out.push_str("}\n");
    out
}

fn write_body(out: &mut String, depth: usize, schema: &Schema, object: &Attrs) {
    let pad = "  ".repeat(depth);
    let written: Vec<(&str, &Value)> = schema
        .attributes
        .iter()
        .filter(|a| a.presence != Presence::Computed && a.name != "tags_all")
        // `name_prefix` is read back from `name`; writing both conflicts.
        .filter(|a| !(a.name == "name_prefix" && object.get("name").is_some_and(|v| !v.is_null())))
        .filter_map(|a| {
            let value = object.get(a.name)?;
            let empty = match value {
                Value::Null => true,
                Value::List(items) => items.is_empty(),
                Value::Map(map) => map.is_empty(),
                _ => false,
            };
            (!empty && a.default.as_ref() != Some(value)).then_some((a.name, value))
        })
        .collect();
    let width = written.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    for (name, value) in written {
        let _ = writeln!(out, "{pad}{name:<width$} = {}", hcl(value, depth));
    }
    for block in &schema.blocks {
        let items = object
            .get(block.name)
            .and_then(Value::as_list)
            .unwrap_or(&[]);
        for item in items.iter().filter_map(Value::as_map) {
            let _ = writeln!(out, "\n{pad}{} {{", block.name);
            write_body(out, depth + 1, &block.schema, item);
            let _ = writeln!(out, "{pad}}}");
        }
    }
}

/// A value in HCL syntax; maps over several lines.
fn hcl(value: &Value, depth: usize) -> String {
    match value {
        Value::Null | Value::Unknown | Value::Sensitive(_) => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => quoted(s),
        Value::List(items) => {
            let items: Vec<String> = items.iter().map(|v| hcl(v, depth)).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Map(map) if map.is_empty() => "{}".into(),
        Value::Map(map) => {
            let pad = "  ".repeat(depth + 1);
            let keys: Vec<String> = map.keys().map(|k| key(k)).collect();
            let width = keys.iter().map(String::len).max().unwrap_or(0);
            let mut out = "{\n".to_string();
            for (k, v) in keys.iter().zip(map.values()) {
                let _ = writeln!(out, "{pad}{k:<width$} = {}", hcl(v, depth + 1));
            }
            out.push_str(&"  ".repeat(depth));
            out.push('}');
            out
        }
    }
}

/// A string literal: JSON escapes, and template sequences escaped so they
/// stay literal.
fn quoted(text: &str) -> String {
    serde_json::Value::String(text.to_string())
        .to_string()
        .replace("${", "$${")
        .replace("%{", "%%{")
}

/// A map key: bare when it is an identifier, quoted otherwise.
fn key(text: &str) -> String {
    let identifier = text
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if identifier {
        text.to_string()
    } else {
        quoted(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider;

    #[test]
    fn writes_what_the_configuration_could_set() {
        let schema = provider::resource_type("aws_security_group")
            .unwrap()
            .schema();
        let object = Attrs::from([
            ("id".to_string(), Value::string("sg-1")),
            ("arn".to_string(), Value::string("arn:x")),
            ("name".to_string(), Value::string("app")),
            ("name_prefix".to_string(), Value::string("")),
            ("description".to_string(), Value::string("cost ${x}")),
            (
                "tags".to_string(),
                Value::Map(
                    Attrs::from([
                        ("Name".to_string(), Value::string("app")),
                        ("kubernetes.io/role".to_string(), Value::string("1")),
                    ])
                    .into(),
                ),
            ),
            ("tags_all".to_string(), Value::Map(Attrs::new().into())),
            (
                "ingress".to_string(),
                Value::List(
                    vec![Value::Map(
                        Attrs::from([
                            ("from_port".to_string(), Value::from(443)),
                            ("to_port".to_string(), Value::from(443)),
                            ("protocol".to_string(), Value::string("tcp")),
                            ("cidr_blocks".to_string(), Value::from(vec!["10.0.0.0/8"])),
                        ])
                        .into(),
                    )]
                    .into(),
                ),
            ),
        ]);
        let text = resource_block("aws_security_group", "app", schema, &object);
        assert!(
            text.starts_with("resource \"aws_security_group\" \"app\" {\n"),
            "{text}"
        );
        assert!(text.contains("  description = \"cost $${x}\"\n"), "{text}");
        assert!(text.contains("\"kubernetes.io/role\" = \"1\""), "{text}");
        assert!(text.contains("\n  ingress {\n"), "{text}");
        assert!(text.contains("cidr_blocks = [\"10.0.0.0/8\"]"), "{text}");
        for left_out in ["arn", "tags_all", "name_prefix", "id "] {
            assert!(!text.contains(left_out), "{left_out} in {text}");
        }
        let (config, diags) = crate::lang::load(
            "stack",
            vec![(std::path::PathBuf::from("stack/main.tf"), text.clone())],
        );
        assert!(!diags.has_errors(), "{diags:?}\n{text}");
        assert_eq!(config.resources.len(), 1);
    }
}
