//! `aws_lb_target_group`: where a load balancer sends traffic, and how it
//! checks the targets' health.
//!
//! The id is the ARN. The health check is one optional block whose fields
//! AWS fills with defaults when left out, so the block and each field are
//! optional-and-computed. The deregistration delay is a target group
//! *attribute* with its own calls. `name_prefix` exists only in state, so
//! read leaves it out. Targets themselves are not managed here, and neither
//! are stickiness, slow start or GRPC matchers.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{
    Matcher, ProtocolEnum, TargetGroup as AwsTargetGroup, TargetGroupAttribute, TargetTypeEnum,
};

use super::{
    describe_paginated_by_arns, name_for_create, owner_by_arn, read_described, tags_for_create,
    update_tags,
};
use crate::provider::aws::convert::{block, differs, i32_arg, nested, prior_id, single};
use crate::provider::aws::names::arn_resource;
use crate::provider::aws::{
    AwsContext, id_from_answer, ok_if_already_gone, ok_if_not_found, sdk_error,
};
use crate::provider::schema::{Attribute, Block, Schema, Type};
use crate::provider::{CreateRequest, Found, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value};

pub struct TargetGroup;

const DEREGISTRATION_DELAY: &str = "deregistration_delay.timeout_seconds";
/// AWS's deregistration delay when none is set.
const DEFAULT_DEREGISTRATION_DELAY: i64 = 300;

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
        Attribute::optional("deregistration_delay", Type::Number)
            .default(DEFAULT_DEREGISTRATION_DELAY),
        Attribute::computed("arn", Type::String),
        Attribute::computed("arn_suffix", Type::String),
    ];
    Schema::with_tags(
        attributes,
        vec![Block::single("health_check", health_check).computed_when_absent()],
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

async fn set_deregistration_delay(
    aws: &AwsContext,
    arn: &str,
    delay: i64,
) -> Result<(), ProviderError> {
    aws.elbv2()
        .modify_target_group_attributes()
        .target_group_arn(arn)
        .attributes(
            TargetGroupAttribute::builder()
                .key(DEREGISTRATION_DELAY)
                .value(delay.to_string())
                .build(),
        )
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

fn to_attrs(tg: &AwsTargetGroup, deregistration_delay: Option<i64>, tags: Value) -> Attrs {
    let arn = tg.target_group_arn().unwrap_or_default();
    Attrs::from([
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
            "deregistration_delay".into(),
            Value::from(deregistration_delay.unwrap_or(DEFAULT_DEREGISTRATION_DELAY)),
        ),
        ("health_check".into(), health_check_to_value(tg)),
        ("tags_all".into(), tags),
    ])
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
                // Lambda target groups have no deregistration delay.
                Ok(out
                    .attributes()
                    .iter()
                    .find(|a| a.key() == Some(DEREGISTRATION_DELAY))
                    .and_then(|a| a.value()?.parse::<i64>().ok()))
            },
            to_attrs,
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
        let delay = planned
            .i64("deregistration_delay")
            .unwrap_or(DEFAULT_DEREGISTRATION_DELAY);
        if delay != DEFAULT_DEREGISTRATION_DELAY {
            set_deregistration_delay(aws, &arn, delay).await?;
        }
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
        if differs(prior, planned, "deregistration_delay") {
            let delay = planned
                .i64("deregistration_delay")
                .unwrap_or(DEFAULT_DEREGISTRATION_DELAY);
            set_deregistration_delay(aws, arn, delay).await?;
        }
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
