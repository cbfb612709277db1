//! Tags: the user's `tags_all` plus terrane's own `terrane:*` tags, which mark
//! what terrane created so an interrupted run can find it again.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{ResourceType as Ec2ResourceType, Tag, TagSpecification};

use super::{AwsContext, sdk_error};
use crate::provider::{CreateRequest, ProviderError};
use crate::value::{Attrs, AttrsExt, Value};

/// Tags under this prefix are terrane's; they are written on create and hidden
/// from `tags_all` on read so they never show as drift.
pub const SYSTEM_TAG_PREFIX: &str = "terrane:";

/// The tags a create writes: `tags_all` plus `terrane:stack` and
/// `terrane:address`.
pub fn create_tags(aws: &AwsContext, req: &CreateRequest<'_>) -> BTreeMap<String, String> {
    let mut tags = req.planned.string_map("tags_all");
    tags.insert(
        format!("{SYSTEM_TAG_PREFIX}stack"),
        aws.settings.stack.clone(),
    );
    tags.insert(
        format!("{SYSTEM_TAG_PREFIX}address"),
        req.address.to_string(),
    );
    tags
}

/// True for tags terrane writes for itself, which are never shown to the user.
pub fn is_system_tag(key: &str) -> bool {
    key.starts_with(SYSTEM_TAG_PREFIX)
}

pub fn ec2_tag_specification(
    aws: &AwsContext,
    req: &CreateRequest<'_>,
    resource_type: Ec2ResourceType,
) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(resource_type)
        .set_tags(Some(
            create_tags(aws, req)
                .into_iter()
                .map(|(k, v)| Tag::builder().key(k).value(v).build())
                .collect(),
        ))
        .build()
}

/// Reads EC2 tags back as `tags_all`, without terrane's own.
pub fn ec2_tags_to_value(tags: &[Tag]) -> Value {
    tags_to_value(
        tags.iter()
            .filter_map(|t| Some((t.key()?, t.value().unwrap_or_default()))),
    )
}

/// Brings an EC2 object's tags from `prior.tags_all` to `planned.tags_all`.
pub async fn ec2_update_tags(
    aws: &AwsContext,
    id: &str,
    prior: &Attrs,
    planned: &Attrs,
) -> Result<(), ProviderError> {
    let changes = TagChanges::between(prior, planned);
    if !changes.removed.is_empty() {
        aws.ec2()
            .delete_tags()
            .resources(id)
            .set_tags(Some(
                changes
                    .removed
                    .iter()
                    .map(|k| Tag::builder().key(k).build())
                    .collect(),
            ))
            .send()
            .await
            .map_err(sdk_error)?;
    }
    if !changes.changed.is_empty() {
        aws.ec2()
            .create_tags()
            .resources(id)
            .set_tags(Some(
                changes
                    .changed
                    .iter()
                    .map(|(k, v)| Tag::builder().key(k).value(v).build())
                    .collect(),
            ))
            .send()
            .await
            .map_err(sdk_error)?;
    }
    Ok(())
}

/// What brings an object's tags from `prior.tags_all` to `planned.tags_all`,
/// for services whose tag APIs take keys to remove and pairs to set.
#[derive(Debug, Default, PartialEq)]
pub struct TagChanges {
    pub removed: Vec<String>,
    pub changed: BTreeMap<String, String>,
}

impl TagChanges {
    pub fn between(prior: &Attrs, planned: &Attrs) -> TagChanges {
        let old = prior.string_map("tags_all");
        let new = planned.string_map("tags_all");
        TagChanges {
            removed: old
                .keys()
                .filter(|k| !new.contains_key(*k))
                .cloned()
                .collect(),
            changed: new
                .into_iter()
                .filter(|(k, v)| old.get(k) != Some(v))
                .collect(),
        }
    }
}

/// Reads any service's tags back as `tags_all`, without terrane's own.
pub fn tags_to_value<K: AsRef<str>, V: AsRef<str>>(
    tags: impl IntoIterator<Item = (K, V)>,
) -> Value {
    Value::Map(
        tags.into_iter()
            .filter(|(k, _)| !is_system_tag(k.as_ref()))
            .map(|(k, v)| (k.as_ref().to_string(), Value::string(v.as_ref())))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::attrs;

    fn tags(pairs: &[(&str, &str)]) -> Attrs {
        attrs([(
            "tags_all",
            Value::Map(
                pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), Value::string(*v)))
                    .collect(),
            ),
        )])
    }

    #[test]
    fn tag_changes_name_removed_keys_and_new_values() {
        let changes = TagChanges::between(
            &tags(&[("keep", "1"), ("drop", "x"), ("edit", "old")]),
            &tags(&[("keep", "1"), ("edit", "new"), ("add", "y")]),
        );
        assert_eq!(changes.removed, vec!["drop".to_string()]);
        assert_eq!(
            changes.changed,
            BTreeMap::from([("add".into(), "y".into()), ("edit".into(), "new".into())])
        );
        assert_eq!(
            TagChanges::between(&tags(&[("a", "1")]), &tags(&[("a", "1")])),
            TagChanges::default()
        );
    }

    #[test]
    fn system_tags_are_hidden_from_tags_all() {
        let value = tags_to_value([("Name", "web"), ("terrane:stack", "prod")]);
        assert_eq!(
            value,
            Value::Map(Attrs::from([("Name".into(), Value::string("web"))]))
        );
    }
}
