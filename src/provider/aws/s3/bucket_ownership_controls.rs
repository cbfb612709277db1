//! `aws_s3_bucket_ownership_controls`: who owns the objects written to a
//! bucket (`BucketOwnerEnforced` turns ACLs off).
//!
//! The id is the bucket name, as in Terraform; the rule changes in place
//! and delete removes the controls.

use std::sync::LazyLock;

use async_trait::async_trait;
use aws_sdk_s3::types::{ObjectOwnership, OwnershipControls, OwnershipControlsRule};

use super::{BucketSettings, bucket_of};
use crate::provider::ProviderError;
use crate::provider::aws::convert::{block, nested, required_str, single};
use crate::provider::aws::{AwsContext, build_error, ok_if_already_gone, sdk_error};
use crate::provider::schema::{Attribute, Block, Schema, Type};
use crate::value::{Attrs, Value};

pub struct BucketOwnershipControls;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        vec![Attribute::required("bucket", Type::String).force_new()],
        vec![
            Block::single(
                "rule",
                Schema::new(
                    vec![Attribute::required("object_ownership", Type::String)],
                    vec![],
                ),
            )
            .required(),
        ],
    )
});

#[async_trait]
impl BucketSettings for BucketOwnershipControls {
    const TYPE_NAME: &'static str = "aws_s3_bucket_ownership_controls";

    fn settings_schema() -> &'static Schema {
        &SCHEMA
    }

    /// GetBucketOwnershipControls; a bucket without controls answers
    /// OwnershipControlsNotFoundError.
    async fn read(
        &self,
        aws: &AwsContext,
        bucket: &str,
    ) -> Result<Option<Vec<(&'static str, Value)>>, ProviderError> {
        let out = aws
            .s3()
            .get_bucket_ownership_controls()
            .bucket(bucket)
            .send()
            .await
            .map_err(sdk_error)?;
        let Some(rule) = out.ownership_controls().and_then(|c| c.rules().first()) else {
            return Ok(None);
        };
        let ownership = Value::string(rule.object_ownership().as_str());
        Ok(Some(vec![(
            "rule",
            block(nested([("object_ownership", ownership)])),
        )]))
    }

    async fn write(
        &self,
        aws: &AwsContext,
        _prior: Option<&Attrs>,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        let rule = single(planned, "rule").cloned().unwrap_or_default();
        let rule = OwnershipControlsRule::builder()
            .object_ownership(ObjectOwnership::from(required_str(
                &rule,
                "object_ownership",
            )?))
            .build()
            .map_err(build_error)?;
        aws.s3()
            .put_bucket_ownership_controls()
            .bucket(bucket_of(planned))
            .ownership_controls(
                OwnershipControls::builder()
                    .rules(rule)
                    .build()
                    .map_err(build_error)?,
            )
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    async fn remove(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        ok_if_already_gone(
            aws.s3()
                .delete_bucket_ownership_controls()
                .bucket(bucket_of(prior))
                .send()
                .await,
        )
    }
}
