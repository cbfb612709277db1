//! AWS resource types and the plumbing they share: SDK clients, error
//! mapping, tags and waiters.
//!
//! One file per resource type; the registries below are the only place a new
//! type is added. Files here hold schemas and SDK calls, nothing generic.

mod availability_zones;
mod client;
mod ec2;
mod eip;
mod errors;
mod internet_gateway;
mod nat_gateway;
mod route_table;
mod route_table_association;
mod security_group;
mod subnet;
mod tags;
mod vpc;
mod wait;

mod concurrent;
mod eks;
mod iam;
mod naming;

mod autoscaling_group;
mod eks_cluster;
mod eks_node_group;
mod iam_role;
mod iam_role_policy_attachment;
mod launch_template;

pub use client::{AwsContext, AwsSettings};
pub use errors::sdk_error;
pub use tags::{SYSTEM_TAG_PREFIX, ec2_tag_specification, ec2_tags_to_value, ec2_update_tags};
pub use wait::{Timeouts, wait_until};

use super::{DataSourceType, ResourceType};

/// Every managed resource type terrane supports.
pub static RESOURCE_TYPES: &[&dyn ResourceType] = &[
    &autoscaling_group::AutoscalingGroup,
    &eks_cluster::EksCluster,
    &eks_node_group::EksNodeGroup,
    &iam_role::IamRole,
    &iam_role_policy_attachment::IamRolePolicyAttachment,
    &launch_template::LaunchTemplate,
    &vpc::VpcType,
    &subnet::SubnetType,
    &internet_gateway::InternetGatewayType,
    &eip::EipType,
    &nat_gateway::NatGatewayType,
    &route_table::RouteTableType,
    &route_table_association::RouteTableAssociationType,
    &security_group::SecurityGroupType,
];

/// Every data source terrane supports.
pub static DATA_SOURCE_TYPES: &[&dyn DataSourceType] =
    &[&availability_zones::AvailabilityZonesType];
