//! `aws_iam_instance_profile`: the container that hands a role to EC2
//! instances (launch templates name it).
//!
//! The id is the profile's name, as in Terraform. The role changes in
//! place (removed, then the new one added: a profile holds at most one);
//! delete takes the role out first, as IAM requires.

use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use aws_smithy_types::date_time::Format;
use futures::TryFutureExt;

use super::{iam_tags, iam_update_tags};
use crate::provider::aws::batch::fetch_each;
use crate::provider::aws::convert::{differs, prior_id};
use crate::provider::aws::names::{name_for_create, prefix_from_name};
use crate::provider::aws::tags::{create_tags, owner_of_named, tags_to_value};
use crate::provider::aws::{
    AwsContext, ok_if_already_gone, ok_if_not_found, sdk_error, wait_until,
};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{CreateRequest, Found, Listed, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value};

/// How long a new profile may take to become readable.
const PROPAGATION_TIMEOUT: Duration = Duration::from_secs(120);

pub struct IamInstanceProfile;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let attributes = vec![
        Attribute::optional_computed("name", Type::String).force_new(),
        Attribute::optional_computed("name_prefix", Type::String).force_new(),
        Attribute::optional("path", Type::String)
            .default("/")
            .force_new(),
        Attribute::optional("role", Type::String),
        Attribute::computed("arn", Type::String),
        Attribute::computed("unique_id", Type::String),
        Attribute::computed("create_date", Type::String),
    ];
    Schema::with_tags(attributes, vec![])
});

async fn find_profile(
    aws: &AwsContext,
    name: &str,
) -> Result<Option<aws_sdk_iam::types::InstanceProfile>, ProviderError> {
    let got = aws
        .iam()
        .get_instance_profile()
        .instance_profile_name(name)
        .send()
        .await
        .map_err(sdk_error);
    Ok(ok_if_not_found(got)?.and_then(|out| out.instance_profile().cloned()))
}

fn profile_attrs(profile: &aws_sdk_iam::types::InstanceProfile) -> Attrs {
    let name = profile.instance_profile_name();
    let role = profile.roles().first().map(|r| r.role_name());
    let mut attrs = Attrs::new();
    attrs.insert("id".into(), Value::string(name));
    attrs.insert("name".into(), Value::string(name));
    attrs.insert("name_prefix".into(), prefix_from_name(name));
    attrs.insert("path".into(), Value::string(profile.path()));
    attrs.insert("role".into(), role.into());
    attrs.insert("arn".into(), Value::string(profile.arn()));
    attrs.insert(
        "unique_id".into(),
        Value::string(profile.instance_profile_id()),
    );
    attrs.insert(
        "create_date".into(),
        profile.create_date().fmt(Format::DateTime).ok().into(),
    );
    attrs.insert(
        "tags_all".into(),
        tags_to_value(profile.tags().iter().map(|t| (t.key(), t.value()))),
    );
    attrs
}

async fn add_role(aws: &AwsContext, name: &str, role: &str) -> Result<(), ProviderError> {
    aws.iam()
        .add_role_to_instance_profile()
        .instance_profile_name(name)
        .role_name(role)
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(())
}

async fn remove_role(aws: &AwsContext, name: &str, role: &str) -> Result<(), ProviderError> {
    ok_if_already_gone(
        aws.iam()
            .remove_role_from_instance_profile()
            .instance_profile_name(name)
            .role_name(role)
            .send()
            .await,
    )
}

#[async_trait]
impl ResourceType for IamInstanceProfile {
    fn type_name(&self) -> &'static str {
        "aws_iam_instance_profile"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    /// One GetInstanceProfile per profile.
    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        fetch_each(ids, |name| async move {
            Ok(find_profile(aws, &name).await?.as_ref().map(profile_attrs))
        })
        .await
    }

    async fn find_created(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<Found, ProviderError> {
        let name = name_for_create(req.planned, "name", "name_prefix", req.client_token);
        Ok(match find_profile(aws, &name).await? {
            Some(profile) => {
                let tags = profile.tags().iter().map(|t| (t.key(), t.value()));
                owner_of_named(aws, req, name.clone(), tags)
            }
            None => Found::Nothing,
        })
    }

    async fn list_tagged(&self, aws: &AwsContext) -> Result<Vec<Listed>, ProviderError> {
        let profiles: Vec<_> = aws
            .iam()
            .list_instance_profiles()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(sdk_error)?;
        Ok(profiles
            .iter()
            .map(|p| {
                let tags = p.tags().iter();
                let tags = tags.map(|t| (t.key().to_string(), t.value().to_string()));
                (p.instance_profile_name().to_string(), tags.collect())
            })
            .collect())
    }

    async fn create(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<String, ProviderError> {
        let planned = req.planned;
        let name = name_for_create(planned, "name", "name_prefix", req.client_token);
        aws.iam()
            .create_instance_profile()
            .instance_profile_name(&name)
            .path(planned.str("path").unwrap_or("/"))
            .set_tags(Some(iam_tags(&create_tags(aws, req))?))
            .send()
            .await
            .map_err(sdk_error)?;
        if let Some(role) = planned.str("role") {
            add_role(aws, &name, role).await?;
        }
        wait_until(
            &format!("IAM instance profile {name} to be readable"),
            PROPAGATION_TIMEOUT,
            || async { Ok(find_profile(aws, &name).await?.map(|_| ())) },
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
        if differs(prior, planned, "role") {
            if let Some(old) = prior.str("role") {
                remove_role(aws, name, old).await?;
            }
            if let Some(new) = planned.str("role") {
                add_role(aws, name, new).await?;
            }
        }
        iam_update_tags!(
            aws,
            prior,
            planned,
            untag_instance_profile,
            tag_instance_profile,
            instance_profile_name(name)
        )
        .await
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let name = prior_id(prior)?;
        let result: Result<(), ProviderError> = async {
            // The role as AWS has it now, not as state last saw it.
            if let Some(profile) = find_profile(aws, name).await? {
                for role in profile.roles() {
                    remove_role(aws, name, role.role_name()).await?;
                }
            }
            aws.iam()
                .delete_instance_profile()
                .instance_profile_name(name)
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
