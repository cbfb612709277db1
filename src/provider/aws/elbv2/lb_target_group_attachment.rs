//! `aws_lb_target_group_attachment`: one target (an instance, an IP
//! address, a Lambda function or a load balancer) registered with a target
//! group.
//!
//! Terraform gives this type a random id and cannot import it; terrane's id
//! names the attachment whole, `<target group ARN>,<target id>[,<port>]`
//! (commas appear in none of the parts), so it can be read back, imported
//! and found again after an interrupted create. Every argument makes a new
//! attachment. Registering a target twice is harmless, which is why an
//! interrupted create needs no search.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::TargetDescription;

use crate::provider::aws::batch::fetch_each;
use crate::provider::aws::convert::{i32_arg, prior_id, required_str};
use crate::provider::aws::{AwsContext, ok_if_already_gone, sdk_error};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{CreateRequest, ErrorKind, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value, attrs};

pub struct TargetGroupAttachment;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        vec![
            Attribute::required("target_group_arn", Type::String).force_new(),
            Attribute::required("target_id", Type::String).force_new(),
            Attribute::optional("port", Type::Number).force_new(),
            Attribute::optional("availability_zone", Type::String).force_new(),
            Attribute::computed("id", Type::String),
        ],
        vec![],
    )
});

/// An attachment as its id names it.
struct AttachmentId<'a> {
    target_group_arn: &'a str,
    target_id: &'a str,
    port: Option<i32>,
}

impl<'a> AttachmentId<'a> {
    fn parse(id: &'a str) -> Result<AttachmentId<'a>, ProviderError> {
        let malformed = || {
            ProviderError::new(
                ErrorKind::Validation,
                format!(
                    "malformed target group attachment id {id:?}: expected \
                     <target group ARN>,<target id>[,<port>]"
                ),
            )
        };
        let mut parts = id.split(',');
        let (Some(target_group_arn), Some(target_id)) = (parts.next(), parts.next()) else {
            return Err(malformed());
        };
        let port = match parts.next() {
            Some(port) => Some(port.parse().map_err(|_| malformed())?),
            None => None,
        };
        if parts.next().is_some() || target_group_arn.is_empty() || target_id.is_empty() {
            return Err(malformed());
        }
        Ok(AttachmentId {
            target_group_arn,
            target_id,
            port,
        })
    }

    fn of(args: &Attrs) -> Result<String, ProviderError> {
        let group = required_str(args, "target_group_arn")?;
        let target = required_str(args, "target_id")?;
        Ok(match i32_arg(args, "port") {
            Some(port) => format!("{group},{target},{port}"),
            None => format!("{group},{target}"),
        })
    }

    fn target(&self, availability_zone: Option<&str>) -> TargetDescription {
        TargetDescription::builder()
            .id(self.target_id)
            .set_port(self.port)
            .set_availability_zone(availability_zone.map(str::to_string))
            .build()
    }
}

#[async_trait]
impl ResourceType for TargetGroupAttachment {
    fn type_name(&self) -> &'static str {
        "aws_lb_target_group_attachment"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    /// One DescribeTargetHealth per target group, listing what is
    /// registered; a target being deregistered is gone already.
    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let attachments: Vec<(&String, AttachmentId)> = ids
            .iter()
            .map(|id| AttachmentId::parse(id).map(|a| (id, a)))
            .collect::<Result<_, _>>()?;
        let groups: BTreeSet<String> = attachments
            .iter()
            .map(|(_, a)| a.target_group_arn.to_string())
            .collect();
        let registered = fetch_each(&groups.into_iter().collect::<Vec<_>>(), |arn| async move {
            let health = aws
                .elbv2()
                .describe_target_health()
                .target_group_arn(arn)
                .send()
                .await
                .map_err(sdk_error)?;
            Ok(Some(health.target_health_descriptions.unwrap_or_default()))
        })
        .await?;
        let mut out = BTreeMap::new();
        for (id, wanted) in attachments {
            let found = registered
                .get(wanted.target_group_arn)
                .into_iter()
                .flatten()
                .filter(|d| {
                    let health = d.target_health();
                    let state = health.and_then(|h| h.state()).map(|s| s.as_str());
                    let reason = health.and_then(|h| h.reason()).map(|r| r.as_str());
                    state != Some("draining") && reason != Some("Target.NotRegistered")
                })
                .filter_map(|d| d.target())
                .find(|t| {
                    t.id() == Some(wanted.target_id)
                        && (wanted.port.is_none() || t.port() == wanted.port)
                });
            // The zone is not read back (as in Terraform): AWS reports one
            // for targets that were registered without it.
            if found.is_none() {
                continue;
            }
            out.insert(
                id.clone(),
                attrs([
                    ("id", Value::string(id)),
                    ("target_group_arn", Value::string(wanted.target_group_arn)),
                    ("target_id", Value::string(wanted.target_id)),
                    ("port", Value::from(wanted.port)),
                ]),
            );
        }
        Ok(out)
    }

    async fn create(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<String, ProviderError> {
        let id = AttachmentId::of(req.planned)?;
        let attachment = AttachmentId::parse(&id)?;
        aws.elbv2()
            .register_targets()
            .target_group_arn(attachment.target_group_arn)
            .targets(attachment.target(req.planned.str("availability_zone")))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(id)
    }

    async fn update(
        &self,
        _aws: &AwsContext,
        _prior: &Attrs,
        _planned: &Attrs,
    ) -> Result<(), ProviderError> {
        Ok(()) // every argument forces a new attachment
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let attachment = AttachmentId::parse(prior_id(prior)?)?;
        ok_if_already_gone(
            aws.elbv2()
                .deregister_targets()
                .target_group_arn(attachment.target_group_arn)
                .targets(attachment.target(prior.str("availability_zone")))
                .send()
                .await,
        )
    }

    fn id_from_terraform(&self, terraform_id: &str, attributes: &Attrs) -> String {
        AttachmentId::of(attributes).unwrap_or_else(|_| terraform_id.to_string())
    }
}
