//! IAM helpers shared by the IAM resource types: policy documents as AWS
//! returns them, and tags in IAM's shape.
//!
//! No resource logic lives here, and nothing here calls AWS.

mod group;
mod instance_profile;
mod openid_connect_provider;
mod policy;
mod policy_data_source;
mod policy_document;
mod role;
mod role_data_source;
mod role_policy;
mod role_policy_attachment;
mod user;

use std::collections::BTreeMap;

use aws_sdk_iam::types::Tag;

use crate::provider::schema::canonical_json;
use crate::provider::{ErrorKind, ProviderError};
use crate::value::Value;

/// This service's types, for the provider's registry.
pub(super) const TYPES: super::ServiceTypes = super::ServiceTypes {
    name: "IAM",
    resources: &[
        &role::IamRole,
        &role_policy_attachment::IamRolePolicyAttachment,
        &policy::IamPolicy,
        &role_policy::IamRolePolicy,
        &instance_profile::IamInstanceProfile,
        &openid_connect_provider::OpenIdConnectProvider,
        &user::IamUser,
        &group::IamGroup,
    ],
    data_sources: &[
        &policy_document::IamPolicyDocument,
        &role_data_source::IamRoleDataSource,
        &policy_data_source::IamPolicyDataSource,
    ],
};

/// A policy document read back from IAM, in the canonical form that
/// `Type::Json` gives the configured one, so the two compare equal.
///
/// IAM returns documents URL-encoded (RFC 3986, as Terraform decodes them
/// with `url.QueryUnescape`); text that already parses as JSON is taken as
/// is, so a '%' inside a plain document is never mangled.
pub fn policy_document_from_aws(raw: &str) -> Value {
    if let Ok(canonical) = canonical_json(raw) {
        return Value::String(canonical);
    }
    let decoded = query_unescape(raw);
    Value::String(canonical_json(&decoded).unwrap_or(decoded))
}

/// Decodes `%XX` escapes and `+` (as a space), like Go's `url.QueryUnescape`.
/// A malformed escape is kept literally rather than failing the read.
fn query_unescape(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => match (
                bytes.get(i + 1).and_then(hex),
                bytes.get(i + 2).and_then(hex),
            ) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: &u8) -> Option<u8> {
    (*b as char).to_digit(16).map(|d| d as u8)
}

/// Brings an IAM object's tags from `prior.tags_all` to `planned.tags_all`
/// with its own pair of calls: `iam_update_tags!(aws, prior, planned,
/// untag_role, tag_role, role_name(name))`. A macro because each IAM kind
/// has its own request builders, with no trait in common.
macro_rules! iam_update_tags {
    ($aws:expr, $prior:expr, $planned:expr, $untag:ident, $tag:ident, $key:ident($id:expr)) => {
        $crate::provider::aws::tags::update_tags_all(
            $prior,
            $planned,
            |removed| {
                $aws.iam()
                    .$untag()
                    .$key($id)
                    .set_tag_keys(Some(removed))
                    .send()
                    .map_err($crate::provider::aws::sdk_error)
            },
            |changed| async move {
                $aws.iam()
                    .$tag()
                    .$key($id)
                    .set_tags(Some($crate::provider::aws::iam::iam_tags(&changed)?))
                    .send()
                    .await
                    .map_err($crate::provider::aws::sdk_error)
            },
        )
    };
}
use iam_update_tags;

/// Sets or removes an IAM user's or role's permissions boundary to what
/// `planned` says: `iam_update_boundary!(aws, planned,
/// put_role_permissions_boundary, delete_role_permissions_boundary,
/// role_name(name))`. A macro for the same reason as `iam_update_tags!`.
macro_rules! iam_update_boundary {
    ($aws:expr, $planned:expr, $put:ident, $delete:ident, $key:ident($id:expr)) => {
        async {
            match $planned.str("permissions_boundary") {
                Some(boundary) => {
                    $aws.iam()
                        .$put()
                        .$key($id)
                        .permissions_boundary(boundary)
                        .send()
                        .await
                        .map_err($crate::provider::aws::sdk_error)?;
                }
                None => {
                    $crate::provider::aws::ok_if_already_gone(
                        $aws.iam().$delete().$key($id).send().await,
                    )?;
                }
            }
            Ok::<(), $crate::provider::ProviderError>(())
        }
    };
}
use iam_update_boundary;

/// `list_tagged` for an IAM kind whose listing leaves tags out (roles,
/// policies): one `list_tags` call per object, a few at a time; an object
/// deleted meanwhile (NotFound) is left out.
pub(super) async fn tags_of_each<F, Fut>(
    ids: &[String],
    list_tags: F,
) -> Result<Vec<crate::provider::Listed>, ProviderError>
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<Tag>, ProviderError>>,
{
    let tagged = super::batch::fetch_each(ids, |id| {
        let listed = list_tags(id);
        async move {
            Ok(super::ok_if_not_found(listed.await)?.map(|tags| {
                tags.iter()
                    .map(|t| (t.key().to_string(), t.value().to_string()))
                    .collect()
            }))
        }
    })
    .await?;
    Ok(tagged.into_iter().collect())
}

/// Tags in IAM's request shape.
pub fn iam_tags(tags: &BTreeMap<String, String>) -> Result<Vec<Tag>, ProviderError> {
    tags.iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| ProviderError::new(ErrorKind::Validation, e.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encoded_document_reads_back_canonical() {
        let raw = "%7B%22Version%22%3A%20%222012-10-17%22%2C%20%22Statement%22%3A%20%5B%5D%7D";
        assert_eq!(
            policy_document_from_aws(raw),
            Value::string(r#"{"Statement":[],"Version":"2012-10-17"}"#)
        );
    }

    #[test]
    fn plain_document_is_not_decoded() {
        let raw = r#"{"Sid": "100%25 plain"}"#;
        assert_eq!(
            policy_document_from_aws(raw),
            Value::string(r#"{"Sid":"100%25 plain"}"#)
        );
    }

    #[test]
    fn malformed_escape_is_kept() {
        assert_eq!(query_unescape("a%zz+b%41"), "a%zz bA");
    }
}
