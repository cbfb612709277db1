//! `aws_route53_health_check`: a Route53 health check (an endpoint by IP or
//! name, a calculated check over child checks, a CloudWatch alarm, or a
//! recovery control), which failover and other routing policies consult.
//!
//! The id is the health check id, as in Terraform. The create's caller
//! reference is the create's client token, so a create whose answer was
//! lost is found again by it. The type, request interval, latency
//! measurement, routing control and `reference_name` force a new check, as
//! in Terraform; everything else changes in place with UpdateHealthCheck.
//! `reference_name` and `triggers` exist only in state: read leaves them
//! out.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use async_trait::async_trait;
use aws_sdk_route53::types::{
    AlarmIdentifier, CloudWatchRegion, HealthCheck as AwsHealthCheck, HealthCheckConfig,
    HealthCheckRegion, HealthCheckType, InsufficientDataHealthStatus, ResettableElementName,
    TagResourceType,
};

use super::{change_tags, read_tags, update_tags};
use crate::provider::aws::batch::fetch_each;
use crate::provider::aws::convert::{i32_arg, prior_id, string_set_or_null};
use crate::provider::aws::regions::partition;
use crate::provider::aws::tags::create_tags;
use crate::provider::aws::{
    AwsContext, build_error, id_from_answer, ok_if_already_gone, ok_if_not_found, sdk_error,
};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{CreateRequest, Found, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value};

pub struct HealthCheck;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let attributes = vec![
        Attribute::required("type", Type::String).force_new(),
        Attribute::optional("ip_address", Type::String),
        Attribute::optional("fqdn", Type::String),
        // AWS fills these in for endpoint checks (port 80 or 443, every 30
        // seconds, 3 failures, SNI for HTTPS): kept as AWS has them when
        // left out.
        Attribute::optional_computed("port", Type::Number),
        Attribute::optional_computed("request_interval", Type::Number).force_new(),
        Attribute::optional_computed("failure_threshold", Type::Number),
        Attribute::optional_computed("enable_sni", Type::Bool),
        Attribute::optional("resource_path", Type::String),
        Attribute::optional("search_string", Type::String),
        Attribute::optional("measure_latency", Type::Bool)
            .default(false)
            .force_new(),
        Attribute::optional("invert_healthcheck", Type::Bool).default(false),
        Attribute::optional("disabled", Type::Bool).default(false),
        Attribute::optional("child_health_threshold", Type::Number),
        Attribute::optional("child_healthchecks", Type::set_of(Type::String)),
        Attribute::optional("regions", Type::set_of(Type::String)),
        Attribute::optional("cloudwatch_alarm_name", Type::String),
        Attribute::optional("cloudwatch_alarm_region", Type::String),
        Attribute::optional("insufficient_data_health_status", Type::String),
        Attribute::optional("routing_control_arn", Type::String).force_new(),
        Attribute::optional("reference_name", Type::String).force_new(),
        Attribute::optional("triggers", Type::map_of(Type::String)),
        Attribute::computed("arn", Type::String),
    ];
    Schema::with_tags(attributes, vec![])
});

fn text(planned: &Attrs, key: &str) -> Option<String> {
    planned.str(key).map(str::to_string)
}

fn alarm(planned: &Attrs) -> Result<Option<AlarmIdentifier>, ProviderError> {
    let (Some(name), Some(region)) = (
        planned.str("cloudwatch_alarm_name"),
        planned.str("cloudwatch_alarm_region"),
    ) else {
        return Ok(None);
    };
    AlarmIdentifier::builder()
        .name(name)
        .region(CloudWatchRegion::from(region))
        .build()
        .map(Some)
        .map_err(build_error)
}

fn regions(planned: &Attrs) -> Option<Vec<HealthCheckRegion>> {
    let regions = planned.strings("regions");
    (!regions.is_empty()).then(|| {
        regions
            .iter()
            .map(|r| HealthCheckRegion::from(r.as_str()))
            .collect()
    })
}

fn children(planned: &Attrs) -> Option<Vec<String>> {
    let children = planned.strings("child_healthchecks");
    (!children.is_empty()).then_some(children)
}

/// The settings CreateHealthCheck (in its config) and UpdateHealthCheck
/// both take, under the same setter names.
macro_rules! with_settings {
    ($builder:expr, $planned:expr) => {{
        let planned: &Attrs = $planned;
        $builder
            .set_ip_address(text(planned, "ip_address"))
            .set_fully_qualified_domain_name(text(planned, "fqdn"))
            .set_port(i32_arg(planned, "port"))
            .set_failure_threshold(i32_arg(planned, "failure_threshold"))
            .set_enable_sni(planned.bool("enable_sni"))
            .set_resource_path(text(planned, "resource_path"))
            .set_search_string(text(planned, "search_string"))
            .set_inverted(planned.bool("invert_healthcheck"))
            .set_disabled(planned.bool("disabled"))
            .set_health_threshold(i32_arg(planned, "child_health_threshold"))
            .set_child_health_checks(children(planned))
            .set_regions(regions(planned))
            .set_alarm_identifier(alarm(planned)?)
            .set_insufficient_data_health_status(
                planned
                    .str("insufficient_data_health_status")
                    .map(InsufficientDataHealthStatus::from),
            )
    }};
}

fn config(planned: &Attrs) -> Result<HealthCheckConfig, ProviderError> {
    let config = HealthCheckConfig::builder()
        .r#type(HealthCheckType::from(
            planned.str("type").unwrap_or_default(),
        ))
        .set_request_interval(i32_arg(planned, "request_interval"))
        .set_measure_latency(planned.bool("measure_latency"))
        .set_routing_control_arn(text(planned, "routing_control_arn"));
    with_settings!(config, planned).build().map_err(build_error)
}

fn to_attrs(aws: &AwsContext, check: &AwsHealthCheck) -> Attrs {
    let id = check.id();
    let partition = partition(aws.region().unwrap_or_default()).name;
    let mut out = Attrs::from([
        ("id".into(), Value::string(id)),
        (
            "arn".into(),
            Value::string(format!("arn:{partition}:route53:::healthcheck/{id}")),
        ),
    ]);
    let Some(c) = check.health_check_config() else {
        return out;
    };
    let alarm = c.alarm_identifier();
    out.extend([
        ("type".into(), Value::string(c.r#type().as_str())),
        ("ip_address".into(), c.ip_address().into()),
        ("fqdn".into(), c.fully_qualified_domain_name().into()),
        ("port".into(), c.port().into()),
        ("request_interval".into(), c.request_interval().into()),
        ("failure_threshold".into(), c.failure_threshold().into()),
        ("enable_sni".into(), c.enable_sni().into()),
        ("resource_path".into(), c.resource_path().into()),
        ("search_string".into(), c.search_string().into()),
        (
            "measure_latency".into(),
            Value::Bool(c.measure_latency().unwrap_or(false)),
        ),
        (
            "invert_healthcheck".into(),
            Value::Bool(c.inverted().unwrap_or(false)),
        ),
        (
            "disabled".into(),
            Value::Bool(c.disabled().unwrap_or(false)),
        ),
        ("child_health_threshold".into(), c.health_threshold().into()),
        (
            "child_healthchecks".into(),
            string_set_or_null(c.child_health_checks().to_vec()),
        ),
        (
            "regions".into(),
            string_set_or_null(c.regions().iter().map(|r| r.as_str().to_string())),
        ),
        (
            "cloudwatch_alarm_name".into(),
            alarm.map(|a| a.name()).into(),
        ),
        (
            "cloudwatch_alarm_region".into(),
            alarm.map(|a| a.region().as_str()).into(),
        ),
        (
            "insufficient_data_health_status".into(),
            c.insufficient_data_health_status()
                .map(|s| s.as_str())
                .into(),
        ),
        ("routing_control_arn".into(), c.routing_control_arn().into()),
    ]);
    out
}

#[async_trait]
impl ResourceType for HealthCheck {
    fn type_name(&self) -> &'static str {
        "aws_route53_health_check"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    /// GetHealthCheck per id (Route53 has no batch read), then one
    /// ListTagsForResources per 10.
    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let mut checks = fetch_each(ids, |id| async move {
            let out = ok_if_not_found(
                aws.route53()
                    .get_health_check()
                    .health_check_id(&id)
                    .send()
                    .await
                    .map_err(sdk_error),
            )?;
            Ok(out
                .as_ref()
                .and_then(|o| o.health_check())
                .map(|c| to_attrs(aws, c)))
        })
        .await?;
        let found: Vec<String> = checks.keys().cloned().collect();
        let mut tags = read_tags(aws, TagResourceType::Healthcheck, &found).await?;
        for (id, check) in checks.iter_mut() {
            check.insert(
                "tags_all".into(),
                tags.remove(id)
                    .unwrap_or_else(|| Value::Map(Attrs::new().into())),
            );
        }
        Ok(checks)
    }

    /// The check whose caller reference is this create's client token.
    async fn find_created(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<Found, ProviderError> {
        let mut pages = aws
            .route53()
            .list_health_checks()
            .into_paginator()
            .items()
            .send();
        while let Some(check) = pages.next().await {
            let check = check.map_err(sdk_error)?;
            if check.caller_reference() == req.client_token {
                return Ok(Found::Ours(check.id().to_string()));
            }
        }
        Ok(Found::Nothing)
    }

    async fn create(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<String, ProviderError> {
        let out = aws
            .route53()
            .create_health_check()
            .caller_reference(req.client_token)
            .health_check_config(config(req.planned)?)
            .send()
            .await
            .map_err(sdk_error)?;
        let id = id_from_answer(
            out.health_check().map(|c| c.id()),
            "CreateHealthCheck returned no health check",
        )?;
        change_tags(
            aws,
            TagResourceType::Healthcheck,
            &id,
            create_tags(aws, req),
            Vec::new(),
        )
        .await?;
        Ok(id)
    }

    /// UpdateHealthCheck with every argument as planned; those taken out
    /// are reset (ResetElements), as Terraform does.
    async fn update(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        let id = prior_id(prior)?;
        let settings = [
            "ip_address",
            "fqdn",
            "port",
            "failure_threshold",
            "enable_sni",
            "resource_path",
            "search_string",
            "invert_healthcheck",
            "disabled",
            "child_health_threshold",
            "child_healthchecks",
            "regions",
            "cloudwatch_alarm_name",
            "cloudwatch_alarm_region",
            "insufficient_data_health_status",
        ];
        if settings
            .iter()
            .any(|key| SCHEMA.argument_changed(key, prior, planned))
        {
            let taken_out = |key: &str| {
                planned.get(key).is_none_or(Value::is_null)
                    && prior.get(key).is_some_and(|v| !v.is_null())
            };
            let mut reset = Vec::new();
            for (key, element) in [
                ("fqdn", ResettableElementName::FullyQualifiedDomainName),
                ("regions", ResettableElementName::Regions),
                ("resource_path", ResettableElementName::ResourcePath),
                (
                    "child_healthchecks",
                    ResettableElementName::ChildHealthChecks,
                ),
            ] {
                if taken_out(key) {
                    reset.push(element);
                }
            }
            let update = aws.route53().update_health_check().health_check_id(id);
            with_settings!(update, planned)
                .set_reset_elements((!reset.is_empty()).then_some(reset))
                .send()
                .await
                .map_err(sdk_error)?;
        }
        update_tags(aws, TagResourceType::Healthcheck, id, prior, planned).await
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let id = prior_id(prior)?;
        ok_if_already_gone(
            aws.route53()
                .delete_health_check()
                .health_check_id(id)
                .send()
                .await,
        )
    }
}
