//! `aws_route`: one route in a route table that does not list its routes
//! inline.
//!
//! The id is Terraform's import id, `<route table>_<destination>`; the
//! provider's stored id (`r-<table><hash>`) cannot be read back, so a
//! migrated route gets its id from its attributes. The target changes in
//! place (ReplaceRoute); the table and the destination make a new route.
//! The route's shape and calls are shared with `aws_route_table`'s inline
//! blocks (`routes.rs`); this file renames the destination arguments
//! between the two (`destination_cidr_block` here, `cidr_block` there).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;

use super::routes::{
    DESTINATIONS, TARGETS, create_route, delete_route, describe_route_tables, replace_route,
    route_value, targets_differ,
};
use crate::provider::aws::convert::{prior_id, required_str};
use crate::provider::aws::wait::Timeouts;
use crate::provider::aws::{AwsContext, wait_until};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{CreateRequest, ErrorKind, Found, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value};

pub struct RouteType;

/// Terraform's defaults for a route.
const DEFAULT_TIMEOUTS: Timeouts = Timeouts {
    create: Duration::from_secs(5 * 60),
    update: Duration::from_secs(2 * 60),
    delete: Duration::from_secs(5 * 60),
};

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let mut attributes = vec![Attribute::required("route_table_id", Type::String).force_new()];
    attributes.extend(
        DESTINATIONS
            .iter()
            .map(|(_, name)| Attribute::optional(name, Type::String).force_new()),
    );
    // All plain optional, so that moving a route to another kind of target
    // leaves no old target behind in the plan.
    attributes.extend(
        TARGETS
            .iter()
            .map(|name| Attribute::optional(name, Type::String)),
    );
    attributes.extend([
        Attribute::computed("instance_id", Type::String),
        Attribute::computed("instance_owner_id", Type::String),
        Attribute::computed("origin", Type::String),
        Attribute::computed("state", Type::String),
        Attribute::computed("id", Type::String),
    ]);
    Schema::new(
        attributes,
        vec![Timeouts::block(&["create", "update", "delete"])],
    )
});

/// A route as its id names it.
struct RouteId<'a> {
    table_id: &'a str,
    /// The destination as the route block names it (`cidr_block`, ...).
    block_key: &'static str,
    destination: &'a str,
}

impl<'a> RouteId<'a> {
    fn parse(id: &'a str) -> Result<RouteId<'a>, ProviderError> {
        let (table_id, destination) = id
            .split_once('_')
            .filter(|(t, d)| !t.is_empty() && !d.is_empty())
            .ok_or_else(|| {
                ProviderError::new(
                    ErrorKind::Validation,
                    format!(
                        "malformed route id {id:?}: expected <route table>_<destination>, \
                         e.g. rtb-1234_0.0.0.0/0"
                    ),
                )
            })?;
        let block_key = if destination.starts_with("pl-") {
            "destination_prefix_list_id"
        } else if destination.contains(':') {
            "ipv6_cidr_block"
        } else {
            "cidr_block"
        };
        Ok(RouteId {
            table_id,
            block_key,
            destination,
        })
    }

    /// The id of the route these arguments describe.
    fn of(args: &Attrs) -> Result<String, ProviderError> {
        let table_id = required_str(args, "route_table_id")?;
        let given: Vec<&str> = DESTINATIONS
            .iter()
            .filter_map(|(_, name)| args.str(name))
            .collect();
        match given.as_slice() {
            [destination] => Ok(format!("{table_id}_{destination}")),
            _ => Err(ProviderError::new(
                ErrorKind::Validation,
                "exactly one of destination_cidr_block, destination_ipv6_cidr_block and destination_prefix_list_id must be set",
            )),
        }
    }
}

/// The arguments in the route block's shape the shared calls take.
fn as_route_block(args: &Attrs) -> Attrs {
    let mut block: Attrs = TARGETS
        .iter()
        .filter_map(|name| Some((name.to_string(), args.get(*name)?.clone())))
        .collect();
    for (block_key, key) in DESTINATIONS {
        if let Some(value) = args.get(key) {
            block.insert(block_key.to_string(), value.clone());
        }
    }
    block
}

/// Exactly one target, as AWS requires; caught before any call.
fn check_target(planned: &Attrs) -> Result<(), ProviderError> {
    let given = TARGETS.iter().filter(|t| planned.str(t).is_some()).count();
    if given == 1 {
        Ok(())
    } else {
        Err(ProviderError::new(
            ErrorKind::Validation,
            format!(
                "exactly one target must be set: one of {}",
                TARGETS.join(", ")
            ),
        ))
    }
}

/// Reads the routes with these ids: one Describe of their tables.
async fn read_routes(
    aws: &AwsContext,
    ids: &[String],
) -> Result<BTreeMap<String, Attrs>, ProviderError> {
    let routes: Vec<(&String, RouteId)> = ids
        .iter()
        .map(|id| RouteId::parse(id).map(|route| (id, route)))
        .collect::<Result<_, _>>()?;
    let table_ids: BTreeSet<String> = routes.iter().map(|(_, r)| r.table_id.to_string()).collect();
    let tables = describe_route_tables(aws, &table_ids.into_iter().collect::<Vec<_>>()).await?;
    let mut out = BTreeMap::new();
    for (id, wanted) in routes {
        let Some(table) = tables
            .iter()
            .find(|t| t.route_table_id() == Some(wanted.table_id))
        else {
            continue;
        };
        let found = table.routes().iter().find_map(|route| {
            let block = route_value(route)?;
            (block.str(wanted.block_key) == Some(wanted.destination)).then_some((route, block))
        });
        let Some((route, block)) = found else {
            continue;
        };
        let mut attrs: Attrs = TARGETS
            .iter()
            .map(|name| {
                (
                    name.to_string(),
                    block.get(*name).cloned().unwrap_or_default(),
                )
            })
            .collect();
        for (block_key, key) in DESTINATIONS {
            attrs.insert(
                key.into(),
                block.get(block_key).cloned().unwrap_or_default(),
            );
        }
        attrs.extend([
            ("id".into(), Value::string(id)),
            ("route_table_id".into(), Value::string(wanted.table_id)),
            ("instance_id".into(), Value::from(route.instance_id())),
            (
                "instance_owner_id".into(),
                Value::from(route.instance_owner_id()),
            ),
            (
                "origin".into(),
                Value::from(route.origin().map(|o| o.as_str())),
            ),
            (
                "state".into(),
                Value::from(route.state().map(|s| s.as_str())),
            ),
        ]);
        out.insert(id.clone(), attrs);
    }
    Ok(out)
}

/// Waits until the route reads back with the planned target (or, with no
/// `planned`, until it is gone): routes are eventually consistent.
async fn wait_for(
    aws: &AwsContext,
    id: &str,
    planned: Option<&Attrs>,
    timeout: Duration,
) -> Result<(), ProviderError> {
    let what = match planned {
        Some(_) => format!("route {id} to be in its table"),
        None => format!("route {id} to be gone"),
    };
    wait_until(&what, timeout, || async {
        let read = read_routes(aws, &[id.to_string()]).await?;
        let done = match (planned, read.get(id)) {
            (Some(planned), Some(route)) => !targets_differ(route, planned),
            (None, None) => true,
            _ => false,
        };
        Ok(done.then_some(()))
    })
    .await
}

#[async_trait]
impl ResourceType for RouteType {
    fn type_name(&self) -> &'static str {
        "aws_route"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        read_routes(aws, ids).await
    }

    /// Routes carry no tags: the destination in the table is the route; it
    /// is this create's when its target is the planned one, and someone
    /// else's otherwise.
    async fn find_created(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<Found, ProviderError> {
        let id = RouteId::of(req.planned)?;
        let read = read_routes(aws, std::slice::from_ref(&id)).await?;
        Ok(match read.get(&id) {
            None => Found::Nothing,
            Some(route) if !targets_differ(route, req.planned) => Found::Ours(id),
            Some(_) => Found::Foreign(id),
        })
    }

    async fn create(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<String, ProviderError> {
        let planned = req.planned;
        let id = RouteId::of(planned)?;
        check_target(planned)?;
        let route = RouteId::parse(&id)?;
        create_route(aws, route.table_id, &as_route_block(planned)).await?;
        let timeouts = Timeouts::from_attrs(planned, DEFAULT_TIMEOUTS);
        wait_for(aws, &id, Some(planned), timeouts.create).await?;
        Ok(id)
    }

    /// Only the target changes in place.
    async fn update(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        if !targets_differ(prior, planned) {
            return Ok(());
        }
        check_target(planned)?;
        let id = prior_id(prior)?;
        let route = RouteId::parse(id)?;
        replace_route(aws, route.table_id, &as_route_block(planned)).await?;
        let timeouts = Timeouts::from_attrs(planned, DEFAULT_TIMEOUTS);
        wait_for(aws, id, Some(planned), timeouts.update).await
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let id = prior_id(prior)?;
        let route = RouteId::parse(id)?;
        delete_route(aws, route.table_id, &as_route_block(prior)).await?;
        let timeouts = Timeouts::from_attrs(prior, DEFAULT_TIMEOUTS);
        wait_for(aws, id, None, timeouts.delete).await
    }

    fn id_from_terraform(&self, terraform_id: &str, attributes: &Attrs) -> String {
        RouteId::of(attributes).unwrap_or_else(|_| terraform_id.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::attrs;

    #[test]
    fn ids_name_the_table_and_the_destination_of_any_kind() {
        for (id, key, destination) in [
            ("rtb-1_0.0.0.0/0", "cidr_block", "0.0.0.0/0"),
            ("rtb-1_::/0", "ipv6_cidr_block", "::/0"),
            (
                "rtb-1_pl-63a5400a",
                "destination_prefix_list_id",
                "pl-63a5400a",
            ),
        ] {
            let route = RouteId::parse(id).unwrap();
            assert_eq!(
                (route.table_id, route.block_key, route.destination),
                ("rtb-1", key, destination)
            );
        }
        assert!(RouteId::parse("rtb-1").is_err());
        let args = attrs([
            ("route_table_id", Value::string("rtb-1")),
            ("destination_ipv6_cidr_block", Value::string("::/0")),
            ("egress_only_gateway_id", Value::string("eigw-1")),
        ]);
        assert_eq!(RouteId::of(&args).unwrap(), "rtb-1_::/0");
        let block = as_route_block(&args);
        assert_eq!(block.str("ipv6_cidr_block"), Some("::/0"));
        assert_eq!(block.str("egress_only_gateway_id"), Some("eigw-1"));
        assert!(check_target(&args).is_ok());
        assert!(check_target(&attrs([("route_table_id", Value::string("rtb-1"))])).is_err());
    }
}
