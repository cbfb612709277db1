//! `aws_nat_gateway`: a NAT gateway in a subnet, public (with an Elastic IP)
//! or private.
//!
//! Holds only the schema and the EC2 calls. Creation and deletion are
//! asynchronous in AWS (a minute or two), so both wait, within the
//! `timeouts {}` block's limits. Routes to the gateway are not managed here.

use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    ConnectivityType, NatGateway, NatGatewayAddress, NatGatewayState,
    ResourceType as Ec2ResourceType,
};

use super::describe_paginated;
use crate::provider::aws::convert::{keyed_by_id, prior_id, required_str};
use crate::provider::aws::{
    AwsContext, Timeouts, ec2_find_tagged, ec2_tag_specification, ec2_tags_to_value,
    ec2_update_tags, id_from_answer, ok_if_already_gone, sdk_error, wait_until,
};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{CreateRequest, ErrorKind, Found, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value, attrs};

pub struct NatGatewayType;

const DEFAULT_TIMEOUTS: Timeouts = Timeouts {
    create: Duration::from_secs(10 * 60),
    update: Duration::from_secs(10 * 60),
    delete: Duration::from_secs(30 * 60),
};

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let attributes = vec![
        Attribute::optional("allocation_id", Type::String).force_new(),
        Attribute::required("subnet_id", Type::String).force_new(),
        Attribute::optional("connectivity_type", Type::String)
            .default("public")
            .force_new(),
        Attribute::computed("id", Type::String),
        Attribute::computed("network_interface_id", Type::String),
        Attribute::computed("private_ip", Type::String),
        Attribute::computed("public_ip", Type::String),
    ];
    Schema::with_tags(
        attributes,
        vec![Timeouts::block(&["create", "update", "delete"])],
    )
});

#[async_trait]
impl ResourceType for NatGatewayType {
    fn type_name(&self) -> &'static str {
        "aws_nat_gateway"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let gateways = describe_nat_gateways(aws, ids).await?;
        // A deleted gateway stays visible in Describe for about an hour.
        let live = gateways
            .iter()
            .filter(|gateway| gateway.state() != Some(&NatGatewayState::Deleted));
        Ok(keyed_by_id(
            live,
            NatGateway::nat_gateway_id,
            |gateway, id| {
                let address = primary_address(gateway);
                attrs([
                    ("id", Value::string(id)),
                    (
                        "allocation_id",
                        Value::from(address.and_then(NatGatewayAddress::allocation_id)),
                    ),
                    ("subnet_id", Value::from(gateway.subnet_id())),
                    (
                        "connectivity_type",
                        Value::from(gateway.connectivity_type().map(ConnectivityType::as_str)),
                    ),
                    (
                        "network_interface_id",
                        Value::from(address.and_then(NatGatewayAddress::network_interface_id)),
                    ),
                    (
                        "private_ip",
                        Value::from(address.and_then(NatGatewayAddress::private_ip)),
                    ),
                    (
                        "public_ip",
                        Value::from(address.and_then(NatGatewayAddress::public_ip)),
                    ),
                    ("tags_all", ec2_tags_to_value(gateway.tags())),
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
        let timeouts = Timeouts::from_attrs(planned, DEFAULT_TIMEOUTS);
        let created = aws
            .ec2()
            .create_nat_gateway()
            .subnet_id(required_str(planned, "subnet_id")?)
            .set_allocation_id(planned.str("allocation_id").map(str::to_string))
            .connectivity_type(ConnectivityType::from(
                planned.str("connectivity_type").unwrap_or("public"),
            ))
            .client_token(req.client_token)
            .tag_specifications(ec2_tag_specification(aws, req, Ec2ResourceType::Natgateway))
            .send()
            .await
            .map_err(sdk_error)?;
        let id = id_from_answer(
            created.nat_gateway().and_then(NatGateway::nat_gateway_id),
            "CreateNatGateway returned no gateway id",
        )?;

        wait_until(
            &format!("NAT gateway {id} to become available"),
            timeouts.create,
            || async {
                let gateways = describe_nat_gateways(aws, std::slice::from_ref(&id)).await?;
                let Some(gateway) = gateways.first() else {
                    return Ok(None);
                };
                match gateway.state() {
                    Some(NatGatewayState::Available) => Ok(Some(())),
                    Some(NatGatewayState::Failed) => Err(creation_failed(&id, gateway)),
                    _ => Ok(None),
                }
            },
        )
        .await?;
        Ok(id)
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
        let id = prior_id(prior)?;
        let timeouts = Timeouts::from_attrs(prior, DEFAULT_TIMEOUTS);
        ok_if_already_gone(
            aws.ec2()
                .delete_nat_gateway()
                .nat_gateway_id(id)
                .send()
                .await,
        )?;
        // The gateway's network interface and address are only released once
        // it reaches `deleted`; the subnet and the EIP can't go before that.
        wait_until(
            &format!("NAT gateway {id} to be deleted"),
            timeouts.delete,
            || async {
                let gateways = describe_nat_gateways(aws, &[id.to_string()]).await?;
                let gone = gateways
                    .first()
                    .is_none_or(|g| g.state() == Some(&NatGatewayState::Deleted));
                Ok(gone.then_some(()))
            },
        )
        .await
    }
}

async fn describe_nat_gateways(
    aws: &AwsContext,
    ids: &[String],
) -> Result<Vec<NatGateway>, ProviderError> {
    describe_paginated!(
        ids,
        "nat-gateway-id",
        aws.ec2().describe_nat_gateways(),
        filter
    )
    .await
}

/// The gateway's primary address; secondary addresses are not managed.
fn primary_address(gateway: &NatGateway) -> Option<&NatGatewayAddress> {
    let addresses = gateway.nat_gateway_addresses();
    addresses
        .iter()
        .find(|a| a.is_primary() == Some(true))
        .or_else(|| addresses.first())
}

/// A gateway that ended in `failed` (e.g. the EIP was already in use): the
/// error carries AWS's own reason.
fn creation_failed(id: &str, gateway: &NatGateway) -> ProviderError {
    ProviderError {
        kind: ErrorKind::Other,
        code: gateway.failure_code().map(str::to_string),
        message: format!(
            "NAT gateway {id} failed to become available: {}",
            gateway.failure_message().unwrap_or("AWS gave no reason")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_gateway_reports_aws_reason() {
        let gateway = NatGateway::builder()
            .state(NatGatewayState::Failed)
            .failure_code("Gateway.NotAttached")
            .failure_message("Network vpc-1 has no Internet gateway attached")
            .build();
        let err = creation_failed("nat-1", &gateway);
        assert_eq!(err.code.as_deref(), Some("Gateway.NotAttached"));
        assert!(err.message.contains("nat-1"), "{}", err.message);
        assert!(
            err.message.contains("has no Internet gateway attached"),
            "{}",
            err.message
        );
    }
}
