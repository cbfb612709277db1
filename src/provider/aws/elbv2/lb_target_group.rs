//! `aws_lb_target_group`: where a load balancer sends traffic, and how it
//! checks the targets' health.
//!
//! The id is the ARN. The health check is one optional block whose fields
//! AWS fills with defaults when left out, so the block and each field are
//! optional-and-computed. The deregistration delay is a target group
//! *attribute*, as are stickiness, slow start, the balancing algorithm and
//! the other settings in [`SETTINGS`], all written with one call.
//! `name_prefix` exists only in state, so read leaves it out. Targets
//! themselves are not managed here, and neither are GRPC matchers.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{
    Matcher, ProtocolEnum, TargetGroup as AwsTargetGroup, TargetGroupAttribute,
    TargetGroupIpAddressTypeEnum, TargetTypeEnum,
};

use super::attributes::{self, Kind, Setting};
use super::{
    describe_paginated_by_arns, name_for_create, owner_by_arn, read_described, tags_for_create,
    update_tags,
};
use crate::provider::aws::convert::{
    block, differs, i32_arg, nested, prior_id, single, string_set,
};
use crate::provider::aws::names::arn_resource;
use crate::provider::aws::{
    AwsContext, id_from_answer, ok_if_already_gone, ok_if_not_found, sdk_error,
};
use crate::provider::schema::{Attribute, Block, Schema, Type};
use crate::provider::{CreateRequest, Found, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value};

pub struct TargetGroup;

/// Arguments kept as target group attributes. Those with a default are
/// Terraform's; the others keep AWS's value when left out. Each is sent
/// only when written (or changed), since many apply to one kind of target
/// group alone (slow start to HTTP, proxy protocol to TCP, failover to
/// Gateway Load Balancers).
const SETTINGS: &[Setting] = &[
    Setting::new(
        &["deregistration_delay"],
        "deregistration_delay.timeout_seconds",
        Kind::Text,
    )
    .default("300"),
    Setting::new(
        &["connection_termination"],
        "deregistration_delay.connection_termination.enabled",
        Kind::Bool,
    ),
    Setting::new(
        &["lambda_multi_value_headers_enabled"],
        "lambda.multi_value_headers.enabled",
        Kind::Bool,
    )
    .default("false"),
    Setting::new(
        &["load_balancing_algorithm_type"],
        "load_balancing.algorithm.type",
        Kind::Text,
    ),
    Setting::new(
        &["load_balancing_anomaly_mitigation"],
        "load_balancing.algorithm.anomaly_mitigation",
        Kind::Text,
    ),
    Setting::new(
        &["load_balancing_cross_zone_enabled"],
        "load_balancing.cross_zone.enabled",
        Kind::Text,
    ),
    Setting::new(
        &["preserve_client_ip"],
        "preserve_client_ip.enabled",
        Kind::Text,
    ),
    Setting::new(
        &["proxy_protocol_v2"],
        "proxy_protocol_v2.enabled",
        Kind::Bool,
    )
    .default("false"),
    Setting::new(&["slow_start"], "slow_start.duration_seconds", Kind::Number).default("0"),
    Setting::new(&["stickiness", "type"], "stickiness.type", Kind::Text),
    Setting::new(&["stickiness", "enabled"], "stickiness.enabled", Kind::Bool),
    Setting::new(
        &["stickiness", "cookie_duration"],
        "stickiness.lb_cookie.duration_seconds",
        Kind::Number,
    )
    .when("type", "lb_cookie"),
    Setting::new(
        &["stickiness", "cookie_duration"],
        "stickiness.app_cookie.duration_seconds",
        Kind::Number,
    )
    .when("type", "app_cookie"),
    Setting::new(
        &["stickiness", "cookie_name"],
        "stickiness.app_cookie.cookie_name",
        Kind::Text,
    )
    .when("type", "app_cookie"),
    Setting::new(
        &["target_failover", "on_deregistration"],
        "target_failover.on_deregistration",
        Kind::Text,
    ),
    Setting::new(
        &["target_failover", "on_unhealthy"],
        "target_failover.on_unhealthy",
        Kind::Text,
    ),
    Setting::new(
        &[
            "target_group_health",
            "dns_failover",
            "minimum_healthy_targets_count",
        ],
        "target_group_health.dns_failover.minimum_healthy_targets.count",
        Kind::Text,
    ),
    Setting::new(
        &[
            "target_group_health",
            "dns_failover",
            "minimum_healthy_targets_percentage",
        ],
        "target_group_health.dns_failover.minimum_healthy_targets.percentage",
        Kind::Text,
    ),
    Setting::new(
        &[
            "target_group_health",
            "unhealthy_state_routing",
            "minimum_healthy_targets_count",
        ],
        "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count",
        Kind::Number,
    ),
    Setting::new(
        &[
            "target_group_health",
            "unhealthy_state_routing",
            "minimum_healthy_targets_percentage",
        ],
        "target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage",
        Kind::Text,
    ),
    Setting::new(
        &[
            "target_health_state",
            "enable_unhealthy_connection_termination",
        ],
        "target_health_state.unhealthy.connection_termination.enabled",
        Kind::Bool,
    ),
    Setting::new(
        &["target_health_state", "unhealthy_draining_interval"],
        "target_health_state.unhealthy.draining_interval_seconds",
        Kind::Number,
    ),
];

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let health_check = Schema::new(
        vec![
            Attribute::optional_computed("enabled", Type::Bool),
            Attribute::optional_computed("path", Type::String),
            Attribute::optional_computed("port", Type::String),
            Attribute::optional_computed("protocol", Type::String),
            Attribute::optional_computed("matcher", Type::String),
            Attribute::optional_computed("interval", Type::Number),
            Attribute::optional_computed("timeout", Type::Number),
            Attribute::optional_computed("healthy_threshold", Type::Number),
            Attribute::optional_computed("unhealthy_threshold", Type::Number),
        ],
        vec![],
    );
    let attributes = vec![
        Attribute::optional_computed("name", Type::String).force_new(),
        Attribute::optional("name_prefix", Type::String).force_new(),
        Attribute::optional("port", Type::Number).force_new(),
        Attribute::optional("protocol", Type::String).force_new(),
        Attribute::optional("vpc_id", Type::String).force_new(),
        Attribute::optional("target_type", Type::String)
            .default("instance")
            .force_new(),
        Attribute::optional_computed("ip_address_type", Type::String).force_new(),
        Attribute::optional_computed("protocol_version", Type::String).force_new(),
        Attribute::computed("arn", Type::String),
        Attribute::computed("arn_suffix", Type::String),
        Attribute::computed("load_balancer_arns", Type::set_of(Type::String)),
    ];
    let settings = SETTINGS
        .iter()
        .filter(|s| s.path.len() == 1)
        .map(Setting::attribute);
    let attributes = attributes.into_iter().chain(settings).collect();
    let stickiness = Schema::new(
        vec![
            Attribute::required("type", Type::String),
            Attribute::optional("enabled", Type::Bool).default(true),
            Attribute::optional_computed("cookie_duration", Type::Number),
            Attribute::optional("cookie_name", Type::String),
        ],
        vec![],
    );
    let failover = Schema::new(
        vec![
            Attribute::required("on_deregistration", Type::String),
            Attribute::required("on_unhealthy", Type::String),
        ],
        vec![],
    );
    let minimum_healthy = |count: Type| {
        Schema::new(
            vec![
                Attribute::optional_computed("minimum_healthy_targets_count", count),
                Attribute::optional_computed("minimum_healthy_targets_percentage", Type::String),
            ],
            vec![],
        )
    };
    let group_health = Schema::new(
        vec![],
        vec![
            Block::single("dns_failover", minimum_healthy(Type::String)).computed_when_absent(),
            Block::single("unhealthy_state_routing", minimum_healthy(Type::Number))
                .computed_when_absent(),
        ],
    );
    let health_state = Schema::new(
        vec![
            Attribute::required("enable_unhealthy_connection_termination", Type::Bool),
            Attribute::optional_computed("unhealthy_draining_interval", Type::Number),
        ],
        vec![],
    );
    Schema::with_tags(
        attributes,
        vec![
            Block::single("health_check", health_check).computed_when_absent(),
            Block::single("stickiness", stickiness).computed_when_absent(),
            Block::single("target_failover", failover).computed_when_absent(),
            Block::single("target_group_health", group_health).computed_when_absent(),
            Block::single("target_health_state", health_state).computed_when_absent(),
        ],
    )
});

/// The health check fields a stack wrote; unwritten ones stay `None` so AWS
/// keeps (or picks) its own.
struct HealthCheck {
    enabled: Option<bool>,
    path: Option<String>,
    port: Option<String>,
    protocol: Option<ProtocolEnum>,
    matcher: Option<Matcher>,
    interval: Option<i32>,
    timeout: Option<i32>,
    healthy_threshold: Option<i32>,
    unhealthy_threshold: Option<i32>,
}

impl HealthCheck {
    fn from_planned(planned: &Attrs) -> HealthCheck {
        let empty = Attrs::new();
        let hc = single(planned, "health_check").unwrap_or(&empty);
        HealthCheck {
            enabled: hc.bool("enabled"),
            path: hc.str("path").map(String::from),
            port: hc.str("port").map(String::from),
            protocol: hc.str("protocol").map(ProtocolEnum::from),
            matcher: hc
                .str("matcher")
                .map(|code| Matcher::builder().http_code(code).build()),
            interval: i32_arg(hc, "interval"),
            timeout: i32_arg(hc, "timeout"),
            healthy_threshold: i32_arg(hc, "healthy_threshold"),
            unhealthy_threshold: i32_arg(hc, "unhealthy_threshold"),
        }
    }
}

/// CreateTargetGroup and ModifyTargetGroup take the same health check
/// setters; this applies them to either builder.
macro_rules! with_health_check {
    ($builder:expr, $hc:expr) => {{
        let hc = $hc;
        $builder
            .set_health_check_enabled(hc.enabled)
            .set_health_check_path(hc.path)
            .set_health_check_port(hc.port)
            .set_health_check_protocol(hc.protocol)
            .set_matcher(hc.matcher)
            .set_health_check_interval_seconds(hc.interval)
            .set_health_check_timeout_seconds(hc.timeout)
            .set_healthy_threshold_count(hc.healthy_threshold)
            .set_unhealthy_threshold_count(hc.unhealthy_threshold)
    }};
}

async fn modify_attributes(
    aws: &AwsContext,
    arn: &str,
    attributes: Vec<(String, String)>,
) -> Result<(), ProviderError> {
    if attributes.is_empty() {
        return Ok(());
    }
    let attributes = attributes
        .into_iter()
        .map(|(key, value)| {
            TargetGroupAttribute::builder()
                .key(key)
                .value(value)
                .build()
        })
        .collect();
    aws.elbv2()
        .modify_target_group_attributes()
        .target_group_arn(arn)
        .set_attributes(Some(attributes))
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(())
}

fn health_check_to_value(tg: &AwsTargetGroup) -> Value {
    block(nested([
        ("enabled", tg.health_check_enabled().into()),
        ("path", tg.health_check_path().into()),
        ("port", tg.health_check_port().into()),
        (
            "protocol",
            tg.health_check_protocol().map(|p| p.as_str()).into(),
        ),
        ("matcher", tg.matcher().and_then(|m| m.http_code()).into()),
        ("interval", tg.health_check_interval_seconds().into()),
        ("timeout", tg.health_check_timeout_seconds().into()),
        ("healthy_threshold", tg.healthy_threshold_count().into()),
        ("unhealthy_threshold", tg.unhealthy_threshold_count().into()),
    ]))
}

fn to_attrs(tg: &AwsTargetGroup, attributes: &BTreeMap<String, String>, tags: Value) -> Attrs {
    let arn = tg.target_group_arn().unwrap_or_default();
    let mut out = Attrs::from([
        ("id".into(), Value::string(arn)),
        ("arn".into(), Value::string(arn)),
        ("arn_suffix".into(), Value::string(arn_resource(arn))),
        ("name".into(), tg.target_group_name().into()),
        ("port".into(), tg.port().into()),
        ("protocol".into(), tg.protocol().map(|p| p.as_str()).into()),
        ("vpc_id".into(), tg.vpc_id().into()),
        (
            "target_type".into(),
            tg.target_type().map(|t| t.as_str()).into(),
        ),
        (
            "ip_address_type".into(),
            tg.ip_address_type().map(|t| t.as_str()).into(),
        ),
        ("protocol_version".into(), tg.protocol_version().into()),
        (
            "load_balancer_arns".into(),
            string_set(tg.load_balancer_arns().iter().cloned()),
        ),
        ("health_check".into(), health_check_to_value(tg)),
        ("tags_all".into(), tags),
    ]);
    out.extend(attributes::read(SETTINGS, attributes));
    out
}

#[async_trait]
impl ResourceType for TargetGroup {
    fn type_name(&self) -> &'static str {
        "aws_lb_target_group"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    /// One DescribeTargetGroups (per 20 ARNs) and one DescribeTags for all
    /// ids, then DescribeTargetGroupAttributes per target group, which ELBv2
    /// cannot batch.
    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let groups = describe_paginated_by_arns!(
            ids,
            aws.elbv2().describe_target_groups(),
            set_target_group_arns
        )
        .await?;
        read_described(
            aws,
            groups,
            AwsTargetGroup::target_group_arn,
            |arn| async move {
                let out = aws
                    .elbv2()
                    .describe_target_group_attributes()
                    .target_group_arn(arn)
                    .send()
                    .await
                    .map_err(sdk_error)?;
                Ok(out
                    .attributes()
                    .iter()
                    .filter_map(|a| Some((a.key()?.to_string(), a.value()?.to_string())))
                    .collect::<BTreeMap<_, _>>())
            },
            |tg, attributes, tags| to_attrs(tg, &attributes, tags),
        )
        .await
    }

    async fn find_created(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<Found, ProviderError> {
        let name = name_for_create(req, "tf-");
        let described = aws
            .elbv2()
            .describe_target_groups()
            .names(name)
            .send()
            .await;
        let found = ok_if_not_found(described.map_err(sdk_error))?;
        let group = found.as_ref().and_then(|out| out.target_groups().first());
        owner_by_arn(aws, req, group.and_then(AwsTargetGroup::target_group_arn)).await
    }

    async fn create(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<String, ProviderError> {
        let planned = req.planned;
        let name = name_for_create(req, "tf-");
        let request = aws
            .elbv2()
            .create_target_group()
            .name(name)
            .set_port(i32_arg(planned, "port"))
            .set_protocol(planned.str("protocol").map(ProtocolEnum::from))
            .set_vpc_id(planned.str("vpc_id").map(String::from))
            .target_type(TargetTypeEnum::from(
                planned.str("target_type").unwrap_or("instance"),
            ))
            .set_ip_address_type(
                planned
                    .str("ip_address_type")
                    .map(TargetGroupIpAddressTypeEnum::from),
            )
            .set_protocol_version(planned.str("protocol_version").map(str::to_string))
            .set_tags(Some(tags_for_create(aws, req)));
        let out = with_health_check!(request, HealthCheck::from_planned(planned))
            .send()
            .await
            .map_err(sdk_error)?;
        let arn = id_from_answer(
            out.target_groups()
                .first()
                .and_then(|tg| tg.target_group_arn()),
            "CreateTargetGroup returned no ARN",
        )?;
        modify_attributes(aws, &arn, attributes::for_create(SETTINGS, planned)).await?;
        Ok(arn)
    }

    async fn update(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        let arn = prior_id(prior)?;
        if differs(prior, planned, "health_check") {
            let request = aws.elbv2().modify_target_group().target_group_arn(arn);
            with_health_check!(request, HealthCheck::from_planned(planned))
                .send()
                .await
                .map_err(sdk_error)?;
        }
        let changed = attributes::for_update(SETTINGS, planned, |argument| {
            SCHEMA.argument_changed(argument, prior, planned)
        });
        modify_attributes(aws, arn, changed).await?;
        update_tags(aws, arn, prior, planned).await
    }

    /// A target group still used by a listener fails with ResourceInUse,
    /// a Conflict the engine retries while the listener is being deleted.
    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let arn = prior_id(prior)?;
        ok_if_already_gone(
            aws.elbv2()
                .delete_target_group()
                .target_group_arn(arn)
                .send()
                .await,
        )
    }
}
