//! `aws_kms_alias`: a friendly name (`alias/…`) for a key.
//!
//! The id is the alias name, as in Terraform. The target key changes in
//! place (UpdateAlias); the name forces a new alias. The target may be
//! written as a key id or ARN: the two compare as one.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use async_trait::async_trait;
use aws_sdk_kms::types::AliasListEntry;

use super::key_id_of;
use crate::provider::aws::convert::{prior_id, required_str};
use crate::provider::aws::names::{prefix_from_name, unique_name};
use crate::provider::aws::{AwsContext, ok_if_not_found, sdk_error};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{CreateRequest, Found, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value};

pub struct KmsAlias;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        vec![
            Attribute::optional_computed("name", Type::String).force_new(),
            Attribute::optional_computed("name_prefix", Type::String).force_new(),
            Attribute::required("target_key_id", Type::String).normalized_with(key_id_of),
            Attribute::computed("arn", Type::String),
            Attribute::computed("target_key_arn", Type::String),
        ],
        vec![],
    )
});

/// Every alias of the account and region, by name (one ListAliases walk
/// serves a whole batch).
async fn list_aliases(aws: &AwsContext) -> Result<BTreeMap<String, AliasListEntry>, ProviderError> {
    let mut pages = aws.kms().list_aliases().into_paginator().send();
    let mut aliases = BTreeMap::new();
    while let Some(page) = pages.next().await {
        for alias in page.map_err(sdk_error)?.aliases() {
            if let Some(name) = alias.alias_name() {
                aliases.insert(name.to_string(), alias.clone());
            }
        }
    }
    Ok(aliases)
}

fn alias_attrs(alias: &AliasListEntry) -> Attrs {
    let name = alias.alias_name().unwrap_or_default();
    let arn = alias.alias_arn().unwrap_or_default();
    let target = alias.target_key_id().unwrap_or_default();
    // The key's ARN is the alias's with `key/<id>` for `alias/<name>`.
    let target_arn = arn
        .rsplit_once(":alias/")
        .map(|(base, _)| format!("{base}:key/{target}"));
    let mut attrs = Attrs::new();
    attrs.insert("id".into(), Value::string(name));
    attrs.insert("name".into(), Value::string(name));
    attrs.insert("name_prefix".into(), prefix_from_name(name));
    attrs.insert("arn".into(), Value::string(arn));
    attrs.insert("target_key_id".into(), Value::string(target));
    attrs.insert("target_key_arn".into(), target_arn.into());
    attrs
}

#[async_trait]
impl ResourceType for KmsAlias {
    fn type_name(&self) -> &'static str {
        "aws_kms_alias"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    /// One ListAliases walk for the whole batch.
    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let aliases = list_aliases(aws).await?;
        Ok(ids
            .iter()
            .filter_map(|id| Some((id.clone(), alias_attrs(aliases.get(id)?))))
            .collect())
    }

    /// An alias has no tags: one with the name this create asked for,
    /// naming the key this create names, is this create's.
    async fn find_created(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<Found, ProviderError> {
        let name = alias_name(req);
        let aliases = list_aliases(aws).await?;
        let Some(alias) = aliases.get(&name) else {
            return Ok(Found::Nothing);
        };
        // Not known yet (state rebuild, before the key is found): ask again
        // once it is.
        let Some(target) = req.planned.str("target_key_id").map(key_id_of) else {
            return Ok(Found::Nothing);
        };
        Ok(if alias.target_key_id() == Some(target.as_str()) {
            Found::Ours(name)
        } else {
            Found::Foreign(name)
        })
    }

    async fn create(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<String, ProviderError> {
        let name = alias_name(req);
        aws.kms()
            .create_alias()
            .alias_name(&name)
            .target_key_id(required_str(req.planned, "target_key_id")?)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(name)
    }

    async fn update(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        aws.kms()
            .update_alias()
            .alias_name(prior_id(prior)?)
            .target_key_id(required_str(planned, "target_key_id")?)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        ok_if_not_found(
            aws.kms()
                .delete_alias()
                .alias_name(prior_id(prior)?)
                .send()
                .await
                .map_err(sdk_error),
        )?;
        Ok(())
    }
}

/// The alias's name: as written, or `name_prefix` (by default `alias/`,
/// as in Terraform) plus a unique suffix.
fn alias_name(req: &CreateRequest<'_>) -> String {
    let planned = req.planned;
    let (name, prefix) = (planned.str("name"), planned.str("name_prefix"));
    unique_name(name, prefix, "alias/", usize::MAX, req.client_token)
}
