//! The rules of a security group as terrane compares them, shared by
//! `aws_security_group`'s inline blocks and the standalone rule types:
//! a rule with several sources is one [`Permission`] per source; AWS's
//! `IpPermissions` are gathered into the same shape, so a change is the
//! difference of two sets, revoked and authorized.
//!
//! Only the translation and the Authorize/Revoke calls live here; each
//! type's schema and reads stay in its own file.

use std::collections::BTreeSet;

use aws_sdk_ec2::types::{
    IpPermission, IpRange, Ipv6Range, PrefixListId, SecurityGroup, UserIdGroupPair,
};

use super::describe_paginated;

use crate::provider::aws::{AwsContext, ok_if_already_gone, sdk_error};
use crate::provider::{ErrorKind, ProviderError};
use crate::value::{Attrs, AttrsExt};

#[derive(Clone, Copy, Debug)]
pub(super) enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    /// From a rule's `type` (`ingress` or `egress`).
    pub(super) fn from_type(kind: &str) -> Option<Direction> {
        match kind {
            "ingress" => Some(Direction::Ingress),
            "egress" => Some(Direction::Egress),
            _ => None,
        }
    }

    pub(super) fn is_egress(self) -> bool {
        matches!(self, Direction::Egress)
    }

    pub(super) fn block(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }
}

/// The groups with these ids, in one batched Describe; gone ones are absent.
pub(super) async fn describe_security_groups(
    aws: &AwsContext,
    ids: &[String],
) -> Result<Vec<SecurityGroup>, ProviderError> {
    describe_paginated!(ids, "group-id", aws.ec2().describe_security_groups()).await
}

/// Where one rule lets traffic come from (ingress) or go to (egress).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Source {
    Cidr(String),
    Ipv6Cidr(String),
    PrefixList(String),
    /// Another group: its id, or `owner/id` for another account's group.
    Group(String),
    /// The group itself (`self = true`).
    OwnGroup,
}

/// One rule with exactly one source: the unit in which rules are compared.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Permission {
    /// As [`normalize_protocol`] leaves it.
    pub(super) protocol: String,
    pub(super) from_port: i32,
    pub(super) to_port: i32,
    pub(super) description: Option<String>,
    pub(super) source: Source,
}

/// The protocol as AWS reports it and Terraform stores it: `-1` for all
/// traffic, names for TCP, UDP, ICMP and ICMPv6, other numbers as written.
pub(super) fn normalize_protocol(protocol: &str) -> String {
    let lower = protocol.trim().to_ascii_lowercase();
    match lower.as_str() {
        "-1" | "all" => "-1".into(),
        "6" => "tcp".into(),
        "17" => "udp".into(),
        "1" => "icmp".into(),
        "58" => "icmpv6".into(),
        _ => lower,
    }
}

/// All rule blocks of one kind (`ingress` or `egress`) as permissions.
pub(super) fn expand_blocks(
    attrs: &Attrs,
    block: &str,
) -> Result<BTreeSet<Permission>, ProviderError> {
    let mut permissions = BTreeSet::new();
    for rule in attrs.blocks(block) {
        permissions.extend(expand(rule, block)?);
    }
    Ok(permissions)
}

/// One rule block as permissions, one per source.
pub(super) fn expand(rule: &Attrs, block: &str) -> Result<Vec<Permission>, ProviderError> {
    let invalid = |message: String| {
        ProviderError::new(ErrorKind::Validation, format!("{block} rule: {message}"))
    };
    let protocol = normalize_protocol(rule.str("protocol").unwrap_or_default());
    let port = |name: &str| -> Result<i32, ProviderError> {
        let port = rule
            .i64(name)
            .ok_or_else(|| invalid(format!("{name} is required")))?;
        i32::try_from(port).map_err(|_| invalid(format!("{name} {port} is out of range")))
    };
    let (from_port, to_port) = (port("from_port")?, port("to_port")?);
    // AWS stores no ports for "all traffic" yet accepts any; insisting on 0
    // (as Terraform does) keeps the configuration honest.
    if protocol == "-1" && (from_port != 0 || to_port != 0) {
        return Err(invalid(format!(
            "from_port ({from_port}) and to_port ({to_port}) must both be 0 to use the all-traffic protocol \"-1\""
        )));
    }
    let description = rule
        .str("description")
        .filter(|d| !d.is_empty())
        .map(str::to_string);
    let mut sources: Vec<Source> = Vec::new();
    sources.extend(rule.strings("cidr_blocks").into_iter().map(Source::Cidr));
    sources.extend(
        rule.strings("ipv6_cidr_blocks")
            .into_iter()
            .map(Source::Ipv6Cidr),
    );
    sources.extend(
        rule.strings("prefix_list_ids")
            .into_iter()
            .map(Source::PrefixList),
    );
    sources.extend(
        rule.strings("security_groups")
            .into_iter()
            .map(Source::Group),
    );
    if rule.bool("self") == Some(true) {
        sources.push(Source::OwnGroup);
    }
    if sources.is_empty() {
        return Err(invalid(
            "needs at least one of cidr_blocks, ipv6_cidr_blocks, prefix_list_ids, security_groups or self".into(),
        ));
    }
    Ok(sources
        .into_iter()
        .map(|source| Permission {
            protocol: protocol.clone(),
            from_port,
            to_port,
            description: description.clone(),
            source,
        })
        .collect())
}

/// AWS's permissions of one group as single-source permissions.
/// `group_id` and `owner_id` are the group's own, to recognise `self` and
/// groups of the same account.
pub(super) fn gather(
    permissions: &[IpPermission],
    group_id: &str,
    owner_id: &str,
) -> BTreeSet<Permission> {
    let mut out = BTreeSet::new();
    for permission in permissions {
        let protocol = normalize_protocol(permission.ip_protocol().unwrap_or_default());
        let (from_port, to_port) = if protocol == "-1" {
            (0, 0)
        } else {
            (
                permission.from_port().unwrap_or(0),
                permission.to_port().unwrap_or(0),
            )
        };
        let mut add = |description: Option<&str>, source: Source| {
            out.insert(Permission {
                protocol: protocol.clone(),
                from_port,
                to_port,
                description: description.filter(|d| !d.is_empty()).map(str::to_string),
                source,
            });
        };
        for range in permission.ip_ranges() {
            if let Some(cidr) = range.cidr_ip() {
                add(range.description(), Source::Cidr(cidr.to_string()));
            }
        }
        for range in permission.ipv6_ranges() {
            if let Some(cidr) = range.cidr_ipv6() {
                add(range.description(), Source::Ipv6Cidr(cidr.to_string()));
            }
        }
        for prefix_list in permission.prefix_list_ids() {
            if let Some(id) = prefix_list.prefix_list_id() {
                add(
                    prefix_list.description(),
                    Source::PrefixList(id.to_string()),
                );
            }
        }
        for pair in permission.user_id_group_pairs() {
            let Some(other) = pair.group_id() else {
                continue;
            };
            let source = match pair.user_id() {
                _ if other == group_id => Source::OwnGroup,
                Some(user) if !user.is_empty() && user != owner_id => {
                    Source::Group(format!("{user}/{other}"))
                }
                _ => Source::Group(other.to_string()),
            };
            add(pair.description(), source);
        }
    }
    out
}

/// One permission in the shape AWS's Authorize/Revoke calls take.
pub(super) fn ip_permission(p: &Permission, group_id: &str) -> IpPermission {
    let mut builder = IpPermission::builder().ip_protocol(&p.protocol);
    if p.protocol != "-1" {
        builder = builder.from_port(p.from_port).to_port(p.to_port);
    }
    let description = p.description.clone();
    let group_pair = |owner: Option<&str>, id: &str| {
        UserIdGroupPair::builder()
            .group_id(id)
            .set_user_id(owner.map(str::to_string))
            .set_description(description.clone())
            .build()
    };
    match &p.source {
        Source::Cidr(cidr) => builder.ip_ranges(
            IpRange::builder()
                .cidr_ip(cidr)
                .set_description(description.clone())
                .build(),
        ),
        Source::Ipv6Cidr(cidr) => builder.ipv6_ranges(
            Ipv6Range::builder()
                .cidr_ipv6(cidr)
                .set_description(description.clone())
                .build(),
        ),
        Source::PrefixList(id) => builder.prefix_list_ids(
            PrefixListId::builder()
                .prefix_list_id(id)
                .set_description(description.clone())
                .build(),
        ),
        Source::Group(id) => match id.split_once('/') {
            Some((owner, id)) => builder.user_id_group_pairs(group_pair(Some(owner), id)),
            None => builder.user_id_group_pairs(group_pair(None, id)),
        },
        Source::OwnGroup => builder.user_id_group_pairs(group_pair(None, group_id)),
    }
    .build()
}

/// Brings one direction's rules from `current` to `wanted`: revokes what
/// is no longer wanted first, then authorizes what is new.
pub(super) async fn sync_rules(
    aws: &AwsContext,
    group_id: &str,
    direction: Direction,
    current: &BTreeSet<Permission>,
    wanted: &BTreeSet<Permission>,
) -> Result<(), ProviderError> {
    let to_permissions = |set: Vec<&Permission>| -> Option<Vec<IpPermission>> {
        (!set.is_empty()).then(|| {
            set.into_iter()
                .map(|p| ip_permission(p, group_id))
                .collect()
        })
    };
    if let Some(permissions) = to_permissions(current.difference(wanted).collect()) {
        revoke(aws, group_id, direction, Some(permissions), None).await?;
    }
    if let Some(authorize) = to_permissions(wanted.difference(current).collect()) {
        match direction {
            Direction::Ingress => {
                aws.ec2()
                    .authorize_security_group_ingress()
                    .group_id(group_id)
                    .set_ip_permissions(Some(authorize))
                    .send()
                    .await
                    .map_err(sdk_error)?;
            }
            Direction::Egress => {
                aws.ec2()
                    .authorize_security_group_egress()
                    .group_id(group_id)
                    .set_ip_permissions(Some(authorize))
                    .send()
                    .await
                    .map_err(sdk_error)?;
            }
        }
    }
    Ok(())
}

/// Sets the descriptions of rules that exist already (the permissions carry
/// the new ones): a description changes in place, the rule stays.
pub(super) async fn update_descriptions(
    aws: &AwsContext,
    group_id: &str,
    direction: Direction,
    permissions: &BTreeSet<Permission>,
) -> Result<(), ProviderError> {
    let permissions: Vec<IpPermission> = permissions
        .iter()
        .map(|p| ip_permission(p, group_id))
        .collect();
    match direction {
        Direction::Ingress => {
            aws.ec2()
                .update_security_group_rule_descriptions_ingress()
                .group_id(group_id)
                .set_ip_permissions(Some(permissions))
                .send()
                .await
                .map_err(sdk_error)?;
        }
        Direction::Egress => {
            aws.ec2()
                .update_security_group_rule_descriptions_egress()
                .group_id(group_id)
                .set_ip_permissions(Some(permissions))
                .send()
                .await
                .map_err(sdk_error)?;
        }
    }
    Ok(())
}

/// Revokes rules of one direction of a group, given as permissions or as
/// rule ids. A rule that is already gone (InvalidPermission.NotFound) counts
/// as revoked.
pub(super) async fn revoke(
    aws: &AwsContext,
    group_id: &str,
    direction: Direction,
    permissions: Option<Vec<IpPermission>>,
    rule_ids: Option<Vec<String>>,
) -> Result<(), ProviderError> {
    match direction {
        Direction::Ingress => ok_if_already_gone(
            aws.ec2()
                .revoke_security_group_ingress()
                .group_id(group_id)
                .set_ip_permissions(permissions)
                .set_security_group_rule_ids(rule_ids)
                .send()
                .await,
        ),
        Direction::Egress => ok_if_already_gone(
            aws.ec2()
                .revoke_security_group_egress()
                .group_id(group_id)
                .set_ip_permissions(permissions)
                .set_security_group_rule_ids(rule_ids)
                .send()
                .await,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;

    fn rule(pairs: Vec<(&str, Value)>) -> Attrs {
        pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }

    #[test]
    fn protocols_normalise_to_what_aws_reports() {
        assert_eq!(normalize_protocol("-1"), "-1");
        assert_eq!(normalize_protocol("all"), "-1");
        assert_eq!(normalize_protocol("6"), "tcp");
        assert_eq!(normalize_protocol("TCP"), "tcp");
        assert_eq!(normalize_protocol("17"), "udp");
        assert_eq!(normalize_protocol("1"), "icmp");
        assert_eq!(normalize_protocol("58"), "icmpv6");
        assert_eq!(normalize_protocol("50"), "50");
    }

    #[test]
    fn all_traffic_needs_zero_ports_and_reads_back_with_them() {
        let bad = rule(vec![
            ("from_port", Value::from(0)),
            ("to_port", Value::from(65535)),
            ("protocol", Value::string("-1")),
            ("cidr_blocks", Value::from(vec!["0.0.0.0/0"])),
        ]);
        assert_eq!(
            expand(&bad, "egress").unwrap_err().kind,
            ErrorKind::Validation
        );
        // AWS reports all-traffic rules without ports.
        let aws_rule = IpPermission::builder()
            .ip_protocol("-1")
            .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
            .build();
        let gathered = gather(&[aws_rule], "sg-me", "1");
        let p = gathered.first().unwrap();
        assert_eq!((p.from_port, p.to_port), (0, 0));
    }

    #[test]
    fn a_rule_without_sources_is_rejected() {
        let empty = rule(vec![
            ("from_port", Value::from(22)),
            ("to_port", Value::from(22)),
            ("protocol", Value::string("tcp")),
            ("self", Value::Bool(false)),
        ]);
        assert_eq!(
            expand(&empty, "ingress").unwrap_err().kind,
            ErrorKind::Validation
        );
    }
}
