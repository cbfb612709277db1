//! `aws_eip_association`: an Elastic IP address associated with an
//! instance or a network interface. Its id is the association id
//! (`eipassoc-…`), as Terraform's; every argument makes a new association.
//!
//! Holds only the schema and the EC2 calls. An association has no tags:
//! what an interrupted create made is the address already associated with
//! the planned instance or interface, and that is adopted.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use async_trait::async_trait;
use aws_sdk_ec2::types::Address;

use super::eip::describe_addresses;
use crate::provider::aws::convert::{keyed_by_id, prior_id};
use crate::provider::aws::{AwsContext, id_from_answer, ok_if_already_gone, sdk_error};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{CreateRequest, ErrorKind, Found, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value, attrs};

pub struct EipAssociationType;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        vec![
            Attribute::optional_computed("allocation_id", Type::String).force_new(),
            Attribute::optional_computed("public_ip", Type::String).force_new(),
            Attribute::optional_computed("instance_id", Type::String).force_new(),
            Attribute::optional_computed("network_interface_id", Type::String).force_new(),
            Attribute::optional_computed("private_ip_address", Type::String).force_new(),
            Attribute::optional("allow_reassociation", Type::Bool).force_new(),
            Attribute::computed("id", Type::String),
        ],
        vec![],
    )
});

fn read(address: &Address, id: &str) -> Attrs {
    attrs([
        ("id", Value::string(id)),
        ("allocation_id", Value::from(address.allocation_id())),
        ("public_ip", Value::from(address.public_ip())),
        ("instance_id", Value::from(address.instance_id())),
        (
            "network_interface_id",
            Value::from(address.network_interface_id()),
        ),
        (
            "private_ip_address",
            Value::from(address.private_ip_address()),
        ),
    ])
}

#[async_trait]
impl ResourceType for EipAssociationType {
    fn type_name(&self) -> &'static str {
        "aws_eip_association"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    /// One DescribeAddresses for all association ids.
    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let addresses = describe_addresses(aws, "association-id", ids).await?;
        Ok(keyed_by_id(&addresses, Address::association_id, read))
    }

    /// The planned address, if it is associated with the planned instance
    /// or interface already.
    async fn find_created(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<Found, ProviderError> {
        let planned = req.planned;
        let addresses = match (planned.str("allocation_id"), planned.str("public_ip")) {
            (Some(allocation), _) => {
                describe_addresses(aws, "allocation-id", &[allocation.to_string()]).await?
            }
            (None, Some(ip)) => describe_addresses(aws, "public-ip", &[ip.to_string()]).await?,
            (None, None) => return Ok(Found::Nothing),
        };
        let target_matches = |address: &&Address| match (
            planned.str("instance_id"),
            planned.str("network_interface_id"),
        ) {
            (Some(instance), _) => address.instance_id() == Some(instance),
            (None, Some(interface)) => address.network_interface_id() == Some(interface),
            (None, None) => false,
        };
        Ok(addresses
            .iter()
            .filter(target_matches)
            .find_map(|a| a.association_id())
            .map_or(Found::Nothing, |id| Found::Ours(id.to_string())))
    }

    async fn create(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<String, ProviderError> {
        let planned = req.planned;
        if planned.str("instance_id").is_none() && planned.str("network_interface_id").is_none() {
            return Err(ProviderError::new(
                ErrorKind::Validation,
                "one of instance_id and network_interface_id must be set",
            ));
        }
        let associated = aws
            .ec2()
            .associate_address()
            .set_allocation_id(planned.str("allocation_id").map(str::to_string))
            .set_public_ip(planned.str("public_ip").map(str::to_string))
            .set_instance_id(planned.str("instance_id").map(str::to_string))
            .set_network_interface_id(planned.str("network_interface_id").map(str::to_string))
            .set_private_ip_address(planned.str("private_ip_address").map(str::to_string))
            .set_allow_reassociation(planned.bool("allow_reassociation"))
            .send()
            .await
            .map_err(sdk_error)?;
        id_from_answer(
            associated.association_id(),
            "AssociateAddress returned no association id",
        )
    }

    async fn update(
        &self,
        _aws: &AwsContext,
        _prior: &Attrs,
        _planned: &Attrs,
    ) -> Result<(), ProviderError> {
        Ok(()) // every argument forces a new association
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let id = prior_id(prior)?;
        ok_if_already_gone(
            aws.ec2()
                .disassociate_address()
                .association_id(id)
                .send()
                .await,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_reads_as_its_association() {
        let address = Address::builder()
            .association_id("eipassoc-1")
            .allocation_id("eipalloc-1")
            .public_ip("203.0.113.7")
            .instance_id("i-1")
            .build();
        let attrs = read(&address, "eipassoc-1");
        assert_eq!(attrs.str("instance_id"), Some("i-1"));
        assert_eq!(attrs.get("network_interface_id"), Some(&Value::Null));
    }
}
