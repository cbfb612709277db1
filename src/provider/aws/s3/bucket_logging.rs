//! `aws_s3_bucket_logging`: server access logs of a bucket, written to
//! another bucket under a prefix.
//!
//! The id is the bucket name, as in Terraform. Target and key format
//! change in place; delete turns logging off. `target_grant` and
//! `expected_bucket_owner` are not supported yet.

use std::sync::LazyLock;

use async_trait::async_trait;
use aws_sdk_s3::types::{
    BucketLoggingStatus, LoggingEnabled, PartitionDateSource, PartitionedPrefix, SimplePrefix,
    TargetObjectKeyFormat,
};

use super::{BucketSettings, bucket_of};
use crate::provider::ProviderError;
use crate::provider::aws::convert::{block, nested, required_str, single};
use crate::provider::aws::{AwsContext, build_error, ok_if_already_gone, sdk_error};
use crate::provider::schema::{Attribute, Block, Schema, Type};
use crate::value::{Attrs, AttrsExt, Value};

pub struct BucketLogging;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let key_format = Schema::new(
        vec![],
        vec![
            Block::single(
                "partitioned_prefix",
                Schema::new(
                    vec![Attribute::required("partition_date_source", Type::String)],
                    vec![],
                ),
            ),
            Block::single("simple_prefix", Schema::new(vec![], vec![])),
        ],
    );
    Schema::new(
        vec![
            Attribute::required("bucket", Type::String).force_new(),
            Attribute::required("target_bucket", Type::String),
            Attribute::required("target_prefix", Type::String),
        ],
        vec![Block::single("target_object_key_format", key_format)],
    )
});

#[async_trait]
impl BucketSettings for BucketLogging {
    const TYPE_NAME: &'static str = "aws_s3_bucket_logging";

    fn settings_schema() -> &'static Schema {
        &SCHEMA
    }

    /// GetBucketLogging; `None` when logging is off.
    async fn read(
        &self,
        aws: &AwsContext,
        bucket: &str,
    ) -> Result<Option<Vec<(&'static str, Value)>>, ProviderError> {
        let out = aws
            .s3()
            .get_bucket_logging()
            .bucket(bucket)
            .send()
            .await
            .map_err(sdk_error)?;
        let Some(logging) = out.logging_enabled() else {
            return Ok(None);
        };
        let format = logging.target_object_key_format().map(|format| {
            let partitioned = format.partitioned_prefix().map(|p| {
                nested([(
                    "partition_date_source",
                    p.partition_date_source().map(|s| s.as_str()).into(),
                )])
            });
            nested([
                (
                    "partitioned_prefix",
                    Value::List(partitioned.into_iter().map(Value::object).collect()),
                ),
                (
                    "simple_prefix",
                    Value::List(
                        format
                            .simple_prefix()
                            .map(|_| Value::Map(Attrs::new().into()))
                            .into_iter()
                            .collect(),
                    ),
                ),
            ])
        });
        Ok(Some(vec![
            ("target_bucket", Value::string(logging.target_bucket())),
            ("target_prefix", Value::string(logging.target_prefix())),
            (
                "target_object_key_format",
                format.map_or(Value::List(Vec::new().into()), block),
            ),
        ]))
    }

    async fn write(
        &self,
        aws: &AwsContext,
        _prior: Option<&Attrs>,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        let format = single(planned, "target_object_key_format").map(|format| {
            let partitioned = single(format, "partitioned_prefix").map(|p| {
                PartitionedPrefix::builder()
                    .set_partition_date_source(
                        p.str("partition_date_source")
                            .map(PartitionDateSource::from),
                    )
                    .build()
            });
            TargetObjectKeyFormat::builder()
                .set_partitioned_prefix(partitioned)
                .set_simple_prefix(
                    (!format.blocks("simple_prefix").is_empty())
                        .then(|| SimplePrefix::builder().build()),
                )
                .build()
        });
        let logging = LoggingEnabled::builder()
            .target_bucket(required_str(planned, "target_bucket")?)
            .target_prefix(required_str(planned, "target_prefix")?)
            .set_target_object_key_format(format)
            .build()
            .map_err(build_error)?;
        aws.s3()
            .put_bucket_logging()
            .bucket(bucket_of(planned))
            .bucket_logging_status(
                BucketLoggingStatus::builder()
                    .logging_enabled(logging)
                    .build(),
            )
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    /// An empty logging status turns logging off.
    async fn remove(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        ok_if_already_gone(
            aws.s3()
                .put_bucket_logging()
                .bucket(bucket_of(prior))
                .bucket_logging_status(BucketLoggingStatus::builder().build())
                .send()
                .await,
        )
    }
}
