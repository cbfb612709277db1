//! The arguments of `aws_autoscaling_group` beyond its size, subnets,
//! launch template and tags: their schema as Terraform declares it, what
//! CreateAutoScalingGroup and UpdateAutoScalingGroup send for them, and
//! how a described group reads back. No AWS calls; `group.rs` makes them
//! (including the ones with calls of their own: suspended processes, load
//! balancers, traffic sources, the warm pool, instance refreshes and the
//! capacity wait).

use aws_sdk_autoscaling::types::{
    AlarmSpecification, AutoScalingGroup, AvailabilityZoneDistribution,
    CapacityDistributionStrategy, CapacityReservationPreference, CapacityReservationSpecification,
    CapacityReservationTarget, InstanceMaintenancePolicy, LifecycleHookSpecification,
    RefreshPreferences, ScaleInProtectedInstances, StandbyInstances, TrafficSourceIdentifier,
};

use crate::provider::aws::convert::{
    i32_arg, nested, non_empty, optional_block, single, string_set_or_null,
};
use crate::provider::schema::{Attribute, Block, Schema, Type};
use crate::value::{Attrs, AttrsExt, Value};

/// Top-level arguments this module handles.
pub(super) fn attributes() -> Vec<Attribute> {
    vec![
        Attribute::optional_computed("availability_zones", Type::set_of(Type::String)),
        Attribute::optional("context", Type::String),
        Attribute::optional_computed("default_cooldown", Type::Number),
        Attribute::optional("default_instance_warmup", Type::Number),
        Attribute::optional("desired_capacity_type", Type::String),
        Attribute::optional("launch_configuration", Type::String),
        Attribute::optional_computed("load_balancers", Type::set_of(Type::String)),
        Attribute::optional("max_instance_lifetime", Type::Number),
        Attribute::optional("placement_group", Type::String),
        Attribute::optional("protect_from_scale_in", Type::Bool).default(false),
        Attribute::optional_computed("service_linked_role_arn", Type::String),
        Attribute::optional("suspended_processes", Type::set_of(Type::String)),
        // AWS reports `["Default"]` for a group made without any.
        Attribute::optional_computed("termination_policies", Type::list_of(Type::String)),
        // Not AWS settings: they steer the capacity wait after a create and
        // the warm pool's delete, and exist only in state.
        Attribute::optional("wait_for_capacity_timeout", Type::String).default("10m"),
        Attribute::optional("min_elb_capacity", Type::Number),
        Attribute::optional("wait_for_elb_capacity", Type::Number),
        Attribute::optional("ignore_failed_scaling_activities", Type::Bool).default(false),
        Attribute::optional("force_delete_warm_pool", Type::Bool).default(false),
    ]
}

fn optional(fields: &[(&'static str, Type)]) -> Vec<Attribute> {
    fields
        .iter()
        .map(|(name, ty)| Attribute::optional(name, ty.clone()))
        .collect()
}

pub(super) fn blocks() -> Vec<Block> {
    let lifecycle_hook = Schema::new(
        vec![
            Attribute::required("name", Type::String),
            Attribute::required("lifecycle_transition", Type::String),
            Attribute::optional_computed("default_result", Type::String),
            Attribute::optional("heartbeat_timeout", Type::Number),
            Attribute::optional("notification_metadata", Type::String),
            Attribute::optional("notification_target_arn", Type::String),
            Attribute::optional("role_arn", Type::String),
        ],
        vec![],
    );
    let preferences = Schema::new(
        optional(&[
            ("auto_rollback", Type::Bool),
            ("checkpoint_delay", Type::String),
            ("checkpoint_percentages", Type::list_of(Type::Number)),
            ("instance_warmup", Type::String),
            ("max_healthy_percentage", Type::Number),
            ("min_healthy_percentage", Type::Number),
            ("scale_in_protected_instances", Type::String),
            ("skip_matching", Type::Bool),
            ("standby_instances", Type::String),
        ]),
        vec![Block::single(
            "alarm_specification",
            Schema::new(optional(&[("alarms", Type::list_of(Type::String))]), vec![]),
        )],
    );
    vec![
        // AWS reports both for every group: kept as AWS has them when
        // left out, as in Terraform.
        Block::single(
            "availability_zone_distribution",
            Schema::new(
                optional(&[("capacity_distribution_strategy", Type::String)]),
                vec![],
            ),
        )
        .computed_when_absent(),
        Block::single(
            "capacity_reservation_specification",
            Schema::new(
                vec![Attribute::optional_computed(
                    "capacity_reservation_preference",
                    Type::String,
                )],
                vec![Block::single(
                    "capacity_reservation_target",
                    Schema::new(
                        optional(&[
                            ("capacity_reservation_ids", Type::list_of(Type::String)),
                            (
                                "capacity_reservation_resource_group_arns",
                                Type::list_of(Type::String),
                            ),
                        ]),
                        vec![],
                    ),
                )],
            ),
        )
        .computed_when_absent(),
        // Made with the group only, as in Terraform: read leaves them out
        // (the `aws_autoscaling_lifecycle_hook` type manages hooks after).
        Block::set("initial_lifecycle_hook", lifecycle_hook),
        Block::single(
            "instance_maintenance_policy",
            Schema::new(
                vec![
                    Attribute::required("max_healthy_percentage", Type::Number),
                    Attribute::required("min_healthy_percentage", Type::Number),
                ],
                vec![],
            ),
        ),
        // How a change of launch template rolls out: read leaves it out.
        Block::single(
            "instance_refresh",
            Schema::new(
                vec![
                    Attribute::required("strategy", Type::String),
                    Attribute::optional("triggers", Type::set_of(Type::String)),
                ],
                vec![Block::single("preferences", preferences)],
            ),
        ),
        Block::set(
            "traffic_source",
            Schema::new(
                vec![
                    Attribute::required("identifier", Type::String),
                    Attribute::optional("type", Type::String).default("elbv2"),
                ],
                vec![],
            ),
        ),
        Block::single(
            "warm_pool",
            Schema::new(
                vec![
                    Attribute::optional("max_group_prepared_capacity", Type::Number),
                    Attribute::optional("min_size", Type::Number),
                    Attribute::optional("pool_state", Type::String),
                ],
                vec![Block::single(
                    "instance_reuse_policy",
                    Schema::new(optional(&[("reuse_on_scale_in", Type::Bool)]), vec![]),
                )],
            ),
        ),
    ]
}

/// What UpdateAutoScalingGroup sends for these arguments when they change.
pub(super) const UPDATED: &[&str] = &[
    "availability_zones",
    "context",
    "default_cooldown",
    "default_instance_warmup",
    "desired_capacity_type",
    "launch_configuration",
    "max_instance_lifetime",
    "placement_group",
    "protect_from_scale_in",
    "service_linked_role_arn",
    "termination_policies",
    "availability_zone_distribution",
    "capacity_reservation_specification",
    "instance_maintenance_policy",
];

fn text(attrs: &Attrs, key: &str) -> Option<String> {
    attrs.str(key).map(str::to_string)
}

/// The settings [`UPDATED`] names, as both CreateAutoScalingGroup and
/// UpdateAutoScalingGroup take them. On update, `changed` picks those to
/// send; one taken out is sent as AWS's "none" (-1 or 0, or empty).
pub(super) struct Settings {
    pub availability_zones: Option<Vec<String>>,
    pub context: Option<String>,
    pub default_cooldown: Option<i32>,
    pub default_instance_warmup: Option<i32>,
    pub desired_capacity_type: Option<String>,
    pub launch_configuration: Option<String>,
    pub max_instance_lifetime: Option<i32>,
    pub placement_group: Option<String>,
    pub protect_from_scale_in: Option<bool>,
    pub service_linked_role_arn: Option<String>,
    pub termination_policies: Option<Vec<String>>,
    pub availability_zone_distribution: Option<AvailabilityZoneDistribution>,
    pub capacity_reservation_specification: Option<CapacityReservationSpecification>,
    pub instance_maintenance_policy: Option<InstanceMaintenancePolicy>,
}

impl Settings {
    pub fn of(planned: &Attrs, changed: impl Fn(&str) -> bool, updating: bool) -> Settings {
        let pick = |key: &str| changed(key);
        let cleared =
            |key: &str| updating && pick(key) && planned.get(key).is_none_or(Value::is_null);
        Settings {
            availability_zones: pick("availability_zones")
                .then(|| non_empty(planned.strings("availability_zones")))
                .flatten(),
            context: pick("context")
                .then(|| text(planned, "context"))
                .flatten()
                .or_else(|| cleared("context").then(String::new)),
            default_cooldown: pick("default_cooldown")
                .then(|| i32_arg(planned, "default_cooldown"))
                .flatten(),
            default_instance_warmup: pick("default_instance_warmup")
                .then(|| i32_arg(planned, "default_instance_warmup"))
                .flatten()
                .or_else(|| cleared("default_instance_warmup").then_some(-1)),
            desired_capacity_type: pick("desired_capacity_type")
                .then(|| text(planned, "desired_capacity_type"))
                .flatten(),
            launch_configuration: pick("launch_configuration")
                .then(|| text(planned, "launch_configuration"))
                .flatten(),
            max_instance_lifetime: pick("max_instance_lifetime")
                .then(|| i32_arg(planned, "max_instance_lifetime"))
                .flatten()
                .or_else(|| cleared("max_instance_lifetime").then_some(0)),
            placement_group: pick("placement_group")
                .then(|| text(planned, "placement_group"))
                .flatten()
                .or_else(|| cleared("placement_group").then(String::new)),
            protect_from_scale_in: pick("protect_from_scale_in")
                .then(|| planned.bool("protect_from_scale_in"))
                .flatten(),
            service_linked_role_arn: pick("service_linked_role_arn")
                .then(|| text(planned, "service_linked_role_arn"))
                .flatten(),
            termination_policies: pick("termination_policies")
                .then(|| non_empty(planned.strings("termination_policies")))
                .flatten(),
            availability_zone_distribution: pick("availability_zone_distribution")
                .then(|| {
                    single(planned, "availability_zone_distribution").map(|d| {
                        AvailabilityZoneDistribution::builder()
                            .set_capacity_distribution_strategy(
                                d.str("capacity_distribution_strategy")
                                    .map(CapacityDistributionStrategy::from),
                            )
                            .build()
                    })
                })
                .flatten(),
            capacity_reservation_specification: pick("capacity_reservation_specification")
                .then(|| single(planned, "capacity_reservation_specification").map(reservation))
                .flatten(),
            instance_maintenance_policy: pick("instance_maintenance_policy")
                .then(|| {
                    // Both -1 clears a policy taken out.
                    let policy = single(planned, "instance_maintenance_policy");
                    let percent = |key: &str| policy.map_or(Some(-1), |p| i32_arg(p, key));
                    (policy.is_some() || cleared("instance_maintenance_policy")).then(|| {
                        InstanceMaintenancePolicy::builder()
                            .set_min_healthy_percentage(percent("min_healthy_percentage"))
                            .set_max_healthy_percentage(percent("max_healthy_percentage"))
                            .build()
                    })
                })
                .flatten(),
        }
    }
}

fn reservation(spec: &Attrs) -> CapacityReservationSpecification {
    let target = single(spec, "capacity_reservation_target").map(|t| {
        CapacityReservationTarget::builder()
            .set_capacity_reservation_ids(non_empty(t.strings("capacity_reservation_ids")))
            .set_capacity_reservation_resource_group_arns(non_empty(
                t.strings("capacity_reservation_resource_group_arns"),
            ))
            .build()
    });
    CapacityReservationSpecification::builder()
        .set_capacity_reservation_preference(
            spec.str("capacity_reservation_preference")
                .map(CapacityReservationPreference::from),
        )
        .set_capacity_reservation_target(target)
        .build()
}

/// Applies [`Settings`] to CreateAutoScalingGroup or UpdateAutoScalingGroup,
/// whose setters have the same names.
macro_rules! with_settings {
    ($builder:expr, $settings:expr) => {{
        let s = $settings;
        $builder
            .set_availability_zones(s.availability_zones)
            .set_context(s.context)
            .set_default_cooldown(s.default_cooldown)
            .set_default_instance_warmup(s.default_instance_warmup)
            .set_desired_capacity_type(s.desired_capacity_type)
            .set_launch_configuration_name(s.launch_configuration)
            .set_max_instance_lifetime(s.max_instance_lifetime)
            .set_placement_group(s.placement_group)
            .set_new_instances_protected_from_scale_in(s.protect_from_scale_in)
            .set_service_linked_role_arn(s.service_linked_role_arn)
            .set_termination_policies(s.termination_policies)
            .set_availability_zone_distribution(s.availability_zone_distribution)
            .set_capacity_reservation_specification(s.capacity_reservation_specification)
            .set_instance_maintenance_policy(s.instance_maintenance_policy)
    }};
}
pub(super) use with_settings;

/// The `initial_lifecycle_hook` blocks, as a create sends them.
pub(super) fn lifecycle_hooks(planned: &Attrs) -> Option<Vec<LifecycleHookSpecification>> {
    non_empty(
        planned
            .blocks("initial_lifecycle_hook")
            .into_iter()
            .map(|h| {
                LifecycleHookSpecification::builder()
                    .set_lifecycle_hook_name(text(h, "name"))
                    .set_lifecycle_transition(text(h, "lifecycle_transition"))
                    .set_default_result(text(h, "default_result"))
                    .set_heartbeat_timeout(i32_arg(h, "heartbeat_timeout"))
                    .set_notification_metadata(text(h, "notification_metadata"))
                    .set_notification_target_arn(text(h, "notification_target_arn"))
                    .set_role_arn(text(h, "role_arn"))
                    .build()
            })
            .collect(),
    )
}

/// The `traffic_source` blocks as AWS identifies them.
pub(super) fn traffic_sources(attrs: &Attrs) -> Vec<TrafficSourceIdentifier> {
    attrs
        .blocks("traffic_source")
        .into_iter()
        .map(|t| {
            TrafficSourceIdentifier::builder()
                .set_identifier(text(t, "identifier"))
                .set_type(text(t, "type"))
                .build()
        })
        .collect()
}

/// The `instance_refresh.preferences` block as StartInstanceRefresh takes
/// it (Terraform writes the durations as strings of seconds).
pub(super) fn refresh_preferences(refresh: &Attrs) -> Option<RefreshPreferences> {
    let p = single(refresh, "preferences")?;
    let seconds = |key: &str| p.str(key).and_then(|s| s.parse::<i32>().ok());
    let checkpoints: Vec<i32> = p
        .get("checkpoint_percentages")
        .and_then(Value::as_list)
        .unwrap_or_default()
        .iter()
        .filter_map(|v| v.as_f64().map(|n| n as i32))
        .collect();
    Some(
        RefreshPreferences::builder()
            .set_auto_rollback(p.bool("auto_rollback"))
            .set_checkpoint_delay(seconds("checkpoint_delay"))
            .set_checkpoint_percentages(non_empty(checkpoints))
            .set_instance_warmup(seconds("instance_warmup"))
            .set_max_healthy_percentage(i32_arg(p, "max_healthy_percentage"))
            .set_min_healthy_percentage(i32_arg(p, "min_healthy_percentage"))
            .set_scale_in_protected_instances(
                p.str("scale_in_protected_instances")
                    .map(ScaleInProtectedInstances::from),
            )
            .set_skip_matching(p.bool("skip_matching"))
            .set_standby_instances(p.str("standby_instances").map(StandbyInstances::from))
            .set_alarm_specification(single(p, "alarm_specification").map(|a| {
                AlarmSpecification::builder()
                    .set_alarms(non_empty(a.strings("alarms")))
                    .build()
            }))
            .build(),
    )
}

/// These arguments of a described group, in the shape the user writes them.
pub(super) fn read(group: &AutoScalingGroup) -> Attrs {
    let strings = |items: &[String]| string_set_or_null(items.to_vec());
    let reservation = group.capacity_reservation_specification().map(|c| {
        let target = c.capacity_reservation_target().map(|t| {
            nested([
                (
                    "capacity_reservation_ids",
                    Value::from(t.capacity_reservation_ids().to_vec()),
                ),
                (
                    "capacity_reservation_resource_group_arns",
                    Value::from(t.capacity_reservation_resource_group_arns().to_vec()),
                ),
            ])
        });
        nested([
            (
                "capacity_reservation_preference",
                c.capacity_reservation_preference()
                    .map(|p| p.as_str())
                    .into(),
            ),
            ("capacity_reservation_target", optional_block(target)),
        ])
    });
    let warm_pool = group.warm_pool_configuration().map(|w| {
        let reuse = w
            .instance_reuse_policy()
            .map(|r| nested([("reuse_on_scale_in", r.reuse_on_scale_in().into())]));
        nested([
            (
                "max_group_prepared_capacity",
                w.max_group_prepared_capacity().into(),
            ),
            ("min_size", w.min_size().into()),
            ("pool_state", w.pool_state().map(|s| s.as_str()).into()),
            ("instance_reuse_policy", optional_block(reuse)),
        ])
    });
    // A cleared policy may read back as -1s.
    let maintenance = group
        .instance_maintenance_policy()
        .filter(|p| p.min_healthy_percentage().unwrap_or(-1) >= 0)
        .map(|p| {
            nested([
                ("min_healthy_percentage", p.min_healthy_percentage().into()),
                ("max_healthy_percentage", p.max_healthy_percentage().into()),
            ])
        });
    let distribution = group.availability_zone_distribution().map(|d| {
        nested([(
            "capacity_distribution_strategy",
            d.capacity_distribution_strategy()
                .map(|s| s.as_str())
                .into(),
        )])
    });
    let traffic: Vec<Value> = group
        .traffic_sources()
        .iter()
        // Target groups and classic load balancers attached the older way
        // also show here; they are read under their own arguments.
        .filter(|t| {
            !matches!(t.r#type(), Some("elbv2" | "elb"))
                || !group
                    .target_group_arns()
                    .iter()
                    .chain(group.load_balancer_names())
                    .any(|id| Some(id.as_str()) == t.identifier())
        })
        .map(|t| {
            Value::Map(
                nested([
                    ("identifier", t.identifier().into()),
                    ("type", t.r#type().into()),
                ])
                .into(),
            )
        })
        .collect();
    let mut suspended: Vec<&str> = group
        .suspended_processes()
        .iter()
        .filter_map(|p| p.process_name())
        .collect();
    suspended.sort();
    let top: Vec<(&str, Value)> = vec![
        ("availability_zones", strings(group.availability_zones())),
        ("context", group.context().into()),
        ("default_cooldown", group.default_cooldown().into()),
        (
            "default_instance_warmup",
            group.default_instance_warmup().filter(|w| *w >= 0).into(),
        ),
        (
            "desired_capacity_type",
            group.desired_capacity_type().into(),
        ),
        (
            "launch_configuration",
            group.launch_configuration_name().into(),
        ),
        ("load_balancers", strings(group.load_balancer_names())),
        (
            "max_instance_lifetime",
            group.max_instance_lifetime().filter(|m| *m > 0).into(),
        ),
        ("placement_group", group.placement_group().into()),
        (
            "protect_from_scale_in",
            Value::Bool(
                group
                    .new_instances_protected_from_scale_in()
                    .unwrap_or(false),
            ),
        ),
        (
            "service_linked_role_arn",
            group.service_linked_role_arn().into(),
        ),
        (
            "suspended_processes",
            string_set_or_null(suspended.into_iter().map(str::to_string)),
        ),
        (
            "termination_policies",
            Value::from(group.termination_policies().to_vec()),
        ),
        (
            "availability_zone_distribution",
            optional_block(distribution),
        ),
        (
            "capacity_reservation_specification",
            optional_block(reservation),
        ),
        ("instance_maintenance_policy", optional_block(maintenance)),
        ("traffic_source", Value::List(traffic.into()).into_set()),
        ("warm_pool", optional_block(warm_pool)),
    ];
    // Nulls kept: an argument AWS no longer has must read as unset, not
    // keep its last value.
    top.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}
