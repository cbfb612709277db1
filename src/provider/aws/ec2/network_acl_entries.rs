//! Network ACL entries as both `aws_network_acl`'s inline blocks and
//! `aws_network_acl_rule` describe them, and the EC2 calls that make and
//! remove one. No resource logic lives here.
//!
//! An entry is named by its ACL, rule number and direction. Protocols are
//! kept as the number AWS reports (`-1` for all), the form Terraform
//! stores; a name written in the stack (`tcp`) compares equal to it.

use aws_sdk_ec2::types::{IcmpTypeCode, NetworkAcl, NetworkAclEntry, PortRange, RuleAction};

use crate::provider::aws::batch::describe_skipping_missing;
use crate::provider::aws::{AwsContext, ok_if_already_gone, sdk_error};
use crate::provider::{ErrorKind, ProviderError};
use crate::value::{Attrs, AttrsExt, Value, attrs};

/// The rule numbers of the deny-all entries AWS gives every ACL (IPv4, and
/// IPv6 in a VPC with IPv6); not configurable, so never listed.
const DEFAULT_RULE_NUMBER: i32 = 32767;
const DEFAULT_IPV6_RULE_NUMBER: i32 = 32768;

/// ACL ids per DescribeNetworkAcls call.
const IDS_PER_CALL: usize = 200;

/// One entry, in the form AWS reports and takes it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Entry {
    pub rule_number: i32,
    pub egress: bool,
    /// As [`normalize_protocol`] leaves it.
    pub protocol: String,
    /// `allow` or `deny`.
    pub action: String,
    pub cidr_block: Option<String>,
    pub ipv6_cidr_block: Option<String>,
    pub from_port: i32,
    pub to_port: i32,
    pub icmp_type: i32,
    pub icmp_code: i32,
}

/// The protocol as its number, as AWS reports it and Terraform stores it:
/// `-1` for all, `6` for `tcp`. Numbers and unknown names are kept.
pub(super) fn normalize_protocol(protocol: &str) -> String {
    let lower = protocol.trim().to_ascii_lowercase();
    let number = match lower.as_str() {
        "all" => "-1",
        "icmp" => "1",
        "tcp" => "6",
        "udp" => "17",
        "gre" => "47",
        "esp" => "50",
        "ah" => "51",
        "icmpv6" => "58",
        _ => return lower,
    };
    number.to_string()
}

/// An entry's action as AWS reports it (`allow`, `deny`), whatever the
/// case it is written in, as Terraform compares it.
pub(super) fn normalize_action(action: &str) -> String {
    action.to_ascii_lowercase()
}

impl Entry {
    /// Every configurable entry of an ACL.
    pub fn all_of(acl: &NetworkAcl) -> Vec<Entry> {
        acl.entries()
            .iter()
            .filter(|e| {
                let number = e.rule_number();
                number != Some(DEFAULT_RULE_NUMBER) && number != Some(DEFAULT_IPV6_RULE_NUMBER)
            })
            .map(Entry::from_aws)
            .collect()
    }

    fn from_aws(entry: &NetworkAclEntry) -> Entry {
        let ports = entry.port_range();
        let icmp = entry.icmp_type_code();
        Entry {
            rule_number: entry.rule_number().unwrap_or_default(),
            egress: entry.egress().unwrap_or_default(),
            protocol: normalize_protocol(entry.protocol().unwrap_or("-1")),
            action: entry
                .rule_action()
                .map_or("allow", RuleAction::as_str)
                .to_string(),
            cidr_block: entry.cidr_block().map(str::to_string),
            ipv6_cidr_block: entry.ipv6_cidr_block().map(str::to_string),
            from_port: ports.and_then(PortRange::from).unwrap_or_default(),
            to_port: ports.and_then(PortRange::to).unwrap_or_default(),
            icmp_type: icmp.and_then(IcmpTypeCode::r#type).unwrap_or_default(),
            icmp_code: icmp.and_then(IcmpTypeCode::code).unwrap_or_default(),
        }
    }

    /// An entry from arguments named `number_key`, `action_key` and the
    /// names both forms share; checked as AWS would, before any call.
    fn from_arguments(
        attrs: &Attrs,
        egress: bool,
        number_key: &str,
        action_key: &str,
    ) -> Result<Entry, ProviderError> {
        let number = |key: &str| attrs.i64(key).unwrap_or_default() as i32;
        let text = |key: &str| attrs.str(key).filter(|s| !s.is_empty()).map(str::to_string);
        let entry = Entry {
            rule_number: number(number_key),
            egress,
            protocol: normalize_protocol(attrs.str("protocol").unwrap_or_default()),
            action: attrs
                .str(action_key)
                .unwrap_or_default()
                .to_ascii_lowercase(),
            cidr_block: text("cidr_block"),
            ipv6_cidr_block: text("ipv6_cidr_block"),
            from_port: number("from_port"),
            to_port: number("to_port"),
            icmp_type: number("icmp_type"),
            icmp_code: number("icmp_code"),
        };
        let invalid = |message: String| Err(ProviderError::new(ErrorKind::Validation, message));
        if entry.cidr_block.is_some() == entry.ipv6_cidr_block.is_some() {
            return invalid(format!(
                "network ACL rule {}: exactly one of cidr_block or ipv6_cidr_block must be set",
                entry.rule_number
            ));
        }
        if !(1..DEFAULT_RULE_NUMBER).contains(&entry.rule_number) {
            return invalid(format!(
                "network ACL rule number {} must be between 1 and 32766",
                entry.rule_number
            ));
        }
        if entry.action != "allow" && entry.action != "deny" {
            return invalid(format!(
                "network ACL rule {}: action must be \"allow\" or \"deny\", not {:?}",
                entry.rule_number, entry.action
            ));
        }
        Ok(entry)
    }

    /// From an `ingress` or `egress` block of `aws_network_acl`.
    pub fn from_inline(block: &Attrs, egress: bool) -> Result<Entry, ProviderError> {
        Entry::from_arguments(block, egress, "rule_no", "action")
    }

    /// From the arguments of an `aws_network_acl_rule`.
    pub fn from_rule(rule: &Attrs) -> Result<Entry, ProviderError> {
        let egress = rule.bool("egress").unwrap_or(false);
        Entry::from_arguments(rule, egress, "rule_number", "rule_action")
    }

    /// The entry as an `ingress` or `egress` block of `aws_network_acl`.
    pub fn inline_block(&self) -> Attrs {
        let mut block = self.shared_arguments();
        block.insert("rule_no".into(), Value::from(i64::from(self.rule_number)));
        block.insert("action".into(), Value::string(&self.action));
        block
    }

    /// The entry as the arguments of an `aws_network_acl_rule`.
    pub fn rule_arguments(&self) -> Attrs {
        let mut rule = self.shared_arguments();
        rule.insert(
            "rule_number".into(),
            Value::from(i64::from(self.rule_number)),
        );
        rule.insert("rule_action".into(), Value::string(&self.action));
        rule.insert("egress".into(), Value::Bool(self.egress));
        rule
    }

    fn shared_arguments(&self) -> Attrs {
        attrs([
            ("protocol", Value::string(&self.protocol)),
            ("cidr_block", Value::from(self.cidr_block.as_deref())),
            (
                "ipv6_cidr_block",
                Value::from(self.ipv6_cidr_block.as_deref()),
            ),
            ("from_port", Value::from(i64::from(self.from_port))),
            ("to_port", Value::from(i64::from(self.to_port))),
            ("icmp_type", Value::from(i64::from(self.icmp_type))),
            ("icmp_code", Value::from(i64::from(self.icmp_code))),
        ])
    }

    fn is_icmp(&self) -> bool {
        self.protocol == "1" || self.protocol == "58"
    }
}

/// DescribeNetworkAcls of these ids (missing ones are left out). By id
/// rather than the `network-acl-id` filter, which the emulator lacks.
pub(super) async fn describe_network_acls(
    aws: &AwsContext,
    ids: &[String],
) -> Result<Vec<NetworkAcl>, ProviderError> {
    describe_skipping_missing(ids, IDS_PER_CALL, |chunk| async move {
        aws.ec2()
            .describe_network_acls()
            .set_network_acl_ids(Some(chunk))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(sdk_error)
    })
    .await
}

/// CreateNetworkAclEntry, with ports always and the ICMP type and code for
/// the ICMP protocols, as Terraform sends them.
pub(super) async fn create_entry(
    aws: &AwsContext,
    acl_id: &str,
    entry: &Entry,
) -> Result<(), ProviderError> {
    let icmp = entry.is_icmp().then(|| {
        IcmpTypeCode::builder()
            .r#type(entry.icmp_type)
            .code(entry.icmp_code)
            .build()
    });
    aws.ec2()
        .create_network_acl_entry()
        .network_acl_id(acl_id)
        .rule_number(entry.rule_number)
        .egress(entry.egress)
        .protocol(&entry.protocol)
        .rule_action(RuleAction::from(entry.action.as_str()))
        .set_cidr_block(entry.cidr_block.clone())
        .set_ipv6_cidr_block(entry.ipv6_cidr_block.clone())
        .port_range(
            PortRange::builder()
                .from(entry.from_port)
                .to(entry.to_port)
                .build(),
        )
        .set_icmp_type_code(icmp)
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(())
}

/// DeleteNetworkAclEntry; an entry already gone is success.
pub(super) async fn delete_entry(
    aws: &AwsContext,
    acl_id: &str,
    rule_number: i32,
    egress: bool,
) -> Result<(), ProviderError> {
    ok_if_already_gone(
        aws.ec2()
            .delete_network_acl_entry()
            .network_acl_id(acl_id)
            .rule_number(rule_number)
            .egress(egress)
            .send()
            .await,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocols_normalise_to_their_numbers() {
        assert_eq!(normalize_protocol("tcp"), "6");
        assert_eq!(normalize_protocol("TCP"), "6");
        assert_eq!(normalize_protocol("all"), "-1");
        assert_eq!(normalize_protocol("-1"), "-1");
        assert_eq!(normalize_protocol("icmpv6"), "58");
        assert_eq!(normalize_protocol("17"), "17");
    }

    #[test]
    fn an_entry_needs_exactly_one_cidr_block_and_a_valid_number() {
        let block = |cidr: Option<&str>, number: i64| {
            let mut block = attrs([
                ("rule_no", Value::from(number)),
                ("action", Value::string("allow")),
                ("protocol", Value::string("tcp")),
                ("from_port", Value::from(443)),
                ("to_port", Value::from(443)),
            ]);
            if let Some(cidr) = cidr {
                block.insert("cidr_block".into(), Value::string(cidr));
            }
            block
        };
        let entry = Entry::from_inline(&block(Some("10.0.0.0/8"), 100), false).expect("valid");
        assert_eq!(entry.protocol, "6");
        assert_eq!(entry.inline_block()["rule_no"], Value::from(100));
        let missing = Entry::from_inline(&block(None, 100), false).unwrap_err();
        assert!(missing.message.contains("exactly one of cidr_block"));
        let reserved = Entry::from_inline(&block(Some("10.0.0.0/8"), 32767), false).unwrap_err();
        assert!(reserved.message.contains("between 1 and 32766"));
    }
}
