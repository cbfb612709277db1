//! `aws_kms_key`: a customer managed key, its policy, rotation and state.
//!
//! The id is the key id, as in Terraform. Description, policy, rotation and
//! whether it is enabled change in place; usage, spec, multi-region and
//! key store force a new key. A destroy schedules the deletion after
//! `deletion_window_in_days` (30 unless set), as KMS requires; a key
//! pending deletion reads as gone.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use async_trait::async_trait;
use aws_sdk_kms::types::{KeyMetadata, KeyState, Tag};
use futures::TryFutureExt;

use crate::provider::aws::batch::fetch_each;
use crate::provider::aws::convert::{differs, i32_arg, made_since, prior_id};
use crate::provider::aws::tags::{create_tags, stack_address, tags_to_value, update_tags_all};
use crate::provider::aws::{AwsContext, Timeouts, ok_if_not_found, sdk_error};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{CreateRequest, ErrorKind, Found, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value};

use crate::provider::aws::iam::policy_document_from_aws;

pub struct KmsKey;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let attributes = vec![
        Attribute::optional_computed("description", Type::String),
        Attribute::optional("key_usage", Type::String)
            .default("ENCRYPT_DECRYPT")
            .force_new(),
        Attribute::optional("customer_master_key_spec", Type::String)
            .default("SYMMETRIC_DEFAULT")
            .force_new(),
        Attribute::optional_computed("policy", Type::Json),
        Attribute::optional("bypass_policy_lockout_safety_check", Type::Bool).default(false),
        Attribute::optional("deletion_window_in_days", Type::Number),
        Attribute::optional("is_enabled", Type::Bool).default(true),
        Attribute::optional("enable_key_rotation", Type::Bool).default(false),
        Attribute::optional_computed("rotation_period_in_days", Type::Number),
        Attribute::optional_computed("multi_region", Type::Bool).force_new(),
        Attribute::optional("custom_key_store_id", Type::String).force_new(),
        Attribute::optional("xks_key_id", Type::String).force_new(),
        Attribute::computed("arn", Type::String),
        Attribute::computed("key_id", Type::String),
    ];
    Schema::with_tags(attributes, vec![Timeouts::block(&["create"])])
});

/// The key's metadata, `None` when it is gone or pending deletion.
async fn describe(aws: &AwsContext, id: &str) -> Result<Option<KeyMetadata>, ProviderError> {
    let got = aws
        .kms()
        .describe_key()
        .key_id(id)
        .send()
        .await
        .map_err(sdk_error);
    Ok(ok_if_not_found(got)?
        .and_then(|out| out.key_metadata)
        .filter(|key| key.key_state() != Some(&KeyState::PendingDeletion)))
}

async fn key_tags(aws: &AwsContext, id: &str) -> Result<Vec<(String, String)>, ProviderError> {
    let mut pages = aws
        .kms()
        .list_resource_tags()
        .key_id(id)
        .into_paginator()
        .send();
    let mut tags = Vec::new();
    while let Some(page) = pages.next().await {
        for tag in page.map_err(sdk_error)?.tags() {
            tags.push((tag.tag_key().to_string(), tag.tag_value().to_string()));
        }
    }
    Ok(tags)
}

async fn read_key(aws: &AwsContext, id: &str) -> Result<Option<Attrs>, ProviderError> {
    let Some(key) = describe(aws, id).await? else {
        return Ok(None);
    };
    let policy = aws
        .kms()
        .get_key_policy()
        .key_id(id)
        .policy_name("default")
        .send()
        .await
        .map_err(sdk_error)?;
    let rotation = aws
        .kms()
        .get_key_rotation_status()
        .key_id(id)
        .send()
        .await
        .map_err(sdk_error)?;
    let tags = key_tags(aws, id).await?;
    let mut attrs = Attrs::new();
    attrs.insert("id".into(), Value::string(key.key_id()));
    attrs.insert("key_id".into(), Value::string(key.key_id()));
    attrs.insert("arn".into(), key.arn().into());
    attrs.insert(
        "description".into(),
        Value::string(key.description().unwrap_or_default()),
    );
    attrs.insert(
        "key_usage".into(),
        key.key_usage().map(|u| u.as_str()).into(),
    );
    attrs.insert(
        "customer_master_key_spec".into(),
        key.key_spec().map(|s| s.as_str()).into(),
    );
    attrs.insert(
        "policy".into(),
        policy
            .policy()
            .map_or(Value::Null, policy_document_from_aws),
    );
    attrs.insert("is_enabled".into(), Value::Bool(key.enabled()));
    attrs.insert(
        "enable_key_rotation".into(),
        Value::Bool(rotation.key_rotation_enabled()),
    );
    attrs.insert(
        "rotation_period_in_days".into(),
        rotation.rotation_period_in_days().map(i64::from).into(),
    );
    attrs.insert(
        "multi_region".into(),
        Value::Bool(key.multi_region().unwrap_or(false)),
    );
    attrs.insert(
        "custom_key_store_id".into(),
        key.custom_key_store_id().into(),
    );
    attrs.insert(
        "xks_key_id".into(),
        key.xks_key_configuration().and_then(|x| x.id()).into(),
    );
    attrs.insert("tags_all".into(), tags_to_value(tags));
    Ok(Some(attrs))
}

/// Tags in KMS's shape.
fn kms_tags(tags: BTreeMap<String, String>) -> Result<Vec<Tag>, ProviderError> {
    tags.into_iter()
        .map(|(key, value)| Tag::builder().tag_key(key).tag_value(value).build())
        .collect::<Result<_, _>>()
        .map_err(|e| ProviderError::new(ErrorKind::Validation, e.to_string()))
}

async fn set_rotation(aws: &AwsContext, id: &str, planned: &Attrs) -> Result<(), ProviderError> {
    if planned.bool("enable_key_rotation") == Some(true) {
        aws.kms()
            .enable_key_rotation()
            .key_id(id)
            .set_rotation_period_in_days(i32_arg(planned, "rotation_period_in_days"))
            .send()
            .await
            .map_err(sdk_error)?;
    } else {
        aws.kms()
            .disable_key_rotation()
            .key_id(id)
            .send()
            .await
            .map_err(sdk_error)?;
    }
    Ok(())
}

async fn set_enabled(aws: &AwsContext, id: &str, enabled: bool) -> Result<(), ProviderError> {
    if enabled {
        aws.kms()
            .enable_key()
            .key_id(id)
            .send()
            .await
            .map_err(sdk_error)?;
    } else {
        aws.kms()
            .disable_key()
            .key_id(id)
            .send()
            .await
            .map_err(sdk_error)?;
    }
    Ok(())
}

#[async_trait]
impl ResourceType for KmsKey {
    fn type_name(&self) -> &'static str {
        "aws_kms_key"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    /// DescribeKey, GetKeyPolicy, GetKeyRotationStatus and
    /// ListResourceTags per key.
    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        fetch_each(ids, |id| async move { read_key(aws, &id).await }).await
    }

    /// A key has no name: the one this create made carries its address in
    /// terrane's tags. Rare (only after a create's answer was lost), so a
    /// walk over the account's keys is affordable.
    async fn find_created(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<Found, ProviderError> {
        let mut pages = aws.kms().list_keys().into_paginator().send();
        while let Some(page) = pages.next().await {
            for key in page.map_err(sdk_error)?.keys() {
                let Some(id) = key.key_id() else { continue };
                let address = stack_address(aws, key_tags(aws, id).await?);
                if address.as_deref() != Some(req.address) {
                    continue;
                }
                // Not the old key of a create_before_destroy replacement.
                let made = describe(aws, id).await?.and_then(|k| k.creation_date);
                if made.is_some_and(|t| made_since(&t, req.started)) {
                    return Ok(Found::Ours(id.to_string()));
                }
            }
        }
        Ok(Found::Nothing)
    }

    async fn create(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<String, ProviderError> {
        let planned = req.planned;
        let tags = kms_tags(create_tags(aws, req))?;
        let created = aws
            .kms()
            .create_key()
            .set_description(planned.str("description").map(str::to_string))
            .set_key_usage(planned.str("key_usage").map(Into::into))
            .set_key_spec(planned.str("customer_master_key_spec").map(Into::into))
            .set_policy(planned.str("policy").map(str::to_string))
            .bypass_policy_lockout_safety_check(
                planned.bool("bypass_policy_lockout_safety_check") == Some(true),
            )
            .set_multi_region(planned.bool("multi_region"))
            .set_custom_key_store_id(planned.str("custom_key_store_id").map(str::to_string))
            .set_xks_key_id(planned.str("xks_key_id").map(str::to_string))
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(sdk_error)?;
        let id = created
            .key_metadata()
            .map(|k| k.key_id().to_string())
            .ok_or_else(|| {
                ProviderError::new(ErrorKind::Other, "CreateKey answered without a key id")
            })?;
        if planned.bool("enable_key_rotation") == Some(true) {
            set_rotation(aws, &id, planned).await?;
        }
        if planned.bool("is_enabled") == Some(false) {
            set_enabled(aws, &id, false).await?;
        }
        Ok(id)
    }

    async fn update(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        let id = prior_id(prior)?;
        // A disabled key takes no rotation change: enable it first, as
        // the provider does, and disable it last.
        let enabled = planned.bool("is_enabled") != Some(false);
        if enabled && differs(prior, planned, "is_enabled") {
            set_enabled(aws, id, true).await?;
        }
        if differs(prior, planned, "description") {
            aws.kms()
                .update_key_description()
                .key_id(id)
                .description(planned.str("description").unwrap_or_default())
                .send()
                .await
                .map_err(sdk_error)?;
        }
        if let Some(policy) = planned.str("policy")
            && differs(prior, planned, "policy")
        {
            aws.kms()
                .put_key_policy()
                .key_id(id)
                .policy_name("default")
                .policy(policy)
                .bypass_policy_lockout_safety_check(
                    planned.bool("bypass_policy_lockout_safety_check") == Some(true),
                )
                .send()
                .await
                .map_err(sdk_error)?;
        }
        if differs(prior, planned, "enable_key_rotation")
            || differs(prior, planned, "rotation_period_in_days")
        {
            set_rotation(aws, id, planned).await?;
        }
        if !enabled && differs(prior, planned, "is_enabled") {
            set_enabled(aws, id, false).await?;
        }
        update_tags_all(
            prior,
            planned,
            |keys| {
                aws.kms()
                    .untag_resource()
                    .key_id(id)
                    .set_tag_keys(Some(keys))
                    .send()
                    .map_err(sdk_error)
            },
            |tags| {
                let tags = kms_tags(tags);
                async move {
                    aws.kms()
                        .tag_resource()
                        .key_id(id)
                        .set_tags(Some(tags?))
                        .send()
                        .await
                        .map_err(sdk_error)
                }
            },
        )
        .await
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let id = prior_id(prior)?;
        if describe(aws, id).await?.is_none() {
            return Ok(());
        }
        ok_if_not_found(
            aws.kms()
                .schedule_key_deletion()
                .key_id(id)
                .set_pending_window_in_days(i32_arg(prior, "deletion_window_in_days"))
                .send()
                .await
                .map_err(sdk_error),
        )?;
        Ok(())
    }
}
