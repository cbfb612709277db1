//! `aws_network_acl`: a VPC's network ACL, with inline `ingress` and
//! `egress` entries and the subnets it guards.
//!
//! Holds only the schema and the EC2 calls; the entry translation is shared
//! with `aws_network_acl_rule` (`network_acl_entries`). Entries compare as a
//! set, with the protocol as the number AWS reports (`tcp` is `6`), so an
//! update deletes and creates only what changed. A subnet is always guarded
//! by some ACL: one taken off this ACL (or every subnet, on delete) goes
//! back to its VPC's default ACL, as in Terraform.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{NetworkAcl, ResourceType as Ec2ResourceType};

use super::network_acl_entries::{
    Entry, create_entry, delete_entry, describe_network_acls, normalize_action, normalize_protocol,
};
use super::{describe_paginated, ec2_arn, filter, wait_for_object};
use crate::provider::aws::convert::{keyed_by_id, prior_id, string_set};
use crate::provider::aws::{
    AwsContext, ec2_find_tagged, ec2_tag_specification, ec2_tags_to_value, ec2_update_tags,
    id_from_answer, ok_if_already_gone, sdk_error,
};
use crate::provider::schema::{Attribute, Block, Schema, Type};
use crate::provider::{CreateRequest, ErrorKind, Found, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value, attrs};

pub struct NetworkAclType;

/// How long a new ACL may take to become readable.
const CREATE_TIMEOUT: Duration = Duration::from_secs(5 * 60);

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let rule = Schema::new(
        vec![
            Attribute::required("rule_no", Type::Number),
            Attribute::required("action", Type::String).normalized_with(normalize_action),
            Attribute::required("protocol", Type::String).normalized_with(normalize_protocol),
            Attribute::required("from_port", Type::Number),
            Attribute::required("to_port", Type::Number),
            Attribute::optional("cidr_block", Type::String),
            Attribute::optional("ipv6_cidr_block", Type::String),
            Attribute::optional("icmp_type", Type::Number).default(0),
            Attribute::optional("icmp_code", Type::Number).default(0),
        ],
        vec![],
    );
    let attributes = vec![
        Attribute::required("vpc_id", Type::String).force_new(),
        Attribute::optional_computed("subnet_ids", Type::set_of(Type::String)),
        Attribute::computed("id", Type::String),
        Attribute::computed("arn", Type::String),
        Attribute::computed("owner_id", Type::String),
    ];
    Schema::with_tags(
        attributes,
        vec![
            // As in Terraform: left out, the entries AWS has are kept (so
            // `aws_network_acl_rule` resources can add their own);
            // `ingress = []` removes them all.
            Block::set("ingress", rule.clone())
                .computed_when_absent()
                .with_attribute_syntax(),
            Block::set("egress", rule)
                .computed_when_absent()
                .with_attribute_syntax(),
        ],
    )
});

#[async_trait]
impl ResourceType for NetworkAclType {
    fn type_name(&self) -> &'static str {
        "aws_network_acl"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let acls = describe_network_acls(aws, ids).await?;
        Ok(keyed_by_id(&acls, NetworkAcl::network_acl_id, |acl, id| {
            let owner_id = acl.owner_id().unwrap_or_default();
            let entries = Entry::all_of(acl);
            let blocks = |egress: bool| {
                Value::List(
                    entries
                        .iter()
                        .filter(|e| e.egress == egress)
                        .map(|e| Value::Map(e.inline_block().into()))
                        .collect(),
                )
            };
            attrs([
                ("id", Value::string(id)),
                (
                    "arn",
                    Value::string(ec2_arn(aws, owner_id, &format!("network-acl/{id}"))),
                ),
                ("vpc_id", Value::from(acl.vpc_id())),
                ("owner_id", Value::string(owner_id)),
                ("subnet_ids", string_set(subnets_of(acl))),
                ("ingress", blocks(false)),
                ("egress", blocks(true)),
                ("tags_all", ec2_tags_to_value(acl.tags())),
            ])
        }))
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
        // Check the entries before creating anything, so a bad one leaves
        // no half-made ACL behind.
        let entries = inline_entries(planned)?;
        let vpc_id = planned.str("vpc_id").unwrap_or_default();
        let created = aws
            .ec2()
            .create_network_acl()
            .vpc_id(vpc_id)
            .tag_specifications(ec2_tag_specification(aws, req, Ec2ResourceType::NetworkAcl))
            .send()
            .await
            .map_err(sdk_error)?;
        let id = id_from_answer(
            created.network_acl().and_then(NetworkAcl::network_acl_id),
            "CreateNetworkAcl returned no network ACL id",
        )?;
        wait_for_object(
            &format!("network ACL {id} to exist"),
            CREATE_TIMEOUT,
            || describe_network_acls(aws, std::slice::from_ref(&id)),
            |_| true,
        )
        .await?;
        // AWS gives a new ACL only its final deny-all entries (rule 32767),
        // which no configuration lists.
        for entry in &entries {
            create_entry(aws, &id, entry).await?;
        }
        let subnets = planned.strings("subnet_ids");
        move_subnets(aws, &subnets, &id).await?;
        Ok(id)
    }

    async fn update(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        let id = prior_id(prior)?;
        let old: BTreeSet<Entry> = inline_entries(prior)?.into_iter().collect();
        let new: BTreeSet<Entry> = inline_entries(planned)?.into_iter().collect();
        // Deletes first: a changed entry keeps its rule number.
        for entry in old.difference(&new) {
            delete_entry(aws, id, entry.rule_number, entry.egress).await?;
        }
        for entry in new.difference(&old) {
            create_entry(aws, id, entry).await?;
        }
        if planned
            .get("subnet_ids")
            .is_some_and(Value::is_wholly_known)
        {
            let old: BTreeSet<String> = prior.strings("subnet_ids").into_iter().collect();
            let new: BTreeSet<String> = planned.strings("subnet_ids").into_iter().collect();
            let added: Vec<String> = new.difference(&old).cloned().collect();
            let removed: Vec<String> = old.difference(&new).cloned().collect();
            move_subnets(aws, &added, id).await?;
            if !removed.is_empty() {
                let vpc_id = prior.str("vpc_id").unwrap_or_default();
                let default = default_acl(aws, vpc_id).await?;
                move_subnets(aws, &removed, &default).await?;
            }
        }
        ec2_update_tags(aws, id, prior, planned).await
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let id = prior_id(prior)?;
        // The subnets AWS has on it now, not just those state knows: an ACL
        // guarding any subnet cannot be deleted.
        let acls = describe_network_acls(aws, &[id.to_string()]).await?;
        let subnets: Vec<String> = acls.iter().flat_map(subnets_of).collect();
        if !subnets.is_empty() {
            let vpc_id = prior.str("vpc_id").unwrap_or_default();
            let default = default_acl(aws, vpc_id).await?;
            move_subnets(aws, &subnets, &default).await?;
        }
        ok_if_already_gone(
            aws.ec2()
                .delete_network_acl()
                .network_acl_id(id)
                .send()
                .await,
        )
    }
}

/// The `ingress` and `egress` blocks as entries.
fn inline_entries(attrs: &Attrs) -> Result<Vec<Entry>, ProviderError> {
    let mut entries = Vec::new();
    for (block, egress) in [("ingress", false), ("egress", true)] {
        for rule in attrs.blocks(block) {
            entries.push(Entry::from_inline(rule, egress)?);
        }
    }
    Ok(entries)
}

fn subnets_of(acl: &NetworkAcl) -> Vec<String> {
    acl.associations()
        .iter()
        .filter_map(|a| a.subnet_id().map(str::to_string))
        .collect()
}

/// The VPC's default network ACL, where a subnet goes when no other ACL
/// guards it.
async fn default_acl(aws: &AwsContext, vpc_id: &str) -> Result<String, ProviderError> {
    let acls = aws
        .ec2()
        .describe_network_acls()
        .filters(filter("vpc-id", [vpc_id]))
        .filters(filter("default", ["true"]))
        .send()
        .await
        .map_err(sdk_error)?;
    acls.network_acls()
        .iter()
        .find_map(|acl| acl.network_acl_id().map(str::to_string))
        .ok_or_else(|| {
            ProviderError::new(
                ErrorKind::NotFound,
                format!("VPC {vpc_id} has no default network ACL"),
            )
        })
}

/// Moves each subnet's ACL association to `acl_id`: a subnet always has
/// exactly one, so it is replaced rather than made.
async fn move_subnets(
    aws: &AwsContext,
    subnets: &[String],
    acl_id: &str,
) -> Result<(), ProviderError> {
    if subnets.is_empty() {
        return Ok(());
    }
    let acls = describe_paginated!(
        subnets,
        "association.subnet-id",
        aws.ec2().describe_network_acls()
    )
    .await?;
    for subnet in subnets {
        let association = acls
            .iter()
            .flat_map(NetworkAcl::associations)
            .find(|a| a.subnet_id() == Some(subnet.as_str()));
        let Some(association) = association else {
            return Err(ProviderError::new(
                ErrorKind::NotFound,
                format!("subnet {subnet} has no network ACL association to move"),
            ));
        };
        if association.network_acl_id() == Some(acl_id) {
            continue;
        }
        aws.ec2()
            .replace_network_acl_association()
            .association_id(association.network_acl_association_id().unwrap_or_default())
            .network_acl_id(acl_id)
            .send()
            .await
            .map_err(sdk_error)?;
    }
    Ok(())
}
