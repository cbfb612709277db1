//! Routes as terrane reads and writes them, shared by `aws_route_table`'s
//! inline `route` blocks and the standalone `aws_route`: the route block's
//! shape, AWS's routes read into it, and the CreateRoute, ReplaceRoute and
//! DeleteRoute calls.
//!
//! A route is identified in its table by its destination. Routes this code
//! never reads or writes belong to AWS or to another type: the VPC's
//! `local` routes, routes propagated from a virtual private gateway, and
//! the prefix-list routes a gateway VPC endpoint adds (`aws_vpc_endpoint`'s).

use aws_sdk_ec2::types::{Route, RouteOrigin, RouteTable};

use super::describe_paginated;

use crate::provider::aws::{AwsContext, ok_if_already_gone, sdk_error};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{ErrorKind, ProviderError};
use crate::value::{Attrs, AttrsExt, Value, attrs};

/// A route block's destination attributes, as the block names them and as
/// `aws_route` does; exactly one is set.
pub(super) const DESTINATIONS: [(&str, &str); 3] = [
    ("cidr_block", "destination_cidr_block"),
    ("ipv6_cidr_block", "destination_ipv6_cidr_block"),
    ("destination_prefix_list_id", "destination_prefix_list_id"),
];

/// A route's target attributes (the same names in both types); exactly one
/// is set.
pub(super) const TARGETS: [&str; 10] = [
    "gateway_id",
    "nat_gateway_id",
    "network_interface_id",
    "vpc_peering_connection_id",
    "transit_gateway_id",
    "egress_only_gateway_id",
    "carrier_gateway_id",
    "core_network_arn",
    "local_gateway_id",
    "vpc_endpoint_id",
];

/// The `route` block's schema: every destination and target, optional.
pub(super) fn route_block_schema() -> Schema {
    Schema::new(
        DESTINATIONS
            .iter()
            .map(|(block_key, _)| *block_key)
            .chain(TARGETS.iter().copied())
            .map(|name| Attribute::optional(name, Type::String))
            .collect(),
        vec![],
    )
}

/// One AWS route in the route block's shape, or `None` for routes no type
/// manages here (see the module docs) and destinations of no known kind.
pub(super) fn route_value(route: &Route) -> Option<Attrs> {
    let gateway = route.gateway_id();
    let endpoint_gateway = gateway.is_some_and(|g| g.starts_with("vpce-"));
    if gateway == Some("local")
        || route.origin() == Some(&RouteOrigin::EnableVgwRoutePropagation)
        || (route.destination_prefix_list_id().is_some() && endpoint_gateway)
    {
        return None;
    }
    if route.destination_cidr_block().is_none()
        && route.destination_ipv6_cidr_block().is_none()
        && route.destination_prefix_list_id().is_none()
    {
        return None;
    }
    // AWS reports a (Gateway Load Balancer) endpoint target as a gateway.
    let (gateway, endpoint) = if endpoint_gateway {
        (None, gateway)
    } else {
        (gateway, None)
    };
    Some(attrs([
        ("cidr_block", Value::from(route.destination_cidr_block())),
        (
            "ipv6_cidr_block",
            Value::from(route.destination_ipv6_cidr_block()),
        ),
        (
            "destination_prefix_list_id",
            Value::from(route.destination_prefix_list_id()),
        ),
        ("gateway_id", Value::from(gateway)),
        ("nat_gateway_id", Value::from(route.nat_gateway_id())),
        (
            "network_interface_id",
            Value::from(route.network_interface_id()),
        ),
        (
            "vpc_peering_connection_id",
            Value::from(route.vpc_peering_connection_id()),
        ),
        (
            "transit_gateway_id",
            Value::from(route.transit_gateway_id()),
        ),
        (
            "egress_only_gateway_id",
            Value::from(route.egress_only_internet_gateway_id()),
        ),
        (
            "carrier_gateway_id",
            Value::from(route.carrier_gateway_id()),
        ),
        ("core_network_arn", Value::from(route.core_network_arn())),
        ("local_gateway_id", Value::from(route.local_gateway_id())),
        ("vpc_endpoint_id", Value::from(endpoint)),
    ]))
}

/// The route tables with these ids, in one batched Describe.
pub(super) async fn describe_route_tables(
    aws: &AwsContext,
    ids: &[String],
) -> Result<Vec<RouteTable>, ProviderError> {
    describe_paginated!(ids, "route-table-id", aws.ec2().describe_route_tables()).await
}

/// A route block's identity within its table: its destination, as
/// `key=value`.
pub(super) fn destination(route: &Attrs) -> Result<String, ProviderError> {
    DESTINATIONS
        .iter()
        .find_map(|(name, _)| route.str(name).map(|d| format!("{name}={d}")))
        .ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Validation,
                "each route needs a destination: cidr_block, ipv6_cidr_block or destination_prefix_list_id",
            )
        })
}

pub(super) fn targets_differ(a: &Attrs, b: &Attrs) -> bool {
    TARGETS.iter().any(|name| a.str(name) != b.str(name))
}

/// Sets a route's destination and target on a CreateRoute, ReplaceRoute or
/// DeleteRoute request; the three builders share these setter names.
macro_rules! with_destination {
    ($request:expr, $route:expr) => {
        $request
            .set_destination_cidr_block($route.str("cidr_block").map(str::to_string))
            .set_destination_ipv6_cidr_block($route.str("ipv6_cidr_block").map(str::to_string))
            .set_destination_prefix_list_id(
                $route.str("destination_prefix_list_id").map(str::to_string),
            )
    };
}

macro_rules! with_target {
    ($request:expr, $route:expr) => {
        $request
            .set_gateway_id($route.str("gateway_id").map(str::to_string))
            .set_nat_gateway_id($route.str("nat_gateway_id").map(str::to_string))
            .set_network_interface_id($route.str("network_interface_id").map(str::to_string))
            .set_vpc_peering_connection_id(
                $route.str("vpc_peering_connection_id").map(str::to_string),
            )
            .set_transit_gateway_id($route.str("transit_gateway_id").map(str::to_string))
            .set_egress_only_internet_gateway_id(
                $route.str("egress_only_gateway_id").map(str::to_string),
            )
            .set_carrier_gateway_id($route.str("carrier_gateway_id").map(str::to_string))
            .set_core_network_arn($route.str("core_network_arn").map(str::to_string))
            .set_local_gateway_id($route.str("local_gateway_id").map(str::to_string))
            .set_vpc_endpoint_id($route.str("vpc_endpoint_id").map(str::to_string))
    };
}

pub(super) async fn create_route(
    aws: &AwsContext,
    table_id: &str,
    route: &Attrs,
) -> Result<(), ProviderError> {
    destination(route)?;
    let request = aws.ec2().create_route().route_table_id(table_id);
    with_target!(with_destination!(request, route), route)
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(())
}

pub(super) async fn replace_route(
    aws: &AwsContext,
    table_id: &str,
    route: &Attrs,
) -> Result<(), ProviderError> {
    let request = aws.ec2().replace_route().route_table_id(table_id);
    with_target!(with_destination!(request, route), route)
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(())
}

pub(super) async fn delete_route(
    aws: &AwsContext,
    table_id: &str,
    route: &Attrs,
) -> Result<(), ProviderError> {
    let request = aws.ec2().delete_route().route_table_id(table_id);
    ok_if_already_gone(with_destination!(request, route).send().await)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(pairs: &[(&str, &str)]) -> Attrs {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Value::string(*v)))
            .collect()
    }

    #[test]
    fn routes_of_aws_and_of_endpoints_are_not_read() {
        let local = Route::builder()
            .destination_cidr_block("10.0.0.0/16")
            .gateway_id("local")
            .build();
        let propagated = Route::builder()
            .destination_cidr_block("192.168.0.0/16")
            .gateway_id("vgw-1")
            .origin(RouteOrigin::EnableVgwRoutePropagation)
            .build();
        let gateway_endpoint = Route::builder()
            .destination_prefix_list_id("pl-63a5400a")
            .gateway_id("vpce-1")
            .build();
        assert_eq!(route_value(&local), None);
        assert_eq!(route_value(&propagated), None);
        assert_eq!(route_value(&gateway_endpoint), None);
    }

    #[test]
    fn a_read_route_names_every_attribute_with_null_for_absent_ones() {
        let aws_route = Route::builder()
            .destination_cidr_block("0.0.0.0/0")
            .nat_gateway_id("nat-1")
            .origin(RouteOrigin::CreateRoute)
            .build();
        let map = route_value(&aws_route).unwrap();
        assert_eq!(map.len(), DESTINATIONS.len() + TARGETS.len());
        assert_eq!(map.str("nat_gateway_id"), Some("nat-1"));
        assert_eq!(map.get("gateway_id"), Some(&Value::Null));
        // A load balancer endpoint is reported as a gateway.
        let through_endpoint = Route::builder()
            .destination_cidr_block("0.0.0.0/0")
            .gateway_id("vpce-2")
            .build();
        let map = route_value(&through_endpoint).unwrap();
        assert_eq!(map.str("vpc_endpoint_id"), Some("vpce-2"));
        assert_eq!(map.get("gateway_id"), Some(&Value::Null));
    }

    #[test]
    fn routes_are_identified_by_destination() {
        let a = route(&[("cidr_block", "0.0.0.0/0"), ("gateway_id", "igw-1")]);
        let b = route(&[("cidr_block", "0.0.0.0/0"), ("nat_gateway_id", "nat-1")]);
        assert_eq!(destination(&a).unwrap(), destination(&b).unwrap());
        assert!(targets_differ(&a, &b));
        let no_destination = route(&[("gateway_id", "igw-1")]);
        assert_eq!(
            destination(&no_destination).unwrap_err().kind,
            ErrorKind::Validation
        );
    }
}
