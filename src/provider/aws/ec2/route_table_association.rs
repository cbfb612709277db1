//! `aws_route_table_association`: ties a subnet (or an edge gateway) to a
//! route table. Its id is the association id (`rtbassoc-…`).
//!
//! Holds only the schema and the EC2 calls. Moving the association to
//! another table is done in place with ReplaceRouteTableAssociation, which
//! gives the association a new id; that is why this type overrides
//! `update_returning_id`. Not taggable: AWS associations carry no tags.

use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{RouteTableAssociation, RouteTableAssociationStateCode};

use super::describe_paginated;
use crate::provider::aws::convert::{keyed_by_id, prior_id, required_str};
use crate::provider::aws::{
    AwsContext, Timeouts, id_from_answer, ok_if_already_gone, sdk_error, wait_until,
};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{CreateRequest, ErrorKind, Found, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value, attrs};

pub struct RouteTableAssociationType;

/// Terraform's defaults for an association.
const DEFAULT_TIMEOUTS: Timeouts = Timeouts::all(Duration::from_secs(5 * 60));

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        vec![
            Attribute::optional("subnet_id", Type::String).force_new(),
            Attribute::optional("gateway_id", Type::String).force_new(),
            Attribute::required("route_table_id", Type::String),
            Attribute::computed("id", Type::String),
        ],
        vec![Timeouts::block(&["create", "update", "delete"])],
    )
});

#[async_trait]
impl ResourceType for RouteTableAssociationType {
    fn type_name(&self) -> &'static str {
        "aws_route_table_association"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let associations = describe_associations(aws, ids).await?;
        let current = associations.iter().filter(|a| !is_ended(a));
        Ok(keyed_by_id(
            current,
            RouteTableAssociation::route_table_association_id,
            |association, id| {
                attrs([
                    ("id", Value::string(id)),
                    ("route_table_id", Value::from(association.route_table_id())),
                    ("subnet_id", Value::from(association.subnet_id())),
                    ("gateway_id", Value::from(association.gateway_id())),
                ])
            },
        ))
    }

    /// An association has no tags: what a create of this request made is
    /// the subnet's (or gateway's) current association with the same table.
    async fn find_created(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<Found, ProviderError> {
        let planned = req.planned;
        let (filter_name, target) = match (planned.str("subnet_id"), planned.str("gateway_id")) {
            (Some(subnet), _) => ("association.subnet-id", subnet),
            (None, Some(gateway)) => ("association.gateway-id", gateway),
            (None, None) => return Ok(Found::Nothing),
        };
        let tables = describe_paginated!(
            &[target.to_string()],
            filter_name,
            aws.ec2().describe_route_tables()
        )
        .await?;
        let route_table_id = planned.str("route_table_id");
        Ok(tables
            .iter()
            .flat_map(|t| t.associations())
            .filter(|a| !is_ended(a) && a.route_table_id() == route_table_id)
            .find(|a| a.subnet_id() == Some(target) || a.gateway_id() == Some(target))
            .and_then(|a| a.route_table_association_id())
            .map_or(Found::Nothing, |id| Found::Ours(id.to_string())))
    }

    async fn create(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<String, ProviderError> {
        let planned = req.planned;
        let subnet_id = planned.str("subnet_id");
        let gateway_id = planned.str("gateway_id");
        if subnet_id.is_some() == gateway_id.is_some() {
            return Err(ProviderError::new(
                ErrorKind::Validation,
                "exactly one of subnet_id and gateway_id must be set",
            ));
        }
        let associated = aws
            .ec2()
            .associate_route_table()
            .route_table_id(required_str(planned, "route_table_id")?)
            .set_subnet_id(subnet_id.map(str::to_string))
            .set_gateway_id(gateway_id.map(str::to_string))
            .send()
            .await
            .map_err(sdk_error)?;
        let id = id_from_answer(
            associated.association_id(),
            "AssociateRouteTable returned no association id",
        )?;
        let timeouts = Timeouts::from_attrs(planned, DEFAULT_TIMEOUTS);
        wait_associated(aws, &id, timeouts.create).await?;
        Ok(id)
    }

    async fn update(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        self.update_returning_id(aws, prior, planned)
            .await
            .map(drop)
    }

    async fn update_returning_id(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<String, ProviderError> {
        let id = prior_id(prior)?;
        let route_table_id = required_str(planned, "route_table_id")?;
        if prior.str("route_table_id") == Some(route_table_id) {
            return Ok(id.to_string());
        }
        let replaced = aws
            .ec2()
            .replace_route_table_association()
            .association_id(id)
            .route_table_id(route_table_id)
            .send()
            .await
            .map_err(sdk_error)?;
        let new_id = id_from_answer(
            replaced.new_association_id(),
            "ReplaceRouteTableAssociation returned no association id",
        )?;
        let timeouts = Timeouts::from_attrs(planned, DEFAULT_TIMEOUTS);
        wait_associated(aws, &new_id, timeouts.update).await?;
        Ok(new_id)
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let id = prior_id(prior)?;
        ok_if_already_gone(
            aws.ec2()
                .disassociate_route_table()
                .association_id(id)
                .send()
                .await,
        )?;
        wait_until(
            &format!("route table association {id} to end"),
            Timeouts::from_attrs(prior, DEFAULT_TIMEOUTS).delete,
            || async {
                let associations = describe_associations(aws, &[id.to_string()]).await?;
                Ok(associations.iter().all(is_ended).then_some(()))
            },
        )
        .await
    }
}

/// The associations with the given ids, found through their route tables in
/// one call (associations have no Describe call of their own).
async fn describe_associations(
    aws: &AwsContext,
    ids: &[String],
) -> Result<Vec<RouteTableAssociation>, ProviderError> {
    let tables = describe_paginated!(
        ids,
        "association.route-table-association-id",
        aws.ec2().describe_route_tables()
    )
    .await?;
    Ok(tables
        .iter()
        .flat_map(|t| t.associations())
        .filter(|a| {
            a.route_table_association_id()
                .is_some_and(|id| ids.iter().any(|i| i == id))
        })
        .cloned()
        .collect())
}

fn state(association: &RouteTableAssociation) -> Option<&RouteTableAssociationStateCode> {
    association.association_state().and_then(|s| s.state())
}

/// A disassociated (or failed) association may linger in Describe; it no
/// longer exists for our purposes.
fn is_ended(association: &RouteTableAssociation) -> bool {
    matches!(
        state(association),
        Some(
            RouteTableAssociationStateCode::Disassociated | RouteTableAssociationStateCode::Failed
        )
    )
}

async fn wait_associated(
    aws: &AwsContext,
    id: &str,
    timeout: Duration,
) -> Result<(), ProviderError> {
    wait_until(
        &format!("route table association {id} to be associated"),
        timeout,
        || async {
            let associations = describe_associations(aws, &[id.to_string()]).await?;
            let Some(association) = associations.first() else {
                return Ok(None);
            };
            match state(association) {
                // Older answers carry no state at all: present means associated.
                Some(RouteTableAssociationStateCode::Associated) | None => Ok(Some(())),
                Some(RouteTableAssociationStateCode::Failed) => Err(ProviderError::new(
                    ErrorKind::Other,
                    format!(
                        "route table association {id} failed: {}",
                        association
                            .association_state()
                            .and_then(|s| s.status_message())
                            .unwrap_or("AWS gave no reason")
                    ),
                )),
                _ => Ok(None),
            }
        },
    )
    .await
}
