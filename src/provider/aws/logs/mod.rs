//! CloudWatch Logs: log groups (EKS control-plane logs land in one).

mod log_group;

/// This service's types, for the provider's registry.
pub(super) const TYPES: super::ServiceTypes = super::ServiceTypes {
    name: "CloudWatch Logs",
    resources: &[&log_group::LogGroup],
    data_sources: &[],
};
