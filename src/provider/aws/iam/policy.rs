//! `aws_iam_policy`: a customer managed IAM policy.
//!
//! The id is the policy's ARN, as in Terraform. A change of the document
//! is a new default version (the oldest other version is deleted first
//! when IAM's five are used up); name, path and description force a new
//! policy. Attachments are their own resources; delete removes the
//! policy's other versions first, as IAM requires.

use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use futures::TryFutureExt;

use super::{iam_tags, iam_update_tags, policy_document_from_aws, tags_of_each};
use crate::provider::aws::batch::fetch_each;
use crate::provider::aws::convert::{differs, prior_id};
use crate::provider::aws::names::{name_for_create, prefix_from_name};
use crate::provider::aws::regions::partition;
use crate::provider::aws::tags::{create_tags, owner_of_named, tags_to_value};
use crate::provider::aws::{
    AwsContext, ok_if_already_gone, ok_if_not_found, sdk_error, wait_until,
};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{CreateRequest, Found, Listed, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value};

/// How long a new policy may take to become readable.
const PROPAGATION_TIMEOUT: Duration = Duration::from_secs(120);

/// IAM keeps at most this many versions of a policy.
const MAX_VERSIONS: usize = 5;

pub struct IamPolicy;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let attributes = vec![
        Attribute::optional_computed("name", Type::String).force_new(),
        Attribute::optional_computed("name_prefix", Type::String).force_new(),
        Attribute::optional("path", Type::String)
            .default("/")
            .force_new(),
        Attribute::optional("description", Type::String).force_new(),
        Attribute::required("policy", Type::Json),
        Attribute::computed("arn", Type::String),
        Attribute::computed("policy_id", Type::String),
        Attribute::computed("attachment_count", Type::Number),
    ];
    Schema::with_tags(attributes, vec![])
});

#[async_trait]
impl ResourceType for IamPolicy {
    fn type_name(&self) -> &'static str {
        "aws_iam_policy"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    /// GetPolicy and GetPolicyVersion (for the document) per policy.
    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        fetch_each(ids, |arn| async move { read_policy(aws, &arn).await }).await
    }

    /// The policy with the create's name and path, in this account.
    async fn find_created(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<Found, ProviderError> {
        let name = name_for_create(req.planned, "name", "name_prefix", req.client_token);
        let path = req.planned.str("path").unwrap_or("/");
        let account = aws.account_id().await?;
        let partition = partition(aws.region().unwrap_or_default()).name;
        let arn = format!("arn:{partition}:iam::{account}:policy{path}{name}");
        let got = aws
            .iam()
            .get_policy()
            .policy_arn(&arn)
            .send()
            .await
            .map_err(sdk_error);
        Ok(
            match ok_if_not_found(got)?.and_then(|out| out.policy().cloned()) {
                Some(policy) => {
                    let tags = policy.tags().iter().map(|t| (t.key(), t.value()));
                    owner_of_named(aws, req, arn.clone(), tags)
                }
                None => Found::Nothing,
            },
        )
    }

    async fn list_tagged(&self, aws: &AwsContext) -> Result<Vec<Listed>, ProviderError> {
        let policies: Vec<_> = aws
            .iam()
            .list_policies()
            .scope(aws_sdk_iam::types::PolicyScopeType::Local)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(sdk_error)?;
        let arns: Vec<String> = policies
            .iter()
            .filter_map(|p| p.arn().map(str::to_string))
            .collect();
        // ListPolicies leaves tags out; ListPolicyTags has them.
        tags_of_each(&arns, |arn| async move {
            let out = aws.iam().list_policy_tags().policy_arn(arn).send().await;
            Ok(out.map_err(sdk_error)?.tags().to_vec())
        })
        .await
    }

    async fn create(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<String, ProviderError> {
        let planned = req.planned;
        let name = name_for_create(planned, "name", "name_prefix", req.client_token);
        let created = aws
            .iam()
            .create_policy()
            .policy_name(&name)
            .path(planned.str("path").unwrap_or("/"))
            .policy_document(planned.str("policy").unwrap_or_default())
            .set_description(planned.str("description").map(str::to_string))
            .set_tags(Some(iam_tags(&create_tags(aws, req))?))
            .send()
            .await
            .map_err(sdk_error)?;
        let arn = created
            .policy()
            .and_then(|p| p.arn())
            .unwrap_or_default()
            .to_string();
        wait_until(
            &format!("IAM policy {name} to be readable"),
            PROPAGATION_TIMEOUT,
            || async { Ok(read_policy(aws, &arn).await?.map(|_| ())) },
        )
        .await?;
        Ok(arn)
    }

    async fn update(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        let arn = prior_id(prior)?;
        if differs(prior, planned, "policy") {
            let versions = policy_versions(aws, arn).await?;
            if versions.len() >= MAX_VERSIONS {
                // The oldest version that is not the default makes room.
                let oldest = versions
                    .iter()
                    .filter(|v| !v.is_default_version())
                    .min_by_key(|v| v.create_date().map(|d| d.as_nanos()));
                if let Some(version) = oldest.and_then(|v| v.version_id()) {
                    delete_version(aws, arn, version).await?;
                }
            }
            aws.iam()
                .create_policy_version()
                .policy_arn(arn)
                .policy_document(planned.str("policy").unwrap_or_default())
                .set_as_default(true)
                .send()
                .await
                .map_err(sdk_error)?;
        }
        iam_update_tags!(
            aws,
            prior,
            planned,
            untag_policy,
            tag_policy,
            policy_arn(arn)
        )
        .await
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let arn = prior_id(prior)?;
        let result: Result<(), ProviderError> = async {
            for version in policy_versions(aws, arn).await? {
                if !version.is_default_version()
                    && let Some(id) = version.version_id()
                {
                    delete_version(aws, arn, id).await?;
                }
            }
            aws.iam()
                .delete_policy()
                .policy_arn(arn)
                .send()
                .await
                .map_err(sdk_error)?;
            Ok(())
        }
        .await;
        ok_if_not_found(result)?;
        Ok(())
    }
}

async fn policy_versions(
    aws: &AwsContext,
    arn: &str,
) -> Result<Vec<aws_sdk_iam::types::PolicyVersion>, ProviderError> {
    aws.iam()
        .list_policy_versions()
        .policy_arn(arn)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(sdk_error)
}

async fn delete_version(aws: &AwsContext, arn: &str, version: &str) -> Result<(), ProviderError> {
    ok_if_already_gone(
        aws.iam()
            .delete_policy_version()
            .policy_arn(arn)
            .version_id(version)
            .send()
            .await,
    )
}

/// The policy and its default version's document; `None` when it is gone.
async fn read_policy(aws: &AwsContext, arn: &str) -> Result<Option<Attrs>, ProviderError> {
    let got = aws
        .iam()
        .get_policy()
        .policy_arn(arn)
        .send()
        .await
        .map_err(sdk_error);
    let Some(policy) = ok_if_not_found(got)?.and_then(|out| out.policy().cloned()) else {
        return Ok(None);
    };
    let version = aws
        .iam()
        .get_policy_version()
        .policy_arn(arn)
        .version_id(policy.default_version_id().unwrap_or("v1"))
        .send()
        .await
        .map_err(sdk_error);
    let document = ok_if_not_found(version)?.and_then(|out| {
        out.policy_version()
            .and_then(|v| v.document().map(str::to_string))
    });
    let name = policy.policy_name().unwrap_or_default();
    let mut attrs = Attrs::new();
    attrs.insert("id".into(), Value::string(arn));
    attrs.insert("arn".into(), Value::string(arn));
    attrs.insert("name".into(), Value::string(name));
    attrs.insert("name_prefix".into(), prefix_from_name(name));
    attrs.insert("path".into(), Value::string(policy.path().unwrap_or("/")));
    attrs.insert(
        "description".into(),
        policy.description().filter(|d| !d.is_empty()).into(),
    );
    attrs.insert(
        "policy".into(),
        document
            .as_deref()
            .map_or(Value::Null, policy_document_from_aws),
    );
    attrs.insert("policy_id".into(), policy.policy_id().into());
    attrs.insert(
        "attachment_count".into(),
        policy.attachment_count().unwrap_or(0).into(),
    );
    attrs.insert(
        "tags_all".into(),
        tags_to_value(policy.tags().iter().map(|t| (t.key(), t.value()))),
    );
    Ok(Some(attrs))
}
