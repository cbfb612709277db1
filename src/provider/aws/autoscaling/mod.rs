//! EC2 Auto Scaling: groups of instances launched from a launch template
//! (the template itself is EC2's, in `ec2/`).
//!
//! What the Auto Scaling types share: the batched describe of groups.
//! Schemas and per-type calls stay in the type files (a group's settings
//! mapping in `group_settings.rs`, beside `group.rs`).

mod attachment;
mod group;
mod group_settings;
mod launch_configuration;

use aws_sdk_autoscaling::types::AutoScalingGroup;

use super::batch::describe_in_chunks;
use super::{AwsContext, sdk_error};
use crate::provider::ProviderError;

/// DescribeAutoScalingGroups accepts at most this many names per call.
const NAMES_PER_DESCRIBE: usize = 100;

/// This service's types, for the provider's registry.
pub(super) const TYPES: super::ServiceTypes = super::ServiceTypes {
    name: "EC2 Auto Scaling",
    resources: &[
        &group::AutoscalingGroup,
        &attachment::AutoscalingAttachment,
        &launch_configuration::LaunchConfigurationType,
    ],
    data_sources: &[],
};

/// DescribeAutoScalingGroups by name, all pages, in chunks of the API's
/// limit (one call for any realistic stack).
pub(super) async fn describe_groups(
    aws: &AwsContext,
    names: &[String],
) -> Result<Vec<AutoScalingGroup>, ProviderError> {
    describe_in_chunks(names, NAMES_PER_DESCRIBE, |chunk| {
        let pages = aws
            .autoscaling()
            .describe_auto_scaling_groups()
            .set_auto_scaling_group_names(Some(chunk))
            .into_paginator()
            .items()
            .send();
        async move { pages.try_collect().await.map_err(sdk_error) }
    })
    .await
}
