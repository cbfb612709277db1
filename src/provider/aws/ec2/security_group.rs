//! `aws_security_group`: a security group with inline `ingress` and `egress`
//! rule blocks.
//!
//! Holds only the schema, the EC2 calls and the translation between rule
//! blocks and AWS's `IpPermissions`. Rules are compared one source at a time
//! (a [`Permission`]): a block with three CIDR blocks is three permissions,
//! so an update revokes and authorizes only what changed, and a read groups
//! AWS's permissions back into one block per (protocol, ports, description),
//! the way Terraform does. Standalone rule resources are not handled here.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    IpPermission, IpRange, Ipv6Range, PrefixListId, ResourceType as Ec2ResourceType, SecurityGroup,
    UserIdGroupPair,
};

use super::{describe_paginated, ec2_arn, filter, wait_for_object};
use crate::provider::aws::convert::{keyed_by_id, prior_id, string_set_or_null};
use crate::provider::aws::names::{name_for_create, prefix_from_name};
use crate::provider::aws::{
    AwsContext, ec2_find_tagged, ec2_tag_specification, ec2_tags_to_value, ec2_update_tags,
    id_from_answer, ok_if_already_gone, sdk_error,
};
use crate::provider::schema::{Attribute, Block, Schema, Type};
use crate::provider::{CreateRequest, ErrorKind, Found, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value, attrs};

pub struct SecurityGroupType;

const CREATE_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// Length of the suffix of names generated before names came from the
/// client token: a random UUID in hex.
const LEGACY_SUFFIX_LEN: usize = 32;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let string_set = || Type::set_of(Type::String);
    let rule = Schema::new(
        vec![
            Attribute::required("from_port", Type::Number),
            Attribute::required("to_port", Type::Number),
            Attribute::required("protocol", Type::String).normalized_with(normalize_protocol),
            Attribute::optional("cidr_blocks", string_set()),
            Attribute::optional("ipv6_cidr_blocks", string_set()),
            Attribute::optional("prefix_list_ids", string_set()),
            Attribute::optional("security_groups", string_set()),
            Attribute::optional("self", Type::Bool).default(false),
            Attribute::optional("description", Type::String),
        ],
        vec![],
    );
    let attributes = vec![
        Attribute::optional_computed("name", Type::String).force_new(),
        // Computed as in Terraform: read back from a generated name, so a
        // config that sets neither `name` nor `name_prefix` shows no diff.
        Attribute::optional_computed("name_prefix", Type::String).force_new(),
        Attribute::optional("description", Type::String)
            .default("Managed by Terraform")
            .force_new(),
        Attribute::optional_computed("vpc_id", Type::String).force_new(),
        Attribute::optional("revoke_rules_on_delete", Type::Bool).default(false),
        Attribute::computed("id", Type::String),
        Attribute::computed("arn", Type::String),
        Attribute::computed("owner_id", Type::String),
    ];
    Schema::with_tags(
        attributes,
        vec![
            Block::set("ingress", rule.clone()),
            Block::set("egress", rule).computed_when_absent(),
        ],
    )
});

#[async_trait]
impl ResourceType for SecurityGroupType {
    fn type_name(&self) -> &'static str {
        "aws_security_group"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let groups = describe_security_groups(aws, ids).await?;
        Ok(keyed_by_id(
            &groups,
            SecurityGroup::group_id,
            |group, id| {
                let owner_id = group.owner_id().unwrap_or_default();
                let arn = group
                    .security_group_arn()
                    .map(str::to_string)
                    .unwrap_or_else(|| ec2_arn(aws, owner_id, &format!("security-group/{id}")));
                let name = group.group_name();
                attrs([
                    ("id", Value::string(id)),
                    ("arn", Value::string(arn)),
                    ("name", Value::from(name)),
                    ("name_prefix", name.map_or(Value::Null, name_prefix_of)),
                    ("description", Value::from(group.description())),
                    ("vpc_id", Value::from(group.vpc_id())),
                    ("owner_id", Value::string(owner_id)),
                    (
                        "ingress",
                        rule_blocks(&gather(group.ip_permissions(), id, owner_id)),
                    ),
                    (
                        "egress",
                        rule_blocks(&gather(group.ip_permissions_egress(), id, owner_id)),
                    ),
                    ("tags_all", ec2_tags_to_value(group.tags())),
                ])
            },
        ))
    }

    async fn find_created(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<Found, ProviderError> {
        ec2_find_tagged(aws, req).await
    }

    async fn create(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<String, ProviderError> {
        let planned = req.planned;
        // Check the rules before creating anything, so a bad rule leaves no
        // half-made group behind.
        let wanted_ingress = expand_blocks(planned, "ingress")?;
        let wanted_egress = expand_blocks(planned, "egress")?;
        let name = name_for_create(planned, "name", "name_prefix", req.client_token);
        let created = aws
            .ec2()
            .create_security_group()
            .group_name(&name)
            .description(planned.str("description").unwrap_or("Managed by Terraform"))
            .set_vpc_id(planned.str("vpc_id").map(str::to_string))
            .tag_specifications(ec2_tag_specification(
                aws,
                req,
                Ec2ResourceType::SecurityGroup,
            ))
            .send()
            .await
            .map_err(sdk_error)?;
        let id = id_from_answer(
            created.group_id(),
            "CreateSecurityGroup returned no group id",
        )?;

        let group = wait_for_object(
            &format!("security group {id} to exist"),
            CREATE_TIMEOUT,
            || describe_security_groups(aws, std::slice::from_ref(&id)),
            |_| true,
        )
        .await?;
        // Start from the rules AWS gave the new group: in a VPC that is an
        // allow-all egress rule, which (as in Terraform) is revoked unless
        // the configuration's egress blocks include it.
        let owner_id = group.owner_id().unwrap_or_default();
        let current_ingress = gather(group.ip_permissions(), &id, owner_id);
        let current_egress = gather(group.ip_permissions_egress(), &id, owner_id);
        sync_rules(
            aws,
            &id,
            Direction::Ingress,
            &current_ingress,
            &wanted_ingress,
        )
        .await?;
        sync_rules(aws, &id, Direction::Egress, &current_egress, &wanted_egress).await?;
        Ok(id)
    }

    async fn update(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        let id = prior_id(prior)?;
        for direction in [Direction::Ingress, Direction::Egress] {
            let old = expand_blocks(prior, direction.block())?;
            let new = expand_blocks(planned, direction.block())?;
            sync_rules(aws, id, direction, &old, &new).await?;
        }
        ec2_update_tags(aws, id, prior, planned).await
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let id = prior_id(prior)?;
        if prior.bool("revoke_rules_on_delete") == Some(true) {
            revoke_rules_touching(aws, id).await?;
        }
        // A group still used by an interface or referenced by another group
        // fails with DependencyViolation, which the engine retries.
        ok_if_already_gone(aws.ec2().delete_security_group().group_id(id).send().await)
    }
}

async fn describe_security_groups(
    aws: &AwsContext,
    ids: &[String],
) -> Result<Vec<SecurityGroup>, ProviderError> {
    describe_paginated!(ids, "group-id", aws.ec2().describe_security_groups()).await
}

/// The prefix a group's name was generated from: by [`name_for_create`],
/// or, for groups created before names came from the client token, by a
/// random UUID suffix. Null for names written in full.
fn name_prefix_of(name: &str) -> Value {
    match prefix_from_name(name) {
        Value::Null => legacy_name_prefix(name).map_or(Value::Null, Value::string),
        prefix => prefix,
    }
}

/// The prefix of a name ending in a UUID in hex, as group names were once
/// generated.
fn legacy_name_prefix(name: &str) -> Option<&str> {
    let split = name.len().checked_sub(LEGACY_SUFFIX_LEN)?;
    let (prefix, suffix) = (name.get(..split)?, name.get(split..)?);
    let generated = !prefix.is_empty()
        && suffix
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    generated.then_some(prefix)
}

#[derive(Clone, Copy, Debug)]
enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    fn block(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }
}

/// Where one rule lets traffic come from (ingress) or go to (egress).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Source {
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
struct Permission {
    /// As [`normalize_protocol`] leaves it.
    protocol: String,
    from_port: i32,
    to_port: i32,
    description: Option<String>,
    source: Source,
}

/// The protocol as AWS reports it and Terraform stores it: `-1` for all
/// traffic, names for TCP, UDP, ICMP and ICMPv6, other numbers as written.
fn normalize_protocol(protocol: &str) -> String {
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
fn expand_blocks(attrs: &Attrs, block: &str) -> Result<BTreeSet<Permission>, ProviderError> {
    let mut permissions = BTreeSet::new();
    for rule in attrs.blocks(block) {
        permissions.extend(expand(rule, block)?);
    }
    Ok(permissions)
}

/// One rule block as permissions, one per source.
fn expand(rule: &Attrs, block: &str) -> Result<Vec<Permission>, ProviderError> {
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
fn gather(permissions: &[IpPermission], group_id: &str, owner_id: &str) -> BTreeSet<Permission> {
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

/// Groups permissions into rule blocks, one per (protocol, ports,
/// description), as Terraform reads them: a rule written with several CIDR
/// blocks reads back as the one block it was written as.
fn rule_blocks(permissions: &BTreeSet<Permission>) -> Value {
    #[derive(Default)]
    struct Sources {
        cidr_blocks: Vec<String>,
        ipv6_cidr_blocks: Vec<String>,
        prefix_list_ids: Vec<String>,
        security_groups: Vec<String>,
        own_group: bool,
    }
    let mut grouped: BTreeMap<(&str, i32, i32, Option<&str>), Sources> = BTreeMap::new();
    for p in permissions {
        let key = (
            p.protocol.as_str(),
            p.from_port,
            p.to_port,
            p.description.as_deref(),
        );
        let sources = grouped.entry(key).or_default();
        match &p.source {
            Source::Cidr(c) => sources.cidr_blocks.push(c.clone()),
            Source::Ipv6Cidr(c) => sources.ipv6_cidr_blocks.push(c.clone()),
            Source::PrefixList(id) => sources.prefix_list_ids.push(id.clone()),
            Source::Group(id) => sources.security_groups.push(id.clone()),
            Source::OwnGroup => sources.own_group = true,
        }
    }
    let blocks = grouped
        .into_iter()
        .map(|((protocol, from_port, to_port, description), sources)| {
            Value::Map(attrs([
                ("protocol", Value::string(protocol)),
                ("from_port", Value::from(from_port)),
                ("to_port", Value::from(to_port)),
                ("description", Value::from(description)),
                ("cidr_blocks", string_set_or_null(sources.cidr_blocks)),
                (
                    "ipv6_cidr_blocks",
                    string_set_or_null(sources.ipv6_cidr_blocks),
                ),
                (
                    "prefix_list_ids",
                    string_set_or_null(sources.prefix_list_ids),
                ),
                (
                    "security_groups",
                    string_set_or_null(sources.security_groups),
                ),
                ("self", Value::Bool(sources.own_group)),
            ]))
        })
        .collect::<Vec<_>>();
    Value::List(blocks).into_set()
}

/// One permission in the shape AWS's Authorize/Revoke calls take.
fn ip_permission(p: &Permission, group_id: &str) -> IpPermission {
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
async fn sync_rules(
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

/// Revokes rules of one direction of a group, given as permissions or as
/// rule ids. A rule that is already gone (InvalidPermission.NotFound) counts
/// as revoked.
async fn revoke(
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

/// `revoke_rules_on_delete`: revokes the group's own rules and the rules of
/// the groups it references that point back at it, so two groups that
/// reference each other can both be deleted (Terraform's first pass; it does
/// not search every group in the account).
async fn revoke_rules_touching(aws: &AwsContext, group_id: &str) -> Result<(), ProviderError> {
    let groups = describe_security_groups(aws, &[group_id.to_string()]).await?;
    let Some(group) = groups.first() else {
        return Ok(());
    };
    let mut related: BTreeSet<String> = group
        .ip_permissions()
        .iter()
        .chain(group.ip_permissions_egress())
        .flat_map(|p| p.user_id_group_pairs())
        .filter_map(|pair| pair.group_id().map(str::to_string))
        .collect();
    related.insert(group_id.to_string());
    let rules: Vec<_> = aws
        .ec2()
        .describe_security_group_rules()
        .filters(filter("group-id", related))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(sdk_error)?;
    // Rule ids to revoke, by (owning group, is egress).
    let mut to_revoke: BTreeMap<(String, bool), Vec<String>> = BTreeMap::new();
    for rule in &rules {
        let (Some(owner_group), Some(rule_id)) = (rule.group_id(), rule.security_group_rule_id())
        else {
            continue;
        };
        let references_this = rule
            .referenced_group_info()
            .and_then(|r| r.group_id())
            .is_some_and(|id| id == group_id);
        if owner_group == group_id || references_this {
            to_revoke
                .entry((owner_group.to_string(), rule.is_egress().unwrap_or(false)))
                .or_default()
                .push(rule_id.to_string());
        }
    }
    for ((owner_group, is_egress), rule_ids) in to_revoke {
        let direction = if is_egress {
            Direction::Egress
        } else {
            Direction::Ingress
        };
        revoke(aws, &owner_group, direction, None, Some(rule_ids)).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn generated_names_give_back_their_prefix() {
        let attrs = rule(vec![("name_prefix", Value::string("web-"))]);
        let name = name_for_create(&attrs, "name", "name_prefix", "token");
        assert_eq!(name_prefix_of(&name), Value::string("web-"));
        let legacy = format!("web-{}", uuid::Uuid::new_v4().simple());
        assert_eq!(name_prefix_of(&legacy), Value::string("web-"));
        assert_eq!(name_prefix_of("web"), Value::Null);
        assert_eq!(
            name_prefix_of("my-handwritten-security-group-name"),
            Value::Null
        );
    }

    #[test]
    fn a_rule_with_several_sources_round_trips_through_aws_shape() {
        let block = rule(vec![
            ("from_port", Value::from(443)),
            ("to_port", Value::from(443)),
            ("protocol", Value::string("6")),
            (
                "cidr_blocks",
                Value::from(vec!["10.0.0.0/8", "192.168.0.0/16"]),
            ),
            (
                "security_groups",
                Value::from(vec!["sg-other", "111122223333/sg-foreign"]),
            ),
            ("self", Value::Bool(true)),
            ("description", Value::string("https")),
        ]);
        let expanded: BTreeSet<Permission> =
            expand(&block, "ingress").unwrap().into_iter().collect();
        assert_eq!(expanded.len(), 5);
        let aws_shape: Vec<IpPermission> =
            expanded.iter().map(|p| ip_permission(p, "sg-me")).collect();
        let gathered = gather(&aws_shape, "sg-me", "999988887777");
        assert_eq!(gathered, expanded);
        let blocks = rule_blocks(&gathered);
        let blocks = blocks.as_list().unwrap();
        assert_eq!(blocks.len(), 1, "{blocks:?}");
        let read = blocks[0].as_map().unwrap();
        assert_eq!(read.str("protocol"), Some("tcp"));
        assert_eq!(read.bool("self"), Some(true));
        assert_eq!(
            read.strings("cidr_blocks"),
            vec!["10.0.0.0/8", "192.168.0.0/16"]
        );
        assert_eq!(
            read.strings("security_groups"),
            vec!["111122223333/sg-foreign", "sg-other"]
        );
        assert_eq!(read.get("ipv6_cidr_blocks"), Some(&Value::Null));
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

    #[test]
    fn different_descriptions_read_as_different_blocks() {
        let permissions: BTreeSet<Permission> = ["a", "b"]
            .into_iter()
            .map(|d| Permission {
                protocol: "tcp".into(),
                from_port: 22,
                to_port: 22,
                description: Some(d.into()),
                source: Source::Cidr("10.0.0.0/8".into()),
            })
            .collect();
        assert_eq!(rule_blocks(&permissions).as_list().unwrap().len(), 2);
    }
}
