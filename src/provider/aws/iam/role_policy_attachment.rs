//! `aws_iam_role_policy_attachment`: one managed policy attached to a role.
//!
//! The id is `<role>/<policy_arn>` (the form Terraform imports with; role
//! names cannot contain '/', so the first '/' splits it), so a refresh can
//! find the attachment from its id alone. Terraform's own ids,
//! `<role>-<unique suffix>`, would carry no such information. Both
//! arguments force replacement; there is nothing to update in place. This
//! file never creates or edits the role or the policy themselves.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;

use crate::provider::aws::batch::{fetch_each, found_if_readable};
use crate::provider::aws::convert::prior_id;
use crate::provider::aws::{AwsContext, ok_if_already_gone, sdk_error, wait_until};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{CreateRequest, ErrorKind, Found, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value, attrs};

/// How long a new attachment may take to show in ListAttachedRolePolicies.
const PROPAGATION_TIMEOUT: Duration = Duration::from_secs(120);

pub struct IamRolePolicyAttachment;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        vec![
            Attribute::required("role", Type::String).force_new(),
            Attribute::required("policy_arn", Type::String).force_new(),
        ],
        vec![],
    )
});

/// `<role>/<policy_arn>`.
pub fn attachment_id(role: &str, policy_arn: &str) -> String {
    format!("{role}/{policy_arn}")
}

fn parse_id(id: &str) -> Result<(&str, &str), ProviderError> {
    id.split_once('/')
        .filter(|(role, arn)| !role.is_empty() && arn.starts_with("arn:"))
        .ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Validation,
                format!(
                    "invalid aws_iam_role_policy_attachment id {id:?}: expected <role>/<policy_arn>"
                ),
            )
        })
}

#[async_trait]
impl ResourceType for IamRolePolicyAttachment {
    /// Terraform's id is `<role>-<timestamp>`; terrane's names the policy too.
    fn id_from_terraform(&self, terraform_id: &str, attributes: &Attrs) -> String {
        match (attributes.str("role"), attributes.str("policy_arn")) {
            (Some(role), Some(policy_arn)) => attachment_id(role, policy_arn),
            _ => terraform_id.to_string(),
        }
    }

    fn type_name(&self) -> &'static str {
        "aws_iam_role_policy_attachment"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    /// One ListAttachedRolePolicies per distinct role (IAM has no batched
    /// form across roles), a few roles at a time.
    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let mut wanted: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        for id in ids {
            let (role, policy_arn) = parse_id(id)?;
            wanted
                .entry(role.to_string())
                .or_default()
                .push((id.clone(), policy_arn.to_string()));
        }
        let roles: Vec<String> = wanted.keys().cloned().collect();
        // A role that is gone (NotFound) is left out, and its attachments
        // with it.
        let attached = fetch_each(&roles, |role| async move {
            let arns = attached_policy_arns(aws, &role).await?;
            Ok(Some(arns.into_iter().collect::<BTreeSet<String>>()))
        })
        .await?;
        let mut found = BTreeMap::new();
        for (role, entries) in wanted {
            let Some(attached) = attached.get(&role) else {
                continue;
            };
            for (id, policy_arn) in entries {
                if attached.contains(&policy_arn) {
                    let attachment = attrs([
                        ("id", Value::string(id.clone())),
                        ("role", Value::string(role.clone())),
                        ("policy_arn", Value::string(policy_arn)),
                    ]);
                    found.insert(id, attachment);
                }
            }
        }
        Ok(found)
    }

    /// The policy, when it is attached to the role.
    async fn find_created(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<Found, ProviderError> {
        let (role, policy_arn) = (req.planned.str("role"), req.planned.str("policy_arn"));
        let id = role.zip(policy_arn).map(|(r, p)| attachment_id(r, p));
        found_if_readable(self, aws, id).await
    }

    async fn create(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<String, ProviderError> {
        let role = req.planned.str("role").unwrap_or_default();
        let policy_arn = req.planned.str("policy_arn").unwrap_or_default();
        aws.iam()
            .attach_role_policy()
            .role_name(role)
            .policy_arn(policy_arn)
            .send()
            .await
            .map_err(sdk_error)?;
        wait_until(
            &format!("policy {policy_arn} to show as attached to IAM role {role}"),
            PROPAGATION_TIMEOUT,
            || async {
                let attached = attached_policy_arns(aws, role).await?;
                Ok(attached.iter().any(|a| a == policy_arn).then_some(()))
            },
        )
        .await?;
        Ok(attachment_id(role, policy_arn))
    }

    async fn update(
        &self,
        _aws: &AwsContext,
        _prior: &Attrs,
        _planned: &Attrs,
    ) -> Result<(), ProviderError> {
        // Every argument forces replacement.
        Ok(())
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let (role, policy_arn) = match (prior.str("role"), prior.str("policy_arn")) {
            (Some(role), Some(arn)) => (role, arn),
            _ => parse_id(prior_id(prior)?)?,
        };
        detach_policy(aws, role, policy_arn).await
    }
}

/// DetachRolePolicy; a policy (or role) that is already gone counts as
/// detached.
pub(super) async fn detach_policy(
    aws: &AwsContext,
    role: &str,
    policy_arn: &str,
) -> Result<(), ProviderError> {
    ok_if_already_gone(
        aws.iam()
            .detach_role_policy()
            .role_name(role)
            .policy_arn(policy_arn)
            .send()
            .await,
    )
}

/// The ARNs of the managed policies attached to a role (all pages). A
/// missing role is a NotFound error.
pub(super) async fn attached_policy_arns(
    aws: &AwsContext,
    role: &str,
) -> Result<Vec<String>, ProviderError> {
    let policies: Vec<_> = aws
        .iam()
        .list_attached_role_policies()
        .role_name(role)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(sdk_error)?;
    Ok(policies
        .iter()
        .filter_map(|p| p.policy_arn().map(str::to_string))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_splits_at_the_first_slash() {
        let id = attachment_id(
            "eks-role",
            "arn:aws:iam::aws:policy/service-role/AmazonEKSClusterPolicy",
        );
        assert_eq!(
            parse_id(&id).unwrap(),
            (
                "eks-role",
                "arn:aws:iam::aws:policy/service-role/AmazonEKSClusterPolicy"
            )
        );
        assert!(parse_id("no-slash").is_err());
    }
}
