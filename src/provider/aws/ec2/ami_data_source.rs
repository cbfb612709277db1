//! Data source `aws_ami`: the machine image that matches owners, filters,
//! a name pattern and executable users; with `most_recent`, the newest of
//! several (by creation date), else several are an error, as in Terraform.
//! Deprecated images are searched only with `include_deprecated`.

use std::sync::LazyLock;

use async_trait::async_trait;
use aws_sdk_ec2::types::{BlockDeviceMapping, Image};

use super::ec2_arn;
use super::vpc_data_source::{filter_block, tag_and_block_filters};
use crate::provider::aws::convert::nested;
use crate::provider::aws::{AwsContext, Timeouts, ec2_tags_to_value, sdk_error};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{DataSourceType, ErrorKind, ProviderError};
use crate::value::{Attrs, AttrsExt, Value};

pub struct AmiDataSource;

/// The image's plain text attributes, as the data source names them.
const TEXT_ATTRIBUTES: [&str; 22] = [
    "architecture",
    "boot_mode",
    "creation_date",
    "deprecation_time",
    "description",
    "hypervisor",
    "image_id",
    "image_location",
    "image_owner_alias",
    "image_type",
    "imds_support",
    "kernel_id",
    "name",
    "owner_id",
    "platform",
    "platform_details",
    "ramdisk_id",
    "root_device_name",
    "root_device_type",
    "sriov_net_support",
    "state",
    "tpm_support",
];

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let strings = || Type::list_of(Type::String);
    let mut attributes = vec![
        Attribute::optional("owners", strings()),
        Attribute::optional("executable_users", strings()),
        Attribute::optional("most_recent", Type::Bool).default(false),
        Attribute::optional("include_deprecated", Type::Bool).default(false),
        Attribute::optional("name_regex", Type::String),
        Attribute::optional_computed("tags", Type::map_of(Type::String)),
        Attribute::computed("id", Type::String),
        Attribute::computed("arn", Type::String),
        Attribute::computed("ena_support", Type::Bool),
        Attribute::computed("public", Type::Bool),
        Attribute::computed("root_snapshot_id", Type::String),
        Attribute::computed("usage_operation", Type::String),
        Attribute::computed("block_device_mappings", Type::Any),
        Attribute::computed("product_codes", Type::Any),
        Attribute::computed("state_reason", Type::map_of(Type::String)),
    ];
    attributes.extend(
        TEXT_ATTRIBUTES
            .iter()
            .map(|name| Attribute::computed(name, Type::String)),
    );
    Schema::new(attributes, vec![filter_block(), Timeouts::read_block()])
});

#[async_trait]
impl DataSourceType for AmiDataSource {
    fn type_name(&self) -> &'static str {
        "aws_ami"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    async fn read(&self, aws: &AwsContext, args: &Attrs) -> Result<Attrs, ProviderError> {
        let filters = tag_and_block_filters(args);
        let owners = args.strings("owners");
        let users = args.strings("executable_users");
        let name_regex = match args.str("name_regex") {
            Some(pattern) => Some(regex::Regex::new(pattern).map_err(|e| {
                ProviderError::new(
                    ErrorKind::Validation,
                    format!("name_regex {pattern:?} is not a valid regular expression: {e}"),
                )
            })?),
            None => None,
        };
        let images: Vec<Image> = aws
            .ec2()
            .describe_images()
            .set_owners((!owners.is_empty()).then_some(owners))
            .set_executable_users((!users.is_empty()).then_some(users))
            .set_filters((!filters.is_empty()).then_some(filters))
            .include_deprecated(args.bool("include_deprecated") == Some(true))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(sdk_error)?;
        let mut matching: Vec<Image> = images
            .into_iter()
            .filter(|image| {
                name_regex
                    .as_ref()
                    .is_none_or(|re| re.is_match(image.name().unwrap_or_default()))
            })
            .collect();
        if matching.is_empty() {
            return Err(ProviderError::new(
                ErrorKind::NotFound,
                "your query returned no results; change the search criteria and try again",
            ));
        }
        if matching.len() > 1 && args.bool("most_recent") != Some(true) {
            return Err(ProviderError::new(
                ErrorKind::Validation,
                format!(
                    "your query returned {} images; use more specific criteria, or set most_recent = true",
                    matching.len()
                ),
            ));
        }
        // ISO 8601 dates of one format: their text sorts by time.
        matching.sort_by(|a, b| a.creation_date().cmp(&b.creation_date()));
        let image = matching.pop().expect("at least one image");
        Ok(image_attrs(aws, args, &image))
    }
}

fn image_attrs(aws: &AwsContext, args: &Attrs, image: &Image) -> Attrs {
    let id = image.image_id().unwrap_or_default();
    let text = |name: &str| -> Option<String> {
        let value = match name {
            "architecture" => image.architecture().map(|v| v.as_str()),
            "boot_mode" => image.boot_mode().map(|v| v.as_str()),
            "creation_date" => image.creation_date(),
            "deprecation_time" => image.deprecation_time(),
            "description" => image.description(),
            "hypervisor" => image.hypervisor().map(|v| v.as_str()),
            "image_id" => image.image_id(),
            "image_location" => image.image_location(),
            "image_owner_alias" => image.image_owner_alias(),
            "image_type" => image.image_type().map(|v| v.as_str()),
            "imds_support" => image.imds_support().map(|v| v.as_str()),
            "kernel_id" => image.kernel_id(),
            "name" => image.name(),
            "owner_id" => image.owner_id(),
            "platform" => image.platform().map(|v| v.as_str()),
            "platform_details" => image.platform_details(),
            "ramdisk_id" => image.ramdisk_id(),
            "root_device_name" => image.root_device_name(),
            "root_device_type" => image.root_device_type().map(|v| v.as_str()),
            "sriov_net_support" => image.sriov_net_support(),
            "state" => image.state().map(|v| v.as_str()),
            "tpm_support" => image.tpm_support().map(|v| v.as_str()),
            _ => None,
        };
        value.map(str::to_string)
    };
    let mut out = args.clone();
    for name in TEXT_ATTRIBUTES {
        out.insert(name.into(), Value::from(text(name)));
    }
    let root_device = image.root_device_name();
    let root_snapshot = image
        .block_device_mappings()
        .iter()
        .find(|m| m.device_name() == root_device)
        .and_then(|m| m.ebs())
        .and_then(|ebs| ebs.snapshot_id());
    out.extend([
        ("id".into(), Value::string(id)),
        (
            "arn".into(),
            // An image's ARN names no account: `arn:aws:ec2:REGION::image/ID`.
            Value::string(ec2_arn(aws, "", &format!("image/{id}"))),
        ),
        ("ena_support".into(), Value::from(image.ena_support())),
        ("public".into(), Value::from(image.public())),
        ("root_snapshot_id".into(), Value::from(root_snapshot)),
        (
            "usage_operation".into(),
            Value::from(image.usage_operation()),
        ),
        (
            "block_device_mappings".into(),
            Value::List(image.block_device_mappings().iter().map(mapping).collect()),
        ),
        (
            "product_codes".into(),
            Value::List(
                image
                    .product_codes()
                    .iter()
                    .map(|c| {
                        Value::Map(
                            nested([
                                ("product_code_id", Value::from(c.product_code_id())),
                                (
                                    "product_code_type",
                                    Value::from(c.product_code_type().map(|t| t.as_str())),
                                ),
                            ])
                            .into(),
                        )
                    })
                    .collect(),
            ),
        ),
        (
            "state_reason".into(),
            Value::Map(
                nested([
                    (
                        "code",
                        Value::string(
                            image
                                .state_reason()
                                .and_then(|r| r.code())
                                .unwrap_or("UNSET"),
                        ),
                    ),
                    (
                        "message",
                        Value::string(
                            image
                                .state_reason()
                                .and_then(|r| r.message())
                                .unwrap_or("UNSET"),
                        ),
                    ),
                ])
                .into(),
            ),
        ),
        ("tags".into(), ec2_tags_to_value(image.tags())),
    ]);
    out
}

/// One block device mapping as Terraform's data source reads it: the EBS
/// settings as a map of strings.
fn mapping(m: &BlockDeviceMapping) -> Value {
    let ebs = m.ebs().map(|ebs| {
        let pairs = [
            (
                "delete_on_termination",
                ebs.delete_on_termination().map(|b| b.to_string()),
            ),
            ("encrypted", ebs.encrypted().map(|b| b.to_string())),
            ("iops", ebs.iops().map(|n| n.to_string())),
            ("snapshot_id", ebs.snapshot_id().map(str::to_string)),
            ("throughput", ebs.throughput().map(|n| n.to_string())),
            ("volume_size", ebs.volume_size().map(|n| n.to_string())),
            (
                "volume_type",
                ebs.volume_type().map(|t| t.as_str().to_string()),
            ),
        ];
        Value::Map(
            pairs
                .into_iter()
                .filter_map(|(k, v)| Some((k.to_string(), Value::string(v?))))
                .collect(),
        )
    });
    Value::Map(
        nested([
            ("device_name", Value::from(m.device_name())),
            ("ebs", ebs.unwrap_or(Value::Map(Attrs::new().into()))),
            ("no_device", Value::from(m.no_device())),
            ("virtual_name", Value::from(m.virtual_name())),
        ])
        .into(),
    )
}
