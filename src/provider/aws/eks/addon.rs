//! `aws_eks_addon`: an EKS add-on (vpc-cni, coredns, kube-proxy, the EBS
//! CSI driver...) installed into a cluster.
//!
//! The id is `<cluster_name>:<addon_name>`, as in Terraform. Create waits
//! until the add-on is ACTIVE, update until EKS's update finishes and the
//! add-on is ACTIVE again, delete until it is gone. The version, the
//! service account role, the configuration values and the pod identity
//! associations change in place; the cluster and add-on name force a new
//! one. `resolve_conflicts_on_create`, `resolve_conflicts_on_update` and
//! `preserve` only steer those calls and exist only in state.

use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_eks::types::{Addon, AddonPodIdentityAssociations, ResolveConflicts};

use super::{
    Goal, UpdateOf, create_tags, update_tags, wait_deleted, wait_for_status, wait_for_update,
};
use crate::provider::aws::batch::fetch_each;
use crate::provider::aws::convert::{nested, prior_id, timestamp};
use crate::provider::aws::names::split_id;
use crate::provider::aws::tags::{owner_of_named, tags_to_value};
use crate::provider::aws::{AwsContext, Timeouts, ok_if_not_found, sdk_error};
use crate::provider::schema::{Attribute, Block, Schema, Type};
use crate::provider::{CreateRequest, Found, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value, attrs};

pub struct EksAddon;

/// Terraform's defaults for `aws_eks_addon`.
const DEFAULT_TIMEOUTS: Timeouts = Timeouts {
    create: Duration::from_secs(20 * 60),
    update: Duration::from_secs(20 * 60),
    delete: Duration::from_secs(40 * 60),
};

/// What may change in place, with one UpdateAddon.
const UPDATABLE: &[&str] = &[
    "addon_version",
    "service_account_role_arn",
    "configuration_values",
    "pod_identity_association",
];

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let attributes = vec![
        Attribute::required("cluster_name", Type::String).force_new(),
        Attribute::required("addon_name", Type::String).force_new(),
        // The default version for the cluster's Kubernetes version when
        // left out.
        Attribute::optional_computed("addon_version", Type::String),
        Attribute::optional_computed("configuration_values", Type::String),
        Attribute::optional("service_account_role_arn", Type::String),
        Attribute::optional("resolve_conflicts_on_create", Type::String),
        Attribute::optional("resolve_conflicts_on_update", Type::String),
        Attribute::optional("preserve", Type::Bool),
        Attribute::computed("arn", Type::String),
        Attribute::computed("created_at", Type::String),
        Attribute::computed("modified_at", Type::String),
    ];
    Schema::with_tags(
        attributes,
        vec![
            Block::set(
                "pod_identity_association",
                Schema::new(
                    vec![
                        Attribute::required("role_arn", Type::String),
                        Attribute::required("service_account", Type::String),
                    ],
                    vec![],
                ),
            ),
            Timeouts::block(&["create", "update", "delete"]),
        ],
    )
});

fn addon_id(cluster: &str, addon: &str) -> String {
    format!("{cluster}:{addon}")
}

fn parse_id(id: &str) -> Result<(&str, &str), ProviderError> {
    let [cluster, addon] = split_id::<2>(id, ':', "<cluster_name>:<addon_name>")?;
    Ok((cluster, addon))
}

/// DescribeAddon, with "not found" (of the add-on or its cluster) as `None`.
async fn find_addon(
    aws: &AwsContext,
    cluster: &str,
    addon: &str,
) -> Result<Option<Addon>, ProviderError> {
    let described = aws
        .eks()
        .describe_addon()
        .cluster_name(cluster)
        .addon_name(addon)
        .send()
        .await
        .map_err(sdk_error);
    Ok(ok_if_not_found(described)?.and_then(|out| out.addon().cloned()))
}

async fn addon_status(
    aws: &AwsContext,
    cluster: &str,
    addon: &str,
) -> Result<Option<String>, ProviderError> {
    Ok(find_addon(aws, cluster, addon).await?.map(|a| {
        a.status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default()
    }))
}

async fn wait_active(
    aws: &AwsContext,
    cluster: &str,
    addon: &str,
    timeout: Duration,
    pending: &[&str],
) -> Result<(), ProviderError> {
    wait_for_status(
        &format!("EKS add-on {cluster}:{addon}"),
        timeout,
        pending,
        Goal::Status("ACTIVE"),
        || addon_status(aws, cluster, addon),
    )
    .await
}

fn pod_identities(planned: &Attrs) -> Option<Vec<AddonPodIdentityAssociations>> {
    let associations: Vec<_> = planned
        .blocks("pod_identity_association")
        .into_iter()
        .filter_map(|p| {
            AddonPodIdentityAssociations::builder()
                .set_role_arn(p.str("role_arn").map(str::to_string))
                .set_service_account(p.str("service_account").map(str::to_string))
                .build()
                .ok()
        })
        .collect();
    Some(associations)
}

/// The add-on's attributes, its pod identity associations read from EKS
/// (DescribeAddon names them by ARN only).
async fn addon_attrs(aws: &AwsContext, addon: &Addon) -> Result<Attrs, ProviderError> {
    let cluster = addon.cluster_name().unwrap_or_default();
    let name = addon.addon_name().unwrap_or_default();
    let mut associations = Vec::new();
    for arn in addon.pod_identity_associations() {
        let Some(id) = arn.rsplit('/').next() else {
            continue;
        };
        let described = aws
            .eks()
            .describe_pod_identity_association()
            .cluster_name(cluster)
            .association_id(id)
            .send()
            .await
            .map_err(sdk_error);
        if let Some(association) = ok_if_not_found(described)?
            .as_ref()
            .and_then(|out| out.association())
        {
            associations.push(Value::Map(
                nested([
                    ("role_arn", association.role_arn().into()),
                    ("service_account", association.service_account().into()),
                ])
                .into(),
            ));
        }
    }
    Ok(attrs([
        ("id", Value::string(addon_id(cluster, name))),
        ("cluster_name", Value::string(cluster)),
        ("addon_name", Value::string(name)),
        ("addon_version", addon.addon_version().into()),
        (
            "configuration_values",
            addon
                .configuration_values()
                .filter(|c| !c.is_empty())
                .into(),
        ),
        (
            "service_account_role_arn",
            addon.service_account_role_arn().into(),
        ),
        ("arn", addon.addon_arn().into()),
        ("created_at", timestamp(addon.created_at())),
        ("modified_at", timestamp(addon.modified_at())),
        (
            "pod_identity_association",
            Value::List(associations.into()).into_set(),
        ),
        (
            "tags_all",
            tags_to_value(addon.tags().into_iter().flatten()),
        ),
    ]))
}

#[async_trait]
impl ResourceType for EksAddon {
    fn type_name(&self) -> &'static str {
        "aws_eks_addon"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    /// EKS has no batched Describe: one DescribeAddon per add-on,
    /// concurrently.
    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        fetch_each(ids, |id| async move {
            let (cluster, name) = parse_id(&id)?;
            match find_addon(aws, cluster, name).await? {
                Some(addon) => Ok(Some(addon_attrs(aws, &addon).await?)),
                None => Ok(None),
            }
        })
        .await
    }

    async fn find_created(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<Found, ProviderError> {
        let (Some(cluster), Some(name)) = (
            req.planned.str("cluster_name"),
            req.planned.str("addon_name"),
        ) else {
            return Ok(Found::Nothing);
        };
        Ok(match find_addon(aws, cluster, name).await? {
            Some(addon) => owner_of_named(
                aws,
                req,
                addon_id(cluster, name),
                addon.tags().into_iter().flatten(),
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
        let name = planned.str("addon_name").unwrap_or_default();
        let timeouts = Timeouts::from_attrs(planned, DEFAULT_TIMEOUTS);
        aws.eks()
            .create_addon()
            .cluster_name(cluster)
            .addon_name(name)
            .set_addon_version(planned.str("addon_version").map(str::to_string))
            .set_service_account_role_arn(
                planned.str("service_account_role_arn").map(str::to_string),
            )
            .set_configuration_values(planned.str("configuration_values").map(str::to_string))
            .set_resolve_conflicts(
                planned
                    .str("resolve_conflicts_on_create")
                    .map(ResolveConflicts::from),
            )
            .set_pod_identity_associations(pod_identities(planned).filter(|p| !p.is_empty()))
            .client_request_token(req.client_token)
            .set_tags(Some(create_tags(aws, req)))
            .send()
            .await
            .map_err(sdk_error)?;
        wait_active(aws, cluster, name, timeouts.create, &["CREATING"]).await?;
        Ok(addon_id(cluster, name))
    }

    async fn update(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        let (cluster, name) = parse_id(prior_id(prior)?)?;
        let timeouts = Timeouts::from_attrs(planned, DEFAULT_TIMEOUTS);
        if UPDATABLE
            .iter()
            .any(|key| SCHEMA.argument_changed(key, prior, planned))
        {
            let out = aws
                .eks()
                .update_addon()
                .cluster_name(cluster)
                .addon_name(name)
                .set_addon_version(planned.str("addon_version").map(str::to_string))
                // An empty role ARN takes the role away.
                .service_account_role_arn(
                    planned.str("service_account_role_arn").unwrap_or_default(),
                )
                .set_configuration_values(planned.str("configuration_values").map(str::to_string))
                .set_resolve_conflicts(
                    planned
                        .str("resolve_conflicts_on_update")
                        .map(ResolveConflicts::from),
                )
                // An empty list takes every association away.
                .set_pod_identity_associations(pod_identities(planned))
                .send()
                .await
                .map_err(sdk_error)?;
            if let Some(update) = out.update() {
                wait_for_update(aws, cluster, UpdateOf::Addon(name), update, timeouts.update)
                    .await?;
            }
            wait_active(aws, cluster, name, timeouts.update, &["UPDATING"]).await?;
        }
        if let Some(arn) = prior.str("arn") {
            update_tags(aws, arn, prior, planned).await?;
        }
        Ok(())
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let (cluster, name) = parse_id(prior_id(prior)?)?;
        let timeouts = Timeouts::from_attrs(prior, DEFAULT_TIMEOUTS);
        let deleted = aws
            .eks()
            .delete_addon()
            .cluster_name(cluster)
            .addon_name(name)
            .set_preserve(prior.bool("preserve"))
            .send()
            .await
            .map_err(sdk_error);
        wait_deleted(
            &format!("EKS add-on {cluster}:{name}"),
            timeouts.delete,
            deleted,
            || addon_status(aws, cluster, name),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_is_cluster_and_addon() {
        assert_eq!(
            parse_id(&addon_id("prod", "vpc-cni")).unwrap(),
            ("prod", "vpc-cni")
        );
        assert!(parse_id("prod").is_err());
    }
}
