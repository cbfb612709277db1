//! `aws_s3_bucket_public_access_block`: the four switches that keep a
//! bucket from being made public.
//!
//! The id is the bucket name. Each switch defaults to false, as in
//! Terraform; delete removes the bucket's block configuration.

use std::sync::LazyLock;

use async_trait::async_trait;
use aws_sdk_s3::types::PublicAccessBlockConfiguration;

use super::{BucketSettings, bucket_of};
use crate::provider::ProviderError;
use crate::provider::aws::{AwsContext, ok_if_already_gone, sdk_error};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::value::{Attrs, AttrsExt, Value};

pub struct PublicAccessBlock;

const SWITCHES: [&str; 4] = [
    "block_public_acls",
    "block_public_policy",
    "ignore_public_acls",
    "restrict_public_buckets",
];

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let mut attributes = vec![Attribute::required("bucket", Type::String).force_new()];
    attributes.extend(SWITCHES.map(|name| Attribute::optional(name, Type::Bool).default(false)));
    Schema::new(attributes, vec![])
});

async fn put(aws: &AwsContext, planned: &Attrs) -> Result<(), ProviderError> {
    let on = |key: &str| planned.bool(key).unwrap_or(false);
    aws.s3()
        .put_public_access_block()
        .bucket(bucket_of(planned))
        .public_access_block_configuration(
            PublicAccessBlockConfiguration::builder()
                .block_public_acls(on("block_public_acls"))
                .block_public_policy(on("block_public_policy"))
                .ignore_public_acls(on("ignore_public_acls"))
                .restrict_public_buckets(on("restrict_public_buckets"))
                .build(),
        )
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(())
}

#[async_trait]
impl BucketSettings for PublicAccessBlock {
    const TYPE_NAME: &'static str = "aws_s3_bucket_public_access_block";

    fn settings_schema() -> &'static Schema {
        &SCHEMA
    }

    /// GetPublicAccessBlock; `None` when the bucket has no block
    /// configuration.
    async fn read(
        &self,
        aws: &AwsContext,
        bucket: &str,
    ) -> Result<Option<Vec<(&'static str, Value)>>, ProviderError> {
        let out = aws
            .s3()
            .get_public_access_block()
            .bucket(bucket)
            .send()
            .await
            .map_err(sdk_error)?;
        let Some(config) = out.public_access_block_configuration() else {
            return Ok(None);
        };
        let values = [
            config.block_public_acls(),
            config.block_public_policy(),
            config.ignore_public_acls(),
            config.restrict_public_buckets(),
        ];
        let switches = SWITCHES
            .into_iter()
            .zip(values.map(|on| Value::Bool(on.unwrap_or(false))));
        Ok(Some(switches.collect()))
    }

    async fn write(
        &self,
        aws: &AwsContext,
        _prior: Option<&Attrs>,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        put(aws, planned).await
    }

    async fn remove(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        ok_if_already_gone(
            aws.s3()
                .delete_public_access_block()
                .bucket(bucket_of(prior))
                .send()
                .await,
        )
    }
}
