//! The AWS network resource types (VPC, subnet, internet and NAT gateways,
//! EIP, route tables and their associations, security groups) and the
//! `aws_availability_zones` data source, driven through their traits against
//! a private emulator and checked with independent EC2 Describe calls.
//!
//! Each test walks whole lifecycles: create, read back with no diff against
//! what the user wrote, update, a batched read of live and deleted ids in
//! one Describe call, and delete twice.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{Filter, IpPermission, Tag, VpcAttributeName};
use terrane::provider::aws::AwsContext;
use terrane::provider::{ResourceType, data_source_type};
use terrane::value::{Attrs, AttrsExt, Value};

use crate::support::Emulator;
use crate::support::fixtures::{
    assert_system_tags, context, create_with_token, delete_twice, map, read, strings, ty,
};

/// Arguments the engine keeps from the configuration because AWS can't
/// report them; reads leave them out.
const CONFIG_ONLY: &[&str] = &["revoke_rules_on_delete", "timeouts"];

/// An emulator, a provider context over it and an independent EC2 client.
struct Harness {
    emulator: Emulator,
    aws: AwsContext,
    ec2: aws_sdk_ec2::Client,
}

impl Harness {
    fn start() -> Harness {
        let emulator = Emulator::start();
        let aws = context(&emulator);
        let ec2 = emulator.ec2();
        Harness { emulator, aws, ec2 }
    }

    /// Creates an object the way the engine does and returns its id and the
    /// plan it was created from.
    async fn create(
        &self,
        type_name: &str,
        address: &str,
        written: Vec<(&str, Value)>,
    ) -> (String, Attrs) {
        self.create_with_token(type_name, address, &format!("token-{address}"), written)
            .await
    }

    async fn create_with_token(
        &self,
        type_name: &str,
        address: &str,
        client_token: &str,
        written: Vec<(&str, Value)>,
    ) -> (String, Attrs) {
        let planned = plan(ty(type_name), written);
        let id = create_with_token(&self.aws, address, client_token, &planned).await;
        (id, planned)
    }

    async fn read(&self, type_name: &str, id: &str) -> Attrs {
        read(&self.aws, type_name, id).await
    }

    /// Updates from `prior` (a read) to what `written` plans, as the engine
    /// does, and returns the id to read back and the plan.
    async fn update(
        &self,
        type_name: &str,
        prior: &Attrs,
        written: Vec<(&str, Value)>,
    ) -> (String, Attrs) {
        let ty = ty(type_name);
        let planned = plan(ty, written);
        let id = ty
            .update_returning_id(&self.aws, prior, &planned)
            .await
            .unwrap_or_else(|e| panic!("update {type_name}: {e}"));
        (id, planned)
    }

    /// Deletes, then deletes again: the second must succeed too.
    async fn delete_twice(&self, type_name: &str, prior: &Attrs) {
        delete_twice(&self.aws, type_name, prior).await
    }

    /// A VPC (`aws_vpc.main`, 10.0.0.0/16) for the types that live in one.
    async fn vpc(&self) -> String {
        let config = vec![("cidr_block", s("10.0.0.0/16"))];
        self.create("aws_vpc", "aws_vpc.main", config).await.0
    }

    /// [`Harness::vpc`] and one subnet of it (10.0.1.0/24) at
    /// `subnet_address`; returns both ids.
    async fn vpc_with_subnet(&self, subnet_address: &str) -> (String, String) {
        let vpc_id = self.vpc().await;
        let config = vec![("vpc_id", s(&vpc_id)), ("cidr_block", s("10.0.1.0/24"))];
        let (subnet_id, _) = self.create("aws_subnet", subnet_address, config).await;
        (vpc_id, subnet_id)
    }

    /// Reads live and deleted ids in one `read_many` and returns what was
    /// found and the EC2 actions the emulator served meanwhile.
    async fn batched_read(&self, type_name: &str, ids: &[&str]) -> (Vec<String>, Vec<String>) {
        let ids: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
        let (recorded_before, logged_before) = (
            self.emulator.request_bodies().len(),
            self.emulator.request_count(),
        );
        let found = ty(type_name)
            .read_many(&self.aws, &ids)
            .await
            .unwrap_or_else(|e| panic!("batched read of {type_name}: {e}"));
        let actions: Vec<String> = self.emulator.request_bodies()[recorded_before..]
            .iter()
            .map(|body| action(body))
            .collect();
        // The access log counts the same requests as the recorder.
        assert_eq!(self.emulator.request_count() - logged_before, actions.len());
        (found.into_keys().collect(), actions)
    }
}

/// The `Action=` of a recorded EC2 query-protocol request body.
fn action(body: &str) -> String {
    body.split('&')
        .find_map(|pair| pair.strip_prefix("Action="))
        .unwrap_or_default()
        .to_string()
}

/// What the engine plans for a configuration that writes `written`: every
/// user-settable attribute converted to its schema type, defaults filled in,
/// the rest null, nested blocks likewise, and `tags_all` = `tags` (no
/// provider default tags here).
fn plan(ty: &dyn ResourceType, written: Vec<(&str, Value)>) -> Attrs {
    let written: Attrs = written
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    let schema = ty.schema();
    let mut planned = plan_object(schema, &written);
    if schema.has_tags() {
        let tags = match planned.get("tags") {
            Some(tags @ Value::Map(_)) => tags.clone(),
            _ => Value::Map(Attrs::new().into()),
        };
        planned.insert("tags_all".into(), tags);
    }
    schema.normalize(&planned)
}

fn plan_object(schema: &terrane::provider::Schema, written: &Attrs) -> Attrs {
    for name in written.keys() {
        assert!(
            schema.attribute(name).is_some_and(|a| a.user_settable())
                || schema.block(name).is_some(),
            "the test writes {name:?}, which the schema does not take"
        );
    }
    let mut planned = Attrs::new();
    for attr in schema.attributes.iter().filter(|a| a.user_settable()) {
        let value = written
            .get(attr.name)
            .cloned()
            .or_else(|| attr.default.clone())
            .unwrap_or(Value::Null);
        let value = attr
            .ty
            .convert(value)
            .unwrap_or_else(|e| panic!("{}: {e}", attr.name));
        planned.insert(attr.name.to_string(), value);
    }
    for block in &schema.blocks {
        if let Some(items) = written.get(block.name).and_then(Value::as_list) {
            let items = items
                .iter()
                .map(|item| {
                    Value::Map(
                        plan_object(&block.schema, item.as_map().expect("block object")).into(),
                    )
                })
                .collect();
            planned.insert(block.name.to_string(), Value::List(items));
        }
    }
    planned
}

/// A second plan after apply must find nothing to change: every argument
/// the configuration wrote reads back exactly as written (in canonical
/// form), and `tags_all` holds the user's tags without terrane's own.
fn assert_no_diff(type_name: &str, planned: &Attrs, state: &Attrs) {
    let schema = ty(type_name).schema();
    let state = schema.normalize(state);
    for attr in schema.attributes.iter().filter(|a| a.user_settable()) {
        if attr.name == "tags" || CONFIG_ONLY.contains(&attr.name) {
            continue;
        }
        let want = planned.get(attr.name).unwrap_or(&Value::Null);
        // Optional+computed and left unwritten: AWS's value is kept.
        if want.is_null() && attr.is_computed() {
            continue;
        }
        assert_eq!(
            state.get(attr.name).unwrap_or(&Value::Null),
            want,
            "{type_name}.{} would show a diff",
            attr.name
        );
    }
    if schema.has_tags() {
        assert_eq!(
            state.get("tags_all"),
            planned.get("tags_all"),
            "{type_name}.tags_all"
        );
    }
    for block in schema
        .blocks
        .iter()
        .filter(|b| !CONFIG_ONLY.contains(&b.name))
    {
        let empty = Value::List(vec![].into());
        let want = planned.get(block.name).unwrap_or(&empty);
        if block.computed_when_absent && want == &empty {
            continue;
        }
        assert_eq!(
            state.get(block.name).unwrap_or(&empty),
            want,
            "{type_name}.{} blocks would show a diff",
            block.name
        );
    }
}

fn s(value: &str) -> Value {
    Value::string(value)
}

fn object(pairs: Vec<(&str, Value)>) -> Value {
    Value::Map(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

fn filter(name: &str, values: &[&str]) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.iter().map(|v| v.to_string()).collect()))
        .build()
}

fn tag_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The object carries terrane's own tags next to the user's, as AWS sees it.
fn assert_tagged(tags: &[Tag], address: &str, user_tags: &[(&str, &str)]) {
    let tags = tag_map(tags);
    assert_system_tags(&tags, address);
    for (k, v) in user_tags {
        assert_eq!(tags.get(*k).map(String::as_str), Some(*v), "{tags:?}");
    }
}

#[tokio::test]
async fn vpc_subnet_and_internet_gateway_lifecycles() {
    let h = Harness::start();

    // VPC: hostnames on (AWS's default is off), tagged.
    let vpc_config = |hostnames: bool, support: bool, name: &str| {
        vec![
            ("cidr_block", s("10.0.0.0/16")),
            ("enable_dns_hostnames", Value::Bool(hostnames)),
            ("enable_dns_support", Value::Bool(support)),
            ("tags", map(&[("Name", name)])),
        ]
    };
    let (vpc_id, planned) = h
        .create("aws_vpc", "aws_vpc.main", vpc_config(true, true, "main"))
        .await;
    let described = h.ec2.describe_vpcs().vpc_ids(&vpc_id).send().await.unwrap();
    let vpc = &described.vpcs()[0];
    assert_eq!(vpc.cidr_block(), Some("10.0.0.0/16"));
    assert_tagged(vpc.tags(), "aws_vpc.main", &[("Name", "main")]);
    assert_eq!(
        dns_attribute(&h, &vpc_id, VpcAttributeName::EnableDnsHostnames).await,
        Some(true)
    );
    assert_eq!(
        dns_attribute(&h, &vpc_id, VpcAttributeName::EnableDnsSupport).await,
        Some(true)
    );

    let state = h.read("aws_vpc", &vpc_id).await;
    assert_no_diff("aws_vpc", &planned, &state);
    assert_eq!(state.str("instance_tenancy"), Some("default"));
    assert!(
        state
            .str("arn")
            .is_some_and(|arn| arn.ends_with(&format!(":vpc/{vpc_id}"))),
        "{state:?}"
    );
    assert!(state.str("owner_id").is_some_and(|o| !o.is_empty()));
    let default_group = h
        .ec2
        .describe_security_groups()
        .filters(filter("vpc-id", &[&vpc_id]))
        .filters(filter("group-name", &["default"]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        state.str("default_security_group_id"),
        default_group.security_groups()[0].group_id()
    );
    let main_table = h
        .ec2
        .describe_route_tables()
        .filters(filter("vpc-id", &[&vpc_id]))
        .filters(filter("association.main", &["true"]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        state.str("main_route_table_id"),
        main_table.route_tables()[0].route_table_id()
    );
    assert_eq!(
        state.str("default_route_table_id"),
        state.str("main_route_table_id")
    );
    let default_acl = h
        .ec2
        .describe_network_acls()
        .filters(filter("vpc-id", &[&vpc_id]))
        .filters(filter("default", &["true"]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        state.str("default_network_acl_id"),
        default_acl.network_acls()[0].network_acl_id()
    );

    // Both DNS attributes off (hostnames must go first) and a new tag.
    let (_, planned) = h
        .update("aws_vpc", &state, vpc_config(false, false, "renamed"))
        .await;
    assert_eq!(
        dns_attribute(&h, &vpc_id, VpcAttributeName::EnableDnsHostnames).await,
        Some(false)
    );
    assert_eq!(
        dns_attribute(&h, &vpc_id, VpcAttributeName::EnableDnsSupport).await,
        Some(false)
    );
    let vpc_state = h.read("aws_vpc", &vpc_id).await;
    assert_no_diff("aws_vpc", &planned, &vpc_state);

    // Subnet in a chosen zone, public IPs on launch.
    let subnet_config = |public: bool| {
        vec![
            ("vpc_id", s(&vpc_id)),
            ("cidr_block", s("10.0.1.0/24")),
            ("availability_zone", s("us-east-1b")),
            ("map_public_ip_on_launch", Value::Bool(public)),
            ("tags", map(&[("Tier", "public")])),
        ]
    };
    let (subnet_id, planned) = h
        .create("aws_subnet", "aws_subnet.public", subnet_config(true))
        .await;
    let described = h
        .ec2
        .describe_subnets()
        .subnet_ids(&subnet_id)
        .send()
        .await
        .unwrap();
    let subnet = &described.subnets()[0];
    assert_eq!(subnet.vpc_id(), Some(vpc_id.as_str()));
    assert_eq!(subnet.availability_zone(), Some("us-east-1b"));
    assert_eq!(subnet.map_public_ip_on_launch(), Some(true));
    assert_tagged(subnet.tags(), "aws_subnet.public", &[("Tier", "public")]);
    let state = h.read("aws_subnet", &subnet_id).await;
    assert_no_diff("aws_subnet", &planned, &state);
    assert_eq!(
        state.str("availability_zone_id"),
        subnet.availability_zone_id()
    );
    assert!(
        state
            .str("arn")
            .is_some_and(|arn| arn.ends_with(&format!(":subnet/{subnet_id}")))
    );

    let (_, planned) = h.update("aws_subnet", &state, subnet_config(false)).await;
    let described = h
        .ec2
        .describe_subnets()
        .subnet_ids(&subnet_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        described.subnets()[0].map_public_ip_on_launch(),
        Some(false)
    );
    let subnet_state = h.read("aws_subnet", &subnet_id).await;
    assert_no_diff("aws_subnet", &planned, &subnet_state);

    // An AZ left to AWS is kept (optional+computed) rather than diffed.
    let (auto_subnet_id, planned) = h
        .create(
            "aws_subnet",
            "aws_subnet.auto",
            vec![("vpc_id", s(&vpc_id)), ("cidr_block", s("10.0.2.0/24"))],
        )
        .await;
    let auto_state = h.read("aws_subnet", &auto_subnet_id).await;
    assert_no_diff("aws_subnet", &planned, &auto_state);
    assert!(
        auto_state
            .str("availability_zone")
            .is_some_and(|az| az.starts_with("us-east-1"))
    );
    h.delete_twice("aws_subnet", &auto_state).await;

    // Internet gateway attached to the VPC, then moved to a second VPC, then
    // detached, all in place.
    let (other_vpc_id, _) = h
        .create(
            "aws_vpc",
            "aws_vpc.other",
            vec![("cidr_block", s("10.1.0.0/16"))],
        )
        .await;
    let igw_config = |vpc: Option<&str>| {
        vec![
            ("vpc_id", vpc.map_or(Value::Null, s)),
            ("tags", map(&[("Name", "gw")])),
        ]
    };
    let (igw_id, planned) = h
        .create(
            "aws_internet_gateway",
            "aws_internet_gateway.gw",
            igw_config(Some(&vpc_id)),
        )
        .await;
    assert_eq!(igw_attachments(&h, &igw_id).await, vec![vpc_id.clone()]);
    let described = h
        .ec2
        .describe_internet_gateways()
        .internet_gateway_ids(&igw_id)
        .send()
        .await
        .unwrap();
    assert_tagged(
        described.internet_gateways()[0].tags(),
        "aws_internet_gateway.gw",
        &[("Name", "gw")],
    );
    let state = h.read("aws_internet_gateway", &igw_id).await;
    assert_no_diff("aws_internet_gateway", &planned, &state);

    let (_, planned) = h
        .update(
            "aws_internet_gateway",
            &state,
            igw_config(Some(&other_vpc_id)),
        )
        .await;
    assert_eq!(
        igw_attachments(&h, &igw_id).await,
        vec![other_vpc_id.clone()]
    );
    let state = h.read("aws_internet_gateway", &igw_id).await;
    assert_no_diff("aws_internet_gateway", &planned, &state);

    let (_, planned) = h
        .update("aws_internet_gateway", &state, igw_config(None))
        .await;
    assert!(igw_attachments(&h, &igw_id).await.is_empty());
    let state = h.read("aws_internet_gateway", &igw_id).await;
    assert_no_diff("aws_internet_gateway", &planned, &state);

    // Re-attach, so delete has to detach first.
    let (_, _) = h
        .update("aws_internet_gateway", &state, igw_config(Some(&vpc_id)))
        .await;
    let igw_state = h.read("aws_internet_gateway", &igw_id).await;

    // Batched reads: one Describe for live and deleted ids alike.
    let (found, actions) = h
        .batched_read("aws_subnet", &[&subnet_id, &auto_subnet_id])
        .await;
    assert_eq!(found, vec![subnet_id.clone()]);
    assert_eq!(actions, vec!["DescribeSubnets"]);

    let other_state = h.read("aws_vpc", &other_vpc_id).await;
    h.delete_twice("aws_vpc", &other_state).await;
    let (found, actions) = h.batched_read("aws_vpc", &[&vpc_id, &other_vpc_id]).await;
    assert_eq!(found, vec![vpc_id.clone()]);
    // One DescribeVpcs; the per-VPC attribute calls (AWS has no batched
    // form) and one call each for the default objects.
    assert_eq!(
        actions.iter().filter(|a| *a == "DescribeVpcs").count(),
        1,
        "{actions:?}"
    );
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "DescribeVpcAttribute")
            .count(),
        // DNS support, DNS hostnames, network address usage metrics.
        3,
        "{actions:?}"
    );
    assert_eq!(actions.len(), 7, "{actions:?}");

    // Delete everything, twice each, and check AWS no longer has it.
    h.delete_twice("aws_internet_gateway", &igw_state).await;
    let gone = h
        .ec2
        .describe_internet_gateways()
        .filters(filter("internet-gateway-id", &[&igw_id]))
        .send()
        .await
        .unwrap();
    assert!(gone.internet_gateways().is_empty());
    let (found, actions) = h.batched_read("aws_internet_gateway", &[&igw_id]).await;
    assert!(found.is_empty());
    assert_eq!(actions, vec!["DescribeInternetGateways"]);

    h.delete_twice("aws_subnet", &subnet_state).await;
    let gone = h
        .ec2
        .describe_subnets()
        .filters(filter("subnet-id", &[&subnet_id]))
        .send()
        .await
        .unwrap();
    assert!(gone.subnets().is_empty());

    h.delete_twice("aws_vpc", &vpc_state).await;
    let gone = h
        .ec2
        .describe_vpcs()
        .filters(filter("vpc-id", &[&vpc_id, &other_vpc_id]))
        .send()
        .await
        .unwrap();
    assert!(gone.vpcs().is_empty());

    // Reading nothing makes no call at all.
    let (found, actions) = h.batched_read("aws_vpc", &[]).await;
    assert!(found.is_empty() && actions.is_empty(), "{actions:?}");
}

async fn dns_attribute(h: &Harness, vpc_id: &str, attribute: VpcAttributeName) -> Option<bool> {
    let answer = h
        .ec2
        .describe_vpc_attribute()
        .vpc_id(vpc_id)
        .attribute(attribute.clone())
        .send()
        .await
        .unwrap();
    let value = match attribute {
        VpcAttributeName::EnableDnsHostnames => answer.enable_dns_hostnames(),
        _ => answer.enable_dns_support(),
    };
    value.and_then(|v| v.value())
}

async fn igw_attachments(h: &Harness, igw_id: &str) -> Vec<String> {
    let described = h
        .ec2
        .describe_internet_gateways()
        .internet_gateway_ids(igw_id)
        .send()
        .await
        .unwrap();
    described.internet_gateways()[0]
        .attachments()
        .iter()
        .filter_map(|a| a.vpc_id().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn availability_zones_are_sorted_and_filtered() {
    let h = Harness::start();
    let source = data_source_type("aws_availability_zones").expect("registered");
    let args: Attrs = [("state".to_string(), s("available"))]
        .into_iter()
        .collect();
    let read = source.read(&h.aws, &args).await.unwrap();
    let expected: Vec<String> = "abcdef".chars().map(|c| format!("us-east-1{c}")).collect();
    assert_eq!(read.strings("names"), expected);
    let independent = h.ec2.describe_availability_zones().send().await.unwrap();
    let mut zones: Vec<_> = independent
        .availability_zones()
        .iter()
        .map(|z| {
            (
                z.zone_name().unwrap().to_string(),
                z.zone_id().unwrap().to_string(),
            )
        })
        .collect();
    zones.sort();
    assert_eq!(
        read.strings("zone_ids"),
        zones.into_iter().map(|(_, id)| id).collect::<Vec<_>>()
    );
    assert_eq!(read.str("id"), Some("us-east-1"));
    assert_eq!(
        read.str("state"),
        Some("available"),
        "arguments are returned too"
    );

    let args: Attrs = [(
        "exclude_names".to_string(),
        strings(&["us-east-1a", "us-east-1c"]),
    )]
    .into_iter()
    .collect();
    let read = source.read(&h.aws, &args).await.unwrap();
    assert_eq!(
        read.strings("names"),
        ["us-east-1b", "us-east-1d", "us-east-1e", "us-east-1f"]
    );
}

#[tokio::test]
async fn eip_and_nat_gateway_lifecycles() {
    let h = Harness::start();
    let (_, subnet_id) = h.vpc_with_subnet("aws_subnet.public").await;

    // EIP, tagged, in the VPC domain by default.
    let (eip_id, planned) = h
        .create(
            "aws_eip",
            "aws_eip.nat",
            vec![("tags", map(&[("Name", "nat")]))],
        )
        .await;
    let described = h
        .ec2
        .describe_addresses()
        .allocation_ids(&eip_id)
        .send()
        .await
        .unwrap();
    let address = &described.addresses()[0];
    assert_eq!(address.domain().map(|d| d.as_str()), Some("vpc"));
    assert_tagged(address.tags(), "aws_eip.nat", &[("Name", "nat")]);
    let state = h.read("aws_eip", &eip_id).await;
    assert_no_diff("aws_eip", &planned, &state);
    assert_eq!(state.str("allocation_id"), Some(eip_id.as_str()));
    assert_eq!(state.str("public_ip"), address.public_ip());
    let public_ip = address.public_ip().unwrap();
    assert_eq!(
        state.str("public_dns").map(str::to_string),
        Some(format!(
            "ec2-{}.compute-1.amazonaws.com",
            public_ip.replace('.', "-")
        ))
    );
    let (_, planned) = h
        .update(
            "aws_eip",
            &state,
            vec![("tags", map(&[("Name", "nat-ip")]))],
        )
        .await;
    let eip_state = h.read("aws_eip", &eip_id).await;
    assert_no_diff("aws_eip", &planned, &eip_state);

    // NAT gateway: the idempotency token goes to AWS on the wire.
    let nat_config = |name: &str| {
        vec![
            ("allocation_id", s(&eip_id)),
            ("subnet_id", s(&subnet_id)),
            ("tags", map(&[("Name", name)])),
        ]
    };
    let (nat_id, planned) = h
        .create_with_token(
            "aws_nat_gateway",
            "aws_nat_gateway.main",
            "nat-token-42",
            nat_config("nat"),
        )
        .await;
    let create_call = h
        .emulator
        .request_bodies()
        .into_iter()
        .find(|body| action(body) == "CreateNatGateway")
        .expect("CreateNatGateway was sent");
    assert!(
        create_call
            .split('&')
            .any(|p| p == "ClientToken=nat-token-42"),
        "{create_call}"
    );

    let described = h
        .ec2
        .describe_nat_gateways()
        .nat_gateway_ids(&nat_id)
        .send()
        .await
        .unwrap();
    let gateway = &described.nat_gateways()[0];
    assert_eq!(gateway.state().map(|s| s.as_str()), Some("available"));
    assert_eq!(gateway.subnet_id(), Some(subnet_id.as_str()));
    assert_eq!(
        gateway.nat_gateway_addresses()[0].allocation_id(),
        Some(eip_id.as_str())
    );
    assert_tagged(gateway.tags(), "aws_nat_gateway.main", &[("Name", "nat")]);
    let state = h.read("aws_nat_gateway", &nat_id).await;
    assert_no_diff("aws_nat_gateway", &planned, &state);
    assert_eq!(state.str("connectivity_type"), Some("public"));
    assert_eq!(state.str("public_ip"), Some(public_ip));
    assert_eq!(
        state.str("network_interface_id"),
        gateway.nat_gateway_addresses()[0].network_interface_id()
    );
    assert!(state.str("private_ip").is_some());

    let (_, planned) = h
        .update("aws_nat_gateway", &state, nat_config("nat-renamed"))
        .await;
    let described = h
        .ec2
        .describe_nat_gateways()
        .nat_gateway_ids(&nat_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        tag_map(described.nat_gateways()[0].tags())
            .get("Name")
            .map(String::as_str),
        Some("nat-renamed")
    );
    let nat_state = h.read("aws_nat_gateway", &nat_id).await;
    assert_no_diff("aws_nat_gateway", &planned, &nat_state);

    // A second gateway (private, no EIP), deleted: AWS still lists it as
    // `deleted`, which must read as absent.
    let (private_nat_id, planned) = h
        .create(
            "aws_nat_gateway",
            "aws_nat_gateway.private",
            vec![
                ("subnet_id", s(&subnet_id)),
                ("connectivity_type", s("private")),
            ],
        )
        .await;
    let private_state = h.read("aws_nat_gateway", &private_nat_id).await;
    assert_no_diff("aws_nat_gateway", &planned, &private_state);
    assert_eq!(private_state.get("allocation_id"), Some(&Value::Null));
    h.delete_twice("aws_nat_gateway", &private_state).await;
    let described = h
        .ec2
        .describe_nat_gateways()
        .nat_gateway_ids(&private_nat_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        described.nat_gateways()[0].state().map(|s| s.as_str()),
        Some("deleted")
    );
    let (found, actions) = h
        .batched_read("aws_nat_gateway", &[&nat_id, &private_nat_id])
        .await;
    assert_eq!(found, vec![nat_id.clone()]);
    assert_eq!(actions, vec!["DescribeNatGateways"]);

    h.delete_twice("aws_nat_gateway", &nat_state).await;
    let (found, _) = h.batched_read("aws_nat_gateway", &[&nat_id]).await;
    assert!(found.is_empty());

    // A second EIP, released: the batched read skips it.
    let (spare_eip_id, _) = h.create("aws_eip", "aws_eip.spare", vec![]).await;
    let spare_state = h.read("aws_eip", &spare_eip_id).await;
    h.delete_twice("aws_eip", &spare_state).await;
    let (found, actions) = h.batched_read("aws_eip", &[&eip_id, &spare_eip_id]).await;
    assert_eq!(found, vec![eip_id.clone()]);
    assert_eq!(actions, vec!["DescribeAddresses"]);

    h.delete_twice("aws_eip", &eip_state).await;
    let gone = h
        .ec2
        .describe_addresses()
        .filters(filter("allocation-id", &[&eip_id]))
        .send()
        .await
        .unwrap();
    assert!(gone.addresses().is_empty());
}

#[tokio::test]
async fn route_table_and_association_lifecycles() {
    let h = Harness::start();
    let (vpc_id, subnet_id) = h.vpc_with_subnet("aws_subnet.a").await;
    let (igw_id, _) = h
        .create(
            "aws_internet_gateway",
            "aws_internet_gateway.gw",
            vec![("vpc_id", s(&vpc_id))],
        )
        .await;
    let (eip_id, _) = h.create("aws_eip", "aws_eip.nat", vec![]).await;
    let (nat_id, _) = h
        .create(
            "aws_nat_gateway",
            "aws_nat_gateway.nat",
            vec![("allocation_id", s(&eip_id)), ("subnet_id", s(&subnet_id))],
        )
        .await;

    let route =
        |cidr: &str, target: &str, id: &str| object(vec![("cidr_block", s(cidr)), (target, s(id))]);
    let (table_id, planned) = h
        .create(
            "aws_route_table",
            "aws_route_table.public",
            vec![
                ("vpc_id", s(&vpc_id)),
                (
                    "route",
                    Value::List(
                        vec![
                            route("0.0.0.0/0", "gateway_id", &igw_id),
                            route("192.168.0.0/16", "gateway_id", &igw_id),
                        ]
                        .into(),
                    ),
                ),
                ("tags", map(&[("Name", "public")])),
            ],
        )
        .await;
    let routes = described_routes(&h, &table_id).await;
    assert_eq!(
        routes,
        vec![
            ("0.0.0.0/0".to_string(), igw_id.clone()),
            ("10.0.0.0/16".to_string(), "local".to_string()),
            ("192.168.0.0/16".to_string(), igw_id.clone()),
        ]
    );
    let described = h
        .ec2
        .describe_route_tables()
        .route_table_ids(&table_id)
        .send()
        .await
        .unwrap();
    assert_tagged(
        described.route_tables()[0].tags(),
        "aws_route_table.public",
        &[("Name", "public")],
    );
    // The implicit local route is not read, so what was written reads back.
    let state = h.read("aws_route_table", &table_id).await;
    assert_no_diff("aws_route_table", &planned, &state);
    assert_eq!(
        state
            .get("route")
            .and_then(Value::as_list)
            .map(<[Value]>::len),
        Some(2)
    );

    // One route removed, one added, one moved to another target.
    let (_, planned) = h
        .update(
            "aws_route_table",
            &state,
            vec![
                ("vpc_id", s(&vpc_id)),
                (
                    "route",
                    Value::List(
                        vec![
                            route("0.0.0.0/0", "nat_gateway_id", &nat_id),
                            route("172.16.0.0/12", "gateway_id", &igw_id),
                        ]
                        .into(),
                    ),
                ),
                ("tags", map(&[("Name", "private")])),
            ],
        )
        .await;
    let routes = described_routes(&h, &table_id).await;
    assert_eq!(
        routes,
        vec![
            ("0.0.0.0/0".to_string(), nat_id.clone()),
            ("10.0.0.0/16".to_string(), "local".to_string()),
            ("172.16.0.0/12".to_string(), igw_id.clone()),
        ]
    );
    let table_state = h.read("aws_route_table", &table_id).await;
    assert_no_diff("aws_route_table", &planned, &table_state);

    // Association: created, then moved to another table in place, which
    // gives it a new id.
    let (other_table_id, _) = h
        .create(
            "aws_route_table",
            "aws_route_table.other",
            vec![("vpc_id", s(&vpc_id))],
        )
        .await;
    let association_config =
        |table: &str| vec![("subnet_id", s(&subnet_id)), ("route_table_id", s(table))];
    let (association_id, planned) = h
        .create(
            "aws_route_table_association",
            "aws_route_table_association.a",
            association_config(&table_id),
        )
        .await;
    assert!(association_id.starts_with("rtbassoc-"), "{association_id}");
    assert_eq!(
        subnet_association(&h, &subnet_id).await,
        Some((association_id.clone(), table_id.clone()))
    );
    let state = h.read("aws_route_table_association", &association_id).await;
    assert_no_diff("aws_route_table_association", &planned, &state);
    assert_eq!(state.get("gateway_id"), Some(&Value::Null));

    let (new_association_id, planned) = h
        .update(
            "aws_route_table_association",
            &state,
            association_config(&other_table_id),
        )
        .await;
    assert_ne!(new_association_id, association_id);
    assert_eq!(
        subnet_association(&h, &subnet_id).await,
        Some((new_association_id.clone(), other_table_id.clone()))
    );
    let association_state = h
        .read("aws_route_table_association", &new_association_id)
        .await;
    assert_no_diff("aws_route_table_association", &planned, &association_state);
    let (found, actions) = h
        .batched_read(
            "aws_route_table_association",
            &[&association_id, &new_association_id],
        )
        .await;
    assert_eq!(found, vec![new_association_id.clone()]);
    assert_eq!(actions, vec!["DescribeRouteTables"]);

    h.delete_twice("aws_route_table_association", &association_state)
        .await;
    assert_eq!(subnet_association(&h, &subnet_id).await, None);

    // Batched read of a live and a deleted route table.
    let other_state = h.read("aws_route_table", &other_table_id).await;
    h.delete_twice("aws_route_table", &other_state).await;
    let (found, actions) = h
        .batched_read("aws_route_table", &[&table_id, &other_table_id])
        .await;
    assert_eq!(found, vec![table_id.clone()]);
    assert_eq!(actions, vec!["DescribeRouteTables"]);

    // A table still associated with a subnet is disassociated on delete.
    let (_, _) = h
        .create(
            "aws_route_table_association",
            "aws_route_table_association.b",
            association_config(&table_id),
        )
        .await;
    h.delete_twice("aws_route_table", &table_state).await;
    let gone = h
        .ec2
        .describe_route_tables()
        .filters(filter("route-table-id", &[&table_id, &other_table_id]))
        .send()
        .await
        .unwrap();
    assert!(gone.route_tables().is_empty());
    assert_eq!(subnet_association(&h, &subnet_id).await, None);
}

/// (destination, target) of every route in the table, sorted.
async fn described_routes(h: &Harness, table_id: &str) -> Vec<(String, String)> {
    let described = h
        .ec2
        .describe_route_tables()
        .route_table_ids(table_id)
        .send()
        .await
        .unwrap();
    let mut routes: Vec<(String, String)> = described.route_tables()[0]
        .routes()
        .iter()
        .map(|r| {
            let target = r.gateway_id().or(r.nat_gateway_id()).unwrap_or_default();
            (
                r.destination_cidr_block().unwrap_or_default().to_string(),
                target.to_string(),
            )
        })
        .collect();
    routes.sort();
    routes
}

/// The subnet's explicit association: (association id, route table id).
async fn subnet_association(h: &Harness, subnet_id: &str) -> Option<(String, String)> {
    let described = h
        .ec2
        .describe_route_tables()
        .filters(filter("association.subnet-id", &[subnet_id]))
        .send()
        .await
        .unwrap();
    described
        .route_tables()
        .iter()
        .flat_map(|t| t.associations())
        .find(|a| a.subnet_id() == Some(subnet_id))
        .map(|a| {
            (
                a.route_table_association_id().unwrap().to_string(),
                a.route_table_id().unwrap().to_string(),
            )
        })
}

#[tokio::test]
async fn security_group_lifecycle() {
    let h = Harness::start();
    let vpc_id = h.vpc().await;

    // No name and no egress blocks: a generated name, and AWS's default
    // allow-all egress rule revoked.
    let rule = |from: i64, to: i64, protocol: &str, extra: Vec<(&str, Value)>| {
        let mut pairs = vec![
            ("from_port", Value::from(from)),
            ("to_port", Value::from(to)),
            ("protocol", s(protocol)),
        ];
        pairs.extend(extra);
        object(pairs)
    };
    let web_ingress = vec![
        rule(
            443,
            443,
            "tcp",
            vec![
                ("cidr_blocks", strings(&["10.0.0.0/8", "192.168.0.0/16"])),
                ("description", s("https")),
            ],
        ),
        rule(0, 0, "-1", vec![("self", Value::Bool(true))]),
    ];
    let (web_id, planned) = h
        .create(
            "aws_security_group",
            "aws_security_group.web",
            vec![
                ("vpc_id", s(&vpc_id)),
                ("ingress", Value::List(web_ingress.clone().into())),
                ("tags", map(&[("Name", "web")])),
            ],
        )
        .await;
    let group = described_group(&h, &web_id).await;
    assert!(
        group
            .group_name()
            .is_some_and(|n| n.starts_with("terrane-")),
        "{group:?}"
    );
    assert_eq!(group.description(), Some("Managed by Terraform"));
    assert!(
        group.ip_permissions_egress().is_empty(),
        "default egress kept: {group:?}"
    );
    assert_tagged(group.tags(), "aws_security_group.web", &[("Name", "web")]);
    let https = permission(group.ip_permissions(), "tcp", 443);
    let mut cidrs: Vec<_> = https
        .ip_ranges()
        .iter()
        .map(|r| r.cidr_ip().unwrap())
        .collect();
    cidrs.sort();
    assert_eq!(cidrs, ["10.0.0.0/8", "192.168.0.0/16"]);
    assert!(
        https
            .ip_ranges()
            .iter()
            .all(|r| r.description() == Some("https"))
    );
    let all = group
        .ip_permissions()
        .iter()
        .find(|p| p.ip_protocol() == Some("-1"))
        .expect("self rule");
    assert_eq!(
        all.user_id_group_pairs()[0].group_id(),
        Some(web_id.as_str())
    );

    // The rule written with two CIDR blocks reads back as one block.
    let state = h.read("aws_security_group", &web_id).await;
    assert_no_diff("aws_security_group", &planned, &state);
    assert_eq!(state.get("egress"), Some(&Value::List(vec![].into())));
    let name = state.str("name").unwrap().to_string();
    assert_eq!(state.str("name_prefix"), Some("terrane-"));
    assert!(
        state
            .str("arn")
            .is_some_and(|arn| arn.ends_with(&format!("security-group/{web_id}")))
    );

    // A second group whose egress includes the default rule keeps it, and
    // whose ingress protocol is written as a number: sent as "tcp".
    let db_config = |protocol: &str| {
        vec![
            ("name_prefix", s("db-")),
            ("description", s("database")),
            ("vpc_id", s(&vpc_id)),
            (
                "ingress",
                Value::List(
                    vec![rule(
                        5432,
                        5432,
                        protocol,
                        vec![("security_groups", strings(&[&web_id]))],
                    )]
                    .into(),
                ),
            ),
            (
                "egress",
                Value::List(
                    vec![
                        rule(0, 0, "-1", vec![("cidr_blocks", strings(&["0.0.0.0/0"]))]),
                        rule(
                            443,
                            443,
                            "tcp",
                            vec![("cidr_blocks", strings(&["10.0.0.0/8"]))],
                        ),
                    ]
                    .into(),
                ),
            ),
        ]
    };
    let (db_id, _) = h
        .create(
            "aws_security_group",
            "aws_security_group.db",
            db_config("6"),
        )
        .await;
    let group = described_group(&h, &db_id).await;
    assert!(group.group_name().is_some_and(|n| n.starts_with("db-")));
    let egress = group.ip_permissions_egress();
    assert_eq!(egress.len(), 2, "{egress:?}");
    assert_eq!(
        permission(egress, "-1", 0).ip_ranges()[0].cidr_ip(),
        Some("0.0.0.0/0"),
        "the default egress rule is kept when written"
    );
    let postgres = permission(group.ip_permissions(), "tcp", 5432);
    assert_eq!(
        postgres.user_id_group_pairs()[0].group_id(),
        Some(web_id.as_str())
    );
    // "6" is sent and read as "tcp": what a user writing "tcp" plans.
    let db_state = h.read("aws_security_group", &db_id).await;
    assert_no_diff(
        "aws_security_group",
        &plan(ty("aws_security_group"), db_config("tcp")),
        &db_state,
    );
    assert_eq!(db_state.str("name_prefix"), Some("db-"));

    // Update web: one CIDR dropped from the https rule, a rule from db
    // added (so the two groups reference each other), an egress rule added.
    let web_config = vec![
        ("name", s(&name)),
        ("vpc_id", s(&vpc_id)),
        (
            "ingress",
            Value::List(
                vec![
                    rule(
                        443,
                        443,
                        "tcp",
                        vec![
                            ("cidr_blocks", strings(&["10.0.0.0/8"])),
                            ("description", s("https")),
                        ],
                    ),
                    rule(0, 0, "-1", vec![("self", Value::Bool(true))]),
                    rule(22, 22, "tcp", vec![("security_groups", strings(&[&db_id]))]),
                ]
                .into(),
            ),
        ),
        (
            "egress",
            Value::List(
                vec![rule(
                    53,
                    53,
                    "udp",
                    vec![("cidr_blocks", strings(&["10.0.0.2/32"]))],
                )]
                .into(),
            ),
        ),
        ("tags", map(&[("Name", "web"), ("Team", "a")])),
    ];
    let (_, planned) = h.update("aws_security_group", &state, web_config).await;
    let group = described_group(&h, &web_id).await;
    let https = permission(group.ip_permissions(), "tcp", 443);
    assert_eq!(https.ip_ranges().len(), 1);
    assert_eq!(https.ip_ranges()[0].cidr_ip(), Some("10.0.0.0/8"));
    let ssh = permission(group.ip_permissions(), "tcp", 22);
    assert_eq!(
        ssh.user_id_group_pairs()[0].group_id(),
        Some(db_id.as_str())
    );
    assert_eq!(
        permission(group.ip_permissions_egress(), "udp", 53)
            .ip_ranges()
            .len(),
        1
    );
    assert_eq!(
        tag_map(group.tags()).get("Team").map(String::as_str),
        Some("a")
    );
    let web_state = h.read("aws_security_group", &web_id).await;
    assert_no_diff("aws_security_group", &planned, &web_state);

    // Batched read with a deleted group.
    let (spare_id, _) = h
        .create(
            "aws_security_group",
            "aws_security_group.spare",
            vec![("name", s("spare")), ("vpc_id", s(&vpc_id))],
        )
        .await;
    let spare_state = h.read("aws_security_group", &spare_id).await;
    assert_eq!(spare_state.get("name_prefix"), Some(&Value::Null));
    h.delete_twice("aws_security_group", &spare_state).await;
    let (found, actions) = h
        .batched_read("aws_security_group", &[&web_id, &db_id, &spare_id])
        .await;
    let mut expected = vec![web_id.clone(), db_id.clone()];
    expected.sort();
    assert_eq!(found, expected);
    assert_eq!(actions, vec!["DescribeSecurityGroups"]);

    // revoke_rules_on_delete (kept by the engine from the configuration,
    // never read) revokes the rules of db that point at web.
    let mut web_prior = web_state.clone();
    web_prior.insert("revoke_rules_on_delete".into(), Value::Bool(true));
    h.delete_twice("aws_security_group", &web_prior).await;
    let group = described_group(&h, &db_id).await;
    assert!(
        group
            .ip_permissions()
            .iter()
            .flat_map(|p| p.user_id_group_pairs())
            .all(|pair| pair.group_id() != Some(web_id.as_str())),
        "db still references web: {group:?}"
    );
    h.delete_twice("aws_security_group", &db_state).await;
    let gone = h
        .ec2
        .describe_security_groups()
        .filters(filter("group-id", &[&web_id, &db_id]))
        .send()
        .await
        .unwrap();
    assert!(gone.security_groups().is_empty());
}

async fn described_group(h: &Harness, id: &str) -> aws_sdk_ec2::types::SecurityGroup {
    let described = h
        .ec2
        .describe_security_groups()
        .group_ids(id)
        .send()
        .await
        .unwrap();
    described.security_groups()[0].clone()
}

/// The permission for a protocol and from-port; fails the test if absent.
fn permission<'a>(
    permissions: &'a [IpPermission],
    protocol: &str,
    from_port: i32,
) -> &'a IpPermission {
    permissions
        .iter()
        .find(|p| {
            p.ip_protocol() == Some(protocol)
                && (protocol == "-1" || p.from_port() == Some(from_port))
        })
        .unwrap_or_else(|| panic!("no {protocol} {from_port} permission in {permissions:?}"))
}
