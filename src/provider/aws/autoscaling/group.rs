//! `aws_autoscaling_group`: an EC2 Auto Scaling group launching from a launch
//! template, either directly (`launch_template {}`) or through a
//! `mixed_instances_policy {}` that spreads capacity over on-demand and spot
//! instances and several instance types.
//!
//! The id is the group name. Tags follow Terraform's model for this type:
//! `tag {}` blocks with `propagate_at_launch`, no `tags`/`tags_all` (so the
//! provider's default tags do not apply). terrane's own tags are added on
//! create without propagation and hidden on read. After a create (and a
//! change of size) it waits, as Terraform does, for the group's instances
//! to be in service (`wait_for_capacity_timeout`, and the target groups'
//! health with `wait_for_elb_capacity`); an instance refresh it starts runs
//! on in AWS without a wait. The mapping of most settings is in
//! `group_settings.rs`.

use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_autoscaling::types::{
    AutoScalingGroup, InstanceReusePolicy, InstancesDistribution,
    LaunchTemplate as MixedLaunchTemplate, LaunchTemplateOverrides, LaunchTemplateSpecification,
    MixedInstancesPolicy, RefreshStrategy, Tag, TrafficSourceIdentifier, WarmPoolState,
};
use futures::TryFutureExt;

use super::describe_groups;
use super::group_settings::{self, Settings, with_settings};
use crate::provider::aws::convert::{
    differs, i32_arg, keyed_by_id, non_empty, optional_block, prior_id, single, string_set,
    string_set_changes, string_set_or_null,
};
use crate::provider::aws::names::{name_for_create, prefix_from_name};
use crate::provider::aws::tags::{create_tags, is_system_tag, owner_of_named, update_tags};
use crate::provider::aws::{AwsContext, Timeouts, ok_if_not_found, sdk_error, wait_until};
use crate::provider::schema::{Attribute, Block, Schema, Type};
use crate::provider::{CreateRequest, ErrorKind, Found, Listed, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value, attrs};

pub struct AutoscalingGroup;

/// Terraform's defaults for this type (there is no create wait here).
const DEFAULT_TIMEOUTS: Timeouts = Timeouts {
    create: Duration::from_secs(10 * 60),
    update: Duration::from_secs(10 * 60),
    delete: Duration::from_secs(10 * 60),
};

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let launch_template_specification = Schema::new(
        vec![
            Attribute::optional_computed("launch_template_id", Type::String),
            Attribute::optional_computed("launch_template_name", Type::String),
            Attribute::optional_computed("version", Type::String),
        ],
        vec![],
    );
    let mixed_launch_template = Schema::new(
        vec![],
        vec![
            Block::single(
                "launch_template_specification",
                launch_template_specification,
            )
            .required(),
            Block::list(
                "override",
                Schema::new(
                    vec![
                        Attribute::optional("instance_type", Type::String),
                        Attribute::optional("weighted_capacity", Type::String),
                    ],
                    vec![],
                ),
            ),
        ],
    );
    let instances_distribution = Schema::new(
        vec![
            Attribute::optional_computed("on_demand_allocation_strategy", Type::String),
            Attribute::optional_computed("on_demand_base_capacity", Type::Number),
            Attribute::optional_computed("on_demand_percentage_above_base_capacity", Type::Number),
            Attribute::optional_computed("spot_allocation_strategy", Type::String),
            Attribute::optional_computed("spot_instance_pools", Type::Number),
        ],
        vec![],
    );
    let attributes: Vec<Attribute> = vec![
        Attribute::optional_computed("name", Type::String).force_new(),
        Attribute::optional_computed("name_prefix", Type::String).force_new(),
        Attribute::computed("arn", Type::String),
        Attribute::required("min_size", Type::Number),
        Attribute::required("max_size", Type::Number),
        Attribute::optional_computed("desired_capacity", Type::Number),
        Attribute::optional_computed("vpc_zone_identifier", Type::set_of(Type::String)),
        // The load balancer target groups instances join.
        Attribute::optional_computed("target_group_arns", Type::set_of(Type::String)),
        // Group metrics sent to CloudWatch (`GroupDesiredCapacity`...).
        Attribute::optional("enabled_metrics", Type::set_of(Type::String)),
        Attribute::optional("metrics_granularity", Type::String).default("1Minute"),
        Attribute::optional_computed("health_check_type", Type::String),
        Attribute::optional("health_check_grace_period", Type::Number).default(300),
        Attribute::optional("capacity_rebalance", Type::Bool).default(false),
        // Not an AWS setting: read never returns it; it only steers delete.
        Attribute::optional("force_delete", Type::Bool).default(false),
    ]
    .into_iter()
    .chain(group_settings::attributes())
    .collect();
    let mut blocks = group_settings::blocks();
    blocks.extend([
        Block::single(
            "launch_template",
            Schema::new(
                vec![
                    Attribute::optional_computed("id", Type::String),
                    Attribute::optional_computed("name", Type::String),
                    Attribute::optional_computed("version", Type::String),
                ],
                vec![],
            ),
        ),
        Block::single(
            "mixed_instances_policy",
            Schema::new(
                vec![],
                vec![
                    Block::single("instances_distribution", instances_distribution)
                        .computed_when_absent(),
                    Block::single("launch_template", mixed_launch_template).required(),
                ],
            ),
        ),
        Block::set(
            "tag",
            Schema::new(
                vec![
                    Attribute::required("key", Type::String),
                    Attribute::required("value", Type::String),
                    Attribute::required("propagate_at_launch", Type::Bool),
                ],
                vec![],
            ),
        ),
        Timeouts::block(&["update", "delete"]),
    ]);
    Schema::new(attributes, blocks)
});

#[async_trait]
impl ResourceType for AutoscalingGroup {
    fn type_name(&self) -> &'static str {
        "aws_autoscaling_group"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    /// One DescribeAutoScalingGroups with all names (paginated); names that
    /// no longer exist are simply not in the answer.
    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let groups = describe_groups(aws, ids).await?;
        Ok(keyed_by_id(
            &groups,
            AutoScalingGroup::auto_scaling_group_name,
            |group, _| group_attrs(group),
        ))
    }

    async fn find_created(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<Found, ProviderError> {
        let name = name_for_create(req.planned, "name", "name_prefix", req.client_token);
        let groups = describe_groups(aws, std::slice::from_ref(&name)).await?;
        Ok(match groups.first() {
            Some(group) => {
                let tags = group
                    .tags()
                    .iter()
                    .filter_map(|t| Some((t.key()?, t.value()?)));
                owner_of_named(aws, req, name, tags)
            }
            None => Found::Nothing,
        })
    }

    async fn list_tagged(&self, aws: &AwsContext) -> Result<Vec<Listed>, ProviderError> {
        let groups: Vec<AutoScalingGroup> = aws
            .autoscaling()
            .describe_auto_scaling_groups()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(sdk_error)?;
        Ok(groups
            .iter()
            .map(|group| {
                let tags = group
                    .tags()
                    .iter()
                    .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())));
                (
                    group
                        .auto_scaling_group_name()
                        .unwrap_or_default()
                        .to_string(),
                    tags.collect(),
                )
            })
            .collect())
    }

    async fn create(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<String, ProviderError> {
        let planned = req.planned;
        let name = name_for_create(planned, "name", "name_prefix", req.client_token);
        let mut tags = configured_tags(&name, planned);
        tags.extend(
            create_tags(aws, req)
                .into_iter()
                .filter(|(k, _)| is_system_tag(k))
                .map(|(k, v)| {
                    Tag::builder()
                        .resource_id(&name)
                        .resource_type("auto-scaling-group")
                        .key(k)
                        .value(v)
                        .propagate_at_launch(false)
                        .build()
                }),
        );
        let request = aws
            .autoscaling()
            .create_auto_scaling_group()
            .auto_scaling_group_name(&name)
            .set_min_size(i32_arg(planned, "min_size"))
            .set_max_size(i32_arg(planned, "max_size"))
            .set_desired_capacity(i32_arg(planned, "desired_capacity"))
            .set_vpc_zone_identifier(zone_identifier(planned))
            .set_target_group_arns(non_empty(planned.strings("target_group_arns")))
            .set_health_check_type(planned.str("health_check_type").map(str::to_string))
            .set_health_check_grace_period(i32_arg(planned, "health_check_grace_period"))
            .set_capacity_rebalance(planned.bool("capacity_rebalance"))
            .set_launch_template(launch_template(planned))
            .set_mixed_instances_policy(mixed_instances_policy(planned))
            .set_load_balancer_names(non_empty(planned.strings("load_balancers")))
            .set_lifecycle_hook_specification_list(group_settings::lifecycle_hooks(planned))
            .set_traffic_sources(
                Some(group_settings::traffic_sources(planned)).filter(|t| !t.is_empty()),
            )
            .set_tags(Some(tags));
        with_settings!(request, Settings::of(planned, |_| true, false))
            .send()
            .await
            .map_err(sdk_error)?;
        let none = Attrs::new();
        update_metrics(aws, &name, &none, planned).await?;
        update_suspended_processes(aws, &name, &none, planned).await?;
        update_warm_pool(aws, &name, &none, planned).await?;
        wait_for_capacity(aws, &name, planned).await?;
        Ok(name)
    }

    async fn update(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        let name = prior_id(prior)?;
        let changed = |key: &str| differs(prior, planned, key);
        let int = |key: &str| {
            if changed(key) {
                i32_arg(planned, key)
            } else {
                None
            }
        };
        let settings_changed = [
            "min_size",
            "max_size",
            "desired_capacity",
            "vpc_zone_identifier",
            "health_check_type",
            "health_check_grace_period",
            "capacity_rebalance",
            "launch_template",
            "mixed_instances_policy",
        ]
        .iter()
        .chain(group_settings::UPDATED)
        .any(|key| changed(key));
        let setting_changed = |key: &str| SCHEMA.argument_changed(key, prior, planned);
        if settings_changed {
            let request = aws
                .autoscaling()
                .update_auto_scaling_group()
                .auto_scaling_group_name(name)
                .set_min_size(int("min_size"))
                .set_max_size(int("max_size"))
                .set_desired_capacity(int("desired_capacity"))
                .set_vpc_zone_identifier(if changed("vpc_zone_identifier") {
                    zone_identifier(planned)
                } else {
                    None
                })
                .set_health_check_type(if changed("health_check_type") {
                    planned.str("health_check_type").map(str::to_string)
                } else {
                    None
                })
                .set_health_check_grace_period(int("health_check_grace_period"))
                .set_capacity_rebalance(if changed("capacity_rebalance") {
                    planned.bool("capacity_rebalance")
                } else {
                    None
                })
                .set_launch_template(if changed("launch_template") {
                    launch_template(planned)
                } else {
                    None
                })
                // Always sent while configured: AWS keeps an omitted policy,
                // but the emulator drops it on any update, and re-sending an
                // unchanged policy is a no-op on AWS.
                .set_mixed_instances_policy(mixed_instances_policy(planned));
            with_settings!(request, Settings::of(planned, setting_changed, true))
                .send()
                .await
                .map_err(sdk_error)?;
        }
        update_target_groups(aws, name, prior, planned).await?;
        update_load_balancers(aws, name, prior, planned).await?;
        update_traffic_sources(aws, name, prior, planned).await?;
        update_metrics(aws, name, prior, planned).await?;
        update_suspended_processes(aws, name, prior, planned).await?;
        update_warm_pool(aws, name, prior, planned).await?;
        update_tag_blocks(aws, name, prior, planned).await?;
        refresh_instances(aws, name, prior, planned).await?;
        if ["min_size", "desired_capacity"].iter().any(|k| changed(k)) {
            wait_for_capacity(aws, name, planned).await?;
        }
        Ok(())
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let name = prior_id(prior)?;
        let timeouts = Timeouts::from_attrs(prior, DEFAULT_TIMEOUTS);
        let force = prior.bool("force_delete").unwrap_or(false);
        let result = async {
            if prior.blocks("warm_pool").len() == 1 {
                delete_warm_pool(
                    aws,
                    name,
                    force || prior.bool("force_delete_warm_pool") == Some(true),
                )
                .await?;
            }
            if !force {
                drain(aws, name, timeouts.delete).await?;
            }
            aws.autoscaling()
                .delete_auto_scaling_group()
                .auto_scaling_group_name(name)
                .force_delete(force)
                .send()
                .await
                .map_err(sdk_error)
        }
        .await;
        if ok_if_not_found(result)?.is_none() {
            return Ok(());
        }
        // Deletion is asynchronous ("Delete in progress") until the
        // instances are terminated.
        wait_until(
            &format!("Auto Scaling group {name} to be deleted"),
            timeouts.delete,
            || async {
                Ok(describe_groups(aws, &[name.to_string()])
                    .await?
                    .is_empty()
                    .then_some(()))
            },
        )
        .await
    }
}

/// Sets the group to zero instances and waits for them to go, so that the
/// delete that follows does not fail with instances still running
/// (Terraform's behaviour without `force_delete`).
async fn drain(aws: &AwsContext, name: &str, timeout: Duration) -> Result<(), ProviderError> {
    aws.autoscaling()
        .update_auto_scaling_group()
        .auto_scaling_group_name(name)
        .min_size(0)
        .max_size(0)
        .desired_capacity(0)
        .send()
        .await
        .map_err(sdk_error)?;
    wait_until(
        &format!("Auto Scaling group {name} to drain its instances"),
        timeout,
        || async {
            let groups = describe_groups(aws, &[name.to_string()]).await?;
            match groups.first() {
                None => Err(ProviderError::new(
                    ErrorKind::NotFound,
                    format!("Auto Scaling group {name} not found"),
                )),
                Some(group) => Ok(group.instances().is_empty().then_some(())),
            }
        },
    )
    .await
}

fn zone_identifier(planned: &Attrs) -> Option<String> {
    let subnets = planned.strings("vpc_zone_identifier");
    (!subnets.is_empty()).then(|| subnets.join(","))
}

fn launch_template(planned: &Attrs) -> Option<LaunchTemplateSpecification> {
    single(planned, "launch_template").map(|lt| {
        LaunchTemplateSpecification::builder()
            .set_launch_template_id(lt.str("id").map(str::to_string))
            // AWS rejects id and name together; the id wins, as the name
            // is only filled in from what AWS reports.
            .set_launch_template_name(if lt.str("id").is_some() {
                None
            } else {
                lt.str("name").map(str::to_string)
            })
            .set_version(lt.str("version").map(str::to_string))
            .build()
    })
}

fn mixed_instances_policy(planned: &Attrs) -> Option<MixedInstancesPolicy> {
    let policy = single(planned, "mixed_instances_policy")?;
    let distribution = single(policy, "instances_distribution").map(|d| {
        InstancesDistribution::builder()
            .set_on_demand_allocation_strategy(
                d.str("on_demand_allocation_strategy").map(str::to_string),
            )
            .set_on_demand_base_capacity(i32_arg(d, "on_demand_base_capacity"))
            .set_on_demand_percentage_above_base_capacity(i32_arg(
                d,
                "on_demand_percentage_above_base_capacity",
            ))
            .set_spot_allocation_strategy(d.str("spot_allocation_strategy").map(str::to_string))
            .set_spot_instance_pools(i32_arg(d, "spot_instance_pools"))
            .build()
    });
    let template = single(policy, "launch_template").map(|t| {
        let specification = single(t, "launch_template_specification").map(|s| {
            let id = s.str("launch_template_id");
            LaunchTemplateSpecification::builder()
                .set_launch_template_id(id.map(str::to_string))
                .set_launch_template_name(if id.is_some() {
                    None
                } else {
                    s.str("launch_template_name").map(str::to_string)
                })
                .set_version(s.str("version").map(str::to_string))
                .build()
        });
        let overrides: Vec<LaunchTemplateOverrides> = t
            .blocks("override")
            .into_iter()
            .map(|o| {
                LaunchTemplateOverrides::builder()
                    .set_instance_type(o.str("instance_type").map(str::to_string))
                    .set_weighted_capacity(o.str("weighted_capacity").map(str::to_string))
                    .build()
            })
            .collect();
        MixedLaunchTemplate::builder()
            .set_launch_template_specification(specification)
            .set_overrides((!overrides.is_empty()).then_some(overrides))
            .build()
    });
    Some(
        MixedInstancesPolicy::builder()
            .set_instances_distribution(distribution)
            .set_launch_template(template)
            .build(),
    )
}

/// The configured `tag {}` blocks, keyed by tag key.
fn tag_blocks(attrs: &Attrs) -> BTreeMap<String, (String, bool)> {
    attrs
        .blocks("tag")
        .into_iter()
        .filter_map(|t| {
            Some((
                t.str("key")?.to_string(),
                (
                    t.str("value").unwrap_or_default().to_string(),
                    t.bool("propagate_at_launch").unwrap_or(false),
                ),
            ))
        })
        .collect()
}

fn configured_tags(name: &str, attrs: &Attrs) -> Vec<Tag> {
    tag_blocks(attrs)
        .into_iter()
        .map(|(key, (value, propagate))| asg_tag(name, key, Some(value), Some(propagate)))
        .collect()
}

fn asg_tag(name: &str, key: String, value: Option<String>, propagate: Option<bool>) -> Tag {
    Tag::builder()
        .resource_id(name)
        .resource_type("auto-scaling-group")
        .key(key)
        .set_value(value)
        .set_propagate_at_launch(propagate)
        .build()
}

/// Brings the group's `tag {}` blocks from `prior` to `planned`.
async fn update_tag_blocks(
    aws: &AwsContext,
    name: &str,
    prior: &Attrs,
    planned: &Attrs,
) -> Result<(), ProviderError> {
    update_tags(
        tag_blocks(prior),
        tag_blocks(planned),
        |removed| {
            let tags = removed.into_iter().map(|k| asg_tag(name, k, None, None));
            aws.autoscaling()
                .delete_tags()
                .set_tags(Some(tags.collect()))
                .send()
                .map_err(sdk_error)
        },
        |changed| {
            let tags = changed
                .into_iter()
                .map(|(k, (value, propagate))| asg_tag(name, k, Some(value), Some(propagate)));
            aws.autoscaling()
                .create_or_update_tags()
                .set_tags(Some(tags.collect()))
                .send()
                .map_err(sdk_error)
        },
    )
    .await
}

/// A set argument's strings, to compare before and after.
fn string_set_of(attrs: &Attrs, key: &str) -> std::collections::BTreeSet<String> {
    attrs.strings(key).into_iter().collect()
}

/// Attaches the target groups `planned` adds and detaches those it drops.
async fn update_target_groups(
    aws: &AwsContext,
    name: &str,
    prior: &Attrs,
    planned: &Attrs,
) -> Result<(), ProviderError> {
    // Left out of the configuration: kept as AWS has them (optional and
    // computed, as in Terraform, since `aws_autoscaling_attachment` may
    // manage them).
    if matches!(
        planned.get("target_group_arns"),
        None | Some(Value::Unknown)
    ) {
        return Ok(());
    }
    let (added, dropped) = string_set_changes(prior, planned, "target_group_arns");
    if !added.is_empty() {
        aws.autoscaling()
            .attach_load_balancer_target_groups()
            .auto_scaling_group_name(name)
            .set_target_group_arns(Some(added))
            .send()
            .await
            .map_err(sdk_error)?;
    }
    if !dropped.is_empty() {
        aws.autoscaling()
            .detach_load_balancer_target_groups()
            .auto_scaling_group_name(name)
            .set_target_group_arns(Some(dropped))
            .send()
            .await
            .map_err(sdk_error)?;
    }
    Ok(())
}

/// Turns on the group metrics `planned` adds, and off those it drops.
async fn update_metrics(
    aws: &AwsContext,
    name: &str,
    prior: &Attrs,
    planned: &Attrs,
) -> Result<(), ProviderError> {
    let (before, after) = (
        string_set_of(prior, "enabled_metrics"),
        string_set_of(planned, "enabled_metrics"),
    );
    let granularity_changed = differs(prior, planned, "metrics_granularity") && !after.is_empty();
    // The whole list, whenever it grows: AWS adds to what is enabled, the
    // emulator replaces it; both end with `after`.
    let enable: Vec<String> = if granularity_changed || !after.is_subset(&before) {
        after.iter().cloned().collect()
    } else {
        Vec::new()
    };
    let disable: Vec<String> = before.difference(&after).cloned().collect();
    if !disable.is_empty() {
        aws.autoscaling()
            .disable_metrics_collection()
            .auto_scaling_group_name(name)
            .set_metrics(Some(disable))
            .send()
            .await
            .map_err(sdk_error)?;
    }
    if !enable.is_empty() {
        aws.autoscaling()
            .enable_metrics_collection()
            .auto_scaling_group_name(name)
            .set_metrics(Some(enable))
            .granularity(planned.str("metrics_granularity").unwrap_or("1Minute"))
            .send()
            .await
            .map_err(sdk_error)?;
    }
    Ok(())
}

fn group_attrs(group: &AutoScalingGroup) -> Attrs {
    let name = group.auto_scaling_group_name().unwrap_or_default();
    let zones: Vec<String> = group
        .vpc_zone_identifier()
        .map(|z| {
            z.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let tags: Vec<Value> = group
        .tags()
        .iter()
        .filter(|t| t.key().is_some_and(|k| !is_system_tag(k)))
        .map(|t| {
            Value::Map(
                attrs([
                    ("key", t.key().into()),
                    ("value", Value::string(t.value().unwrap_or_default())),
                    (
                        "propagate_at_launch",
                        Value::Bool(t.propagate_at_launch().unwrap_or(false)),
                    ),
                ])
                .into(),
            )
        })
        .collect();
    let launch_template = optional_block(group.launch_template().map(|lt| {
        attrs([
            ("id", lt.launch_template_id().into()),
            ("name", lt.launch_template_name().into()),
            ("version", lt.version().into()),
        ])
    }));
    let mut out = attrs([
        ("id", Value::string(name)),
        ("name", Value::string(name)),
        ("name_prefix", prefix_from_name(name)),
        ("arn", group.auto_scaling_group_arn().into()),
        ("min_size", Value::from(group.min_size())),
        ("max_size", Value::from(group.max_size())),
        ("desired_capacity", Value::from(group.desired_capacity())),
        ("vpc_zone_identifier", Value::from(zones).into_set()),
        (
            "target_group_arns",
            string_set(group.target_group_arns().iter().map(String::as_str)),
        ),
        (
            "enabled_metrics",
            string_set_or_null(group.enabled_metrics().iter().filter_map(|m| m.metric())),
        ),
        (
            "metrics_granularity",
            Value::string(
                group
                    .enabled_metrics()
                    .first()
                    .and_then(|m| m.granularity())
                    .unwrap_or("1Minute"),
            ),
        ),
        ("health_check_type", group.health_check_type().into()),
        (
            "health_check_grace_period",
            Value::from(group.health_check_grace_period()),
        ),
        (
            "capacity_rebalance",
            Value::Bool(group.capacity_rebalance().unwrap_or(false)),
        ),
        ("launch_template", launch_template),
        (
            "mixed_instances_policy",
            Value::List(
                group
                    .mixed_instances_policy()
                    .map(mixed_policy_value)
                    .into_iter()
                    .collect(),
            ),
        ),
        ("tag", Value::List(tags.into()).into_set()),
    ]);
    out.extend(group_settings::read(group));
    out
}

fn mixed_policy_value(policy: &MixedInstancesPolicy) -> Value {
    let distribution = optional_block(policy.instances_distribution().map(|d| {
        attrs([
            (
                "on_demand_allocation_strategy",
                d.on_demand_allocation_strategy().into(),
            ),
            (
                "on_demand_base_capacity",
                Value::from(d.on_demand_base_capacity()),
            ),
            (
                "on_demand_percentage_above_base_capacity",
                Value::from(d.on_demand_percentage_above_base_capacity()),
            ),
            (
                "spot_allocation_strategy",
                d.spot_allocation_strategy().into(),
            ),
            ("spot_instance_pools", Value::from(d.spot_instance_pools())),
        ])
    }));
    let template = optional_block(policy.launch_template().map(|t| {
        let specification = optional_block(t.launch_template_specification().map(|s| {
            attrs([
                ("launch_template_id", s.launch_template_id().into()),
                ("launch_template_name", s.launch_template_name().into()),
                ("version", s.version().into()),
            ])
        }));
        let overrides: Vec<Value> = t
            .overrides()
            .iter()
            .map(|o| {
                Value::Map(
                    attrs([
                        ("instance_type", o.instance_type().into()),
                        ("weighted_capacity", o.weighted_capacity().into()),
                    ])
                    .into(),
                )
            })
            .collect();
        attrs([
            ("launch_template_specification", specification),
            ("override", Value::List(overrides.into())),
        ])
    }));
    Value::Map(
        attrs([
            ("instances_distribution", distribution),
            ("launch_template", template),
        ])
        .into(),
    )
}

/// Attaches the classic load balancers `planned` adds and detaches those
/// it drops (left out of the configuration: kept as AWS has them).
async fn update_load_balancers(
    aws: &AwsContext,
    name: &str,
    prior: &Attrs,
    planned: &Attrs,
) -> Result<(), ProviderError> {
    if matches!(planned.get("load_balancers"), None | Some(Value::Unknown)) {
        return Ok(());
    }
    let (added, dropped) = string_set_changes(prior, planned, "load_balancers");
    if !added.is_empty() {
        aws.autoscaling()
            .attach_load_balancers()
            .auto_scaling_group_name(name)
            .set_load_balancer_names(Some(added))
            .send()
            .await
            .map_err(sdk_error)?;
    }
    if !dropped.is_empty() {
        aws.autoscaling()
            .detach_load_balancers()
            .auto_scaling_group_name(name)
            .set_load_balancer_names(Some(dropped))
            .send()
            .await
            .map_err(sdk_error)?;
    }
    Ok(())
}

/// Attaches the traffic sources `planned` adds and detaches those it drops.
async fn update_traffic_sources(
    aws: &AwsContext,
    name: &str,
    prior: &Attrs,
    planned: &Attrs,
) -> Result<(), ProviderError> {
    if !SCHEMA.argument_changed("traffic_source", prior, planned) {
        return Ok(());
    }
    let (before, after) = (
        group_settings::traffic_sources(prior),
        group_settings::traffic_sources(planned),
    );
    // By identifier: the type AWS reports need not be spelt as written.
    let holds = |sources: &[TrafficSourceIdentifier], source: &TrafficSourceIdentifier| {
        sources
            .iter()
            .any(|s| s.identifier() == source.identifier())
    };
    let added: Vec<_> = after
        .iter()
        .filter(|t| !holds(&before, t))
        .cloned()
        .collect();
    let dropped: Vec<_> = before
        .iter()
        .filter(|t| !holds(&after, t))
        .cloned()
        .collect();
    if !added.is_empty() {
        aws.autoscaling()
            .attach_traffic_sources()
            .auto_scaling_group_name(name)
            .set_traffic_sources(Some(added))
            .send()
            .await
            .map_err(sdk_error)?;
    }
    if !dropped.is_empty() {
        aws.autoscaling()
            .detach_traffic_sources()
            .auto_scaling_group_name(name)
            .set_traffic_sources(Some(dropped))
            .send()
            .await
            .map_err(sdk_error)?;
    }
    Ok(())
}

/// Suspends the processes `planned` adds and resumes those it drops.
async fn update_suspended_processes(
    aws: &AwsContext,
    name: &str,
    prior: &Attrs,
    planned: &Attrs,
) -> Result<(), ProviderError> {
    let (suspend, resume) = string_set_changes(prior, planned, "suspended_processes");
    if !resume.is_empty() {
        aws.autoscaling()
            .resume_processes()
            .auto_scaling_group_name(name)
            .set_scaling_processes(Some(resume))
            .send()
            .await
            .map_err(sdk_error)?;
    }
    if !suspend.is_empty() {
        aws.autoscaling()
            .suspend_processes()
            .auto_scaling_group_name(name)
            .set_scaling_processes(Some(suspend))
            .send()
            .await
            .map_err(sdk_error)?;
    }
    Ok(())
}

/// Puts the warm pool `planned` has (PutWarmPool replaces one), or deletes
/// one taken out.
async fn update_warm_pool(
    aws: &AwsContext,
    name: &str,
    prior: &Attrs,
    planned: &Attrs,
) -> Result<(), ProviderError> {
    if !SCHEMA.argument_changed("warm_pool", prior, planned) {
        return Ok(());
    }
    let Some(pool) = single(planned, "warm_pool") else {
        let force = planned.bool("force_delete_warm_pool") == Some(true);
        return delete_warm_pool(aws, name, force).await;
    };
    aws.autoscaling()
        .put_warm_pool()
        .auto_scaling_group_name(name)
        .set_max_group_prepared_capacity(i32_arg(pool, "max_group_prepared_capacity"))
        .set_min_size(i32_arg(pool, "min_size"))
        .set_pool_state(pool.str("pool_state").map(WarmPoolState::from))
        .set_instance_reuse_policy(single(pool, "instance_reuse_policy").map(|r| {
            InstanceReusePolicy::builder()
                .set_reuse_on_scale_in(r.bool("reuse_on_scale_in"))
                .build()
        }))
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(())
}

async fn delete_warm_pool(aws: &AwsContext, name: &str, force: bool) -> Result<(), ProviderError> {
    let deleted = aws
        .autoscaling()
        .delete_warm_pool()
        .auto_scaling_group_name(name)
        .force_delete(force)
        .send()
        .await
        .map_err(sdk_error);
    ok_if_not_found(deleted)?;
    Ok(())
}

/// Starts an instance refresh when the group's `instance_refresh {}` asks
/// for one: after its launch template or mixed instances policy changed,
/// or an argument named in `triggers`, as Terraform does. The refresh runs
/// on in AWS; apply does not wait for it.
async fn refresh_instances(
    aws: &AwsContext,
    name: &str,
    prior: &Attrs,
    planned: &Attrs,
) -> Result<(), ProviderError> {
    let Some(refresh) = single(planned, "instance_refresh") else {
        return Ok(());
    };
    let triggered = [
        "launch_configuration",
        "launch_template",
        "mixed_instances_policy",
    ]
    .into_iter()
    .map(str::to_string)
    .chain(refresh.strings("triggers"))
    .any(|key| SCHEMA.argument_changed(&key, prior, planned));
    if !triggered {
        return Ok(());
    }
    aws.autoscaling()
        .start_instance_refresh()
        .auto_scaling_group_name(name)
        .set_strategy(refresh.str("strategy").map(RefreshStrategy::from))
        .set_preferences(group_settings::refresh_preferences(refresh))
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(())
}

/// Waits, as Terraform does after a create (and after a change of size),
/// until the group has its desired number of healthy instances in service
/// and, with `wait_for_elb_capacity` or `min_elb_capacity`, that many
/// healthy in each of its target groups; `wait_for_capacity_timeout = "0"`
/// skips it. A failed scaling activity ends the wait with its cause unless
/// `ignore_failed_scaling_activities` is set.
async fn wait_for_capacity(
    aws: &AwsContext,
    name: &str,
    planned: &Attrs,
) -> Result<(), ProviderError> {
    let timeout = planned.str("wait_for_capacity_timeout").unwrap_or("10m");
    let timeout = humantime::parse_duration(timeout).unwrap_or(Duration::from_secs(600));
    if timeout.is_zero() {
        return Ok(());
    }
    let wanted = planned
        .i64("desired_capacity")
        .or_else(|| planned.i64("min_size"))
        .unwrap_or(0) as usize;
    let elb_wanted = planned
        .i64("wait_for_elb_capacity")
        .or_else(|| planned.i64("min_elb_capacity"))
        .map(|n| n as usize);
    let check_activities = planned.bool("ignore_failed_scaling_activities") != Some(true);
    let started = aws_smithy_types::DateTime::from(std::time::SystemTime::now());
    wait_until(
        &format!("Auto Scaling group {name} to reach its capacity"),
        timeout,
        || async {
            let reached = capacity_reached(
                aws,
                name,
                wanted,
                elb_wanted,
                check_activities.then_some(&started),
            )
            .await;
            match reached {
                Ok(ready) => Ok(ready.then_some(())),
                // The create's client sends each call once: a throttled or
                // failed poll is polled again, not the end of the wait.
                Err(e) if e.is_retryable() => Ok(None),
                Err(e) => Err(e),
            }
        },
    )
    .await
}

/// Whether the group has `wanted` healthy instances in service (and
/// `elb_wanted` healthy in each target group); a failed scaling activity
/// since `activities_since` is an error.
async fn capacity_reached(
    aws: &AwsContext,
    name: &str,
    wanted: usize,
    elb_wanted: Option<usize>,
    activities_since: Option<&aws_smithy_types::DateTime>,
) -> Result<bool, ProviderError> {
    let groups = describe_groups(aws, &[name.to_string()]).await?;
    let Some(group) = groups.first() else {
        return Err(ProviderError::new(
            ErrorKind::NotFound,
            format!("Auto Scaling group {name} not found"),
        ));
    };
    let in_service: Vec<&str> = group
        .instances()
        .iter()
        .filter(|i| {
            i.lifecycle_state().map(|s| s.as_str()) == Some("InService")
                && i.health_status() == Some("Healthy")
        })
        .filter_map(|i| i.instance_id())
        .collect();
    let mut ready = in_service.len() >= wanted;
    if let (true, Some(elb_wanted)) = (ready, elb_wanted) {
        for target_group in group.target_group_arns() {
            let health = aws
                .elbv2()
                .describe_target_health()
                .target_group_arn(target_group)
                .send()
                .await
                .map_err(sdk_error)?;
            let healthy = health
                .target_health_descriptions()
                .iter()
                .filter(|d| {
                    d.target_health()
                        .and_then(|h| h.state())
                        .map(|s| s.as_str())
                        == Some("healthy")
                        && d.target()
                            .and_then(|t| t.id())
                            .is_some_and(|id| in_service.contains(&id))
                })
                .count();
            ready &= healthy >= elb_wanted;
        }
    }
    if let (false, Some(since)) = (ready, activities_since) {
        failed_activity(aws, name, since).await?;
    }
    Ok(ready)
}

/// An error for the first scaling activity of the group that failed since
/// `since`, if one did.
async fn failed_activity(
    aws: &AwsContext,
    name: &str,
    since: &aws_smithy_types::DateTime,
) -> Result<(), ProviderError> {
    let activities = aws
        .autoscaling()
        .describe_scaling_activities()
        .auto_scaling_group_name(name)
        .send()
        .await
        .map_err(sdk_error)?;
    let failed = activities.activities().iter().find(|a| {
        a.status_code().map(|s| s.as_str()) == Some("Failed")
            && a.start_time().is_some_and(|t| t.secs() >= since.secs())
    });
    match failed {
        Some(activity) => Err(ProviderError::new(
            ErrorKind::Other,
            format!(
                "a scaling activity of Auto Scaling group {name} failed: {}",
                activity
                    .status_message()
                    .or(activity.description())
                    .unwrap_or("no reason given")
            ),
        )),
        None => Ok(()),
    }
}
