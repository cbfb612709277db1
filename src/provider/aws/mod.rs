//! AWS resource types and the plumbing they share: SDK clients, error
//! mapping, tags and waiters.
//!
//! One file per resource type; the registries below are the only place a new
//! type is added. Files here hold schemas and SDK calls, nothing generic.

mod availability_zones;
mod batch;
mod client;
mod convert;
mod ec2;
mod eip;
mod elbv2;
mod errors;
mod internet_gateway;
mod names;
mod nat_gateway;
mod route53;
mod route_table;
mod route_table_association;
mod s3;
mod security_group;
mod subnet;
mod tags;
mod vpc;
mod wait;

mod eks;
mod iam;

mod autoscaling_group;
mod eks_cluster;
mod eks_node_group;
mod iam_role;
mod iam_role_policy_attachment;
mod launch_template;
mod lb;
mod lb_listener;
mod lb_target_group;
mod route53_record;
mod route53_zone;
mod s3_bucket;
mod s3_bucket_public_access_block;
mod s3_bucket_server_side_encryption_configuration;
mod s3_bucket_versioning;
/// Public for its lock-token update, which tests drive with a stale token.
pub mod wafv2_web_acl;
mod wafv2_web_acl_association;

pub use client::{AwsContext, AwsSettings};
pub use errors::{build_error, id_from_answer, ok_if_already_gone, ok_if_not_found, sdk_error};
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
    &lb::LoadBalancer,
    &lb_target_group::TargetGroup,
    &lb_listener::LbListener,
    &wafv2_web_acl::WebAclType,
    &wafv2_web_acl_association::WebAclAssociation,
    &route53_zone::HostedZone,
    &route53_record::Record,
    &s3_bucket::Bucket,
    &s3_bucket_versioning::BucketVersioning,
    &s3_bucket_server_side_encryption_configuration::BucketEncryption,
    &s3_bucket_public_access_block::PublicAccessBlock,
];

/// Every data source terrane supports.
pub static DATA_SOURCE_TYPES: &[&dyn DataSourceType] =
    &[&availability_zones::AvailabilityZonesType];
