//! `aws_s3_bucket`: the bucket itself; versioning, encryption and public
//! access settings are their own resource types, as in Terraform. The
//! legacy inline `versioning`, `server_side_encryption_configuration` and
//! `lifecycle_rule` blocks older configurations write are written, not read
//! back, by `bucket_inline`.
//!
//! The id is the bucket name. Tags go on with PutBucketTagging, which
//! replaces the whole set, so updates keep the bucket's `terrane:*` tags.
//! `force_destroy` and `bucket_prefix` exist only in state: read leaves them
//! out, and delete acts on the prior `force_destroy`. `object_lock_enabled`
//! is sent with CreateBucket (S3 takes it nowhere else) and read back. Bucket
//! policies, ACLs, object lock rules and the other bucket settings are
//! their own types or not handled here.

use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};

use super::{
    bucket_inline, bucket_region, bucket_tags, empty_bucket, put_bucket_tags, replace_user_tags,
    s3_tags,
};
use crate::provider::aws::batch::fetch_each;
use crate::provider::aws::convert::{differs, prior_id};
use crate::provider::aws::names::unique_name;
use crate::provider::aws::regions::partition;
use crate::provider::aws::tags::{create_tags, owner_of_named, tags_to_value};
use crate::provider::aws::{
    AwsContext, Timeouts, ok_if_already_gone, ok_if_not_found, sdk_error, wait_until,
};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{CreateRequest, Found, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value};

/// The name a create asks for: the written one, or the prefix plus a suffix
/// from the create's token, within S3's 63 characters.
fn bucket_name(req: &CreateRequest<'_>) -> String {
    let planned = req.planned;
    unique_name(
        planned.str("bucket"),
        planned.str("bucket_prefix"),
        "terraform-",
        63,
        req.client_token,
    )
}

pub struct Bucket;

const DEFAULT_TIMEOUTS: Timeouts = Timeouts {
    create: Duration::from_secs(20 * 60),
    update: Duration::from_secs(20 * 60),
    delete: Duration::from_secs(60 * 60),
};

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let attributes = vec![
        Attribute::optional_computed("bucket", Type::String).force_new(),
        Attribute::optional("bucket_prefix", Type::String).force_new(),
        Attribute::optional("force_destroy", Type::Bool).default(false),
        // Object lock can only be turned on as the bucket is made.
        Attribute::optional_computed("object_lock_enabled", Type::Bool).force_new(),
        Attribute::computed("arn", Type::String),
        Attribute::computed("bucket_domain_name", Type::String),
        Attribute::computed("bucket_regional_domain_name", Type::String),
        Attribute::computed("region", Type::String),
    ];
    Schema::with_tags(
        attributes,
        bucket_inline::blocks()
            .into_iter()
            .chain([Timeouts::block(&["create", "read", "update", "delete"])])
            .collect(),
    )
});

#[async_trait]
impl ResourceType for Bucket {
    fn type_name(&self) -> &'static str {
        "aws_s3_bucket"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    /// HeadBucket and GetBucketTagging per bucket (S3 has no batched
    /// describe), a few at a time.
    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let partition = partition(aws.region().unwrap_or_default());
        fetch_each(ids, |bucket| async move {
            let Some(region) = bucket_region(aws, &bucket).await? else {
                return Ok(None);
            };
            let tags = tags_to_value(bucket_tags(aws, &bucket).await?);
            let object_lock = object_lock_enabled(aws, &bucket).await?;
            let suffix = partition.dns_suffix;
            Ok(Some(Attrs::from([
                ("id".into(), Value::string(bucket.as_str())),
                ("bucket".into(), Value::string(bucket.as_str())),
                (
                    "arn".into(),
                    Value::string(format!("arn:{}:s3:::{bucket}", partition.name)),
                ),
                (
                    "bucket_domain_name".into(),
                    Value::string(format!("{bucket}.s3.{suffix}")),
                ),
                (
                    "bucket_regional_domain_name".into(),
                    Value::string(format!("{bucket}.s3.{region}.{suffix}")),
                ),
                ("region".into(), Value::string(region)),
                ("object_lock_enabled".into(), Value::Bool(object_lock)),
                ("tags_all".into(), tags),
            ])))
        })
        .await
    }

    /// A generated name comes from the create's token, so a bucket by that
    /// name is this create's; a written one is, when its tags say so.
    async fn find_created(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<Found, ProviderError> {
        let bucket = bucket_name(req);
        if bucket_region(aws, &bucket).await?.is_none() {
            return Ok(Found::Nothing);
        }
        if req.planned.str("bucket").is_none() {
            return Ok(Found::Ours(bucket));
        }
        let tags = bucket_tags(aws, &bucket).await?;
        if tags.is_empty() && created_since(aws, &bucket, req.started).await? {
            // The tags go with CreateBucket, so on AWS a bucket this create
            // made is never untagged. An endpoint that ignores them there
            // (the emulator) leaves it untagged until the PutBucketTagging
            // that follows: an untagged bucket of this name, made since the
            // create started, is taken as the create's own.
            return Ok(Found::Ours(bucket));
        }
        Ok(owner_of_named(aws, req, bucket, tags))
    }

    async fn create(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<String, ProviderError> {
        let planned = req.planned;
        bucket_inline::check(planned)?;
        let written = planned.str("bucket");
        let bucket = bucket_name(req);
        // us-east-1 is the default location and must not be named.
        let location = aws
            .region()
            .filter(|r| *r != "us-east-1")
            .map(BucketLocationConstraint::from);
        // The tags go with the create, so an object whose answer is lost is
        // found by them; they are put again below for endpoints that ignore
        // them here (the emulator).
        let configuration = CreateBucketConfiguration::builder()
            .set_location_constraint(location)
            .set_tags(Some(s3_tags(create_tags(aws, req))?))
            .build();
        let created = aws
            .s3()
            .create_bucket()
            .bucket(&bucket)
            .create_bucket_configuration(configuration)
            .set_object_lock_enabled_for_bucket(
                planned.bool("object_lock_enabled").filter(|on| *on),
            )
            .send()
            .await;
        if let Err(err) = created {
            // A generated name comes from this create's token, so a bucket we
            // already own by that name is this create's own earlier attempt.
            let ours = written.is_none()
                && err
                    .as_service_error()
                    .is_some_and(|e| e.is_bucket_already_owned_by_you());
            if !ours {
                return Err(sdk_error(err));
            }
        }
        let timeout = Timeouts::from_attrs(planned, DEFAULT_TIMEOUTS).create;
        wait_until(&format!("bucket {bucket} to exist"), timeout, || async {
            Ok(bucket_region(aws, &bucket).await?.map(|_| ()))
        })
        .await?;
        put_bucket_tags(aws, &bucket, create_tags(aws, req)).await?;
        let written = |name: &str| match planned.get(name) {
            Some(Value::List(items)) => !items.is_empty(),
            _ => false,
        };
        bucket_inline::write(aws, &bucket, None, planned, written).await?;
        Ok(bucket)
    }

    async fn update(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        // force_destroy lives only in state.
        let bucket = prior_id(prior)?;
        if differs(prior, planned, "tags_all") {
            replace_user_tags(aws, bucket, planned.string_map("tags_all")).await?;
        }
        let changed = |name: &str| SCHEMA.argument_changed(name, prior, planned);
        bucket_inline::write(aws, bucket, Some(prior), planned, changed).await
    }

    /// Without `force_destroy`, a bucket with objects fails with
    /// BucketNotEmpty, as in Terraform.
    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let bucket = prior_id(prior)?;
        if prior.bool("force_destroy").unwrap_or(false) {
            ok_if_not_found(empty_bucket(aws, bucket).await)?;
        }
        ok_if_already_gone(aws.s3().delete_bucket().bucket(bucket).send().await)?;
        let timeout = Timeouts::from_attrs(prior, DEFAULT_TIMEOUTS).delete;
        wait_until(
            &format!("bucket {bucket} to be deleted"),
            timeout,
            || async { Ok(bucket_region(aws, bucket).await?.is_none().then_some(())) },
        )
        .await
    }
}

/// Whether object lock is on for `bucket`: GetObjectLockConfiguration,
/// which S3 answers with a NotFound error for a bucket that never had it.
async fn object_lock_enabled(aws: &AwsContext, bucket: &str) -> Result<bool, ProviderError> {
    let out = aws
        .s3()
        .get_object_lock_configuration()
        .bucket(bucket)
        .send()
        .await
        .map_err(sdk_error);
    Ok(ok_if_not_found(out)?
        .and_then(|out| out.object_lock_configuration)
        .and_then(|c| c.object_lock_enabled)
        .is_some_and(|e| e.as_str() == "Enabled"))
}

/// Whether `bucket` was made at `since` or later, by ListBuckets' creation
/// date (whole seconds, so `since` is taken to its second).
async fn created_since(
    aws: &AwsContext,
    bucket: &str,
    since: std::time::SystemTime,
) -> Result<bool, ProviderError> {
    let since = since
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let mut pages = aws
        .s3()
        .list_buckets()
        .prefix(bucket)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(sdk_error)?;
        if let Some(found) = page.buckets().iter().find(|b| b.name() == Some(bucket)) {
            return Ok(found.creation_date().is_some_and(|d| d.secs() >= since));
        }
    }
    Ok(false)
}
