//! Data sources about where the provider runs rather than about an AWS
//! service (Terraform's `internal/service/meta/`): its region and
//! partition. Both come from the provider's configuration and terrane's
//! own region table (`regions.rs`); nothing here calls AWS.

mod partition;
mod region;

/// This group's types, for the provider's registry.
pub(super) const TYPES: super::ServiceTypes = super::ServiceTypes {
    name: "Region and partition (offline)",
    resources: &[],
    data_sources: &[&region::RegionType, &partition::PartitionType],
};

use crate::provider::aws::AwsContext;
use crate::provider::{ErrorKind, ProviderError};

/// The provider configuration's region.
fn provider_region(aws: &AwsContext) -> Result<&str, ProviderError> {
    aws.region().ok_or_else(|| {
        ProviderError::new(
            ErrorKind::Validation,
            "the provider has no region: set `region` in its block or AWS_REGION",
        )
    })
}
