//! `aws_iam_group`: an IAM group and its path.
//!
//! The id is the group name, as in Terraform; a rename or a new path is
//! made in place (UpdateGroup), so the id can change on update. Groups take
//! no tags: after a lost create answer, a group of that name is this
//! create's own only if IAM made it after the create began.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use async_trait::async_trait;

use crate::provider::aws::batch::fetch_each;
use crate::provider::aws::convert::{differs, made_since, prior_id};
use crate::provider::aws::{AwsContext, ok_if_not_found, sdk_error};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{CreateRequest, Found, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value};

pub struct IamGroup;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        vec![
            Attribute::required("name", Type::String),
            Attribute::optional("path", Type::String).default("/"),
            Attribute::computed("arn", Type::String),
            Attribute::computed("unique_id", Type::String),
        ],
        vec![],
    )
});

#[async_trait]
impl ResourceType for IamGroup {
    fn type_name(&self) -> &'static str {
        "aws_iam_group"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    /// IAM has no batched get-by-name: one GetGroup per group, concurrently.
    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        fetch_each(ids, |name| async move {
            Ok(find_group(aws, &name).await?.as_ref().map(group_attrs))
        })
        .await
    }

    async fn find_created(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<Found, ProviderError> {
        let name = req.planned.str("name").unwrap_or_default().to_string();
        Ok(match find_group(aws, &name).await? {
            Some(group) if made_since(group.create_date(), req.started) => Found::Ours(name),
            Some(_) => Found::Foreign(name),
            None => Found::Nothing,
        })
    }

    async fn create(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<String, ProviderError> {
        let name = req.planned.str("name").unwrap_or_default().to_string();
        aws.iam()
            .create_group()
            .group_name(&name)
            .path(req.planned.str("path").unwrap_or("/"))
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

    /// A rename gives the group, and so the object, a new id.
    async fn update_returning_id(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<String, ProviderError> {
        let name = prior_id(prior)?;
        let renamed = differs(prior, planned, "name");
        let moved = differs(prior, planned, "path");
        let new_name = planned.str("name").unwrap_or(name).to_string();
        if renamed || moved {
            aws.iam()
                .update_group()
                .group_name(name)
                .set_new_group_name(renamed.then(|| new_name.clone()))
                .set_new_path(moved.then(|| planned.str("path").unwrap_or("/").to_string()))
                .send()
                .await
                .map_err(sdk_error)?;
        }
        Ok(new_name)
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let name = prior_id(prior)?;
        let deleted = aws
            .iam()
            .delete_group()
            .group_name(name)
            .send()
            .await
            .map_err(sdk_error);
        ok_if_not_found(deleted)?;
        Ok(())
    }
}

/// GetGroup, with "no such group" as `None`.
async fn find_group(
    aws: &AwsContext,
    name: &str,
) -> Result<Option<aws_sdk_iam::types::Group>, ProviderError> {
    let got = aws
        .iam()
        .get_group()
        .group_name(name)
        .send()
        .await
        .map_err(sdk_error);
    Ok(ok_if_not_found(got)?.and_then(|out| out.group().cloned()))
}

fn group_attrs(group: &aws_sdk_iam::types::Group) -> Attrs {
    let name = group.group_name();
    let mut attrs = Attrs::new();
    attrs.insert("id".into(), Value::string(name));
    attrs.insert("name".into(), Value::string(name));
    attrs.insert("path".into(), Value::string(group.path()));
    attrs.insert("arn".into(), Value::string(group.arn()));
    attrs.insert("unique_id".into(), Value::string(group.group_id()));
    attrs
}
