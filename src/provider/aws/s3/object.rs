//! `aws_s3_object`: one object in a bucket, written from `content`,
//! `content_base64` or a local `source` file.
//!
//! terrane's id is `bucket/key` (Terraform's import id; its stored id is
//! the key alone, which a read cannot find the bucket from). A change of
//! the body or of how it is served writes the object again (PutObject, a
//! new version in a versioned bucket), as Terraform does; a change of the
//! canned ACL is one PutObjectAcl, of tags one PutObjectTagging. The body is not read back: `etag` (the
//! MD5 of an unencrypted single-part body) is what shows a change made
//! outside. A PUT can safely run twice, so an interrupted create simply
//! writes again. Delete removes every version of the key, as Terraform's.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use async_trait::async_trait;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ObjectCannedAcl, ServerSideEncryption, StorageClass, Tag, Tagging};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::delete_versions;
use crate::provider::aws::batch::fetch_each;
use crate::provider::aws::convert::{differs, prior_id, required_str};
use crate::provider::aws::names::split_id;
use crate::provider::aws::regions::partition;
use crate::provider::aws::tags::tags_to_value;
use crate::provider::aws::{AwsContext, build_error, ok_if_not_found, sdk_error};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{CreateRequest, ErrorKind, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value, attrs};

pub struct S3Object;

const ID_SHAPE: &str = "BUCKET/KEY";

/// The arguments that change what a PutObject writes; any of them changed
/// writes the object again.
const WRITTEN: &[&str] = &[
    "content",
    "content_base64",
    "source",
    "source_hash",
    "etag",
    "cache_control",
    "content_disposition",
    "content_encoding",
    "content_language",
    "content_type",
    "metadata",
    "storage_class",
    "server_side_encryption",
    "kms_key_id",
    "bucket_key_enabled",
    "website_redirect",
];

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let text = |name| Attribute::optional(name, Type::String);
    let mut schema = Schema::with_tags(
        vec![
            Attribute::required("bucket", Type::String).force_new(),
            Attribute::required("key", Type::String).force_new(),
            text("content"),
            text("content_base64"),
            text("source"),
            text("source_hash"),
            text("acl"),
            text("cache_control"),
            text("content_disposition"),
            text("content_encoding"),
            text("content_language"),
            Attribute::optional_computed("content_type", Type::String),
            Attribute::optional_computed("etag", Type::String),
            Attribute::optional("metadata", Type::map_of(Type::String)),
            Attribute::optional_computed("storage_class", Type::String),
            Attribute::optional_computed("server_side_encryption", Type::String),
            Attribute::optional_computed("kms_key_id", Type::String),
            Attribute::optional_computed("bucket_key_enabled", Type::Bool),
            text("website_redirect"),
            // Not an AWS setting: read never returns it.
            Attribute::optional("force_destroy", Type::Bool).default(false),
            Attribute::computed("version_id", Type::String),
            Attribute::computed("arn", Type::String),
            Attribute::computed("id", Type::String),
        ],
        vec![],
    );
    // A new body has a new ETag, and every write a new version, known only
    // once written.
    for written in ["content", "content_base64", "source", "source_hash"] {
        schema = schema.derived(written, "etag");
    }
    for written in WRITTEN {
        schema = schema.derived(written, "version_id");
    }
    schema
});

/// The body to write: `content`, `content_base64` decoded, or the file at
/// `source` (a relative path is the stack directory's).
fn body(aws: &AwsContext, planned: &Attrs) -> Result<Vec<u8>, ProviderError> {
    let invalid = |message: String| ProviderError::new(ErrorKind::Validation, message);
    if let Some(content) = planned.str("content") {
        return Ok(content.as_bytes().to_vec());
    }
    if let Some(encoded) = planned.str("content_base64") {
        return BASE64
            .decode(encoded)
            .map_err(|e| invalid(format!("content_base64 is not valid base64: {e}")));
    }
    if let Some(source) = planned.str("source") {
        return std::fs::read(aws.settings.working_dir.join(source))
            .map_err(|e| invalid(format!("source {source:?} could not be read: {e}")));
    }
    Ok(Vec::new())
}

/// Tags as the `x-amz-tagging` header takes them: URL-encoded `k=v&…`.
fn tagging_header(tags: &BTreeMap<String, String>) -> Option<String> {
    let encode = |text: &str| {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    (!tags.is_empty()).then(|| {
        tags.iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    })
}

async fn put(aws: &AwsContext, planned: &Attrs) -> Result<(), ProviderError> {
    let bucket = required_str(planned, "bucket")?;
    let key = required_str(planned, "key")?;
    let text = |name: &str| planned.str(name).map(String::from);
    let metadata = planned.string_map("metadata");
    // S3 lowercases metadata keys: one written otherwise would differ
    // forever. Terraform refuses it too.
    if let Some(key) = metadata.keys().find(|k| k.chars().any(char::is_uppercase)) {
        return Err(ProviderError::new(
            ErrorKind::Validation,
            format!("metadata key {key:?} must be lowercase: S3 stores metadata keys in lowercase"),
        ));
    }
    aws.s3()
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body(aws, planned)?))
        .set_acl(planned.str("acl").map(ObjectCannedAcl::from))
        .set_cache_control(text("cache_control"))
        .set_content_disposition(text("content_disposition"))
        .set_content_encoding(text("content_encoding"))
        .set_content_language(text("content_language"))
        .set_content_type(text("content_type"))
        .set_metadata((!metadata.is_empty()).then_some(metadata.into_iter().collect()))
        .set_storage_class(planned.str("storage_class").map(StorageClass::from))
        .set_server_side_encryption(
            planned
                .str("server_side_encryption")
                .map(ServerSideEncryption::from),
        )
        .set_ssekms_key_id(text("kms_key_id"))
        .set_bucket_key_enabled(planned.bool("bucket_key_enabled"))
        .set_website_redirect_location(text("website_redirect"))
        .set_tagging(tagging_header(&planned.string_map("tags_all")))
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(())
}

async fn read(aws: &AwsContext, id: &str) -> Result<Option<Attrs>, ProviderError> {
    let [bucket, key] = split_id::<2>(id, '/', ID_SHAPE)?;
    let head = aws.s3().head_object().bucket(bucket).key(key).send().await;
    let Some(head) = ok_if_not_found(head.map_err(sdk_error))? else {
        return Ok(None);
    };
    let tags = aws
        .s3()
        .get_object_tagging()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(sdk_error)?;
    let region = aws.region().unwrap_or("us-east-1");
    let metadata: BTreeMap<String, Value> = head
        .metadata()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), Value::string(v)))
        .collect();
    Ok(Some(attrs([
        ("id", Value::string(id)),
        ("bucket", Value::string(bucket)),
        ("key", Value::string(key)),
        (
            "arn",
            Value::string(format!(
                "arn:{}:s3:::{bucket}/{key}",
                partition(region).name
            )),
        ),
        ("cache_control", head.cache_control().into()),
        ("content_disposition", head.content_disposition().into()),
        ("content_encoding", head.content_encoding().into()),
        ("content_language", head.content_language().into()),
        ("content_type", head.content_type().into()),
        ("etag", head.e_tag().map(|e| e.trim_matches('"')).into()),
        ("metadata", Value::Map(metadata.into())),
        (
            "storage_class",
            Value::string(
                head.storage_class()
                    .map_or("STANDARD", StorageClass::as_str),
            ),
        ),
        (
            "server_side_encryption",
            head.server_side_encryption()
                .map(ServerSideEncryption::as_str)
                .into(),
        ),
        ("kms_key_id", head.ssekms_key_id().into()),
        (
            "bucket_key_enabled",
            Value::Bool(head.bucket_key_enabled().unwrap_or(false)),
        ),
        ("website_redirect", head.website_redirect_location().into()),
        ("version_id", head.version_id().into()),
        (
            "tags_all",
            tags_to_value(tags.tag_set().iter().map(|t| (t.key(), t.value()))),
        ),
    ])))
}

#[async_trait]
impl ResourceType for S3Object {
    fn type_name(&self) -> &'static str {
        "aws_s3_object"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    /// Terraform's id is the key; terrane's adds the bucket.
    fn id_from_terraform(&self, terraform_id: &str, attributes: &Attrs) -> String {
        match attributes.str("bucket") {
            Some(bucket) => format!("{bucket}/{terraform_id}"),
            None => terraform_id.to_string(),
        }
    }

    /// One HeadObject and one GetObjectTagging per object: S3 has no
    /// batched read of objects' settings.
    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        fetch_each(ids, |id| async move { read(aws, &id).await }).await
    }

    async fn create(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<String, ProviderError> {
        put(aws, req.planned).await?;
        let bucket = required_str(req.planned, "bucket")?;
        let key = required_str(req.planned, "key")?;
        Ok(format!("{bucket}/{key}"))
    }

    async fn update(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        if WRITTEN.iter().any(|name| differs(prior, planned, name)) {
            // The new object carries its tags with it.
            return put(aws, planned).await;
        }
        let [bucket, key] = split_id::<2>(prior_id(prior)?, '/', ID_SHAPE)?;
        if differs(prior, planned, "acl")
            && let Some(acl) = planned.str("acl")
        {
            aws.s3()
                .put_object_acl()
                .bucket(bucket)
                .key(key)
                .acl(ObjectCannedAcl::from(acl))
                .send()
                .await
                .map_err(sdk_error)?;
        }
        if differs(prior, planned, "tags_all") {
            let tags = planned
                .string_map("tags_all")
                .into_iter()
                .map(|(k, v)| Tag::builder().key(k).value(v).build().map_err(build_error))
                .collect::<Result<Vec<_>, _>>()?;
            aws.s3()
                .put_object_tagging()
                .bucket(bucket)
                .key(key)
                .tagging(
                    Tagging::builder()
                        .set_tag_set(Some(tags))
                        .build()
                        .map_err(build_error)?,
                )
                .send()
                .await
                .map_err(sdk_error)?;
        }
        Ok(())
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let [bucket, key] = split_id::<2>(prior_id(prior)?, '/', ID_SHAPE)?;
        ok_if_not_found(delete_versions(aws, bucket, Some(key)).await)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_go_in_the_header_url_encoded() {
        let tags = BTreeMap::from([
            ("Team".to_string(), "web shop".to_string()),
            ("a&b".to_string(), "x=y".to_string()),
        ]);
        assert_eq!(
            tagging_header(&tags).as_deref(),
            Some("Team=web%20shop&a%26b=x%3Dy")
        );
        assert_eq!(tagging_header(&BTreeMap::new()), None);
    }
}
