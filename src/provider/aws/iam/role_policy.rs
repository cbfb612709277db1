//! `aws_iam_role_policy`: a policy written inline in one role.
//!
//! The id is `<role>:<name>`, as Terraform's (role names cannot contain
//! ':'). The document changes in place (PutRolePolicy again); the role and
//! the name force a new policy. PutRolePolicy of the same name is
//! idempotent, and a generated name comes from the create's token, so a
//! create that is tried again writes the same policy.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use async_trait::async_trait;

use super::policy_document_from_aws;
use crate::provider::aws::batch::fetch_each;
use crate::provider::aws::convert::prior_id;
use crate::provider::aws::names::{name_for_create, prefix_from_name, split_id};
use crate::provider::aws::{AwsContext, ok_if_already_gone, ok_if_not_found, sdk_error};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{CreateRequest, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value};

pub struct IamRolePolicy;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        vec![
            Attribute::optional_computed("name", Type::String).force_new(),
            Attribute::optional_computed("name_prefix", Type::String).force_new(),
            Attribute::required("role", Type::String).force_new(),
            Attribute::required("policy", Type::Json),
        ],
        vec![],
    )
});

fn parse_id(id: &str) -> Result<[&str; 2], ProviderError> {
    split_id::<2>(id, ':', "ROLE:POLICY_NAME")
}

async fn put(
    aws: &AwsContext,
    role: &str,
    name: &str,
    document: &str,
) -> Result<(), ProviderError> {
    aws.iam()
        .put_role_policy()
        .role_name(role)
        .policy_name(name)
        .policy_document(document)
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(())
}

#[async_trait]
impl ResourceType for IamRolePolicy {
    fn type_name(&self) -> &'static str {
        "aws_iam_role_policy"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    /// One GetRolePolicy per policy; a missing role or policy is absent.
    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        fetch_each(ids, |id| async move {
            let [role, name] = parse_id(&id)?;
            let got = aws
                .iam()
                .get_role_policy()
                .role_name(role)
                .policy_name(name)
                .send()
                .await
                .map_err(sdk_error);
            Ok(ok_if_not_found(got)?.map(|out| {
                Attrs::from([
                    ("id".into(), Value::string(id.as_str())),
                    ("role".into(), Value::string(role)),
                    ("name".into(), Value::string(name)),
                    ("name_prefix".into(), prefix_from_name(name)),
                    (
                        "policy".into(),
                        policy_document_from_aws(out.policy_document()),
                    ),
                ])
            }))
        })
        .await
    }

    async fn create(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<String, ProviderError> {
        let name = name_for_create(req.planned, "name", "name_prefix", req.client_token);
        let role = req.planned.str("role").unwrap_or_default();
        put(
            aws,
            role,
            &name,
            req.planned.str("policy").unwrap_or_default(),
        )
        .await?;
        Ok(format!("{role}:{name}"))
    }

    async fn update(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        let [role, name] = parse_id(prior_id(prior)?)?;
        put(aws, role, name, planned.str("policy").unwrap_or_default()).await
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let [role, name] = parse_id(prior_id(prior)?)?;
        ok_if_already_gone(
            aws.iam()
                .delete_role_policy()
                .role_name(role)
                .policy_name(name)
                .send()
                .await,
        )
    }
}
