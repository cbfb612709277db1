//! Data source `aws_availability_zones`: the region's availability zones,
//! sorted by name, optionally narrowed by state, filters and exclusions.
//!
//! Read-only: one DescribeAvailabilityZones call, nothing is changed.

use std::sync::LazyLock;

use async_trait::async_trait;

use super::filter;
use super::vpc_data_source::filter_block;
use crate::provider::aws::{AwsContext, Timeouts, sdk_error};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{DataSourceType, ProviderError};
use crate::value::{Attrs, AttrsExt, Value};

pub struct AvailabilityZonesType;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let string_list = || Type::list_of(Type::String);
    Schema::new(
        vec![
            Attribute::optional("state", Type::String),
            Attribute::optional("all_availability_zones", Type::Bool),
            Attribute::optional("exclude_names", Type::set_of(Type::String)),
            Attribute::optional("exclude_zone_ids", Type::set_of(Type::String)),
            Attribute::computed("id", Type::String),
            Attribute::computed("names", string_list()),
            Attribute::computed("zone_ids", string_list()),
            Attribute::computed("group_names", Type::set_of(Type::String)),
        ],
        vec![filter_block(), Timeouts::read_block()],
    )
});

#[async_trait]
impl DataSourceType for AvailabilityZonesType {
    fn type_name(&self) -> &'static str {
        "aws_availability_zones"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    async fn read(&self, aws: &AwsContext, args: &Attrs) -> Result<Attrs, ProviderError> {
        let mut request = aws
            .ec2()
            .describe_availability_zones()
            .set_all_availability_zones(args.bool("all_availability_zones"));
        if let Some(state) = args.str("state") {
            request = request.filters(filter("state", [state]));
        }
        for f in args.blocks("filter") {
            if let Some(name) = f.str("name") {
                request = request.filters(filter(name, f.strings("values")));
            }
        }
        let answer = request.send().await.map_err(sdk_error)?;

        let exclude_names = args.strings("exclude_names");
        let exclude_zone_ids = args.strings("exclude_zone_ids");
        let mut zones: Vec<_> = answer
            .availability_zones()
            .iter()
            .filter(|z| {
                !z.zone_name()
                    .is_some_and(|n| exclude_names.iter().any(|e| e == n))
            })
            .filter(|z| {
                !z.zone_id()
                    .is_some_and(|id| exclude_zone_ids.iter().any(|e| e == id))
            })
            .collect();
        zones.sort_by(|a, b| a.zone_name().cmp(&b.zone_name()));

        let strings = |items: Vec<Option<&str>>| {
            Value::List(items.into_iter().flatten().map(Value::string).collect())
        };
        let mut out = args.clone();
        out.insert("id".into(), Value::string(aws.region().unwrap_or_default()));
        out.insert(
            "names".into(),
            strings(zones.iter().map(|z| z.zone_name()).collect()),
        );
        out.insert(
            "zone_ids".into(),
            strings(zones.iter().map(|z| z.zone_id()).collect()),
        );
        out.insert(
            "group_names".into(),
            strings(zones.iter().map(|z| z.group_name()).collect()).into_set(),
        );
        Ok(out)
    }
}
