//! `aws_network_acl_rule`: one entry added to a network ACL that does not
//! list its entries inline.
//!
//! The id is Terraform's import id, which names the entry whole:
//! `<acl>:<rule number>:<protocol>:<egress>`. Terraform's own stored id
//! (`nacl-<hash>`) cannot be read back, so a migrated rule gets its id from
//! its attributes. Every argument makes a new entry, as in Terraform.
//! Ports and ICMP codes left out are 0, as Terraform stores them (and as
//! AWS reports an entry without them).
//! Entries have no tags: what an interrupted create made is the same entry
//! in the same ACL, and that is adopted.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use super::network_acl_entries::{
    Entry, create_entry, delete_entry, describe_network_acls, normalize_action, normalize_protocol,
};
use crate::provider::aws::AwsContext;
use crate::provider::aws::convert::{prior_id, required_str};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{CreateRequest, ErrorKind, Found, ProviderError, ResourceType};
use crate::value::{Attrs, Value};
use async_trait::async_trait;

pub struct NetworkAclRuleType;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        vec![
            Attribute::required("network_acl_id", Type::String).force_new(),
            Attribute::required("rule_number", Type::Number).force_new(),
            Attribute::optional("egress", Type::Bool)
                .default(false)
                .force_new(),
            Attribute::required("protocol", Type::String)
                .normalized_with(normalize_protocol)
                .force_new(),
            Attribute::required("rule_action", Type::String)
                .normalized_with(normalize_action)
                .force_new(),
            Attribute::optional("cidr_block", Type::String).force_new(),
            Attribute::optional("ipv6_cidr_block", Type::String).force_new(),
            Attribute::optional("from_port", Type::Number)
                .default(0)
                .force_new(),
            Attribute::optional("to_port", Type::Number)
                .default(0)
                .force_new(),
            Attribute::optional("icmp_type", Type::Number)
                .default(0)
                .force_new(),
            Attribute::optional("icmp_code", Type::Number)
                .default(0)
                .force_new(),
            Attribute::computed("id", Type::String),
        ],
        vec![],
    )
});

/// What an id names: the ACL, the rule number and the direction (the
/// protocol in it is informational).
fn parse_id(id: &str) -> Option<(&str, i32, bool)> {
    let mut parts = id.split(':');
    let (acl, number, _protocol, egress) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    Some((acl, number.parse().ok()?, egress.parse().ok()?))
}

fn id_of(acl: &str, entry: &Entry) -> String {
    format!(
        "{acl}:{}:{}:{}",
        entry.rule_number, entry.protocol, entry.egress
    )
}

#[async_trait]
impl ResourceType for NetworkAclRuleType {
    fn type_name(&self) -> &'static str {
        "aws_network_acl_rule"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    /// One DescribeNetworkAcls for the ACLs of all the ids.
    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let mut acl_ids: Vec<String> = ids
            .iter()
            .filter_map(|id| parse_id(id).map(|(acl, ..)| acl.to_string()))
            .collect();
        acl_ids.sort();
        acl_ids.dedup();
        let acls = describe_network_acls(aws, &acl_ids).await?;
        let mut found = BTreeMap::new();
        for id in ids {
            let Some((acl_id, number, egress)) = parse_id(id) else {
                continue;
            };
            let entry = acls
                .iter()
                .filter(|acl| acl.network_acl_id() == Some(acl_id))
                .flat_map(Entry::all_of)
                .find(|e| e.rule_number == number && e.egress == egress);
            if let Some(entry) = entry {
                let mut attrs = entry.rule_arguments();
                attrs.insert("id".into(), Value::string(id));
                attrs.insert("network_acl_id".into(), Value::string(acl_id));
                found.insert(id.clone(), attrs);
            }
        }
        Ok(found)
    }

    async fn find_created(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<Found, ProviderError> {
        let acl_id = required_str(req.planned, "network_acl_id")?;
        let wanted = Entry::from_rule(req.planned)?;
        let acls = describe_network_acls(aws, &[acl_id.to_string()]).await?;
        let existing = acls
            .iter()
            .flat_map(Entry::all_of)
            .find(|e| e.rule_number == wanted.rule_number && e.egress == wanted.egress);
        Ok(match existing {
            Some(entry) if entry == wanted => Found::Ours(id_of(acl_id, &wanted)),
            Some(entry) => Found::Foreign(id_of(acl_id, &entry)),
            None => Found::Nothing,
        })
    }

    async fn create(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<String, ProviderError> {
        let acl_id = required_str(req.planned, "network_acl_id")?;
        let entry = Entry::from_rule(req.planned)?;
        create_entry(aws, acl_id, &entry).await?;
        Ok(id_of(acl_id, &entry))
    }

    async fn update(
        &self,
        _aws: &AwsContext,
        _prior: &Attrs,
        _planned: &Attrs,
    ) -> Result<(), ProviderError> {
        // Every argument forces a new entry: nothing changes in place.
        Ok(())
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let id = prior_id(prior)?;
        let (acl_id, number, egress) = parse_id(id).ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Validation,
                format!(
                    "{id:?} is not a network ACL rule id (<acl>:<rule number>:<protocol>:<egress>)"
                ),
            )
        })?;
        delete_entry(aws, acl_id, number, egress).await
    }

    fn id_from_terraform(&self, terraform_id: &str, attributes: &Attrs) -> String {
        let acl = attributes.get("network_acl_id").and_then(Value::as_str);
        match (acl, Entry::from_rule(attributes)) {
            (Some(acl), Ok(entry)) => id_of(acl, &entry),
            _ => terraform_id.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_name_the_acl_number_and_direction() {
        assert_eq!(parse_id("acl-1:100:tcp:false"), Some(("acl-1", 100, false)));
        assert_eq!(parse_id("acl-1:200:-1:true"), Some(("acl-1", 200, true)));
        assert_eq!(parse_id("nacl-12345"), None);
        assert_eq!(parse_id("acl-1:x:6:false"), None);
    }
}
