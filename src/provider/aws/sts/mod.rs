//! STS: who the provider's credentials are.

mod caller_identity;

/// This service's types, for the provider's registry.
pub(super) const TYPES: super::ServiceTypes = super::ServiceTypes {
    name: "STS",
    resources: &[],
    data_sources: &[&caller_identity::CallerIdentityType],
};
