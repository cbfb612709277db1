//! `aws_s3_bucket_policy`: a bucket's resource policy.
//!
//! The id is the bucket name, as in Terraform. The document compares as
//! JSON (`Type::Json`), so S3's reformatting shows no change; delete
//! removes the policy.

use std::sync::LazyLock;

use async_trait::async_trait;

use super::{BucketSettings, bucket_of};
use crate::provider::ProviderError;
use crate::provider::aws::convert::required_str;
use crate::provider::aws::{AwsContext, ok_if_already_gone, sdk_error};
use crate::provider::schema::{Attribute, Schema, Type, canonical_json};
use crate::value::{Attrs, Value};

pub struct BucketPolicy;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        vec![
            Attribute::required("bucket", Type::String).force_new(),
            Attribute::required("policy", Type::Json),
        ],
        vec![],
    )
});

#[async_trait]
impl BucketSettings for BucketPolicy {
    const TYPE_NAME: &'static str = "aws_s3_bucket_policy";

    fn settings_schema() -> &'static Schema {
        &SCHEMA
    }

    /// GetBucketPolicy; a bucket without one answers NoSuchBucketPolicy.
    async fn read(
        &self,
        aws: &AwsContext,
        bucket: &str,
    ) -> Result<Option<Vec<(&'static str, Value)>>, ProviderError> {
        let out = aws
            .s3()
            .get_bucket_policy()
            .bucket(bucket)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(out.policy().map(|policy| {
            let document = canonical_json(policy).unwrap_or_else(|_| policy.to_string());
            vec![("policy", Value::String(document))]
        }))
    }

    async fn write(
        &self,
        aws: &AwsContext,
        _prior: Option<&Attrs>,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        aws.s3()
            .put_bucket_policy()
            .bucket(bucket_of(planned))
            .policy(required_str(planned, "policy")?)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    async fn remove(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        ok_if_already_gone(
            aws.s3()
                .delete_bucket_policy()
                .bucket(bucket_of(prior))
                .send()
                .await,
        )
    }
}
