//! `aws_key_pair`: an SSH public key registered with EC2 (ImportKeyPair).
//!
//! The id is the key name, as Terraform's. Everything but the tags makes a
//! new key pair. The public key is read back with `IncludePublicKey` and
//! compared by its type and key material only: AWS may keep or drop the
//! comment after them.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use async_trait::async_trait;
use aws_sdk_ec2::types::{KeyPairInfo, ResourceType as Ec2ResourceType};

use futures::TryFutureExt;

use super::{describe_by_filter, ec2_arn};
use crate::provider::aws::convert::{keyed_by_id, prior_id, required_str};
use crate::provider::aws::names::{name_for_create, prefix_from_name};
use crate::provider::aws::tags::owner_of_named;
use crate::provider::aws::{
    AwsContext, ec2_tag_specification, ec2_tags_to_value, ec2_update_tags, ok_if_already_gone,
    sdk_error,
};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{CreateRequest, Found, ProviderError, ResourceType};
use crate::value::{Attrs, Value, attrs};

pub struct KeyPairType;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::with_tags(
        vec![
            Attribute::optional_computed("key_name", Type::String).force_new(),
            Attribute::optional_computed("key_name_prefix", Type::String).force_new(),
            Attribute::required("public_key", Type::String)
                .normalized_with(key_material)
                .force_new(),
            Attribute::computed("arn", Type::String),
            Attribute::computed("fingerprint", Type::String),
            Attribute::computed("key_pair_id", Type::String),
            Attribute::computed("key_type", Type::String),
            Attribute::computed("id", Type::String),
        ],
        vec![],
    )
});

/// `ssh-ed25519 AAAA… user@host` → `ssh-ed25519 AAAA…`: the key without
/// its comment.
fn key_material(public_key: &str) -> String {
    public_key
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

async fn describe_key_pairs(
    aws: &AwsContext,
    names: &[String],
) -> Result<Vec<KeyPairInfo>, ProviderError> {
    // DescribeKeyPairs has no pages: one answer per chunk of names.
    describe_by_filter(names, "key-name", |by_names| {
        aws.ec2()
            .describe_key_pairs()
            .include_public_key(true)
            .filters(by_names)
            .send()
            .map_ok(|answer| answer.key_pairs.unwrap_or_default())
    })
    .await
}

#[async_trait]
impl ResourceType for KeyPairType {
    fn type_name(&self) -> &'static str {
        "aws_key_pair"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let key_pairs = describe_key_pairs(aws, ids).await?;
        let owner = aws.account_id().await?;
        Ok(keyed_by_id(
            &key_pairs,
            KeyPairInfo::key_name,
            |key, name| {
                attrs([
                    ("id", Value::string(name)),
                    ("key_name", Value::string(name)),
                    ("key_name_prefix", prefix_from_name(name)),
                    ("public_key", Value::from(key.public_key())),
                    ("fingerprint", Value::from(key.key_fingerprint())),
                    ("key_pair_id", Value::from(key.key_pair_id())),
                    ("key_type", Value::from(key.key_type().map(|t| t.as_str()))),
                    (
                        "arn",
                        Value::string(ec2_arn(aws, &owner, &format!("key-pair/{name}"))),
                    ),
                    ("tags_all", ec2_tags_to_value(key.tags())),
                ])
            },
        ))
    }

    /// A key pair of the name this create asked for: the create's own when
    /// terrane's tags say so.
    async fn find_created(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<Found, ProviderError> {
        let name = name_for_create(req.planned, "key_name", "key_name_prefix", req.client_token);
        let found = describe_key_pairs(aws, std::slice::from_ref(&name)).await?;
        Ok(match found.first() {
            None => Found::Nothing,
            Some(key) => owner_of_named(
                aws,
                req,
                name,
                key.tags()
                    .iter()
                    .filter_map(|t| Some((t.key()?, t.value().unwrap_or_default()))),
            ),
        })
    }

    async fn create(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<String, ProviderError> {
        let planned = req.planned;
        let name = name_for_create(planned, "key_name", "key_name_prefix", req.client_token);
        aws.ec2()
            .import_key_pair()
            .key_name(&name)
            .public_key_material(aws_smithy_types::Blob::new(
                required_str(planned, "public_key")?.as_bytes(),
            ))
            .tag_specifications(ec2_tag_specification(aws, req, Ec2ResourceType::KeyPair))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(name)
    }

    /// Only the tags change in place; they are set on the key pair's id.
    async fn update(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        let key_pair_id = required_str(prior, "key_pair_id")?;
        ec2_update_tags(aws, key_pair_id, prior, planned).await
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let name = prior_id(prior)?;
        ok_if_already_gone(aws.ec2().delete_key_pair().key_name(name).send().await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_public_key_compares_without_its_comment() {
        assert_eq!(
            key_material("ssh-ed25519 AAAAC3Nza user@host\n"),
            "ssh-ed25519 AAAAC3Nza"
        );
        assert_eq!(key_material("ssh-rsa AAAAB3"), "ssh-rsa AAAAB3");
    }
}
