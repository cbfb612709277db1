//! `aws_eip`: an Elastic IP address allocation.
//!
//! Holds only the schema and the EC2 calls. Associating the address (with a
//! NAT gateway, an instance, …) belongs to whatever uses it; this type only
//! allocates, tags and releases it, and reports the current association.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use async_trait::async_trait;
use aws_sdk_ec2::types::{Address, DomainType, ResourceType as Ec2ResourceType};

use super::describe_by_filter;
use crate::provider::aws::convert::{keyed_by_id, prior_id};
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
        Attribute::computed("id", Type::String),
        Attribute::computed("allocation_id", Type::String),
        Attribute::computed("public_ip", Type::String),
        Attribute::computed("public_dns", Type::String),
        Attribute::computed("private_ip", Type::String),
        Attribute::computed("private_dns", Type::String),
        Attribute::computed("association_id", Type::String),
        Attribute::computed("network_interface", Type::String),
        Attribute::computed("public_ipv4_pool", Type::String),
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
        // DescribeAddresses is not paginated: one call answers for all ids.
        let addresses: Vec<Address> = describe_by_filter(ids, "allocation-id", |by_id| {
            let request = aws.ec2().describe_addresses().filters(by_id);
            async move { Ok(request.send().await?.addresses.unwrap_or_default()) }
        })
        .await?;
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
        let allocated = aws
            .ec2()
            .allocate_address()
            .domain(DomainType::from(req.planned.str("domain").unwrap_or("vpc")))
            .tag_specifications(ec2_tag_specification(aws, req, Ec2ResourceType::ElasticIp))
            .send()
            .await
            .map_err(sdk_error)?;
        id_from_answer(
            allocated.allocation_id(),
            "AllocateAddress returned no allocation id",
        )
    }

    async fn update(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        ec2_update_tags(aws, prior_id(prior)?, prior, planned).await
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        // An address still associated (e.g. with a NAT gateway being deleted)
        // fails with a conflict the engine retries.
        ok_if_already_gone(
            aws.ec2()
                .release_address()
                .allocation_id(prior_id(prior)?)
                .send()
                .await,
        )
    }
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
