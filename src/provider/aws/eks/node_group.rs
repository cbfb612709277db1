//! `aws_eks_node_group`: an EKS managed node group.
//!
//! The id is `<cluster_name>:<node_group_name>`, as in Terraform. Create,
//! update and delete wait for EKS; a delete waits until the group is really
//! gone, since its cluster cannot be deleted before. Scaling, labels,
//! taints, the update and node repair configs and tags change in place
//! (UpdateNodegroupConfig); the Kubernetes version, AMI release and launch
//! template version too (UpdateNodegroupVersion, forced past pod disruption
//! budgets with `force_update_version`). Everything else about the
//! instances (subnets, types, capacity type, AMI type, disk, SSH access,
//! the launch template itself) forces replacement. This file never
//! changes the cluster the group belongs to.

use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_eks::types::{
    AmiTypes, CapacityTypes, LaunchTemplateSpecification, NodeRepairConfig, Nodegroup,
    NodegroupScalingConfig, NodegroupUpdateConfig, RemoteAccessConfig, Taint, TaintEffect,
    UpdateLabelsPayload, UpdateTaintsPayload,
};

use super::{
    Goal, UpdateOf, cluster_names, create_tags, find_nodegroup, tag_pairs, update_tags,
    wait_deleted, wait_for_status, wait_for_update,
};
use crate::provider::aws::batch::fetch_each;
use crate::provider::aws::convert::{
    i32_arg, nested, non_empty, optional_block, prior_id, single, string_set, string_set_or_null,
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
        // Kubernetes and AMI release versions: the cluster's and the
        // latest when left out; changed in place by UpdateNodegroupVersion.
        Attribute::optional_computed("version", Type::String),
        Attribute::optional_computed("release_version", Type::String),
        // Only steers a version update: drain even when pods resist.
        Attribute::optional("force_update_version", Type::Bool),
        Attribute::computed("arn", Type::String),
        Attribute::computed("status", Type::String),
        Attribute::computed(
            "resources",
            Type::list_of(Type::object(&[
                (
                    "autoscaling_groups",
                    Type::list_of(Type::object(&[("name", Type::String)])),
                ),
                ("remote_access_security_group_id", Type::String),
            ])),
        ),
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
            Block::single(
                "launch_template",
                Schema::new(
                    vec![
                        Attribute::optional_computed("id", Type::String).force_new(),
                        Attribute::optional_computed("name", Type::String).force_new(),
                        Attribute::required("version", Type::String),
                    ],
                    vec![],
                ),
            ),
            // EKS's emulator reports a default SSH key for a group made
            // without one, so a group that has none keeps what EKS says.
            Block::single(
                "remote_access",
                Schema::new(
                    vec![
                        Attribute::optional("ec2_ssh_key", Type::String),
                        Attribute::optional(
                            "source_security_group_ids",
                            Type::set_of(Type::String),
                        ),
                    ],
                    vec![],
                ),
            )
            .force_new()
            .computed_when_absent(),
            Block::set(
                "taint",
                Schema::new(
                    vec![
                        Attribute::required("key", Type::String),
                        Attribute::optional("value", Type::String),
                        Attribute::required("effect", Type::String),
                    ],
                    vec![],
                ),
            ),
            Block::single(
                "node_repair_config",
                Schema::new(vec![Attribute::optional("enabled", Type::Bool)], vec![]),
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
            .set_version(planned.str("version").map(str::to_string))
            .set_release_version(planned.str("release_version").map(str::to_string))
            .set_launch_template(launch_template(planned))
            .set_remote_access(single(planned, "remote_access").map(|r| {
                let groups = r.strings("source_security_group_ids");
                RemoteAccessConfig::builder()
                    .set_ec2_ssh_key(r.str("ec2_ssh_key").map(str::to_string))
                    .set_source_security_groups((!groups.is_empty()).then_some(groups))
                    .build()
            }))
            .set_taints(non_empty(
                planned.blocks("taint").into_iter().map(taint).collect(),
            ))
            .set_node_repair_config(node_repair_config(planned))
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
        let changed = |key: &str| SCHEMA.argument_changed(key, prior, planned);
        let config_changed = ["labels", "scaling_config", "update_config", "taint"]
            .iter()
            .any(|key| changed(key))
            || (planned.blocks("node_repair_config").len() == 1 && changed("node_repair_config"));
        if config_changed {
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
                .set_taints(if changed("taint") {
                    taints_payload(prior, planned)
                } else {
                    None
                })
                .set_node_repair_config(if changed("node_repair_config") {
                    node_repair_config(planned)
                } else {
                    None
                })
                .send()
                .await
                .map_err(sdk_error)?;
            if let Some(update) = out.update() {
                wait_for_update(
                    aws,
                    cluster,
                    UpdateOf::Nodegroup(name),
                    update,
                    timeouts.update,
                )
                .await?;
            }
            wait_for_nodegroup(aws, cluster, name, timeouts.update, UPDATING).await?;
        }
        if ["version", "release_version", "launch_template"]
            .iter()
            .any(|key| changed(key) && planned.get(*key).is_some_and(Value::is_wholly_known))
        {
            let text = |key: &str| {
                planned
                    .str(key)
                    .filter(|_| changed(key))
                    .map(str::to_string)
            };
            let out = aws
                .eks()
                .update_nodegroup_version()
                .cluster_name(cluster)
                .nodegroup_name(name)
                .set_version(text("version"))
                .set_release_version(text("release_version"))
                .set_launch_template(launch_template(planned))
                .set_force(planned.bool("force_update_version"))
                .send()
                .await
                .map_err(sdk_error)?;
            if let Some(update) = out.update() {
                wait_for_update(
                    aws,
                    cluster,
                    UpdateOf::Nodegroup(name),
                    update,
                    timeouts.update,
                )
                .await?;
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

/// The `launch_template` block as EKS takes it. EKS refuses both an id and
/// a name, and reports both once made: the id goes when known, else the
/// name (a new template's id or name forces a new group, so an update
/// always has the id).
fn launch_template(planned: &Attrs) -> Option<LaunchTemplateSpecification> {
    single(planned, "launch_template").map(|t| {
        let id = t.str("id").map(str::to_string);
        let name = t.str("name").filter(|_| id.is_none()).map(str::to_string);
        LaunchTemplateSpecification::builder()
            .set_id(id)
            .set_name(name)
            .set_version(t.str("version").map(str::to_string))
            .build()
    })
}

fn node_repair_config(planned: &Attrs) -> Option<NodeRepairConfig> {
    single(planned, "node_repair_config").map(|n| {
        NodeRepairConfig::builder()
            .set_enabled(n.bool("enabled"))
            .build()
    })
}

fn taint(t: &Attrs) -> Taint {
    Taint::builder()
        .set_key(t.str("key").map(str::to_string))
        .set_value(t.str("value").map(str::to_string))
        .set_effect(t.str("effect").map(TaintEffect::from))
        .build()
}

/// The taint edits from `prior.taint` to `planned.taint`: every planned
/// taint set (EKS replaces one of the same key and effect), and those of a
/// key and effect no longer planned removed.
fn taints_payload(prior: &Attrs, planned: &Attrs) -> Option<UpdateTaintsPayload> {
    let key_of = |t: &Attrs| {
        (
            t.str("key").map(str::to_string),
            t.str("effect").map(str::to_string),
        )
    };
    let wanted = planned.blocks("taint");
    let kept: Vec<_> = wanted.iter().map(|t| key_of(t)).collect();
    let removed: Vec<Taint> = prior
        .blocks("taint")
        .into_iter()
        .filter(|t| !kept.contains(&key_of(t)))
        .map(taint)
        .collect();
    let set: Vec<Taint> = wanted.into_iter().map(taint).collect();
    (!removed.is_empty() || !set.is_empty()).then(|| {
        UpdateTaintsPayload::builder()
            .set_add_or_update_taints(non_empty(set))
            .set_remove_taints(non_empty(removed))
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
    let launch_template = optional_block(group.launch_template().map(|t| {
        nested([
            ("id", t.id().into()),
            ("name", t.name().into()),
            ("version", t.version().into()),
        ])
    }));
    let remote_access = optional_block(group.remote_access().map(|r| {
        nested([
            ("ec2_ssh_key", r.ec2_ssh_key().into()),
            (
                "source_security_group_ids",
                string_set_or_null(r.source_security_groups().to_vec()),
            ),
        ])
    }));
    let taints = Value::List(
        group
            .taints()
            .iter()
            .map(|t| {
                Value::Map(
                    nested([
                        ("key", t.key().into()),
                        ("value", t.value().into()),
                        ("effect", t.effect().map(|e| e.as_str()).into()),
                    ])
                    .into(),
                )
            })
            .collect(),
    )
    .into_set();
    let repair = optional_block(
        group
            .node_repair_config()
            .map(|n| nested([("enabled", n.enabled().into())])),
    );
    let resources = Value::List(
        group
            .resources()
            .map(|r| {
                Value::Map(
                    attrs([
                        (
                            "autoscaling_groups",
                            Value::List(
                                r.auto_scaling_groups()
                                    .iter()
                                    .map(|g| Value::Map(attrs([("name", g.name().into())]).into()))
                                    .collect(),
                            ),
                        ),
                        (
                            "remote_access_security_group_id",
                            r.remote_access_security_group().into(),
                        ),
                    ])
                    .into(),
                )
            })
            .into_iter()
            .collect(),
    );
    attrs([
        ("id", Value::string(node_group_id(cluster, name))),
        ("version", group.version().into()),
        ("release_version", group.release_version().into()),
        ("launch_template", launch_template),
        ("remote_access", remote_access),
        ("taint", taints),
        ("node_repair_config", repair),
        ("resources", resources),
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
            Value::Map(attrs([("a", "1".into()), ("b", "2".into())]).into()),
        )]);
        let planned = attrs([(
            "labels",
            Value::Map(attrs([("a", "1".into()), ("b", "3".into()), ("c", "4".into())]).into()),
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
