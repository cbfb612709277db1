//! `aws_eks_node_group`: an EKS managed node group.
//!
//! The id is `<cluster_name>:<node_group_name>`, as in Terraform. Create,
//! update and delete wait for EKS; a delete waits until the group is really
//! gone, since its cluster cannot be deleted before. Only scaling, labels,
//! the update config and tags change in place; everything about the
//! instances themselves (subnets, types, capacity type, AMI, disk) forces
//! replacement. This file never changes the cluster the group belongs to.

use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_eks::types::{
    AmiTypes, CapacityTypes, Nodegroup, NodegroupScalingConfig, NodegroupUpdateConfig,
    UpdateLabelsPayload,
};

use super::{
    Goal, cluster_names, create_tags, find_nodegroup, tag_pairs, update_tags, wait_deleted,
    wait_for_status, wait_for_update,
};
use crate::provider::aws::batch::fetch_each;
use crate::provider::aws::convert::{
    differs, i32_arg, optional_block, prior_id, single, string_set,
};
use crate::provider::aws::names::{name_for_create, prefix_from_name, split_id};
use crate::provider::aws::tags::{owner_of_named, tags_to_value};
use crate::provider::aws::{AwsContext, Timeouts, sdk_error};
use crate::provider::schema::{Attribute, Block, Schema, Type};
use crate::provider::{CreateRequest, Found, Listed, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value, attrs};

pub struct EksNodeGroup;

/// Terraform's defaults for `aws_eks_node_group`.
const DEFAULT_TIMEOUTS: Timeouts = Timeouts {
    create: Duration::from_secs(60 * 60),
    update: Duration::from_secs(60 * 60),
    delete: Duration::from_secs(60 * 60),
};

const CREATING: &[&str] = &["CREATING"];
const UPDATING: &[&str] = &["UPDATING"];

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let attributes = vec![
        Attribute::required("cluster_name", Type::String).force_new(),
        Attribute::optional_computed("node_group_name", Type::String).force_new(),
        Attribute::optional_computed("node_group_name_prefix", Type::String).force_new(),
        Attribute::required("node_role_arn", Type::String).force_new(),
        Attribute::required("subnet_ids", Type::set_of(Type::String)).force_new(),
        Attribute::optional("capacity_type", Type::String)
            .default("ON_DEMAND")
            .force_new(),
        Attribute::optional_computed("instance_types", Type::list_of(Type::String)).force_new(),
        Attribute::optional_computed("ami_type", Type::String).force_new(),
        Attribute::optional_computed("disk_size", Type::Number).force_new(),
        Attribute::optional("labels", Type::map_of(Type::String)),
        Attribute::computed("arn", Type::String),
        Attribute::computed("status", Type::String),
    ];
    Schema::with_tags(
        attributes,
        vec![
            Block::single(
                "scaling_config",
                Schema::new(
                    vec![
                        Attribute::required("desired_size", Type::Number),
                        Attribute::required("min_size", Type::Number),
                        Attribute::required("max_size", Type::Number),
                    ],
                    vec![],
                ),
            )
            .required(),
            Block::single(
                "update_config",
                Schema::new(
                    vec![
                        Attribute::optional("max_unavailable", Type::Number),
                        Attribute::optional("max_unavailable_percentage", Type::Number),
                    ],
                    vec![],
                ),
            )
            .computed_when_absent(),
            Timeouts::block(&["create", "update", "delete"]),
        ],
    )
});

/// The name a create asks for: the written one, or the prefix plus a suffix
/// from the create's token.
fn nodegroup_name(req: &CreateRequest<'_>) -> String {
    name_for_create(
        req.planned,
        "node_group_name",
        "node_group_name_prefix",
        req.client_token,
    )
}

/// `<cluster_name>:<node_group_name>`.
pub fn node_group_id(cluster_name: &str, node_group_name: &str) -> String {
    format!("{cluster_name}:{node_group_name}")
}

fn parse_id(id: &str) -> Result<(&str, &str), ProviderError> {
    let [cluster, group] = split_id::<2>(id, ':', "<cluster_name>:<node_group_name>")?;
    Ok((cluster, group))
}

#[async_trait]
impl ResourceType for EksNodeGroup {
    fn type_name(&self) -> &'static str {
        "aws_eks_node_group"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    /// EKS has no batched Describe: one DescribeNodegroup per group,
    /// concurrently.
    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        fetch_each(ids, |id| async move {
            let (cluster, group) = parse_id(&id)?;
            Ok(find_nodegroup(aws, cluster, group)
                .await?
                .as_ref()
                .map(nodegroup_attrs))
        })
        .await
    }

    async fn find_created(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<Found, ProviderError> {
        let Some(cluster) = req.planned.str("cluster_name") else {
            return Ok(Found::Nothing);
        };
        let name = nodegroup_name(req);
        Ok(match find_nodegroup(aws, cluster, &name).await? {
            Some(group) => {
                let id = node_group_id(cluster, &name);
                owner_of_named(aws, req, id, group.tags().into_iter().flatten())
            }
            None => Found::Nothing,
        })
    }

    async fn list_tagged(&self, aws: &AwsContext) -> Result<Vec<Listed>, ProviderError> {
        let mut ids = Vec::new();
        for cluster in cluster_names(aws).await? {
            let groups: Vec<String> = aws
                .eks()
                .list_nodegroups()
                .cluster_name(&cluster)
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(sdk_error)?;
            ids.extend(groups.iter().map(|group| node_group_id(&cluster, group)));
        }
        let tagged = fetch_each(&ids, |id| async move {
            let (cluster, group) = parse_id(&id)?;
            Ok(find_nodegroup(aws, cluster, group)
                .await?
                .map(|group| tag_pairs(group.tags())))
        })
        .await?;
        Ok(tagged.into_iter().collect())
    }

    async fn create(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<String, ProviderError> {
        let planned = req.planned;
        let cluster = planned.str("cluster_name").unwrap_or_default();
        let name = nodegroup_name(req);
        let timeouts = Timeouts::from_attrs(planned, DEFAULT_TIMEOUTS);
        let instance_types = planned.strings("instance_types");
        let labels = planned.string_map("labels");
        aws.eks()
            .create_nodegroup()
            .cluster_name(cluster)
            .nodegroup_name(&name)
            .node_role(planned.str("node_role_arn").unwrap_or_default())
            .set_subnets(Some(planned.strings("subnet_ids")))
            .set_capacity_type(planned.str("capacity_type").map(CapacityTypes::from))
            .set_instance_types((!instance_types.is_empty()).then_some(instance_types))
            .set_ami_type(planned.str("ami_type").map(AmiTypes::from))
            .set_disk_size(i32_arg(planned, "disk_size"))
            .set_labels((!labels.is_empty()).then(|| labels.into_iter().collect()))
            .set_scaling_config(scaling_config(planned))
            .set_update_config(update_config(planned))
            .client_request_token(req.client_token)
            .set_tags(Some(create_tags(aws, req)))
            .send()
            .await
            .map_err(sdk_error)?;
        wait_for_nodegroup(aws, cluster, &name, timeouts.create, CREATING).await?;
        Ok(node_group_id(cluster, &name))
    }

    async fn update(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        let (cluster, name) = parse_id(prior_id(prior)?)?;
        let timeouts = Timeouts::from_attrs(planned, DEFAULT_TIMEOUTS);
        let changed = |key: &str| differs(prior, planned, key);
        if changed("labels") || changed("scaling_config") || changed("update_config") {
            let out = aws
                .eks()
                .update_nodegroup_config()
                .cluster_name(cluster)
                .nodegroup_name(name)
                .set_labels(if changed("labels") {
                    labels_payload(prior, planned)
                } else {
                    None
                })
                .set_scaling_config(if changed("scaling_config") {
                    scaling_config(planned)
                } else {
                    None
                })
                .set_update_config(if changed("update_config") {
                    update_config(planned)
                } else {
                    None
                })
                .send()
                .await
                .map_err(sdk_error)?;
            if let Some(update) = out.update() {
                wait_for_update(aws, cluster, Some(name), update, timeouts.update).await?;
            }
            wait_for_nodegroup(aws, cluster, name, timeouts.update, UPDATING).await?;
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
            .delete_nodegroup()
            .cluster_name(cluster)
            .nodegroup_name(name)
            .send()
            .await
            .map_err(sdk_error);
        wait_deleted(
            &format!("EKS node group {cluster}:{name}"),
            timeouts.delete,
            deleted,
            || nodegroup_status(aws, cluster, name),
        )
        .await
    }
}

async fn nodegroup_status(
    aws: &AwsContext,
    cluster: &str,
    name: &str,
) -> Result<Option<String>, ProviderError> {
    Ok(find_nodegroup(aws, cluster, name).await?.map(|g| {
        g.status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default()
    }))
}

async fn wait_for_nodegroup(
    aws: &AwsContext,
    cluster: &str,
    name: &str,
    timeout: Duration,
    pending: &[&str],
) -> Result<(), ProviderError> {
    wait_for_status(
        &format!("EKS node group {cluster}:{name}"),
        timeout,
        pending,
        Goal::Status("ACTIVE"),
        || nodegroup_status(aws, cluster, name),
    )
    .await
}

fn scaling_config(planned: &Attrs) -> Option<NodegroupScalingConfig> {
    single(planned, "scaling_config").map(|s| {
        NodegroupScalingConfig::builder()
            .set_desired_size(i32_arg(s, "desired_size"))
            .set_min_size(i32_arg(s, "min_size"))
            .set_max_size(i32_arg(s, "max_size"))
            .build()
    })
}

fn update_config(planned: &Attrs) -> Option<NodegroupUpdateConfig> {
    single(planned, "update_config").map(|u| {
        NodegroupUpdateConfig::builder()
            .set_max_unavailable(i32_arg(u, "max_unavailable"))
            .set_max_unavailable_percentage(i32_arg(u, "max_unavailable_percentage"))
            .build()
    })
}

/// The label edits from `prior.labels` to `planned.labels`.
fn labels_payload(prior: &Attrs, planned: &Attrs) -> Option<UpdateLabelsPayload> {
    let old = prior.string_map("labels");
    let new = planned.string_map("labels");
    let removed: Vec<String> = old
        .keys()
        .filter(|k| !new.contains_key(*k))
        .cloned()
        .collect();
    let set: std::collections::HashMap<String, String> = new
        .into_iter()
        .filter(|(k, v)| old.get(k) != Some(v))
        .collect();
    (!removed.is_empty() || !set.is_empty()).then(|| {
        UpdateLabelsPayload::builder()
            .set_add_or_update_labels((!set.is_empty()).then_some(set))
            .set_remove_labels((!removed.is_empty()).then_some(removed))
            .build()
    })
}

fn nodegroup_attrs(group: &Nodegroup) -> Attrs {
    let cluster = group.cluster_name().unwrap_or_default();
    let name = group.nodegroup_name().unwrap_or_default();
    let labels = group
        .labels()
        .filter(|l| !l.is_empty())
        .map_or(Value::Null, |l| {
            Value::Map(
                l.iter()
                    .map(|(k, v)| (k.clone(), Value::string(v)))
                    .collect(),
            )
        });
    let scaling = optional_block(group.scaling_config().map(|s| {
        attrs([
            ("desired_size", s.desired_size().into()),
            ("min_size", s.min_size().into()),
            ("max_size", s.max_size().into()),
        ])
    }));
    let update = optional_block(group.update_config().map(|u| {
        attrs([
            ("max_unavailable", u.max_unavailable().into()),
            (
                "max_unavailable_percentage",
                u.max_unavailable_percentage().into(),
            ),
        ])
    }));
    attrs([
        ("id", Value::string(node_group_id(cluster, name))),
        ("cluster_name", Value::string(cluster)),
        ("node_group_name", Value::string(name)),
        ("node_group_name_prefix", prefix_from_name(name)),
        ("node_role_arn", group.node_role().into()),
        ("subnet_ids", string_set(group.subnets().to_vec())),
        (
            "capacity_type",
            group.capacity_type().map(|c| c.as_str()).into(),
        ),
        (
            "instance_types",
            Value::from(group.instance_types().to_vec()),
        ),
        ("ami_type", group.ami_type().map(|a| a.as_str()).into()),
        ("disk_size", group.disk_size().into()),
        ("labels", labels),
        ("arn", group.nodegroup_arn().into()),
        ("status", group.status().map(|s| s.as_str()).into()),
        ("scaling_config", scaling),
        ("update_config", update),
        (
            "tags_all",
            tags_to_value(group.tags().into_iter().flatten()),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::attrs;

    #[test]
    fn id_is_cluster_and_group() {
        assert_eq!(
            parse_id(&node_group_id("prod", "spot")).unwrap(),
            ("prod", "spot")
        );
        assert!(parse_id("prod").is_err());
    }

    #[test]
    fn label_changes_add_change_and_remove() {
        let prior = attrs([(
            "labels",
            Value::Map(attrs([("a", "1".into()), ("b", "2".into())])),
        )]);
        let planned = attrs([(
            "labels",
            Value::Map(attrs([
                ("a", "1".into()),
                ("b", "3".into()),
                ("c", "4".into()),
            ])),
        )]);
        let payload = labels_payload(&prior, &planned).unwrap();
        let mut set: Vec<_> = payload.add_or_update_labels().unwrap().iter().collect();
        set.sort();
        assert_eq!(
            set,
            vec![
                (&"b".to_string(), &"3".to_string()),
                (&"c".to_string(), &"4".to_string())
            ]
        );
        assert!(payload.remove_labels().is_empty());
        let removed = labels_payload(&planned, &attrs([])).unwrap();
        assert_eq!(removed.remove_labels().len(), 3);
        assert!(labels_payload(&prior, &prior).is_none());
    }
}
