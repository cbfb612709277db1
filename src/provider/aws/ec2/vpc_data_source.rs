//! Data source `aws_vpc`: the one VPC that matches an id, a CIDR block,
//! `default = true`, a state, tags or filters, with the attributes the
//! `aws_vpc` resource reads. No match, or more than one, is an error, as
//! in Terraform.

use std::sync::LazyLock;

use async_trait::async_trait;

use super::filter;
use super::vpc::VpcType;
use crate::provider::aws::{AwsContext, sdk_error};
use crate::provider::schema::{Attribute, Block, Schema, Type};
use crate::provider::{DataSourceType, ErrorKind, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value};

pub struct VpcDataSource;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        vec![
            Attribute::optional_computed("id", Type::String),
            Attribute::optional_computed("cidr_block", Type::String),
            Attribute::optional_computed("default", Type::Bool),
            Attribute::optional_computed("dhcp_options_id", Type::String),
            Attribute::optional_computed("state", Type::String),
            Attribute::optional_computed("tags", Type::map_of(Type::String)),
            Attribute::computed("arn", Type::String),
            Attribute::computed("enable_dns_hostnames", Type::Bool),
            Attribute::computed("enable_dns_support", Type::Bool),
            Attribute::computed("instance_tenancy", Type::String),
            Attribute::computed("main_route_table_id", Type::String),
            Attribute::computed("owner_id", Type::String),
        ],
        vec![filter_block()],
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
        let mut filters = tag_and_block_filters(args);
        let by_argument = [
            ("cidr", args.str("cidr_block").map(String::from)),
            ("is-default", args.bool("default").map(|d| d.to_string())),
            (
                "dhcp-options-id",
                args.str("dhcp_options_id").map(String::from),
            ),
            ("state", args.str("state").map(String::from)),
        ];
        for (name, value) in by_argument {
            if let Some(value) = value {
                filters.push(filter(name, [value]));
            }
        }
        let answer = aws
            .ec2()
            .describe_vpcs()
            .set_vpc_ids(args.str("id").map(|id| vec![id.to_string()]))
            .set_filters((!filters.is_empty()).then_some(filters))
            .send()
            .await
            .map_err(sdk_error)?;
        let vpc = match answer.vpcs() {
            [one] => one,
            [] => {
                return Err(ProviderError::new(
                    ErrorKind::NotFound,
                    "no matching EC2 VPC found",
                ));
            }
            _ => {
                return Err(ProviderError::new(
                    ErrorKind::Validation,
                    "multiple EC2 VPCs matched; use additional constraints to reduce matches to a single EC2 VPC",
                ));
            }
        };
        let id = vpc.vpc_id().unwrap_or_default().to_string();
        let mut read = VpcType.read_many(aws, std::slice::from_ref(&id)).await?;
        let mut attrs = read.remove(&id).ok_or_else(|| {
            ProviderError::new(ErrorKind::NotFound, format!("EC2 VPC {id} is gone"))
        })?;
        let mut out = args.clone();
        for name in SCHEMA.attributes.iter().map(|a| a.name) {
            if let Some(value) = attrs.remove(name) {
                out.insert(name.to_string(), value);
            }
        }
        out.insert(
            "tags".into(),
            attrs.remove("tags_all").unwrap_or(Value::Null),
        );
        out.insert(
            "default".into(),
            Value::Bool(vpc.is_default().unwrap_or(false)),
        );
        out.insert("state".into(), vpc.state().map(|s| s.as_str()).into());
        Ok(out)
    }
}
