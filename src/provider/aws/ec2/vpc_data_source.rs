//! Data source `aws_vpc`: the one VPC that matches an id, a CIDR block,
//! `default = true`, a state, tags or filters, with the attributes the
//! `aws_vpc` resource reads. No match, or more than one, is an error, as
//! in Terraform.

use std::sync::LazyLock;

use async_trait::async_trait;

use super::filter;
use super::vpc::VpcType;
use crate::provider::aws::lookup::{exactly_one, mirrored_schema, read_as_resource};
use crate::provider::aws::{AwsContext, Timeouts, sdk_error};
use crate::provider::schema::{Attribute, Block, Schema, Type};
use crate::provider::{DataSourceType, ProviderError};
use crate::value::{Attrs, AttrsExt, Value};

pub struct VpcDataSource;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    mirrored_schema(
        &VpcType,
        vec![
            Attribute::optional_computed("id", Type::String),
            Attribute::optional_computed("cidr_block", Type::String),
            Attribute::optional_computed("default", Type::Bool),
            Attribute::optional_computed("dhcp_options_id", Type::String),
            Attribute::optional_computed("state", Type::String),
        ],
        &[
            "arn",
            "enable_dns_hostnames",
            "enable_dns_support",
            "instance_tenancy",
            "main_route_table_id",
            "owner_id",
        ],
        vec![filter_block(), Timeouts::read_block()],
    )
});

/// The `filter { name, values }` block EC2's data sources share.
pub(super) fn filter_block() -> Block {
    Block::set(
        "filter",
        Schema::new(
            vec![
                Attribute::required("name", Type::String),
                Attribute::required("values", Type::set_of(Type::String)),
            ],
            vec![],
        ),
    )
}

/// The EC2 filters a data source searches with: one per argument given,
/// from `(filter name, argument)` pairs (`("cidr", "cidr_block")`), then
/// its `tags` and `filter` blocks.
pub(super) fn search_filters(
    args: &Attrs,
    by_argument: &[(&str, &str)],
) -> Vec<aws_sdk_ec2::types::Filter> {
    let mut filters: Vec<_> = by_argument
        .iter()
        .filter_map(|(name, argument)| {
            let value = args.get(*argument)?.to_string_lossless()?;
            Some(filter(name, [value]))
        })
        .collect();
    filters.extend(tag_and_block_filters(args));
    filters
}

/// EC2 filters for `tags` (`tag:KEY`) and the `filter` blocks.
pub(super) fn tag_and_block_filters(args: &Attrs) -> Vec<aws_sdk_ec2::types::Filter> {
    let tags = args
        .string_map("tags")
        .into_iter()
        .map(|(key, value)| filter(&format!("tag:{key}"), [value]));
    let blocks = args
        .blocks("filter")
        .into_iter()
        .filter_map(|f| Some(filter(f.str("name")?, f.strings("values"))));
    tags.chain(blocks).collect()
}

#[async_trait]
impl DataSourceType for VpcDataSource {
    fn type_name(&self) -> &'static str {
        "aws_vpc"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    async fn read(&self, aws: &AwsContext, args: &Attrs) -> Result<Attrs, ProviderError> {
        let filters = search_filters(
            args,
            &[
                ("cidr", "cidr_block"),
                ("is-default", "default"),
                ("dhcp-options-id", "dhcp_options_id"),
                ("state", "state"),
            ],
        );
        let answer = aws
            .ec2()
            .describe_vpcs()
            .set_vpc_ids(args.str("id").map(|id| vec![id.to_string()]))
            .set_filters((!filters.is_empty()).then_some(filters))
            .send()
            .await
            .map_err(sdk_error)?;
        let vpc = exactly_one(answer.vpcs.unwrap_or_default(), "EC2 VPC")?;
        let id = vpc.vpc_id().unwrap_or_default();
        let mut out = read_as_resource(&VpcType, aws, id, args, &SCHEMA).await?;
        out.insert(
            "default".into(),
            Value::Bool(vpc.is_default().unwrap_or(false)),
        );
        out.insert("state".into(), vpc.state().map(|s| s.as_str()).into());
        Ok(out)
    }
}
