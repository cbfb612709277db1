//! What AWS holds, listed by each service's own calls (never through
//! terrane's state), next to what a state file records: the check that a
//! run left no duplicate and nothing untracked.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::Emulator;
use super::checks::filter;

/// A state file, parsed.
pub fn state_of(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("state")).expect("state json")
}

/// Every object terrane can have made in the emulator, by type, listed with
/// each service's own calls (never through state): EC2 objects by the
/// `terrane:stack` tag, the named types by listing them all.
pub async fn inventory(emulator: &Emulator) -> BTreeMap<&'static str, BTreeSet<String>> {
    let mut found: BTreeMap<&'static str, BTreeSet<String>> = BTreeMap::new();
    // Each type's own Describe, filtered by the stack tag (the emulator's
    // DescribeTags still lists the tags of deleted objects).
    let ec2 = emulator.ec2();
    let ours = || filter("tag-key", "terrane:stack");
    let ids = |list: Vec<Option<&str>>| list.into_iter().flatten().map(String::from).collect();
    let vpcs = ec2
        .describe_vpcs()
        .filters(ours())
        .send()
        .await
        .expect("vpcs");
    found.insert(
        "aws_vpc",
        ids(vpcs.vpcs().iter().map(|v| v.vpc_id()).collect()),
    );
    let subnets = ec2
        .describe_subnets()
        .filters(ours())
        .send()
        .await
        .expect("subnets");
    found.insert(
        "aws_subnet",
        ids(subnets.subnets().iter().map(|v| v.subnet_id()).collect()),
    );
    let gateways = ec2
        .describe_internet_gateways()
        .filters(ours())
        .send()
        .await
        .expect("igws");
    found.insert(
        "aws_internet_gateway",
        ids(gateways
            .internet_gateways()
            .iter()
            .map(|v| v.internet_gateway_id())
            .collect()),
    );
    let addresses = ec2
        .describe_addresses()
        .filters(ours())
        .send()
        .await
        .expect("eips");
    found.insert(
        "aws_eip",
        ids(addresses
            .addresses()
            .iter()
            .map(|v| v.allocation_id())
            .collect()),
    );
    // NAT gateways linger as `deleted`; only live ones count.
    let nats = ec2
        .describe_nat_gateways()
        .filter(ours())
        .send()
        .await
        .expect("nats");
    found.insert(
        "aws_nat_gateway",
        ids(nats
            .nat_gateways()
            .iter()
            .filter(|n| n.state().map(|s| s.as_str()) != Some("deleted"))
            .map(|v| v.nat_gateway_id())
            .collect()),
    );
    let tables = ec2
        .describe_route_tables()
        .filters(ours())
        .send()
        .await
        .expect("rtbs");
    found.insert(
        "aws_route_table",
        ids(tables
            .route_tables()
            .iter()
            .map(|v| v.route_table_id())
            .collect()),
    );
    let groups = ec2
        .describe_security_groups()
        .filters(ours())
        .send()
        .await
        .expect("sgs");
    found.insert(
        "aws_security_group",
        ids(groups
            .security_groups()
            .iter()
            .map(|v| v.group_id())
            .collect()),
    );
    let templates = ec2
        .describe_launch_templates()
        .filters(ours())
        .send()
        .await
        .expect("lts");
    found.insert(
        "aws_launch_template",
        ids(templates
            .launch_templates()
            .iter()
            .map(|v| v.launch_template_id())
            .collect()),
    );

    let roles = emulator.iam().list_roles().send().await.expect("roles");
    found.insert(
        "aws_iam_role",
        roles
            .roles()
            .iter()
            .map(|r| r.role_name().to_string())
            .collect(),
    );
    let groups = emulator
        .autoscaling()
        .describe_auto_scaling_groups()
        .send()
        .await
        .expect("asgs");
    found.insert(
        "aws_autoscaling_group",
        groups
            .auto_scaling_groups()
            .iter()
            .filter_map(|g| g.auto_scaling_group_name().map(String::from))
            .collect(),
    );
    let eks = emulator.eks();
    let clusters = eks.list_clusters().send().await.expect("clusters");
    let mut node_groups = BTreeSet::new();
    for cluster in clusters.clusters() {
        let groups = eks
            .list_nodegroups()
            .cluster_name(cluster)
            .send()
            .await
            .expect("node groups");
        node_groups.extend(groups.nodegroups().iter().map(|g| format!("{cluster}:{g}")));
    }
    found.insert(
        "aws_eks_cluster",
        clusters.clusters().iter().cloned().collect(),
    );
    found.insert("aws_eks_node_group", node_groups);
    let elbv2 = emulator.elbv2();
    let lbs = elbv2.describe_load_balancers().send().await.expect("lbs");
    let mut listeners = BTreeSet::new();
    for lb in lbs.load_balancers() {
        let described = elbv2
            .describe_listeners()
            .load_balancer_arn(lb.load_balancer_arn().unwrap_or_default())
            .send()
            .await
            .expect("listeners");
        listeners.extend(
            described
                .listeners()
                .iter()
                .filter_map(|l| l.listener_arn().map(String::from)),
        );
    }
    found.insert(
        "aws_lb",
        lbs.load_balancers()
            .iter()
            .filter_map(|l| l.load_balancer_arn().map(String::from))
            .collect(),
    );
    found.insert("aws_lb_listener", listeners);
    let target_groups = elbv2.describe_target_groups().send().await.expect("tgs");
    found.insert(
        "aws_lb_target_group",
        target_groups
            .target_groups()
            .iter()
            .filter_map(|t| t.target_group_arn().map(String::from))
            .collect(),
    );
    let buckets = emulator.s3().list_buckets().send().await.expect("buckets");
    found.insert(
        "aws_s3_bucket",
        buckets
            .buckets()
            .iter()
            .filter_map(|b| b.name().map(String::from))
            .collect(),
    );
    let acls = emulator
        .wafv2()
        .list_web_acls()
        .scope(aws_sdk_wafv2::types::Scope::Regional)
        .send()
        .await
        .expect("acls");
    found.insert(
        "aws_wafv2_web_acl",
        acls.web_acls()
            .iter()
            .map(|a| {
                format!(
                    "{}/{}/REGIONAL",
                    a.id().unwrap_or_default(),
                    a.name().unwrap_or_default()
                )
            })
            .collect(),
    );
    let zones = emulator
        .route53()
        .list_hosted_zones()
        .send()
        .await
        .expect("zones");
    found.insert(
        "aws_route53_zone",
        zones
            .hosted_zones()
            .iter()
            .map(|z| z.id().trim_start_matches("/hostedzone/").to_string())
            .collect(),
    );
    found.retain(|_, ids| !ids.is_empty());
    found
}

/// The ids state records, by type, for the types [`inventory`] lists.
pub fn state_inventory(state: &serde_json::Value) -> BTreeMap<&'static str, BTreeSet<String>> {
    let mut found: BTreeMap<&'static str, BTreeSet<String>> = BTreeMap::new();
    for resource in state["resources"].as_array().into_iter().flatten() {
        let type_name = resource["type"].as_str().unwrap_or_default();
        if let Some(known) = LISTED_TYPES.iter().find(|t| **t == type_name) {
            found
                .entry(known)
                .or_default()
                .insert(resource["id"].as_str().unwrap_or_default().to_string());
        }
    }
    found
}

pub const LISTED_TYPES: &[&str] = &[
    "aws_vpc",
    "aws_subnet",
    "aws_internet_gateway",
    "aws_eip",
    "aws_nat_gateway",
    "aws_route_table",
    "aws_security_group",
    "aws_launch_template",
    "aws_iam_role",
    "aws_autoscaling_group",
    "aws_eks_cluster",
    "aws_eks_node_group",
    "aws_lb",
    "aws_lb_listener",
    "aws_lb_target_group",
    "aws_s3_bucket",
    "aws_wafv2_web_acl",
    "aws_route53_zone",
];
