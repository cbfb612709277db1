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
pub mod coalesce;
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

mod acm;
mod autoscaling;
mod dynamodb;
mod ec2;
mod eks;
mod elb;
mod elbv2;
mod iam;
mod kms;
mod logs;
mod meta;
mod route53;
mod s3;
mod ssm;
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
    /// The service as people name it ("EC2", "Route 53").
    name: &'static str,
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
    elb::TYPES,
    wafv2::TYPES,
    route53::TYPES,
    s3::TYPES,
    dynamodb::TYPES,
    acm::TYPES,
    logs::TYPES,
    kms::TYPES,
    ssm::TYPES,
    sts::TYPES,
    meta::TYPES,
];

/// Every managed resource type terrane supports.
pub fn resource_types() -> impl Iterator<Item = &'static dyn ResourceType> {
    SERVICES
        .iter()
        .flat_map(|service| service.resources.iter().copied())
}

/// The AWS service a type (`data`: a data source) belongs to, as
/// people name it ("EC2", "Route 53").
pub fn service_of(data: bool, type_name: &str) -> Option<&'static str> {
    SERVICES
        .iter()
        .find(|service| {
            if data {
                service
                    .data_sources
                    .iter()
                    .any(|t| t.type_name() == type_name)
            } else {
                service.resources.iter().any(|t| t.type_name() == type_name)
            }
        })
        .map(|service| service.name)
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

    /// The README's lists of types, as the registry gives them: by
    /// service (alphabetically), each service's types in order, wrapped
    /// as the README's Markdown is.
    fn type_lists() -> String {
        fn wrapped(service: &str, names: &[&str]) -> String {
            let mut lines = vec![format!("- {service}:")];
            for (i, name) in names.iter().enumerate() {
                let comma = if i + 1 < names.len() { "," } else { "" };
                let word = format!("`{name}`{comma}");
                let last = lines.last_mut().expect("a line");
                if last.len() + 1 + word.len() > 76 {
                    lines.push(format!("  {word}"));
                } else {
                    last.push(' ');
                    last.push_str(&word);
                }
            }
            lines.join("\n")
        }
        let mut services: Vec<&ServiceTypes> = SERVICES.iter().collect();
        services.sort_by_key(|s| s.name);
        let list = |names: fn(&ServiceTypes) -> Vec<&'static str>| {
            services
                .iter()
                .filter_map(|service| {
                    let mut names = names(service);
                    names.sort();
                    (!names.is_empty()).then(|| wrapped(service.name, &names))
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        format!(
            "Resource types, by AWS service:\n\n{}\n\nData sources, by AWS service:\n\n{}\n",
            list(|s| s.resources.iter().map(|t| t.type_name()).collect()),
            list(|s| s.data_sources.iter().map(|t| t.type_name()).collect()),
        )
    }

    const GENERATED_START: &str = "<!-- Generated from the registry: TERRANE_UPDATE_README=1 cargo test --lib readme_lists to refresh. -->\n";
    const GENERATED_END: &str = "<!-- End of the generated lists. -->\n";

    /// The README's type lists are generated from the registry; with
    /// TERRANE_UPDATE_README=1 this test writes them.
    #[test]
    fn readme_lists_exactly_the_registered_types() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
        let readme = std::fs::read_to_string(path).expect("README.md");
        let (before, rest) = readme
            .split_once(GENERATED_START)
            .expect("README.md has the generated lists' start marker");
        let (current, after) = rest
            .split_once(GENERATED_END)
            .expect("README.md has the generated lists' end marker");
        let generated = type_lists();
        if std::env::var_os("TERRANE_UPDATE_README").is_some() {
            let updated = format!("{before}{GENERATED_START}{generated}{GENERATED_END}{after}");
            std::fs::write(path, updated).expect("write README.md");
            return;
        }
        assert_eq!(
            current, generated,
            "README.md's type lists differ from the registry: run TERRANE_UPDATE_README=1 cargo test --lib readme_lists"
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
