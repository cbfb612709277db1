//! DynamoDB: tables (the lock table of a Terraform S3 backend, and
//! application tables).

mod table;

/// This service's types, for the provider's registry.
pub(super) const TYPES: super::ServiceTypes = super::ServiceTypes {
    name: "DynamoDB",
    resources: &[&table::DynamoDbTable],
    data_sources: &[],
};
