//! Data source `aws_iam_policy`: a managed policy by ARN, or by name
//! (and path prefix) among the account's and AWS's policies, read as the
//! `aws_iam_policy` resource reads it. A name that matches several
//! policies is an error, as in Terraform.

use std::sync::LazyLock;

use async_trait::async_trait;
use aws_sdk_iam::types::PolicyScopeType;

use super::policy::IamPolicy;
use crate::provider::aws::lookup::{exactly_one, mirrored_schema, read_as_resource};
use crate::provider::aws::{AwsContext, sdk_error};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{DataSourceType, ErrorKind, ProviderError};
use crate::value::{Attrs, AttrsExt};

pub struct IamPolicyDataSource;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    mirrored_schema(
        &IamPolicy,
        vec![
            Attribute::optional_computed("arn", Type::String),
            Attribute::optional_computed("name", Type::String),
            Attribute::optional("path_prefix", Type::String),
        ],
        &[
            "attachment_count",
            "description",
            "path",
            "policy",
            "policy_id",
        ],
        vec![],
    )
});

#[async_trait]
impl DataSourceType for IamPolicyDataSource {
    fn type_name(&self) -> &'static str {
        "aws_iam_policy"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    async fn read(&self, aws: &AwsContext, args: &Attrs) -> Result<Attrs, ProviderError> {
        let arn = match (args.str("arn"), args.str("name")) {
            (Some(arn), _) => arn.to_string(),
            (None, Some(name)) => {
                let policies: Vec<_> = aws
                    .iam()
                    .list_policies()
                    .scope(PolicyScopeType::All)
                    .set_path_prefix(args.str("path_prefix").map(str::to_string))
                    .into_paginator()
                    .items()
                    .send()
                    .try_collect()
                    .await
                    .map_err(sdk_error)?;
                let named = policies
                    .into_iter()
                    .filter(|p| p.policy_name() == Some(name))
                    .collect();
                let policy = exactly_one(named, "IAM Policy")?;
                policy.arn().unwrap_or_default().to_string()
            }
            (None, None) => {
                return Err(ProviderError::new(
                    ErrorKind::Validation,
                    "one of arn and name must be set",
                ));
            }
        };
        read_as_resource(&IamPolicy, aws, &arn, args, &SCHEMA).await
    }
}
