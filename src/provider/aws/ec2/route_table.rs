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
use aws_sdk_ec2::types::{ResourceType as Ec2ResourceType, RouteTable};

use super::routes::{
    create_route, delete_route, describe_route_tables, destination, replace_route,
    route_block_schema, route_value, targets_differ,
};
use super::{ec2_arn, wait_for_object};
use crate::provider::aws::convert::{keyed_by_id, prior_id, required_str};
use crate::provider::aws::{
    AwsContext, Timeouts, ec2_find_tagged, ec2_tag_specification, ec2_tags_to_value,
    ec2_update_tags, id_from_answer, ok_if_already_gone, sdk_error,
};
use crate::provider::schema::{Attribute, Block, Schema, Type};
use crate::provider::{CreateRequest, Found, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value, attrs};

pub struct RouteTableType;

/// Terraform's defaults for a route table.
const DEFAULT_TIMEOUTS: Timeouts = Timeouts::all(Duration::from_secs(5 * 60));

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let route = route_block_schema();
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
            Timeouts::block(&["create", "update", "delete"]),
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
                let routes: Vec<Value> = table
                    .routes()
                    .iter()
                    .filter_map(route_value)
                    .map(Value::object)
                    .collect();
                attrs([
                    ("id", Value::string(id)),
                    (
                        "arn",
                        Value::string(ec2_arn(aws, owner_id, &format!("route-table/{id}"))),
                    ),
                    ("vpc_id", Value::from(table.vpc_id())),
                    ("owner_id", Value::string(owner_id)),
                    ("route", Value::List(routes.into()).into_set()),
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
        // Without routes, nothing names it before the engine's read-back,
        // which itself waits out a table not listed yet.
        let routes = req.planned.blocks("route");
        if !routes.is_empty() {
            wait_for_object(
                &format!("route table {id} to exist"),
                Timeouts::from_attrs(req.planned, DEFAULT_TIMEOUTS).create,
                || describe_route_tables(aws, std::slice::from_ref(&id)),
                |_| true,
            )
            .await?;
        }
        for route in routes {
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

fn routes_by_destination(attrs: &Attrs) -> Result<BTreeMap<String, &Attrs>, ProviderError> {
    attrs
        .blocks("route")
        .into_iter()
        .map(|route| Ok((destination(route)?, route)))
        .collect()
}
