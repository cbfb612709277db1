//! Data source `aws_subnet`: the one subnet that matches an id, a CIDR
//! block, a zone, a VPC, `default_for_az`, a state, tags or filters, read
//! as the `aws_subnet` resource reads it. No match, or several, is an
//! error, as in Terraform.

use std::sync::LazyLock;

use async_trait::async_trait;

use super::subnet::SubnetType;
use super::vpc_data_source::{filter_block, search_filters};
use crate::provider::aws::lookup::{exactly_one, mirrored_schema, read_as_resource};
use crate::provider::aws::{AwsContext, Timeouts, sdk_error};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{DataSourceType, ProviderError};
use crate::value::{Attrs, AttrsExt, Value};

pub struct SubnetDataSource;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    mirrored_schema(
        &SubnetType,
        vec![
            Attribute::optional_computed("id", Type::String),
            Attribute::optional_computed("availability_zone", Type::String),
            Attribute::optional_computed("availability_zone_id", Type::String),
            Attribute::optional_computed("cidr_block", Type::String),
            Attribute::optional_computed("default_for_az", Type::Bool),
            Attribute::optional_computed("ipv6_cidr_block", Type::String),
            Attribute::optional_computed("state", Type::String),
            Attribute::optional_computed("vpc_id", Type::String),
        ],
        &[
            "arn",
            "assign_ipv6_address_on_creation",
            "available_ip_address_count",
            "map_public_ip_on_launch",
            "owner_id",
        ],
        vec![filter_block(), Timeouts::read_block()],
    )
});

#[async_trait]
impl DataSourceType for SubnetDataSource {
    fn type_name(&self) -> &'static str {
        "aws_subnet"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    async fn read(&self, aws: &AwsContext, args: &Attrs) -> Result<Attrs, ProviderError> {
        let filters = search_filters(
            args,
            &[
                ("availability-zone", "availability_zone"),
                ("availability-zone-id", "availability_zone_id"),
                ("cidr-block", "cidr_block"),
                ("default-for-az", "default_for_az"),
                (
                    "ipv6-cidr-block-association.ipv6-cidr-block",
                    "ipv6_cidr_block",
                ),
                ("state", "state"),
                ("vpc-id", "vpc_id"),
            ],
        );
        let answer = aws
            .ec2()
            .describe_subnets()
            .set_subnet_ids(args.str("id").map(|id| vec![id.to_string()]))
            .set_filters((!filters.is_empty()).then_some(filters))
            .send()
            .await
            .map_err(sdk_error)?;
        let subnet = exactly_one(answer.subnets.unwrap_or_default(), "EC2 Subnet")?;
        let id = subnet.subnet_id().unwrap_or_default();
        let mut out = read_as_resource(&SubnetType, aws, id, args, &SCHEMA).await?;
        out.insert(
            "default_for_az".into(),
            Value::Bool(subnet.default_for_az().unwrap_or(false)),
        );
        out.insert("state".into(), subnet.state().map(|s| s.as_str()).into());
        out.insert(
            "available_ip_address_count".into(),
            subnet.available_ip_address_count().into(),
        );
        out.insert(
            "ipv6_cidr_block".into(),
            subnet
                .ipv6_cidr_block_association_set()
                .iter()
                .find_map(|a| a.ipv6_cidr_block())
                .into(),
        );
        Ok(out)
    }
}
