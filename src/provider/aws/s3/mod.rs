//! S3: buckets and their settings types, and what they share: whether a
//! bucket exists, its versioning state, bucket tags (keeping terrane's own
//! when the user's change), emptying a bucket of every object version for
//! `force_destroy`, and the [`BucketSettings`] shape every bucket-settings
//! type has. No schemas live here.

mod bucket;
mod bucket_cors_configuration;
mod bucket_inline;
mod bucket_lifecycle_configuration;
mod bucket_logging;
mod bucket_ownership_controls;
mod bucket_policy;
mod bucket_public_access_block;
mod bucket_server_side_encryption_configuration;
mod bucket_versioning;
mod object;

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_s3::types::{Delete, ObjectIdentifier, Tag, Tagging};
use aws_smithy_runtime_api::client::result::SdkError;

use super::batch::{fetch_each, found_if_readable};
use super::tags::SYSTEM_TAG_PREFIX;
use super::{AwsContext, build_error, sdk_error};
use crate::provider::schema::Schema;
use crate::provider::{CreateRequest, Found, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value, attrs};

/// This service's types, for the provider's registry.
pub(super) const TYPES: super::ServiceTypes = super::ServiceTypes {
    name: "S3",
    resources: &[
        &bucket::Bucket,
        &bucket_versioning::BucketVersioning,
        &bucket_server_side_encryption_configuration::BucketEncryption,
        &bucket_public_access_block::PublicAccessBlock,
        &bucket_lifecycle_configuration::BucketLifecycle,
        &bucket_policy::BucketPolicy,
        &bucket_ownership_controls::BucketOwnershipControls,
        &bucket_cors_configuration::BucketCors,
        &bucket_logging::BucketLogging,
        &object::S3Object,
    ],
    data_sources: &[],
};

/// DeleteObjects takes at most 1,000 keys per call.
const KEYS_PER_DELETE: usize = 1000;

/// A bucket-settings type (versioning, encryption, public access block):
/// one configuration of one bucket, whose name is the type's id. S3 reads
/// it one bucket per call, and create and update both write it whole; a
/// type supplies those calls and gets its [`ResourceType`] from them.
#[async_trait]
pub trait BucketSettings: Send + Sync + 'static {
    const TYPE_NAME: &'static str;
    fn settings_schema() -> &'static Schema;
    /// The bucket's settings as attributes, `None` when it has none. A
    /// bucket that is gone is a NotFound error.
    async fn read(
        &self,
        aws: &AwsContext,
        bucket: &str,
    ) -> Result<Option<Vec<(&'static str, Value)>>, ProviderError>;
    /// Writes the planned settings; `prior` is `None` on create.
    async fn write(
        &self,
        aws: &AwsContext,
        prior: Option<&Attrs>,
        planned: &Attrs,
    ) -> Result<(), ProviderError>;
    /// Takes the settings off the bucket; a bucket that is gone is done.
    async fn remove(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError>;
}

#[async_trait]
impl<T: BucketSettings> ResourceType for T {
    fn type_name(&self) -> &'static str {
        T::TYPE_NAME
    }

    fn schema(&self) -> &'static Schema {
        T::settings_schema()
    }

    /// One read per bucket (S3 has no batched form), a few at a time.
    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        fetch_each(ids, |bucket| async move {
            let settings = self.read(aws, &bucket).await?;
            Ok(settings.map(|settings| bucket_settings_attrs(&bucket, settings)))
        })
        .await
    }

    /// The bucket's settings, when it has any.
    async fn find_created(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<Found, ProviderError> {
        let bucket = Some(bucket_of(req.planned)).filter(|b| !b.is_empty());
        found_if_readable(self, aws, bucket.map(String::from)).await
    }

    async fn create(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<String, ProviderError> {
        self.write(aws, None, req.planned).await?;
        Ok(bucket_of(req.planned).to_string())
    }

    async fn update(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        self.write(aws, Some(prior), planned).await
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        self.remove(aws, prior).await
    }
}

/// The bucket a bucket-settings type configures; its name is also the
/// type's id.
pub fn bucket_of(attrs: &Attrs) -> &str {
    attrs.str("bucket").unwrap_or_default()
}

/// What a bucket-settings type reads back: `id` and `bucket` (both the
/// bucket's name) and its own settings.
fn bucket_settings_attrs(bucket: &str, settings: Vec<(&str, Value)>) -> Attrs {
    let mut attrs = attrs([
        ("id", Value::string(bucket)),
        ("bucket", Value::string(bucket)),
    ]);
    attrs.extend(settings.into_iter().map(|(k, v)| (k.to_string(), v)));
    attrs
}

/// The bucket's region when it exists, `None` when it doesn't. HeadBucket
/// answers a bare 404 without an error code, so "missing" is read from the
/// error's kind rather than from [`sdk_error`]'s code mapping.
pub async fn bucket_region(
    aws: &AwsContext,
    bucket: &str,
) -> Result<Option<String>, ProviderError> {
    match aws.s3().head_bucket().bucket(bucket).send().await {
        Ok(out) => Ok(Some(
            out.bucket_region()
                .or(aws.region())
                .unwrap_or("us-east-1")
                .to_string(),
        )),
        Err(err) if err.as_service_error().is_some_and(|e| e.is_not_found()) => Ok(None),
        Err(err) => Err(sdk_error(err)),
    }
}

/// A bucket's versioning as S3 reports it: `None` for a bucket that was
/// never versioned.
pub struct VersioningState {
    pub status: Option<String>,
    pub mfa_delete: Option<String>,
}

/// GetBucketVersioning.
///
/// The emulator (moto 5.2) names the answer's root element
/// `GetBucketVersioningResponse` instead of AWS's `VersioningConfiguration`,
/// which the SDK rejects as unparseable although the call succeeded. Such a
/// successful but unparsed answer is read for its `Status` and `MfaDelete`
/// elements directly; AWS's answers never take that path.
pub async fn bucket_versioning(
    aws: &AwsContext,
    bucket: &str,
) -> Result<VersioningState, ProviderError> {
    match aws.s3().get_bucket_versioning().bucket(bucket).send().await {
        Ok(out) => Ok(VersioningState {
            status: out.status().map(|s| s.as_str().to_string()),
            mfa_delete: out.mfa_delete().map(|m| m.as_str().to_string()),
        }),
        Err(SdkError::ServiceError(failure))
            if failure.raw().status().is_success() && failure.err().meta().code().is_none() =>
        {
            let body = failure
                .raw()
                .body()
                .bytes()
                .and_then(|b| std::str::from_utf8(b).ok())
                .unwrap_or_default();
            Ok(VersioningState {
                status: xml_element(body, "Status"),
                mfa_delete: xml_element(body, "MfaDelete"),
            })
        }
        Err(err) => Err(sdk_error(err)),
    }
}

/// The text of the first `<name>…</name>` element in a small XML document.
fn xml_element(xml: &str, name: &str) -> Option<String> {
    let start = xml.find(&format!("<{name}>"))? + name.len() + 2;
    let end = start + xml[start..].find(&format!("</{name}>"))?;
    Some(xml[start..end].to_string())
}

/// The bucket's tags, terrane's included; none when it has no tag set.
pub async fn bucket_tags(
    aws: &AwsContext,
    bucket: &str,
) -> Result<BTreeMap<String, String>, ProviderError> {
    match aws.s3().get_bucket_tagging().bucket(bucket).send().await {
        Ok(out) => Ok(out
            .tag_set()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect()),
        // NoSuchTagSet would otherwise read as "the bucket is gone".
        Err(err)
            if err.as_service_error().and_then(|e| e.meta().code()) == Some("NoSuchTagSet") =>
        {
            Ok(BTreeMap::new())
        }
        Err(err) => Err(sdk_error(err)),
    }
}

/// Replaces the bucket's whole tag set (S3 has no per-key tagging).
/// Tags in the SDK's shape.
pub fn s3_tags(tags: BTreeMap<String, String>) -> Result<Vec<Tag>, ProviderError> {
    tags.into_iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build().map_err(build_error))
        .collect()
}

pub async fn put_bucket_tags(
    aws: &AwsContext,
    bucket: &str,
    tags: BTreeMap<String, String>,
) -> Result<(), ProviderError> {
    if tags.is_empty() {
        aws.s3()
            .delete_bucket_tagging()
            .bucket(bucket)
            .send()
            .await
            .map_err(sdk_error)?;
        return Ok(());
    }
    let tag_set = s3_tags(tags)?;
    aws.s3()
        .put_bucket_tagging()
        .bucket(bucket)
        .tagging(
            Tagging::builder()
                .set_tag_set(Some(tag_set))
                .build()
                .map_err(build_error)?,
        )
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(())
}

/// Sets the user's tags to `user_tags` while keeping the `terrane:*` tags the
/// bucket was created with, and the tags the provider's `ignore_tags`
/// leaves to others.
pub async fn replace_user_tags(
    aws: &AwsContext,
    bucket: &str,
    user_tags: BTreeMap<String, String>,
) -> Result<(), ProviderError> {
    let mut tags: BTreeMap<String, String> = bucket_tags(aws, bucket)
        .await?
        .into_iter()
        .filter(|(k, _)| k.starts_with(SYSTEM_TAG_PREFIX) || aws.settings.ignore_tags.ignores(k))
        .collect();
    tags.extend(user_tags);
    put_bucket_tags(aws, bucket, tags).await
}

/// Deletes every object version and delete marker, page by page, so the
/// bucket itself can be deleted.
pub async fn empty_bucket(aws: &AwsContext, bucket: &str) -> Result<(), ProviderError> {
    delete_versions(aws, bucket, None).await
}

/// Deletes every version and delete marker of one key (every key, with
/// `None`), page by page.
pub async fn delete_versions(
    aws: &AwsContext,
    bucket: &str,
    only_key: Option<&str>,
) -> Result<(), ProviderError> {
    let mut key_marker = None;
    let mut version_marker = None;
    loop {
        let page = aws
            .s3()
            .list_object_versions()
            .bucket(bucket)
            .set_prefix(only_key.map(String::from))
            .set_key_marker(key_marker)
            .set_version_id_marker(version_marker)
            .send()
            .await
            .map_err(sdk_error)?;
        let versions = page.versions().iter().map(|v| (v.key(), v.version_id()));
        let markers = page
            .delete_markers()
            .iter()
            .map(|m| (m.key(), m.version_id()));
        let objects = versions
            .chain(markers)
            .filter(|(key, _)| only_key.is_none() || *key == only_key)
            .filter_map(|(key, version)| {
                Some(
                    ObjectIdentifier::builder()
                        .key(key?)
                        .set_version_id(version.map(String::from))
                        .build()
                        .map_err(build_error),
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        for chunk in objects.chunks(KEYS_PER_DELETE) {
            let out = aws
                .s3()
                .delete_objects()
                .bucket(bucket)
                .delete(
                    Delete::builder()
                        .set_objects(Some(chunk.to_vec()))
                        .quiet(true)
                        .build()
                        .map_err(build_error)?,
                )
                .send()
                .await
                .map_err(sdk_error)?;
            if let Some(failed) = out.errors().first() {
                return Err(ProviderError::new(
                    crate::provider::ErrorKind::Other,
                    format!(
                        "could not delete {} from bucket {bucket}: {}",
                        failed.key().unwrap_or("an object"),
                        failed
                            .message()
                            .or(failed.code())
                            .unwrap_or("no reason given")
                    ),
                ));
            }
        }
        if page.is_truncated() != Some(true) {
            return Ok(());
        }
        key_marker = page.next_key_marker().map(String::from);
        version_marker = page.next_version_id_marker().map(String::from);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_elements_are_found_by_name() {
        let xml =
            "<GetBucketVersioningResponse><Status>Enabled</Status></GetBucketVersioningResponse>";
        assert_eq!(xml_element(xml, "Status").as_deref(), Some("Enabled"));
        assert_eq!(xml_element(xml, "MfaDelete"), None);
    }
}
