//! Data source `aws_partition`: the provider region's partition (`aws`,
//! `aws-cn`, `aws-us-gov`, …) and its DNS names, for building ARNs and
//! service principals that work in every partition.

use std::sync::LazyLock;

use async_trait::async_trait;

use super::provider_region;
use crate::provider::aws::AwsContext;
use crate::provider::aws::regions::partition;
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{DataSourceType, ProviderError};
use crate::value::{Attrs, Value};

pub struct PartitionType;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        vec![
            Attribute::computed("id", Type::String),
            Attribute::computed("partition", Type::String),
            Attribute::computed("dns_suffix", Type::String),
            Attribute::computed("reverse_dns_prefix", Type::String),
        ],
        vec![],
    )
});

#[async_trait]
impl DataSourceType for PartitionType {
    fn type_name(&self) -> &'static str {
        "aws_partition"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    async fn read(&self, aws: &AwsContext, args: &Attrs) -> Result<Attrs, ProviderError> {
        let partition = partition(provider_region(aws)?);
        let mut out = args.clone();
        out.insert("id".into(), Value::string(partition.name));
        out.insert("partition".into(), Value::string(partition.name));
        out.insert("dns_suffix".into(), Value::string(partition.dns_suffix));
        out.insert(
            "reverse_dns_prefix".into(),
            Value::string(partition.reverse_dns_prefix),
        );
        Ok(out)
    }
}
