//! What the data sources that find one object of a managed type share:
//! a schema that mirrors the resource's (the lookup arguments, then every
//! other attribute and block of the resource, computed), the rule that a
//! search must find exactly one object, and the answer built from the
//! resource type's own read, so a data source reads an object exactly as
//! its resource does.
//!
//! How each data source searches stays in its own file.

use crate::provider::schema::{Attribute, Block, Schema, Type};
use crate::provider::{ErrorKind, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value};

/// A data source's schema: `lookups` (the arguments it searches by; its
/// `filter` blocks are in `blocks`), then those of `exposed` that
/// `resource` has, computed, with the resource's types (a nested block
/// reads as a list of objects). `tags` is always a lookup when the resource
/// has tags: the tags to match, read back as the object's own. An exposed
/// name the resource lacks is left out rather than always null.
pub fn mirrored_schema(
    resource: &dyn ResourceType,
    mut lookups: Vec<Attribute>,
    exposed: &[&'static str],
    blocks: Vec<Block>,
) -> Schema {
    let resource = resource.schema();
    if resource.has_tags() && !lookups.iter().any(|a| a.name == "tags") {
        lookups.push(Attribute::optional_computed(
            "tags",
            Type::map_of(Type::String),
        ));
    }
    let mut attributes = lookups;
    for name in exposed {
        if attributes.iter().any(|a| a.name == *name) {
            continue;
        }
        if let Some(attribute) = resource.attribute(name) {
            attributes.push(Attribute::computed(attribute.name, attribute.ty.clone()));
        } else if let Some(block) = resource.block(name) {
            attributes.push(Attribute::computed(block.name, Type::Any));
        }
    }
    if !attributes.iter().any(|a| a.name == "id") {
        attributes.push(Attribute::computed("id", Type::String));
    }
    Schema::new(attributes, blocks)
}

/// The one object a search found, or Terraform's errors for none and for
/// several. `what` names the kind of object ("EC2 Subnet").
pub fn exactly_one<T>(found: Vec<T>, what: &str) -> Result<T, ProviderError> {
    let mut found = found.into_iter();
    match (found.next(), found.next()) {
        (Some(one), None) => Ok(one),
        (None, _) => Err(ProviderError::new(
            ErrorKind::NotFound,
            format!("no matching {what} found"),
        )),
        (Some(_), Some(_)) => Err(ProviderError::new(
            ErrorKind::Validation,
            format!(
                "multiple {what}s matched; use additional constraints to reduce matches to a single {what}"
            ),
        )),
    }
}

/// The data source's answer for the object with `id`: `resource`'s read
/// of it, every attribute of `schema` it has, over the arguments; `tags`
/// are the object's own (its `tags_all`).
pub async fn read_as_resource(
    resource: &dyn ResourceType,
    aws: &crate::provider::aws::AwsContext,
    id: &str,
    args: &Attrs,
    schema: &Schema,
) -> Result<Attrs, ProviderError> {
    let mut read = resource.read_many(aws, &[id.to_string()]).await?;
    let attrs = read.remove(id).ok_or_else(|| {
        ProviderError::new(
            ErrorKind::NotFound,
            format!("{} {id} is gone", resource.type_name()),
        )
    })?;
    answer_from(resource, attrs, id, args, schema)
}

/// [`read_as_resource`]'s answer from what `resource`'s read already gave
/// for the object with `id` (a search that read its candidates).
pub fn answer_from(
    resource: &dyn ResourceType,
    mut attrs: Attrs,
    id: &str,
    args: &Attrs,
    schema: &Schema,
) -> Result<Attrs, ProviderError> {
    if let Some(tags) = attrs.remove("tags_all") {
        attrs.insert("tags".into(), tags);
    }
    // Tags asked for must be the object's, whatever found it.
    if !has_tags(attrs.get("tags"), &args.string_map("tags")) {
        return Err(ProviderError::new(
            ErrorKind::NotFound,
            format!(
                "{} {id} does not have the tags asked for",
                resource.type_name()
            ),
        ));
    }
    let mut out = args.clone();
    for name in schema.attributes.iter().map(|a| a.name) {
        if let Some(value) = attrs.remove(name) {
            out.insert(name.to_string(), value);
        }
    }
    out.entry("id".into()).or_insert_with(|| Value::string(id));
    Ok(out)
}

/// Whether an object's tags (as read: a map) include every wanted pair.
pub fn has_tags(read: Option<&Value>, wanted: &std::collections::BTreeMap<String, String>) -> bool {
    let held = read.and_then(Value::as_map);
    wanted.iter().all(|(key, value)| {
        held.and_then(|tags| tags.get(key)).and_then(Value::as_str) == Some(value.as_str())
    })
}
