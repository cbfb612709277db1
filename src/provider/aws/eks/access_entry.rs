//! `aws_eks_access_entry`: an IAM principal's entry into a cluster's
//! access control (EKS access entries, the successor of the aws-auth
//! ConfigMap).
//!
//! The id is `<cluster_name>:<principal_arn>`, as in Terraform (the ARN
//! holds colons of its own; the cluster name is what comes before the
//! first). The Kubernetes groups and user name change in place; the
//! cluster, principal and type force a new entry.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use async_trait::async_trait;
use aws_sdk_eks::types::AccessEntry;

use super::{create_tags, update_tags};
use crate::provider::aws::batch::fetch_each;
use crate::provider::aws::convert::{differs, prior_id, string_set, timestamp};
use crate::provider::aws::names::split_id;
use crate::provider::aws::tags::{owner_of_named, tags_to_value};
use crate::provider::aws::{AwsContext, ok_if_already_gone, ok_if_not_found, sdk_error};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{CreateRequest, Found, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value, attrs};

pub struct EksAccessEntry;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let attributes = vec![
        Attribute::required("cluster_name", Type::String).force_new(),
        Attribute::required("principal_arn", Type::String).force_new(),
        Attribute::optional("type", Type::String)
            .default("STANDARD")
            .force_new(),
        Attribute::optional_computed("kubernetes_groups", Type::set_of(Type::String)),
        // The principal's ARN (or its assumed-role session) when left out.
        Attribute::optional_computed("user_name", Type::String),
        Attribute::computed("access_entry_arn", Type::String),
        Attribute::computed("created_at", Type::String),
        Attribute::computed("modified_at", Type::String),
    ];
    Schema::with_tags(attributes, vec![])
});

fn entry_id(cluster: &str, principal: &str) -> String {
    format!("{cluster}:{principal}")
}

fn parse_id(id: &str) -> Result<(&str, &str), ProviderError> {
    let [cluster, principal] = split_id::<2>(id, ':', "<cluster_name>:<principal_arn>")?;
    Ok((cluster, principal))
}

async fn find_entry(
    aws: &AwsContext,
    cluster: &str,
    principal: &str,
) -> Result<Option<AccessEntry>, ProviderError> {
    let described = aws
        .eks()
        .describe_access_entry()
        .cluster_name(cluster)
        .principal_arn(principal)
        .send()
        .await
        .map_err(sdk_error);
    Ok(ok_if_not_found(described)?.and_then(|out| out.access_entry().cloned()))
}

fn entry_attrs(entry: &AccessEntry) -> Attrs {
    let cluster = entry.cluster_name().unwrap_or_default();
    let principal = entry.principal_arn().unwrap_or_default();
    attrs([
        ("id", Value::string(entry_id(cluster, principal))),
        ("cluster_name", Value::string(cluster)),
        ("principal_arn", Value::string(principal)),
        ("type", entry.r#type().into()),
        (
            "kubernetes_groups",
            string_set(entry.kubernetes_groups().to_vec()),
        ),
        ("user_name", entry.username().into()),
        ("access_entry_arn", entry.access_entry_arn().into()),
        ("created_at", timestamp(entry.created_at())),
        ("modified_at", timestamp(entry.modified_at())),
        (
            "tags_all",
            tags_to_value(entry.tags().into_iter().flatten()),
        ),
    ])
}

#[async_trait]
impl ResourceType for EksAccessEntry {
    fn type_name(&self) -> &'static str {
        "aws_eks_access_entry"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    /// One DescribeAccessEntry per entry, concurrently (EKS has no batch).
    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        fetch_each(ids, |id| async move {
            let (cluster, principal) = parse_id(&id)?;
            Ok(find_entry(aws, cluster, principal)
                .await?
                .as_ref()
                .map(entry_attrs))
        })
        .await
    }

    async fn find_created(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<Found, ProviderError> {
        let (Some(cluster), Some(principal)) = (
            req.planned.str("cluster_name"),
            req.planned.str("principal_arn"),
        ) else {
            return Ok(Found::Nothing);
        };
        Ok(match find_entry(aws, cluster, principal).await? {
            Some(entry) => owner_of_named(
                aws,
                req,
                entry_id(cluster, principal),
                entry.tags().into_iter().flatten(),
            ),
            None => Found::Nothing,
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
        let groups = planned.strings("kubernetes_groups");
        aws.eks()
            .create_access_entry()
            .cluster_name(cluster)
            .principal_arn(principal)
            .set_type(planned.str("type").map(str::to_string))
            .set_kubernetes_groups((!groups.is_empty()).then_some(groups))
            .set_username(planned.str("user_name").map(str::to_string))
            .client_request_token(req.client_token)
            .set_tags(Some(create_tags(aws, req)))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(entry_id(cluster, principal))
    }

    async fn update(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        let (cluster, principal) = parse_id(prior_id(prior)?)?;
        if SCHEMA.argument_changed("kubernetes_groups", prior, planned)
            || differs(prior, planned, "user_name")
        {
            aws.eks()
                .update_access_entry()
                .cluster_name(cluster)
                .principal_arn(principal)
                // An empty list takes every group away.
                .set_kubernetes_groups(Some(planned.strings("kubernetes_groups")))
                .set_username(planned.str("user_name").map(str::to_string))
                .send()
                .await
                .map_err(sdk_error)?;
        }
        if let Some(arn) = prior.str("access_entry_arn") {
            update_tags(aws, arn, prior, planned).await?;
        }
        Ok(())
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let (cluster, principal) = parse_id(prior_id(prior)?)?;
        ok_if_already_gone(
            aws.eks()
                .delete_access_entry()
                .cluster_name(cluster)
                .principal_arn(principal)
                .send()
                .await,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_is_cluster_then_the_whole_principal_arn() {
        let id = entry_id("prod", "arn:aws:iam::123456789012:role/admin");
        assert_eq!(id, "prod:arn:aws:iam::123456789012:role/admin");
        assert_eq!(
            parse_id(&id).unwrap(),
            ("prod", "arn:aws:iam::123456789012:role/admin")
        );
    }
}
