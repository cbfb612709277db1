//! `aws_subnet`: a subnet of a VPC in one availability zone.
//!
//! Holds only the schema and the EC2 calls; route table associations are
//! `aws_route_table_association`'s business, not this file's. Each launch
//! setting (public IPs, IPv6 addresses, DNS64, resource-name DNS records,
//! customer-owned IPs, the LNI device index) is one ModifySubnetAttribute,
//! which takes one attribute per call; the IPv6 block changes in place by
//! disassociating the old and associating the new.

use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    AttributeBooleanValue, HostnameType, ResourceType as Ec2ResourceType, Subnet,
    SubnetCidrBlockStateCode, SubnetState,
};

use super::{describe_paginated, ec2_arn, wait_for_object};
use crate::provider::aws::convert::{differs, i32_arg, keyed_by_id, prior_id, required_str};
use crate::provider::aws::{
    AwsContext, Timeouts, ec2_find_tagged, ec2_tag_specification, ec2_tags_to_value,
    ec2_update_tags, id_from_answer, ok_if_already_gone, sdk_error,
};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{CreateRequest, Found, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value, attrs};

pub struct SubnetType;

/// Terraform's defaults for a subnet; its delete timeout bounds the
/// engine's retries while the subnet is still in use.
const DEFAULT_TIMEOUTS: Timeouts = Timeouts::all(Duration::from_secs(10 * 60));

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let attributes = vec![
        Attribute::required("vpc_id", Type::String).force_new(),
        // Left out only by an IPv6-only (`ipv6_native`) subnet.
        Attribute::optional("cidr_block", Type::String).force_new(),
        Attribute::optional_computed("availability_zone", Type::String).force_new(),
        Attribute::optional_computed("availability_zone_id", Type::String).force_new(),
        Attribute::optional("map_public_ip_on_launch", Type::Bool).default(false),
        Attribute::optional("ipv6_cidr_block", Type::String),
        Attribute::optional("ipv6_native", Type::Bool)
            .default(false)
            .force_new(),
        Attribute::optional("assign_ipv6_address_on_creation", Type::Bool).default(false),
        Attribute::optional("enable_dns64", Type::Bool).default(false),
        Attribute::optional("enable_resource_name_dns_a_record_on_launch", Type::Bool)
            .default(false),
        Attribute::optional("enable_resource_name_dns_aaaa_record_on_launch", Type::Bool)
            .default(false),
        Attribute::optional_computed("private_dns_hostname_type_on_launch", Type::String),
        Attribute::optional("enable_lni_at_device_index", Type::Number),
        Attribute::optional("outpost_arn", Type::String).force_new(),
        Attribute::optional("map_customer_owned_ip_on_launch", Type::Bool).default(false),
        Attribute::optional("customer_owned_ipv4_pool", Type::String),
        Attribute::computed("ipv6_cidr_block_association_id", Type::String),
        Attribute::computed("id", Type::String),
        Attribute::computed("arn", Type::String),
        Attribute::computed("owner_id", Type::String),
    ];
    Schema::with_tags(attributes, vec![Timeouts::block(&["create", "delete"])])
});

#[async_trait]
impl ResourceType for SubnetType {
    fn type_name(&self) -> &'static str {
        "aws_subnet"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let subnets = describe_subnets(aws, ids).await?;
        Ok(keyed_by_id(&subnets, Subnet::subnet_id, |subnet, id| {
            let owner_id = subnet.owner_id().unwrap_or_default();
            let arn = subnet
                .subnet_arn()
                .map(str::to_string)
                .unwrap_or_else(|| ec2_arn(aws, owner_id, &format!("subnet/{id}")));
            // The block being or already associated; one on its way out
            // is not the subnet's. (The emulator garbles the state, so
            // anything but leaving counts.)
            let ipv6 = subnet.ipv6_cidr_block_association_set().iter().find(|a| {
                !matches!(
                    a.ipv6_cidr_block_state().and_then(|s| s.state()),
                    Some(
                        SubnetCidrBlockStateCode::Disassociating
                            | SubnetCidrBlockStateCode::Disassociated
                            | SubnetCidrBlockStateCode::Failing
                            | SubnetCidrBlockStateCode::Failed
                    )
                )
            });
            let dns = subnet.private_dns_name_options_on_launch();
            attrs([
                ("id", Value::string(id)),
                ("arn", Value::string(arn)),
                (
                    "ipv6_cidr_block",
                    ipv6.and_then(|a| a.ipv6_cidr_block()).into(),
                ),
                (
                    "ipv6_cidr_block_association_id",
                    ipv6.and_then(|a| a.association_id()).into(),
                ),
                (
                    "ipv6_native",
                    Value::Bool(subnet.ipv6_native().unwrap_or(false)),
                ),
                (
                    "assign_ipv6_address_on_creation",
                    Value::Bool(subnet.assign_ipv6_address_on_creation().unwrap_or(false)),
                ),
                (
                    "enable_dns64",
                    Value::Bool(subnet.enable_dns64().unwrap_or(false)),
                ),
                (
                    "enable_resource_name_dns_a_record_on_launch",
                    Value::Bool(
                        dns.and_then(|d| d.enable_resource_name_dns_a_record())
                            .unwrap_or(false),
                    ),
                ),
                (
                    "enable_resource_name_dns_aaaa_record_on_launch",
                    Value::Bool(
                        dns.and_then(|d| d.enable_resource_name_dns_aaaa_record())
                            .unwrap_or(false),
                    ),
                ),
                (
                    "private_dns_hostname_type_on_launch",
                    dns.and_then(|d| d.hostname_type())
                        .map(|h| h.as_str())
                        .into(),
                ),
                (
                    "enable_lni_at_device_index",
                    subnet
                        .enable_lni_at_device_index()
                        .filter(|i| *i > 0)
                        .into(),
                ),
                ("outpost_arn", subnet.outpost_arn().into()),
                (
                    "map_customer_owned_ip_on_launch",
                    Value::Bool(subnet.map_customer_owned_ip_on_launch().unwrap_or(false)),
                ),
                (
                    "customer_owned_ipv4_pool",
                    subnet.customer_owned_ipv4_pool().into(),
                ),
                ("vpc_id", Value::from(subnet.vpc_id())),
                ("cidr_block", Value::from(subnet.cidr_block())),
                ("availability_zone", Value::from(subnet.availability_zone())),
                (
                    "availability_zone_id",
                    Value::from(subnet.availability_zone_id()),
                ),
                (
                    "map_public_ip_on_launch",
                    Value::Bool(subnet.map_public_ip_on_launch().unwrap_or(false)),
                ),
                ("owner_id", Value::string(owner_id)),
                ("tags_all", ec2_tags_to_value(subnet.tags())),
            ])
        }))
    }

    async fn find_created(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<Found, ProviderError> {
        ec2_find_tagged(aws, req).await
    }

    async fn create(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<String, ProviderError> {
        let planned = req.planned;
        let created = aws
            .ec2()
            .create_subnet()
            .vpc_id(required_str(planned, "vpc_id")?)
            .set_cidr_block(planned.str("cidr_block").map(str::to_string))
            .set_ipv6_cidr_block(planned.str("ipv6_cidr_block").map(str::to_string))
            .set_ipv6_native(planned.bool("ipv6_native").filter(|native| *native))
            .set_outpost_arn(planned.str("outpost_arn").map(str::to_string))
            .set_availability_zone(planned.str("availability_zone").map(str::to_string))
            // AWS takes one of the two: the name when written.
            .set_availability_zone_id(
                planned
                    .str("availability_zone_id")
                    .filter(|_| planned.str("availability_zone").is_none())
                    .map(str::to_string),
            )
            .tag_specifications(ec2_tag_specification(aws, req, Ec2ResourceType::Subnet))
            .send()
            .await
            .map_err(sdk_error)?;
        let id = id_from_answer(
            created.subnet().and_then(Subnet::subnet_id),
            "CreateSubnet returned no subnet id",
        )?;

        let settings: Vec<&LaunchSetting> = LAUNCH_SETTINGS
            .iter()
            .filter(|setting| setting.written(planned))
            .collect();
        // A subnet AWS answers as available needs no wait when no call
        // names it before the engine's read-back, which itself waits out
        // a subnet not listed yet. A setting to write first does.
        let available = created.subnet().and_then(Subnet::state) == Some(&SubnetState::Available);
        if !available || !settings.is_empty() {
            wait_for_object(
                &format!("subnet {id} to become available"),
                Timeouts::from_attrs(planned, DEFAULT_TIMEOUTS).create,
                || describe_subnets(aws, std::slice::from_ref(&id)),
                |subnet: &Subnet| subnet.state() == Some(&SubnetState::Available),
            )
            .await?;
        }
        for setting in settings {
            setting.apply(aws, &id, planned).await?;
        }
        Ok(id)
    }

    async fn update(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        let id = prior_id(prior)?;
        if differs(prior, planned, "ipv6_cidr_block") {
            replace_ipv6_block(aws, id, prior, planned).await?;
        }
        for setting in LAUNCH_SETTINGS {
            if setting
                .arguments()
                .iter()
                .any(|key| differs(prior, planned, key))
            {
                setting.apply(aws, id, planned).await?;
            }
        }
        ec2_update_tags(aws, id, prior, planned).await
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let id = prior_id(prior)?;
        ok_if_already_gone(aws.ec2().delete_subnet().subnet_id(id).send().await)
    }
}

async fn describe_subnets(aws: &AwsContext, ids: &[String]) -> Result<Vec<Subnet>, ProviderError> {
    describe_paginated!(ids, "subnet-id", aws.ec2().describe_subnets()).await
}

/// A launch setting ModifySubnetAttribute changes, one per call.
#[derive(Clone, Copy)]
enum LaunchSetting {
    /// A boolean argument and its attribute's setter.
    Flag(
        &'static str,
        fn(
            aws_sdk_ec2::operation::modify_subnet_attribute::builders::ModifySubnetAttributeFluentBuilder,
            AttributeBooleanValue,
        ) -> aws_sdk_ec2::operation::modify_subnet_attribute::builders::ModifySubnetAttributeFluentBuilder,
    ),
    HostnameType,
    LniDeviceIndex,
    /// `map_customer_owned_ip_on_launch` with its pool, which AWS wants
    /// together.
    CustomerOwnedIp,
}

const LAUNCH_SETTINGS: &[LaunchSetting] = &[
    LaunchSetting::Flag("map_public_ip_on_launch", |b, v| {
        b.map_public_ip_on_launch(v)
    }),
    LaunchSetting::Flag("assign_ipv6_address_on_creation", |b, v| {
        b.assign_ipv6_address_on_creation(v)
    }),
    LaunchSetting::Flag("enable_dns64", |b, v| b.enable_dns64(v)),
    LaunchSetting::Flag("enable_resource_name_dns_a_record_on_launch", |b, v| {
        b.enable_resource_name_dns_a_record_on_launch(v)
    }),
    LaunchSetting::Flag("enable_resource_name_dns_aaaa_record_on_launch", |b, v| {
        b.enable_resource_name_dns_aaaa_record_on_launch(v)
    }),
    LaunchSetting::HostnameType,
    LaunchSetting::LniDeviceIndex,
    LaunchSetting::CustomerOwnedIp,
];

impl LaunchSetting {
    /// The arguments the call sets.
    fn arguments(self) -> Vec<&'static str> {
        match self {
            LaunchSetting::Flag(name, _) => vec![name],
            LaunchSetting::HostnameType => vec!["private_dns_hostname_type_on_launch"],
            LaunchSetting::LniDeviceIndex => vec!["enable_lni_at_device_index"],
            LaunchSetting::CustomerOwnedIp => {
                vec![
                    "map_customer_owned_ip_on_launch",
                    "customer_owned_ipv4_pool",
                ]
            }
        }
    }

    /// Whether a new subnet needs the call: the argument is written and
    /// not AWS's default.
    fn written(self, planned: &Attrs) -> bool {
        match self {
            LaunchSetting::Flag(name, _) => planned.bool(name) == Some(true),
            LaunchSetting::HostnameType => {
                planned.str("private_dns_hostname_type_on_launch").is_some()
            }
            LaunchSetting::LniDeviceIndex => planned.i64("enable_lni_at_device_index").is_some(),
            LaunchSetting::CustomerOwnedIp => {
                planned.bool("map_customer_owned_ip_on_launch") == Some(true)
            }
        }
    }

    async fn apply(self, aws: &AwsContext, id: &str, planned: &Attrs) -> Result<(), ProviderError> {
        let call = aws.ec2().modify_subnet_attribute().subnet_id(id);
        let flag = |name: &str| {
            AttributeBooleanValue::builder()
                .value(planned.bool(name).unwrap_or(false))
                .build()
        };
        let call = match self {
            LaunchSetting::Flag(name, set) => set(call, flag(name)),
            LaunchSetting::HostnameType => match planned.str("private_dns_hostname_type_on_launch")
            {
                Some(kind) => call.private_dns_hostname_type_on_launch(HostnameType::from(kind)),
                None => return Ok(()),
            },
            LaunchSetting::LniDeviceIndex => match i32_arg(planned, "enable_lni_at_device_index") {
                Some(index) => call.enable_lni_at_device_index(index),
                None => call.disable_lni_at_device_index(
                    AttributeBooleanValue::builder().value(true).build(),
                ),
            },
            LaunchSetting::CustomerOwnedIp => call
                .map_customer_owned_ip_on_launch(flag("map_customer_owned_ip_on_launch"))
                .set_customer_owned_ipv4_pool(
                    planned.str("customer_owned_ipv4_pool").map(str::to_string),
                ),
        };
        call.send().await.map_err(sdk_error)?;
        Ok(())
    }
}

/// Moves the subnet to the planned IPv6 block: the old one disassociated
/// (and gone) first, since a subnet holds one.
async fn replace_ipv6_block(
    aws: &AwsContext,
    id: &str,
    prior: &Attrs,
    planned: &Attrs,
) -> Result<(), ProviderError> {
    if let Some(association) = prior.str("ipv6_cidr_block_association_id") {
        aws.ec2()
            .disassociate_subnet_cidr_block()
            .association_id(association)
            .send()
            .await
            .map_err(sdk_error)?;
    }
    if let Some(block) = planned.str("ipv6_cidr_block") {
        aws.ec2()
            .associate_subnet_cidr_block()
            .subnet_id(id)
            .ipv6_cidr_block(block)
            .send()
            .await
            .map_err(sdk_error)?;
    }
    Ok(())
}
