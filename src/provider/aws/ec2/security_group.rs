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
use aws_sdk_ec2::types::{ResourceType as Ec2ResourceType, SecurityGroup};

use super::security_group_rules::{
    Direction, Permission, Source, describe_security_groups, expand_blocks, gather,
    normalize_protocol, revoke, sync_rules,
};
use super::{ec2_arn, filter, wait_for_shared};
use crate::provider::aws::convert::{keyed_by_id, prior_id, string_set_or_null};
use crate::provider::aws::names::{name_for_create, prefix_from_name};
use crate::provider::aws::{
    AwsContext, Timeouts, ec2_find_tagged, ec2_tag_specification, ec2_tags_to_value,
    ec2_update_tags, id_from_answer, ok_if_already_gone, sdk_error,
};
use crate::provider::schema::{Attribute, Block, Schema, Type};
use crate::provider::{CreateRequest, Found, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value, attrs};

pub struct SecurityGroupType;

/// Terraform's defaults for a security group; its delete timeout bounds
/// the engine's retries while the group is still in use.
const DEFAULT_TIMEOUTS: Timeouts = Timeouts {
    create: Duration::from_secs(10 * 60),
    update: Duration::from_secs(10 * 60),
    delete: Duration::from_secs(15 * 60),
};

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
            // Both as in Terraform: left out, the rules AWS has are kept
            // (so `aws_security_group_rule` resources can add their own);
            // `ingress = []` removes them all.
            Block::set("ingress", rule.clone())
                .computed_when_absent()
                .with_attribute_syntax(),
            Block::set("egress", rule)
                .computed_when_absent()
                .with_attribute_syntax(),
            Timeouts::block(&["create", "delete"]),
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

        let group = wait_for_shared(
            aws,
            &format!("security group {id} to exist"),
            Timeouts::from_attrs(planned, DEFAULT_TIMEOUTS).create,
            "DescribeSecurityGroups",
            &id,
            |ids| async move { describe_security_groups(aws, &ids).await },
            SecurityGroup::group_id,
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
            Value::Map(
                attrs([
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
                ])
                .into(),
            )
        })
        .collect::<Vec<_>>();
    Value::List(blocks.into()).into_set()
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
    use super::super::security_group_rules::{expand, ip_permission};
    use super::*;
    use aws_sdk_ec2::types::IpPermission;

    fn rule(pairs: Vec<(&str, Value)>) -> Attrs {
        pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
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
