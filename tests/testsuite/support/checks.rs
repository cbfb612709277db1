//! Independent checks of what a stack built, through plain SDK Describe
//! calls (never through terrane's own state).

use std::collections::BTreeSet;

use aws_sdk_ec2::types::Filter;

pub fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

/// The one VPC carrying `key = value`, if any.
pub async fn vpc_tagged(ec2: &aws_sdk_ec2::Client, key: &str, value: &str) -> Option<String> {
    let vpcs = ec2
        .describe_vpcs()
        .filters(filter(&format!("tag:{key}"), value))
        .send()
        .await
        .expect("describe vpcs");
    let ids: Vec<String> = vpcs
        .vpcs()
        .iter()
        .filter_map(|v| v.vpc_id().map(str::to_string))
        .collect();
    assert!(
        ids.len() <= 1,
        "more than one VPC tagged {key}={value}: {ids:?}"
    );
    ids.into_iter().next()
}

pub async fn tag_value(ec2: &aws_sdk_ec2::Client, id: &str, key: &str) -> Option<String> {
    let tags = ec2
        .describe_tags()
        .filters(filter("resource-id", id))
        .filters(filter("key", key))
        .send()
        .await
        .expect("describe tags");
    tags.tags()
        .first()
        .and_then(|t| t.value().map(str::to_string))
}

/// The network core of both example stacks: the VPC's range, 3 public and
/// 3 private subnets over 3 zones, an attached internet gateway, a NAT
/// gateway per zone in the public subnets, and every private subnet's
/// default route through a NAT gateway. Returns the public subnet ids.
pub async fn network_core(ec2: &aws_sdk_ec2::Client, vpc_id: &str, cidr: &str) -> BTreeSet<String> {
    let vpc = ec2
        .describe_vpcs()
        .vpc_ids(vpc_id)
        .send()
        .await
        .expect("vpc");
    assert_eq!(vpc.vpcs()[0].cidr_block(), Some(cidr));

    let subnets = ec2
        .describe_subnets()
        .filters(filter("vpc-id", vpc_id))
        .send()
        .await
        .expect("subnets");
    let subnets = subnets.subnets();
    assert_eq!(subnets.len(), 6, "3 public + 3 private subnets");
    let zones: BTreeSet<&str> = subnets
        .iter()
        .filter_map(|s| s.availability_zone())
        .collect();
    assert_eq!(
        zones.len(),
        3,
        "spread over 3 availability zones: {zones:?}"
    );
    let public: Vec<_> = subnets
        .iter()
        .filter(|s| s.map_public_ip_on_launch() == Some(true))
        .collect();
    assert_eq!(public.len(), 3, "public subnets map public IPs");
    let public_ids: BTreeSet<&str> = public.iter().filter_map(|s| s.subnet_id()).collect();

    let igws = ec2
        .describe_internet_gateways()
        .filters(filter("attachment.vpc-id", vpc_id))
        .send()
        .await
        .expect("igws");
    assert_eq!(
        igws.internet_gateways().len(),
        1,
        "one internet gateway attached"
    );

    let nats = ec2
        .describe_nat_gateways()
        .filter(filter("vpc-id", vpc_id))
        .filter(filter("state", "available"))
        .send()
        .await
        .expect("nat gateways");
    let nats = nats.nat_gateways();
    assert_eq!(nats.len(), 3, "one NAT gateway per zone");
    for nat in nats {
        assert!(
            public_ids.contains(nat.subnet_id().unwrap_or_default()),
            "NAT gateways sit in public subnets"
        );
    }
    let nat_ids: BTreeSet<&str> = nats.iter().filter_map(|n| n.nat_gateway_id()).collect();

    // Every private subnet's default route goes through a NAT gateway.
    let tables = ec2
        .describe_route_tables()
        .filters(filter("vpc-id", vpc_id))
        .send()
        .await
        .expect("route tables");
    for subnet in subnets
        .iter()
        .filter(|s| s.map_public_ip_on_launch() != Some(true))
    {
        let id = subnet.subnet_id().unwrap_or_default();
        let table = tables
            .route_tables()
            .iter()
            .find(|t| t.associations().iter().any(|a| a.subnet_id() == Some(id)))
            .unwrap_or_else(|| panic!("private subnet {id} has a route table"));
        let default_route = table
            .routes()
            .iter()
            .find(|r| r.destination_cidr_block() == Some("0.0.0.0/0"))
            .expect("a default route");
        assert!(
            nat_ids.contains(default_route.nat_gateway_id().unwrap_or_default()),
            "private default route via NAT"
        );
    }

    public_ids.into_iter().map(str::to_string).collect()
}
