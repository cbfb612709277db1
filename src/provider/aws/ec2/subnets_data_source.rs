//! Data source `aws_subnets`: the ids of the subnets that match tags and
//! filters (a VPC's private subnets, say), in EC2's order. No match is an
//! empty list, as in Terraform.

use std::sync::LazyLock;

use async_trait::async_trait;

use super::vpc_data_source::{filter_block, tag_and_block_filters};
use crate::provider::aws::{AwsContext, Timeouts, sdk_error};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{DataSourceType, ProviderError};
use crate::value::{Attrs, Value};

pub struct SubnetsDataSource;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        vec![
            Attribute::optional_computed("tags", Type::map_of(Type::String)),
            Attribute::computed("ids", Type::list_of(Type::String)),
            Attribute::computed("id", Type::String),
        ],
        vec![filter_block(), Timeouts::read_block()],
    )
});

#[async_trait]
impl DataSourceType for SubnetsDataSource {
    fn type_name(&self) -> &'static str {
        "aws_subnets"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    async fn read(&self, aws: &AwsContext, args: &Attrs) -> Result<Attrs, ProviderError> {
        let filters = tag_and_block_filters(args);
        let subnets: Vec<_> = aws
            .ec2()
            .describe_subnets()
            .set_filters((!filters.is_empty()).then_some(filters))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(sdk_error)?;
        let ids = subnets
            .iter()
            .filter_map(|s| s.subnet_id().map(Value::string))
            .collect();
        let mut out = args.clone();
        out.insert("ids".into(), Value::List(ids));
        out.insert("id".into(), Value::string(aws.region().unwrap_or_default()));
        Ok(out)
    }
}
