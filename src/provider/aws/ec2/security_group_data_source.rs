//! Data source `aws_security_group`: the one security group that matches
//! an id, a name, a VPC, tags or filters, read as the `aws_security_group`
//! resource reads it (its rules are not exposed, as in Terraform). No
//! match, or several, is an error.

use std::sync::LazyLock;

use async_trait::async_trait;

use super::security_group::SecurityGroupType;
use super::vpc_data_source::{filter_block, search_filters};
use crate::provider::aws::lookup::{exactly_one, mirrored_schema, read_as_resource};
use crate::provider::aws::{AwsContext, Timeouts, sdk_error};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{DataSourceType, ProviderError};
use crate::value::{Attrs, AttrsExt};

pub struct SecurityGroupDataSource;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    mirrored_schema(
        &SecurityGroupType,
        vec![
            Attribute::optional_computed("id", Type::String),
            Attribute::optional_computed("name", Type::String),
            Attribute::optional_computed("vpc_id", Type::String),
        ],
        &["arn", "description"],
        vec![filter_block(), Timeouts::read_block()],
    )
});

#[async_trait]
impl DataSourceType for SecurityGroupDataSource {
    fn type_name(&self) -> &'static str {
        "aws_security_group"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    async fn read(&self, aws: &AwsContext, args: &Attrs) -> Result<Attrs, ProviderError> {
        let filters = search_filters(args, &[("group-name", "name"), ("vpc-id", "vpc_id")]);
        let answer = aws
            .ec2()
            .describe_security_groups()
            .set_group_ids(args.str("id").map(|id| vec![id.to_string()]))
            .set_filters((!filters.is_empty()).then_some(filters))
            .send()
            .await
            .map_err(sdk_error)?;
        let group = exactly_one(
            answer.security_groups.unwrap_or_default(),
            "EC2 Security Group",
        )?;
        let id = group.group_id().unwrap_or_default();
        read_as_resource(&SecurityGroupType, aws, id, args, &SCHEMA).await
    }
}
