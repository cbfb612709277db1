//! Tags: the user's `tags_all` plus terrane's own `terrane:*` tags, which mark
//! what terrane created so an interrupted run can find it again.

use std::collections::BTreeMap;
use std::future::Future;

use aws_sdk_ec2::types::{ResourceType as Ec2ResourceType, Tag, TagSpecification};

use futures::TryFutureExt;

use super::{AwsContext, sdk_error};
use crate::provider::{CreateRequest, Found, ProviderError};
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

/// Whether an object's tags say a create of `req` made it: `terrane:stack`
/// is this stack and `terrane:address` the create's address.
pub fn made_by<K: AsRef<str>, V: AsRef<str>>(
    aws: &AwsContext,
    req: &CreateRequest<'_>,
    tags: impl IntoIterator<Item = (K, V)>,
) -> bool {
    stack_address(aws, tags).as_deref() == Some(req.address)
}

/// The `terrane:address` tag of an object whose `terrane:stack` tag is this
/// stack; `None` for anyone else's object.
pub fn stack_address<K: AsRef<str>, V: AsRef<str>>(
    aws: &AwsContext,
    tags: impl IntoIterator<Item = (K, V)>,
) -> Option<String> {
    let (mut stack, mut address) = (false, None);
    for (key, value) in tags {
        match key.as_ref().strip_prefix(SYSTEM_TAG_PREFIX) {
            Some("stack") => stack = value.as_ref() == aws.settings.stack,
            Some("address") => address = Some(value.as_ref().to_string()),
            _ => {}
        }
    }
    address.filter(|_| stack)
}

/// What an object found by the name a create of `req` asked for is: the
/// create's own when its tags say so, someone else's otherwise.
pub fn owner_of_named<K: AsRef<str>, V: AsRef<str>>(
    aws: &AwsContext,
    req: &CreateRequest<'_>,
    id: String,
    tags: impl IntoIterator<Item = (K, V)>,
) -> Found {
    if made_by(aws, req, tags) {
        Found::Ours(id)
    } else {
        Found::Foreign(id)
    }
}

/// Finds the EC2 object (of any type: the address names the type) that a
/// create of `req` tagged, with one DescribeTags call for the address tag
/// and one for the stack tag of what that finds.
pub async fn ec2_find_tagged(
    aws: &AwsContext,
    req: &CreateRequest<'_>,
) -> Result<Found, ProviderError> {
    let mut candidates = describe_tags(
        aws,
        vec![
            tag_filter("key", vec![format!("{SYSTEM_TAG_PREFIX}address")]),
            tag_filter("value", vec![filter_pattern(req.address)]),
        ],
    )
    .await?;
    candidates.retain(|(_, address)| address == req.address);
    if candidates.is_empty() {
        return Ok(Found::Nothing);
    }
    let stacks = describe_tags(
        aws,
        vec![
            tag_filter("key", vec![format!("{SYSTEM_TAG_PREFIX}stack")]),
            tag_filter(
                "resource-id",
                candidates.into_iter().map(|(id, _)| id).collect(),
            ),
        ],
    )
    .await?;
    Ok(stacks
        .into_iter()
        .find(|(_, stack)| *stack == aws.settings.stack)
        .map_or(Found::Nothing, |(id, _)| Found::Ours(id)))
}

/// Every EC2 object tagged with this stack, as (id, its `terrane:address`
/// tag). Objects AWS lists tags for may be gone (the emulator keeps the
/// tags of deleted objects): the caller reads them to be sure.
pub async fn ec2_list_tagged(aws: &AwsContext) -> Result<Vec<(String, String)>, ProviderError> {
    let ours: Vec<String> = describe_tags(
        aws,
        vec![
            tag_filter("key", vec![format!("{SYSTEM_TAG_PREFIX}stack")]),
            tag_filter("value", vec![filter_pattern(&aws.settings.stack)]),
        ],
    )
    .await?
    .into_iter()
    .filter(|(_, stack)| *stack == aws.settings.stack)
    .map(|(id, _)| id)
    .collect();
    let mut addressed = Vec::new();
    for chunk in ours.chunks(200) {
        addressed.extend(
            describe_tags(
                aws,
                vec![
                    tag_filter("key", vec![format!("{SYSTEM_TAG_PREFIX}address")]),
                    tag_filter("resource-id", chunk.to_vec()),
                ],
            )
            .await?,
        );
    }
    Ok(addressed)
}

/// DescribeTags with `filters`, every page: (object id, tag value) pairs.
async fn describe_tags(
    aws: &AwsContext,
    filters: Vec<aws_sdk_ec2::types::Filter>,
) -> Result<Vec<(String, String)>, ProviderError> {
    let mut pages = aws
        .ec2()
        .describe_tags()
        .set_filters(Some(filters))
        .into_paginator()
        .items()
        .send();
    let mut found = Vec::new();
    while let Some(tag) = pages.next().await {
        let tag = tag.map_err(sdk_error)?;
        if let Some(id) = tag.resource_id() {
            found.push((id.to_string(), tag.value().unwrap_or_default().to_string()));
        }
    }
    Ok(found)
}

fn tag_filter(name: &str, values: Vec<String>) -> aws_sdk_ec2::types::Filter {
    aws_sdk_ec2::types::Filter::builder()
        .name(name)
        .set_values(Some(values))
        .build()
}

/// A filter value that matches `value` (and perhaps a few others, which
/// the caller weeds out): every character beyond letters, digits, `.`, `_`
/// and `-` becomes the one-character wildcard `?`, since AWS reads `*`, `?`
/// and `\\` in filter values specially (and the emulator reads brackets too).
fn filter_pattern(value: &str) -> String {
    value
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '?'
            }
        })
        .collect()
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
    update_tags_all(
        prior,
        planned,
        |removed| {
            let keys = removed.into_iter().map(|k| Tag::builder().key(k).build());
            aws.ec2()
                .delete_tags()
                .resources(id)
                .set_tags(Some(keys.collect()))
                .send()
                .map_err(sdk_error)
        },
        |changed| {
            let pairs = changed
                .into_iter()
                .map(|(k, v)| Tag::builder().key(k).value(v).build());
            aws.ec2()
                .create_tags()
                .resources(id)
                .set_tags(Some(pairs.collect()))
                .send()
                .map_err(sdk_error)
        },
    )
    .await
}

/// What brings an object's tags from `old` to `new`, for services whose tag
/// APIs take keys to remove and pairs to set. A tag's value is a string,
/// or more where the service keeps more per tag (Auto Scaling's
/// `propagate_at_launch`).
#[derive(Debug, Default, PartialEq)]
pub struct TagChanges<V = String> {
    pub removed: Vec<String>,
    pub changed: BTreeMap<String, V>,
}

impl<V: PartialEq> TagChanges<V> {
    pub fn between_maps(old: BTreeMap<String, V>, new: BTreeMap<String, V>) -> TagChanges<V> {
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

impl TagChanges {
    /// From `prior.tags_all` to `planned.tags_all`.
    pub fn between(prior: &Attrs, planned: &Attrs) -> TagChanges {
        TagChanges::between_maps(prior.string_map("tags_all"), planned.string_map("tags_all"))
    }
}

/// Brings an object's tags from `old` to `new` with its service's two tag
/// calls: `remove` with the keys that are gone, then `add` with the tags
/// that are new or changed (so a key never exists twice). A call with
/// nothing to do is not made.
pub async fn update_tags<V, Remove, RemoveFut, Add, AddFut, R, A>(
    old: BTreeMap<String, V>,
    new: BTreeMap<String, V>,
    remove: Remove,
    add: Add,
) -> Result<(), ProviderError>
where
    V: PartialEq,
    Remove: FnOnce(Vec<String>) -> RemoveFut,
    RemoveFut: Future<Output = Result<R, ProviderError>>,
    Add: FnOnce(BTreeMap<String, V>) -> AddFut,
    AddFut: Future<Output = Result<A, ProviderError>>,
{
    let changes = TagChanges::between_maps(old, new);
    if !changes.removed.is_empty() {
        remove(changes.removed).await?;
    }
    if !changes.changed.is_empty() {
        add(changes.changed).await?;
    }
    Ok(())
}

/// [`update_tags`] from `prior.tags_all` to `planned.tags_all`.
pub async fn update_tags_all<Remove, RemoveFut, Add, AddFut, R, A>(
    prior: &Attrs,
    planned: &Attrs,
    remove: Remove,
    add: Add,
) -> Result<(), ProviderError>
where
    Remove: FnOnce(Vec<String>) -> RemoveFut,
    RemoveFut: Future<Output = Result<R, ProviderError>>,
    Add: FnOnce(BTreeMap<String, String>) -> AddFut,
    AddFut: Future<Output = Result<A, ProviderError>>,
{
    update_tags(
        prior.string_map("tags_all"),
        planned.string_map("tags_all"),
        remove,
        add,
    )
    .await
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

    #[test]
    fn filter_patterns_keep_plain_characters_and_wildcard_the_rest() {
        assert_eq!(filter_pattern("aws_vpc.main"), "aws_vpc.main");
        assert_eq!(
            filter_pattern("module.net[0].aws_subnet.az[\"us-east-1a\"]"),
            "module.net?0?.aws_subnet.az??us-east-1a??"
        );
        assert_eq!(filter_pattern("a*b?c\\d é"), "a?b?c?d??");
    }
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

    #[tokio::test]
    async fn tag_updates_remove_first_and_skip_empty_calls() {
        let calls = std::sync::Mutex::new(Vec::new());
        let record = |call: String| {
            calls.lock().unwrap().push(call);
            async { Ok::<_, ProviderError>(()) }
        };
        update_tags_all(
            &tags(&[("drop", "x"), ("edit", "old")]),
            &tags(&[("edit", "new")]),
            |removed| record(format!("remove {removed:?}")),
            |changed| record(format!("add {changed:?}")),
        )
        .await
        .unwrap();
        update_tags_all(
            &tags(&[("a", "1")]),
            &tags(&[("a", "1")]),
            |removed| record(format!("remove {removed:?}")),
            |changed| record(format!("add {changed:?}")),
        )
        .await
        .unwrap();
        assert_eq!(
            *calls.lock().unwrap(),
            [r#"remove ["drop"]"#, r#"add {"edit": "new"}"#]
        );
    }

    #[test]
    fn system_tags_are_hidden_from_tags_all() {
        let value = tags_to_value([("Name", "web"), ("terrane:stack", "prod")]);
        assert_eq!(
            value,
            Value::Map(Attrs::from([("Name".into(), Value::string("web"))]).into())
        );
    }
}
