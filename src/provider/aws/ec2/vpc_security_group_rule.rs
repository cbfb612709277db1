//! `aws_vpc_security_group_ingress_rule` and
//! `aws_vpc_security_group_egress_rule`: one rule of one source, an object
//! of its own in AWS (`sgr-…`, with tags), as Terraform now recommends over
//! `aws_security_group_rule`. The two types differ only in direction, so
//! they share this file, as the provider's own implementation does.
//!
//! Holds only the schema and the EC2 calls. Everything but the group
//! changes in place (ModifySecurityGroupRules); the id is the rule id.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    IpPermission, IpRange, Ipv6Range, PrefixListId, ReferencedSecurityGroup,
    ResourceType as Ec2ResourceType, SecurityGroupRule, SecurityGroupRuleRequest,
    SecurityGroupRuleUpdate, UserIdGroupPair,
};

use super::security_group_rules::{Direction, normalize_protocol, revoke};
use super::{describe_paginated, ec2_arn};
use crate::provider::aws::convert::{i32_arg, keyed_by_id, prior_id, required_str};
use crate::provider::aws::{
    AwsContext, ec2_find_tagged, ec2_tag_specification, ec2_tags_to_value, ec2_update_tags,
    id_from_answer, sdk_error,
};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{CreateRequest, ErrorKind, Found, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value, attrs};

/// One of the two types: the rule's direction is the type.
pub struct VpcSecurityGroupRule(Direction);

pub const INGRESS: VpcSecurityGroupRule = VpcSecurityGroupRule(Direction::Ingress);
pub const EGRESS: VpcSecurityGroupRule = VpcSecurityGroupRule(Direction::Egress);

/// The arguments naming where traffic comes from (or goes to): exactly one.
const SOURCES: [&str; 4] = [
    "cidr_ipv4",
    "cidr_ipv6",
    "prefix_list_id",
    "referenced_security_group_id",
];

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::with_tags(
        vec![
            Attribute::required("security_group_id", Type::String).force_new(),
            Attribute::required("ip_protocol", Type::String).normalized_with(normalize_protocol),
            Attribute::optional("from_port", Type::Number),
            Attribute::optional("to_port", Type::Number),
            Attribute::optional("cidr_ipv4", Type::String),
            Attribute::optional("cidr_ipv6", Type::String),
            Attribute::optional("prefix_list_id", Type::String),
            Attribute::optional("referenced_security_group_id", Type::String),
            Attribute::optional("description", Type::String),
            Attribute::computed("security_group_rule_id", Type::String),
            Attribute::computed("arn", Type::String),
            Attribute::computed("id", Type::String),
        ],
        vec![],
    )
});

/// The planned rule's ports: none for all traffic (AWS stores -1), both
/// otherwise (for ICMP, the type and code).
fn ports(planned: &Attrs, protocol: &str) -> Result<Option<(i32, i32)>, ProviderError> {
    let (from, to) = (i32_arg(planned, "from_port"), i32_arg(planned, "to_port"));
    match (protocol, from, to) {
        ("-1", None, None) => Ok(None),
        ("-1", _, _) => Err(validation(
            "from_port and to_port must be left out with ip_protocol \"-1\" (all traffic)",
        )),
        (_, Some(from), Some(to)) => Ok(Some((from, to))),
        _ => Err(validation(format!(
            "from_port and to_port are required with ip_protocol {protocol:?}"
        ))),
    }
}

fn validation(message: impl Into<String>) -> ProviderError {
    ProviderError::new(ErrorKind::Validation, message)
}

/// The one source the rule names.
fn source(planned: &Attrs) -> Result<(&'static str, &str), ProviderError> {
    let given: Vec<(&'static str, &str)> = SOURCES
        .iter()
        .filter_map(|key| planned.str(key).map(|v| (*key, v)))
        .collect();
    match given.as_slice() {
        [one] => Ok(*one),
        _ => Err(validation(format!(
            "exactly one of {} must be set",
            SOURCES.join(", ")
        ))),
    }
}

/// The rule as AuthorizeSecurityGroup{Ingress,Egress} takes it.
fn ip_permission(planned: &Attrs) -> Result<IpPermission, ProviderError> {
    let protocol = normalize_protocol(required_str(planned, "ip_protocol")?);
    let description = planned.str("description").map(str::to_string);
    let mut builder = IpPermission::builder().ip_protocol(&protocol);
    if let Some((from, to)) = ports(planned, &protocol)? {
        builder = builder.from_port(from).to_port(to);
    }
    builder = match source(planned)? {
        ("cidr_ipv4", cidr) => builder.ip_ranges(
            IpRange::builder()
                .cidr_ip(cidr)
                .set_description(description)
                .build(),
        ),
        ("cidr_ipv6", cidr) => builder.ipv6_ranges(
            Ipv6Range::builder()
                .cidr_ipv6(cidr)
                .set_description(description)
                .build(),
        ),
        ("prefix_list_id", id) => builder.prefix_list_ids(
            PrefixListId::builder()
                .prefix_list_id(id)
                .set_description(description)
                .build(),
        ),
        (_, group) => {
            let (owner, group) = match group.split_once('/') {
                Some((owner, group)) => (Some(owner.to_string()), group),
                None => (None, group),
            };
            builder.user_id_group_pairs(
                UserIdGroupPair::builder()
                    .group_id(group)
                    .set_user_id(owner)
                    .set_description(description)
                    .build(),
            )
        }
    };
    Ok(builder.build())
}

/// The rule as ModifySecurityGroupRules takes it.
fn rule_request(planned: &Attrs) -> Result<SecurityGroupRuleRequest, ProviderError> {
    let protocol = normalize_protocol(required_str(planned, "ip_protocol")?);
    let (from, to) = ports(planned, &protocol)?.unwrap_or((-1, -1));
    let (key, value) = source(planned)?;
    let value = Some(value.to_string());
    let request = SecurityGroupRuleRequest::builder()
        .ip_protocol(protocol)
        .from_port(from)
        .to_port(to)
        .set_description(planned.str("description").map(str::to_string));
    Ok(match key {
        "cidr_ipv4" => request.set_cidr_ipv4(value),
        "cidr_ipv6" => request.set_cidr_ipv6(value),
        "prefix_list_id" => request.set_prefix_list_id(value),
        _ => request.set_referenced_group_id(value),
    }
    .build())
}

fn read(aws: &AwsContext, rule: &SecurityGroupRule, id: &str) -> Attrs {
    let protocol = normalize_protocol(rule.ip_protocol().unwrap_or_default());
    let port = |p: Option<i32>| {
        if protocol == "-1" {
            Value::Null
        } else {
            Value::from(p)
        }
    };
    let owner = rule.group_owner_id().unwrap_or_default();
    let referenced = rule
        .referenced_group_info()
        .map(|r: &ReferencedSecurityGroup| match r.user_id() {
            Some(user) if !user.is_empty() && user != owner => {
                format!("{user}/{}", r.group_id().unwrap_or_default())
            }
            _ => r.group_id().unwrap_or_default().to_string(),
        });
    attrs([
        ("id", Value::string(id)),
        ("security_group_rule_id", Value::string(id)),
        (
            "arn",
            Value::string(ec2_arn(aws, owner, &format!("security-group-rule/{id}"))),
        ),
        ("security_group_id", Value::from(rule.group_id())),
        ("ip_protocol", Value::string(&protocol)),
        ("from_port", port(rule.from_port())),
        ("to_port", port(rule.to_port())),
        ("cidr_ipv4", Value::from(rule.cidr_ipv4())),
        ("cidr_ipv6", Value::from(rule.cidr_ipv6())),
        ("prefix_list_id", Value::from(rule.prefix_list_id())),
        ("referenced_security_group_id", Value::from(referenced)),
        (
            "description",
            Value::from(rule.description().filter(|d| !d.is_empty())),
        ),
        ("tags_all", ec2_tags_to_value(rule.tags())),
    ])
}

#[async_trait]
impl ResourceType for VpcSecurityGroupRule {
    fn type_name(&self) -> &'static str {
        match self.0 {
            Direction::Ingress => "aws_vpc_security_group_ingress_rule",
            Direction::Egress => "aws_vpc_security_group_egress_rule",
        }
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    /// One DescribeSecurityGroupRules for all ids; a rule of the other
    /// direction is not one of this type's.
    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let rules = describe_paginated!(
            ids,
            "security-group-rule-id",
            aws.ec2().describe_security_group_rules()
        )
        .await?;
        let ours = rules
            .iter()
            .filter(|r| r.is_egress().unwrap_or(false) == self.0.is_egress());
        Ok(keyed_by_id(
            ours,
            SecurityGroupRule::security_group_rule_id,
            |rule, id| read(aws, rule, id),
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
        let group_id = required_str(planned, "security_group_id")?;
        let permission = ip_permission(planned)?;
        let tags = ec2_tag_specification(aws, req, Ec2ResourceType::SecurityGroupRule);
        let created = match self.0 {
            Direction::Ingress => aws
                .ec2()
                .authorize_security_group_ingress()
                .group_id(group_id)
                .ip_permissions(permission)
                .tag_specifications(tags)
                .send()
                .await
                .map_err(sdk_error)?
                .security_group_rules
                .unwrap_or_default(),
            Direction::Egress => aws
                .ec2()
                .authorize_security_group_egress()
                .group_id(group_id)
                .ip_permissions(permission)
                .tag_specifications(tags)
                .send()
                .await
                .map_err(sdk_error)?
                .security_group_rules
                .unwrap_or_default(),
        };
        id_from_answer(
            created
                .first()
                .and_then(SecurityGroupRule::security_group_rule_id),
            "AuthorizeSecurityGroup answered with no rule id",
        )
    }

    async fn update(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        let id = prior_id(prior)?;
        let rule_changed = SCHEMA
            .attributes
            .iter()
            .filter(|a| a.user_settable() && a.name != "tags")
            .any(|a| prior.get(a.name) != planned.get(a.name));
        if rule_changed {
            aws.ec2()
                .modify_security_group_rules()
                .group_id(required_str(planned, "security_group_id")?)
                .security_group_rules(
                    SecurityGroupRuleUpdate::builder()
                        .security_group_rule_id(id)
                        .security_group_rule(rule_request(planned)?)
                        .build(),
                )
                .send()
                .await
                .map_err(sdk_error)?;
        }
        ec2_update_tags(aws, id, prior, planned).await
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let id = prior_id(prior)?;
        let group_id = required_str(prior, "security_group_id")?;
        revoke(aws, group_id, self.0, None, Some(vec![id.to_string()])).await
    }
}
