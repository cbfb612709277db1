//! WAFv2: web ACLs, the IP and regex pattern sets their rules refer to,
//! and their association with the resources they protect.
//!
//! What the WAFv2 types share lives here: their ids (`ID/NAME/SCOPE`, as
//! Terraform imports them: every WAFv2 call needs all three), their tags,
//! and the id of a listed object. No resource logic, and no call but the
//! tag calls every type makes alike.

mod ip_set;
mod regex_pattern_set;
mod statement;
/// Public for its lock-token update, which tests drive with a stale token.
pub mod web_acl;
mod web_acl_association;

use aws_sdk_wafv2::types::{Scope, Tag};
use futures::TryFutureExt;

use crate::provider::ProviderError;
use crate::provider::aws::names::split_id;
use crate::provider::aws::tags::{tags_to_value, update_tags_all};
use crate::provider::aws::{AwsContext, build_error, sdk_error};
use crate::value::{Attrs, Value};

/// This service's types, for the provider's registry.
pub(super) const TYPES: super::ServiceTypes = super::ServiceTypes {
    name: "WAFv2",
    resources: &[
        &web_acl::WebAclType,
        &web_acl_association::WebAclAssociation,
        &ip_set::IpSetType,
        &regex_pattern_set::RegexPatternSetType,
    ],
    data_sources: &[],
};

const ID_SHAPE: &str = "ID/NAME/SCOPE";

/// The parts of a WAFv2 object's terrane id.
struct WafKey<'a> {
    id: &'a str,
    name: &'a str,
    scope: Scope,
}

impl<'a> WafKey<'a> {
    fn parse(id: &'a str) -> Result<WafKey<'a>, ProviderError> {
        let [id, name, scope] = split_id::<3>(id, '/', ID_SHAPE)?;
        Ok(WafKey {
            id,
            name,
            scope: Scope::from(scope),
        })
    }
}

/// terrane's id (Terraform's import id, `ID/NAME/SCOPE`) of an object.
fn waf_id(id: Option<&str>, name: Option<&str>, scope: &str) -> String {
    format!(
        "{}/{}/{scope}",
        id.unwrap_or_default(),
        name.unwrap_or_default()
    )
}

/// Gets one object and its lock token: `get_with_token!(aws, get_ip_set,
/// ip_set, key, "IP set")`. Missing is a NotFound error. A macro because
/// each kind has its own request and output types, with no trait in common.
macro_rules! get_with_token {
    ($aws:expr, $get:ident, $field:ident, $key:expr, $what:literal) => {
        async {
            let key: &$crate::provider::aws::wafv2::WafKey<'_> = $key;
            let out = $aws
                .wafv2()
                .$get()
                .id(key.id)
                .name(key.name)
                .scope(key.scope.clone())
                .send()
                .await
                .map_err($crate::provider::aws::sdk_error)?;
            let lock_token = out.lock_token().map(String::from);
            let object = out.$field.ok_or_else(|| {
                $crate::provider::ProviderError::new(
                    $crate::provider::ErrorKind::NotFound,
                    format!(concat!($what, " {} not found"), key.id),
                )
            })?;
            Ok::<_, $crate::provider::ProviderError>((object, lock_token))
        }
    };
}
use get_with_token;

/// Deletes one object with the lock token of a fresh Get; one already gone
/// is success: `delete_with_token!(aws, get_ip_set, ip_set, delete_ip_set,
/// key, "IP set")`. An object still in use fails with
/// WAFAssociatedItemException, a Conflict the engine retries.
macro_rules! delete_with_token {
    ($aws:expr, $get:ident, $field:ident, $delete:ident, $key:expr, $what:literal) => {
        async {
            let key: &$crate::provider::aws::wafv2::WafKey<'_> = $key;
            let got = $crate::provider::aws::wafv2::get_with_token!($aws, $get, $field, key, $what);
            let Some((_, lock_token)) = $crate::provider::aws::ok_if_not_found(got.await)? else {
                return Ok(());
            };
            $crate::provider::aws::ok_if_already_gone(
                $aws.wafv2()
                    .$delete()
                    .id(key.id)
                    .name(key.name)
                    .scope(key.scope.clone())
                    .set_lock_token(lock_token)
                    .send()
                    .await,
            )
        }
    };
}
use delete_with_token;

/// An object of one kind as its List call shows it.
struct Summary {
    /// terrane's id, `ID/NAME/SCOPE`.
    id: String,
    name: String,
    arn: String,
}

/// Every object of one kind in `scope`, every page of its List call:
/// `list_summaries!(aws, list_ip_sets, ip_sets, scope)`. A macro because
/// each kind has its own request and summary types, with no trait in common.
macro_rules! list_summaries {
    ($aws:expr, $list:ident, $items:ident, $scope:expr) => {
        async {
            let scope: &str = $scope;
            let mut found = Vec::new();
            let mut marker = None;
            loop {
                let out = $aws
                    .wafv2()
                    .$list()
                    .scope(aws_sdk_wafv2::types::Scope::from(scope))
                    .set_next_marker(marker)
                    .send()
                    .await
                    .map_err($crate::provider::aws::sdk_error)?;
                found.extend(out.$items().iter().map(|item| {
                    $crate::provider::aws::wafv2::Summary {
                        id: $crate::provider::aws::wafv2::waf_id(item.id(), item.name(), scope),
                        name: item.name().unwrap_or_default().to_string(),
                        arn: item.arn().unwrap_or_default().to_string(),
                    }
                }));
                marker = out
                    .next_marker()
                    .filter(|m| !m.is_empty())
                    .map(String::from);
                if marker.is_none() {
                    return Ok::<_, $crate::provider::ProviderError>(found);
                }
            }
        }
    };
}
use list_summaries;

/// What a create of `req` that asked for `name` made, among `listed`: the
/// object of that name when its tags say this create made it.
async fn find_created_among(
    aws: &AwsContext,
    req: &crate::provider::CreateRequest<'_>,
    listed: Vec<Summary>,
    name: &str,
) -> Result<crate::provider::Found, ProviderError> {
    Ok(match listed.into_iter().find(|s| s.name == name) {
        Some(summary) => {
            let tags = all_tags(aws, &summary.arn).await?;
            crate::provider::aws::tags::owner_of_named(aws, req, summary.id, tags)
        }
        None => crate::provider::Found::Nothing,
    })
}

/// Each listed object's id and tags, for `list_tagged`.
async fn with_tags(
    aws: &AwsContext,
    listed: Vec<Summary>,
) -> Result<Vec<crate::provider::Listed>, ProviderError> {
    let mut tagged = Vec::with_capacity(listed.len());
    for summary in listed {
        let tags = all_tags(aws, &summary.arn).await?;
        tagged.push((summary.id, tags));
    }
    Ok(tagged)
}

/// Terraform's id is the object's UUID; terrane's adds the name and scope
/// that reading it needs.
fn id_from_terraform(terraform_id: &str, attributes: &Attrs) -> String {
    use crate::value::AttrsExt;
    match (attributes.str("name"), attributes.str("scope")) {
        (Some(name), Some(scope)) => format!("{terraform_id}/{name}/{scope}"),
        _ => terraform_id.to_string(),
    }
}

fn waf_tags(tags: impl IntoIterator<Item = (String, String)>) -> Result<Vec<Tag>, ProviderError> {
    tags.into_iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build().map_err(build_error))
        .collect()
}

async fn read_tags(aws: &AwsContext, arn: &str) -> Result<Value, ProviderError> {
    Ok(tags_to_value(all_tags(aws, arn).await?))
}

/// Every tag of the object at `arn`, terrane's own included.
async fn all_tags(aws: &AwsContext, arn: &str) -> Result<Vec<(String, String)>, ProviderError> {
    let mut tags = Vec::new();
    let mut marker = None;
    loop {
        let out = aws
            .wafv2()
            .list_tags_for_resource()
            .resource_arn(arn)
            .set_next_marker(marker)
            .send()
            .await
            .map_err(sdk_error)?;
        if let Some(info) = out.tag_info_for_resource() {
            tags.extend(
                info.tag_list()
                    .iter()
                    .map(|t| (t.key().to_string(), t.value().to_string())),
            );
        }
        marker = out
            .next_marker()
            .filter(|m| !m.is_empty())
            .map(String::from);
        if marker.is_none() {
            return Ok(tags);
        }
    }
}

async fn update_tags(
    aws: &AwsContext,
    arn: &str,
    prior: &Attrs,
    planned: &Attrs,
) -> Result<(), ProviderError> {
    update_tags_all(
        prior,
        planned,
        |removed| {
            aws.wafv2()
                .untag_resource()
                .resource_arn(arn)
                .set_tag_keys(Some(removed))
                .send()
                .map_err(sdk_error)
        },
        |changed| async move {
            aws.wafv2()
                .tag_resource()
                .resource_arn(arn)
                .set_tags(Some(waf_tags(changed)?))
                .send()
                .await
                .map_err(sdk_error)
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::ErrorKind;

    #[test]
    fn ids_carry_name_and_scope() {
        let key = WafKey::parse("0b1c/edge/REGIONAL").unwrap();
        assert_eq!(
            (key.id, key.name, key.scope),
            ("0b1c", "edge", Scope::Regional)
        );
        assert_eq!(
            WafKey::parse("0b1c").err().map(|e| e.kind),
            Some(ErrorKind::Validation)
        );
    }
}
