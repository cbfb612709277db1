//! `aws_route_table`: a VPC route table and its inline `route` blocks.
//!
//! Holds only the schema and the EC2 calls. The implicit `local` route and
//! routes propagated from a virtual private gateway belong to AWS and are
//! never read or written; subnet associations are
//! `aws_route_table_association`'s business.

use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{ResourceType as Ec2ResourceType, Route, RouteOrigin, RouteTable};

use super::{describe_paginated, ec2_arn, wait_for_object};
use crate::provider::aws::convert::{keyed_by_id, prior_id, required_str};
use crate::provider::aws::{
    AwsContext, ec2_find_tagged, ec2_tag_specification, ec2_tags_to_value, ec2_update_tags,
    id_from_answer, ok_if_already_gone, sdk_error,
};
use crate::provider::schema::{Attribute, Block, Schema, Type};
use crate::provider::{CreateRequest, ErrorKind, Found, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value, attrs};

pub struct RouteTableType;

const CREATE_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// A route's destination attributes; exactly one is set.
const DESTINATIONS: [&str; 2] = ["cidr_block", "ipv6_cidr_block"];

/// A route's target attributes; exactly one is set.
const TARGETS: [&str; 6] = [
    "gateway_id",
    "nat_gateway_id",
    "network_interface_id",
    "vpc_peering_connection_id",
    "transit_gateway_id",
    "egress_only_gateway_id",
];

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let route = Schema::new(
        DESTINATIONS
            .iter()
            .chain(TARGETS.iter())
            .map(|name| Attribute::optional(name, Type::String))
            .collect(),
        vec![],
    );
    let attributes = vec![
        Attribute::required("vpc_id", Type::String).force_new(),
        Attribute::computed("id", Type::String),
        Attribute::computed("arn", Type::String),
        Attribute::computed("owner_id", Type::String),
    ];
    Schema::with_tags(
        attributes,
        vec![
            Block::set("route", route)
                .computed_when_absent()
                .with_attribute_syntax(),
        ],
    )
});

#[async_trait]
impl ResourceType for RouteTableType {
    fn type_name(&self) -> &'static str {
        "aws_route_table"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let tables = describe_route_tables(aws, ids).await?;
        Ok(keyed_by_id(
            &tables,
            RouteTable::route_table_id,
            |table, id| {
                let owner_id = table.owner_id().unwrap_or_default();
                let routes: Vec<Value> = table.routes().iter().filter_map(route_value).collect();
                attrs([
                    ("id", Value::string(id)),
                    (
                        "arn",
                        Value::string(ec2_arn(aws, owner_id, &format!("route-table/{id}"))),
                    ),
                    ("vpc_id", Value::from(table.vpc_id())),
                    ("owner_id", Value::string(owner_id)),
                    ("route", Value::List(routes).into_set()),
                    ("tags_all", ec2_tags_to_value(table.tags())),
                ])
            },
        ))
    }

    async fn find_created(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<Found, ProviderError> {
        ec2_find_tagged(aws, req).await
    }

    async fn create(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<String, ProviderError> {
        let created = aws
            .ec2()
            .create_route_table()
            .vpc_id(required_str(req.planned, "vpc_id")?)
            .client_token(req.client_token)
            .tag_specifications(ec2_tag_specification(aws, req, Ec2ResourceType::RouteTable))
            .send()
            .await
            .map_err(sdk_error)?;
        let id = id_from_answer(
            created.route_table().and_then(RouteTable::route_table_id),
            "CreateRouteTable returned no id",
        )?;
        // A new route table may take a moment to be visible to CreateRoute.
        wait_for_object(
            &format!("route table {id} to exist"),
            CREATE_TIMEOUT,
            || describe_route_tables(aws, std::slice::from_ref(&id)),
            |_| true,
        )
        .await?;
        for route in req.planned.blocks("route") {
            create_route(aws, &id, route).await?;
        }
        Ok(id)
    }

    async fn update(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        let id = prior_id(prior)?;
        let old = routes_by_destination(prior)?;
        let new = routes_by_destination(planned)?;
        // Removed routes go first, so a destination moved from one target to
        // another never exists twice.
        for (destination, route) in &old {
            if !new.contains_key(destination) {
                delete_route(aws, id, route).await?;
            }
        }
        for (destination, route) in &new {
            match old.get(destination) {
                None => create_route(aws, id, route).await?,
                Some(old_route) if targets_differ(old_route, route) => {
                    replace_route(aws, id, route).await?
                }
                Some(_) => {}
            }
        }
        ec2_update_tags(aws, id, prior, planned).await
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let id = prior_id(prior)?;
        // As Terraform does: a table still associated with subnets can't be
        // deleted, so drop those associations first. The main association
        // can't be removed and means the table is the VPC's main one.
        let tables = describe_route_tables(aws, &[id.to_string()]).await?;
        let Some(table) = tables.first() else {
            return Ok(());
        };
        for association in table.associations() {
            if association.main() == Some(true) {
                continue;
            }
            if let Some(association_id) = association.route_table_association_id() {
                ok_if_already_gone(
                    aws.ec2()
                        .disassociate_route_table()
                        .association_id(association_id)
                        .send()
                        .await,
                )?;
            }
        }
        ok_if_already_gone(
            aws.ec2()
                .delete_route_table()
                .route_table_id(id)
                .send()
                .await,
        )
    }
}

async fn describe_route_tables(
    aws: &AwsContext,
    ids: &[String],
) -> Result<Vec<RouteTable>, ProviderError> {
    describe_paginated!(ids, "route-table-id", aws.ec2().describe_route_tables()).await
}

/// One AWS route as a `route` block, or `None` for routes this type does not
/// manage: the VPC's `local` routes, routes propagated from a virtual private
/// gateway, and destinations this schema can't express (prefix lists).
fn route_value(route: &Route) -> Option<Value> {
    if route.gateway_id() == Some("local")
        || route.origin() == Some(&RouteOrigin::EnableVgwRoutePropagation)
    {
        return None;
    }
    if route.destination_cidr_block().is_none() && route.destination_ipv6_cidr_block().is_none() {
        return None;
    }
    Some(Value::Map(attrs([
        ("cidr_block", Value::from(route.destination_cidr_block())),
        (
            "ipv6_cidr_block",
            Value::from(route.destination_ipv6_cidr_block()),
        ),
        ("gateway_id", Value::from(route.gateway_id())),
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
    ])))
}

/// A route's identity within its table: its destination.
fn destination(route: &Attrs) -> Result<String, ProviderError> {
    DESTINATIONS
        .iter()
        .find_map(|name| route.str(name).map(|d| format!("{name}={d}")))
        .ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Validation,
                "each route needs a destination: cidr_block or ipv6_cidr_block",
            )
        })
}

fn routes_by_destination(attrs: &Attrs) -> Result<BTreeMap<String, &Attrs>, ProviderError> {
    attrs
        .blocks("route")
        .into_iter()
        .map(|route| Ok((destination(route)?, route)))
        .collect()
}

fn targets_differ(a: &Attrs, b: &Attrs) -> bool {
    TARGETS.iter().any(|name| a.str(name) != b.str(name))
}

/// Sets a route's destination and target on a CreateRoute, ReplaceRoute or
/// DeleteRoute request; the three builders share these setter names.
macro_rules! with_destination {
    ($request:expr, $route:expr) => {
        $request
            .set_destination_cidr_block($route.str("cidr_block").map(str::to_string))
            .set_destination_ipv6_cidr_block($route.str("ipv6_cidr_block").map(str::to_string))
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
    };
}

async fn create_route(
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

async fn replace_route(
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

async fn delete_route(
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
    fn local_and_propagated_routes_are_not_read() {
        let local = Route::builder()
            .destination_cidr_block("10.0.0.0/16")
            .gateway_id("local")
            .build();
        let propagated = Route::builder()
            .destination_cidr_block("192.168.0.0/16")
            .gateway_id("vgw-1")
            .origin(RouteOrigin::EnableVgwRoutePropagation)
            .build();
        assert_eq!(route_value(&local), None);
        assert_eq!(route_value(&propagated), None);
    }

    #[test]
    fn a_read_route_names_every_attribute_with_null_for_absent_ones() {
        let aws_route = Route::builder()
            .destination_cidr_block("0.0.0.0/0")
            .nat_gateway_id("nat-1")
            .origin(RouteOrigin::CreateRoute)
            .build();
        let value = route_value(&aws_route).unwrap();
        let map = value.as_map().unwrap();
        assert_eq!(map.len(), DESTINATIONS.len() + TARGETS.len());
        assert_eq!(map.str("nat_gateway_id"), Some("nat-1"));
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
