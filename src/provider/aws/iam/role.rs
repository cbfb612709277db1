//! `aws_iam_role`: an IAM role and its trust policy.
//!
//! The id is the role name, as in Terraform. `assume_role_policy` is a
//! `Type::Json` attribute: the configured document and the one IAM returns
//! (URL-encoded) are both brought to canonical JSON, so layout never shows as
//! a diff. Policy attachments are separate resources; this file only detaches
//! them on delete when `force_detach_policies` asks for it.

use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use aws_smithy_types::date_time::Format;
use futures::TryFutureExt;

use super::role_policy_attachment::{attached_policy_arns, detach_policy};
use super::{
    iam_tags, iam_update_boundary, iam_update_tags, policy_document_from_aws, tags_of_each,
};
use crate::provider::aws::batch::fetch_each;
use crate::provider::aws::convert::{differs, i32_arg, prior_id};
use crate::provider::aws::names::{name_for_create, prefix_from_name};
use crate::provider::aws::tags::{create_tags, owner_of_named, tags_to_value};
use crate::provider::aws::{
    AwsContext, ok_if_already_gone, ok_if_not_found, sdk_error, wait_until,
};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{CreateRequest, Found, Listed, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value};

/// How long a new role may take to become readable (IAM is eventually
/// consistent; usually seconds).
const PROPAGATION_TIMEOUT: Duration = Duration::from_secs(120);

pub struct IamRole;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let attributes = vec![
        Attribute::optional_computed("name", Type::String).force_new(),
        Attribute::optional_computed("name_prefix", Type::String).force_new(),
        Attribute::optional("path", Type::String)
            .default("/")
            .force_new(),
        Attribute::optional("description", Type::String),
        Attribute::required("assume_role_policy", Type::Json),
        Attribute::optional("max_session_duration", Type::Number).default(3600),
        Attribute::optional("permissions_boundary", Type::String),
        // Not an AWS setting: read never returns it, the configured value
        // only steers delete.
        Attribute::optional("force_detach_policies", Type::Bool).default(false),
        Attribute::computed("arn", Type::String),
        Attribute::computed("unique_id", Type::String),
        Attribute::computed("create_date", Type::String),
    ];
    Schema::with_tags(attributes, vec![])
});

#[async_trait]
impl ResourceType for IamRole {
    fn type_name(&self) -> &'static str {
        "aws_iam_role"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    /// IAM has no batched get-by-name: one GetRole per role, concurrently.
    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        fetch_each(ids, |name| async move {
            Ok(find_role(aws, &name).await?.as_ref().map(role_attrs))
        })
        .await
    }

    async fn find_created(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<Found, ProviderError> {
        let name = name_for_create(req.planned, "name", "name_prefix", req.client_token);
        let tags = |role: &aws_sdk_iam::types::Role| {
            let pairs = role.tags().iter().map(|t| (t.key(), t.value()));
            pairs
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>()
        };
        Ok(match find_role(aws, &name).await? {
            Some(role) => owner_of_named(aws, req, name, tags(&role)),
            None => Found::Nothing,
        })
    }

    async fn list_tagged(&self, aws: &AwsContext) -> Result<Vec<Listed>, ProviderError> {
        let roles: Vec<_> = aws
            .iam()
            .list_roles()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(sdk_error)?;
        let names: Vec<String> = roles.iter().map(|r| r.role_name().to_string()).collect();
        // ListRoles leaves tags out; ListRoleTags has them.
        tags_of_each(&names, |name| async move {
            let out = aws.iam().list_role_tags().role_name(name).send().await;
            Ok(out.map_err(sdk_error)?.tags().to_vec())
        })
        .await
    }

    async fn create(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<String, ProviderError> {
        let planned = req.planned;
        let name = name_for_create(planned, "name", "name_prefix", req.client_token);
        aws.iam()
            .create_role()
            .role_name(&name)
            .path(planned.str("path").unwrap_or("/"))
            .assume_role_policy_document(planned.str("assume_role_policy").unwrap_or_default())
            .set_description(planned.str("description").map(str::to_string))
            .set_max_session_duration(i32_arg(planned, "max_session_duration"))
            .set_permissions_boundary(planned.str("permissions_boundary").map(str::to_string))
            .set_tags(Some(iam_tags(&create_tags(aws, req))?))
            .send()
            .await
            .map_err(sdk_error)?;
        wait_until(
            &format!("IAM role {name} to be readable"),
            PROPAGATION_TIMEOUT,
            || async { Ok(find_role(aws, &name).await?.map(|_| ())) },
        )
        .await?;
        Ok(name)
    }

    async fn update(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        let name = prior_id(prior)?;
        let changed = |key: &str| differs(prior, planned, key);
        if changed("assume_role_policy") {
            aws.iam()
                .update_assume_role_policy()
                .role_name(name)
                .policy_document(planned.str("assume_role_policy").unwrap_or_default())
                .send()
                .await
                .map_err(sdk_error)?;
        }
        if changed("description") || changed("max_session_duration") {
            // UpdateRole carries both so that neither is reset to its default
            // (the emulator resets an omitted one; AWS accepts both).
            aws.iam()
                .update_role()
                .role_name(name)
                .description(planned.str("description").unwrap_or_default())
                .set_max_session_duration(i32_arg(planned, "max_session_duration"))
                .send()
                .await
                .map_err(sdk_error)?;
        }
        if changed("permissions_boundary") {
            iam_update_boundary!(
                aws,
                planned,
                put_role_permissions_boundary,
                delete_role_permissions_boundary,
                role_name(name)
            )
            .await?;
        }
        iam_update_tags!(aws, prior, planned, untag_role, tag_role, role_name(name)).await
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let name = prior_id(prior)?;
        let result: Result<(), ProviderError> = async {
            // A role still in an instance profile cannot be deleted;
            // Terraform removes it from them first, and so do we.
            remove_from_instance_profiles(aws, name).await?;
            if prior.bool("force_detach_policies") == Some(true) {
                detach_all_policies(aws, name).await?;
            }
            aws.iam()
                .delete_role()
                .role_name(name)
                .send()
                .await
                .map_err(sdk_error)?;
            Ok(())
        }
        .await;
        ok_if_not_found(result)?;
        Ok(())
    }
}

/// GetRole, with "no such role" as `None`.
async fn find_role(
    aws: &AwsContext,
    name: &str,
) -> Result<Option<aws_sdk_iam::types::Role>, ProviderError> {
    let got = aws
        .iam()
        .get_role()
        .role_name(name)
        .send()
        .await
        .map_err(sdk_error);
    Ok(ok_if_not_found(got)?.and_then(|out| out.role().cloned()))
}

fn role_attrs(role: &aws_sdk_iam::types::Role) -> Attrs {
    let name = role.role_name();
    let mut attrs = Attrs::new();
    attrs.insert("id".into(), Value::string(name));
    attrs.insert("name".into(), Value::string(name));
    attrs.insert("name_prefix".into(), prefix_from_name(name));
    attrs.insert("path".into(), Value::string(role.path()));
    attrs.insert(
        "description".into(),
        role.description().filter(|d| !d.is_empty()).into(),
    );
    attrs.insert(
        "assume_role_policy".into(),
        role.assume_role_policy_document()
            .map_or(Value::Null, policy_document_from_aws),
    );
    attrs.insert(
        "max_session_duration".into(),
        role.max_session_duration().into(),
    );
    attrs.insert(
        "permissions_boundary".into(),
        role.permissions_boundary()
            .and_then(|b| b.permissions_boundary_arn())
            .into(),
    );
    attrs.insert("arn".into(), Value::string(role.arn()));
    attrs.insert("unique_id".into(), Value::string(role.role_id()));
    attrs.insert(
        "create_date".into(),
        role.create_date().fmt(Format::DateTime).ok().into(),
    );
    attrs.insert(
        "tags_all".into(),
        tags_to_value(role.tags().iter().map(|t| (t.key(), t.value()))),
    );
    attrs
}

async fn remove_from_instance_profiles(aws: &AwsContext, role: &str) -> Result<(), ProviderError> {
    let profiles: Vec<_> = aws
        .iam()
        .list_instance_profiles_for_role()
        .role_name(role)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(sdk_error)?;
    for profile in profiles {
        ok_if_already_gone(
            aws.iam()
                .remove_role_from_instance_profile()
                .instance_profile_name(profile.instance_profile_name())
                .role_name(role)
                .send()
                .await,
        )?;
    }
    Ok(())
}

/// Detaches every managed policy and deletes every inline policy, as
/// Terraform's `force_detach_policies` does.
async fn detach_all_policies(aws: &AwsContext, role: &str) -> Result<(), ProviderError> {
    for policy_arn in attached_policy_arns(aws, role).await? {
        detach_policy(aws, role, &policy_arn).await?;
    }
    let inline: Vec<String> = aws
        .iam()
        .list_role_policies()
        .role_name(role)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(sdk_error)?;
    for policy_name in inline {
        ok_if_already_gone(
            aws.iam()
                .delete_role_policy()
                .role_name(role)
                .policy_name(policy_name)
                .send()
                .await,
        )?;
    }
    Ok(())
}
