//! `aws_subnet`: a subnet of a VPC in one availability zone.
//!
//! Holds only the schema and the EC2 calls; route table associations are
//! `aws_route_table_association`'s business, not this file's.

use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    AttributeBooleanValue, ResourceType as Ec2ResourceType, Subnet, SubnetState,
};

use super::{describe_paginated, ec2_arn, wait_for_object};
use crate::provider::aws::convert::{keyed_by_id, prior_id, required_str};
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
        Attribute::required("cidr_block", Type::String).force_new(),
        Attribute::optional_computed("availability_zone", Type::String).force_new(),
        Attribute::optional("map_public_ip_on_launch", Type::Bool).default(false),
        Attribute::computed("id", Type::String),
        Attribute::computed("availability_zone_id", Type::String),
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
            attrs([
                ("id", Value::string(id)),
                ("arn", Value::string(arn)),
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
            .cidr_block(required_str(planned, "cidr_block")?)
            .set_availability_zone(planned.str("availability_zone").map(str::to_string))
            .tag_specifications(ec2_tag_specification(aws, req, Ec2ResourceType::Subnet))
            .send()
            .await
            .map_err(sdk_error)?;
        let id = id_from_answer(
            created.subnet().and_then(Subnet::subnet_id),
            "CreateSubnet returned no subnet id",
        )?;

        wait_for_object(
            &format!("subnet {id} to become available"),
            Timeouts::from_attrs(planned, DEFAULT_TIMEOUTS).create,
            || describe_subnets(aws, std::slice::from_ref(&id)),
            |subnet: &Subnet| subnet.state() == Some(&SubnetState::Available),
        )
        .await?;

        if planned.bool("map_public_ip_on_launch") == Some(true) {
            set_map_public_ip_on_launch(aws, &id, true).await?;
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
        let map_public_ip = planned.bool("map_public_ip_on_launch").unwrap_or(false);
        if prior.bool("map_public_ip_on_launch") != Some(map_public_ip) {
            set_map_public_ip_on_launch(aws, id, map_public_ip).await?;
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

async fn set_map_public_ip_on_launch(
    aws: &AwsContext,
    id: &str,
    value: bool,
) -> Result<(), ProviderError> {
    aws.ec2()
        .modify_subnet_attribute()
        .subnet_id(id)
        .map_public_ip_on_launch(AttributeBooleanValue::builder().value(value).build())
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(())
}
