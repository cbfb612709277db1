//! What the ELBv2 types (`aws_lb`, `aws_lb_target_group`, `aws_lb_listener`,
//! `aws_lb_listener_rule`, `aws_lb_target_group_attachment`) share: batched
//! describes by ARN, tags by ARN (written on create and read in batches),
//! and the action blocks of listeners and rules. Schemas and per-type calls
//! stay in the type files.

mod attributes;
mod lb;
mod lb_data_source;
mod lb_listener;
mod lb_listener_certificate;
mod lb_listener_rule;
mod lb_target_group;
mod lb_target_group_attachment;

use std::collections::BTreeMap;
use std::future::Future;

use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, FixedResponseActionConfig, RedirectActionConfig,
    RedirectActionStatusCodeEnum, Tag,
};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use futures::TryFutureExt;

use super::batch::{describe_skipping_missing, fetch_each};
use super::names::unique_name;
use super::tags::{create_tags, owner_of_named, tags_to_value, update_tags_all};
use super::{AwsContext, sdk_error};
use crate::provider::aws::convert::{nested, optional_block, single};
use crate::provider::schema::{Attribute, Block, Schema, Type};
use crate::provider::{CreateRequest, Found, ProviderError};
use crate::value::{Attrs, AttrsExt, Value};

/// This service's types, for the provider's registry.
pub(super) const TYPES: super::ServiceTypes = super::ServiceTypes {
    name: "ELBv2",
    resources: &[
        &lb::LoadBalancer,
        &lb_target_group::TargetGroup,
        &lb_listener::LbListener,
        &lb_listener_rule::LbListenerRule,
        &lb_target_group_attachment::TargetGroupAttachment,
        &lb_listener_certificate::LbListenerCertificate,
    ],
    data_sources: &[&lb_data_source::LoadBalancerDataSource],
};

/// The most ARNs DescribeLoadBalancers, DescribeTargetGroups and
/// DescribeTags accept in one call.
const ARNS_PER_CALL: usize = 20;

/// Describes objects by ARN, [`ARNS_PER_CALL`] at a time, with every page of
/// each call; ARNs that no longer exist are left out (ELBv2 fails the whole
/// call for them, see [`describe_skipping_missing`]). SDK errors are mapped
/// here.
pub async fn describe_by_arns<T, E, F, Fut>(
    arns: &[String],
    describe: F,
) -> Result<Vec<T>, ProviderError>
where
    F: Fn(Vec<String>) -> Fut,
    Fut: Future<Output = Result<Vec<T>, SdkError<E, HttpResponse>>>,
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    describe_skipping_missing(arns, ARNS_PER_CALL, |chunk| {
        let described = describe(chunk);
        async move { described.await.map_err(sdk_error) }
    })
    .await
}

/// [`describe_by_arns`] for a paginated Describe call, with every page:
/// `describe_paginated_by_arns!(arns, aws.elbv2().describe_listeners(),
/// set_listener_arns)`, the last the request's setter for the ARNs. A macro
/// because each Describe call has its own builder and paginator types, with
/// no trait in common.
macro_rules! describe_paginated_by_arns {
    ($arns:expr, $request:expr, $set_arns:ident) => {
        $crate::provider::aws::elbv2::describe_by_arns($arns, |chunk| {
            $request
                .$set_arns(Some(chunk))
                .into_paginator()
                .items()
                .send()
                .try_collect()
        })
    };
}
use describe_paginated_by_arns;

/// The rest of every ELBv2 type's `read_many`, once it has `described` its
/// objects by ARN: their tags (one DescribeTags per 20 ARNs) and the
/// `settings` of each, which ELBv2 describes one object per call (a load
/// balancer's or target group's attributes; a type without passes
/// `|_| async { Ok(()) }`), combined by `to_attrs`. An object deleted
/// between these calls is left out.
pub async fn read_described<T, S, F, Fut>(
    aws: &AwsContext,
    described: Vec<T>,
    arn_of: impl Fn(&T) -> Option<&str>,
    settings: F,
    to_attrs: impl Fn(&T, S, Value) -> Attrs,
) -> Result<BTreeMap<String, Attrs>, ProviderError>
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<S, ProviderError>>,
{
    let arns: Vec<String> = described
        .iter()
        .filter_map(|object| arn_of(object).map(String::from))
        .collect();
    let tags = read_tags(aws, &arns).await?;
    let mut settings = fetch_each(&arns, |arn| {
        let read = settings(arn);
        async move { read.await.map(Some) }
    })
    .await?;
    let mut found = BTreeMap::new();
    for object in &described {
        let Some(arn) = arn_of(object) else { continue };
        let Some(object_settings) = settings.remove(arn) else {
            continue;
        };
        found.insert(
            arn.to_string(),
            to_attrs(object, object_settings, tags_of(&tags, arn)),
        );
    }
    Ok(found)
}

/// The tags a create writes (the user's plus terrane's), as ELBv2 tags.
pub fn tags_for_create(aws: &AwsContext, req: &CreateRequest<'_>) -> Vec<Tag> {
    create_tags(aws, req)
        .into_iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// The name a create asks for: the written `name`, or `name_prefix` (else
/// `default_prefix`) plus a suffix from the create's token, within ELBv2's
/// 32 characters.
pub fn name_for_create(req: &CreateRequest<'_>, default_prefix: &str) -> String {
    let planned = req.planned;
    unique_name(
        planned.str("name"),
        planned.str("name_prefix"),
        default_prefix,
        32,
        req.client_token,
    )
}

/// What the ELBv2 object at `arn` (found by the name or port a create of
/// `req` asked for) is: the create's own when its tags say so.
pub async fn owner_by_arn(
    aws: &AwsContext,
    req: &CreateRequest<'_>,
    arn: Option<&str>,
) -> Result<Found, ProviderError> {
    let Some(arn) = arn else {
        return Ok(Found::Nothing);
    };
    let described = aws.elbv2().describe_tags().resource_arns(arn).send().await;
    let described = described.map_err(sdk_error)?;
    let tags = described
        .tag_descriptions()
        .iter()
        .flat_map(|d| d.tags())
        .filter_map(|t| Some((t.key()?, t.value().unwrap_or_default())));
    Ok(owner_of_named(aws, req, arn.to_string(), tags))
}

/// `tags_all` for each of `arns` (terrane's own tags left out), with one
/// DescribeTags per 20 ARNs.
async fn read_tags(
    aws: &AwsContext,
    arns: &[String],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let descriptions = describe_by_arns(arns, |chunk| {
        let request = aws.elbv2().describe_tags().set_resource_arns(Some(chunk));
        async move { Ok(request.send().await?.tag_descriptions.unwrap_or_default()) }
    })
    .await?;
    Ok(descriptions
        .into_iter()
        .filter_map(|d| {
            let arn = d.resource_arn()?.to_string();
            let tags = tags_to_value(
                d.tags()
                    .iter()
                    .filter_map(|t| Some((t.key()?, t.value().unwrap_or_default()))),
            );
            Some((arn, tags))
        })
        .collect())
}

/// Brings an ELBv2 object's tags from `prior.tags_all` to `planned.tags_all`.
pub async fn update_tags(
    aws: &AwsContext,
    arn: &str,
    prior: &Attrs,
    planned: &Attrs,
) -> Result<(), ProviderError> {
    update_tags_all(
        prior,
        planned,
        |removed| {
            aws.elbv2()
                .remove_tags()
                .resource_arns(arn)
                .set_tag_keys(Some(removed))
                .send()
                .map_err(sdk_error)
        },
        |changed| {
            let pairs = changed
                .into_iter()
                .map(|(k, v)| Tag::builder().key(k).value(v).build());
            aws.elbv2()
                .add_tags()
                .resource_arns(arn)
                .set_tags(Some(pairs.collect()))
                .send()
                .map_err(sdk_error)
        },
    )
    .await
}

/// Tags read back for `arn`, or an empty map when it has none.
fn tags_of(tags: &BTreeMap<String, Value>, arn: &str) -> Value {
    tags.get(arn)
        .cloned()
        .unwrap_or_else(|| Value::Map(Attrs::new().into()))
}

/// The schema of an action block (`aws_lb_listener`'s `default_action`,
/// `aws_lb_listener_rule`'s `action`).
pub fn action_schema() -> Schema {
    let fixed_response = Schema::new(
        vec![
            Attribute::required("content_type", Type::String),
            Attribute::optional("message_body", Type::String),
            Attribute::optional_computed("status_code", Type::String),
        ],
        vec![],
    );
    // Terraform's defaults: keep each part of the request as it came.
    let redirect = Schema::new(
        vec![
            Attribute::optional("host", Type::String).default("#{host}"),
            Attribute::optional("path", Type::String).default("/#{path}"),
            Attribute::optional("port", Type::String).default("#{port}"),
            Attribute::optional("protocol", Type::String).default("#{protocol}"),
            Attribute::optional("query", Type::String).default("#{query}"),
            Attribute::required("status_code", Type::String),
        ],
        vec![],
    );
    Schema::new(
        vec![
            Attribute::required("type", Type::String),
            Attribute::optional("target_group_arn", Type::String),
        ],
        vec![
            Block::single("fixed_response", fixed_response),
            Block::single("redirect", redirect),
        ],
    )
}

/// The `key` action blocks as ELBv2 actions, numbered in written order.
pub fn actions(planned: &Attrs, key: &str) -> Vec<Action> {
    planned
        .blocks(key)
        .into_iter()
        .zip(1..)
        .map(|(action, order)| {
            let fixed_response = single(action, "fixed_response").map(|f| {
                FixedResponseActionConfig::builder()
                    .set_content_type(f.str("content_type").map(String::from))
                    .set_message_body(f.str("message_body").map(String::from))
                    .set_status_code(f.str("status_code").map(String::from))
                    .build()
            });
            let redirect = single(action, "redirect").map(|r| {
                RedirectActionConfig::builder()
                    .set_host(r.str("host").map(String::from))
                    .set_path(r.str("path").map(String::from))
                    .set_port(r.str("port").map(String::from))
                    .set_protocol(r.str("protocol").map(String::from))
                    .set_query(r.str("query").map(String::from))
                    .set_status_code(r.str("status_code").map(RedirectActionStatusCodeEnum::from))
                    .build()
            });
            Action::builder()
                .r#type(ActionTypeEnum::from(action.str("type").unwrap_or_default()))
                .set_target_group_arn(action.str("target_group_arn").map(String::from))
                .set_fixed_response_config(fixed_response)
                .set_redirect_config(redirect)
                .order(order)
                .build()
        })
        .collect()
}

/// An ELBv2 action as an action block.
pub fn action_to_value(action: &Action) -> Value {
    let fixed_response = action.fixed_response_config().map(|f| {
        nested([
            ("content_type", f.content_type().into()),
            ("message_body", f.message_body().into()),
            ("status_code", f.status_code().into()),
        ])
    });
    let redirect = action.redirect_config().map(|r| {
        nested([
            ("host", r.host().into()),
            ("path", r.path().into()),
            ("port", r.port().into()),
            ("protocol", r.protocol().into()),
            ("query", r.query().into()),
            ("status_code", r.status_code().map(|s| s.as_str()).into()),
        ])
    });
    Value::Map(
        nested([
            ("type", action.r#type().map(|t| t.as_str()).into()),
            ("target_group_arn", action.target_group_arn().into()),
            ("fixed_response", optional_block(fixed_response)),
            ("redirect", optional_block(redirect)),
        ])
        .into(),
    )
}
