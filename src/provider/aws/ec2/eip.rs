//! `aws_eip`: an Elastic IP address allocation.
//!
//! Holds only the schema and the EC2 calls. The address is allocated (from
//! a pool, a border group or as a given BYOIP address, which force a new
//! allocation) and tagged; with `instance` or `network_interface` it is also
//! associated, and moved in place when either changes, as in Terraform.
//! Both are read back (optional and computed), so leaving them out keeps
//! whatever association the address has: association otherwise belongs to
//! whatever uses the address (a NAT gateway, `aws_eip_association`).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use async_trait::async_trait;
use aws_sdk_ec2::types::{Address, DomainType, ResourceType as Ec2ResourceType};

use super::describe_by_filter;
use crate::provider::aws::convert::{differs, keyed_by_id, prior_id};
use crate::provider::aws::regions::partition;
use crate::provider::aws::{
    AwsContext, Timeouts, ec2_find_tagged, ec2_tag_specification, ec2_tags_to_value,
    ec2_update_tags, id_from_answer, ok_if_already_gone, sdk_error,
};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{CreateRequest, Found, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value, attrs};

pub struct EipType;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let attributes = vec![
        Attribute::optional("domain", Type::String)
            .default("vpc")
            .force_new(),
        Attribute::optional("address", Type::String).force_new(),
        Attribute::optional("customer_owned_ipv4_pool", Type::String).force_new(),
        Attribute::optional_computed("ipam_pool_id", Type::String).force_new(),
        Attribute::optional_computed("network_border_group", Type::String).force_new(),
        Attribute::optional_computed("public_ipv4_pool", Type::String).force_new(),
        Attribute::optional_computed("instance", Type::String),
        Attribute::optional_computed("network_interface", Type::String),
        Attribute::optional("associate_with_private_ip", Type::String),
        Attribute::computed("id", Type::String),
        Attribute::computed("allocation_id", Type::String),
        Attribute::computed("public_ip", Type::String),
        Attribute::computed("public_dns", Type::String),
        Attribute::computed("private_ip", Type::String),
        Attribute::computed("private_dns", Type::String),
        Attribute::computed("association_id", Type::String),
        Attribute::computed("customer_owned_ip", Type::String),
    ];
    // The delete timeout bounds the engine's retries while the address is
    // still associated; terrane's updates and reads do not wait.
    Schema::with_tags(
        attributes,
        vec![Timeouts::block(&["read", "update", "delete"])],
    )
});

#[async_trait]
impl ResourceType for EipType {
    fn type_name(&self) -> &'static str {
        "aws_eip"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let addresses = describe_addresses(aws, "allocation-id", ids).await?;
        let region = aws.region().unwrap_or_default();
        Ok(keyed_by_id(
            &addresses,
            Address::allocation_id,
            |address, id| {
                attrs([
                    ("id", Value::string(id)),
                    ("allocation_id", Value::string(id)),
                    (
                        "domain",
                        Value::from(address.domain().map(DomainType::as_str)),
                    ),
                    ("public_ip", Value::from(address.public_ip())),
                    (
                        "public_dns",
                        Value::from(address.public_ip().map(|ip| public_dns_name(region, ip))),
                    ),
                    ("private_ip", Value::from(address.private_ip_address())),
                    (
                        "private_dns",
                        Value::from(
                            address
                                .private_ip_address()
                                .map(|ip| private_dns_name(region, ip)),
                        ),
                    ),
                    ("association_id", Value::from(address.association_id())),
                    (
                        "network_interface",
                        Value::from(address.network_interface_id()),
                    ),
                    ("public_ipv4_pool", Value::from(address.public_ipv4_pool())),
                    ("instance", Value::from(address.instance_id())),
                    (
                        "network_border_group",
                        Value::from(address.network_border_group()),
                    ),
                    (
                        "customer_owned_ipv4_pool",
                        Value::from(address.customer_owned_ipv4_pool()),
                    ),
                    (
                        "customer_owned_ip",
                        Value::from(address.customer_owned_ip()),
                    ),
                    ("tags_all", ec2_tags_to_value(address.tags())),
                ])
            },
        ))
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
        let text = |key: &str| planned.str(key).map(str::to_string);
        let allocated = aws
            .ec2()
            .allocate_address()
            .domain(DomainType::from(planned.str("domain").unwrap_or("vpc")))
            .set_address(text("address"))
            .set_public_ipv4_pool(text("public_ipv4_pool"))
            .set_customer_owned_ipv4_pool(text("customer_owned_ipv4_pool"))
            .set_network_border_group(text("network_border_group"))
            .set_ipam_pool_id(text("ipam_pool_id"))
            .tag_specifications(ec2_tag_specification(aws, req, Ec2ResourceType::ElasticIp))
            .send()
            .await
            .map_err(sdk_error)?;
        let id = id_from_answer(
            allocated.allocation_id(),
            "AllocateAddress returned no allocation id",
        )?;
        associate(aws, &id, planned).await?;
        Ok(id)
    }

    async fn update(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        let id = prior_id(prior)?;
        let target_changed = ["instance", "network_interface", "associate_with_private_ip"]
            .iter()
            .any(|key| differs(prior, planned, key));
        if target_changed {
            disassociate(aws, prior).await?;
            associate(aws, id, planned).await?;
        }
        ec2_update_tags(aws, id, prior, planned).await
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        // An associated address is let go of first, as Terraform does. A
        // NAT gateway's association is gone by now (the gateway, which
        // depends on the address, is deleted first), so that disassociate
        // finds nothing; a refusal is a conflict the engine retries.
        disassociate(aws, prior).await?;
        ok_if_already_gone(
            aws.ec2()
                .release_address()
                .allocation_id(prior_id(prior)?)
                .send()
                .await,
        )
    }
}

/// The addresses whose `filter_name` (`allocation-id`, `association-id`,
/// `public-ip`) is one of `values`. DescribeAddresses is not paginated: one
/// call answers for all of them.
pub(super) async fn describe_addresses(
    aws: &AwsContext,
    filter_name: &str,
    values: &[String],
) -> Result<Vec<Address>, ProviderError> {
    describe_by_filter(values, filter_name, |by_values| {
        let request = aws.ec2().describe_addresses().filters(by_values);
        async move { Ok(request.send().await?.addresses.unwrap_or_default()) }
    })
    .await
}

/// Associates the address with the planned instance, else the planned
/// interface, if any. AWS takes one of the two: an instance's interface,
/// which the read reports too, is not sent with it.
async fn associate(aws: &AwsContext, id: &str, planned: &Attrs) -> Result<(), ProviderError> {
    let instance = planned.str("instance");
    let interface = planned
        .str("network_interface")
        .filter(|_| instance.is_none());
    if instance.is_none() && interface.is_none() {
        return Ok(());
    }
    aws.ec2()
        .associate_address()
        .allocation_id(id)
        .set_instance_id(instance.map(str::to_string))
        .set_network_interface_id(interface.map(str::to_string))
        .set_private_ip_address(planned.str("associate_with_private_ip").map(str::to_string))
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(())
}

/// Ends the address's current association (state's `association_id`).
async fn disassociate(aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
    let Some(association) = prior.str("association_id") else {
        return Ok(());
    };
    ok_if_already_gone(
        aws.ec2()
            .disassociate_address()
            .association_id(association)
            .send()
            .await,
    )?;
    Ok(())
}

/// The public DNS name AWS gives an address, as Terraform reports it:
/// `ec2-203-0-113-25.compute-1.amazonaws.com` in us-east-1.
fn public_dns_name(region: &str, ip: &str) -> String {
    let suffix = if region == "us-east-1" {
        "compute-1".to_string()
    } else {
        format!("{region}.compute")
    };
    format!(
        "ec2-{}.{suffix}.{}",
        ip.replace('.', "-"),
        partition(region).dns_suffix
    )
}

/// The private DNS name: `ip-10-0-0-1.ec2.internal` in us-east-1.
fn private_dns_name(region: &str, ip: &str) -> String {
    let suffix = if region == "us-east-1" {
        "ec2.internal".to_string()
    } else {
        format!("{region}.compute.internal")
    };
    format!("ip-{}.{suffix}", ip.replace('.', "-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_names_follow_the_region() {
        assert_eq!(
            public_dns_name("us-east-1", "203.0.113.25"),
            "ec2-203-0-113-25.compute-1.amazonaws.com"
        );
        assert_eq!(
            public_dns_name("eu-west-1", "203.0.113.25"),
            "ec2-203-0-113-25.eu-west-1.compute.amazonaws.com"
        );
        assert_eq!(
            public_dns_name("cn-north-1", "203.0.113.25"),
            "ec2-203-0-113-25.cn-north-1.compute.amazonaws.com.cn"
        );
        assert_eq!(
            private_dns_name("us-east-1", "10.0.0.1"),
            "ip-10-0-0-1.ec2.internal"
        );
        assert_eq!(
            private_dns_name("eu-west-1", "10.0.0.1"),
            "ip-10-0-0-1.eu-west-1.compute.internal"
        );
    }
}
