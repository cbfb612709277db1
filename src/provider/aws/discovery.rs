//! Every object tagged with a stack, for `state rebuild` when the state is
//! lost: EC2's DescribeTags, the Resource Groups Tagging API, and the
//! listings of the types those two miss (`ResourceType::list_tagged`).
//!
//! It finds objects and names their addresses; what the state already
//! claims, and whether the object still exists, is the caller's to decide.

use std::collections::BTreeMap;

use aws_sdk_resourcegroupstagging::types::TagFilter;

use super::tags::{SYSTEM_TAG_PREFIX, ec2_list_tagged, stack_address};
use super::{AwsContext, sdk_error};
use crate::provider::{Listed, ProviderError};

/// Each object whose `terrane:stack` tag is this stack: its id (as its
/// type's state records it) and its `terrane:address` tag.
pub async fn list_stack_objects(
    aws: &AwsContext,
) -> Result<BTreeMap<String, String>, ProviderError> {
    let mut found: BTreeMap<String, String> = ec2_list_tagged(aws).await?.into_iter().collect();
    let mut add = |id: Option<String>, tags: Vec<(String, String)>| {
        if let (Some(id), Some(address)) = (id, stack_address(aws, tags)) {
            found.entry(id).or_insert(address);
        }
    };
    for (arn, tags) in tagging_api(aws).await? {
        add(id_of_arn(&arn), tags);
    }
    for resource_type in super::resource_types() {
        for (id, tags) in resource_type.list_tagged(aws).await? {
            add(Some(id), tags);
        }
    }
    Ok(found)
}

/// GetResources for this stack's tag, every page: (ARN, tags).
async fn tagging_api(aws: &AwsContext) -> Result<Vec<Listed>, ProviderError> {
    let filter = TagFilter::builder()
        .key(format!("{SYSTEM_TAG_PREFIX}stack"))
        .values(&aws.settings.stack)
        .build();
    let mut pages = aws
        .tagging()
        .get_resources()
        .tag_filters(filter)
        .into_paginator()
        .send();
    let mut listed = Vec::new();
    while let Some(page) = pages.next().await {
        for mapping in page.map_err(sdk_error)?.resource_tag_mapping_list() {
            let tags = mapping.tags().iter();
            listed.push((
                mapping.resource_arn().unwrap_or_default().to_string(),
                tags.map(|t| (t.key().to_string(), t.value().to_string()))
                    .collect(),
            ));
        }
    }
    Ok(listed)
}

/// terrane's id of the object at `arn`, in the form its type's state holds;
/// `None` for a kind of object terrane has no type for.
fn id_of_arn(arn: &str) -> Option<String> {
    let mut parts = arn.splitn(6, ':');
    let service = parts.nth(2)?;
    let resource = parts.nth(2)?;
    let last = |path: &str| path.rsplit('/').next().map(str::to_string);
    let path: Vec<&str> = resource.split('/').collect();
    match (service, path.as_slice()) {
        ("ec2", _) => last(resource),
        // An object's ARN has a key after the bucket's name.
        ("s3", [bucket]) => Some(bucket.to_string()),
        // A classic load balancer's id is its name; ELBv2's are ARNs.
        ("elasticloadbalancing", ["loadbalancer", name]) => Some(name.to_string()),
        ("elasticloadbalancing", _) => Some(arn.to_string()),
        ("iam", ["role", ..]) => last(resource),
        ("eks", ["cluster", name]) => Some(name.to_string()),
        ("eks", ["nodegroup" | "addon", cluster, name, _]) => Some(format!("{cluster}:{name}")),
        ("wafv2", [scope, "webacl", name, id]) => {
            let scope = if *scope == "global" {
                "CLOUDFRONT"
            } else {
                "REGIONAL"
            };
            Some(format!("{id}/{name}/{scope}"))
        }
        ("route53", ["hostedzone" | "healthcheck", id]) => Some(id.to_string()),
        ("autoscaling", _) => resource
            .split_once("autoScalingGroupName/")
            .map(|(_, name)| name.to_string()),
        ("dynamodb", ["table", name]) => Some(name.to_string()),
        ("kms", ["key", id]) => Some(id.to_string()),
        ("acm", ["certificate", _]) => Some(arn.to_string()),
        ("logs", _) => resource.strip_prefix("log-group:").map(str::to_string),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::id_of_arn;

    #[test]
    fn arns_become_the_ids_state_holds() {
        let cases = [
            (
                "arn:aws:ec2:us-east-1:123456789012:vpc/vpc-0abc",
                "vpc-0abc",
            ),
            ("arn:aws:s3:::shop-app", "shop-app"),
            (
                "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shop/50dc6c495c0c9188",
                "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shop/50dc6c495c0c9188",
            ),
            (
                "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/shop-classic",
                "shop-classic",
            ),
            (
                "arn:aws:iam::123456789012:role/ops/shop-eks-cluster",
                "shop-eks-cluster",
            ),
            ("arn:aws:eks:us-east-1:123456789012:cluster/shop", "shop"),
            (
                "arn:aws:eks:us-east-1:123456789012:nodegroup/shop/workers/8ac5a4a2-1f3e",
                "shop:workers",
            ),
            (
                "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/shop/a1b2",
                "a1b2/shop/REGIONAL",
            ),
            ("arn:aws:route53:::hostedzone/Z123ABC", "Z123ABC"),
            (
                "arn:aws:eks:us-east-1:123456789012:addon/shop/vpc-cni/1a2b",
                "shop:vpc-cni",
            ),
            ("arn:aws:route53:::healthcheck/0a1b-2c3d", "0a1b-2c3d"),
            (
                "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:6d0b:autoScalingGroupName/shop-spot",
                "shop-spot",
            ),
            (
                "arn:aws:dynamodb:us-east-1:123456789012:table/terraform-locks",
                "terraform-locks",
            ),
            (
                "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab",
                "1234abcd-12ab",
            ),
            (
                "arn:aws:acm:us-east-1:123456789012:certificate/0a1b",
                "arn:aws:acm:us-east-1:123456789012:certificate/0a1b",
            ),
            (
                "arn:aws:logs:us-east-1:123456789012:log-group:/aws/eks/shop/cluster",
                "/aws/eks/shop/cluster",
            ),
        ];
        for (arn, id) in cases {
            assert_eq!(id_of_arn(arn).as_deref(), Some(id), "{arn}");
        }
        assert_eq!(id_of_arn("arn:aws:s3:::shop-app/key.txt"), None);
        assert_eq!(id_of_arn("arn:aws:sqs:us-east-1:123456789012:queue"), None);
        assert_eq!(id_of_arn("not an arn"), None);
    }
}
