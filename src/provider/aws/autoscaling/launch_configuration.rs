//! `aws_launch_configuration`: the launch template's predecessor, still in
//! many configurations. AWS never changes one, so every argument forces a
//! new one, as in Terraform.
//!
//! The id is the name. The root device is told from the other EBS devices
//! by the image's root device name (one DescribeImages for the images of a
//! whole read). User data is not reported back in the form it was written
//! (text or base64), and cannot change in AWS, so reads leave it out and
//! the state keeps what was planned. Launch configurations take no tags:
//! after a lost create answer, one of that name is this create's own only
//! if AWS made it after the create began.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use async_trait::async_trait;
use aws_sdk_autoscaling::types::{
    BlockDeviceMapping, Ebs, InstanceMetadataEndpointState, InstanceMetadataHttpTokensState,
    InstanceMetadataOptions, InstanceMonitoring, LaunchConfiguration,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::provider::aws::batch::describe_in_chunks;
use crate::provider::aws::convert::{
    i32_arg, made_since, nested, optional_block, prior_id, single, string_set, user_data_digest,
};
use crate::provider::aws::names::{name_for_create, prefix_from_name};
use crate::provider::aws::{AwsContext, ok_if_already_gone, sdk_error};
use crate::provider::schema::{Attribute, Block, Schema, Type};
use crate::provider::{CreateRequest, Found, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value, attrs};

pub struct LaunchConfigurationType;

/// DescribeLaunchConfigurations accepts at most this many names per call.
const NAMES_PER_DESCRIBE: usize = 50;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let ebs = |with_device: bool| {
        let mut attributes = vec![
            Attribute::optional("delete_on_termination", Type::Bool)
                .default(true)
                .force_new(),
            Attribute::optional_computed("encrypted", Type::Bool).force_new(),
            Attribute::optional_computed("iops", Type::Number).force_new(),
            Attribute::optional_computed("throughput", Type::Number).force_new(),
            Attribute::optional_computed("volume_size", Type::Number).force_new(),
            Attribute::optional_computed("volume_type", Type::String).force_new(),
        ];
        if with_device {
            attributes.extend([
                Attribute::required("device_name", Type::String).force_new(),
                Attribute::optional("no_device", Type::Bool)
                    .default(false)
                    .force_new(),
                Attribute::optional_computed("snapshot_id", Type::String).force_new(),
            ]);
        }
        Schema::new(attributes, vec![])
    };
    let ephemeral = Schema::new(
        vec![
            Attribute::required("device_name", Type::String).force_new(),
            Attribute::optional("no_device", Type::Bool)
                .default(false)
                .force_new(),
            Attribute::optional("virtual_name", Type::String).force_new(),
        ],
        vec![],
    );
    let metadata = Schema::new(
        vec![
            Attribute::optional_computed("http_endpoint", Type::String).force_new(),
            Attribute::optional_computed("http_tokens", Type::String).force_new(),
            Attribute::optional_computed("http_put_response_hop_limit", Type::Number).force_new(),
        ],
        vec![],
    );
    Schema::new(
        vec![
            Attribute::optional_computed("name", Type::String).force_new(),
            Attribute::optional_computed("name_prefix", Type::String).force_new(),
            Attribute::required("image_id", Type::String).force_new(),
            Attribute::required("instance_type", Type::String).force_new(),
            Attribute::optional("iam_instance_profile", Type::String).force_new(),
            Attribute::optional_computed("key_name", Type::String).force_new(),
            Attribute::optional("security_groups", Type::set_of(Type::String)).force_new(),
            Attribute::optional_computed("associate_public_ip_address", Type::Bool).force_new(),
            Attribute::optional_computed("ebs_optimized", Type::Bool).force_new(),
            Attribute::optional("enable_monitoring", Type::Bool)
                .default(true)
                .force_new(),
            Attribute::optional("placement_tenancy", Type::String).force_new(),
            Attribute::optional("spot_price", Type::String).force_new(),
            Attribute::optional("user_data", Type::String)
                .normalized_with(user_data_digest)
                .force_new(),
            Attribute::optional("user_data_base64", Type::String).force_new(),
            Attribute::computed("arn", Type::String),
            Attribute::computed("id", Type::String),
        ],
        vec![
            Block::set("ebs_block_device", ebs(true))
                .computed_when_absent()
                .force_new(),
            Block::set("ephemeral_block_device", ephemeral).force_new(),
            Block::single("metadata_options", metadata)
                .computed_when_absent()
                .force_new(),
            Block::single("root_block_device", ebs(false))
                .computed_when_absent()
                .force_new(),
        ],
    )
});

#[async_trait]
impl ResourceType for LaunchConfigurationType {
    fn type_name(&self) -> &'static str {
        "aws_launch_configuration"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let configurations = describe(aws, ids).await?;
        let images: BTreeSet<String> = configurations
            .iter()
            .filter_map(|c| c.image_id().map(str::to_string))
            .collect();
        let roots = root_device_names(aws, images.into_iter().collect()).await?;
        Ok(configurations
            .iter()
            .map(|c| {
                let root = c.image_id().and_then(|image| roots.get(image));
                (
                    c.launch_configuration_name()
                        .unwrap_or_default()
                        .to_string(),
                    to_attrs(c, root.map(String::as_str)),
                )
            })
            .collect())
    }

    async fn find_created(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<Found, ProviderError> {
        let name = name_for_create(req.planned, "name", "name_prefix", req.client_token);
        let found = describe(aws, std::slice::from_ref(&name)).await?;
        Ok(match found.first() {
            Some(c) if c.created_time().is_some_and(|t| made_since(t, req.started)) => {
                Found::Ours(name)
            }
            Some(_) => Found::Foreign(name),
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
        let text = |key: &str| planned.str(key).map(str::to_string);
        let user_data = match (planned.str("user_data"), planned.str("user_data_base64")) {
            (Some(text), _) => Some(BASE64.encode(text)),
            (None, encoded) => encoded.map(str::to_string),
        };
        let security_groups = planned.strings("security_groups");
        aws.autoscaling()
            .create_launch_configuration()
            .launch_configuration_name(&name)
            .set_image_id(text("image_id"))
            .set_instance_type(text("instance_type"))
            .set_iam_instance_profile(text("iam_instance_profile"))
            .set_key_name(text("key_name"))
            .set_security_groups((!security_groups.is_empty()).then_some(security_groups))
            .set_associate_public_ip_address(planned.bool("associate_public_ip_address"))
            .set_ebs_optimized(planned.bool("ebs_optimized"))
            .instance_monitoring(
                InstanceMonitoring::builder()
                    .enabled(planned.bool("enable_monitoring").unwrap_or(true))
                    .build(),
            )
            .set_placement_tenancy(text("placement_tenancy"))
            .set_spot_price(text("spot_price"))
            .set_user_data(user_data)
            .set_block_device_mappings(block_device_request(aws, planned).await?)
            .set_metadata_options(single(planned, "metadata_options").map(metadata_request))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(name)
    }

    async fn update(
        &self,
        _aws: &AwsContext,
        _prior: &Attrs,
        _planned: &Attrs,
    ) -> Result<(), ProviderError> {
        // Every argument forces a new launch configuration.
        Ok(())
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let name = prior_id(prior)?;
        // One still used by a group fails with ResourceInUse, which the
        // engine retries while the group moves off it.
        ok_if_already_gone(
            aws.autoscaling()
                .delete_launch_configuration()
                .launch_configuration_name(name)
                .send()
                .await,
        )
    }
}

/// DescribeLaunchConfigurations by name; names not found are left out.
async fn describe(
    aws: &AwsContext,
    names: &[String],
) -> Result<Vec<LaunchConfiguration>, ProviderError> {
    describe_in_chunks(names, NAMES_PER_DESCRIBE, |chunk| {
        let pages = aws
            .autoscaling()
            .describe_launch_configurations()
            .set_launch_configuration_names(Some(chunk))
            .into_paginator()
            .items()
            .send();
        async move { pages.try_collect().await.map_err(sdk_error) }
    })
    .await
}

/// Each image's root device name, from one DescribeImages call. An image
/// gone or hidden is left out (its launch configurations' devices then all
/// read as EBS devices).
async fn root_device_names(
    aws: &AwsContext,
    images: Vec<String>,
) -> Result<BTreeMap<String, String>, ProviderError> {
    if images.is_empty() {
        return Ok(BTreeMap::new());
    }
    // By filter: an image gone leaves only itself out, not the whole call.
    let described = aws
        .ec2()
        .describe_images()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("image-id")
                .set_values(Some(images))
                .build(),
        )
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(described
        .images()
        .iter()
        .filter_map(|image| {
            Some((
                image.image_id()?.to_string(),
                image.root_device_name()?.to_string(),
            ))
        })
        .collect())
}

/// The root device name of the image a create uses, to send the
/// `root_block_device` under.
async fn root_device_of(aws: &AwsContext, image: &str) -> Result<String, ProviderError> {
    let roots = root_device_names(aws, vec![image.to_string()]).await?;
    roots.get(image).cloned().ok_or_else(|| {
        ProviderError::new(
            crate::provider::ErrorKind::NotFound,
            format!(
                "image {image} was not found, so its root device for root_block_device is unknown"
            ),
        )
    })
}

fn ebs_request(block: &Attrs) -> Ebs {
    Ebs::builder()
        .set_delete_on_termination(block.bool("delete_on_termination"))
        .set_encrypted(block.bool("encrypted"))
        .set_iops(i32_arg(block, "iops"))
        .set_throughput(i32_arg(block, "throughput"))
        .set_volume_size(i32_arg(block, "volume_size"))
        .set_volume_type(block.str("volume_type").map(str::to_string))
        .set_snapshot_id(block.str("snapshot_id").map(str::to_string))
        .build()
}

async fn block_device_request(
    aws: &AwsContext,
    planned: &Attrs,
) -> Result<Option<Vec<BlockDeviceMapping>>, ProviderError> {
    let mut mappings = Vec::new();
    for device in planned.blocks("ebs_block_device") {
        let no_device = device.bool("no_device") == Some(true);
        mappings.push(
            BlockDeviceMapping::builder()
                .device_name(device.str("device_name").unwrap_or_default())
                .set_no_device(no_device.then_some(true))
                .set_ebs((!no_device).then(|| ebs_request(device)))
                .build(),
        );
    }
    for device in planned.blocks("ephemeral_block_device") {
        let no_device = device.bool("no_device") == Some(true);
        mappings.push(
            BlockDeviceMapping::builder()
                .device_name(device.str("device_name").unwrap_or_default())
                .set_no_device(no_device.then_some(true))
                .set_virtual_name(device.str("virtual_name").map(str::to_string))
                .build(),
        );
    }
    if let Some(root) = single(planned, "root_block_device") {
        let image = planned.str("image_id").unwrap_or_default();
        mappings.push(
            BlockDeviceMapping::builder()
                .device_name(root_device_of(aws, image).await?)
                .ebs(ebs_request(root))
                .build(),
        );
    }
    Ok((!mappings.is_empty()).then_some(mappings))
}

fn metadata_request(block: &Attrs) -> InstanceMetadataOptions {
    InstanceMetadataOptions::builder()
        .set_http_endpoint(
            block
                .str("http_endpoint")
                .map(InstanceMetadataEndpointState::from),
        )
        .set_http_tokens(
            block
                .str("http_tokens")
                .map(InstanceMetadataHttpTokensState::from),
        )
        .set_http_put_response_hop_limit(i32_arg(block, "http_put_response_hop_limit"))
        .build()
}

fn ebs_attrs(ebs: Option<&Ebs>) -> Vec<(&'static str, Value)> {
    vec![
        (
            "delete_on_termination",
            Value::Bool(ebs.and_then(Ebs::delete_on_termination).unwrap_or(true)),
        ),
        ("encrypted", ebs.and_then(Ebs::encrypted).into()),
        ("iops", ebs.and_then(Ebs::iops).into()),
        ("throughput", ebs.and_then(Ebs::throughput).into()),
        ("volume_size", ebs.and_then(Ebs::volume_size).into()),
        ("volume_type", ebs.and_then(Ebs::volume_type).into()),
    ]
}

fn to_attrs(c: &LaunchConfiguration, root_device: Option<&str>) -> Attrs {
    let name = c.launch_configuration_name().unwrap_or_default();
    let mappings = c.block_device_mappings();
    let is_root = |m: &&BlockDeviceMapping| root_device.is_some() && m.device_name() == root_device;
    let root = mappings
        .iter()
        .find(is_root)
        .map(|m| nested(ebs_attrs(m.ebs())));
    let ebs_devices: Vec<Value> = mappings
        .iter()
        .filter(|m| !is_root(m) && m.virtual_name().is_none())
        .map(|m| {
            let mut device = ebs_attrs(m.ebs());
            device.extend([
                ("device_name", m.device_name().into()),
                ("no_device", Value::Bool(m.no_device().unwrap_or(false))),
                ("snapshot_id", m.ebs().and_then(Ebs::snapshot_id).into()),
            ]);
            Value::Map(nested(device).into())
        })
        .collect();
    let ephemeral: Vec<Value> = mappings
        .iter()
        .filter(|m| m.virtual_name().is_some())
        .map(|m| {
            Value::Map(
                nested([
                    ("device_name", m.device_name().into()),
                    ("no_device", Value::Bool(m.no_device().unwrap_or(false))),
                    ("virtual_name", m.virtual_name().into()),
                ])
                .into(),
            )
        })
        .collect();
    let metadata = c.metadata_options().map(|m| {
        nested([
            (
                "http_endpoint",
                m.http_endpoint().map(|e| e.as_str()).into(),
            ),
            ("http_tokens", m.http_tokens().map(|t| t.as_str()).into()),
            (
                "http_put_response_hop_limit",
                m.http_put_response_hop_limit().into(),
            ),
        ])
    });
    attrs([
        ("id", Value::string(name)),
        ("name", Value::string(name)),
        ("name_prefix", prefix_from_name(name)),
        ("arn", c.launch_configuration_arn().into()),
        ("image_id", c.image_id().into()),
        ("instance_type", c.instance_type().into()),
        ("iam_instance_profile", c.iam_instance_profile().into()),
        ("key_name", c.key_name().filter(|k| !k.is_empty()).into()),
        (
            "security_groups",
            string_set(c.security_groups().iter().cloned()),
        ),
        (
            "associate_public_ip_address",
            c.associate_public_ip_address().into(),
        ),
        ("ebs_optimized", c.ebs_optimized().into()),
        (
            "enable_monitoring",
            Value::Bool(
                c.instance_monitoring()
                    .and_then(InstanceMonitoring::enabled)
                    .unwrap_or(true),
            ),
        ),
        ("placement_tenancy", c.placement_tenancy().into()),
        ("spot_price", c.spot_price().into()),
        ("ebs_block_device", Value::List(ebs_devices.into())),
        ("ephemeral_block_device", Value::List(ephemeral.into())),
        ("root_block_device", optional_block(root)),
        ("metadata_options", optional_block(metadata)),
    ])
}
