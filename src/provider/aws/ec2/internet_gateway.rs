//! `aws_internet_gateway`: an internet gateway, attached to at most one VPC.
//!
//! Holds only the schema and the EC2 calls. The attachment is part of this
//! type (as in Terraform): changing `vpc_id` detaches and re-attaches in
//! place, and delete detaches first. Routes to the gateway are not managed here.

use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    AttachmentStatus, InternetGateway, InternetGatewayAttachment, ResourceType as Ec2ResourceType,
};

use super::{describe_paginated, ec2_arn, wait_for_shared};
use crate::provider::aws::convert::{keyed_by_id, prior_id};
use crate::provider::aws::{
    AwsContext, Timeouts, ec2_find_tagged, ec2_tag_specification, ec2_tags_to_value,
    ec2_update_tags, id_from_answer, ok_if_already_gone, ok_if_not_found, sdk_error, wait_until,
};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{CreateRequest, Found, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value, attrs};

pub struct InternetGatewayType;

/// Terraform's defaults for an internet gateway (its attachment waits).
const DEFAULT_TIMEOUTS: Timeouts = Timeouts {
    create: Duration::from_secs(20 * 60),
    update: Duration::from_secs(20 * 60),
    delete: Duration::from_secs(20 * 60),
};

/// AWS's answer about a gateway it does not know (yet, right after its
/// create), and how long an attach keeps trying through it (Terraform's
/// two minutes).
const NOT_KNOWN_YET: &str = "InvalidInternetGatewayID.NotFound";
const KNOWN_WITHIN: Duration = Duration::from_secs(120);

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let attributes = vec![
        Attribute::optional("vpc_id", Type::String),
        Attribute::computed("id", Type::String),
        Attribute::computed("arn", Type::String),
        Attribute::computed("owner_id", Type::String),
    ];
    Schema::with_tags(
        attributes,
        vec![Timeouts::block(&["create", "update", "delete"])],
    )
});

#[async_trait]
impl ResourceType for InternetGatewayType {
    fn type_name(&self) -> &'static str {
        "aws_internet_gateway"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let gateways = describe_internet_gateways(aws, ids).await?;
        Ok(keyed_by_id(
            &gateways,
            InternetGateway::internet_gateway_id,
            |gateway, id| {
                let owner_id = gateway.owner_id().unwrap_or_default();
                attrs([
                    ("id", Value::string(id)),
                    (
                        "arn",
                        Value::string(ec2_arn(aws, owner_id, &format!("internet-gateway/{id}"))),
                    ),
                    ("vpc_id", Value::from(attached_vpc(gateway))),
                    ("owner_id", Value::string(owner_id)),
                    ("tags_all", ec2_tags_to_value(gateway.tags())),
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
            .create_internet_gateway()
            .tag_specifications(ec2_tag_specification(
                aws,
                req,
                Ec2ResourceType::InternetGateway,
            ))
            .send()
            .await
            .map_err(sdk_error)?;
        let id = id_from_answer(
            created
                .internet_gateway()
                .and_then(InternetGateway::internet_gateway_id),
            "CreateInternetGateway returned no gateway id",
        )?;
        if let Some(vpc_id) = req.planned.str("vpc_id") {
            let timeouts = Timeouts::from_attrs(req.planned, DEFAULT_TIMEOUTS);
            attach(aws, &id, vpc_id, timeouts.create).await?;
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
        let old_vpc = prior.str("vpc_id");
        let new_vpc = planned.str("vpc_id");
        if old_vpc != new_vpc {
            let timeout = Timeouts::from_attrs(planned, DEFAULT_TIMEOUTS).update;
            if let Some(old_vpc) = old_vpc {
                detach(aws, id, old_vpc, timeout).await?;
            }
            if let Some(new_vpc) = new_vpc {
                attach(aws, id, new_vpc, timeout).await?;
            }
        }
        ec2_update_tags(aws, id, prior, planned).await
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let id = prior_id(prior)?;
        // Detach from whatever AWS says it is attached to now, which may
        // differ from prior state if it drifted.
        let gateways = describe_internet_gateways(aws, &[id.to_string()]).await?;
        let Some(gateway) = gateways.first() else {
            return Ok(());
        };
        if let Some(vpc_id) = attached_vpc(gateway) {
            let timeout = Timeouts::from_attrs(prior, DEFAULT_TIMEOUTS).delete;
            detach(aws, id, vpc_id, timeout).await?;
        }
        ok_if_already_gone(
            aws.ec2()
                .delete_internet_gateway()
                .internet_gateway_id(id)
                .send()
                .await,
        )
    }
}

async fn describe_internet_gateways(
    aws: &AwsContext,
    ids: &[String],
) -> Result<Vec<InternetGateway>, ProviderError> {
    describe_paginated!(
        ids,
        "internet-gateway-id",
        aws.ec2().describe_internet_gateways()
    )
    .await
}

/// The VPC the gateway is attached to (or attaching to).
fn attached_vpc(gateway: &InternetGateway) -> Option<&str> {
    gateway
        .attachments()
        .iter()
        .find(|a| is_attached(a) || a.state() == Some(&AttachmentStatus::Attaching))
        .and_then(|a| a.vpc_id())
}

/// AWS reports an attached internet gateway as `available`, a state the
/// SDK's `AttachmentStatus` has no variant for; `attached` is accepted too.
fn is_attached(attachment: &InternetGatewayAttachment) -> bool {
    matches!(
        attachment.state().map(AttachmentStatus::as_str),
        Some("available" | "attached")
    )
}

/// Attaches, and waits until AWS reports the attachment ready. A gateway
/// made a moment ago may not be known to AWS yet (eventual consistency):
/// an attach answered with that is tried again, as Terraform's is.
async fn attach(
    aws: &AwsContext,
    id: &str,
    vpc_id: &str,
    timeout: Duration,
) -> Result<(), ProviderError> {
    wait_until(
        &format!("internet gateway {id} to be known to AWS"),
        KNOWN_WITHIN,
        || async {
            let sent = aws
                .ec2()
                .attach_internet_gateway()
                .internet_gateway_id(id)
                .vpc_id(vpc_id)
                .send()
                .await
                .map_err(sdk_error);
            match sent {
                Ok(_) => Ok(Some(())),
                Err(e) if e.code.as_deref() == Some(NOT_KNOWN_YET) => Ok(None),
                Err(e) => Err(e),
            }
        },
    )
    .await?;
    let what = format!("internet gateway {id} to attach to {vpc_id}");
    wait_for_shared(
        aws,
        &what,
        timeout,
        "DescribeInternetGateways",
        id,
        |ids| async move { describe_internet_gateways(aws, &ids).await },
        InternetGateway::internet_gateway_id,
        |gateway: &InternetGateway| {
            gateway
                .attachments()
                .iter()
                .any(|a| a.vpc_id() == Some(vpc_id) && is_attached(a))
        },
    )
    .await?;
    Ok(())
}

/// Detaches and waits until AWS no longer lists the attachment, so a
/// following delete (of the gateway or the VPC) does not meet it.
async fn detach(
    aws: &AwsContext,
    id: &str,
    vpc_id: &str,
    timeout: Duration,
) -> Result<(), ProviderError> {
    let detached = aws
        .ec2()
        .detach_internet_gateway()
        .internet_gateway_id(id)
        .vpc_id(vpc_id)
        .send()
        .await
        .map_err(sdk_error);
    // Already detached, or the gateway or VPC is gone: nothing to undo.
    if ok_if_not_found(detached)?.is_none() {
        return Ok(());
    }
    let what = format!("internet gateway {id} to detach from {vpc_id}");
    wait_until(&what, timeout, || async {
        let gateways = describe_internet_gateways(aws, &[id.to_string()]).await?;
        let still_attached = gateways.first().is_some_and(|g| {
            g.attachments().iter().any(|a| {
                a.vpc_id() == Some(vpc_id) && a.state() != Some(&AttachmentStatus::Detached)
            })
        });
        Ok((!still_attached).then_some(()))
    })
    .await
}
