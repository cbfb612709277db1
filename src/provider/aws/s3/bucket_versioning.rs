//! `aws_s3_bucket_versioning`: a bucket's versioning state.
//!
//! The id is the bucket name. A bucket that was never versioned reads as
//! `Disabled`; once versioning was enabled it can only be suspended, so
//! delete suspends it (as Terraform does) and moving back to `Disabled` is
//! refused rather than silently turned into `Suspended`.

use std::sync::LazyLock;

use async_trait::async_trait;
use aws_sdk_s3::types::{BucketVersioningStatus, MfaDelete, VersioningConfiguration};

use super::{BucketSettings, bucket_of, bucket_versioning};
use crate::provider::aws::convert::{block, nested, single};
use crate::provider::aws::{AwsContext, ok_if_not_found, sdk_error};
use crate::provider::schema::{Attribute, Block, Schema, Type};
use crate::provider::{ErrorKind, ProviderError};
use crate::value::{Attrs, AttrsExt, Value};

pub struct BucketVersioning;

const DISABLED: &str = "Disabled";

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let configuration = Schema::new(
        vec![
            Attribute::required("status", Type::String),
            Attribute::optional_computed("mfa_delete", Type::String),
        ],
        vec![],
    );
    Schema::new(
        vec![Attribute::required("bucket", Type::String).force_new()],
        vec![Block::single("versioning_configuration", configuration).required()],
    )
});

fn status(attrs: &Attrs) -> &str {
    single(attrs, "versioning_configuration")
        .and_then(|c| c.str("status"))
        .unwrap_or(DISABLED)
}

/// PutBucketVersioning with this status.
pub(super) async fn put(
    aws: &AwsContext,
    bucket: &str,
    status: &str,
    mfa_delete: Option<&str>,
) -> Result<(), ProviderError> {
    aws.s3()
        .put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::from(status))
                .set_mfa_delete(mfa_delete.map(MfaDelete::from))
                .build(),
        )
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(())
}

/// Writes the planned state; `Disabled` is only possible on a bucket that
/// was never versioned, where it means "leave it alone".
async fn apply(
    aws: &AwsContext,
    planned: &Attrs,
    was_versioned: bool,
) -> Result<(), ProviderError> {
    let bucket = bucket_of(planned);
    let wanted = status(planned);
    if wanted == DISABLED {
        if was_versioned {
            return Err(ProviderError::new(
                ErrorKind::Validation,
                format!(
                    "versioning of bucket {bucket} cannot be disabled once enabled; use status = \"Suspended\""
                ),
            ));
        }
        return Ok(());
    }
    let mfa_delete = single(planned, "versioning_configuration").and_then(|c| c.str("mfa_delete"));
    put(aws, bucket, wanted, mfa_delete).await
}

#[async_trait]
impl BucketSettings for BucketVersioning {
    const TYPE_NAME: &'static str = "aws_s3_bucket_versioning";

    fn settings_schema() -> &'static Schema {
        &SCHEMA
    }

    /// GetBucketVersioning. Never `None`: a bucket that was never versioned
    /// reads as `Disabled`.
    async fn read(
        &self,
        aws: &AwsContext,
        bucket: &str,
    ) -> Result<Option<Vec<(&'static str, Value)>>, ProviderError> {
        let state = bucket_versioning(aws, bucket).await?;
        // S3 leaves MfaDelete out until it was first configured.
        let mfa_delete = state.mfa_delete.unwrap_or_else(|| DISABLED.to_string());
        let configuration = nested([
            (
                "status",
                Value::string(state.status.as_deref().unwrap_or(DISABLED)),
            ),
            ("mfa_delete", Value::string(mfa_delete)),
        ]);
        Ok(Some(vec![(
            "versioning_configuration",
            block(configuration),
        )]))
    }

    async fn write(
        &self,
        aws: &AwsContext,
        prior: Option<&Attrs>,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        let was_versioned = prior.is_some_and(|prior| status(prior) != DISABLED);
        apply(aws, planned, was_versioned).await
    }

    async fn remove(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        if status(prior) == DISABLED {
            return Ok(());
        }
        let bucket = bucket_of(prior);
        ok_if_not_found(put(aws, bucket, "Suspended", None).await)?;
        Ok(())
    }
}
