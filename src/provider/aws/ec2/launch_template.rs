//! `aws_launch_template`: an EC2 launch template, read and changed through
//! its latest version, as Terraform does.
//!
//! The id is the template id (`lt-...`). Changing any launch argument (or
//! `description`, which is the version description) creates a new version;
//! with `update_default_version` that version becomes the default. `tags`
//! are the template's own tags; tags for launched instances and volumes go in
//! `tag_specifications` blocks. This file never launches instances.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    InstanceType, LaunchTemplate as AwsLaunchTemplate, LaunchTemplateHttpTokensState,
    LaunchTemplateIamInstanceProfileSpecificationRequest,
    LaunchTemplateInstanceMetadataEndpointState, LaunchTemplateInstanceMetadataOptionsRequest,
    LaunchTemplateInstanceMetadataProtocolIpv6, LaunchTemplateInstanceMetadataTagsState,
    LaunchTemplateTagSpecificationRequest, RequestLaunchTemplateData,
    ResourceType as Ec2ResourceType, ResponseLaunchTemplateData, Tag,
};

use super::{launch_template_data, metadata_options_schema};
use crate::provider::aws::batch::{describe_skipping_missing, fetch_each};
use crate::provider::aws::convert::{differs, prior_id, single, string_set_or_null};
use crate::provider::aws::names::{name_for_create, prefix_from_name};
use crate::provider::aws::{
    AwsContext, ec2_find_tagged, ec2_tag_specification, ec2_tags_to_value, ec2_update_tags,
    id_from_answer, ok_if_already_gone, sdk_error,
};
use crate::provider::schema::{Attribute, Block, Schema, Type};
use crate::provider::{CreateRequest, Found, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value, attrs};

pub struct LaunchTemplate;

/// Arguments stored in a template version; a change to any of them makes a
/// new version.
const VERSIONED: &[&str] = &[
    "description",
    "image_id",
    "instance_type",
    "key_name",
    "user_data",
    "vpc_security_group_ids",
    "iam_instance_profile",
    "metadata_options",
    "tag_specifications",
];

fn versioned_differs(prior: &Attrs, planned: &Attrs) -> bool {
    VERSIONED
        .iter()
        .chain(launch_template_data::VERSIONED)
        .any(|key| SCHEMA.argument_changed(key, prior, planned))
}

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let attributes = vec![
        Attribute::optional_computed("name", Type::String).force_new(),
        Attribute::optional_computed("name_prefix", Type::String).force_new(),
        Attribute::optional("description", Type::String),
        Attribute::optional("image_id", Type::String),
        Attribute::optional("instance_type", Type::String),
        Attribute::optional("key_name", Type::String),
        // Base64, as in Terraform (`filebase64(...)` / `base64encode(...)`).
        Attribute::optional("user_data", Type::String),
        Attribute::optional("vpc_security_group_ids", Type::set_of(Type::String)),
        // Not stored by AWS: read never returns it; it only steers update.
        Attribute::optional("update_default_version", Type::Bool),
        // The version to make the default; when left out, the one AWS has
        // (the first, unless `update_default_version` moves it).
        Attribute::optional_computed("default_version", Type::Number),
        Attribute::computed("arn", Type::String),
        Attribute::computed("latest_version", Type::Number),
    ]
    .into_iter()
    .chain(launch_template_data::attributes())
    .collect();
    let mut blocks = launch_template_data::blocks();
    blocks.extend([
        Block::single(
            "iam_instance_profile",
            Schema::new(
                vec![
                    Attribute::optional("arn", Type::String),
                    Attribute::optional("name", Type::String),
                ],
                vec![],
            ),
        ),
        // Every argument optional and computed, as in Terraform: what
        // is left out is the instance's default.
        Block::single("metadata_options", metadata_options_schema()),
        Block::list(
            "tag_specifications",
            Schema::new(
                vec![
                    Attribute::optional("resource_type", Type::String),
                    Attribute::optional("tags", Type::map_of(Type::String)),
                ],
                vec![],
            ),
        ),
    ]);
    Schema::with_tags(attributes, blocks)
});

#[async_trait]
impl ResourceType for LaunchTemplate {
    fn type_name(&self) -> &'static str {
        "aws_launch_template"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    /// One DescribeLaunchTemplates for all ids, then the latest version of
    /// each template (DescribeLaunchTemplateVersions takes one template per
    /// call), concurrently.
    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        if ids.is_empty() {
            return Ok(BTreeMap::new());
        }
        let templates: BTreeMap<String, AwsLaunchTemplate> = describe_templates(aws, ids)
            .await?
            .into_iter()
            .filter_map(|t| Some((t.launch_template_id()?.to_string(), t)))
            .collect();
        let found: Vec<String> = templates.keys().cloned().collect();
        let templates = &templates;
        fetch_each(&found, |id| async move {
            let Some(template) = templates.get(&id) else {
                return Ok(None);
            };
            let Some(latest) = template.latest_version_number() else {
                return Ok(None);
            };
            // A template deleted between the two calls is NotFound here,
            // which leaves it out.
            let versions = aws
                .ec2()
                .describe_launch_template_versions()
                .launch_template_id(&id)
                .versions(latest.to_string())
                .send()
                .await
                .map_err(sdk_error)?;
            let version = versions.launch_template_versions().first();
            Ok(Some(template_attrs(
                aws,
                template,
                version.and_then(|v| v.version_description()),
                version.and_then(|v| v.launch_template_data()),
            )))
        })
        .await
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
        let name = name_for_create(planned, "name", "name_prefix", req.client_token);
        let out = aws
            .ec2()
            .create_launch_template()
            .launch_template_name(&name)
            .client_token(req.client_token)
            .set_version_description(planned.str("description").map(str::to_string))
            .launch_template_data(template_data(planned))
            .tag_specifications(ec2_tag_specification(
                aws,
                req,
                Ec2ResourceType::LaunchTemplate,
            ))
            .send()
            .await
            .map_err(sdk_error)?;
        id_from_answer(
            out.launch_template().and_then(|t| t.launch_template_id()),
            format!("CreateLaunchTemplate for {name} returned no id"),
        )
    }

    async fn update(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        let id = prior_id(prior)?;
        let mut new_default = None;
        if versioned_differs(prior, planned) {
            let out = aws
                .ec2()
                .create_launch_template_version()
                .launch_template_id(id)
                .set_version_description(planned.str("description").map(str::to_string))
                .launch_template_data(template_data(planned))
                .send()
                .await
                .map_err(sdk_error)?;
            let new_version = out
                .launch_template_version()
                .and_then(|v| v.version_number());
            if planned.bool("update_default_version") == Some(true) {
                new_default = new_version;
            }
        }
        // A default version written by number (known, and not the one AWS
        // has) is set as written.
        if planned
            .get("default_version")
            .is_some_and(Value::is_wholly_known)
            && differs(prior, planned, "default_version")
        {
            new_default = planned.i64("default_version");
        }
        if let Some(version) = new_default {
            aws.ec2()
                .modify_launch_template()
                .launch_template_id(id)
                .default_version(version.to_string())
                .send()
                .await
                .map_err(sdk_error)?;
        }
        ec2_update_tags(aws, id, prior, planned).await
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let id = prior_id(prior)?;
        ok_if_already_gone(
            aws.ec2()
                .delete_launch_template()
                .launch_template_id(id)
                .send()
                .await,
        )
    }
}

/// DescribeLaunchTemplates by id, all ids in one call. AWS fails the whole
/// call when one id is unknown and has no filter by id, so on NotFound each
/// id is described on its own and the missing ones are dropped.
async fn describe_templates(
    aws: &AwsContext,
    ids: &[String],
) -> Result<Vec<AwsLaunchTemplate>, ProviderError> {
    describe_skipping_missing(ids, ids.len(), |chunk| {
        let pages = aws
            .ec2()
            .describe_launch_templates()
            .set_launch_template_ids(Some(chunk))
            .into_paginator()
            .items()
            .send();
        async move { pages.try_collect().await.map_err(sdk_error) }
    })
    .await
}

fn template_data(planned: &Attrs) -> RequestLaunchTemplateData {
    let profile = single(planned, "iam_instance_profile").map(|p| {
        LaunchTemplateIamInstanceProfileSpecificationRequest::builder()
            .set_arn(p.str("arn").map(str::to_string))
            .set_name(p.str("name").map(str::to_string))
            .build()
    });
    let tag_specifications: Vec<LaunchTemplateTagSpecificationRequest> = planned
        .blocks("tag_specifications")
        .into_iter()
        .map(|spec| {
            LaunchTemplateTagSpecificationRequest::builder()
                .set_resource_type(spec.str("resource_type").map(Ec2ResourceType::from))
                .set_tags(Some(
                    spec.string_map("tags")
                        .into_iter()
                        .map(|(k, v)| Tag::builder().key(k).value(v).build())
                        .collect(),
                ))
                .build()
        })
        .collect();
    let metadata = single(planned, "metadata_options").map(|m| {
        let text = |key: &str| m.str(key).map(str::to_string);
        LaunchTemplateInstanceMetadataOptionsRequest::builder()
            .set_http_endpoint(
                text("http_endpoint")
                    .map(|v| LaunchTemplateInstanceMetadataEndpointState::from(v.as_str())),
            )
            .set_http_tokens(
                text("http_tokens").map(|v| LaunchTemplateHttpTokensState::from(v.as_str())),
            )
            .set_http_put_response_hop_limit(m.i64("http_put_response_hop_limit").map(|n| n as i32))
            .set_http_protocol_ipv6(
                text("http_protocol_ipv6")
                    .map(|v| LaunchTemplateInstanceMetadataProtocolIpv6::from(v.as_str())),
            )
            .set_instance_metadata_tags(
                text("instance_metadata_tags")
                    .map(|v| LaunchTemplateInstanceMetadataTagsState::from(v.as_str())),
            )
            .build()
    });
    let security_groups = planned.strings("vpc_security_group_ids");
    let data = RequestLaunchTemplateData::builder()
        .set_metadata_options(metadata)
        .set_image_id(planned.str("image_id").map(str::to_string))
        .set_instance_type(planned.str("instance_type").map(InstanceType::from))
        .set_key_name(planned.str("key_name").map(str::to_string))
        .set_user_data(planned.str("user_data").map(str::to_string))
        .set_security_group_ids((!security_groups.is_empty()).then_some(security_groups))
        .set_iam_instance_profile(profile)
        .set_tag_specifications((!tag_specifications.is_empty()).then_some(tag_specifications));
    launch_template_data::with_launch_options(data, planned).build()
}

fn template_attrs(
    aws: &AwsContext,
    template: &AwsLaunchTemplate,
    description: Option<&str>,
    data: Option<&ResponseLaunchTemplateData>,
) -> Attrs {
    let id = template.launch_template_id().unwrap_or_default();
    let name = template.launch_template_name().unwrap_or_default();
    let mut out = attrs([
        ("id", Value::string(id)),
        ("name", Value::string(name)),
        ("name_prefix", prefix_from_name(name)),
        ("description", description.filter(|d| !d.is_empty()).into()),
        ("arn", template_arn(aws, template).into()),
        ("default_version", template.default_version_number().into()),
        ("latest_version", template.latest_version_number().into()),
        ("tags_all", ec2_tags_to_value(template.tags())),
    ]);
    let data_attrs = match data {
        Some(data) => data_attrs(data),
        None => Attrs::new(),
    };
    out.extend(data_attrs);
    out
}

/// The launch arguments of a version, in the shape the user writes them.
fn data_attrs(data: &ResponseLaunchTemplateData) -> Attrs {
    let profile: Vec<Value> = data
        .iam_instance_profile()
        .map(|p| Value::Map(attrs([("arn", p.arn().into()), ("name", p.name().into())]).into()))
        .into_iter()
        .collect();
    let metadata: Vec<Value> = data
        .metadata_options()
        .map(|m| {
            Value::Map(
                attrs([
                    (
                        "http_endpoint",
                        m.http_endpoint().map(|v| v.as_str()).into(),
                    ),
                    ("http_tokens", m.http_tokens().map(|v| v.as_str()).into()),
                    (
                        "http_put_response_hop_limit",
                        m.http_put_response_hop_limit().into(),
                    ),
                    (
                        "http_protocol_ipv6",
                        m.http_protocol_ipv6().map(|v| v.as_str()).into(),
                    ),
                    (
                        "instance_metadata_tags",
                        m.instance_metadata_tags().map(|v| v.as_str()).into(),
                    ),
                ])
                .into(),
            )
        })
        .into_iter()
        .collect();
    let tag_specifications: Vec<Value> = data
        .tag_specifications()
        .iter()
        // A template's own tags never belong here on AWS; the emulator copies
        // them into the version data as a "launch-template" entry.
        .filter(|spec| spec.resource_type() != Some(&Ec2ResourceType::LaunchTemplate))
        .map(|spec| {
            Value::Map(
                attrs([
                    (
                        "resource_type",
                        spec.resource_type().map(|r| r.as_str()).into(),
                    ),
                    (
                        "tags",
                        Value::Map(
                            spec.tags()
                                .iter()
                                .filter_map(|t| {
                                    Some((
                                        t.key()?.to_string(),
                                        Value::string(t.value().unwrap_or_default()),
                                    ))
                                })
                                .collect(),
                        ),
                    ),
                ])
                .into(),
            )
        })
        .collect();
    let mut out = attrs([
        ("image_id", data.image_id().into()),
        (
            "instance_type",
            data.instance_type().map(|t| t.as_str()).into(),
        ),
        ("key_name", data.key_name().into()),
        // Empty user data is no user data (Terraform sends "" for none).
        (
            "user_data",
            data.user_data().filter(|d| !d.is_empty()).into(),
        ),
        (
            "vpc_security_group_ids",
            string_set_or_null(data.security_group_ids().to_vec()),
        ),
        ("iam_instance_profile", Value::List(profile.into())),
        ("metadata_options", Value::List(metadata.into())),
        ("tag_specifications", Value::List(tag_specifications.into())),
    ]);
    out.extend(launch_template_data::launch_option_attrs(data));
    out
}

/// `arn:<partition>:ec2:<region>:<account>:launch-template/<id>`. The account
/// and partition come from the template's `CreatedBy` ARN, which saves a
/// call to STS.
fn template_arn(aws: &AwsContext, template: &AwsLaunchTemplate) -> Option<String> {
    let created_by: Vec<&str> = template.created_by()?.split(':').collect();
    let (partition, account) = (created_by.get(1)?, created_by.get(4)?);
    Some(format!(
        "arn:{partition}:ec2:{}:{account}:launch-template/{}",
        aws.region()?,
        template.launch_template_id()?
    ))
}
