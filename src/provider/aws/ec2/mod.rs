//! EC2: the network types (VPC, subnets, gateways, route tables, security
//! groups), launch templates and the availability zones data source, and
//! what they share: batched describes by id filter, waiting for a described
//! object, and ARNs.
//!
//! Only what more than one type needs belongs here. Nothing in this file
//! knows about a particular resource type's attributes.

mod ami_data_source;
mod availability_zones;
mod eip;
mod eip_association;
mod instance;
mod internet_gateway;
mod key_pair;
mod launch_template;
mod launch_template_data;
mod nat_gateway;
mod network_acl;
mod network_acl_entries;
mod network_acl_rule;
mod route;
mod route_table;
mod route_table_association;
mod routes;
mod security_group;
mod security_group_data_source;
mod security_group_rule;
mod security_group_rules;
mod subnet;
mod subnet_data_source;
mod subnets_data_source;
mod vpc;
mod vpc_data_source;
mod vpc_endpoint;
mod vpc_security_group_rule;

use std::future::Future;
use std::time::Duration;

use aws_sdk_ec2::types::Filter;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::batch::describe_in_chunks;
use super::regions::partition;
use super::{AwsContext, sdk_error, wait_until};
use crate::provider::ProviderError;
use crate::provider::schema::{Attribute, Schema, Type};

/// This service's types, for the provider's registry.
pub(super) const TYPES: super::ServiceTypes = super::ServiceTypes {
    name: "EC2",
    resources: &[
        &launch_template::LaunchTemplate,
        &key_pair::KeyPairType,
        &instance::Ec2Instance,
        &vpc::VpcType,
        &subnet::SubnetType,
        &internet_gateway::InternetGatewayType,
        &eip::EipType,
        &eip_association::EipAssociationType,
        &nat_gateway::NatGatewayType,
        &route_table::RouteTableType,
        &route::RouteType,
        &route_table_association::RouteTableAssociationType,
        &security_group::SecurityGroupType,
        &security_group_rule::SecurityGroupRuleType,
        &network_acl::NetworkAclType,
        &network_acl_rule::NetworkAclRuleType,
        &vpc_endpoint::VpcEndpointResource,
        &vpc_security_group_rule::INGRESS,
        &vpc_security_group_rule::EGRESS,
    ],
    data_sources: &[
        &availability_zones::AvailabilityZonesType,
        &ami_data_source::AmiDataSource,
        &vpc_data_source::VpcDataSource,
        &subnets_data_source::SubnetsDataSource,
        &subnet_data_source::SubnetDataSource,
        &security_group_data_source::SecurityGroupDataSource,
    ],
};

/// AWS rejects a filter with more values than this (`FilterLimitExceeded`).
const MAX_FILTER_VALUES: usize = 200;

/// One EC2 `Filter`, e.g. `vpc-id = [vpc-1, vpc-2]`.
pub(super) fn filter<S: Into<String>>(name: &str, values: impl IntoIterator<Item = S>) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.into_iter().map(Into::into).collect()))
        .build()
}

/// The batched-refresh shape: `describe` is given the filter
/// `filter_name = <ids>` (it may add filters of its own), in chunks of AWS's
/// filter limit, so normally exactly once, and answers with every page of
/// its call; its SDK errors are mapped here. The *filter* form of a
/// Describe call skips ids that no longer exist instead of failing the
/// whole call. No ids means no call at all.
pub(super) async fn describe_by_filter<T, E, F, Fut>(
    ids: &[String],
    filter_name: &str,
    describe: F,
) -> Result<Vec<T>, ProviderError>
where
    F: Fn(Filter) -> Fut,
    Fut: Future<Output = Result<Vec<T>, SdkError<E, HttpResponse>>>,
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    describe_in_chunks(ids, MAX_FILTER_VALUES, |chunk| {
        let described = describe(filter(filter_name, chunk));
        async move { described.await.map_err(sdk_error) }
    })
    .await
}

/// [`describe_by_filter`] for a paginated Describe call, with every page:
/// `describe_paginated!(ids, "vpc-id", aws.ec2().describe_vpcs())`. The
/// request may carry filters of its own; the id filter is set with
/// `filters`, or with the setter named last where the SDK calls it
/// otherwise (DescribeNatGateways: `filter`). A macro because each Describe
/// call has its own builder and paginator types, with no trait in common.
macro_rules! describe_paginated {
    ($ids:expr, $filter_name:expr, $request:expr) => {
        describe_paginated!($ids, $filter_name, $request, filters)
    };
    ($ids:expr, $filter_name:expr, $request:expr, $set_filter:ident) => {
        $crate::provider::aws::ec2::describe_by_filter($ids, $filter_name, |by_ids| {
            $request
                .$set_filter(by_ids)
                .into_paginator()
                .items()
                .send()
                .try_collect()
        })
    };
}
pub(super) use describe_paginated;

/// Polls `describe` (a Describe of one object) until it finds the object
/// and `ready` holds for it, and returns the object: the wait for a state
/// EC2 reaches a moment after the call that asked for it.
pub(super) async fn wait_for_object<T, F, Fut>(
    what: &str,
    timeout: Duration,
    describe: F,
    ready: impl Fn(&T) -> bool,
) -> Result<T, ProviderError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<Vec<T>, ProviderError>>,
{
    wait_until(what, timeout, || {
        let described = describe();
        let ready = &ready;
        async move { Ok(described.await?.into_iter().next().filter(|o| ready(o))) }
    })
    .await
}

/// [`wait_for_object`] whose polls share their Describe call with the
/// polls of the same kind (`name`) that other steps make meanwhile
/// ([`AwsContext::shared_describes`]): a hundred new objects waited for at
/// once cost a few calls, not a hundred. Whichever poll leads a call makes
/// it with its own `describe`, so every poll of a kind must describe the
/// same way: `describe` describes ids with the filter form, which skips
/// ids not known yet; `id_of` tells an object's id. A shared call that
/// failed with throttling or a transient error is a "not yet" for every
/// poll it served, each trying again on its own schedule: a create's
/// clients do not retry, and one such error would otherwise fail every
/// step the call served.
#[allow(clippy::too_many_arguments)]
pub(super) async fn wait_for_shared<T, D, Fut>(
    aws: &AwsContext,
    what: &str,
    timeout: Duration,
    name: &'static str,
    id: &str,
    describe: D,
    id_of: fn(&T) -> Option<&str>,
    ready: impl Fn(&T) -> bool,
) -> Result<T, ProviderError>
where
    T: Clone + Send + Sync + 'static,
    D: Fn(Vec<String>) -> Fut,
    Fut: Future<Output = Result<Vec<T>, ProviderError>>,
{
    wait_for_object(
        what,
        timeout,
        || async {
            let found = aws
                .shared_describes()
                .describe(name, id, |ids| {
                    let described = describe(ids);
                    async move {
                        Ok(described
                            .await?
                            .into_iter()
                            .filter_map(|object| Some((id_of(&object)?.to_string(), object)))
                            .collect())
                    }
                })
                .await;
            match found {
                Ok(found) => Ok(found.into_iter().collect()),
                Err(e) if e.is_retryable() => Ok(Vec::new()),
                Err(e) => Err(e),
            }
        },
        ready,
    )
    .await
}

/// The `metadata_options {}` block of instances and launch templates: the
/// instance metadata service's settings, each kept as AWS has it when left
/// out.
pub(super) fn metadata_options_schema() -> Schema {
    Schema::new(
        vec![
            Attribute::optional_computed("http_endpoint", Type::String),
            Attribute::optional_computed("http_tokens", Type::String),
            Attribute::optional_computed("http_put_response_hop_limit", Type::Number),
            Attribute::optional_computed("http_protocol_ipv6", Type::String),
            Attribute::optional_computed("instance_metadata_tags", Type::String),
        ],
        vec![],
    )
}

/// An EC2 ARN such as `arn:aws:ec2:us-east-1:123456789012:vpc/vpc-1`, for the
/// many EC2 objects whose Describe answer carries no ARN.
pub(super) fn ec2_arn(aws: &AwsContext, owner_id: &str, resource: &str) -> String {
    let region = aws.region().unwrap_or_default();
    let partition = partition(region).name;
    format!("arn:{partition}:ec2:{region}:{owner_id}:{resource}")
}
