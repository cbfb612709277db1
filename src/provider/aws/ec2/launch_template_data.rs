//! The launch arguments of `aws_launch_template` that are nested blocks
//! (block devices, network interfaces, placement, market options, instance
//! requirements and the small option blocks): their schema, as Terraform
//! declares them, and their conversion to the SDK's request shapes and back
//! from a version's data. No AWS calls; `launch_template.rs` makes them.
//!
//! Terraform types a few tri-state flags as strings (`ebs_optimized`,
//! `encrypted`, `delete_on_termination`, `associate_public_ip_address`):
//! `"true"`, `"false"`, or empty for "AWS's default"; they are sent as
//! booleans when written and read back as `"true"`/`"false"`.

use aws_sdk_ec2::types::{
    AcceleratorCountRequest, AcceleratorManufacturer, AcceleratorName,
    AcceleratorTotalMemoryMiBRequest, AcceleratorType, AmdSevSnpSpecification, BareMetal,
    BaselineEbsBandwidthMbpsRequest, BurstablePerformance, CapacityReservationPreference,
    CapacityReservationTarget, ConnectionTrackingSpecificationRequest, CpuManufacturer,
    CreditSpecificationRequest, EnaSrdSpecificationRequest, EnaSrdUdpSpecificationRequest,
    HostnameType, InstanceGeneration, InstanceInterruptionBehavior, InstanceIpv6AddressRequest,
    InstanceRequirements, InstanceRequirementsRequest, Ipv4PrefixSpecificationRequest,
    Ipv6PrefixSpecificationRequest, LaunchTemplateAutoRecoveryState,
    LaunchTemplateBlockDeviceMappingRequest, LaunchTemplateCapacityReservationSpecificationRequest,
    LaunchTemplateCpuOptionsRequest, LaunchTemplateEbsBlockDeviceRequest,
    LaunchTemplateEnclaveOptionsRequest, LaunchTemplateHibernationOptionsRequest,
    LaunchTemplateInstanceMaintenanceOptionsRequest, LaunchTemplateInstanceMarketOptionsRequest,
    LaunchTemplateInstanceNetworkInterfaceSpecificationRequest,
    LaunchTemplateLicenseConfigurationRequest, LaunchTemplatePlacementRequest,
    LaunchTemplatePrivateDnsNameOptionsRequest, LaunchTemplateSpotMarketOptionsRequest,
    LaunchTemplatesMonitoringRequest, LocalStorage, LocalStorageType, MarketType,
    MemoryGiBPerVCpuRequest, MemoryMiBRequest, NetworkBandwidthGbpsRequest,
    NetworkInterfaceCountRequest, PrivateIpAddressSpecification, ResponseLaunchTemplateData,
    ShutdownBehavior, SpotInstanceType, Tenancy, TotalLocalStorageGbRequest, VCpuCountRangeRequest,
    VolumeType,
};
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;

use crate::provider::aws::convert::{
    i32_arg, nested, non_empty, optional_block, single, string_set,
};
use crate::provider::schema::{Attribute, Block, Schema, Type};
use crate::value::{Attrs, AttrsExt, Value};

/// Top-level launch arguments that are plain attributes, beyond the ones
/// `launch_template.rs` has always had.
pub(super) fn attributes() -> Vec<Attribute> {
    vec![
        Attribute::optional("disable_api_stop", Type::Bool),
        Attribute::optional("disable_api_termination", Type::Bool),
        Attribute::optional("ebs_optimized", Type::String),
        Attribute::optional("instance_initiated_shutdown_behavior", Type::String),
        Attribute::optional("kernel_id", Type::String),
        Attribute::optional("ram_disk_id", Type::String),
        Attribute::optional("security_group_names", Type::set_of(Type::String)),
    ]
}

/// The names [`attributes`] and [`blocks`] declare: all are stored in a
/// version, so a change to any makes a new one.
pub(super) const VERSIONED: &[&str] = &[
    "disable_api_stop",
    "disable_api_termination",
    "ebs_optimized",
    "instance_initiated_shutdown_behavior",
    "kernel_id",
    "ram_disk_id",
    "security_group_names",
    "block_device_mappings",
    "capacity_reservation_specification",
    "cpu_options",
    "credit_specification",
    "enclave_options",
    "hibernation_options",
    "instance_market_options",
    "instance_requirements",
    "license_specification",
    "maintenance_options",
    "monitoring",
    "network_interfaces",
    "placement",
    "private_dns_name_options",
];

fn optional(names: &[(&'static str, Type)]) -> Vec<Attribute> {
    names
        .iter()
        .map(|(name, ty)| Attribute::optional(name, ty.clone()))
        .collect()
}

fn strings() -> Type {
    Type::set_of(Type::String)
}

/// A `{ min, max }` block of instance requirements.
fn range(name: &'static str, min_required: bool) -> Block {
    let min = if min_required {
        Attribute::required("min", Type::Number)
    } else {
        Attribute::optional("min", Type::Number)
    };
    let block = Block::single(
        name,
        Schema::new(vec![min, Attribute::optional("max", Type::Number)], vec![]),
    );
    if min_required {
        block.required()
    } else {
        block
    }
}

pub(super) fn blocks() -> Vec<Block> {
    let ebs = Schema::new(
        vec![
            Attribute::optional("delete_on_termination", Type::String),
            Attribute::optional("encrypted", Type::String),
            Attribute::optional_computed("iops", Type::Number),
            Attribute::optional("kms_key_id", Type::String),
            Attribute::optional("snapshot_id", Type::String),
            Attribute::optional_computed("throughput", Type::Number),
            Attribute::optional_computed("volume_initialization_rate", Type::Number),
            Attribute::optional_computed("volume_size", Type::Number),
            Attribute::optional_computed("volume_type", Type::String),
        ],
        vec![],
    );
    let spot_options = Schema::new(
        vec![
            Attribute::optional("block_duration_minutes", Type::Number),
            Attribute::optional("instance_interruption_behavior", Type::String),
            Attribute::optional("max_price", Type::String),
            Attribute::optional("spot_instance_type", Type::String),
            Attribute::optional_computed("valid_until", Type::String),
        ],
        vec![],
    );
    let requirements = Schema::new(
        optional(&[
            ("accelerator_manufacturers", strings()),
            ("accelerator_names", strings()),
            ("accelerator_types", strings()),
            ("allowed_instance_types", strings()),
            ("bare_metal", Type::String),
            ("burstable_performance", Type::String),
            ("cpu_manufacturers", strings()),
            ("excluded_instance_types", strings()),
            ("instance_generations", strings()),
            ("local_storage", Type::String),
            ("local_storage_types", strings()),
            (
                "max_spot_price_as_percentage_of_optimal_on_demand_price",
                Type::Number,
            ),
            (
                "on_demand_max_price_percentage_over_lowest_price",
                Type::Number,
            ),
            ("require_hibernate_support", Type::Bool),
            ("spot_max_price_percentage_over_lowest_price", Type::Number),
        ]),
        vec![
            range("accelerator_count", false),
            range("accelerator_total_memory_mib", false),
            range("baseline_ebs_bandwidth_mbps", false),
            range("memory_gib_per_vcpu", false),
            range("memory_mib", true),
            range("network_bandwidth_gbps", false),
            range("network_interface_count", false),
            range("total_local_storage_gb", false),
            range("vcpu_count", true),
        ],
    );
    let network_interface = Schema::new(
        optional(&[
            ("associate_carrier_ip_address", Type::String),
            ("associate_public_ip_address", Type::String),
            ("delete_on_termination", Type::String),
            ("description", Type::String),
            ("device_index", Type::Number),
            ("interface_type", Type::String),
            ("ipv4_address_count", Type::Number),
            ("ipv4_addresses", strings()),
            ("ipv4_prefix_count", Type::Number),
            ("ipv4_prefixes", strings()),
            ("ipv6_address_count", Type::Number),
            ("ipv6_addresses", strings()),
            ("ipv6_prefix_count", Type::Number),
            ("ipv6_prefixes", strings()),
            ("network_card_index", Type::Number),
            ("network_interface_id", Type::String),
            ("primary_ipv6", Type::String),
            ("private_ip_address", Type::String),
            ("security_groups", strings()),
            ("subnet_id", Type::String),
        ]),
        vec![
            Block::single(
                "connection_tracking_specification",
                Schema::new(
                    optional(&[
                        ("tcp_established_timeout", Type::Number),
                        ("udp_stream_timeout", Type::Number),
                        ("udp_timeout", Type::Number),
                    ]),
                    vec![],
                ),
            ),
            Block::single(
                "ena_srd_specification",
                Schema::new(
                    optional(&[("ena_srd_enabled", Type::Bool)]),
                    vec![Block::single(
                        "ena_srd_udp_specification",
                        Schema::new(optional(&[("ena_srd_udp_enabled", Type::Bool)]), vec![]),
                    )],
                ),
            ),
        ],
    );
    vec![
        Block::list(
            "block_device_mappings",
            Schema::new(
                optional(&[
                    ("device_name", Type::String),
                    ("no_device", Type::String),
                    ("virtual_name", Type::String),
                ]),
                vec![Block::single("ebs", ebs)],
            ),
        ),
        Block::single(
            "capacity_reservation_specification",
            Schema::new(
                optional(&[("capacity_reservation_preference", Type::String)]),
                vec![Block::single(
                    "capacity_reservation_target",
                    Schema::new(
                        optional(&[
                            ("capacity_reservation_id", Type::String),
                            ("capacity_reservation_resource_group_arn", Type::String),
                        ]),
                        vec![],
                    ),
                )],
            ),
        ),
        Block::single(
            "cpu_options",
            Schema::new(
                optional(&[
                    ("amd_sev_snp", Type::String),
                    ("core_count", Type::Number),
                    ("threads_per_core", Type::Number),
                ]),
                vec![],
            ),
        ),
        Block::single(
            "credit_specification",
            Schema::new(optional(&[("cpu_credits", Type::String)]), vec![]),
        ),
        Block::single(
            "enclave_options",
            Schema::new(optional(&[("enabled", Type::Bool)]), vec![]),
        ),
        Block::single(
            "hibernation_options",
            Schema::new(vec![Attribute::required("configured", Type::Bool)], vec![]),
        ),
        Block::single(
            "instance_market_options",
            Schema::new(
                optional(&[("market_type", Type::String)]),
                vec![Block::single("spot_options", spot_options)],
            ),
        ),
        Block::single("instance_requirements", requirements),
        Block::set(
            "license_specification",
            Schema::new(
                vec![Attribute::required(
                    "license_configuration_arn",
                    Type::String,
                )],
                vec![],
            ),
        ),
        Block::single(
            "maintenance_options",
            Schema::new(optional(&[("auto_recovery", Type::String)]), vec![]),
        ),
        Block::single(
            "monitoring",
            Schema::new(optional(&[("enabled", Type::Bool)]), vec![]),
        ),
        Block::list("network_interfaces", network_interface),
        Block::single(
            "placement",
            Schema::new(
                optional(&[
                    ("affinity", Type::String),
                    ("availability_zone", Type::String),
                    ("group_name", Type::String),
                    ("host_id", Type::String),
                    ("host_resource_group_arn", Type::String),
                    ("partition_number", Type::Number),
                    ("spread_domain", Type::String),
                    ("tenancy", Type::String),
                ]),
                vec![],
            ),
        ),
        Block::single(
            "private_dns_name_options",
            Schema::new(
                optional(&[
                    ("enable_resource_name_dns_a_record", Type::Bool),
                    ("enable_resource_name_dns_aaaa_record", Type::Bool),
                    ("hostname_type", Type::String),
                ]),
                vec![],
            ),
        ),
    ]
}

fn text(attrs: &Attrs, key: &str) -> Option<String> {
    attrs.str(key).map(str::to_string)
}

/// A Terraform tri-state flag (`"true"`, `"false"`, `""`) as the boolean
/// to send; empty or absent sends nothing.
fn flag(attrs: &Attrs, key: &str) -> Option<bool> {
    attrs.str(key).and_then(|s| s.parse().ok())
}

/// A boolean AWS answered, as the tri-state string Terraform keeps.
fn flag_value(b: Option<bool>) -> Value {
    b.map_or(Value::Null, |b| Value::string(b.to_string()))
}

fn float(attrs: &Attrs, key: &str) -> Option<f64> {
    attrs.get(key).and_then(Value::as_f64)
}

fn float_value(n: Option<f64>) -> Value {
    n.map_or(Value::Null, Value::float)
}

/// A list argument of SDK enum values (`cpu_manufacturers`), or nothing when
/// none is written.
fn enums<T: for<'a> From<&'a str>>(attrs: &Attrs, key: &str) -> Option<Vec<T>> {
    let items = attrs.strings(key);
    (!items.is_empty()).then(|| items.iter().map(|s| T::from(s.as_str())).collect())
}

fn strings_arg(attrs: &Attrs, key: &str) -> Option<Vec<String>> {
    let items = attrs.strings(key);
    (!items.is_empty()).then_some(items)
}

/// A set AWS answered; empty is unset, as the unwritten argument plans.
fn set_value<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> Value {
    let items: Vec<String> = items.into_iter().map(|s| s.as_ref().to_string()).collect();
    if items.is_empty() {
        Value::Null
    } else {
        string_set(items)
    }
}

/// Adds the nested-block and extra top-level launch arguments to a
/// version's request data.
pub(super) fn with_launch_options(
    data: aws_sdk_ec2::types::builders::RequestLaunchTemplateDataBuilder,
    planned: &Attrs,
) -> aws_sdk_ec2::types::builders::RequestLaunchTemplateDataBuilder {
    let security_group_names = strings_arg(planned, "security_group_names");
    let devices: Vec<_> = planned
        .blocks("block_device_mappings")
        .into_iter()
        .map(block_device_request)
        .collect();
    let interfaces: Vec<_> = planned
        .blocks("network_interfaces")
        .into_iter()
        .map(network_interface_request)
        .collect();
    let licenses: Vec<_> = planned
        .blocks("license_specification")
        .into_iter()
        .map(|l| {
            LaunchTemplateLicenseConfigurationRequest::builder()
                .set_license_configuration_arn(text(l, "license_configuration_arn"))
                .build()
        })
        .collect();
    data.set_disable_api_stop(planned.bool("disable_api_stop"))
        .set_disable_api_termination(planned.bool("disable_api_termination"))
        .set_ebs_optimized(flag(planned, "ebs_optimized"))
        .set_instance_initiated_shutdown_behavior(
            planned
                .str("instance_initiated_shutdown_behavior")
                .map(ShutdownBehavior::from),
        )
        .set_kernel_id(text(planned, "kernel_id"))
        .set_ram_disk_id(text(planned, "ram_disk_id"))
        .set_security_groups(security_group_names)
        .set_block_device_mappings((!devices.is_empty()).then_some(devices))
        .set_network_interfaces((!interfaces.is_empty()).then_some(interfaces))
        .set_license_specifications((!licenses.is_empty()).then_some(licenses))
        .set_capacity_reservation_specification(
            single(planned, "capacity_reservation_specification").map(|c| {
                LaunchTemplateCapacityReservationSpecificationRequest::builder()
                    .set_capacity_reservation_preference(
                        c.str("capacity_reservation_preference")
                            .map(CapacityReservationPreference::from),
                    )
                    .set_capacity_reservation_target(single(c, "capacity_reservation_target").map(
                        |t| {
                            CapacityReservationTarget::builder()
                                .set_capacity_reservation_id(text(t, "capacity_reservation_id"))
                                .set_capacity_reservation_resource_group_arn(text(
                                    t,
                                    "capacity_reservation_resource_group_arn",
                                ))
                                .build()
                        },
                    ))
                    .build()
            }),
        )
        .set_cpu_options(single(planned, "cpu_options").map(|c| {
            LaunchTemplateCpuOptionsRequest::builder()
                .set_amd_sev_snp(c.str("amd_sev_snp").map(AmdSevSnpSpecification::from))
                .set_core_count(i32_arg(c, "core_count"))
                .set_threads_per_core(i32_arg(c, "threads_per_core"))
                .build()
        }))
        .set_credit_specification(single(planned, "credit_specification").map(|c| {
            CreditSpecificationRequest::builder()
                .set_cpu_credits(text(c, "cpu_credits"))
                .build()
        }))
        .set_enclave_options(single(planned, "enclave_options").map(|e| {
            LaunchTemplateEnclaveOptionsRequest::builder()
                .set_enabled(e.bool("enabled"))
                .build()
        }))
        .set_hibernation_options(single(planned, "hibernation_options").map(|h| {
            LaunchTemplateHibernationOptionsRequest::builder()
                .set_configured(h.bool("configured"))
                .build()
        }))
        .set_instance_market_options(single(planned, "instance_market_options").map(market_request))
        .set_instance_requirements(
            single(planned, "instance_requirements").map(requirements_request),
        )
        .set_maintenance_options(single(planned, "maintenance_options").map(|m| {
            LaunchTemplateInstanceMaintenanceOptionsRequest::builder()
                .set_auto_recovery(
                    m.str("auto_recovery")
                        .map(LaunchTemplateAutoRecoveryState::from),
                )
                .build()
        }))
        .set_monitoring(single(planned, "monitoring").map(|m| {
            LaunchTemplatesMonitoringRequest::builder()
                .set_enabled(m.bool("enabled"))
                .build()
        }))
        .set_placement(single(planned, "placement").map(|p| {
            LaunchTemplatePlacementRequest::builder()
                .set_affinity(text(p, "affinity"))
                .set_availability_zone(text(p, "availability_zone"))
                .set_group_name(text(p, "group_name"))
                .set_host_id(text(p, "host_id"))
                .set_host_resource_group_arn(text(p, "host_resource_group_arn"))
                .set_partition_number(i32_arg(p, "partition_number"))
                .set_spread_domain(text(p, "spread_domain"))
                .set_tenancy(p.str("tenancy").map(Tenancy::from))
                .build()
        }))
        .set_private_dns_name_options(single(planned, "private_dns_name_options").map(|p| {
            LaunchTemplatePrivateDnsNameOptionsRequest::builder()
                .set_enable_resource_name_dns_a_record(p.bool("enable_resource_name_dns_a_record"))
                .set_enable_resource_name_dns_aaaa_record(
                    p.bool("enable_resource_name_dns_aaaa_record"),
                )
                .set_hostname_type(p.str("hostname_type").map(HostnameType::from))
                .build()
        }))
}

fn block_device_request(device: &Attrs) -> LaunchTemplateBlockDeviceMappingRequest {
    let ebs = single(device, "ebs").map(|e| {
        LaunchTemplateEbsBlockDeviceRequest::builder()
            .set_delete_on_termination(flag(e, "delete_on_termination"))
            .set_encrypted(flag(e, "encrypted"))
            .set_iops(i32_arg(e, "iops"))
            .set_kms_key_id(text(e, "kms_key_id"))
            .set_snapshot_id(text(e, "snapshot_id"))
            .set_throughput(i32_arg(e, "throughput"))
            .set_volume_initialization_rate(i32_arg(e, "volume_initialization_rate"))
            .set_volume_size(i32_arg(e, "volume_size"))
            .set_volume_type(e.str("volume_type").map(VolumeType::from))
            .build()
    });
    LaunchTemplateBlockDeviceMappingRequest::builder()
        .set_device_name(text(device, "device_name"))
        .set_no_device(text(device, "no_device"))
        .set_virtual_name(text(device, "virtual_name"))
        .set_ebs(ebs)
        .build()
}

fn network_interface_request(
    interface: &Attrs,
) -> LaunchTemplateInstanceNetworkInterfaceSpecificationRequest {
    let list = |key: &str| strings_arg(interface, key).unwrap_or_default();
    let ipv4_addresses: Vec<_> = list("ipv4_addresses")
        .into_iter()
        .map(|ip| {
            PrivateIpAddressSpecification::builder()
                .primary(false)
                .private_ip_address(ip)
                .build()
        })
        .collect();
    let ipv6_addresses: Vec<_> = list("ipv6_addresses")
        .into_iter()
        .map(|ip| {
            InstanceIpv6AddressRequest::builder()
                .ipv6_address(ip)
                .build()
        })
        .collect();
    let ipv4_prefixes: Vec<_> = list("ipv4_prefixes")
        .into_iter()
        .map(|p| {
            Ipv4PrefixSpecificationRequest::builder()
                .ipv4_prefix(p)
                .build()
        })
        .collect();
    let ipv6_prefixes: Vec<_> = list("ipv6_prefixes")
        .into_iter()
        .map(|p| {
            Ipv6PrefixSpecificationRequest::builder()
                .ipv6_prefix(p)
                .build()
        })
        .collect();
    LaunchTemplateInstanceNetworkInterfaceSpecificationRequest::builder()
        .set_associate_carrier_ip_address(flag(interface, "associate_carrier_ip_address"))
        .set_associate_public_ip_address(flag(interface, "associate_public_ip_address"))
        .set_delete_on_termination(flag(interface, "delete_on_termination"))
        .set_description(text(interface, "description"))
        .set_device_index(i32_arg(interface, "device_index"))
        .set_interface_type(text(interface, "interface_type"))
        .set_secondary_private_ip_address_count(i32_arg(interface, "ipv4_address_count"))
        .set_private_ip_addresses(non_empty(ipv4_addresses))
        .set_ipv4_prefix_count(i32_arg(interface, "ipv4_prefix_count"))
        .set_ipv4_prefixes(non_empty(ipv4_prefixes))
        .set_ipv6_address_count(i32_arg(interface, "ipv6_address_count"))
        .set_ipv6_addresses(non_empty(ipv6_addresses))
        .set_ipv6_prefix_count(i32_arg(interface, "ipv6_prefix_count"))
        .set_ipv6_prefixes(non_empty(ipv6_prefixes))
        .set_network_card_index(i32_arg(interface, "network_card_index"))
        .set_network_interface_id(text(interface, "network_interface_id"))
        .set_primary_ipv6(flag(interface, "primary_ipv6"))
        .set_private_ip_address(text(interface, "private_ip_address"))
        .set_groups(strings_arg(interface, "security_groups"))
        .set_subnet_id(text(interface, "subnet_id"))
        .set_connection_tracking_specification(
            single(interface, "connection_tracking_specification").map(|c| {
                ConnectionTrackingSpecificationRequest::builder()
                    .set_tcp_established_timeout(i32_arg(c, "tcp_established_timeout"))
                    .set_udp_stream_timeout(i32_arg(c, "udp_stream_timeout"))
                    .set_udp_timeout(i32_arg(c, "udp_timeout"))
                    .build()
            }),
        )
        .set_ena_srd_specification(single(interface, "ena_srd_specification").map(|e| {
            EnaSrdSpecificationRequest::builder()
                .set_ena_srd_enabled(e.bool("ena_srd_enabled"))
                .set_ena_srd_udp_specification(single(e, "ena_srd_udp_specification").map(|u| {
                    EnaSrdUdpSpecificationRequest::builder()
                        .set_ena_srd_udp_enabled(u.bool("ena_srd_udp_enabled"))
                        .build()
                }))
                .build()
        }))
        .build()
}

fn market_request(market: &Attrs) -> LaunchTemplateInstanceMarketOptionsRequest {
    let spot = single(market, "spot_options").map(|s| {
        LaunchTemplateSpotMarketOptionsRequest::builder()
            .set_block_duration_minutes(i32_arg(s, "block_duration_minutes"))
            .set_instance_interruption_behavior(
                s.str("instance_interruption_behavior")
                    .map(InstanceInterruptionBehavior::from),
            )
            .set_max_price(text(s, "max_price"))
            .set_spot_instance_type(s.str("spot_instance_type").map(SpotInstanceType::from))
            .set_valid_until(
                s.str("valid_until")
                    .and_then(|t| DateTime::from_str(t, Format::DateTime).ok()),
            )
            .build()
    });
    LaunchTemplateInstanceMarketOptionsRequest::builder()
        .set_market_type(market.str("market_type").map(MarketType::from))
        .set_spot_options(spot)
        .build()
}

/// `(min, max)` of a range block, as whole numbers.
fn whole_range(attrs: &Attrs, key: &str) -> Option<(Option<i32>, Option<i32>)> {
    single(attrs, key).map(|r| (i32_arg(r, "min"), i32_arg(r, "max")))
}

/// `(min, max)` of a range block that AWS takes as decimals.
fn decimal_range(attrs: &Attrs, key: &str) -> Option<(Option<f64>, Option<f64>)> {
    single(attrs, key).map(|r| (float(r, "min"), float(r, "max")))
}

fn requirements_request(r: &Attrs) -> InstanceRequirementsRequest {
    InstanceRequirementsRequest::builder()
        .set_accelerator_manufacturers(enums::<AcceleratorManufacturer>(
            r,
            "accelerator_manufacturers",
        ))
        .set_accelerator_names(enums::<AcceleratorName>(r, "accelerator_names"))
        .set_accelerator_types(enums::<AcceleratorType>(r, "accelerator_types"))
        .set_allowed_instance_types(strings_arg(r, "allowed_instance_types"))
        .set_bare_metal(r.str("bare_metal").map(BareMetal::from))
        .set_burstable_performance(
            r.str("burstable_performance")
                .map(BurstablePerformance::from),
        )
        .set_cpu_manufacturers(enums::<CpuManufacturer>(r, "cpu_manufacturers"))
        .set_excluded_instance_types(strings_arg(r, "excluded_instance_types"))
        .set_instance_generations(enums::<InstanceGeneration>(r, "instance_generations"))
        .set_local_storage(r.str("local_storage").map(LocalStorage::from))
        .set_local_storage_types(enums::<LocalStorageType>(r, "local_storage_types"))
        .set_max_spot_price_as_percentage_of_optimal_on_demand_price(i32_arg(
            r,
            "max_spot_price_as_percentage_of_optimal_on_demand_price",
        ))
        .set_on_demand_max_price_percentage_over_lowest_price(i32_arg(
            r,
            "on_demand_max_price_percentage_over_lowest_price",
        ))
        .set_require_hibernate_support(r.bool("require_hibernate_support"))
        .set_spot_max_price_percentage_over_lowest_price(i32_arg(
            r,
            "spot_max_price_percentage_over_lowest_price",
        ))
        .set_accelerator_count(whole_range(r, "accelerator_count").map(|(min, max)| {
            AcceleratorCountRequest::builder()
                .set_min(min)
                .set_max(max)
                .build()
        }))
        .set_accelerator_total_memory_mib(whole_range(r, "accelerator_total_memory_mib").map(
            |(min, max)| {
                AcceleratorTotalMemoryMiBRequest::builder()
                    .set_min(min)
                    .set_max(max)
                    .build()
            },
        ))
        .set_baseline_ebs_bandwidth_mbps(whole_range(r, "baseline_ebs_bandwidth_mbps").map(
            |(min, max)| {
                BaselineEbsBandwidthMbpsRequest::builder()
                    .set_min(min)
                    .set_max(max)
                    .build()
            },
        ))
        .set_memory_gib_per_v_cpu(decimal_range(r, "memory_gib_per_vcpu").map(|(min, max)| {
            MemoryGiBPerVCpuRequest::builder()
                .set_min(min)
                .set_max(max)
                .build()
        }))
        .set_memory_mib(whole_range(r, "memory_mib").map(|(min, max)| {
            MemoryMiBRequest::builder()
                .set_min(min)
                .set_max(max)
                .build()
        }))
        .set_network_bandwidth_gbps(
            decimal_range(r, "network_bandwidth_gbps").map(|(min, max)| {
                NetworkBandwidthGbpsRequest::builder()
                    .set_min(min)
                    .set_max(max)
                    .build()
            }),
        )
        .set_network_interface_count(whole_range(r, "network_interface_count").map(|(min, max)| {
            NetworkInterfaceCountRequest::builder()
                .set_min(min)
                .set_max(max)
                .build()
        }))
        .set_total_local_storage_gb(
            decimal_range(r, "total_local_storage_gb").map(|(min, max)| {
                TotalLocalStorageGbRequest::builder()
                    .set_min(min)
                    .set_max(max)
                    .build()
            }),
        )
        .set_v_cpu_count(whole_range(r, "vcpu_count").map(|(min, max)| {
            VCpuCountRangeRequest::builder()
                .set_min(min)
                .set_max(max)
                .build()
        }))
        .build()
}

/// The launch arguments [`with_launch_options`] sends, read back from a
/// version's data in the shape the user writes them.
pub(super) fn launch_option_attrs(data: &ResponseLaunchTemplateData) -> Attrs {
    let mut out = Attrs::new();
    let mut put = |key: &str, value: Value| {
        out.insert(key.to_string(), value);
    };
    put("disable_api_stop", data.disable_api_stop().into());
    put(
        "disable_api_termination",
        data.disable_api_termination().into(),
    );
    put("ebs_optimized", flag_value(data.ebs_optimized()));
    put(
        "instance_initiated_shutdown_behavior",
        data.instance_initiated_shutdown_behavior()
            .map(|b| b.as_str())
            .into(),
    );
    put("kernel_id", data.kernel_id().into());
    put("ram_disk_id", data.ram_disk_id().into());
    put("security_group_names", set_value(data.security_groups()));
    put(
        "block_device_mappings",
        Value::List(
            data.block_device_mappings()
                .iter()
                .map(|d| {
                    let ebs = d.ebs().map(|e| {
                        nested([
                            (
                                "delete_on_termination",
                                flag_value(e.delete_on_termination()),
                            ),
                            ("encrypted", flag_value(e.encrypted())),
                            ("iops", e.iops().into()),
                            ("kms_key_id", e.kms_key_id().into()),
                            ("snapshot_id", e.snapshot_id().into()),
                            ("throughput", e.throughput().into()),
                            (
                                "volume_initialization_rate",
                                e.volume_initialization_rate().into(),
                            ),
                            ("volume_size", e.volume_size().into()),
                            ("volume_type", e.volume_type().map(|t| t.as_str()).into()),
                        ])
                    });
                    Value::Map(
                        nested([
                            ("device_name", d.device_name().into()),
                            ("no_device", d.no_device().into()),
                            ("virtual_name", d.virtual_name().into()),
                            ("ebs", optional_block(ebs)),
                        ])
                        .into(),
                    )
                })
                .collect(),
        ),
    );
    put(
        "capacity_reservation_specification",
        optional_block(data.capacity_reservation_specification().map(|c| {
            let target = c.capacity_reservation_target().map(|t| {
                nested([
                    (
                        "capacity_reservation_id",
                        t.capacity_reservation_id().into(),
                    ),
                    (
                        "capacity_reservation_resource_group_arn",
                        t.capacity_reservation_resource_group_arn().into(),
                    ),
                ])
            });
            nested([
                (
                    "capacity_reservation_preference",
                    c.capacity_reservation_preference()
                        .map(|p| p.as_str())
                        .into(),
                ),
                ("capacity_reservation_target", optional_block(target)),
            ])
        })),
    );
    put(
        "cpu_options",
        optional_block(data.cpu_options().map(|c| {
            nested([
                ("amd_sev_snp", c.amd_sev_snp().map(|a| a.as_str()).into()),
                ("core_count", c.core_count().into()),
                ("threads_per_core", c.threads_per_core().into()),
            ])
        })),
    );
    put(
        "credit_specification",
        optional_block(
            data.credit_specification()
                .map(|c| nested([("cpu_credits", c.cpu_credits().into())])),
        ),
    );
    put(
        "enclave_options",
        optional_block(
            data.enclave_options()
                .map(|e| nested([("enabled", e.enabled().into())])),
        ),
    );
    put(
        "hibernation_options",
        optional_block(
            data.hibernation_options()
                .map(|h| nested([("configured", h.configured().into())])),
        ),
    );
    put(
        "instance_market_options",
        optional_block(data.instance_market_options().map(|m| {
            let spot = m.spot_options().map(|s| {
                nested([
                    ("block_duration_minutes", s.block_duration_minutes().into()),
                    (
                        "instance_interruption_behavior",
                        s.instance_interruption_behavior()
                            .map(|b| b.as_str())
                            .into(),
                    ),
                    ("max_price", s.max_price().into()),
                    (
                        "spot_instance_type",
                        s.spot_instance_type().map(|t| t.as_str()).into(),
                    ),
                    (
                        "valid_until",
                        s.valid_until()
                            .and_then(|t| t.fmt(Format::DateTime).ok())
                            .into(),
                    ),
                ])
            });
            nested([
                ("market_type", m.market_type().map(|t| t.as_str()).into()),
                ("spot_options", optional_block(spot)),
            ])
        })),
    );
    put(
        "instance_requirements",
        optional_block(data.instance_requirements().map(requirements_attrs)),
    );
    put(
        "license_specification",
        Value::List(
            data.license_specifications()
                .iter()
                .map(|l| {
                    Value::Map(
                        nested([(
                            "license_configuration_arn",
                            l.license_configuration_arn().into(),
                        )])
                        .into(),
                    )
                })
                .collect(),
        )
        .into_set(),
    );
    put(
        "maintenance_options",
        optional_block(data.maintenance_options().map(|m| {
            nested([(
                "auto_recovery",
                m.auto_recovery().map(|a| a.as_str()).into(),
            )])
        })),
    );
    put(
        "monitoring",
        optional_block(
            data.monitoring()
                .map(|m| nested([("enabled", m.enabled().into())])),
        ),
    );
    put(
        "network_interfaces",
        Value::List(
            data.network_interfaces()
                .iter()
                .map(|n| Value::Map(network_interface_attrs(n).into()))
                .collect(),
        ),
    );
    put(
        "placement",
        optional_block(data.placement().map(|p| {
            nested([
                ("affinity", p.affinity().into()),
                ("availability_zone", p.availability_zone().into()),
                ("group_name", p.group_name().into()),
                ("host_id", p.host_id().into()),
                (
                    "host_resource_group_arn",
                    p.host_resource_group_arn().into(),
                ),
                ("partition_number", p.partition_number().into()),
                ("spread_domain", p.spread_domain().into()),
                ("tenancy", p.tenancy().map(|t| t.as_str()).into()),
            ])
        })),
    );
    put(
        "private_dns_name_options",
        optional_block(data.private_dns_name_options().map(|p| {
            nested([
                (
                    "enable_resource_name_dns_a_record",
                    p.enable_resource_name_dns_a_record().into(),
                ),
                (
                    "enable_resource_name_dns_aaaa_record",
                    p.enable_resource_name_dns_aaaa_record().into(),
                ),
                (
                    "hostname_type",
                    p.hostname_type().map(|t| t.as_str()).into(),
                ),
            ])
        })),
    );
    out
}

fn network_interface_attrs(
    n: &aws_sdk_ec2::types::LaunchTemplateInstanceNetworkInterfaceSpecification,
) -> Attrs {
    let tracking = n.connection_tracking_specification().map(|c| {
        nested([
            (
                "tcp_established_timeout",
                c.tcp_established_timeout().into(),
            ),
            ("udp_stream_timeout", c.udp_stream_timeout().into()),
            ("udp_timeout", c.udp_timeout().into()),
        ])
    });
    let ena_srd = n.ena_srd_specification().map(|e| {
        let udp = e
            .ena_srd_udp_specification()
            .map(|u| nested([("ena_srd_udp_enabled", u.ena_srd_udp_enabled().into())]));
        nested([
            ("ena_srd_enabled", e.ena_srd_enabled().into()),
            ("ena_srd_udp_specification", optional_block(udp)),
        ])
    });
    nested([
        (
            "associate_carrier_ip_address",
            flag_value(n.associate_carrier_ip_address()),
        ),
        (
            "associate_public_ip_address",
            flag_value(n.associate_public_ip_address()),
        ),
        (
            "delete_on_termination",
            flag_value(n.delete_on_termination()),
        ),
        ("description", n.description().into()),
        ("device_index", n.device_index().into()),
        ("interface_type", n.interface_type().into()),
        (
            "ipv4_address_count",
            n.secondary_private_ip_address_count().into(),
        ),
        (
            "ipv4_addresses",
            set_value(
                n.private_ip_addresses()
                    .iter()
                    .filter_map(|a| a.private_ip_address()),
            ),
        ),
        ("ipv4_prefix_count", n.ipv4_prefix_count().into()),
        (
            "ipv4_prefixes",
            set_value(n.ipv4_prefixes().iter().filter_map(|p| p.ipv4_prefix())),
        ),
        ("ipv6_address_count", n.ipv6_address_count().into()),
        (
            "ipv6_addresses",
            set_value(n.ipv6_addresses().iter().filter_map(|a| a.ipv6_address())),
        ),
        ("ipv6_prefix_count", n.ipv6_prefix_count().into()),
        (
            "ipv6_prefixes",
            set_value(n.ipv6_prefixes().iter().filter_map(|p| p.ipv6_prefix())),
        ),
        ("network_card_index", n.network_card_index().into()),
        ("network_interface_id", n.network_interface_id().into()),
        ("primary_ipv6", flag_value(n.primary_ipv6())),
        ("private_ip_address", n.private_ip_address().into()),
        ("security_groups", set_value(n.groups())),
        ("subnet_id", n.subnet_id().into()),
        (
            "connection_tracking_specification",
            optional_block(tracking),
        ),
        ("ena_srd_specification", optional_block(ena_srd)),
    ])
}

/// A range block read back; an empty range (AWS answered neither bound) is
/// no block.
fn range_value(min: Value, max: Value) -> Value {
    let range = nested([("min", min), ("max", max)]);
    optional_block((!range.is_empty()).then_some(range))
}

fn requirements_attrs(r: &InstanceRequirements) -> Attrs {
    fn as_strs<T: AsRef<str>>(items: &[T]) -> Value {
        set_value(items.iter().map(AsRef::as_ref))
    }
    fn enum_strs<T>(items: &[T], as_str: fn(&T) -> &str) -> Value {
        set_value(items.iter().map(as_str))
    }
    nested([
        (
            "accelerator_manufacturers",
            enum_strs(
                r.accelerator_manufacturers(),
                AcceleratorManufacturer::as_str,
            ),
        ),
        (
            "accelerator_names",
            enum_strs(r.accelerator_names(), AcceleratorName::as_str),
        ),
        (
            "accelerator_types",
            enum_strs(r.accelerator_types(), AcceleratorType::as_str),
        ),
        (
            "allowed_instance_types",
            as_strs(r.allowed_instance_types()),
        ),
        ("bare_metal", r.bare_metal().map(BareMetal::as_str).into()),
        (
            "burstable_performance",
            r.burstable_performance()
                .map(BurstablePerformance::as_str)
                .into(),
        ),
        (
            "cpu_manufacturers",
            enum_strs(r.cpu_manufacturers(), CpuManufacturer::as_str),
        ),
        (
            "excluded_instance_types",
            as_strs(r.excluded_instance_types()),
        ),
        (
            "instance_generations",
            enum_strs(r.instance_generations(), InstanceGeneration::as_str),
        ),
        (
            "local_storage",
            r.local_storage().map(LocalStorage::as_str).into(),
        ),
        (
            "local_storage_types",
            enum_strs(r.local_storage_types(), LocalStorageType::as_str),
        ),
        (
            "max_spot_price_as_percentage_of_optimal_on_demand_price",
            r.max_spot_price_as_percentage_of_optimal_on_demand_price()
                .into(),
        ),
        (
            "on_demand_max_price_percentage_over_lowest_price",
            r.on_demand_max_price_percentage_over_lowest_price().into(),
        ),
        (
            "require_hibernate_support",
            r.require_hibernate_support().into(),
        ),
        (
            "spot_max_price_percentage_over_lowest_price",
            r.spot_max_price_percentage_over_lowest_price().into(),
        ),
        (
            "accelerator_count",
            r.accelerator_count()
                .map_or(Value::Null, |c| range_value(c.min().into(), c.max().into())),
        ),
        (
            "accelerator_total_memory_mib",
            r.accelerator_total_memory_mib()
                .map_or(Value::Null, |c| range_value(c.min().into(), c.max().into())),
        ),
        (
            "baseline_ebs_bandwidth_mbps",
            r.baseline_ebs_bandwidth_mbps()
                .map_or(Value::Null, |c| range_value(c.min().into(), c.max().into())),
        ),
        (
            "memory_gib_per_vcpu",
            r.memory_gib_per_v_cpu().map_or(Value::Null, |c| {
                range_value(float_value(c.min()), float_value(c.max()))
            }),
        ),
        (
            "memory_mib",
            r.memory_mib()
                .map_or(Value::Null, |c| range_value(c.min().into(), c.max().into())),
        ),
        (
            "network_bandwidth_gbps",
            r.network_bandwidth_gbps().map_or(Value::Null, |c| {
                range_value(float_value(c.min()), float_value(c.max()))
            }),
        ),
        (
            "network_interface_count",
            r.network_interface_count()
                .map_or(Value::Null, |c| range_value(c.min().into(), c.max().into())),
        ),
        (
            "total_local_storage_gb",
            r.total_local_storage_gb().map_or(Value::Null, |c| {
                range_value(float_value(c.min()), float_value(c.max()))
            }),
        ),
        (
            "vcpu_count",
            r.v_cpu_count()
                .map_or(Value::Null, |c| range_value(c.min().into(), c.max().into())),
        ),
    ])
}
