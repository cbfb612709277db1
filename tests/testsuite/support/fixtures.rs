//! Setup shared by the provider tests: a provider context over the emulator,
//! resource types driven one call at a time as the engine drives them,
//! small builders for the values a configuration writes, and a network made
//! with plain EC2 calls.
//!
//! Nothing here asserts what a resource type did beyond the call succeeding;
//! the tests' own checks (and their independent Describe calls) do that.

use std::collections::BTreeMap;

use terrane::provider::aws::{AwsContext, AwsSettings};
use terrane::provider::{CreateRequest, ResourceType, resource_type};
use terrane::value::{Attrs, Value};

use super::Emulator;

/// The stack name the provider context runs under; written as the
/// `terrane:stack` tag.
pub const STACK: &str = "test";

/// A provider context over the emulator, with no provider default tags.
pub fn context(emulator: &Emulator) -> AwsContext {
    let settings = AwsSettings {
        stack: STACK.into(),
        ..Default::default()
    };
    AwsContext::from_sdk_config(settings, emulator.sdk_config())
}

pub fn ty(name: &str) -> &'static dyn ResourceType {
    resource_type(name).unwrap_or_else(|| panic!("{name} is not registered"))
}

/// Creates `planned` at `address` (whose first part names the type) with a
/// fresh client token, as for a new planned create.
pub async fn create(aws: &AwsContext, address: &str, planned: &Attrs) -> String {
    let token = uuid::Uuid::new_v4().to_string();
    create_with_token(aws, address, &token, planned).await
}

/// Creates `planned` at `address` with the given client token.
pub async fn create_with_token(
    aws: &AwsContext,
    address: &str,
    client_token: &str,
    planned: &Attrs,
) -> String {
    let type_name = address.split('.').next().unwrap_or_default();
    let request = CreateRequest {
        planned,
        address,
        client_token,
        started: std::time::SystemTime::now(),
    };
    ty(type_name)
        .create(aws, &request)
        .await
        .unwrap_or_else(|e| panic!("create {address}: {e}"))
}

/// Reads one object through `read_many`; it must exist.
pub async fn read(aws: &AwsContext, type_name: &str, id: &str) -> Attrs {
    let mut found = ty(type_name)
        .read_many(aws, &[id.to_string()])
        .await
        .unwrap_or_else(|e| panic!("read {type_name} {id}: {e}"));
    found
        .remove(id)
        .unwrap_or_else(|| panic!("{type_name} {id} was not found"))
}

/// Updates in place from `prior` to `planned`.
pub async fn update(aws: &AwsContext, type_name: &str, prior: &Attrs, planned: &Attrs) {
    ty(type_name)
        .update(aws, prior, planned)
        .await
        .unwrap_or_else(|e| panic!("update {type_name}: {e}"));
}

/// Deletes, then deletes again: the second must also succeed.
pub async fn delete_twice(aws: &AwsContext, type_name: &str, prior: &Attrs) {
    for attempt in ["first", "second"] {
        ty(type_name)
            .delete(aws, prior)
            .await
            .unwrap_or_else(|e| panic!("{attempt} delete of {type_name}: {e}"));
    }
}

/// A list (or set) of strings as written.
pub fn strings(items: &[&str]) -> Value {
    Value::from(items.to_vec())
}

/// A map of strings as written, e.g. `tags = { ... }`.
pub fn map(pairs: &[(&str, &str)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Value::string(*v)))
            .collect(),
    )
}

/// One nested block as written: `name { ... }`.
pub fn block(object: Attrs) -> Value {
    Value::List(vec![Value::Map(object.into())].into())
}

/// AWS holds terrane's own tags for the object created at `address`.
pub fn assert_system_tags(tags: &BTreeMap<String, String>, address: &str) {
    assert_eq!(
        tags.get("terrane:stack").map(String::as_str),
        Some(STACK),
        "{tags:?}"
    );
    assert_eq!(
        tags.get("terrane:address").map(String::as_str),
        Some(address),
        "{tags:?}"
    );
}

/// A VPC with subnets and security groups, made with the EC2 SDK directly so
/// tests of other types don't depend on terrane's network types.
pub struct Network {
    pub vpc: String,
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
}

/// A VPC `10.20.0.0/16` with one `/24` subnet per zone (`us-east-1a`, …)
/// and one security group per name.
pub async fn network(emulator: &Emulator, zones: &[&str], security_groups: &[&str]) -> Network {
    let ec2 = emulator.ec2();
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.20.0.0/16")
        .send()
        .await
        .expect("create VPC")
        .vpc
        .and_then(|v| v.vpc_id)
        .expect("VPC id");
    let mut subnets = Vec::new();
    for (i, zone) in zones.iter().enumerate() {
        let subnet = ec2
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block(format!("10.20.{i}.0/24"))
            .availability_zone(*zone)
            .send()
            .await
            .expect("create subnet");
        subnets.push(subnet.subnet.and_then(|s| s.subnet_id).expect("subnet id"));
    }
    let mut group_ids = Vec::new();
    for name in security_groups {
        let group = ec2
            .create_security_group()
            .group_name(*name)
            .description(*name)
            .vpc_id(&vpc)
            .send()
            .await
            .expect("create security group");
        group_ids.push(group.group_id.expect("group id"));
    }
    Network {
        vpc,
        subnets,
        security_groups: group_ids,
    }
}
