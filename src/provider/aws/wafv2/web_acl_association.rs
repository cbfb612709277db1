//! `aws_wafv2_web_acl_association`: puts a regional web ACL in front of a
//! resource (an ALB, API Gateway stage, …).
//!
//! The id is `WEB_ACL_ARN,RESOURCE_ARN`, as in Terraform. Both arguments
//! force replacement, so there is nothing to update. A resource has at most
//! one web ACL, so GetWebACLForResource reads an association.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use async_trait::async_trait;

use crate::provider::aws::batch::{fetch_each, found_if_readable};
use crate::provider::aws::names::split_id;
use crate::provider::aws::{AwsContext, ok_if_already_gone, sdk_error};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{CreateRequest, Found, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value};

pub struct WebAclAssociation;

const ID_SHAPE: &str = "WEB_ACL_ARN,RESOURCE_ARN";

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        vec![
            Attribute::required("resource_arn", Type::String).force_new(),
            Attribute::required("web_acl_arn", Type::String).force_new(),
        ],
        vec![],
    )
});

#[async_trait]
impl ResourceType for WebAclAssociation {
    fn type_name(&self) -> &'static str {
        "aws_wafv2_web_acl_association"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    /// GetWebACLForResource per id (WAFv2 has no batched form). An
    /// association is absent when the resource has no web ACL, or another one.
    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        fetch_each(ids, |id| async move {
            let [web_acl_arn, resource_arn] = split_id::<2>(&id, ',', ID_SHAPE)?;
            let out = aws
                .wafv2()
                .get_web_acl_for_resource()
                .resource_arn(resource_arn)
                .send()
                .await
                .map_err(sdk_error)?;
            let associated = out.web_acl().is_some_and(|acl| acl.arn() == web_acl_arn);
            Ok(associated.then(|| {
                Attrs::from([
                    ("id".into(), Value::string(id.as_str())),
                    ("resource_arn".into(), Value::string(resource_arn)),
                    ("web_acl_arn".into(), Value::string(web_acl_arn)),
                ])
            }))
        })
        .await
    }

    /// AWS may not see a just-created web ACL yet
    /// (WAFUnavailableEntityException); that is a Conflict the engine retries,
    /// and associating again is harmless.
    /// The resource's association with the ACL, when it exists.
    async fn find_created(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<Found, ProviderError> {
        let known = ["web_acl_arn", "resource_arn"]
            .iter()
            .all(|key| req.planned.str(key).is_some());
        found_if_readable(self, aws, known.then(|| association_id(req.planned))).await
    }

    async fn create(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<String, ProviderError> {
        let web_acl_arn = req.planned.str("web_acl_arn").unwrap_or_default();
        let resource_arn = req.planned.str("resource_arn").unwrap_or_default();
        aws.wafv2()
            .associate_web_acl()
            .web_acl_arn(web_acl_arn)
            .resource_arn(resource_arn)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(association_id(req.planned))
    }

    async fn update(
        &self,
        _aws: &AwsContext,
        _prior: &Attrs,
        _planned: &Attrs,
    ) -> Result<(), ProviderError> {
        // Both arguments are force_new: any change is a replacement.
        Ok(())
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let resource_arn = prior.str("resource_arn").unwrap_or_default();
        ok_if_already_gone(
            aws.wafv2()
                .disassociate_web_acl()
                .resource_arn(resource_arn)
                .send()
                .await,
        )
    }
}

/// `<web_acl_arn>,<resource_arn>`, as in Terraform.
fn association_id(planned: &Attrs) -> String {
    let web_acl_arn = planned.str("web_acl_arn").unwrap_or_default();
    let resource_arn = planned.str("resource_arn").unwrap_or_default();
    format!("{web_acl_arn},{resource_arn}")
}
