//! EKS helpers shared by the EKS types (clusters, node groups, add-ons,
//! access entries and their policy associations): finding
//! objects (a missing one is `None`, not an error), waiting for a status, for
//! deletion or for an update to finish, and tagging by ARN.
//!
//! Schemas and argument mapping stay in the resource files; nothing here
//! decides what to create or change.

mod access_entry;
mod access_policy_association;
mod addon;
mod cluster;
mod cluster_auth_data_source;
mod cluster_data_source;
mod node_group;

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use aws_sdk_eks::types::{Cluster, Nodegroup, Update, UpdateStatus};
use futures::TryFutureExt;

use super::tags::update_tags_all;
use super::{AwsContext, ok_if_not_found, sdk_error, wait_until};
use crate::provider::{ErrorKind, ProviderError};
use crate::value::Attrs;

/// This service's types, for the provider's registry.
pub(super) const TYPES: super::ServiceTypes = super::ServiceTypes {
    name: "EKS",
    resources: &[
        &cluster::EksCluster,
        &node_group::EksNodeGroup,
        &addon::EksAddon,
        &access_entry::EksAccessEntry,
        &access_policy_association::EksAccessPolicyAssociation,
    ],
    data_sources: &[
        &cluster_data_source::EksClusterDataSource,
        &cluster_auth_data_source::EksClusterAuthDataSource,
    ],
};

/// DescribeCluster, with "not found" as `None`.
pub async fn find_cluster(aws: &AwsContext, name: &str) -> Result<Option<Cluster>, ProviderError> {
    let described = aws
        .eks()
        .describe_cluster()
        .name(name)
        .send()
        .await
        .map_err(sdk_error);
    Ok(ok_if_not_found(described)?.and_then(|out| out.cluster().cloned()))
}

/// The names of every cluster (ListClusters, every page).
pub async fn cluster_names(aws: &AwsContext) -> Result<Vec<String>, ProviderError> {
    aws.eks()
        .list_clusters()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(sdk_error)
}

/// An EKS object's tags as pairs.
pub fn tag_pairs(tags: Option<&HashMap<String, String>>) -> Vec<(String, String)> {
    tags.into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// DescribeNodegroup, with "not found" (of the group or its cluster) as `None`.
pub async fn find_nodegroup(
    aws: &AwsContext,
    cluster_name: &str,
    nodegroup_name: &str,
) -> Result<Option<Nodegroup>, ProviderError> {
    let described = aws
        .eks()
        .describe_nodegroup()
        .cluster_name(cluster_name)
        .nodegroup_name(nodegroup_name)
        .send()
        .await
        .map_err(sdk_error);
    Ok(ok_if_not_found(described)?.and_then(|out| out.nodegroup().cloned()))
}

/// What a wait is for: a status, or the object's disappearance.
#[derive(Clone, Copy, Debug)]
pub enum Goal {
    Status(&'static str),
    Gone,
}

/// Polls `status` (the object's current status, `None` once it no longer
/// exists) until `goal` is reached. Statuses in `pending` mean "keep
/// waiting"; any other status is a failure, reported with `what`.
pub async fn wait_for_status<F, Fut>(
    what: &str,
    timeout: Duration,
    pending: &[&str],
    goal: Goal,
    mut status: F,
) -> Result<(), ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<String>, ProviderError>>,
{
    let condition = match goal {
        Goal::Status(target) => format!("{what} to become {target}"),
        Goal::Gone => format!("{what} to be deleted"),
    };
    wait_until(&condition, timeout, || {
        let current = status();
        async move {
            match (current.await?, goal) {
                (None, Goal::Gone) => Ok(Some(())),
                (None, Goal::Status(_)) => Err(ProviderError::new(
                    ErrorKind::NotFound,
                    format!("{what} disappeared while waiting for it"),
                )),
                (Some(s), Goal::Status(target)) if s == target => Ok(Some(())),
                (Some(s), _) if pending.contains(&s.as_str()) => Ok(None),
                (Some(s), _) => Err(ProviderError::new(
                    ErrorKind::Other,
                    format!("{what} is in status {s} while waiting for it"),
                )),
            }
        }
    })
    .await
}

/// Statuses a cluster or node group passes through while it is deleted.
const DELETING: &[&str] = &["ACTIVE", "DELETING"];

/// Finishes a delete: given the Delete call's outcome, waits until
/// `status` no longer finds the object (EKS deletes take minutes). An
/// object that was already gone is done at once.
pub async fn wait_deleted<T, F, Fut>(
    what: &str,
    timeout: Duration,
    deleted: Result<T, ProviderError>,
    status: F,
) -> Result<(), ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<String>, ProviderError>>,
{
    if ok_if_not_found(deleted)?.is_none() {
        return Ok(());
    }
    wait_for_status(what, timeout, DELETING, Goal::Gone, status).await
}

/// What an EKS update changes: the cluster itself, one of its node groups
/// or one of its add-ons (DescribeUpdate must be told which).
#[derive(Clone, Copy, Debug)]
pub enum UpdateOf<'a> {
    Cluster,
    Nodegroup(&'a str),
    Addon(&'a str),
}

/// Waits for an update that UpdateClusterConfig, UpdateClusterVersion or
/// UpdateNodegroupConfig started. An update already finished in the response
/// costs no DescribeUpdate call.
pub async fn wait_for_update(
    aws: &AwsContext,
    cluster_name: &str,
    of: UpdateOf<'_>,
    update: &Update,
    timeout: Duration,
) -> Result<(), ProviderError> {
    let (nodegroup_name, addon_name) = match of {
        UpdateOf::Cluster => (None, None),
        UpdateOf::Nodegroup(name) => (Some(name), None),
        UpdateOf::Addon(name) => (None, Some(name)),
    };
    if let Some(done) = update_outcome(update)? {
        return Ok(done);
    }
    let Some(update_id) = update.id() else {
        return Err(ProviderError::new(
            ErrorKind::Other,
            "EKS returned an update without an id",
        ));
    };
    let what = format!(
        "EKS update {update_id} of {}",
        nodegroup_name.or(addon_name).unwrap_or(cluster_name)
    );
    wait_until(&what, timeout, || async move {
        let out = aws
            .eks()
            .describe_update()
            .name(cluster_name)
            .set_nodegroup_name(nodegroup_name.map(str::to_string))
            .set_addon_name(addon_name.map(str::to_string))
            .update_id(update_id)
            .send()
            .await
            .map_err(sdk_error)?;
        match out.update() {
            Some(update) => update_outcome(update),
            None => Ok(None),
        }
    })
    .await
}

/// `Some(())` once an update succeeded, `None` while it runs, an error when
/// it failed or was cancelled (with EKS's own reasons).
fn update_outcome(update: &Update) -> Result<Option<()>, ProviderError> {
    match update.status() {
        Some(UpdateStatus::Successful) => Ok(Some(())),
        Some(status @ (UpdateStatus::Failed | UpdateStatus::Cancelled)) => {
            let reasons: Vec<String> = update
                .errors()
                .iter()
                .map(|e| {
                    format!(
                        "{}: {}",
                        e.error_code().map(|c| c.as_str()).unwrap_or("error"),
                        e.error_message().unwrap_or_default()
                    )
                })
                .collect();
            Err(ProviderError::new(
                ErrorKind::Other,
                format!(
                    "EKS update {} {}: {}",
                    update.id().unwrap_or_default(),
                    status.as_str().to_lowercase(),
                    if reasons.is_empty() {
                        "no reason given".to_string()
                    } else {
                        reasons.join("; ")
                    }
                ),
            ))
        }
        _ => Ok(None),
    }
}

/// The tags a create sends: `tags_all` plus terrane's own.
pub fn create_tags(
    aws: &AwsContext,
    req: &crate::provider::CreateRequest<'_>,
) -> HashMap<String, String> {
    super::tags::create_tags(aws, req).into_iter().collect()
}

/// Brings an EKS object's tags from `prior.tags_all` to `planned.tags_all`.
pub async fn update_tags(
    aws: &AwsContext,
    arn: &str,
    prior: &Attrs,
    planned: &Attrs,
) -> Result<(), ProviderError> {
    update_tags_all(
        prior,
        planned,
        |removed| {
            aws.eks()
                .untag_resource()
                .resource_arn(arn)
                .set_tag_keys(Some(removed))
                .send()
                .map_err(sdk_error)
        },
        |changed| {
            aws.eks()
                .tag_resource()
                .resource_arn(arn)
                .set_tags(Some(changed.into_iter().collect()))
                .send()
                .map_err(sdk_error)
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn status_wait_succeeds_on_target_and_fails_on_other_status() {
        let ok = wait_for_status(
            "c",
            Duration::from_secs(1),
            &["CREATING"],
            Goal::Status("ACTIVE"),
            || async { Ok(Some("ACTIVE".to_string())) },
        )
        .await;
        assert!(ok.is_ok());
        let failed = wait_for_status(
            "cluster x",
            Duration::from_secs(1),
            &["CREATING"],
            Goal::Status("ACTIVE"),
            || async { Ok(Some("FAILED".to_string())) },
        )
        .await
        .unwrap_err();
        assert!(
            failed.message.contains("cluster x is in status FAILED"),
            "{}",
            failed.message
        );
    }

    #[tokio::test]
    async fn gone_wait_succeeds_when_missing() {
        let gone = wait_for_status(
            "c",
            Duration::from_secs(1),
            &["DELETING"],
            Goal::Gone,
            || async { Ok(None) },
        )
        .await;
        assert!(gone.is_ok());
    }

    #[test]
    fn failed_update_reports_its_reasons() {
        let update = Update::builder()
            .id("u-1")
            .status(UpdateStatus::Failed)
            .errors(
                aws_sdk_eks::types::ErrorDetail::builder()
                    .error_code(aws_sdk_eks::types::ErrorCode::SubnetNotFound)
                    .error_message("subnet-1 is gone")
                    .build(),
            )
            .build();
        let err = update_outcome(&update).unwrap_err();
        assert!(
            err.message.contains("SubnetNotFound: subnet-1 is gone"),
            "{}",
            err.message
        );
    }
}
