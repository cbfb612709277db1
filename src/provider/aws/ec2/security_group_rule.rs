//! `aws_security_group_rule`: one rule (of one or several sources) added to
//! a security group that does not list its rules inline.
//!
//! The id is Terraform's import id, which names the rule whole:
//! `<group>_<type>_<protocol>_<from>_<to>_<source>[_<source>...]`, each
//! source a CIDR block, a prefix list, a group id or `self`. Terraform's
//! own stored id (`sgrule-<hash>`) cannot be read back, so a migrated rule
//! gets its id from its attributes. Only the description changes in place;
//! every other argument makes a new rule, as in Terraform. A group's rules
//! have no tags: what an interrupted create made is the same rule in the
//! same group, and that is adopted.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use async_trait::async_trait;

use super::filter;
use super::security_group_rules::{
    Direction, Permission, Source, describe_security_groups, expand, gather, normalize_protocol,
    revoke, sync_rules, update_descriptions,
};
use crate::provider::aws::convert::{prior_id, required_str};
use crate::provider::aws::{AwsContext, sdk_error};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{CreateRequest, ErrorKind, Found, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value, attrs};

pub struct SecurityGroupRuleType;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let string_list = || Type::list_of(Type::String);
    Schema::new(
        vec![
            Attribute::required("type", Type::String).force_new(),
            Attribute::required("security_group_id", Type::String).force_new(),
            Attribute::required("from_port", Type::Number).force_new(),
            Attribute::required("to_port", Type::Number).force_new(),
            Attribute::required("protocol", Type::String)
                .normalized_with(normalize_protocol)
                .force_new(),
            Attribute::optional("cidr_blocks", string_list()).force_new(),
            Attribute::optional("ipv6_cidr_blocks", string_list()).force_new(),
            Attribute::optional("prefix_list_ids", string_list()).force_new(),
            Attribute::optional("self", Type::Bool)
                .default(false)
                .force_new(),
            Attribute::optional_computed("source_security_group_id", Type::String).force_new(),
            Attribute::optional("description", Type::String),
            Attribute::computed("security_group_rule_id", Type::String),
            Attribute::computed("id", Type::String),
        ],
        vec![],
    )
});

/// A rule as its id names it: the group, the direction and its
/// permissions (descriptions aside).
struct RuleId {
    group_id: String,
    direction: Direction,
    permissions: Vec<Permission>,
    /// The group allows itself, written as `source_security_group_id` =
    /// its own id (not `self = true`): AWS keeps both as the same rule,
    /// and the read gives back the form that was written.
    own_group_by_id: bool,
}

impl RuleId {
    fn parse(id: &str) -> Result<RuleId, ProviderError> {
        let malformed = || {
            ProviderError::new(
                ErrorKind::Validation,
                format!(
                    "malformed security group rule id {id:?}: expected \
                     <group>_<ingress|egress>_<protocol>_<from>_<to>_<source>[_<source>...], \
                     e.g. sg-1234_ingress_tcp_443_443_10.0.0.0/16"
                ),
            )
        };
        let parts: Vec<&str> = id.split('_').collect();
        let [group_id, kind, protocol, from, to, sources @ ..] = parts.as_slice() else {
            return Err(malformed());
        };
        let direction = Direction::from_type(kind).ok_or_else(malformed)?;
        let port = |p: &str| p.parse::<i32>().map_err(|_| malformed());
        let (from_port, to_port) = (port(from)?, port(to)?);
        let protocol = normalize_protocol(protocol);
        if sources.is_empty() || group_id.is_empty() {
            return Err(malformed());
        }
        let permissions = sources
            .iter()
            .map(|source| Permission {
                protocol: protocol.clone(),
                from_port,
                to_port,
                description: None,
                source: if *source == *group_id {
                    Source::OwnGroup
                } else {
                    parse_source(source)
                },
            })
            .collect();
        Ok(RuleId {
            group_id: group_id.to_string(),
            direction,
            permissions,
            own_group_by_id: sources.contains(group_id),
        })
    }

    /// The id of the rule these arguments describe (planned, or a
    /// Terraform state's attributes).
    fn of(args: &Attrs) -> Result<String, ProviderError> {
        let group_id = required_str(args, "security_group_id")?;
        let kind = required_str(args, "type")?;
        let direction = Direction::from_type(kind).ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Validation,
                format!("type must be \"ingress\" or \"egress\", not {kind:?}"),
            )
        })?;
        let permissions = expand(&as_rule_block(args), direction.block())?;
        // `expand` gives at least one permission or an error.
        let first = permissions.first().ok_or_else(|| {
            ProviderError::new(ErrorKind::Validation, "a rule needs at least one source")
        })?;
        let sources = permissions.iter().map(|p| source_text(&p.source));
        Ok(format!(
            "{group_id}_{kind}_{}_{}_{}_{}",
            first.protocol,
            first.from_port,
            first.to_port,
            sources.collect::<Vec<_>>().join("_")
        ))
    }
}

fn parse_source(text: &str) -> Source {
    if text == "self" {
        Source::OwnGroup
    } else if text.starts_with("pl-") {
        Source::PrefixList(text.to_string())
    } else if text.starts_with("sg-") || text.contains("/sg-") {
        Source::Group(text.to_string())
    } else if text.contains(':') {
        Source::Ipv6Cidr(text.to_string())
    } else {
        Source::Cidr(text.to_string())
    }
}

fn source_text(source: &Source) -> &str {
    match source {
        Source::Cidr(s) | Source::Ipv6Cidr(s) | Source::PrefixList(s) | Source::Group(s) => s,
        Source::OwnGroup => "self",
    }
}

/// The arguments in the shape of an inline rule block, which
/// [`expand`] reads: the one source group becomes `security_groups`.
fn as_rule_block(args: &Attrs) -> Attrs {
    let mut block = args.clone();
    if let Some(group) = args.str("source_security_group_id") {
        block.insert("security_groups".into(), Value::from(vec![group]));
    }
    block
}

/// Checks the sources as Terraform does, then gives the rule's
/// permissions with their description.
fn planned_permissions(planned: &Attrs) -> Result<(RuleId, BTreeSet<Permission>), ProviderError> {
    let has = |key: &str| !planned.strings(key).is_empty();
    let from_group =
        planned.str("source_security_group_id").is_some() || planned.bool("self") == Some(true);
    if from_group && (has("cidr_blocks") || has("ipv6_cidr_blocks")) {
        return Err(ProviderError::new(
            ErrorKind::Validation,
            "a rule takes CIDR blocks or a source security group (or self), not both",
        ));
    }
    let id = RuleId::of(planned)?;
    let rule = RuleId::parse(&id)?;
    let permissions = expand(&as_rule_block(planned), rule.direction.block())?
        .into_iter()
        .collect();
    Ok((rule, permissions))
}

#[async_trait]
impl ResourceType for SecurityGroupRuleType {
    fn type_name(&self) -> &'static str {
        "aws_security_group_rule"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    /// One Describe of every group named, and one DescribeSecurityGroupRules
    /// for the rule ids. A rule none of whose sources the group still has
    /// is gone; one that lost some of them reads with what is left, so the
    /// plan replaces it.
    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let rules: Vec<(&String, RuleId)> = ids
            .iter()
            .map(|id| RuleId::parse(id).map(|rule| (id, rule)))
            .collect::<Result<_, _>>()?;
        let group_ids: BTreeSet<String> = rules.iter().map(|(_, r)| r.group_id.clone()).collect();
        let group_ids: Vec<String> = group_ids.into_iter().collect();
        let groups = describe_security_groups(aws, &group_ids).await?;
        let rule_ids = rule_ids_of_groups(aws, &group_ids).await?;
        let mut out = BTreeMap::new();
        for (id, rule) in rules {
            let Some(group) = groups.iter().find(|g| g.group_id() == Some(&rule.group_id)) else {
                continue;
            };
            let owner_id = group.owner_id().unwrap_or_default();
            let permissions = match rule.direction {
                Direction::Ingress => group.ip_permissions(),
                Direction::Egress => group.ip_permissions_egress(),
            };
            let held = gather(permissions, &rule.group_id, owner_id);
            let found: Vec<&Permission> = rule
                .permissions
                .iter()
                .filter_map(|wanted| held.iter().find(|p| same_rule(p, wanted)))
                .collect();
            let Some(first) = found.first() else {
                continue;
            };
            let list_of = |pick: fn(&Source) -> Option<&String>| {
                let items: Vec<&str> = found
                    .iter()
                    .filter_map(|p| pick(&p.source))
                    .map(String::as_str)
                    .collect();
                if items.is_empty() {
                    Value::Null
                } else {
                    Value::from(items)
                }
            };
            let source_group = found.iter().find_map(|p| match &p.source {
                Source::Group(g) => Some(g.as_str()),
                _ => None,
            });
            let rule_id = match found.as_slice() {
                [only] => rule_ids.get(&(
                    rule.group_id.clone(),
                    rule.direction.is_egress(),
                    (*only).clone(),
                )),
                _ => None,
            };
            out.insert(
                id.clone(),
                attrs([
                    ("id", Value::string(id)),
                    ("type", Value::string(rule.direction.block())),
                    ("security_group_id", Value::string(&rule.group_id)),
                    ("protocol", Value::string(&first.protocol)),
                    ("from_port", Value::from(first.from_port)),
                    ("to_port", Value::from(first.to_port)),
                    (
                        "cidr_blocks",
                        list_of(|s| match s {
                            Source::Cidr(c) => Some(c),
                            _ => None,
                        }),
                    ),
                    (
                        "ipv6_cidr_blocks",
                        list_of(|s| match s {
                            Source::Ipv6Cidr(c) => Some(c),
                            _ => None,
                        }),
                    ),
                    (
                        "prefix_list_ids",
                        list_of(|s| match s {
                            Source::PrefixList(c) => Some(c),
                            _ => None,
                        }),
                    ),
                    (
                        "self",
                        Value::Bool(
                            !rule.own_group_by_id
                                && found.iter().any(|p| p.source == Source::OwnGroup),
                        ),
                    ),
                    (
                        "source_security_group_id",
                        Value::from(source_group.or_else(|| {
                            let own = found.iter().any(|p| p.source == Source::OwnGroup);
                            (rule.own_group_by_id && own).then_some(rule.group_id.as_str())
                        })),
                    ),
                    ("description", Value::from(first.description.as_deref())),
                    (
                        "security_group_rule_id",
                        Value::from(rule_id.map(String::as_str)),
                    ),
                ]),
            );
        }
        Ok(out)
    }

    /// Rules carry no tags: the same rule in the same group is the one an
    /// interrupted create made.
    async fn find_created(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<Found, ProviderError> {
        let id = RuleId::of(req.planned)?;
        let found = self.read_many(aws, std::slice::from_ref(&id)).await?;
        Ok(if found.contains_key(&id) {
            Found::Ours(id)
        } else {
            Found::Nothing
        })
    }

    async fn create(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<String, ProviderError> {
        let (rule, permissions) = planned_permissions(req.planned)?;
        sync_rules(
            aws,
            &rule.group_id,
            rule.direction,
            &BTreeSet::new(),
            &permissions,
        )
        .await?;
        RuleId::of(req.planned)
    }

    /// Only the description changes in place.
    async fn update(
        &self,
        aws: &AwsContext,
        _prior: &Attrs,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        let (rule, permissions) = planned_permissions(planned)?;
        update_descriptions(aws, &rule.group_id, rule.direction, &permissions).await
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let rule = RuleId::parse(prior_id(prior)?)?;
        let permissions = rule
            .permissions
            .iter()
            .map(|p| super::security_group_rules::ip_permission(p, &rule.group_id))
            .collect();
        revoke(aws, &rule.group_id, rule.direction, Some(permissions), None).await
    }

    fn id_from_terraform(&self, terraform_id: &str, attributes: &Attrs) -> String {
        RuleId::of(attributes).unwrap_or_else(|_| terraform_id.to_string())
    }
}

/// The same rule, whatever its description.
fn same_rule(a: &Permission, b: &Permission) -> bool {
    (&a.protocol, a.from_port, a.to_port, &a.source)
        == (&b.protocol, b.from_port, b.to_port, &b.source)
}

/// Each single-source rule's id (`sgr-…`) in these groups, keyed by (group,
/// is egress, permission without description).
async fn rule_ids_of_groups(
    aws: &AwsContext,
    group_ids: &[String],
) -> Result<BTreeMap<(String, bool, Permission), String>, ProviderError> {
    if group_ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    let rules: Vec<_> = aws
        .ec2()
        .describe_security_group_rules()
        .filters(filter("group-id", group_ids.iter().cloned()))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(sdk_error)?;
    let mut out = BTreeMap::new();
    for rule in rules {
        let (Some(group), Some(rule_id)) = (rule.group_id(), rule.security_group_rule_id()) else {
            continue;
        };
        let protocol = normalize_protocol(rule.ip_protocol().unwrap_or_default());
        let (from_port, to_port) = if protocol == "-1" {
            (0, 0)
        } else {
            (rule.from_port().unwrap_or(0), rule.to_port().unwrap_or(0))
        };
        let referenced = rule.referenced_group_info().and_then(|r| r.group_id());
        let source = if let Some(cidr) = rule.cidr_ipv4() {
            Source::Cidr(cidr.to_string())
        } else if let Some(cidr) = rule.cidr_ipv6() {
            Source::Ipv6Cidr(cidr.to_string())
        } else if let Some(list) = rule.prefix_list_id() {
            Source::PrefixList(list.to_string())
        } else if referenced == Some(group) {
            Source::OwnGroup
        } else if let Some(other) = referenced {
            Source::Group(other.to_string())
        } else {
            continue;
        };
        let permission = Permission {
            protocol,
            from_port,
            to_port,
            description: None,
            source,
        };
        out.insert(
            (
                group.to_string(),
                rule.is_egress().unwrap_or(false),
                permission,
            ),
            rule_id.to_string(),
        );
    }
    Ok(out)
}
