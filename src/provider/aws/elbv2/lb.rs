//! `aws_lb`: an application or network load balancer (ELBv2).
//!
//! The id is the ARN, as in Terraform. Idle timeout and deletion protection
//! are load balancer *attributes*, read and written with their own calls.
//! The scheme is always sent explicitly; one read back without a scheme is
//! internet-facing (AWS's default, which moto leaves out). `name_prefix`
//! exists only in state, so read leaves it out.
//!
//! **Batched read.** DescribeLoadBalancers fails as a whole when one ARN is
//! gone; `elbv2::describe_by_arns` then asks for each ARN of that call on
//! its own (see `batch::describe_skipping_missing` for why not "describe all
//! and filter").
//!
//! This file holds the schema and the ELBv2 calls for load balancers only;
//! tags and batched describes come from `elbv2` and `batch`.

use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{
    IpAddressType, LoadBalancer as AwsLoadBalancer, LoadBalancerAttribute, LoadBalancerSchemeEnum,
    LoadBalancerStateEnum, LoadBalancerTypeEnum,
};

use super::{
    describe_paginated_by_arns, name_for_create, owner_by_arn, read_described, tags_for_create,
    update_tags,
};
use crate::provider::aws::convert::{differs, prior_id, string_set};
use crate::provider::aws::names::arn_resource;
use crate::provider::aws::{
    AwsContext, Timeouts, id_from_answer, ok_if_already_gone, ok_if_not_found, sdk_error,
    wait_until,
};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{CreateRequest, ErrorKind, Found, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value};

pub struct LoadBalancer;

const DEFAULT_TIMEOUTS: Timeouts = Timeouts {
    create: Duration::from_secs(10 * 60),
    update: Duration::from_secs(10 * 60),
    delete: Duration::from_secs(10 * 60),
};

const IDLE_TIMEOUT: &str = "idle_timeout.timeout_seconds";
const DELETION_PROTECTION: &str = "deletion_protection.enabled";
/// AWS's idle timeout when none was set; moto leaves the attribute out.
const DEFAULT_IDLE_TIMEOUT: i64 = 60;

/// The kind of value an attribute holds (AWS keeps them all as text).
#[derive(Clone, Copy)]
enum Kind {
    Bool,
    Number,
    Text,
}

/// Arguments kept as application load balancer attributes: (argument,
/// attribute key, kind, Terraform's default: what AWS has when it was never
/// set).
const ALB_SETTINGS: &[(&str, &str, Kind, &str)] = &[
    (
        "drop_invalid_header_fields",
        "routing.http.drop_invalid_header_fields.enabled",
        Kind::Bool,
        "false",
    ),
    ("enable_http2", "routing.http2.enabled", Kind::Bool, "true"),
    (
        "desync_mitigation_mode",
        "routing.http.desync_mitigation_mode",
        Kind::Text,
        "defensive",
    ),
    (
        "preserve_host_header",
        "routing.http.preserve_host_header.enabled",
        Kind::Bool,
        "false",
    ),
    (
        "xff_header_processing_mode",
        "routing.http.xff_header_processing.mode",
        Kind::Text,
        "append",
    ),
    (
        "enable_waf_fail_open",
        "waf.fail_open.enabled",
        Kind::Bool,
        "false",
    ),
    (
        "client_keep_alive",
        "client_keep_alive.seconds",
        Kind::Number,
        "3600",
    ),
];

impl Kind {
    fn schema_type(self) -> Type {
        match self {
            Kind::Bool => Type::Bool,
            Kind::Number => Type::Number,
            Kind::Text => Type::String,
        }
    }

    /// AWS's text for a value of this kind.
    fn text(self, value: &Value) -> Option<String> {
        match (self, value) {
            (Kind::Number, Value::Number(n)) => Some(format!("{}", *n as i64)),
            _ => value.to_string_lossless(),
        }
    }

    /// The value of AWS's text.
    fn value(self, text: &str) -> Value {
        match self {
            Kind::Bool => Value::Bool(text == "true"),
            Kind::Number => text.parse::<f64>().map_or(Value::Null, Value::Number),
            Kind::Text => Value::string(text),
        }
    }
}

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let attributes = vec![
        Attribute::optional_computed("name", Type::String).force_new(),
        Attribute::optional("name_prefix", Type::String).force_new(),
        Attribute::optional("internal", Type::Bool)
            .default(false)
            .force_new(),
        Attribute::optional("load_balancer_type", Type::String)
            .default("application")
            .force_new(),
        Attribute::optional_computed("security_groups", Type::set_of(Type::String)),
        Attribute::optional_computed("subnets", Type::set_of(Type::String)),
        Attribute::optional_computed("ip_address_type", Type::String),
        Attribute::optional("idle_timeout", Type::Number).default(DEFAULT_IDLE_TIMEOUT),
        Attribute::optional("enable_deletion_protection", Type::Bool).default(false),
        Attribute::computed("arn", Type::String),
        Attribute::computed("arn_suffix", Type::String),
        Attribute::computed("dns_name", Type::String),
        Attribute::computed("zone_id", Type::String),
        Attribute::computed("vpc_id", Type::String),
    ];
    let settings = ALB_SETTINGS.iter().map(|(argument, _, kind, default)| {
        Attribute::optional(argument, kind.schema_type()).default(kind.value(default))
    });
    let attributes = attributes.into_iter().chain(settings).collect();
    Schema::with_tags(
        attributes,
        vec![Timeouts::block(&["create", "update", "delete"])],
    )
});

fn is_application(attrs: &Attrs) -> bool {
    attrs.str("load_balancer_type").unwrap_or("application") == "application"
}

/// The attributes a stack sets, as ELBv2 wants them. The idle timeout only
/// exists on application load balancers.
fn attributes_to_write(planned: &Attrs) -> Vec<LoadBalancerAttribute> {
    let mut out = vec![attribute(
        DELETION_PROTECTION,
        planned
            .bool("enable_deletion_protection")
            .unwrap_or(false)
            .to_string(),
    )];
    if is_application(planned) {
        let idle = planned.i64("idle_timeout").unwrap_or(DEFAULT_IDLE_TIMEOUT);
        out.push(attribute(IDLE_TIMEOUT, idle.to_string()));
        for (argument, key, kind, default) in ALB_SETTINGS {
            let text = planned
                .get(*argument)
                .and_then(|v| kind.text(v))
                .unwrap_or_else(|| default.to_string());
            out.push(attribute(key, text));
        }
    }
    out
}

fn attribute(key: &str, value: String) -> LoadBalancerAttribute {
    LoadBalancerAttribute::builder()
        .key(key)
        .value(value)
        .build()
}

async fn modify_attributes(
    aws: &AwsContext,
    arn: &str,
    planned: &Attrs,
) -> Result<(), ProviderError> {
    aws.elbv2()
        .modify_load_balancer_attributes()
        .load_balancer_arn(arn)
        .set_attributes(Some(attributes_to_write(planned)))
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(())
}

/// Describes load balancers by ARN; missing ARNs are left out.
async fn describe(
    aws: &AwsContext,
    arns: &[String],
) -> Result<Vec<AwsLoadBalancer>, ProviderError> {
    describe_paginated_by_arns!(
        arns,
        aws.elbv2().describe_load_balancers(),
        set_load_balancer_arns
    )
    .await
}

/// Waits until a load balancer has left `provisioning`.
async fn wait_active(aws: &AwsContext, arn: &str, timeout: Duration) -> Result<(), ProviderError> {
    let arns = [arn.to_string()];
    wait_until(
        &format!("load balancer {arn} to become active"),
        timeout,
        || async {
            let found = describe(aws, &arns).await?;
            let Some(lb) = found.first() else {
                return Err(ProviderError::new(
                    ErrorKind::NotFound,
                    format!("load balancer {arn} disappeared while provisioning"),
                ));
            };
            match lb.state().and_then(|s| s.code()) {
                Some(LoadBalancerStateEnum::Active) => Ok(Some(())),
                Some(LoadBalancerStateEnum::Failed) => Err(ProviderError::new(
                    ErrorKind::Other,
                    format!(
                        "load balancer {arn} failed to provision: {}",
                        lb.state()
                            .and_then(|s| s.reason())
                            .unwrap_or("no reason given")
                    ),
                )),
                _ => Ok(None),
            }
        },
    )
    .await
}

fn to_attrs(lb: &AwsLoadBalancer, attributes: &BTreeMap<String, String>, tags: Value) -> Attrs {
    let arn = lb.load_balancer_arn().unwrap_or_default();
    // A load balancer created without an explicit scheme is internet-facing
    // on AWS; moto then leaves the field out.
    let internal = lb.scheme() == Some(&LoadBalancerSchemeEnum::Internal);
    let idle_timeout = attributes
        .get(IDLE_TIMEOUT)
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(DEFAULT_IDLE_TIMEOUT);
    let mut out = Attrs::from([
        ("id".into(), Value::string(arn)),
        ("arn".into(), Value::string(arn)),
        (
            "arn_suffix".into(),
            Value::string(arn_resource(arn).trim_start_matches("loadbalancer/")),
        ),
        ("name".into(), lb.load_balancer_name().into()),
        ("internal".into(), Value::Bool(internal)),
        (
            "load_balancer_type".into(),
            lb.r#type().map(|t| t.as_str()).into(),
        ),
        (
            "security_groups".into(),
            string_set(lb.security_groups().iter().cloned()),
        ),
        (
            "subnets".into(),
            string_set(
                lb.availability_zones()
                    .iter()
                    .filter_map(|az| az.subnet_id())
                    .map(String::from),
            ),
        ),
        (
            "ip_address_type".into(),
            lb.ip_address_type().map(|t| t.as_str()).into(),
        ),
        ("idle_timeout".into(), Value::from(idle_timeout)),
        (
            "enable_deletion_protection".into(),
            Value::Bool(
                attributes
                    .get(DELETION_PROTECTION)
                    .is_some_and(|v| v == "true"),
            ),
        ),
        ("dns_name".into(), lb.dns_name().into()),
        ("zone_id".into(), lb.canonical_hosted_zone_id().into()),
        ("vpc_id".into(), lb.vpc_id().into()),
        ("tags_all".into(), tags),
    ]);
    for (argument, key, kind, default) in ALB_SETTINGS {
        let text = attributes.get(*key).map_or(*default, String::as_str);
        out.insert(argument.to_string(), kind.value(text));
    }
    out
}

#[async_trait]
impl ResourceType for LoadBalancer {
    fn type_name(&self) -> &'static str {
        "aws_lb"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    /// One DescribeLoadBalancers (per 20 ARNs) and one DescribeTags for all
    /// ids, then DescribeLoadBalancerAttributes per load balancer, which
    /// ELBv2 cannot batch.
    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let balancers = describe(aws, ids).await?;
        read_described(
            aws,
            balancers,
            AwsLoadBalancer::load_balancer_arn,
            |arn| async move {
                let out = aws
                    .elbv2()
                    .describe_load_balancer_attributes()
                    .load_balancer_arn(arn)
                    .send()
                    .await
                    .map_err(sdk_error)?;
                Ok(out
                    .attributes()
                    .iter()
                    .filter_map(|a| Some((a.key()?.to_string(), a.value()?.to_string())))
                    .collect::<BTreeMap<_, _>>())
            },
            |lb, attributes, tags| to_attrs(lb, &attributes, tags),
        )
        .await
    }

    async fn find_created(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<Found, ProviderError> {
        let name = name_for_create(req, "tf-lb-");
        let described = aws
            .elbv2()
            .describe_load_balancers()
            .names(name)
            .send()
            .await;
        let found = ok_if_not_found(described.map_err(sdk_error))?;
        let arn = found.as_ref().and_then(|out| out.load_balancers().first());
        owner_by_arn(aws, req, arn.and_then(AwsLoadBalancer::load_balancer_arn)).await
    }

    async fn create(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<String, ProviderError> {
        let planned = req.planned;
        let timeouts = Timeouts::from_attrs(planned, DEFAULT_TIMEOUTS);
        let name = name_for_create(req, "tf-lb-");
        let scheme = if planned.bool("internal").unwrap_or(false) {
            LoadBalancerSchemeEnum::Internal
        } else {
            LoadBalancerSchemeEnum::InternetFacing
        };
        let security_groups = planned.strings("security_groups");
        let out = aws
            .elbv2()
            .create_load_balancer()
            .name(name)
            .scheme(scheme)
            .r#type(LoadBalancerTypeEnum::from(
                planned.str("load_balancer_type").unwrap_or("application"),
            ))
            .set_subnets(Some(planned.strings("subnets")))
            .set_security_groups((!security_groups.is_empty()).then_some(security_groups))
            .set_ip_address_type(planned.str("ip_address_type").map(IpAddressType::from))
            .set_tags(Some(tags_for_create(aws, req)))
            .send()
            .await
            .map_err(sdk_error)?;
        let arn = id_from_answer(
            out.load_balancers()
                .first()
                .and_then(|lb| lb.load_balancer_arn()),
            "CreateLoadBalancer returned no ARN",
        )?;
        modify_attributes(aws, &arn, planned).await?;
        wait_active(aws, &arn, timeouts.create).await?;
        Ok(arn)
    }

    async fn update(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        let arn = prior_id(prior)?;
        let elbv2 = aws.elbv2();
        if differs(prior, planned, "security_groups") {
            elbv2
                .set_security_groups()
                .load_balancer_arn(arn)
                .set_security_groups(Some(planned.strings("security_groups")))
                .send()
                .await
                .map_err(sdk_error)?;
        }
        if differs(prior, planned, "subnets") {
            elbv2
                .set_subnets()
                .load_balancer_arn(arn)
                .set_subnets(Some(planned.strings("subnets")))
                .send()
                .await
                .map_err(sdk_error)?;
        }
        if let Some(ip_address_type) = planned
            .str("ip_address_type")
            .filter(|_| differs(prior, planned, "ip_address_type"))
        {
            elbv2
                .set_ip_address_type()
                .load_balancer_arn(arn)
                .ip_address_type(IpAddressType::from(ip_address_type))
                .send()
                .await
                .map_err(sdk_error)?;
        }
        if differs(prior, planned, "idle_timeout")
            || differs(prior, planned, "enable_deletion_protection")
            || ALB_SETTINGS
                .iter()
                .any(|(argument, ..)| differs(prior, planned, argument))
        {
            modify_attributes(aws, arn, planned).await?;
        }
        update_tags(aws, arn, prior, planned).await?;
        // Changing subnets puts the load balancer back into provisioning.
        wait_active(
            aws,
            arn,
            Timeouts::from_attrs(planned, DEFAULT_TIMEOUTS).update,
        )
        .await
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let arn = prior_id(prior)?.to_string();
        ok_if_already_gone(
            aws.elbv2()
                .delete_load_balancer()
                .load_balancer_arn(&arn)
                .send()
                .await,
        )?;
        let arns = [arn.clone()];
        let timeout = Timeouts::from_attrs(prior, DEFAULT_TIMEOUTS).delete;
        wait_until(
            &format!("load balancer {arn} to be deleted"),
            timeout,
            || async { Ok(describe(aws, &arns).await?.is_empty().then_some(())) },
        )
        .await
    }
}
