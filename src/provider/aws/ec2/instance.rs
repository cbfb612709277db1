//! `aws_instance`: one EC2 instance, launched with RunInstances and kept
//! running.
//!
//! Holds only the schema and the EC2 calls. As in Terraform: the image, the
//! network placement and the key make a new instance; the instance type,
//! user data and EBS optimisation change in place with a stop and a start;
//! security groups, termination and stop protection, the shutdown
//! behaviour, source/destination checking, monitoring, the instance
//! profile, the metadata options and the root volume's size, type, IOPS
//! and throughput change in place while it runs. A delete lifts
//! termination protection first, as the provider does, and waits for the
//! instance to be terminated. User data is stored as text and compared
//! with a state that holds Terraform's SHA-1 of it, so migrated state
//! plans clean.

use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    AttributeBooleanValue, AttributeValue, BlockDeviceMapping, EbsBlockDevice,
    HibernationOptionsRequest, HttpTokensState, IamInstanceProfileSpecification, Instance,
    InstanceAttributeName, InstanceMetadataEndpointState, InstanceMetadataOptionsRequest,
    InstanceMetadataProtocolState, InstanceMetadataTagsState,
    InstanceNetworkInterfaceSpecification, InstanceStateName, InstanceType, Placement,
    ResourceType as Ec2ResourceType, RunInstancesMonitoringEnabled, ShutdownBehavior,
    TagSpecification, Tenancy, VolumeType,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use futures::TryFutureExt;

use super::{describe_by_filter, ec2_arn, metadata_options_schema, wait_for_object};
use crate::provider::aws::batch::fetch_each;
use crate::provider::aws::convert::{
    differs, i32_arg, keyed_by_id, nested, optional_block, prior_id, single, string_set,
    user_data_digest,
};
use crate::provider::aws::{
    AwsContext, Timeouts, ec2_find_tagged, ec2_tag_specification, ec2_tags_to_value,
    ec2_update_tags, id_from_answer, ok_if_already_gone, sdk_error,
};
use crate::provider::schema::{Attribute, Block, Schema, Type};
use crate::provider::{CreateRequest, ErrorKind, Found, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value};

pub struct Ec2Instance;

/// Terraform's defaults for an instance.
const DEFAULT_TIMEOUTS: Timeouts = Timeouts {
    create: Duration::from_secs(10 * 60),
    update: Duration::from_secs(10 * 60),
    delete: Duration::from_secs(20 * 60),
};

/// The instance's own settings that DescribeInstances does not report,
/// read with DescribeInstanceAttribute one by one.
const ATTRIBUTES: [(&str, InstanceAttributeName); 4] = [
    ("user_data", InstanceAttributeName::UserData),
    (
        "disable_api_termination",
        InstanceAttributeName::DisableApiTermination,
    ),
    ("disable_api_stop", InstanceAttributeName::DisableApiStop),
    (
        "instance_initiated_shutdown_behavior",
        InstanceAttributeName::InstanceInitiatedShutdownBehavior,
    ),
];

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let string_set = || Type::set_of(Type::String);
    let attributes = vec![
        Attribute::optional_computed("ami", Type::String).force_new(),
        Attribute::optional_computed("instance_type", Type::String),
        Attribute::optional_computed("availability_zone", Type::String).force_new(),
        Attribute::optional_computed("subnet_id", Type::String).force_new(),
        Attribute::optional_computed("private_ip", Type::String).force_new(),
        Attribute::optional_computed("associate_public_ip_address", Type::Bool).force_new(),
        Attribute::optional_computed("vpc_security_group_ids", string_set()),
        Attribute::optional_computed("security_groups", string_set()).force_new(),
        Attribute::optional_computed("key_name", Type::String).force_new(),
        // Named or given by ARN; AWS reports the ARN, state keeps the name.
        Attribute::optional_computed("iam_instance_profile", Type::String)
            .normalized_with(|profile| profile_name(profile).to_string()),
        Attribute::optional_computed("user_data", Type::String).normalized_with(user_data_digest),
        Attribute::optional_computed("user_data_base64", Type::String),
        Attribute::optional_computed("monitoring", Type::Bool),
        Attribute::optional_computed("disable_api_termination", Type::Bool),
        Attribute::optional_computed("disable_api_stop", Type::Bool),
        Attribute::optional_computed("instance_initiated_shutdown_behavior", Type::String),
        Attribute::optional_computed("ebs_optimized", Type::Bool),
        Attribute::optional("source_dest_check", Type::Bool).default(true),
        Attribute::optional_computed("tenancy", Type::String).force_new(),
        Attribute::optional_computed("placement_group", Type::String).force_new(),
        Attribute::optional("hibernation", Type::Bool)
            .default(false)
            .force_new(),
        Attribute::optional("volume_tags", Type::map_of(Type::String)),
        Attribute::computed("arn", Type::String),
        Attribute::computed("instance_state", Type::String),
        Attribute::computed("primary_network_interface_id", Type::String),
        Attribute::computed("private_dns", Type::String),
        Attribute::computed("public_dns", Type::String),
        Attribute::computed("public_ip", Type::String),
        Attribute::computed("outpost_arn", Type::String),
        Attribute::computed("instance_lifecycle", Type::String),
        Attribute::computed("spot_instance_request_id", Type::String),
        Attribute::computed("id", Type::String),
    ];
    let root_block_device = Schema::new(
        vec![
            Attribute::optional("delete_on_termination", Type::Bool).default(true),
            Attribute::optional_computed("encrypted", Type::Bool).force_new(),
            Attribute::optional_computed("kms_key_id", Type::String).force_new(),
            Attribute::optional_computed("iops", Type::Number),
            Attribute::optional_computed("throughput", Type::Number),
            Attribute::optional_computed("volume_size", Type::Number),
            Attribute::optional_computed("volume_type", Type::String),
            Attribute::computed("device_name", Type::String),
            Attribute::computed("volume_id", Type::String),
        ],
        vec![],
    );
    Schema::with_tags(
        attributes,
        vec![
            Block::single("root_block_device", root_block_device).computed_when_absent(),
            Block::single("metadata_options", metadata_options_schema()).computed_when_absent(),
            Timeouts::block(&["create", "read", "update", "delete"]),
        ],
    )
});

/// The user data to send, base64 as the API takes it.
fn user_data_base64(planned: &Attrs) -> Option<String> {
    match (planned.str("user_data"), planned.str("user_data_base64")) {
        (Some(text), _) => Some(BASE64.encode(text)),
        (None, Some(encoded)) => Some(encoded.to_string()),
        (None, None) => None,
    }
}

/// The user data to set when the plan changes it, base64 as
/// ModifyInstanceAttribute wants it inside its blob (the emulator, like
/// boto3's users, expects the blob to hold base64 text): from
/// `user_data_base64` when that changed, else from `user_data` when its
/// digest did (the state may hold Terraform's digest of it).
fn changed_user_data(prior: &Attrs, planned: &Attrs) -> Option<String> {
    if differs(prior, planned, "user_data_base64")
        && let Some(encoded) = planned.str("user_data_base64")
    {
        return Some(encoded.to_string());
    }
    let digest = |attrs: &Attrs| attrs.str("user_data").map(user_data_digest);
    match planned.str("user_data") {
        Some(text) if digest(prior) != digest(planned) => Some(BASE64.encode(text)),
        _ => None,
    }
}

/// An instance profile given by name or ARN, as RunInstances takes it.
fn profile_specification(profile: &str) -> IamInstanceProfileSpecification {
    let builder = IamInstanceProfileSpecification::builder();
    if profile.starts_with("arn:") {
        builder.arn(profile).build()
    } else {
        builder.name(profile).build()
    }
}

/// The name of the profile an ARN names (`...:instance-profile/path/NAME`).
fn profile_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

fn metadata_request(block: &Attrs) -> InstanceMetadataOptionsRequest {
    InstanceMetadataOptionsRequest::builder()
        .set_http_endpoint(
            block
                .str("http_endpoint")
                .map(InstanceMetadataEndpointState::from),
        )
        .set_http_tokens(block.str("http_tokens").map(HttpTokensState::from))
        .set_http_put_response_hop_limit(i32_arg(block, "http_put_response_hop_limit"))
        .set_http_protocol_ipv6(
            block
                .str("http_protocol_ipv6")
                .map(InstanceMetadataProtocolState::from),
        )
        .set_instance_metadata_tags(
            block
                .str("instance_metadata_tags")
                .map(InstanceMetadataTagsState::from),
        )
        .build()
}

async fn describe_instances(
    aws: &AwsContext,
    ids: &[String],
) -> Result<Vec<(String, Instance)>, ProviderError> {
    describe_by_filter(ids, "instance-id", |by_ids| {
        aws.ec2()
            .describe_instances()
            .filters(by_ids)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .map_ok(|reservations: Vec<aws_sdk_ec2::types::Reservation>| {
                reservations
                    .into_iter()
                    .flat_map(|r| {
                        let owner = r.owner_id().unwrap_or_default().to_string();
                        r.instances
                            .unwrap_or_default()
                            .into_iter()
                            .map(move |i| (owner.clone(), i))
                    })
                    .collect::<Vec<_>>()
            })
    })
    .await
}

fn is_gone(instance: &Instance) -> bool {
    matches!(
        instance.state().and_then(|s| s.name()),
        Some(InstanceStateName::Terminated | InstanceStateName::ShuttingDown)
    )
}

fn state_name(instance: &Instance) -> Option<&InstanceStateName> {
    instance.state().and_then(|s| s.name())
}

/// Waits until the instance is in `wanted`.
async fn wait_for_state(
    aws: &AwsContext,
    id: &str,
    wanted: InstanceStateName,
    timeout: Duration,
) -> Result<(), ProviderError> {
    let ids = [id.to_string()];
    let what = format!("instance {id} to be {}", wanted.as_str());
    wait_for_object(
        &what,
        timeout,
        || {
            describe_instances(aws, &ids)
                .map_ok(|found| found.into_iter().map(|(_, i)| i).collect())
        },
        |instance: &Instance| state_name(instance) == Some(&wanted),
    )
    .await
    .map(drop)
}

/// The settings only DescribeInstanceAttribute reports, as attributes.
async fn read_attributes(aws: &AwsContext, id: String) -> Result<Option<Attrs>, ProviderError> {
    let mut out = Attrs::new();
    for (name, attribute) in ATTRIBUTES {
        let answer = aws
            .ec2()
            .describe_instance_attribute()
            .instance_id(&id)
            .attribute(attribute)
            .send()
            .await
            .map_err(sdk_error)?;
        let value = match name {
            "user_data" => {
                let encoded = answer
                    .user_data()
                    .and_then(|v| v.value())
                    .filter(|v| !v.is_empty());
                let text = encoded
                    .and_then(|e| BASE64.decode(e).ok())
                    .and_then(|bytes| String::from_utf8(bytes).ok());
                out.insert("user_data_base64".into(), Value::from(encoded));
                Value::from(text)
            }
            "disable_api_termination" => {
                Value::from(answer.disable_api_termination().and_then(|v| v.value()))
            }
            "disable_api_stop" => Value::from(answer.disable_api_stop().and_then(|v| v.value())),
            _ => Value::from(
                answer
                    .instance_initiated_shutdown_behavior()
                    .and_then(|v| v.value()),
            ),
        };
        out.insert(name.into(), value);
    }
    Ok(Some(out))
}

/// The root volume's settings, by volume id, in one DescribeVolumes.
async fn root_volumes(
    aws: &AwsContext,
    volume_ids: &[String],
) -> Result<BTreeMap<String, aws_sdk_ec2::types::Volume>, ProviderError> {
    let volumes = describe_by_filter(volume_ids, "volume-id", |by_ids| {
        aws.ec2()
            .describe_volumes()
            .filters(by_ids)
            .into_paginator()
            .items()
            .send()
            .try_collect()
    })
    .await?;
    Ok(volumes
        .into_iter()
        .filter_map(|v| Some((v.volume_id()?.to_string(), v)))
        .collect())
}

/// The root device's mapping: its device name and whether it goes with
/// the instance.
fn root_mapping(instance: &Instance) -> Option<&aws_sdk_ec2::types::InstanceBlockDeviceMapping> {
    let root = instance.root_device_name()?;
    instance
        .block_device_mappings()
        .iter()
        .find(|m| m.device_name() == Some(root))
}

fn read_instance(
    aws: &AwsContext,
    owner: &str,
    instance: &Instance,
    id: &str,
    settings: Option<&Attrs>,
    volumes: &BTreeMap<String, aws_sdk_ec2::types::Volume>,
) -> Attrs {
    let placement = instance.placement();
    let root = root_mapping(instance);
    let root_volume = root
        .and_then(|m| m.ebs())
        .and_then(|ebs| ebs.volume_id())
        .and_then(|v| volumes.get(v));
    let root_block = root.map(|mapping| {
        let ebs = mapping.ebs();
        nested([
            ("device_name", Value::from(mapping.device_name())),
            ("volume_id", Value::from(ebs.and_then(|e| e.volume_id()))),
            (
                "delete_on_termination",
                Value::from(ebs.and_then(|e| e.delete_on_termination())),
            ),
            (
                "encrypted",
                Value::from(root_volume.and_then(|v| v.encrypted())),
            ),
            (
                "kms_key_id",
                Value::from(root_volume.and_then(|v| v.kms_key_id())),
            ),
            ("iops", Value::from(root_volume.and_then(|v| v.iops()))),
            (
                "throughput",
                Value::from(root_volume.and_then(|v| v.throughput())),
            ),
            (
                "volume_size",
                Value::from(root_volume.and_then(|v| v.size())),
            ),
            (
                "volume_type",
                Value::from(
                    root_volume
                        .and_then(|v| v.volume_type())
                        .map(|t| t.as_str()),
                ),
            ),
        ])
    });
    let metadata = instance.metadata_options().map(|m| {
        nested([
            (
                "http_endpoint",
                Value::from(m.http_endpoint().map(|v| v.as_str())),
            ),
            (
                "http_tokens",
                Value::from(m.http_tokens().map(|v| v.as_str())),
            ),
            (
                "http_put_response_hop_limit",
                Value::from(m.http_put_response_hop_limit()),
            ),
            (
                "http_protocol_ipv6",
                Value::from(m.http_protocol_ipv6().map(|v| v.as_str())),
            ),
            (
                "instance_metadata_tags",
                Value::from(m.instance_metadata_tags().map(|v| v.as_str())),
            ),
        ])
    });
    let primary_interface = instance
        .network_interfaces()
        .iter()
        .find(|n| n.attachment().and_then(|a| a.device_index()) == Some(0));
    let volume_tags = root_volume.map_or(Value::Null, |v| ec2_tags_to_value(v.tags()));
    let mut attrs = Attrs::from([
        ("id".into(), Value::string(id)),
        (
            "arn".into(),
            Value::string(ec2_arn(aws, owner, &format!("instance/{id}"))),
        ),
        ("ami".into(), Value::from(instance.image_id())),
        (
            "instance_type".into(),
            Value::from(instance.instance_type().map(|t| t.as_str())),
        ),
        (
            "availability_zone".into(),
            Value::from(placement.and_then(|p| p.availability_zone())),
        ),
        (
            "tenancy".into(),
            Value::from(placement.and_then(|p| p.tenancy()).map(|t| t.as_str())),
        ),
        (
            "placement_group".into(),
            Value::from(
                placement
                    .and_then(|p| p.group_name())
                    .filter(|g| !g.is_empty()),
            ),
        ),
        ("subnet_id".into(), Value::from(instance.subnet_id())),
        (
            "private_ip".into(),
            Value::from(instance.private_ip_address()),
        ),
        (
            "public_ip".into(),
            Value::from(instance.public_ip_address()),
        ),
        (
            "associate_public_ip_address".into(),
            Value::Bool(instance.public_ip_address().is_some()),
        ),
        (
            "private_dns".into(),
            Value::from(instance.private_dns_name()),
        ),
        ("public_dns".into(), Value::from(instance.public_dns_name())),
        ("key_name".into(), Value::from(instance.key_name())),
        (
            "vpc_security_group_ids".into(),
            string_set(
                instance
                    .security_groups()
                    .iter()
                    .filter_map(|g| g.group_id()),
            ),
        ),
        (
            "security_groups".into(),
            string_set(
                instance
                    .security_groups()
                    .iter()
                    .filter_map(|g| g.group_name()),
            ),
        ),
        (
            "iam_instance_profile".into(),
            Value::from(
                instance
                    .iam_instance_profile()
                    .and_then(|p| p.arn())
                    .map(profile_name),
            ),
        ),
        (
            "monitoring".into(),
            Value::Bool(
                instance
                    .monitoring()
                    .and_then(|m| m.state())
                    .is_some_and(|s| s.as_str() == "enabled"),
            ),
        ),
        (
            "ebs_optimized".into(),
            Value::from(instance.ebs_optimized()),
        ),
        (
            "source_dest_check".into(),
            Value::Bool(instance.source_dest_check().unwrap_or(true)),
        ),
        (
            "hibernation".into(),
            Value::Bool(
                instance
                    .hibernation_options()
                    .and_then(|h| h.configured())
                    .unwrap_or(false),
            ),
        ),
        (
            "instance_state".into(),
            Value::from(state_name(instance).map(|s| s.as_str())),
        ),
        (
            "primary_network_interface_id".into(),
            Value::from(primary_interface.and_then(|n| n.network_interface_id())),
        ),
        ("outpost_arn".into(), Value::from(instance.outpost_arn())),
        (
            "instance_lifecycle".into(),
            Value::from(instance.instance_lifecycle().map(|l| l.as_str())),
        ),
        (
            "spot_instance_request_id".into(),
            Value::from(instance.spot_instance_request_id()),
        ),
        ("root_block_device".into(), optional_block(root_block)),
        ("metadata_options".into(), optional_block(metadata)),
        ("volume_tags".into(), volume_tags),
        ("tags_all".into(), ec2_tags_to_value(instance.tags())),
    ]);
    if let Some(settings) = settings {
        attrs.extend(settings.clone());
    }
    attrs
}

#[async_trait]
impl ResourceType for Ec2Instance {
    fn type_name(&self) -> &'static str {
        "aws_instance"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    /// One DescribeInstances and one DescribeVolumes for all ids, then
    /// four DescribeInstanceAttribute calls per instance (AWS has no batch
    /// for those, and Terraform makes the same calls).
    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let instances: Vec<(String, Instance)> = describe_instances(aws, ids)
            .await?
            .into_iter()
            .filter(|(_, i)| !is_gone(i))
            .collect();
        let found: Vec<String> = instances
            .iter()
            .filter_map(|(_, i)| i.instance_id().map(str::to_string))
            .collect();
        let settings = fetch_each(&found, |id| read_attributes(aws, id)).await?;
        let volume_ids: Vec<String> = instances
            .iter()
            .filter_map(|(_, i)| root_mapping(i)?.ebs()?.volume_id().map(str::to_string))
            .collect();
        let volumes = root_volumes(aws, &volume_ids).await?;
        Ok(keyed_by_id(
            &instances,
            |(_, instance): &(String, Instance)| instance.instance_id(),
            |(owner, instance), id| {
                read_instance(aws, owner, instance, id, settings.get(id), &volumes)
            },
        ))
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
        let ami = planned.str("ami").ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Validation,
                "ami is required (terrane does not launch from a launch template yet)",
            )
        })?;
        let groups = planned.strings("vpc_security_group_ids");
        let group_names = planned.strings("security_groups");
        let public_ip = planned.bool("associate_public_ip_address");
        let subnet = planned.str("subnet_id").map(str::to_string);
        let private_ip = planned.str("private_ip").map(str::to_string);
        let mut request = aws
            .ec2()
            .run_instances()
            .image_id(ami)
            .min_count(1)
            .max_count(1)
            .client_token(req.client_token)
            .set_instance_type(planned.str("instance_type").map(InstanceType::from))
            .set_key_name(planned.str("key_name").map(str::to_string))
            .set_user_data(user_data_base64(planned))
            .set_iam_instance_profile(
                planned
                    .str("iam_instance_profile")
                    .map(profile_specification),
            )
            .set_ebs_optimized(planned.bool("ebs_optimized"))
            .set_disable_api_termination(planned.bool("disable_api_termination"))
            .set_disable_api_stop(planned.bool("disable_api_stop"))
            .set_instance_initiated_shutdown_behavior(
                planned
                    .str("instance_initiated_shutdown_behavior")
                    .map(ShutdownBehavior::from),
            )
            .set_monitoring(planned.bool("monitoring").map(|enabled| {
                RunInstancesMonitoringEnabled::builder()
                    .enabled(enabled)
                    .build()
            }))
            .set_hibernation_options(
                planned
                    .bool("hibernation")
                    .map(|on| HibernationOptionsRequest::builder().configured(on).build()),
            )
            .set_metadata_options(single(planned, "metadata_options").map(metadata_request))
            .placement(
                Placement::builder()
                    .set_availability_zone(planned.str("availability_zone").map(str::to_string))
                    .set_tenancy(planned.str("tenancy").map(Tenancy::from))
                    .set_group_name(planned.str("placement_group").map(str::to_string))
                    .build(),
            )
            .tag_specifications(ec2_tag_specification(aws, req, Ec2ResourceType::Instance));
        // A public address is asked for on the primary interface, which
        // then carries the subnet, the groups and the address.
        if public_ip.is_some() && !group_names.is_empty() {
            return Err(ProviderError::new(
                ErrorKind::Validation,
                "security_groups (group names) cannot be used with associate_public_ip_address; use vpc_security_group_ids",
            ));
        }
        request = match public_ip {
            Some(associate) => request.network_interfaces(
                InstanceNetworkInterfaceSpecification::builder()
                    .device_index(0)
                    .associate_public_ip_address(associate)
                    .set_subnet_id(subnet)
                    .set_private_ip_address(private_ip)
                    .set_groups((!groups.is_empty()).then_some(groups))
                    .build(),
            ),
            None => request
                .set_subnet_id(subnet)
                .set_private_ip_address(private_ip)
                .set_security_group_ids((!groups.is_empty()).then_some(groups))
                .set_security_groups((!group_names.is_empty()).then_some(group_names)),
        };
        // Only the user's tags: terrane's own tags on the volume would let
        // the search for an interrupted create's instance find the volume.
        let volume_tags = planned.string_map("volume_tags");
        if !volume_tags.is_empty() {
            let tags = volume_tags;
            request = request.tag_specifications(
                TagSpecification::builder()
                    .resource_type(Ec2ResourceType::Volume)
                    .set_tags(Some(
                        tags.into_iter()
                            .map(|(k, v)| {
                                aws_sdk_ec2::types::Tag::builder().key(k).value(v).build()
                            })
                            .collect(),
                    ))
                    .build(),
            );
        }
        if let Some(root) = single(planned, "root_block_device") {
            request = request.block_device_mappings(root_device_mapping(aws, ami, root).await?);
        }
        let launched = request.send().await.map_err(sdk_error)?;
        let id = id_from_answer(
            launched.instances().first().and_then(|i| i.instance_id()),
            "RunInstances returned no instance",
        )?;
        let timeouts = Timeouts::from_attrs(planned, DEFAULT_TIMEOUTS);
        wait_for_state(aws, &id, InstanceStateName::Running, timeouts.create).await?;
        if planned.bool("source_dest_check") == Some(false) {
            set_flag(aws, &id, "source_dest_check", false).await?;
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
        let timeouts = Timeouts::from_attrs(planned, DEFAULT_TIMEOUTS);
        let new_user_data = changed_user_data(prior, planned);
        let needs_stop = differs(prior, planned, "instance_type")
            || differs(prior, planned, "ebs_optimized")
            || new_user_data.is_some();
        if needs_stop {
            stopped_for(aws, id, timeouts.update, async {
                if differs(prior, planned, "instance_type")
                    && let Some(kind) = planned.str("instance_type")
                {
                    modify(aws, id, |m| {
                        m.instance_type(AttributeValue::builder().value(kind).build())
                    })
                    .await?;
                }
                if differs(prior, planned, "ebs_optimized") {
                    let on = planned.bool("ebs_optimized").unwrap_or(false);
                    modify(aws, id, |m| {
                        m.ebs_optimized(AttributeBooleanValue::builder().value(on).build())
                    })
                    .await?;
                }
                if let Some(encoded) = new_user_data {
                    modify(aws, id, |m| {
                        m.user_data(
                            aws_sdk_ec2::types::SecureBlobAttributeValue::builder()
                                .value(aws_smithy_types::Blob::new(encoded))
                                .build(),
                        )
                    })
                    .await?;
                }
                Ok(())
            })
            .await?;
        }
        if differs(prior, planned, "vpc_security_group_ids") {
            let groups = planned.strings("vpc_security_group_ids");
            modify(aws, id, |m| m.set_groups(Some(groups.clone()))).await?;
        }
        for flag in [
            "source_dest_check",
            "disable_api_termination",
            "disable_api_stop",
        ] {
            if differs(prior, planned, flag)
                && let Some(on) = planned.bool(flag)
            {
                set_flag(aws, id, flag, on).await?;
            }
        }
        if differs(prior, planned, "instance_initiated_shutdown_behavior")
            && let Some(behaviour) = planned.str("instance_initiated_shutdown_behavior")
        {
            modify(aws, id, |m| {
                m.instance_initiated_shutdown_behavior(
                    AttributeValue::builder().value(behaviour).build(),
                )
            })
            .await?;
        }
        if differs(prior, planned, "monitoring") {
            let ec2 = aws.ec2();
            if planned.bool("monitoring") == Some(true) {
                ec2.monitor_instances()
                    .instance_ids(id)
                    .send()
                    .await
                    .map_err(sdk_error)?;
            } else {
                ec2.unmonitor_instances()
                    .instance_ids(id)
                    .send()
                    .await
                    .map_err(sdk_error)?;
            }
        }
        if differs(prior, planned, "iam_instance_profile") {
            update_profile(aws, id, planned.str("iam_instance_profile")).await?;
        }
        if let Some(options) = single(planned, "metadata_options")
            && single(prior, "metadata_options") != Some(options)
        {
            let request = metadata_request(options);
            aws.ec2()
                .modify_instance_metadata_options()
                .instance_id(id)
                .set_http_endpoint(request.http_endpoint().cloned())
                .set_http_tokens(request.http_tokens().cloned())
                .set_http_put_response_hop_limit(request.http_put_response_hop_limit())
                .set_http_protocol_ipv6(request.http_protocol_ipv6().cloned())
                .set_instance_metadata_tags(request.instance_metadata_tags().cloned())
                .send()
                .await
                .map_err(sdk_error)?;
        }
        update_root_volume(aws, id, prior, planned).await?;
        ec2_update_tags(aws, id, prior, planned).await
    }

    /// Lifts termination protection (as the provider does), terminates,
    /// and waits until the instance is gone.
    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let id = prior_id(prior)?;
        let found = describe_instances(aws, &[id.to_string()]).await?;
        if found.iter().all(|(_, i)| is_gone(i)) {
            return Ok(());
        }
        if prior.bool("disable_api_termination") == Some(true) {
            set_flag(aws, id, "disable_api_termination", false).await?;
        }
        ok_if_already_gone(
            aws.ec2()
                .terminate_instances()
                .instance_ids(id)
                .send()
                .await,
        )?;
        let timeouts = Timeouts::from_attrs(prior, DEFAULT_TIMEOUTS);
        wait_for_state(aws, id, InstanceStateName::Terminated, timeouts.delete).await
    }
}

/// The root device's mapping for RunInstances: the image's root device
/// name (DescribeImages) with the block's settings.
async fn root_device_mapping(
    aws: &AwsContext,
    ami: &str,
    root: &Attrs,
) -> Result<BlockDeviceMapping, ProviderError> {
    let images = aws
        .ec2()
        .describe_images()
        .image_ids(ami)
        .send()
        .await
        .map_err(sdk_error)?;
    let device = images
        .images()
        .first()
        .and_then(|i| i.root_device_name())
        .ok_or_else(|| {
            ProviderError::new(
                ErrorKind::NotFound,
                format!("image {ami} has no root device to configure"),
            )
        })?;
    Ok(BlockDeviceMapping::builder()
        .device_name(device)
        .ebs(
            EbsBlockDevice::builder()
                .set_delete_on_termination(root.bool("delete_on_termination"))
                .set_encrypted(root.bool("encrypted"))
                .set_kms_key_id(root.str("kms_key_id").map(str::to_string))
                .set_iops(i32_arg(root, "iops"))
                .set_throughput(i32_arg(root, "throughput"))
                .set_volume_size(i32_arg(root, "volume_size"))
                .set_volume_type(root.str("volume_type").map(VolumeType::from))
                .build(),
        )
        .build())
}

/// One ModifyInstanceAttribute call, the attribute set by `set`.
async fn modify(
    aws: &AwsContext,
    id: &str,
    set: impl FnOnce(
        aws_sdk_ec2::operation::modify_instance_attribute::builders::ModifyInstanceAttributeFluentBuilder,
    ) -> aws_sdk_ec2::operation::modify_instance_attribute::builders::ModifyInstanceAttributeFluentBuilder,
) -> Result<(), ProviderError> {
    set(aws.ec2().modify_instance_attribute().instance_id(id))
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(())
}

/// Sets one of the instance's on/off attributes.
async fn set_flag(aws: &AwsContext, id: &str, flag: &str, on: bool) -> Result<(), ProviderError> {
    let value = AttributeBooleanValue::builder().value(on).build();
    modify(aws, id, |m| match flag {
        "source_dest_check" => m.source_dest_check(value),
        "disable_api_termination" => m.disable_api_termination(value),
        _ => m.disable_api_stop(value),
    })
    .await
}

/// Runs `change` with the instance stopped, then starts it again.
async fn stopped_for(
    aws: &AwsContext,
    id: &str,
    timeout: Duration,
    change: impl std::future::Future<Output = Result<(), ProviderError>>,
) -> Result<(), ProviderError> {
    aws.ec2()
        .stop_instances()
        .instance_ids(id)
        .send()
        .await
        .map_err(sdk_error)?;
    wait_for_state(aws, id, InstanceStateName::Stopped, timeout).await?;
    change.await?;
    aws.ec2()
        .start_instances()
        .instance_ids(id)
        .send()
        .await
        .map_err(sdk_error)?;
    wait_for_state(aws, id, InstanceStateName::Running, timeout).await
}

/// Associates, replaces or removes the instance's profile.
async fn update_profile(
    aws: &AwsContext,
    id: &str,
    profile: Option<&str>,
) -> Result<(), ProviderError> {
    let current = aws
        .ec2()
        .describe_iam_instance_profile_associations()
        .filters(super::filter("instance-id", [id]))
        .send()
        .await
        .map_err(sdk_error)?;
    let association = current
        .iam_instance_profile_associations()
        .iter()
        .find(|a| a.state().is_some_and(|s| s.as_str() == "associated"))
        .and_then(|a| a.association_id());
    match (association, profile) {
        (Some(association), Some(profile)) => {
            aws.ec2()
                .replace_iam_instance_profile_association()
                .association_id(association)
                .iam_instance_profile(profile_specification(profile))
                .send()
                .await
                .map_err(sdk_error)?;
        }
        (None, Some(profile)) => {
            aws.ec2()
                .associate_iam_instance_profile()
                .instance_id(id)
                .iam_instance_profile(profile_specification(profile))
                .send()
                .await
                .map_err(sdk_error)?;
        }
        (Some(association), None) => {
            aws.ec2()
                .disassociate_iam_instance_profile()
                .association_id(association)
                .send()
                .await
                .map_err(sdk_error)?;
        }
        (None, None) => {}
    }
    Ok(())
}

/// Changes the root volume in place: size, type, IOPS and throughput with
/// ModifyVolume, and whether it goes with the instance.
async fn update_root_volume(
    aws: &AwsContext,
    id: &str,
    prior: &Attrs,
    planned: &Attrs,
) -> Result<(), ProviderError> {
    let (Some(old), Some(new)) = (
        single(prior, "root_block_device"),
        single(planned, "root_block_device"),
    ) else {
        return Ok(());
    };
    let Some(volume) = old.str("volume_id") else {
        return Ok(());
    };
    let volume_changes = ["volume_size", "volume_type", "iops", "throughput"]
        .iter()
        .any(|key| differs(old, new, key));
    if volume_changes {
        aws.ec2()
            .modify_volume()
            .volume_id(volume)
            .set_size(i32_arg(new, "volume_size").filter(|_| differs(old, new, "volume_size")))
            .set_volume_type(
                new.str("volume_type")
                    .filter(|_| differs(old, new, "volume_type"))
                    .map(VolumeType::from),
            )
            .set_iops(i32_arg(new, "iops").filter(|_| differs(old, new, "iops")))
            .set_throughput(i32_arg(new, "throughput").filter(|_| differs(old, new, "throughput")))
            .send()
            .await
            .map_err(sdk_error)?;
    }
    if differs(old, new, "delete_on_termination")
        && let Some(device) = old.str("device_name")
    {
        let on = new.bool("delete_on_termination").unwrap_or(true);
        modify(aws, id, |m| {
            m.block_device_mappings(
                aws_sdk_ec2::types::InstanceBlockDeviceMappingSpecification::builder()
                    .device_name(device)
                    .ebs(
                        aws_sdk_ec2::types::EbsInstanceBlockDeviceSpecification::builder()
                            .delete_on_termination(on)
                            .build(),
                    )
                    .build(),
            )
        })
        .await?;
    }
    if differs(planned, prior, "volume_tags") {
        crate::provider::aws::ec2_update_tags(
            aws,
            volume,
            &Attrs::from([(
                "tags_all".into(),
                prior.get("volume_tags").cloned().unwrap_or_default(),
            )]),
            &Attrs::from([(
                "tags_all".into(),
                planned.get("volume_tags").cloned().unwrap_or_default(),
            )]),
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_data_compares_with_terraforms_digest_of_it() {
        let text = "#!/bin/sh\necho hello\n";
        let digest = user_data_digest(text);
        assert_eq!(digest.len(), 40);
        assert_eq!(user_data_digest(&digest), digest, "a digest stays as it is");
        assert_ne!(user_data_digest("#!/bin/sh\n"), digest);
    }

    #[test]
    fn profiles_are_named_or_given_by_arn() {
        assert_eq!(
            profile_name("arn:aws:iam::123456789012:instance-profile/app/web"),
            "web"
        );
        let by_arn = profile_specification("arn:aws:iam::1:instance-profile/web");
        assert!(by_arn.arn().is_some() && by_arn.name().is_none());
        let by_name = profile_specification("web");
        assert_eq!(by_name.name(), Some("web"));
    }
}
