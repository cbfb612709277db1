//! AWS resource types, one folder per AWS service (`ec2/`, `eks/`, …, as in
//! Terraform's `internal/service/<service>/`), and the plumbing every
//! service shares: SDK clients, error mapping, tags, names, batched reads
//! and waiters.
//!
//! A type is one file in its service's folder, named after the type without
//! `aws_` and without the service's own prefix (`aws_eks_cluster` is
//! `eks/cluster.rs`, `aws_lb_listener` is `elbv2/lb_listener.rs`). A
//! service's `mod.rs` holds what its types share and registers them with
//! [`register_types!`]: that one entry per type is the registry. Files here
//! hold schemas and SDK calls, nothing generic.

/// Declares a service's type files and registers the types they define, so
/// that adding a type is its file plus one entry here. Each entry is
/// `file::Type`; a service without data sources leaves that list out.
macro_rules! register_types {
    (
        resources: [$($(#[$attr:meta])* $vis:vis $module:ident::$resource:ident),* $(,)?]
        $(, data_sources: [$($data_module:ident::$data_source:ident),* $(,)?])? $(,)?
    ) => {
        $($(#[$attr])* $vis mod $module;)*
        $($(mod $data_module;)*)?

        /// This service's types, for the provider's registry.
        pub(super) const TYPES: super::ServiceTypes = super::ServiceTypes {
            resources: &[$(&$module::$resource),*],
            data_sources: &[$($(&$data_module::$data_source),*)?],
        };
    };
}

mod batch;
mod client;
mod convert;
mod errors;
mod names;
mod tags;
mod wait;

mod autoscaling;
mod ec2;
mod eks;
mod elbv2;
mod iam;
mod route53;
mod s3;
/// Public for its web ACL's lock-token update, which tests drive with a
/// stale token.
pub mod wafv2;

pub use client::{AwsContext, AwsSettings};
pub use errors::{build_error, id_from_answer, ok_if_already_gone, ok_if_not_found, sdk_error};
pub use tags::{SYSTEM_TAG_PREFIX, ec2_tag_specification, ec2_tags_to_value, ec2_update_tags};
pub use wait::{Timeouts, wait_until};

use super::{DataSourceType, ResourceType};

/// The types one service registers with [`register_types!`].
struct ServiceTypes {
    resources: &'static [&'static dyn ResourceType],
    data_sources: &'static [&'static dyn DataSourceType],
}

/// Every service. Their order is the registry's, and so that of the
/// "supported: …" hint for an unknown type.
const SERVICES: &[ServiceTypes] = &[
    autoscaling::TYPES,
    eks::TYPES,
    iam::TYPES,
    ec2::TYPES,
    elbv2::TYPES,
    wafv2::TYPES,
    route53::TYPES,
    s3::TYPES,
];

/// Every managed resource type terrane supports.
pub fn resource_types() -> impl Iterator<Item = &'static dyn ResourceType> {
    SERVICES
        .iter()
        .flat_map(|service| service.resources.iter().copied())
}

/// Every data source terrane supports.
pub fn data_source_types() -> impl Iterator<Item = &'static dyn DataSourceType> {
    SERVICES
        .iter()
        .flat_map(|service| service.data_sources.iter().copied())
}
