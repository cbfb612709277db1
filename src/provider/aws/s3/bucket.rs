//! `aws_s3_bucket`: the bucket itself; versioning, encryption and public
//! access settings are their own resource types, as in Terraform.
//!
//! The id is the bucket name. Tags go on with PutBucketTagging, which
//! replaces the whole set, so updates keep the bucket's `terrane:*` tags.
//! `force_destroy` and `bucket_prefix` exist only in state: read leaves them
//! out, and delete acts on the prior `force_destroy`. Bucket policies, ACLs,
//! object lock and the other bucket settings are not handled here.

use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};

use super::{bucket_region, bucket_tags, empty_bucket, put_bucket_tags, replace_user_tags};
use crate::provider::aws::batch::fetch_each;
use crate::provider::aws::convert::{differs, prior_id};
use crate::provider::aws::names::{dns_suffix, partition, unique_name};
use crate::provider::aws::tags::{create_tags, tags_to_value};
use crate::provider::aws::{
    AwsContext, Timeouts, ok_if_already_gone, ok_if_not_found, sdk_error, wait_until,
};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{CreateRequest, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value};

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
        Attribute::computed("arn", Type::String),
        Attribute::computed("bucket_domain_name", Type::String),
        Attribute::computed("bucket_regional_domain_name", Type::String),
        Attribute::computed("region", Type::String),
    ];
    Schema::with_tags(attributes, vec![Timeouts::block()])
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
        let partition = partition(aws.region());
        fetch_each(ids, |bucket| async move {
            let Some(region) = bucket_region(aws, &bucket).await? else {
                return Ok(None);
            };
            let tags = tags_to_value(bucket_tags(aws, &bucket).await?);
            let suffix = dns_suffix(partition);
            Ok(Some(Attrs::from([
                ("id".into(), Value::string(bucket.as_str())),
                ("bucket".into(), Value::string(bucket.as_str())),
                (
                    "arn".into(),
                    Value::string(format!("arn:{partition}:s3:::{bucket}")),
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
                ("tags_all".into(), tags),
            ])))
        })
        .await
    }

    async fn create(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<String, ProviderError> {
        let planned = req.planned;
        let written = planned.str("bucket");
        let bucket = unique_name(
            written,
            planned.str("bucket_prefix"),
            "terraform-",
            63,
            req.client_token,
        );
        // us-east-1 is the default location and must not be named.
        let location = aws.region().filter(|r| *r != "us-east-1").map(|r| {
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(r))
                .build()
        });
        let created = aws
            .s3()
            .create_bucket()
            .bucket(&bucket)
            .set_create_bucket_configuration(location)
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
        Ok(bucket)
    }

    async fn update(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        // force_destroy lives only in state; tags are all S3 is told.
        if differs(prior, planned, "tags_all") {
            let bucket = prior_id(prior)?;
            replace_user_tags(aws, bucket, planned.string_map("tags_all")).await?;
        }
        Ok(())
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
