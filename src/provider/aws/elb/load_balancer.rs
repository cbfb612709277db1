//! `aws_elb`: a classic load balancer.
//!
//! The id is the name, as in Terraform. Listeners are a set: a changed one
//! is deleted by its port and made again. Cross-zone balancing, the idle
//! timeout, desync mitigation and access logs are load balancer
//! attributes, written together whenever one of them changes, as Terraform
//! writes them; connection draining's timeout can only be set while
//! draining is on, so a new timeout turns draining on for a moment first,
//! as Terraform does. AWS always has a health check; left out, it keeps
//! AWS's. Removing every subnet at once would need a new load balancer
//! (Terraform replaces it): that is refused with a hint to `--replace`.
//!
//! **Read.** DescribeLoadBalancers and DescribeTags per 20 names, then
//! DescribeLoadBalancerAttributes per load balancer (classic ELB cannot
//! batch it), and one DescribeSecurityGroups for every load balancer's
//! source security group, which ELB names but does not give the id of.
//!
//! Not done: Terraform deletes the network interfaces AWS leaves behind
//! after a delete; terrane leaves them to AWS, and the deletes of the
//! subnets and groups they hold retry until AWS has removed them.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use async_trait::async_trait;
use aws_sdk_ec2::types::Filter;
use aws_sdk_elasticloadbalancing::types::{
    AccessLog, AdditionalAttribute, ConnectionDraining, ConnectionSettings, CrossZoneLoadBalancing,
    HealthCheck, Instance, Listener, LoadBalancerAttributes, LoadBalancerDescription, Tag,
    TagKeyOnly,
};
use futures::TryFutureExt;

use crate::provider::aws::batch::{describe_skipping_missing, fetch_each};
use crate::provider::aws::convert::{
    block, differs, i32_arg, nested, optional_block, prior_id, set_changes, single, string_set,
    string_set_changes,
};
use crate::provider::aws::names::{prefix_from_name, unique_name};
use crate::provider::aws::regions::partition;
use crate::provider::aws::tags::{create_tags, owner_of_named, tags_to_value, update_tags_all};
use crate::provider::aws::{AwsContext, Timeouts, build_error, ok_if_not_found, sdk_error};
use crate::provider::schema::{Attribute, Block, Schema, Type};
use crate::provider::{CreateRequest, ErrorKind, Found, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value};

pub struct ClassicLoadBalancer;

/// The most names DescribeLoadBalancers and DescribeTags take in one call.
const NAMES_PER_CALL: usize = 20;

/// AWS's draining timeout for a load balancer that never set one.
const AWS_DRAINING_TIMEOUT: i32 = 300;

const DESYNC_MITIGATION_MODE: &str = "elb.http.desyncmitigationmode";

/// Listener protocols compare in any case; AWS answers them in capitals,
/// Terraform's state holds them in small letters.
fn lowercase(protocol: &str) -> String {
    protocol.to_ascii_lowercase()
}

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let listener = Schema::new(
        vec![
            Attribute::required("instance_port", Type::Number),
            Attribute::required("instance_protocol", Type::String).normalized_with(lowercase),
            Attribute::required("lb_port", Type::Number),
            Attribute::required("lb_protocol", Type::String).normalized_with(lowercase),
            Attribute::optional("ssl_certificate_id", Type::String),
        ],
        vec![],
    );
    let health_check = Schema::new(
        vec![
            Attribute::required("healthy_threshold", Type::Number),
            Attribute::required("interval", Type::Number),
            Attribute::required("target", Type::String),
            Attribute::required("timeout", Type::Number),
            Attribute::required("unhealthy_threshold", Type::Number),
        ],
        vec![],
    );
    let access_logs = Schema::new(
        vec![
            Attribute::required("bucket", Type::String),
            Attribute::optional("bucket_prefix", Type::String),
            Attribute::optional("enabled", Type::Bool).default(true),
            Attribute::optional("interval", Type::Number).default(60),
        ],
        vec![],
    );
    Schema::with_tags(
        vec![
            Attribute::optional_computed("name", Type::String).force_new(),
            Attribute::optional_computed("name_prefix", Type::String).force_new(),
            Attribute::optional_computed("internal", Type::Bool).force_new(),
            Attribute::optional_computed("availability_zones", Type::set_of(Type::String)),
            Attribute::optional_computed("subnets", Type::set_of(Type::String)),
            Attribute::optional_computed("security_groups", Type::set_of(Type::String)),
            Attribute::optional_computed("instances", Type::set_of(Type::String)),
            Attribute::optional("cross_zone_load_balancing", Type::Bool).default(true),
            Attribute::optional("idle_timeout", Type::Number).default(60),
            Attribute::optional("connection_draining", Type::Bool).default(false),
            Attribute::optional("connection_draining_timeout", Type::Number)
                .default(AWS_DRAINING_TIMEOUT),
            Attribute::optional("desync_mitigation_mode", Type::String).default("defensive"),
            // Terraform takes it as an argument but never sends it.
            Attribute::optional_computed("source_security_group", Type::String),
            Attribute::computed("source_security_group_id", Type::String),
            Attribute::computed("arn", Type::String),
            Attribute::computed("dns_name", Type::String),
            Attribute::computed("zone_id", Type::String),
        ],
        vec![
            Block::set("listener", listener).required(),
            Block::single("health_check", health_check).computed_when_absent(),
            Block::single("access_logs", access_logs),
            // Taken as Terraform takes it; ELB's calls take effect at once,
            // so nothing waits.
            Timeouts::block(&["create", "update"]),
        ],
    )
});

/// The name a create asks for: the written one, or the prefix (Terraform's
/// `tf-lb-` by default) plus a suffix from the create's token, within
/// ELB's 32 characters.
fn load_balancer_name(req: &CreateRequest<'_>) -> String {
    let planned = req.planned;
    unique_name(
        planned.str("name"),
        planned.str("name_prefix"),
        "tf-lb-",
        32,
        req.client_token,
    )
}

/// The `listener` blocks in canonical form, to compare as a set: unset
/// arguments (null in a plan, absent in what was read) left out.
fn listener_blocks(attrs: &Attrs) -> Vec<Attrs> {
    let schema = &SCHEMA.block("listener").expect("listener block").schema;
    attrs
        .blocks("listener")
        .into_iter()
        .map(|l| {
            schema
                .normalize(l)
                .into_iter()
                .filter(|(_, v)| !v.is_null())
                .collect()
        })
        .collect()
}

/// Listener blocks as ELB listeners.
fn listeners(blocks: &[Attrs]) -> Result<Vec<Listener>, ProviderError> {
    blocks
        .iter()
        .map(|l| {
            Listener::builder()
                .instance_port(i32_arg(l, "instance_port").unwrap_or_default())
                .instance_protocol(l.str("instance_protocol").unwrap_or_default())
                .load_balancer_port(i32_arg(l, "lb_port").unwrap_or_default())
                .protocol(l.str("lb_protocol").unwrap_or_default())
                .set_ssl_certificate_id(l.str("ssl_certificate_id").map(String::from))
                .build()
                .map_err(build_error)
        })
        .collect()
}

async fn modify_attributes(
    aws: &AwsContext,
    name: &str,
    attributes: LoadBalancerAttributes,
) -> Result<(), ProviderError> {
    aws.elb()
        .modify_load_balancer_attributes()
        .load_balancer_name(name)
        .load_balancer_attributes(attributes)
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(())
}

/// Writes the attributes, connection draining and health check where they
/// changed from `prior` (all of them on create: `prior` is `None`).
async fn write_settings(
    aws: &AwsContext,
    name: &str,
    prior: Option<&Attrs>,
    planned: &Attrs,
) -> Result<(), ProviderError> {
    let changed =
        |argument: &str| prior.is_none_or(|p| SCHEMA.argument_changed(argument, p, planned));
    let attributes = [
        "cross_zone_load_balancing",
        "idle_timeout",
        "access_logs",
        "desync_mitigation_mode",
    ];
    if attributes.iter().any(|a| changed(a)) {
        // Taking the block out turns logging off: AWS keeps no way to
        // remove it.
        let access_log = match single(planned, "access_logs") {
            Some(logs) => AccessLog::builder()
                .enabled(logs.bool("enabled").unwrap_or(true))
                .emit_interval(i32_arg(logs, "interval").unwrap_or(60))
                .s3_bucket_name(logs.str("bucket").unwrap_or_default())
                .s3_bucket_prefix(logs.str("bucket_prefix").unwrap_or_default())
                .build(),
            None => AccessLog::builder().enabled(false).build(),
        };
        let idle = ConnectionSettings::builder()
            .idle_timeout(i32_arg(planned, "idle_timeout").unwrap_or(60))
            .build()
            .map_err(build_error)?;
        let desync = AdditionalAttribute::builder()
            .key(DESYNC_MITIGATION_MODE)
            .value(planned.str("desync_mitigation_mode").unwrap_or("defensive"))
            .build();
        let cross_zone = CrossZoneLoadBalancing::builder()
            .enabled(planned.bool("cross_zone_load_balancing").unwrap_or(true))
            .build();
        let attributes = LoadBalancerAttributes::builder()
            .cross_zone_load_balancing(cross_zone)
            .connection_settings(idle)
            .additional_attributes(desync)
            .access_log(access_log)
            .build();
        modify_attributes(aws, name, attributes).await?;
    }

    let draining = planned.bool("connection_draining").unwrap_or(false);
    let timeout = i32_arg(planned, "connection_draining_timeout").unwrap_or(AWS_DRAINING_TIMEOUT);
    // A new load balancer has draining off with AWS's timeout: only what
    // differs from that is sent.
    let (timeout_changed, draining_changed) = match prior {
        Some(_) => (
            changed("connection_draining_timeout"),
            changed("connection_draining"),
        ),
        None => (timeout != AWS_DRAINING_TIMEOUT, draining),
    };
    if timeout_changed {
        let on = ConnectionDraining::builder()
            .enabled(true)
            .timeout(timeout)
            .build();
        let attributes = LoadBalancerAttributes::builder()
            .connection_draining(on)
            .build();
        modify_attributes(aws, name, attributes).await?;
    }
    // After a new timeout draining is on, and goes off again if it should.
    if timeout_changed || draining_changed {
        let setting = ConnectionDraining::builder()
            .enabled(draining)
            .timeout(timeout)
            .build();
        let attributes = LoadBalancerAttributes::builder()
            .connection_draining(setting)
            .build();
        modify_attributes(aws, name, attributes).await?;
    }

    if changed("health_check")
        && let Some(check) = single(planned, "health_check")
    {
        let number = |key: &str| i32_arg(check, key).unwrap_or_default();
        let health_check = HealthCheck::builder()
            .target(check.str("target").unwrap_or_default())
            .interval(number("interval"))
            .timeout(number("timeout"))
            .healthy_threshold(number("healthy_threshold"))
            .unhealthy_threshold(number("unhealthy_threshold"))
            .build()
            .map_err(build_error)?;
        aws.elb()
            .configure_health_check()
            .load_balancer_name(name)
            .health_check(health_check)
            .send()
            .await
            .map_err(sdk_error)?;
    }
    Ok(())
}

/// Registers the instances `planned` adds and deregisters those it drops.
async fn update_instances(
    aws: &AwsContext,
    name: &str,
    prior: &[String],
    planned: &[String],
) -> Result<(), ProviderError> {
    let (added, removed) = set_changes(prior, planned);
    let instances = |ids: Vec<String>| {
        ids.into_iter()
            .map(|id| Instance::builder().instance_id(id).build())
            .collect::<Vec<_>>()
    };
    if !added.is_empty() {
        aws.elb()
            .register_instances_with_load_balancer()
            .load_balancer_name(name)
            .set_instances(Some(instances(added)))
            .send()
            .await
            .map_err(sdk_error)?;
    }
    if !removed.is_empty() {
        aws.elb()
            .deregister_instances_from_load_balancer()
            .load_balancer_name(name)
            .set_instances(Some(instances(removed)))
            .send()
            .await
            .map_err(sdk_error)?;
    }
    Ok(())
}

/// Describes load balancers by name; missing names are left out.
async fn describe(
    aws: &AwsContext,
    names: &[String],
) -> Result<Vec<LoadBalancerDescription>, ProviderError> {
    describe_skipping_missing(names, NAMES_PER_CALL, |chunk| {
        aws.elb()
            .describe_load_balancers()
            .set_load_balancer_names(Some(chunk))
            .send()
            .map_ok(|out| out.load_balancer_descriptions.unwrap_or_default())
            .map_err(sdk_error)
    })
    .await
}

/// Each load balancer's tags, by name, terrane's own included.
async fn describe_tags(
    aws: &AwsContext,
    names: &[String],
) -> Result<BTreeMap<String, Vec<(String, String)>>, ProviderError> {
    let descriptions = describe_skipping_missing(names, NAMES_PER_CALL, |chunk| {
        aws.elb()
            .describe_tags()
            .set_load_balancer_names(Some(chunk))
            .send()
            .map_ok(|out| out.tag_descriptions.unwrap_or_default())
            .map_err(sdk_error)
    })
    .await?;
    Ok(descriptions
        .into_iter()
        .filter_map(|d| {
            let tags = d
                .tags()
                .iter()
                .map(|t| {
                    (
                        t.key().to_string(),
                        t.value().unwrap_or_default().to_string(),
                    )
                })
                .collect();
            Some((d.load_balancer_name?, tags))
        })
        .collect())
}

/// The id of each load balancer's source security group, keyed by (VPC,
/// group name), with one DescribeSecurityGroups for them all.
async fn source_group_ids(
    aws: &AwsContext,
    balancers: &[LoadBalancerDescription],
) -> Result<BTreeMap<(String, String), String>, ProviderError> {
    let mut vpcs = BTreeSet::new();
    let mut groups = BTreeSet::new();
    for lb in balancers {
        let group = lb.source_security_group().and_then(|g| g.group_name());
        if let (Some(vpc), Some(group)) = (lb.vpc_id(), group) {
            vpcs.insert(vpc.to_string());
            groups.insert(group.to_string());
        }
    }
    if vpcs.is_empty() {
        return Ok(BTreeMap::new());
    }
    let filter = |name: &str, values: BTreeSet<String>| {
        Filter::builder()
            .name(name)
            .set_values(Some(values.into_iter().collect()))
            .build()
    };
    let found: Vec<_> = aws
        .ec2()
        .describe_security_groups()
        .filters(filter("vpc-id", vpcs))
        .filters(filter("group-name", groups))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(sdk_error)?;
    Ok(found
        .into_iter()
        .filter_map(|g| {
            Some((
                (g.vpc_id?.to_string(), g.group_name?.to_string()),
                g.group_id?,
            ))
        })
        .collect())
}

/// `access_logs` while logging is on. Off, it is not reported, so state
/// keeps what the stack wrote (a block with `enabled = false`, or none):
/// AWS keeps the bucket of logging turned off, and Terraform likewise
/// reads the block only when it is on or written.
fn access_logs_value(log: Option<&AccessLog>) -> Option<Value> {
    let log = log.filter(|l| l.enabled())?;
    Some(block(nested([
        ("bucket", log.s3_bucket_name().into()),
        (
            "bucket_prefix",
            log.s3_bucket_prefix().filter(|p| !p.is_empty()).into(),
        ),
        ("enabled", Value::Bool(true)),
        ("interval", log.emit_interval().into()),
    ])))
}

fn to_attrs(
    lb: &LoadBalancerDescription,
    attributes: &LoadBalancerAttributes,
    arn: String,
    tags: Value,
    source_group_id: Option<&String>,
) -> Attrs {
    let name = lb.load_balancer_name().unwrap_or_default();
    let listeners = lb
        .listener_descriptions()
        .iter()
        .filter_map(|d| d.listener())
        .map(|l| {
            Value::Map(
                nested([
                    ("instance_port", l.instance_port().into()),
                    (
                        "instance_protocol",
                        l.instance_protocol().map(lowercase).into(),
                    ),
                    ("lb_port", l.load_balancer_port().into()),
                    ("lb_protocol", Value::string(lowercase(l.protocol()))),
                    ("ssl_certificate_id", l.ssl_certificate_id().into()),
                ])
                .into(),
            )
        })
        .collect();
    let health_check = lb
        .health_check()
        .filter(|h| !h.target().is_empty())
        .map(|h| {
            nested([
                ("target", Value::string(h.target())),
                ("interval", h.interval().into()),
                ("timeout", h.timeout().into()),
                ("healthy_threshold", h.healthy_threshold().into()),
                ("unhealthy_threshold", h.unhealthy_threshold().into()),
            ])
        });
    let source_group = lb.source_security_group().map(|g| {
        let group = g.group_name().unwrap_or_default();
        match g.owner_alias().filter(|o| !o.is_empty()) {
            Some(owner) => format!("{owner}/{group}"),
            None => group.to_string(),
        }
    });
    let draining = attributes.connection_draining();
    let desync = attributes
        .additional_attributes()
        .iter()
        .find(|a| a.key() == Some(DESYNC_MITIGATION_MODE))
        .and_then(|a| a.value());
    let mut attrs = Attrs::from([
        ("id".into(), Value::string(name)),
        ("arn".into(), Value::string(arn)),
        ("name".into(), Value::string(name)),
        ("name_prefix".into(), prefix_from_name(name)),
        (
            "internal".into(),
            Value::Bool(lb.scheme() == Some("internal")),
        ),
        (
            "availability_zones".into(),
            string_set(lb.availability_zones().iter().cloned()),
        ),
        ("subnets".into(), string_set(lb.subnets().iter().cloned())),
        (
            "security_groups".into(),
            string_set(lb.security_groups().iter().cloned()),
        ),
        (
            "instances".into(),
            string_set(lb.instances().iter().filter_map(|i| i.instance_id.clone())),
        ),
        ("listener".into(), Value::List(listeners).into_set()),
        ("health_check".into(), optional_block(health_check)),
        (
            "cross_zone_load_balancing".into(),
            attributes
                .cross_zone_load_balancing()
                .map(|c| c.enabled())
                .into(),
        ),
        (
            "idle_timeout".into(),
            attributes
                .connection_settings()
                .map(|c| c.idle_timeout())
                .into(),
        ),
        (
            "connection_draining".into(),
            draining.map(|d| d.enabled()).into(),
        ),
        (
            "connection_draining_timeout".into(),
            draining.and_then(|d| d.timeout()).into(),
        ),
        ("desync_mitigation_mode".into(), desync.into()),
        ("source_security_group".into(), source_group.into()),
        (
            "source_security_group_id".into(),
            source_group_id.cloned().into(),
        ),
        ("dns_name".into(), lb.dns_name().into()),
        ("zone_id".into(), lb.canonical_hosted_zone_name_id().into()),
        ("tags_all".into(), tags),
    ]);
    if let Some(logs) = access_logs_value(attributes.access_log()) {
        attrs.insert("access_logs".into(), logs);
    }
    attrs
}

#[async_trait]
impl ResourceType for ClassicLoadBalancer {
    fn type_name(&self) -> &'static str {
        "aws_elb"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let balancers = describe(aws, ids).await?;
        if balancers.is_empty() {
            return Ok(BTreeMap::new());
        }
        let names: Vec<String> = balancers
            .iter()
            .filter_map(|lb| lb.load_balancer_name().map(String::from))
            .collect();
        let mut tags = describe_tags(aws, &names).await?;
        let source_groups = source_group_ids(aws, &balancers).await?;
        let mut attributes = fetch_each(&names, |name| async move {
            let out = aws
                .elb()
                .describe_load_balancer_attributes()
                .load_balancer_name(name)
                .send()
                .await
                .map_err(sdk_error)?;
            Ok(out.load_balancer_attributes)
        })
        .await?;
        let arn_prefix = format!(
            "arn:{}:elasticloadbalancing:{}:{}:loadbalancer",
            partition(aws.region().unwrap_or_default()).name,
            aws.region().unwrap_or_default(),
            aws.account_id().await?,
        );
        let mut found = BTreeMap::new();
        for lb in &balancers {
            let Some(name) = lb.load_balancer_name() else {
                continue;
            };
            // Deleted between the calls.
            let Some(lb_attributes) = attributes.remove(name) else {
                continue;
            };
            let lb_tags = tags.remove(name).unwrap_or_default();
            let source_group = lb
                .vpc_id()
                .zip(lb.source_security_group().and_then(|g| g.group_name()));
            let source_group_id = source_group
                .and_then(|(vpc, group)| source_groups.get(&(vpc.to_string(), group.to_string())));
            found.insert(
                name.to_string(),
                to_attrs(
                    lb,
                    &lb_attributes,
                    format!("{arn_prefix}/{name}"),
                    tags_to_value(lb_tags),
                    source_group_id,
                ),
            );
        }
        Ok(found)
    }

    /// A load balancer by the name the create asked for is its own when
    /// terrane's tags say so.
    async fn find_created(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<Found, ProviderError> {
        let name = load_balancer_name(req);
        let names = [name.clone()];
        if describe(aws, &names).await?.is_empty() {
            return Ok(Found::Nothing);
        }
        let tags = ok_if_not_found(describe_tags(aws, &names).await)?.unwrap_or_default();
        let tags = tags.get(&name).cloned().unwrap_or_default();
        Ok(owner_of_named(aws, req, name, tags))
    }

    async fn create(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<String, ProviderError> {
        let planned = req.planned;
        // As Terraform checks it: a longer prefix leaves no room for the
        // whole suffix, and its name would not read back as made from it.
        if let Some(prefix) = planned.str("name_prefix").filter(|p| p.len() > 6) {
            return Err(ProviderError::new(
                ErrorKind::Validation,
                format!("name_prefix {prefix:?} is longer than 6 characters"),
            ));
        }
        let name = load_balancer_name(req);
        let tags = create_tags(aws, req)
            .into_iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build().map_err(build_error))
            .collect::<Result<Vec<_>, _>>()?;
        let set = |key: &str| {
            let items = planned.strings(key);
            (!items.is_empty()).then_some(items)
        };
        aws.elb()
            .create_load_balancer()
            .load_balancer_name(&name)
            .set_listeners(Some(listeners(&listener_blocks(planned))?))
            .set_availability_zones(set("availability_zones"))
            .set_subnets(set("subnets"))
            .set_security_groups(set("security_groups"))
            .set_scheme((planned.bool("internal") == Some(true)).then(|| "internal".to_string()))
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(sdk_error)?;
        update_instances(aws, &name, &[], &planned.strings("instances")).await?;
        write_settings(aws, &name, None, planned).await?;
        Ok(name)
    }

    async fn update(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        let name = prior_id(prior)?;
        let elb = aws.elb();
        // Refused before anything changes.
        let prior_subnets = prior.strings("subnets");
        let kept = planned.strings("subnets");
        if !prior_subnets.is_empty() && prior_subnets.iter().all(|s| !kept.contains(s)) {
            return Err(ProviderError::new(
                ErrorKind::Validation,
                format!(
                    "load balancer {name} cannot leave every subnet it is in at once; \
                     Terraform replaces it for this: run with --replace on its address, \
                     or keep one subnet for one apply"
                ),
            ));
        }
        if SCHEMA.argument_changed("listener", prior, planned) {
            let (added, removed) = set_changes(&listener_blocks(prior), &listener_blocks(planned));
            if !removed.is_empty() {
                let ports = removed.iter().filter_map(|l| i32_arg(l, "lb_port"));
                elb.delete_load_balancer_listeners()
                    .load_balancer_name(name)
                    .set_load_balancer_ports(Some(ports.collect()))
                    .send()
                    .await
                    .map_err(sdk_error)?;
            }
            if !added.is_empty() {
                elb.create_load_balancer_listeners()
                    .load_balancer_name(name)
                    .set_listeners(Some(listeners(&added)?))
                    .send()
                    .await
                    .map_err(sdk_error)?;
            }
        }
        if differs(prior, planned, "instances") {
            update_instances(
                aws,
                name,
                &prior.strings("instances"),
                &planned.strings("instances"),
            )
            .await?;
        }
        write_settings(aws, name, Some(prior), planned).await?;
        if differs(prior, planned, "security_groups") {
            elb.apply_security_groups_to_load_balancer()
                .load_balancer_name(name)
                .set_security_groups(Some(planned.strings("security_groups")))
                .send()
                .await
                .map_err(sdk_error)?;
        }
        if differs(prior, planned, "availability_zones") {
            let (added, removed) = string_set_changes(prior, planned, "availability_zones");
            if !added.is_empty() {
                elb.enable_availability_zones_for_load_balancer()
                    .load_balancer_name(name)
                    .set_availability_zones(Some(added))
                    .send()
                    .await
                    .map_err(sdk_error)?;
            }
            if !removed.is_empty() {
                elb.disable_availability_zones_for_load_balancer()
                    .load_balancer_name(name)
                    .set_availability_zones(Some(removed))
                    .send()
                    .await
                    .map_err(sdk_error)?;
            }
        }
        if differs(prior, planned, "subnets") {
            let (added, removed) = string_set_changes(prior, planned, "subnets");
            // Detached first: ELB holds one subnet per zone.
            if !removed.is_empty() {
                elb.detach_load_balancer_from_subnets()
                    .load_balancer_name(name)
                    .set_subnets(Some(removed))
                    .send()
                    .await
                    .map_err(sdk_error)?;
            }
            if !added.is_empty() {
                elb.attach_load_balancer_to_subnets()
                    .load_balancer_name(name)
                    .set_subnets(Some(added))
                    .send()
                    .await
                    .map_err(sdk_error)?;
            }
        }
        update_tags_all(
            prior,
            planned,
            |removed| {
                let keys = removed
                    .into_iter()
                    .map(|k| TagKeyOnly::builder().key(k).build())
                    .collect();
                elb.remove_tags()
                    .load_balancer_names(name)
                    .set_tags(Some(keys))
                    .send()
                    .map_err(sdk_error)
            },
            |changed| {
                let tags = changed
                    .into_iter()
                    .map(|(k, v)| Tag::builder().key(k).value(v).build())
                    .collect::<Result<Vec<_>, _>>();
                async move {
                    elb.add_tags()
                        .load_balancer_names(name)
                        .set_tags(Some(tags.map_err(build_error)?))
                        .send()
                        .await
                        .map_err(sdk_error)
                }
            },
        )
        .await
    }

    /// DeleteLoadBalancer succeeds for a name that is already gone.
    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let name = prior_id(prior)?;
        aws.elb()
            .delete_load_balancer()
            .load_balancer_name(name)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_changed_listener_is_made_again() {
        let listener = |port: i32, certificate: Option<Value>| {
            let mut attrs = Attrs::from([
                ("instance_port".to_string(), Value::from(8080)),
                ("instance_protocol".to_string(), Value::string("HTTP")),
                ("lb_port".to_string(), Value::from(port)),
                ("lb_protocol".to_string(), Value::string("http")),
            ]);
            if let Some(certificate) = certificate {
                attrs.insert("ssl_certificate_id".to_string(), certificate);
            }
            Value::Map(attrs.into())
        };
        // As read back: no certificate key. As planned: a null one.
        let read = Attrs::from([(
            "listener".to_string(),
            Value::List(vec![listener(80, None), listener(81, None)].into()),
        )]);
        let planned = Attrs::from([(
            "listener".to_string(),
            Value::List(
                vec![
                    listener(80, Some(Value::Null)),
                    listener(82, Some(Value::Null)),
                ]
                .into(),
            ),
        )]);
        let (added, removed) = set_changes(&listener_blocks(&read), &listener_blocks(&planned));
        let ports = |items: &[Attrs]| -> Vec<i64> {
            items.iter().filter_map(|l| l.i64("lb_port")).collect()
        };
        assert_eq!((ports(&added), ports(&removed)), (vec![82], vec![81]));
    }

    #[test]
    fn listeners_compare_in_any_case_of_protocol() {
        let written = |protocol: &str| {
            Attrs::from([(
                "listener".to_string(),
                Value::List(
                    vec![Value::Map(
                        Attrs::from([
                            ("instance_port".to_string(), Value::from(8080)),
                            ("instance_protocol".to_string(), Value::string(protocol)),
                            ("lb_port".to_string(), Value::from(80)),
                            ("lb_protocol".to_string(), Value::string(protocol)),
                        ])
                        .into(),
                    )]
                    .into(),
                ),
            )])
        };
        assert!(!SCHEMA.argument_changed("listener", &written("HTTP"), &written("http")));
        assert!(SCHEMA.argument_changed("listener", &written("http"), &written("tcp")));
    }
}
