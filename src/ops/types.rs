//! `terrane types`: the resource types and data sources terrane supports,
//! each with its arguments and attributes, read from the registry's
//! schemas (what `terraform providers schema` gives for a provider). It
//! never prints.

use serde::Serialize;

use super::Report;
use crate::diag::Diagnostic;
use crate::provider::schema::{Presence, Schema};
use crate::provider::{self, aws};

/// One type and its schema, flattened.
#[derive(Debug, Serialize)]
pub struct TypeDoc {
    /// `resource` or `data`.
    pub kind: &'static str,
    pub name: &'static str,
    /// The AWS service ("EC2"), or "built in" for the types that need no
    /// network (random, null, time, terraform_data).
    pub service: &'static str,
    pub arguments: Vec<ArgumentDoc>,
}

/// One argument, attribute or nested block; nested names are dotted
/// (`vpc_config.subnet_ids`).
#[derive(Debug, Serialize)]
pub struct ArgumentDoc {
    pub name: String,
    /// A type constraint (`list(string)`), or `block` for a nested block.
    #[serde(rename = "type")]
    pub ty: String,
    /// `required`, `optional`, `computed` or `optional, computed`; for a
    /// block, how many it takes.
    pub presence: String,
    pub forces_replacement: bool,
    pub sensitive: bool,
}

/// Every supported type, or only `name` (an error naming it when terrane
/// has no such type).
pub fn describe_types(name: Option<&str>) -> Result<Vec<TypeDoc>, Report> {
    let resources = aws::resource_types()
        .chain(provider::builtin::TYPES.iter().copied())
        .map(|t| ("resource", t.type_name(), t.schema()));
    let data = aws::data_source_types().map(|t| ("data", t.type_name(), t.schema()));
    let mut docs: Vec<TypeDoc> = resources
        .chain(data)
        .filter(|(_, type_name, _)| name.is_none_or(|n| n == *type_name))
        .map(|(kind, name, schema)| {
            let mut arguments = Vec::new();
            flatten(schema, "", &mut arguments);
            TypeDoc {
                kind,
                name,
                service: aws::service_of(kind == "data", name).unwrap_or("built in"),
                arguments,
            }
        })
        .collect();
    docs.sort_by_key(|d| (d.kind != "resource", d.name));
    if let (Some(name), true) = (name, docs.is_empty()) {
        let hint = if provider::is_terraform_aws_type(false, name)
            || provider::is_terraform_aws_type(true, name)
        {
            "Terraform's AWS provider has it, terrane does not yet; `terrane types` lists what it has"
        } else {
            "`terrane types` lists every supported type"
        };
        return Err(Report::error(
            Diagnostic::error(format!("terrane has no type {name:?}")).with_hint(hint),
        ));
    }
    Ok(docs)
}

fn flatten(schema: &Schema, prefix: &str, out: &mut Vec<ArgumentDoc>) {
    for attribute in &schema.attributes {
        let presence = match attribute.presence {
            Presence::Required => "required",
            Presence::Optional => "optional",
            Presence::Computed => "computed",
            Presence::OptionalComputed => "optional, computed",
        };
        out.push(ArgumentDoc {
            name: format!("{prefix}{}", attribute.name),
            ty: attribute.ty.constraint(),
            presence: presence.to_string(),
            forces_replacement: attribute.force_new,
            sensitive: attribute.sensitive,
        });
    }
    for block in &schema.blocks {
        let presence = match (block.min_items, block.max_items) {
            (0, Some(1)) => "optional, at most one".to_string(),
            (1, Some(1)) => "required, exactly one".to_string(),
            (0, _) => "optional, any number".to_string(),
            (min, _) => format!("required, at least {min}"),
        };
        out.push(ArgumentDoc {
            name: format!("{prefix}{}", block.name),
            ty: if block.is_set { "block set" } else { "block" }.to_string(),
            presence,
            forces_replacement: block.force_new,
            sensitive: false,
        });
        flatten(&block.schema, &format!("{prefix}{}.", block.name), out);
    }
}
