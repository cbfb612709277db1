//! `aws_cloudwatch_log_group`: a log group, its retention, KMS key and
//! class.
//!
//! The id is the group's name, as in Terraform. Retention and the KMS key
//! change in place; the name and class force a new group. With
//! `skip_destroy`, a destroy only forgets the group, as in Terraform.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use async_trait::async_trait;
use futures::TryFutureExt;

use crate::provider::aws::batch::fetch_each;
use crate::provider::aws::convert::{differs, i32_arg, prior_id};
use crate::provider::aws::names::{name_for_create, prefix_from_name};
use crate::provider::aws::tags::{create_tags, owner_of_named, tags_to_value, update_tags_all};
use crate::provider::aws::{AwsContext, ok_if_not_found, sdk_error};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{CreateRequest, Found, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value};

pub struct LogGroup;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let attributes = vec![
        Attribute::optional_computed("name", Type::String).force_new(),
        Attribute::optional_computed("name_prefix", Type::String).force_new(),
        Attribute::optional("retention_in_days", Type::Number).default(0),
        Attribute::optional("kms_key_id", Type::String),
        Attribute::optional_computed("log_group_class", Type::String).force_new(),
        Attribute::optional("skip_destroy", Type::Bool).default(false),
        Attribute::computed("arn", Type::String),
    ];
    Schema::with_tags(attributes, vec![])
});

/// The group named exactly `name` (DescribeLogGroups matches a prefix).
async fn find_group(
    aws: &AwsContext,
    name: &str,
) -> Result<Option<aws_sdk_cloudwatchlogs::types::LogGroup>, ProviderError> {
    let mut pages = aws
        .logs()
        .describe_log_groups()
        .log_group_name_prefix(name)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(sdk_error)?;
        let found = page
            .log_groups()
            .iter()
            .find(|g| g.log_group_name() == Some(name));
        if let Some(group) = found {
            return Ok(Some(group.clone()));
        }
    }
    Ok(None)
}

/// The group's ARN without the `:*` DescribeLogGroups appends, as
/// Terraform stores it and as the tagging calls take it.
fn group_arn(group: &aws_sdk_cloudwatchlogs::types::LogGroup) -> String {
    let arn = group.arn().unwrap_or_default();
    arn.strip_suffix(":*").unwrap_or(arn).to_string()
}

/// The group's tags, terrane's own included.
async fn group_tags(
    aws: &AwsContext,
    arn: &str,
) -> Result<BTreeMap<String, String>, ProviderError> {
    let listed = aws
        .logs()
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(listed
        .tags()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .collect())
}

async fn read_group(aws: &AwsContext, name: &str) -> Result<Option<Attrs>, ProviderError> {
    let Some(group) = find_group(aws, name).await? else {
        return Ok(None);
    };
    let arn = group_arn(&group);
    let tags = group_tags(aws, &arn).await?;
    let mut attrs = Attrs::new();
    attrs.insert("id".into(), Value::string(name));
    attrs.insert("name".into(), Value::string(name));
    attrs.insert("name_prefix".into(), prefix_from_name(name));
    attrs.insert(
        "retention_in_days".into(),
        Value::from(i64::from(group.retention_in_days().unwrap_or(0))),
    );
    attrs.insert("kms_key_id".into(), group.kms_key_id().into());
    // AWS leaves the class out of older answers; a group without one is
    // a standard group (the API's default).
    let class = group
        .log_group_class()
        .map_or("STANDARD", |c| c.as_str())
        .to_string();
    attrs.insert("log_group_class".into(), Value::string(class));
    attrs.insert("arn".into(), Value::string(arn));
    attrs.insert("tags_all".into(), tags_to_value(tags));
    Ok(Some(attrs))
}

async fn set_retention(
    aws: &AwsContext,
    name: &str,
    days: Option<i32>,
) -> Result<(), ProviderError> {
    match days.filter(|&d| d > 0) {
        Some(days) => {
            aws.logs()
                .put_retention_policy()
                .log_group_name(name)
                .retention_in_days(days)
                .send()
                .await
                .map_err(sdk_error)?;
        }
        None => {
            aws.logs()
                .delete_retention_policy()
                .log_group_name(name)
                .send()
                .await
                .map_err(sdk_error)?;
        }
    }
    Ok(())
}

#[async_trait]
impl ResourceType for LogGroup {
    fn type_name(&self) -> &'static str {
        "aws_cloudwatch_log_group"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    /// One DescribeLogGroups and one ListTagsForResource per group.
    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        fetch_each(ids, |name| async move { read_group(aws, &name).await }).await
    }

    async fn find_created(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<Found, ProviderError> {
        let name = name_for_create(req.planned, "name", "name_prefix", req.client_token);
        Ok(match find_group(aws, &name).await? {
            Some(group) => {
                let tags = group_tags(aws, &group_arn(&group)).await?;
                owner_of_named(aws, req, name, tags)
            }
            None => Found::Nothing,
        })
    }

    async fn create(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<String, ProviderError> {
        let planned = req.planned;
        let name = name_for_create(planned, "name", "name_prefix", req.client_token);
        aws.logs()
            .create_log_group()
            .log_group_name(&name)
            .set_kms_key_id(planned.str("kms_key_id").map(str::to_string))
            .set_log_group_class(planned.str("log_group_class").map(Into::into))
            .set_tags(Some(create_tags(aws, req).into_iter().collect()))
            .send()
            .await
            .map_err(sdk_error)?;
        if let Some(days) = i32_arg(planned, "retention_in_days").filter(|&d| d > 0) {
            set_retention(aws, &name, Some(days)).await?;
        }
        Ok(name)
    }

    async fn update(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        let name = prior_id(prior)?;
        if differs(prior, planned, "retention_in_days") {
            set_retention(aws, name, i32_arg(planned, "retention_in_days")).await?;
        }
        if differs(prior, planned, "kms_key_id") {
            match planned.str("kms_key_id") {
                Some(key) => {
                    aws.logs()
                        .associate_kms_key()
                        .log_group_name(name)
                        .kms_key_id(key)
                        .send()
                        .await
                        .map_err(sdk_error)?;
                }
                None => {
                    aws.logs()
                        .disassociate_kms_key()
                        .log_group_name(name)
                        .send()
                        .await
                        .map_err(sdk_error)?;
                }
            }
        }
        let arn = prior.str("arn").unwrap_or_default().to_string();
        update_tags_all(
            prior,
            planned,
            |keys| {
                aws.logs()
                    .untag_resource()
                    .resource_arn(&arn)
                    .set_tag_keys(Some(keys))
                    .send()
                    .map_err(sdk_error)
            },
            |tags| {
                aws.logs()
                    .tag_resource()
                    .resource_arn(&arn)
                    .set_tags(Some(tags.into_iter().collect()))
                    .send()
                    .map_err(sdk_error)
            },
        )
        .await
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        if prior.bool("skip_destroy") == Some(true) {
            return Ok(());
        }
        let name = prior_id(prior)?;
        ok_if_not_found(
            aws.logs()
                .delete_log_group()
                .log_group_name(name)
                .send()
                .await
                .map_err(sdk_error),
        )?;
        Ok(())
    }
}
