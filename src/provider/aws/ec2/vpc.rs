//! `aws_vpc`: a VPC, its DNS attributes and tags.
//!
//! Holds only the schema and the EC2 calls; the VPC's default security group,
//! main route table and default network ACL are reported, never managed here.
//! An Amazon-provided IPv6 block is asked for at create and associated or
//! disassociated in place. IPAM-allocated blocks are not supported yet.

use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    AttributeBooleanValue, ResourceType as Ec2ResourceType, Tenancy, Vpc, VpcAttributeName,
    VpcCidrBlockStateCode, VpcState,
};

use super::{describe_paginated, ec2_arn, filter, wait_for_object};
use crate::provider::aws::batch::fetch_each;
use crate::provider::aws::convert::{differs, keyed_by_id, prior_id, required_str};
use crate::provider::aws::{
    AwsContext, ec2_find_tagged, ec2_tag_specification, ec2_tags_to_value, ec2_update_tags,
    id_from_answer, ok_if_already_gone, sdk_error,
};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{CreateRequest, Found, ProviderError, ResourceType, written_ids};
use crate::value::{Attrs, AttrsExt, Value, attrs};

pub struct VpcType;

/// AWS's own defaults for a new (non-default) VPC; create only changes an
/// attribute when the plan differs from these.
const DEFAULT_DNS_SUPPORT: bool = true;
const DEFAULT_DNS_HOSTNAMES: bool = false;
const DEFAULT_USAGE_METRICS: bool = false;

const CREATE_TIMEOUT: Duration = Duration::from_secs(20 * 60);

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let attributes = vec![
        Attribute::required("cidr_block", Type::String).force_new(),
        Attribute::optional("instance_tenancy", Type::String)
            .default("default")
            .force_new(),
        Attribute::optional("enable_dns_support", Type::Bool).default(DEFAULT_DNS_SUPPORT),
        Attribute::optional("enable_dns_hostnames", Type::Bool).default(DEFAULT_DNS_HOSTNAMES),
        Attribute::optional_computed("enable_network_address_usage_metrics", Type::Bool),
        Attribute::optional("assign_generated_ipv6_cidr_block", Type::Bool).default(false),
        // Written only with an IPAM pool, which is not supported yet.
        Attribute::computed("ipv6_cidr_block", Type::String),
        Attribute::optional_computed("ipv6_cidr_block_network_border_group", Type::String),
        Attribute::computed("ipv6_association_id", Type::String),
        Attribute::computed("id", Type::String),
        Attribute::computed("arn", Type::String),
        Attribute::computed("owner_id", Type::String),
        Attribute::computed("default_security_group_id", Type::String),
        Attribute::computed("default_route_table_id", Type::String),
        Attribute::computed("main_route_table_id", Type::String),
        Attribute::computed("default_network_acl_id", Type::String),
        Attribute::computed("dhcp_options_id", Type::String),
    ];
    Schema::with_tags(attributes, vec![])
});

/// The attributes of one VPC DescribeVpcAttribute reports.
struct DnsAttributes {
    support: Option<bool>,
    hostnames: Option<bool>,
    usage_metrics: Option<bool>,
}

impl DnsAttributes {
    /// The settings that differ from AWS's defaults for a new VPC: what a
    /// create must write.
    fn not_defaults(&self) -> Vec<(VpcAttributeName, bool)> {
        [
            (
                VpcAttributeName::EnableDnsSupport,
                self.support,
                DEFAULT_DNS_SUPPORT,
            ),
            (
                VpcAttributeName::EnableDnsHostnames,
                self.hostnames,
                DEFAULT_DNS_HOSTNAMES,
            ),
            (
                VpcAttributeName::EnableNetworkAddressUsageMetrics,
                self.usage_metrics,
                DEFAULT_USAGE_METRICS,
            ),
        ]
        .into_iter()
        .filter_map(|(name, value, default)| value.filter(|v| *v != default).map(|v| (name, v)))
        .collect()
    }

    /// What a create with these planned values leaves the VPC with: the
    /// planned setting, or AWS's default where none is planned.
    fn written(planned: &Attrs) -> DnsAttributes {
        let setting = |name, default| Some(planned.bool(name).unwrap_or(default));
        DnsAttributes {
            support: setting("enable_dns_support", DEFAULT_DNS_SUPPORT),
            hostnames: setting("enable_dns_hostnames", DEFAULT_DNS_HOSTNAMES),
            usage_metrics: setting(
                "enable_network_address_usage_metrics",
                DEFAULT_USAGE_METRICS,
            ),
        }
    }
}

#[async_trait]
impl ResourceType for VpcType {
    fn type_name(&self) -> &'static str {
        "aws_vpc"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        read_vpcs(aws, ids, None).await
    }

    /// The DNS settings are taken as the create just wrote them (reading
    /// them costs three calls per VPC); the rest is read.
    async fn read_written(
        &self,
        aws: &AwsContext,
        written: &[(String, &Attrs)],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let ids = written_ids(written);
        let dns = written
            .iter()
            .map(|(id, planned)| (id.clone(), DnsAttributes::written(planned)))
            .collect();
        read_vpcs(aws, &ids, Some(dns)).await
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
            .create_vpc()
            .cidr_block(required_str(planned, "cidr_block")?)
            .instance_tenancy(Tenancy::from(
                planned.str("instance_tenancy").unwrap_or("default"),
            ))
            .set_amazon_provided_ipv6_cidr_block(
                planned
                    .bool("assign_generated_ipv6_cidr_block")
                    .filter(|assign| *assign),
            )
            .set_ipv6_cidr_block_network_border_group(
                planned
                    .str("ipv6_cidr_block_network_border_group")
                    .map(str::to_string),
            )
            .tag_specifications(ec2_tag_specification(aws, req, Ec2ResourceType::Vpc))
            .send()
            .await
            .map_err(sdk_error)?;
        let id = id_from_answer(
            created.vpc().and_then(Vpc::vpc_id),
            "CreateVpc returned no VPC id",
        )?;

        // What the read-back will take as written (`read_written`).
        let to_write = DnsAttributes::written(planned).not_defaults();
        // A VPC AWS answers as available needs no wait when no call names
        // it before the engine's read-back, which itself waits out a VPC
        // not listed yet. A setting to write first does.
        let available = created.vpc().and_then(Vpc::state) == Some(&VpcState::Available);
        if !available || !to_write.is_empty() {
            wait_for_object(
                &format!("VPC {id} to become available"),
                CREATE_TIMEOUT,
                || describe_vpcs(aws, std::slice::from_ref(&id)),
                |vpc: &Vpc| vpc.state() == Some(&VpcState::Available),
            )
            .await?;
        }
        for (name, value) in to_write {
            modify_dns_attribute(aws, &id, name, value).await?;
        }
        if planned.bool("assign_generated_ipv6_cidr_block") == Some(true) {
            wait_ipv6_associated(aws, &id).await?;
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
        // DNS support must be on before hostnames can be turned on, and
        // hostnames off before support can be turned off.
        let support = planned
            .bool("enable_dns_support")
            .unwrap_or(DEFAULT_DNS_SUPPORT);
        let hostnames = planned
            .bool("enable_dns_hostnames")
            .unwrap_or(DEFAULT_DNS_HOSTNAMES);
        let support_changed = prior.bool("enable_dns_support") != Some(support);
        let hostnames_changed = prior.bool("enable_dns_hostnames") != Some(hostnames);
        if support_changed && support {
            modify_dns_attribute(aws, id, VpcAttributeName::EnableDnsSupport, true).await?;
        }
        if hostnames_changed {
            modify_dns_attribute(aws, id, VpcAttributeName::EnableDnsHostnames, hostnames).await?;
        }
        if support_changed && !support {
            modify_dns_attribute(aws, id, VpcAttributeName::EnableDnsSupport, false).await?;
        }
        if let Some(metrics) = planned
            .bool("enable_network_address_usage_metrics")
            .filter(|_| differs(prior, planned, "enable_network_address_usage_metrics"))
        {
            modify_dns_attribute(
                aws,
                id,
                VpcAttributeName::EnableNetworkAddressUsageMetrics,
                metrics,
            )
            .await?;
        }
        if differs(prior, planned, "assign_generated_ipv6_cidr_block") {
            if let Some(association) = prior.str("ipv6_association_id") {
                aws.ec2()
                    .disassociate_vpc_cidr_block()
                    .association_id(association)
                    .send()
                    .await
                    .map_err(sdk_error)?;
            }
            if planned.bool("assign_generated_ipv6_cidr_block") == Some(true) {
                aws.ec2()
                    .associate_vpc_cidr_block()
                    .vpc_id(id)
                    .amazon_provided_ipv6_cidr_block(true)
                    .set_ipv6_cidr_block_network_border_group(
                        planned
                            .str("ipv6_cidr_block_network_border_group")
                            .map(str::to_string),
                    )
                    .send()
                    .await
                    .map_err(sdk_error)?;
                wait_ipv6_associated(aws, id).await?;
            }
        }
        ec2_update_tags(aws, id, prior, planned).await
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let id = prior_id(prior)?;
        ok_if_already_gone(aws.ec2().delete_vpc().vpc_id(id).send().await)
    }
}

/// The VPCs of `ids` that exist, with their DNS settings from `known_dns`
/// where given, else read (one call per VPC and setting).
async fn read_vpcs(
    aws: &AwsContext,
    ids: &[String],
    known_dns: Option<BTreeMap<String, DnsAttributes>>,
) -> Result<BTreeMap<String, Attrs>, ProviderError> {
    let vpcs = describe_vpcs(aws, ids).await?;
    let found: Vec<String> = vpcs
        .iter()
        .filter_map(|v| v.vpc_id().map(str::to_string))
        .collect();
    if found.is_empty() {
        return Ok(BTreeMap::new());
    }
    let dns = async {
        match known_dns {
            Some(known) => Ok(known),
            None => read_dns_attributes(aws, &found).await,
        }
    };
    // The VPC's default objects are found with one batched call each;
    // the DNS attributes need one call per VPC and attribute.
    let (dns, default_groups, main_route_tables, default_acls) = futures::try_join!(
        dns,
        default_security_groups(aws, &found),
        main_route_tables(aws, &found),
        default_network_acls(aws, &found),
    )?;

    // A VPC without DNS attributes was deleted between the describe and
    // the attribute reads.
    let still_there = vpcs
        .iter()
        .filter(|vpc| vpc.vpc_id().is_some_and(|id| dns.contains_key(id)));
    Ok(keyed_by_id(still_there, Vpc::vpc_id, |vpc, id| {
        let dns = &dns[id];
        let owner_id = vpc.owner_id().unwrap_or_default();
        let main_route_table = Value::from(main_route_tables.get(id).map(String::as_str));
        let ipv6 = vpc.ipv6_cidr_block_association_set().iter().find(|a| {
            a.ipv6_cidr_block_state().and_then(|s| s.state())
                == Some(&VpcCidrBlockStateCode::Associated)
        });
        attrs([
            ("id", Value::string(id)),
            (
                "enable_network_address_usage_metrics",
                dns.usage_metrics.into(),
            ),
            (
                "assign_generated_ipv6_cidr_block",
                Value::Bool(
                    ipv6.is_some_and(|a| a.ipv6_pool().is_none_or(|pool| pool == "Amazon")),
                ),
            ),
            (
                "ipv6_cidr_block",
                ipv6.and_then(|a| a.ipv6_cidr_block()).into(),
            ),
            (
                "ipv6_cidr_block_network_border_group",
                ipv6.and_then(|a| a.network_border_group()).into(),
            ),
            (
                "ipv6_association_id",
                ipv6.and_then(|a| a.association_id()).into(),
            ),
            (
                "arn",
                Value::string(ec2_arn(aws, owner_id, &format!("vpc/{id}"))),
            ),
            ("cidr_block", Value::from(vpc.cidr_block())),
            (
                "instance_tenancy",
                Value::from(vpc.instance_tenancy().map(Tenancy::as_str)),
            ),
            ("enable_dns_support", dns.support.into()),
            ("enable_dns_hostnames", dns.hostnames.into()),
            ("owner_id", Value::string(owner_id)),
            (
                "default_security_group_id",
                Value::from(default_groups.get(id).map(String::as_str)),
            ),
            ("default_route_table_id", main_route_table.clone()),
            ("main_route_table_id", main_route_table),
            (
                "default_network_acl_id",
                Value::from(default_acls.get(id).map(String::as_str)),
            ),
            ("dhcp_options_id", Value::from(vpc.dhcp_options_id())),
            ("tags_all", ec2_tags_to_value(vpc.tags())),
        ])
    }))
}

async fn describe_vpcs(aws: &AwsContext, ids: &[String]) -> Result<Vec<Vpc>, ProviderError> {
    describe_paginated!(ids, "vpc-id", aws.ec2().describe_vpcs()).await
}

/// Waits until the VPC's Amazon-provided IPv6 block is associated, so that
/// what reads it next (`cidrsubnet(aws_vpc.x.ipv6_cidr_block, ...)`) sees
/// it, as Terraform waits.
async fn wait_ipv6_associated(aws: &AwsContext, id: &str) -> Result<(), ProviderError> {
    let ids = [id.to_string()];
    wait_for_object(
        &format!("VPC {id}'s IPv6 block to be associated"),
        CREATE_TIMEOUT,
        || describe_vpcs(aws, &ids),
        |vpc: &Vpc| {
            vpc.ipv6_cidr_block_association_set().iter().any(|a| {
                a.ipv6_cidr_block_state().and_then(|s| s.state())
                    == Some(&VpcCidrBlockStateCode::Associated)
            })
        },
    )
    .await?;
    Ok(())
}

/// ModifyVpcAttribute takes exactly one attribute per call.
async fn modify_dns_attribute(
    aws: &AwsContext,
    id: &str,
    attribute: VpcAttributeName,
    value: bool,
) -> Result<(), ProviderError> {
    let value = AttributeBooleanValue::builder().value(value).build();
    let request = aws.ec2().modify_vpc_attribute().vpc_id(id);
    let request = match attribute {
        VpcAttributeName::EnableDnsSupport => request.enable_dns_support(value),
        VpcAttributeName::EnableNetworkAddressUsageMetrics => {
            request.enable_network_address_usage_metrics(value)
        }
        _ => request.enable_dns_hostnames(value),
    };
    request.send().await.map_err(sdk_error)?;
    Ok(())
}

/// Reads both DNS attributes of every VPC. AWS offers no batched form of
/// DescribeVpcAttribute (one VPC and one attribute per call), so the calls
/// run concurrently, a bounded number at a time. A VPC deleted since it was
/// described is left out.
async fn read_dns_attributes(
    aws: &AwsContext,
    ids: &[String],
) -> Result<BTreeMap<String, DnsAttributes>, ProviderError> {
    fetch_each(ids, |id| async move {
        let (support, hostnames, usage_metrics) = futures::try_join!(
            describe_dns_attribute(aws, &id, VpcAttributeName::EnableDnsSupport),
            describe_dns_attribute(aws, &id, VpcAttributeName::EnableDnsHostnames),
            describe_dns_attribute(aws, &id, VpcAttributeName::EnableNetworkAddressUsageMetrics),
        )?;
        Ok(Some(DnsAttributes {
            support,
            hostnames,
            usage_metrics,
        }))
    })
    .await
}

async fn describe_dns_attribute(
    aws: &AwsContext,
    id: &str,
    attribute: VpcAttributeName,
) -> Result<Option<bool>, ProviderError> {
    let answer = aws
        .ec2()
        .describe_vpc_attribute()
        .vpc_id(id)
        .attribute(attribute.clone())
        .send()
        .await
        .map_err(sdk_error)?;
    let value = match attribute {
        VpcAttributeName::EnableDnsSupport => answer.enable_dns_support(),
        VpcAttributeName::EnableNetworkAddressUsageMetrics => {
            answer.enable_network_address_usage_metrics()
        }
        _ => answer.enable_dns_hostnames(),
    };
    Ok(value.and_then(AttributeBooleanValue::value))
}

/// VPC id → its `default` security group, for all VPCs in one call.
async fn default_security_groups(
    aws: &AwsContext,
    vpc_ids: &[String],
) -> Result<BTreeMap<String, String>, ProviderError> {
    let groups = describe_paginated!(
        vpc_ids,
        "vpc-id",
        aws.ec2()
            .describe_security_groups()
            .filters(filter("group-name", ["default"]))
    )
    .await?;
    Ok(groups
        .iter()
        .filter_map(|g| Some((g.vpc_id()?.to_string(), g.group_id()?.to_string())))
        .collect())
}

/// VPC id → its main route table, for all VPCs in one call.
async fn main_route_tables(
    aws: &AwsContext,
    vpc_ids: &[String],
) -> Result<BTreeMap<String, String>, ProviderError> {
    let tables = describe_paginated!(
        vpc_ids,
        "vpc-id",
        aws.ec2()
            .describe_route_tables()
            .filters(filter("association.main", ["true"]))
    )
    .await?;
    Ok(tables
        .iter()
        .filter_map(|t| Some((t.vpc_id()?.to_string(), t.route_table_id()?.to_string())))
        .collect())
}

/// VPC id → its default network ACL, for all VPCs in one call.
async fn default_network_acls(
    aws: &AwsContext,
    vpc_ids: &[String],
) -> Result<BTreeMap<String, String>, ProviderError> {
    let acls = describe_paginated!(
        vpc_ids,
        "vpc-id",
        aws.ec2()
            .describe_network_acls()
            .filters(filter("default", ["true"]))
    )
    .await?;
    Ok(acls
        .iter()
        .filter_map(|a| Some((a.vpc_id()?.to_string(), a.network_acl_id()?.to_string())))
        .collect())
}
