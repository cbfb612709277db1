//! Data source `aws_region`: a region's name, description and EC2
//! endpoint, the provider's own unless `name` or `endpoint` picks another.

use std::sync::LazyLock;

use async_trait::async_trait;

use super::provider_region;
use crate::provider::aws::AwsContext;
use crate::provider::aws::regions::{description, partition};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{DataSourceType, ErrorKind, ProviderError};
use crate::value::{Attrs, AttrsExt, Value};

pub struct RegionType;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        vec![
            Attribute::optional_computed("name", Type::String),
            Attribute::optional_computed("endpoint", Type::String),
            Attribute::computed("id", Type::String),
            Attribute::computed("description", Type::String),
        ],
        vec![],
    )
});

/// The provider writes `aws_region.endpoint` as the region's EC2 host name.
fn endpoint(region: &str) -> String {
    format!("ec2.{region}.{}", partition(region).endpoint_suffix)
}

/// The region a `name` or an `endpoint` argument names, as the provider
/// looks it up: a name must be a known region, an endpoint some region's.
fn chosen(aws: &AwsContext, args: &Attrs) -> Result<String, ProviderError> {
    let not_found = |what: &str, value: &str| {
        ProviderError::new(
            ErrorKind::NotFound,
            format!("finding Region by {what} ({value})"),
        )
    };
    let wanted = args.str("name");
    let by_endpoint = args.str("endpoint").map(|endpoint| {
        let host = endpoint
            .trim_start_matches("https://")
            .trim_end_matches('/');
        let region = host
            .strip_prefix("ec2.")
            .and_then(|rest| rest.split('.').next());
        match region {
            Some(region) if description(region).is_some() && self::endpoint(region) == host => {
                Ok(region.to_string())
            }
            _ => Err(not_found("endpoint", endpoint)),
        }
    });
    let region = match (wanted, by_endpoint) {
        (Some(name), _) if description(name).is_none() => return Err(not_found("name", name)),
        (Some(name), Some(Ok(other))) if name != other => {
            return Err(ProviderError::new(
                ErrorKind::Validation,
                format!("the endpoint names region {other}, not {name}"),
            ));
        }
        (Some(name), _) => name.to_string(),
        (None, Some(found)) => found?,
        (None, None) => provider_region(aws)?.to_string(),
    };
    Ok(region)
}

#[async_trait]
impl DataSourceType for RegionType {
    fn type_name(&self) -> &'static str {
        "aws_region"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    async fn read(&self, aws: &AwsContext, args: &Attrs) -> Result<Attrs, ProviderError> {
        let region = chosen(aws, args)?;
        let mut out = args.clone();
        out.insert("id".into(), Value::string(&region));
        out.insert("endpoint".into(), Value::string(endpoint(&region)));
        // A region past the table (with skip_region_validation) has none.
        let about = description(&region).unwrap_or_default();
        out.insert("description".into(), Value::string(about));
        out.insert("name".into(), Value::string(region));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_follow_the_partition() {
        assert_eq!(endpoint("eu-west-1"), "ec2.eu-west-1.amazonaws.com");
        assert_eq!(endpoint("cn-north-1"), "ec2.cn-north-1.amazonaws.com.cn");
    }
}
