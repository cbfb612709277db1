//! `aws_eks_access_policy_association`: an EKS access policy (such as
//! `AmazonEKSClusterAdminPolicy`) granted to an access entry's principal,
//! cluster-wide or in named namespaces.
//!
//! The id is `<cluster_name>#<principal_arn>#<policy_arn>`, as in
//! Terraform. Every argument forces a new association (EKS has no update
//! for one). Read lists the principal's associated policies.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use async_trait::async_trait;
use aws_sdk_eks::types::{AccessScope, AccessScopeType, AssociatedAccessPolicy};

use crate::provider::aws::batch::fetch_each;
use crate::provider::aws::convert::{
    block, nested, prior_id, single, string_set_or_null, timestamp,
};
use crate::provider::aws::names::split_id;
use crate::provider::aws::{AwsContext, ok_if_already_gone, ok_if_not_found, sdk_error};
use crate::provider::schema::{Attribute, Block, Schema, Type};
use crate::provider::{CreateRequest, Found, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value, attrs};

pub struct EksAccessPolicyAssociation;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        vec![
            Attribute::required("cluster_name", Type::String).force_new(),
            Attribute::required("principal_arn", Type::String).force_new(),
            Attribute::required("policy_arn", Type::String).force_new(),
            Attribute::computed("associated_at", Type::String),
            Attribute::computed("modified_at", Type::String),
        ],
        vec![
            Block::single(
                "access_scope",
                Schema::new(
                    vec![
                        Attribute::required("type", Type::String),
                        Attribute::optional("namespaces", Type::set_of(Type::String)),
                    ],
                    vec![],
                ),
            )
            .required()
            .force_new(),
        ],
    )
});

fn association_id(cluster: &str, principal: &str, policy: &str) -> String {
    format!("{cluster}#{principal}#{policy}")
}

fn parse_id(id: &str) -> Result<[&str; 3], ProviderError> {
    split_id::<3>(id, '#', "<cluster_name>#<principal_arn>#<policy_arn>")
}

/// The principal's association with `policy`, if any (ListAssociatedAccess
/// Policies, every page).
async fn find_association(
    aws: &AwsContext,
    cluster: &str,
    principal: &str,
    policy: &str,
) -> Result<Option<AssociatedAccessPolicy>, ProviderError> {
    let listed: Result<Vec<_>, _> = aws
        .eks()
        .list_associated_access_policies()
        .cluster_name(cluster)
        .principal_arn(principal)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(sdk_error);
    let Some(pages) = ok_if_not_found(listed)? else {
        return Ok(None);
    };
    Ok(pages
        .iter()
        .flat_map(|page| page.associated_access_policies())
        .find(|p| p.policy_arn() == Some(policy))
        .cloned())
}

fn association_attrs(cluster: &str, principal: &str, found: &AssociatedAccessPolicy) -> Attrs {
    let policy = found.policy_arn().unwrap_or_default();
    let scope = found.access_scope().map(|s| {
        nested([
            ("type", s.r#type().map(|t| t.as_str()).into()),
            ("namespaces", string_set_or_null(s.namespaces().to_vec())),
        ])
    });
    attrs([
        (
            "id",
            Value::string(association_id(cluster, principal, policy)),
        ),
        ("cluster_name", Value::string(cluster)),
        ("principal_arn", Value::string(principal)),
        ("policy_arn", Value::string(policy)),
        ("associated_at", timestamp(found.associated_at())),
        ("modified_at", timestamp(found.modified_at())),
        (
            "access_scope",
            scope.map_or(Value::List(vec![].into()), block),
        ),
    ])
}

#[async_trait]
impl ResourceType for EksAccessPolicyAssociation {
    fn type_name(&self) -> &'static str {
        "aws_eks_access_policy_association"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        fetch_each(ids, |id| async move {
            let [cluster, principal, policy] = parse_id(&id)?;
            Ok(find_association(aws, cluster, principal, policy)
                .await?
                .map(|found| association_attrs(cluster, principal, &found)))
        })
        .await
    }

    /// An association carries no tags: one found for this principal and
    /// policy is this create's when its scope is the planned one.
    async fn find_created(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<Found, ProviderError> {
        let planned = req.planned;
        let (Some(cluster), Some(principal), Some(policy)) = (
            planned.str("cluster_name"),
            planned.str("principal_arn"),
            planned.str("policy_arn"),
        ) else {
            return Ok(Found::Nothing);
        };
        let Some(found) = find_association(aws, cluster, principal, policy).await? else {
            return Ok(Found::Nothing);
        };
        let read = association_attrs(cluster, principal, &found);
        let id = association_id(cluster, principal, policy);
        Ok(if SCHEMA.argument_changed("access_scope", &read, planned) {
            Found::Foreign(id)
        } else {
            Found::Ours(id)
        })
    }

    async fn create(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<String, ProviderError> {
        let planned = req.planned;
        let cluster = planned.str("cluster_name").unwrap_or_default();
        let principal = planned.str("principal_arn").unwrap_or_default();
        let policy = planned.str("policy_arn").unwrap_or_default();
        let scope = single(planned, "access_scope").map(|s| {
            let namespaces = s.strings("namespaces");
            AccessScope::builder()
                .set_type(s.str("type").map(AccessScopeType::from))
                .set_namespaces((!namespaces.is_empty()).then_some(namespaces))
                .build()
        });
        aws.eks()
            .associate_access_policy()
            .cluster_name(cluster)
            .principal_arn(principal)
            .policy_arn(policy)
            .set_access_scope(scope)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(association_id(cluster, principal, policy))
    }

    /// Never called: every argument forces a new association.
    async fn update(
        &self,
        _aws: &AwsContext,
        _prior: &Attrs,
        _planned: &Attrs,
    ) -> Result<(), ProviderError> {
        Ok(())
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let [cluster, principal, policy] = parse_id(prior_id(prior)?)?;
        ok_if_already_gone(
            aws.eks()
                .disassociate_access_policy()
                .cluster_name(cluster)
                .principal_arn(principal)
                .policy_arn(policy)
                .send()
                .await,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_is_cluster_principal_and_policy() {
        let id = association_id(
            "prod",
            "arn:aws:iam::123456789012:role/admin",
            "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
        );
        assert_eq!(
            parse_id(&id).unwrap(),
            [
                "prod",
                "arn:aws:iam::123456789012:role/admin",
                "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
            ]
        );
    }
}
