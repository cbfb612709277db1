//! `aws_autoscaling_attachment`: a target group (or a classic load
//! balancer) attached to an Auto Scaling group that does not list it
//! itself (`target_group_arns` left out, so the group keeps what is
//! attached).
//!
//! Terraform gives this type a random id and cannot import it; terrane's id
//! is `<group name>,<target group ARN or load balancer name>`, which reads
//! back, imports and names what an interrupted create attached. Every
//! argument makes a new attachment; attaching twice is harmless.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use async_trait::async_trait;

use super::describe_groups;
use crate::provider::aws::convert::{prior_id, required_str};
use crate::provider::aws::names::split_id;
use crate::provider::aws::{AwsContext, sdk_error};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{CreateRequest, ErrorKind, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value, attrs};

pub struct AutoscalingAttachment;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        vec![
            Attribute::required("autoscaling_group_name", Type::String).force_new(),
            Attribute::optional("lb_target_group_arn", Type::String).force_new(),
            Attribute::optional("elb", Type::String).force_new(),
            Attribute::computed("id", Type::String),
        ],
        vec![],
    )
});

/// What is attached: a target group (by ARN) or a classic load balancer
/// (by name). ARNs start with `arn:`; names cannot.
enum Attached<'a> {
    TargetGroup(&'a str),
    LoadBalancer(&'a str),
}

impl<'a> Attached<'a> {
    fn from_text(text: &'a str) -> Attached<'a> {
        if text.starts_with("arn:") {
            Attached::TargetGroup(text)
        } else {
            Attached::LoadBalancer(text)
        }
    }
}

fn parse_id(id: &str) -> Result<(&str, Attached<'_>), ProviderError> {
    let [group, attached] = split_id::<2>(
        id,
        ',',
        "<group name>,<target group ARN or load balancer name>",
    )?;
    Ok((group, Attached::from_text(attached)))
}

fn id_of(args: &Attrs) -> Result<String, ProviderError> {
    let group = required_str(args, "autoscaling_group_name")?;
    match (args.str("lb_target_group_arn"), args.str("elb")) {
        (Some(attached), None) | (None, Some(attached)) => Ok(format!("{group},{attached}")),
        _ => Err(ProviderError::new(
            ErrorKind::Validation,
            "exactly one of lb_target_group_arn and elb must be set",
        )),
    }
}

#[async_trait]
impl ResourceType for AutoscalingAttachment {
    fn type_name(&self) -> &'static str {
        "aws_autoscaling_attachment"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    /// One DescribeAutoScalingGroups for every group named.
    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let parsed: Vec<(&String, &str, Attached)> = ids
            .iter()
            .map(|id| parse_id(id).map(|(group, attached)| (id, group, attached)))
            .collect::<Result<_, _>>()?;
        let mut names: Vec<String> = parsed.iter().map(|(_, g, _)| g.to_string()).collect();
        names.sort();
        names.dedup();
        let groups = describe_groups(aws, &names).await?;
        let mut out = BTreeMap::new();
        for (id, group_name, attached) in parsed {
            let Some(group) = groups
                .iter()
                .find(|g| g.auto_scaling_group_name() == Some(group_name))
            else {
                continue;
            };
            let (target_group, elb) = match attached {
                Attached::TargetGroup(arn) => {
                    if !group.target_group_arns().iter().any(|a| a == arn) {
                        continue;
                    }
                    (Some(arn), None)
                }
                Attached::LoadBalancer(name) => {
                    if !group.load_balancer_names().iter().any(|n| n == name) {
                        continue;
                    }
                    (None, Some(name))
                }
            };
            out.insert(
                id.clone(),
                attrs([
                    ("id", Value::string(id)),
                    ("autoscaling_group_name", Value::string(group_name)),
                    ("lb_target_group_arn", Value::from(target_group)),
                    ("elb", Value::from(elb)),
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
        let id = id_of(req.planned)?;
        let (group, attached) = parse_id(&id)?;
        match attached {
            Attached::TargetGroup(arn) => {
                aws.autoscaling()
                    .attach_load_balancer_target_groups()
                    .auto_scaling_group_name(group)
                    .target_group_arns(arn)
                    .send()
                    .await
                    .map_err(sdk_error)?;
            }
            Attached::LoadBalancer(name) => {
                aws.autoscaling()
                    .attach_load_balancers()
                    .auto_scaling_group_name(group)
                    .load_balancer_names(name)
                    .send()
                    .await
                    .map_err(sdk_error)?;
            }
        }
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

    /// Detaches; a group that is gone has nothing attached.
    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let (group, attached) = parse_id(prior_id(prior)?)?;
        if describe_groups(aws, &[group.to_string()]).await?.is_empty() {
            return Ok(());
        }
        match attached {
            Attached::TargetGroup(arn) => {
                aws.autoscaling()
                    .detach_load_balancer_target_groups()
                    .auto_scaling_group_name(group)
                    .target_group_arns(arn)
                    .send()
                    .await
                    .map_err(sdk_error)?;
            }
            Attached::LoadBalancer(name) => {
                aws.autoscaling()
                    .detach_load_balancers()
                    .auto_scaling_group_name(group)
                    .load_balancer_names(name)
                    .send()
                    .await
                    .map_err(sdk_error)?;
            }
        }
        Ok(())
    }

    fn id_from_terraform(&self, terraform_id: &str, attributes: &Attrs) -> String {
        id_of(attributes).unwrap_or_else(|_| terraform_id.to_string())
    }
}
