//! Data source `aws_route53_zone`: a hosted zone by id, or by name among
//! the public (or, with `private_zone`, private) zones, narrowed by VPC and
//! tags; read as the `aws_route53_zone` resource reads it, plus the
//! counts and flags only the data source has. Several matches are an
//! error, as in Terraform.

use std::sync::LazyLock;

use async_trait::async_trait;

use super::zone::HostedZone;
use super::{clean_zone_id, normalize_dns_name};
use crate::provider::aws::lookup::{exactly_one, mirrored_schema, read_as_resource};
use crate::provider::aws::{AwsContext, sdk_error};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{DataSourceType, ErrorKind, ProviderError};
use crate::value::{Attrs, AttrsExt, Value};

pub struct HostedZoneDataSource;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let mut schema = mirrored_schema(
        &HostedZone,
        vec![
            Attribute::optional_computed("zone_id", Type::String),
            Attribute::optional_computed("name", Type::String),
            Attribute::optional("private_zone", Type::Bool).default(false),
            Attribute::optional_computed("vpc_id", Type::String),
        ],
        &["arn", "comment", "name_servers", "primary_name_server"],
        vec![],
    );
    schema.attributes.extend([
        Attribute::computed("caller_reference", Type::String),
        Attribute::computed("resource_record_set_count", Type::Number),
    ]);
    schema
});

#[async_trait]
impl DataSourceType for HostedZoneDataSource {
    fn type_name(&self) -> &'static str {
        "aws_route53_zone"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    async fn read(&self, aws: &AwsContext, args: &Attrs) -> Result<Attrs, ProviderError> {
        // A VPC to match means a private zone, as in Terraform.
        let private = args.bool("private_zone") == Some(true) || args.str("vpc_id").is_some();
        // Candidates: the zone named by id, or every zone of the name.
        let candidates: Vec<String> = match (args.str("zone_id"), args.str("name")) {
            (Some(id), _) => vec![clean_zone_id(id).to_string()],
            (None, Some(name)) => {
                let wanted = normalize_dns_name(name);
                let zones: Vec<_> = aws
                    .route53()
                    .list_hosted_zones()
                    .into_paginator()
                    .items()
                    .send()
                    .try_collect()
                    .await
                    .map_err(sdk_error)?;
                zones
                    .iter()
                    .filter(|z| normalize_dns_name(z.name()) == wanted)
                    .filter(|z| z.config().is_some_and(|c| c.private_zone()) == private)
                    .map(|z| clean_zone_id(z.id()).to_string())
                    .collect()
            }
            (None, None) => {
                return Err(ProviderError::new(
                    ErrorKind::Validation,
                    "one of zone_id and name must be set",
                ));
            }
        };
        let mut matching = Vec::new();
        for id in candidates {
            let zone = aws
                .route53()
                .get_hosted_zone()
                .id(&id)
                .send()
                .await
                .map_err(sdk_error)?;
            if let Some(vpc) = args.str("vpc_id")
                && !zone.vpcs().iter().any(|v| v.vpc_id() == Some(vpc))
            {
                continue;
            }
            // A zone without the tags asked for is not a match.
            match read_as_resource(&HostedZone, aws, &id, args, &SCHEMA).await {
                Ok(read) => matching.push((zone, read)),
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e),
            }
        }
        let (zone, mut out) = exactly_one(matching, "Route53 Hosted Zone")?;
        let hosted = zone.hosted_zone();
        out.insert(
            "caller_reference".into(),
            Value::from(hosted.map(|z| z.caller_reference())),
        );
        out.insert(
            "resource_record_set_count".into(),
            Value::from(hosted.and_then(|z| z.resource_record_set_count())),
        );
        out.insert(
            "private_zone".into(),
            Value::Bool(
                hosted
                    .and_then(|z| z.config())
                    .is_some_and(|c| c.private_zone()),
            ),
        );
        // The VPC asked for, else the zone's first.
        if args.str("vpc_id").is_none() {
            out.insert(
                "vpc_id".into(),
                Value::from(zone.vpcs().first().and_then(|v| v.vpc_id())),
            );
        }
        Ok(out)
    }
}
