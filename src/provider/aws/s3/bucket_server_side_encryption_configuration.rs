//! `aws_s3_bucket_server_side_encryption_configuration`: a bucket's default
//! encryption.
//!
//! The id is the bucket name. Delete removes the configuration; on AWS the
//! bucket then falls back to SSE-S3 (AES256), which every bucket has had
//! since January 2023, so a deleted configuration can still read back.

use std::sync::LazyLock;

use async_trait::async_trait;
use aws_sdk_s3::types::{
    ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
    ServerSideEncryptionRule,
};

use super::{BucketSettings, bucket_of};
use crate::provider::ProviderError;
use crate::provider::aws::convert::{nested, optional_block, single};
use crate::provider::aws::{AwsContext, build_error, ok_if_already_gone, sdk_error};
use crate::provider::schema::{Attribute, Block, Schema, Type};
use crate::value::{Attrs, AttrsExt, Value};

pub struct BucketEncryption;

/// One `rule {}`: also the rule of `aws_s3_bucket`'s legacy inline
/// `server_side_encryption_configuration`.
pub(super) fn rule_schema() -> Schema {
    let by_default = Schema::new(
        vec![
            Attribute::required("sse_algorithm", Type::String),
            Attribute::optional("kms_master_key_id", Type::String),
        ],
        vec![],
    );
    Schema::new(
        // S3 reports `false` when bucket keys were never set; a default of
        // false keeps that from showing as a change.
        vec![Attribute::optional("bucket_key_enabled", Type::Bool).default(false)],
        vec![Block::single(
            "apply_server_side_encryption_by_default",
            by_default,
        )],
    )
}

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        vec![Attribute::required("bucket", Type::String).force_new()],
        vec![Block::set("rule", rule_schema()).required()],
    )
});

fn rules(planned: &Attrs) -> Result<Vec<ServerSideEncryptionRule>, ProviderError> {
    planned
        .blocks("rule")
        .into_iter()
        .map(|rule| {
            let by_default = single(rule, "apply_server_side_encryption_by_default")
                .map(|d| {
                    ServerSideEncryptionByDefault::builder()
                        .set_sse_algorithm(d.str("sse_algorithm").map(ServerSideEncryption::from))
                        .set_kms_master_key_id(d.str("kms_master_key_id").map(String::from))
                        .build()
                        .map_err(build_error)
                })
                .transpose()?;
            Ok(ServerSideEncryptionRule::builder()
                .set_apply_server_side_encryption_by_default(by_default)
                .set_bucket_key_enabled(rule.bool("bucket_key_enabled"))
                .build())
        })
        .collect()
}

fn rule_value(rule: &ServerSideEncryptionRule) -> Value {
    let by_default = rule.apply_server_side_encryption_by_default().map(|d| {
        nested([
            ("sse_algorithm", Value::string(d.sse_algorithm().as_str())),
            ("kms_master_key_id", d.kms_master_key_id().into()),
        ])
    });
    Value::Map(
        nested([
            (
                "bucket_key_enabled",
                Value::Bool(rule.bucket_key_enabled().unwrap_or(false)),
            ),
            (
                "apply_server_side_encryption_by_default",
                optional_block(by_default),
            ),
        ])
        .into(),
    )
}

/// PutBucketEncryption with the `rule` blocks of `configuration`.
pub(super) async fn put_rules(
    aws: &AwsContext,
    bucket: &str,
    configuration: &Attrs,
) -> Result<(), ProviderError> {
    let planned = configuration;
    aws.s3()
        .put_bucket_encryption()
        .bucket(bucket)
        .server_side_encryption_configuration(
            ServerSideEncryptionConfiguration::builder()
                .set_rules(Some(rules(planned)?))
                .build()
                .map_err(build_error)?,
        )
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(())
}

#[async_trait]
impl BucketSettings for BucketEncryption {
    const TYPE_NAME: &'static str = "aws_s3_bucket_server_side_encryption_configuration";

    fn settings_schema() -> &'static Schema {
        &SCHEMA
    }

    /// GetBucketEncryption. A bucket without a configuration is a NotFound
    /// error, which leaves it out.
    async fn read(
        &self,
        aws: &AwsContext,
        bucket: &str,
    ) -> Result<Option<Vec<(&'static str, Value)>>, ProviderError> {
        let out = aws
            .s3()
            .get_bucket_encryption()
            .bucket(bucket)
            .send()
            .await
            .map_err(sdk_error)?;
        let rules = out
            .server_side_encryption_configuration()
            .map(|c| c.rules().iter().map(rule_value).collect::<Vec<_>>())
            .unwrap_or_default();
        Ok(Some(vec![("rule", Value::List(rules.into()).into_set())]))
    }

    async fn write(
        &self,
        aws: &AwsContext,
        _prior: Option<&Attrs>,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        put_rules(aws, bucket_of(planned), planned).await
    }

    async fn remove(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        ok_if_already_gone(
            aws.s3()
                .delete_bucket_encryption()
                .bucket(bucket_of(prior))
                .send()
                .await,
        )
    }
}
