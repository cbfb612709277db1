//! `aws_vpc_endpoint`: a private way from a VPC to an AWS service: a
//! gateway endpoint (S3, DynamoDB) added to route tables, or an interface
//! endpoint with network interfaces in subnets.
//!
//! The id is the endpoint id (`vpce-…`), as in Terraform. Route tables,
//! subnets, security groups, the policy and private DNS change in place
//! (ModifyVpcEndpoint); the VPC, service and type force a new endpoint.
//! The policy AWS gives an endpoint written without one (full access) reads
//! back as its computed value, not as a difference. Left out: the
//! `dns_options` and `subnet_configuration` blocks, service networks and
//! resource configurations, and the computed `dns_entry` and `cidr_blocks`.

use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    IpAddressType, ResourceType as Ec2ResourceType, VpcEndpoint, VpcEndpointType as EndpointKind,
};

use super::{ec2_arn, wait_for_object};
use crate::provider::aws::batch::describe_skipping_missing;
use crate::provider::aws::convert::{
    differs, keyed_by_id, non_empty, prior_id, string_set, string_set_changes,
};
use crate::provider::aws::iam::policy_document_from_aws;
use crate::provider::aws::{
    AwsContext, Timeouts, ec2_find_tagged, ec2_tag_specification, ec2_tags_to_value,
    ec2_update_tags, id_from_answer, sdk_error, wait_until,
};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{CreateRequest, Found, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value, attrs};

pub struct VpcEndpointResource;

/// How long an endpoint may take to become available, or to go
/// (Terraform's defaults).
const DEFAULT_TIMEOUTS: Timeouts = Timeouts::all(Duration::from_secs(10 * 60));

/// The most ids DescribeVpcEndpoints is asked for in one call.
const IDS_PER_CALL: usize = 200;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let ids = |name| Attribute::optional_computed(name, Type::set_of(Type::String));
    let attributes = vec![
        Attribute::required("vpc_id", Type::String).force_new(),
        Attribute::optional("service_name", Type::String).force_new(),
        Attribute::optional("vpc_endpoint_type", Type::String)
            .default("Gateway")
            .force_new(),
        ids("route_table_ids"),
        ids("subnet_ids"),
        ids("security_group_ids"),
        Attribute::optional_computed("policy", Type::Json),
        Attribute::optional_computed("private_dns_enabled", Type::Bool),
        Attribute::optional("auto_accept", Type::Bool),
        Attribute::optional_computed("ip_address_type", Type::String),
        Attribute::computed("id", Type::String),
        Attribute::computed("arn", Type::String),
        Attribute::computed("owner_id", Type::String),
        Attribute::computed("prefix_list_id", Type::String),
        Attribute::computed("requester_managed", Type::Bool),
        Attribute::computed("state", Type::String),
        Attribute::computed("network_interface_ids", Type::set_of(Type::String)),
    ];
    Schema::with_tags(
        attributes,
        vec![Timeouts::block(&["create", "update", "delete"])],
    )
});

async fn describe(aws: &AwsContext, ids: &[String]) -> Result<Vec<VpcEndpoint>, ProviderError> {
    describe_skipping_missing(ids, IDS_PER_CALL, |chunk| async move {
        let out = aws
            .ec2()
            .describe_vpc_endpoints()
            .set_vpc_endpoint_ids(Some(chunk))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(out.vpc_endpoints().to_vec())
    })
    .await
}

/// The prefix list of each AWS service a gateway endpoint can reach, by
/// service name (`com.amazonaws.us-east-1.s3`): one DescribePrefixLists.
async fn prefix_lists(aws: &AwsContext) -> Result<BTreeMap<String, String>, ProviderError> {
    let out = aws
        .ec2()
        .describe_prefix_lists()
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(out
        .prefix_lists()
        .iter()
        .filter_map(|p| {
            Some((
                p.prefix_list_name()?.to_string(),
                p.prefix_list_id()?.to_string(),
            ))
        })
        .collect())
}

fn endpoint_attrs(
    aws: &AwsContext,
    endpoint: &VpcEndpoint,
    id: &str,
    prefix_lists: &BTreeMap<String, String>,
) -> Attrs {
    let owner_id = endpoint.owner_id().unwrap_or_default();
    let state = endpoint.state().map(|s| s.as_str().to_lowercase());
    attrs([
        ("id", Value::string(id)),
        (
            "arn",
            Value::string(ec2_arn(aws, owner_id, &format!("vpc-endpoint/{id}"))),
        ),
        ("vpc_id", endpoint.vpc_id().into()),
        ("service_name", endpoint.service_name().into()),
        (
            "vpc_endpoint_type",
            endpoint.vpc_endpoint_type().map(|t| t.as_str()).into(),
        ),
        ("route_table_ids", string_set(endpoint.route_table_ids())),
        ("subnet_ids", string_set(endpoint.subnet_ids())),
        (
            "security_group_ids",
            string_set(endpoint.groups().iter().filter_map(|g| g.group_id())),
        ),
        (
            "policy",
            endpoint
                .policy_document()
                .map_or(Value::Null, policy_document_from_aws),
        ),
        (
            "private_dns_enabled",
            Value::Bool(endpoint.private_dns_enabled().unwrap_or(false)),
        ),
        (
            "ip_address_type",
            endpoint.ip_address_type().map(|t| t.as_str()).into(),
        ),
        ("owner_id", Value::string(owner_id)),
        (
            "prefix_list_id",
            endpoint
                .service_name()
                .and_then(|name| prefix_lists.get(name))
                .map(String::as_str)
                .into(),
        ),
        (
            "requester_managed",
            Value::Bool(endpoint.requester_managed().unwrap_or(false)),
        ),
        ("state", state.into()),
        (
            "network_interface_ids",
            string_set(endpoint.network_interface_ids()),
        ),
        ("tags_all", ec2_tags_to_value(endpoint.tags())),
    ])
}

/// Whether the endpoint is in one of `states` (lower case). EC2 writes
/// them in lower case (`available`) where the SDK's `State` has
/// `Available`, so they are compared as text.
fn in_state(endpoint: &VpcEndpoint, states: &[&str]) -> bool {
    endpoint
        .state()
        .is_some_and(|s| states.contains(&s.as_str().to_lowercase().as_str()))
}

#[async_trait]
impl ResourceType for VpcEndpointResource {
    fn type_name(&self) -> &'static str {
        "aws_vpc_endpoint"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    /// DescribeVpcEndpoints by id, for all of them at once.
    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let endpoints = describe(aws, ids).await?;
        // A deleted endpoint lingers as `deleted` for a while.
        let live: Vec<VpcEndpoint> = endpoints
            .into_iter()
            .filter(|e| !in_state(e, &["deleted", "deleting"]))
            .collect();
        let gateways = live
            .iter()
            .any(|e| e.vpc_endpoint_type() == Some(&EndpointKind::Gateway));
        let prefix_lists = if gateways {
            prefix_lists(aws).await?
        } else {
            BTreeMap::new()
        };
        Ok(keyed_by_id(&live, VpcEndpoint::vpc_endpoint_id, |e, id| {
            endpoint_attrs(aws, e, id, &prefix_lists)
        }))
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
        let planned = req.planned;
        let kind = planned.str("vpc_endpoint_type").unwrap_or("Gateway");
        let created = aws
            .ec2()
            .create_vpc_endpoint()
            .set_vpc_id(planned.str("vpc_id").map(String::from))
            .set_service_name(planned.str("service_name").map(String::from))
            .vpc_endpoint_type(EndpointKind::from(kind))
            .set_route_table_ids(non_empty(planned.strings("route_table_ids")))
            .set_subnet_ids(non_empty(planned.strings("subnet_ids")))
            .set_security_group_ids(non_empty(planned.strings("security_group_ids")))
            .set_policy_document(planned.str("policy").map(String::from))
            // Private DNS is an interface endpoint's setting only.
            .set_private_dns_enabled(
                planned
                    .bool("private_dns_enabled")
                    .filter(|_| kind == "Interface"),
            )
            .set_ip_address_type(planned.str("ip_address_type").map(IpAddressType::from))
            .client_token(req.client_token)
            .tag_specifications(ec2_tag_specification(
                aws,
                req,
                Ec2ResourceType::VpcEndpoint,
            ))
            .send()
            .await
            .map_err(sdk_error)?;
        let id = id_from_answer(
            created.vpc_endpoint().and_then(|e| e.vpc_endpoint_id()),
            "CreateVpcEndpoint returned no endpoint id",
        )?;
        let ids = [id.clone()];
        wait_for_object(
            &format!("VPC endpoint {id} to become available"),
            Timeouts::from_attrs(planned, DEFAULT_TIMEOUTS).create,
            || describe(aws, &ids),
            // An endpoint of another account's service waits for its
            // acceptance; `auto_accept` is that service's owner's setting.
            |e: &VpcEndpoint| in_state(e, &["available", "pendingacceptance"]),
        )
        .await?;
        Ok(id)
    }

    async fn update(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        let id = prior_id(prior)?;
        let changed = [
            "route_table_ids",
            "subnet_ids",
            "security_group_ids",
            "policy",
            "private_dns_enabled",
        ]
        .iter()
        .any(|key| differs(prior, planned, key));
        if changed {
            let (add_tables, remove_tables) = string_set_changes(prior, planned, "route_table_ids");
            let (add_subnets, remove_subnets) = string_set_changes(prior, planned, "subnet_ids");
            let (add_groups, remove_groups) =
                string_set_changes(prior, planned, "security_group_ids");
            let policy = planned
                .str("policy")
                .filter(|_| differs(prior, planned, "policy"));
            let interface = planned.str("vpc_endpoint_type") == Some("Interface");
            aws.ec2()
                .modify_vpc_endpoint()
                .vpc_endpoint_id(id)
                .set_add_route_table_ids(non_empty(add_tables))
                .set_remove_route_table_ids(non_empty(remove_tables))
                .set_add_subnet_ids(non_empty(add_subnets))
                .set_remove_subnet_ids(non_empty(remove_subnets))
                .set_add_security_group_ids(non_empty(add_groups))
                .set_remove_security_group_ids(non_empty(remove_groups))
                .set_policy_document(policy.map(String::from))
                .set_private_dns_enabled(
                    planned
                        .bool("private_dns_enabled")
                        .filter(|_| interface && differs(prior, planned, "private_dns_enabled")),
                )
                .send()
                .await
                .map_err(sdk_error)?;
        }
        ec2_update_tags(aws, id, prior, planned).await
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let id = prior_id(prior)?;
        let deleted = aws
            .ec2()
            .delete_vpc_endpoints()
            .vpc_endpoint_ids(id)
            .send()
            .await
            .map_err(sdk_error);
        // A NotFound may name something else (a route the endpoint had):
        // done only if the endpoint itself is gone.
        if let Err(error) = deleted {
            let gone =
                error.is_not_found() && self.read_many(aws, &[id.to_string()]).await?.is_empty();
            if !gone {
                return Err(error);
            }
        }
        // Gone before the route tables, subnets or VPC it uses are deleted.
        let ids = [id.to_string()];
        wait_until(
            &format!("VPC endpoint {id} to be deleted"),
            Timeouts::from_attrs(prior, DEFAULT_TIMEOUTS).delete,
            || async {
                let left = self.read_many(aws, &ids).await?;
                Ok(left.is_empty().then_some(()))
            },
        )
        .await
    }
}
