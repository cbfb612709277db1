//! `aws_iam_user`: an IAM user, its path and its permissions boundary.
//!
//! The id is the user name, as in Terraform. A user is renamed or moved to
//! another path in place (UpdateUser), so the id can change on update.
//! Delete first removes the user from its groups, as Terraform does; with
//! `force_destroy` it also removes what IAM refuses to delete a user with
//! (access keys, login profile, MFA devices, SSH keys, signing certificates,
//! inline and attached policies). Group membership and policies attached
//! through their own resources are theirs, not this file's.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use async_trait::async_trait;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use futures::TryFutureExt;

use super::{iam_tags, iam_update_boundary, iam_update_tags, tags_of_each};
use crate::provider::aws::batch::fetch_each;
use crate::provider::aws::convert::{differs, prior_id};
use crate::provider::aws::tags::{create_tags, owner_of_named, tags_to_value};
use crate::provider::aws::{AwsContext, ok_if_already_gone, ok_if_not_found, sdk_error};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{CreateRequest, ErrorKind, Found, Listed, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value};

pub struct IamUser;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let attributes = vec![
        Attribute::required("name", Type::String),
        Attribute::optional("path", Type::String).default("/"),
        Attribute::optional("permissions_boundary", Type::String),
        // Not an AWS setting: read never returns it, the configured value
        // only steers delete.
        Attribute::optional("force_destroy", Type::Bool).default(false),
        Attribute::computed("arn", Type::String),
        Attribute::computed("unique_id", Type::String),
    ];
    Schema::with_tags(attributes, vec![])
});

#[async_trait]
impl ResourceType for IamUser {
    fn type_name(&self) -> &'static str {
        "aws_iam_user"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    /// IAM has no batched get-by-name: one GetUser per user, concurrently.
    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        fetch_each(ids, |name| async move {
            Ok(find_user(aws, &name).await?.as_ref().map(user_attrs))
        })
        .await
    }

    async fn find_created(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<Found, ProviderError> {
        let name = req.planned.str("name").unwrap_or_default().to_string();
        Ok(match find_user(aws, &name).await? {
            Some(user) => {
                let tags = user.tags().iter().map(|t| (t.key(), t.value()));
                owner_of_named(aws, req, name.clone(), tags)
            }
            None => Found::Nothing,
        })
    }

    async fn list_tagged(&self, aws: &AwsContext) -> Result<Vec<Listed>, ProviderError> {
        let users: Vec<_> = aws
            .iam()
            .list_users()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(sdk_error)?;
        let names: Vec<String> = users.iter().map(|u| u.user_name().to_string()).collect();
        // ListUsers leaves tags out; ListUserTags has them.
        tags_of_each(&names, |name| async move {
            let out = aws.iam().list_user_tags().user_name(name).send().await;
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
        let name = planned.str("name").unwrap_or_default().to_string();
        aws.iam()
            .create_user()
            .user_name(&name)
            .path(planned.str("path").unwrap_or("/"))
            .set_permissions_boundary(planned.str("permissions_boundary").map(str::to_string))
            .set_tags(Some(iam_tags(&create_tags(aws, req))?))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(name)
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

    /// A rename gives the user, and so the object, a new id.
    async fn update_returning_id(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<String, ProviderError> {
        let mut name = prior_id(prior)?.to_string();
        let changed = |key: &str| differs(prior, planned, key);
        if changed("name") || changed("path") {
            let new_name = planned.str("name").unwrap_or(&name).to_string();
            aws.iam()
                .update_user()
                .user_name(&name)
                .set_new_user_name(changed("name").then(|| new_name.clone()))
                .set_new_path(
                    changed("path").then(|| planned.str("path").unwrap_or("/").to_string()),
                )
                .send()
                .await
                .map_err(sdk_error)?;
            name = new_name;
        }
        if changed("permissions_boundary") {
            iam_update_boundary!(
                aws,
                planned,
                put_user_permissions_boundary,
                delete_user_permissions_boundary,
                user_name(&name)
            )
            .await?;
        }
        let current: &str = &name;
        iam_update_tags!(
            aws,
            prior,
            planned,
            untag_user,
            tag_user,
            user_name(current)
        )
        .await?;
        Ok(name)
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let name = prior_id(prior)?;
        let result: Result<(), ProviderError> = async {
            remove_from_groups(aws, name).await?;
            if prior.bool("force_destroy") == Some(true) {
                remove_credentials(aws, name).await?;
                remove_policies(aws, name).await?;
            }
            aws.iam()
                .delete_user()
                .user_name(name)
                .send()
                .await
                .map_err(sdk_error)?;
            Ok(())
        }
        .await;
        match ok_if_not_found(result) {
            // What blocks the delete was made outside the stack and will not
            // go by itself: refused at once, as Terraform refuses it, rather
            // than retried until the delete times out.
            Err(e) if e.code.as_deref() == Some("DeleteConflict") => Err(ProviderError::new(
                ErrorKind::Validation,
                format!(
                    "IAM user {name} still has credentials or policies made outside the stack ({}); set force_destroy = true to remove them with the user",
                    e.message
                ),
            )),
            other => other.map(drop),
        }
    }
}

/// GetUser, with "no such user" as `None`.
async fn find_user(
    aws: &AwsContext,
    name: &str,
) -> Result<Option<aws_sdk_iam::types::User>, ProviderError> {
    let got = aws
        .iam()
        .get_user()
        .user_name(name)
        .send()
        .await
        .map_err(sdk_error);
    Ok(ok_if_not_found(got)?.and_then(|out| out.user().cloned()))
}

fn user_attrs(user: &aws_sdk_iam::types::User) -> Attrs {
    let name = user.user_name();
    let mut attrs = Attrs::new();
    attrs.insert("id".into(), Value::string(name));
    attrs.insert("name".into(), Value::string(name));
    attrs.insert("path".into(), Value::string(user.path()));
    attrs.insert(
        "permissions_boundary".into(),
        user.permissions_boundary()
            .and_then(|b| b.permissions_boundary_arn())
            .into(),
    );
    attrs.insert("arn".into(), Value::string(user.arn()));
    attrs.insert("unique_id".into(), Value::string(user.user_id()));
    attrs.insert(
        "tags_all".into(),
        tags_to_value(user.tags().iter().map(|t| (t.key(), t.value()))),
    );
    attrs
}

/// Runs `remove` for each item, one after another; an item already gone
/// is success.
async fn remove_each<T, F, Fut, O, E>(items: Vec<T>, remove: F) -> Result<(), ProviderError>
where
    F: Fn(T) -> Fut,
    Fut: std::future::Future<Output = Result<O, SdkError<E, HttpResponse>>>,
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    for item in items {
        ok_if_already_gone(remove(item).await)?;
    }
    Ok(())
}

/// IAM refuses to delete a user who is in a group; Terraform removes the
/// memberships first, whatever made them.
async fn remove_from_groups(aws: &AwsContext, user: &str) -> Result<(), ProviderError> {
    let groups: Vec<_> = aws
        .iam()
        .list_groups_for_user()
        .user_name(user)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(sdk_error)?;
    remove_each(groups, |group| {
        aws.iam()
            .remove_user_from_group()
            .group_name(group.group_name())
            .user_name(user)
            .send()
    })
    .await
}

/// What `force_destroy` removes besides policies: the user's access keys,
/// login profile, MFA devices, SSH keys and signing certificates.
async fn remove_credentials(aws: &AwsContext, user: &str) -> Result<(), ProviderError> {
    let iam = aws.iam();
    let keys: Vec<_> = iam
        .list_access_keys()
        .user_name(user)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(sdk_error)?;
    let key_ids: Vec<String> = keys
        .iter()
        .filter_map(|k| k.access_key_id().map(String::from))
        .collect();
    remove_each(key_ids, |key| {
        iam.delete_access_key()
            .user_name(user)
            .access_key_id(key)
            .send()
    })
    .await?;
    ok_if_already_gone(iam.delete_login_profile().user_name(user).send().await)?;
    let devices: Vec<_> = iam
        .list_mfa_devices()
        .user_name(user)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(sdk_error)?;
    for device in devices {
        let serial = device.serial_number();
        ok_if_already_gone(
            iam.deactivate_mfa_device()
                .user_name(user)
                .serial_number(serial)
                .send()
                .await,
        )?;
        // A virtual device (its serial is an ARN) outlives deactivation.
        if serial.starts_with("arn:") {
            ok_if_already_gone(
                iam.delete_virtual_mfa_device()
                    .serial_number(serial)
                    .send()
                    .await,
            )?;
        }
    }
    let ssh_keys = iam
        .list_ssh_public_keys()
        .user_name(user)
        .send()
        .await
        .map_err(sdk_error)?;
    remove_each(ssh_keys.ssh_public_keys().to_vec(), |key| {
        iam.delete_ssh_public_key()
            .user_name(user)
            .ssh_public_key_id(key.ssh_public_key_id())
            .send()
    })
    .await?;
    let certificates = iam
        .list_signing_certificates()
        .user_name(user)
        .send()
        .await
        .map_err(sdk_error)?;
    remove_each(certificates.certificates().to_vec(), |certificate| {
        iam.delete_signing_certificate()
            .user_name(user)
            .certificate_id(certificate.certificate_id())
            .send()
    })
    .await
}

/// Deletes the user's inline policies and detaches its managed ones.
async fn remove_policies(aws: &AwsContext, user: &str) -> Result<(), ProviderError> {
    let iam = aws.iam();
    let inline: Vec<String> = iam
        .list_user_policies()
        .user_name(user)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(sdk_error)?;
    remove_each(inline, |policy| {
        iam.delete_user_policy()
            .user_name(user)
            .policy_name(policy)
            .send()
    })
    .await?;
    let attached: Vec<_> = iam
        .list_attached_user_policies()
        .user_name(user)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(sdk_error)?;
    let arns: Vec<String> = attached
        .iter()
        .filter_map(|p| p.policy_arn().map(String::from))
        .collect();
    remove_each(arns, |policy| {
        iam.detach_user_policy()
            .user_name(user)
            .policy_arn(policy)
            .send()
    })
    .await
}
