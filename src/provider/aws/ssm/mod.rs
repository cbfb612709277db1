//! SSM Parameter Store: parameters a stack reads, such as the EKS-optimised
//! AMI id AWS publishes for each Kubernetes version.

mod parameter_data_source;

/// This service's types, for the provider's registry.
pub(super) const TYPES: super::ServiceTypes = super::ServiceTypes {
    name: "SSM",
    resources: &[],
    data_sources: &[&parameter_data_source::SsmParameterDataSource],
};
