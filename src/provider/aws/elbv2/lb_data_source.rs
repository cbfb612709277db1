//! Data source `aws_lb` (and `aws_alb`): a load balancer by ARN, by name,
//! or by tags alone, read as the `aws_lb` resource reads it. Several
//! matches are an error, as in Terraform.

use std::sync::LazyLock;

use async_trait::async_trait;

use super::lb::LoadBalancer;
use crate::provider::aws::lookup::{answer_from, exactly_one, has_tags, mirrored_schema};
use crate::provider::aws::{AwsContext, sdk_error};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{DataSourceType, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt};

pub struct LoadBalancerDataSource;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    mirrored_schema(
        &LoadBalancer,
        vec![
            Attribute::optional_computed("arn", Type::String),
            Attribute::optional_computed("name", Type::String),
        ],
        &[
            "access_logs",
            "arn_suffix",
            "client_keep_alive",
            "connection_logs",
            "customer_owned_ipv4_pool",
            "desync_mitigation_mode",
            "dns_name",
            "dns_record_client_routing_policy",
            "drop_invalid_header_fields",
            "enable_cross_zone_load_balancing",
            "enable_deletion_protection",
            "enable_http2",
            "enable_tls_version_and_cipher_suite_headers",
            "enable_waf_fail_open",
            "enable_xff_client_port",
            "enable_zonal_shift",
            "enforce_security_group_inbound_rules_on_private_link_traffic",
            "idle_timeout",
            "internal",
            "ip_address_type",
            "load_balancer_type",
            "preserve_host_header",
            "security_groups",
            "subnet_mapping",
            "subnets",
            "vpc_id",
            "xff_header_processing_mode",
            "zone_id",
        ],
        vec![crate::provider::aws::Timeouts::read_block()],
    )
});

#[async_trait]
impl DataSourceType for LoadBalancerDataSource {
    fn type_name(&self) -> &'static str {
        "aws_lb"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    async fn read(&self, aws: &AwsContext, args: &Attrs) -> Result<Attrs, ProviderError> {
        let wanted_tags = args.string_map("tags");
        let load_balancers: Vec<_> = aws
            .elbv2()
            .describe_load_balancers()
            .set_load_balancer_arns(args.str("arn").map(|a| vec![a.to_string()]))
            .set_names(args.str("name").map(|n| vec![n.to_string()]))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(sdk_error)?;
        let arns: Vec<String> = load_balancers
            .iter()
            .filter_map(|lb| lb.load_balancer_arn().map(str::to_string))
            .collect();
        // One batched read (tags included) of every candidate; the answer
        // is made from it, not read again.
        let read = LoadBalancer.read_many(aws, &arns).await?;
        let matching = read
            .into_iter()
            .filter(|(_, lb)| has_tags(lb.get("tags_all"), &wanted_tags))
            .collect();
        let (arn, attrs) = exactly_one(matching, "ELBv2 Load Balancer")?;
        answer_from(&LoadBalancer, attrs, &arn, args, &SCHEMA)
    }
}
