//! AWS resource types, one folder per AWS service (`ec2/`, `eks/`, …, as in
//! Terraform's `internal/service/<service>/`), and the plumbing every
//! service shares: SDK clients, error mapping, tags, names, batched reads
//! and waiters.
//!
//! A type is one file in its service's folder, named after the type without
//! `aws_` and without the service's own prefix (`aws_eks_cluster` is
//! `eks/cluster.rs`, `aws_lb_listener` is `elbv2/lb_listener.rs`). A
//! service's `mod.rs` holds what its types share, declares their files and
//! lists them in its `TYPES`, which is the registry; the compiler rejects a
//! type file that is declared but not listed (its type is never used) and
//! one listed but not declared. Files here hold schemas and SDK calls,
//! nothing generic.

mod batch;
mod client;
mod convert;
mod discovery;
mod errors;
pub mod limits;
mod lookup;
mod names;
pub mod regions;
pub mod stats;
mod tags;
mod wait;

mod autoscaling;
mod ec2;
mod eks;
mod elbv2;
mod iam;
mod meta;
mod route53;
mod s3;
mod sts;
/// Public for its web ACL's lock-token update, which tests drive with a
/// stale token.
pub mod wafv2;

pub use client::{AssumeRole, AwsContext, AwsSettings, CredentialSettings, IgnoreTags};
pub(super) use convert::prior_id;
pub use discovery::list_stack_objects;
pub use errors::{build_error, id_from_answer, ok_if_already_gone, ok_if_not_found, sdk_error};
pub use tags::{
    SYSTEM_TAG_PREFIX, ec2_find_tagged, ec2_tag_specification, ec2_tags_to_value, ec2_update_tags,
};
pub use wait::{Timeouts, wait_until};

use super::{DataSourceType, ResourceType};

/// The types one service registers: its `TYPES`.
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
    sts::TYPES,
    meta::TYPES,
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The `aws_…` names quoted in a piece of Markdown.
    fn quoted_type_names(markdown: &str) -> BTreeSet<&str> {
        markdown
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|quoted| quoted.starts_with("aws_"))
            .collect()
    }

    /// The README lists the types by hand; this keeps that list and the
    /// registry the same in both directions.
    #[test]
    fn readme_lists_exactly_the_registered_types() {
        let readme = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"));
        let (_, list) = readme
            .split_once("\nResource types")
            .expect("README.md has a \"Resource types\" list");
        let (resources, rest) = list
            .split_once("\nData sources:")
            .expect("README.md's type list ends with \"Data sources:\"");
        let data_sources = rest.split("\n\n").next().unwrap_or_default();
        assert_eq!(
            quoted_type_names(resources),
            resource_types().map(|t| t.type_name()).collect(),
            "README.md's resource types differ from the registry"
        );
        assert_eq!(
            quoted_type_names(data_sources),
            data_source_types().map(|t| t.type_name()).collect(),
            "README.md's data sources differ from the registry"
        );
    }

    /// The generated list of Terraform's arguments covers exactly the
    /// registered types: adding or removing a type means running
    /// scripts/aws-provider-types.sh again.
    #[test]
    fn terraforms_arguments_are_listed_for_exactly_the_registered_types() {
        let listed = include_str!("../aws_provider_arguments.txt");
        let headers: BTreeSet<(&str, &str)> = listed
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| match line.split(' ').collect::<Vec<_>>()[..] {
                [kind, name] => Some((kind, name)),
                _ => None,
            })
            .collect();
        let registered: BTreeSet<(&str, &str)> = resource_types()
            .map(|t| ("resource", t.type_name()))
            .chain(data_source_types().map(|t| ("data", t.type_name())))
            .collect();
        assert_eq!(
            headers, registered,
            "src/provider/aws_provider_arguments.txt is stale: run scripts/aws-provider-types.sh"
        );
    }

    /// docs/import.md gives the import id of every registered type.
    #[test]
    fn import_doc_gives_every_types_id() {
        let doc = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/import.md"));
        let rows: BTreeSet<&str> = doc
            .lines()
            .filter_map(|line| line.strip_prefix("| `"))
            .filter_map(|rest| rest.split('`').next())
            .collect();
        let types: BTreeSet<&str> = resource_types().map(|t| t.type_name()).collect();
        assert_eq!(
            rows, types,
            "docs/import.md's id table differs from the registry"
        );
    }

    /// Once per kind: a data source may share its resource's name
    /// (`aws_vpc`), as in Terraform.
    #[test]
    fn every_type_is_registered_once() {
        let resources: Vec<&str> = resource_types().map(|t| t.type_name()).collect();
        let data_sources: Vec<&str> = data_source_types().map(|t| t.type_name()).collect();
        for names in [resources, data_sources] {
            let distinct: BTreeSet<&str> = names.iter().copied().collect();
            assert_eq!(names.len(), distinct.len(), "{names:?}");
        }
    }
}
