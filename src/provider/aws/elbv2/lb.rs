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
    LoadBalancerStateEnum, LoadBalancerTypeEnum, SubnetMapping,
};

use super::attributes::{self, Kind, Setting};
use super::{
    describe_paginated_by_arns, name_for_create, owner_by_arn, read_described, tags_for_create,
    update_tags,
};
use crate::provider::aws::convert::{differs, nested, prior_id, string_set};
use crate::provider::aws::names::arn_resource;
use crate::provider::aws::{
    AwsContext, Timeouts, id_from_answer, ok_if_already_gone, ok_if_not_found, sdk_error,
    wait_until,
};
use crate::provider::schema::{Attribute, Block, Schema, Type};
use crate::provider::{CreateRequest, ErrorKind, Found, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value};

pub struct LoadBalancer;

const DEFAULT_TIMEOUTS: Timeouts = Timeouts {
    create: Duration::from_secs(10 * 60),
    update: Duration::from_secs(10 * 60),
    delete: Duration::from_secs(10 * 60),
};

/// Arguments kept as load balancer attributes. Those with a default are
/// Terraform's, what AWS has when it was never set; the others keep AWS's
/// value when left out.
const SETTINGS: &[Setting] = &[
    Setting::new(
        &["idle_timeout"],
        "idle_timeout.timeout_seconds",
        Kind::Number,
    )
    .default("60"),
    Setting::new(
        &["enable_deletion_protection"],
        "deletion_protection.enabled",
        Kind::Bool,
    )
    .default("false"),
    Setting::new(
        &["drop_invalid_header_fields"],
        "routing.http.drop_invalid_header_fields.enabled",
        Kind::Bool,
    )
    .default("false"),
    Setting::new(&["enable_http2"], "routing.http2.enabled", Kind::Bool).default("true"),
    Setting::new(
        &["desync_mitigation_mode"],
        "routing.http.desync_mitigation_mode",
        Kind::Text,
    )
    .default("defensive"),
    Setting::new(
        &["preserve_host_header"],
        "routing.http.preserve_host_header.enabled",
        Kind::Bool,
    )
    .default("false"),
    Setting::new(
        &["xff_header_processing_mode"],
        "routing.http.xff_header_processing.mode",
        Kind::Text,
    )
    .default("append"),
    Setting::new(
        &["enable_waf_fail_open"],
        "waf.fail_open.enabled",
        Kind::Bool,
    )
    .default("false"),
    Setting::new(
        &["client_keep_alive"],
        "client_keep_alive.seconds",
        Kind::Number,
    )
    .default("3600"),
    Setting::new(
        &["enable_tls_version_and_cipher_suite_headers"],
        "routing.http.x_amzn_tls_version_and_cipher_suite.enabled",
        Kind::Bool,
    )
    .default("false"),
    Setting::new(
        &["enable_xff_client_port"],
        "routing.http.xff_client_port.enabled",
        Kind::Bool,
    )
    .default("false"),
    Setting::new(
        &["enable_zonal_shift"],
        "zonal_shift.config.enabled",
        Kind::Bool,
    )
    .default("false"),
    // Always on for application load balancers, off by default for
    // network ones: AWS's value when left out.
    Setting::new(
        &["enable_cross_zone_load_balancing"],
        "load_balancing.cross_zone.enabled",
        Kind::Bool,
    ),
    Setting::new(
        &["dns_record_client_routing_policy"],
        "dns_record.client_routing_policy",
        Kind::Text,
    ),
    Setting::new(
        &["access_logs", "bucket"],
        "access_logs.s3.bucket",
        Kind::Text,
    )
    .off(""),
    Setting::new(
        &["access_logs", "enabled"],
        "access_logs.s3.enabled",
        Kind::Bool,
    )
    .default("false")
    .off("false"),
    Setting::new(
        &["access_logs", "prefix"],
        "access_logs.s3.prefix",
        Kind::Text,
    )
    .off(""),
    Setting::new(
        &["connection_logs", "bucket"],
        "connection_logs.s3.bucket",
        Kind::Text,
    )
    .off(""),
    Setting::new(
        &["connection_logs", "enabled"],
        "connection_logs.s3.enabled",
        Kind::Bool,
    )
    .default("false")
    .off("false"),
    Setting::new(
        &["connection_logs", "prefix"],
        "connection_logs.s3.prefix",
        Kind::Text,
    )
    .off(""),
];

/// A logs block (`access_logs {}`): the settings on its path, the bucket
/// required.
fn logs_block(name: &'static str) -> Block {
    let fields = SETTINGS
        .iter()
        .filter(|s| s.path[0] == name)
        .map(|s| {
            if s.path[1] == "bucket" {
                Attribute::required("bucket", Type::String)
            } else {
                s.attribute()
            }
        })
        .collect();
    Block::single(name, Schema::new(fields, vec![]))
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
        Attribute::computed("arn", Type::String),
        Attribute::computed("arn_suffix", Type::String),
        Attribute::computed("dns_name", Type::String),
        Attribute::computed("zone_id", Type::String),
        Attribute::computed("vpc_id", Type::String),
    ];
    let settings = SETTINGS
        .iter()
        .filter(|s| s.path.len() == 1)
        .map(Setting::attribute);
    let attributes = attributes.into_iter().chain(settings).collect();
    let subnet_mapping = Schema::new(
        vec![
            Attribute::required("subnet_id", Type::String),
            Attribute::optional("allocation_id", Type::String),
            Attribute::optional("ipv6_address", Type::String),
            Attribute::optional("private_ipv4_address", Type::String),
            Attribute::computed("outpost_id", Type::String),
        ],
        vec![],
    );
    Schema::with_tags(
        attributes,
        vec![
            logs_block("access_logs"),
            logs_block("connection_logs"),
            Block::set("subnet_mapping", subnet_mapping).computed_when_absent(),
            Timeouts::block(&["create", "update", "delete"]),
        ],
    )
});

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
            LoadBalancerAttribute::builder()
                .key(key)
                .value(value)
                .build()
        })
        .collect();
    aws.elbv2()
        .modify_load_balancer_attributes()
        .load_balancer_arn(arn)
        .set_attributes(Some(attributes))
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(())
}

/// `subnets` when the stack names subnets that way rather than by mapping.
fn subnets_arg(planned: &Attrs) -> Option<Vec<String>> {
    let subnets = planned.strings("subnets");
    (planned.blocks("subnet_mapping").is_empty() && !subnets.is_empty()).then_some(subnets)
}

/// The `subnet_mapping` blocks as ELBv2 takes them, if written.
fn mappings_arg(planned: &Attrs) -> Option<Vec<SubnetMapping>> {
    let mappings: Vec<SubnetMapping> = planned
        .blocks("subnet_mapping")
        .into_iter()
        .map(|m| {
            let text = |key: &str| m.str(key).map(str::to_string);
            SubnetMapping::builder()
                .set_subnet_id(text("subnet_id"))
                .set_allocation_id(text("allocation_id"))
                .set_ipv6_address(text("ipv6_address"))
                .set_private_ipv4_address(text("private_ipv4_address"))
                .build()
        })
        .collect();
    (!mappings.is_empty()).then_some(mappings)
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
        (
            "subnet_mapping".into(),
            Value::List(
                lb.availability_zones()
                    .iter()
                    .map(|az| {
                        let address = az.load_balancer_addresses().first();
                        Value::Map(
                            nested([
                                ("subnet_id", az.subnet_id().into()),
                                (
                                    "allocation_id",
                                    address.and_then(|a| a.allocation_id()).into(),
                                ),
                                (
                                    "private_ipv4_address",
                                    address.and_then(|a| a.private_ipv4_address()).into(),
                                ),
                                (
                                    "ipv6_address",
                                    address.and_then(|a| a.ipv6_address()).into(),
                                ),
                                ("outpost_id", az.outpost_id().into()),
                            ])
                            .into(),
                        )
                    })
                    .collect(),
            )
            .into_set(),
        ),
        ("dns_name".into(), lb.dns_name().into()),
        ("zone_id".into(), lb.canonical_hosted_zone_id().into()),
        ("vpc_id".into(), lb.vpc_id().into()),
        ("tags_all".into(), tags),
    ]);
    out.extend(attributes::read(SETTINGS, attributes));
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
            .set_subnets(subnets_arg(planned))
            .set_subnet_mappings(mappings_arg(planned))
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
        modify_attributes(aws, &arn, attributes::for_create(SETTINGS, planned)).await?;
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
        // Subnets written either way: as a list, or as mappings (with an
        // Elastic IP or private address each). The one the stack writes is
        // the one that changed; the other holds what AWS last reported.
        let subnets_changed = differs(prior, planned, "subnets");
        if subnets_changed || SCHEMA.argument_changed("subnet_mapping", prior, planned) {
            let (subnets, mappings) = if subnets_changed {
                (Some(planned.strings("subnets")), None)
            } else {
                (None, mappings_arg(planned))
            };
            elbv2
                .set_subnets()
                .load_balancer_arn(arn)
                .set_subnets(subnets)
                .set_subnet_mappings(mappings)
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
        let changed = attributes::for_update(SETTINGS, planned, |argument| {
            SCHEMA.argument_changed(argument, prior, planned)
        });
        modify_attributes(aws, arn, changed).await?;
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
