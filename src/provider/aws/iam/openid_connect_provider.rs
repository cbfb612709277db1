//! `aws_iam_openid_connect_provider`: trust in an OpenID Connect issuer,
//! such as an EKS cluster's, so Kubernetes service accounts can assume IAM
//! roles (IRSA: the cluster autoscaler, Karpenter, the load balancer
//! controller).
//!
//! The id is the provider's ARN, as in Terraform. The URL forces a new
//! provider (it compares with or without `https://`, as IAM stores it
//! without); client ids, thumbprints and tags change in place.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use async_trait::async_trait;
use aws_sdk_iam::operation::get_open_id_connect_provider::GetOpenIdConnectProviderOutput;
use futures::TryFutureExt;

use super::{iam_tags, iam_update_tags};
use crate::provider::aws::batch::fetch_each;
use crate::provider::aws::convert::{prior_id, required_str, string_set};
use crate::provider::aws::tags::{create_tags, owner_of_named, tags_to_value};
use crate::provider::aws::{AwsContext, ok_if_not_found, sdk_error};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{CreateRequest, ErrorKind, Found, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value};

pub struct OpenIdConnectProvider;

/// An issuer URL as IAM keeps it: without its scheme.
fn without_scheme(url: &str) -> String {
    url.strip_prefix("https://").unwrap_or(url).to_string()
}

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::with_tags(
        vec![
            Attribute::required("url", Type::String)
                .force_new()
                .normalized_with(without_scheme),
            Attribute::required("client_id_list", Type::set_of(Type::String)),
            Attribute::optional_computed("thumbprint_list", Type::list_of(Type::String)),
            Attribute::computed("arn", Type::String),
        ],
        vec![],
    )
});

async fn get_provider(
    aws: &AwsContext,
    arn: &str,
) -> Result<Option<GetOpenIdConnectProviderOutput>, ProviderError> {
    let got = aws
        .iam()
        .get_open_id_connect_provider()
        .open_id_connect_provider_arn(arn)
        .send()
        .await
        .map_err(sdk_error);
    ok_if_not_found(got)
}

async fn read_provider(aws: &AwsContext, arn: &str) -> Result<Option<Attrs>, ProviderError> {
    let Some(provider) = get_provider(aws, arn).await? else {
        return Ok(None);
    };
    let mut attrs = Attrs::new();
    attrs.insert("id".into(), Value::string(arn));
    attrs.insert("arn".into(), Value::string(arn));
    attrs.insert("url".into(), provider.url().map(without_scheme).into());
    attrs.insert(
        "client_id_list".into(),
        string_set(provider.client_id_list().to_vec()),
    );
    attrs.insert(
        "thumbprint_list".into(),
        Value::from(provider.thumbprint_list().to_vec()),
    );
    attrs.insert(
        "tags_all".into(),
        tags_to_value(provider.tags().iter().map(|t| (t.key(), t.value()))),
    );
    Ok(Some(attrs))
}

#[async_trait]
impl ResourceType for OpenIdConnectProvider {
    fn type_name(&self) -> &'static str {
        "aws_iam_openid_connect_provider"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    /// One GetOpenIDConnectProvider per provider.
    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        fetch_each(ids, |arn| async move { read_provider(aws, &arn).await }).await
    }

    /// IAM allows one provider per URL: the one with this create's URL.
    async fn find_created(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<Found, ProviderError> {
        let url = without_scheme(required_str(req.planned, "url")?);
        let listed = aws
            .iam()
            .list_open_id_connect_providers()
            .send()
            .await
            .map_err(sdk_error)?;
        for entry in listed.open_id_connect_provider_list() {
            let Some(arn) = entry.arn() else { continue };
            if let Some(provider) = get_provider(aws, arn).await?
                && provider.url().map(without_scheme).as_deref() == Some(url.as_str())
            {
                let tags = provider.tags().iter().map(|t| (t.key(), t.value()));
                return Ok(owner_of_named(aws, req, arn.to_string(), tags));
            }
        }
        Ok(Found::Nothing)
    }

    async fn create(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<String, ProviderError> {
        let planned = req.planned;
        let thumbprints = planned.strings("thumbprint_list");
        let created = aws
            .iam()
            .create_open_id_connect_provider()
            .url(required_str(planned, "url")?)
            .set_client_id_list(Some(planned.strings("client_id_list")))
            .set_thumbprint_list((!thumbprints.is_empty()).then_some(thumbprints))
            .set_tags(Some(iam_tags(&create_tags(aws, req))?))
            .send()
            .await
            .map_err(sdk_error)?;
        created
            .open_id_connect_provider_arn()
            .map(str::to_string)
            .ok_or_else(|| {
                ProviderError::new(
                    ErrorKind::Other,
                    "CreateOpenIDConnectProvider answered without an ARN",
                )
            })
    }

    async fn update(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        let arn = prior_id(prior)?;
        let (before, after) = (
            prior.strings("client_id_list"),
            planned.strings("client_id_list"),
        );
        for client in after.iter().filter(|c| !before.contains(c)) {
            aws.iam()
                .add_client_id_to_open_id_connect_provider()
                .open_id_connect_provider_arn(arn)
                .client_id(client)
                .send()
                .await
                .map_err(sdk_error)?;
        }
        for client in before.iter().filter(|c| !after.contains(c)) {
            aws.iam()
                .remove_client_id_from_open_id_connect_provider()
                .open_id_connect_provider_arn(arn)
                .client_id(client)
                .send()
                .await
                .map_err(sdk_error)?;
        }
        let thumbprints = planned.strings("thumbprint_list");
        if !thumbprints.is_empty() && thumbprints != prior.strings("thumbprint_list") {
            aws.iam()
                .update_open_id_connect_provider_thumbprint()
                .open_id_connect_provider_arn(arn)
                .set_thumbprint_list(Some(thumbprints))
                .send()
                .await
                .map_err(sdk_error)?;
        }
        iam_update_tags!(
            aws,
            prior,
            planned,
            untag_open_id_connect_provider,
            tag_open_id_connect_provider,
            open_id_connect_provider_arn(arn)
        )
        .await
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        ok_if_not_found(
            aws.iam()
                .delete_open_id_connect_provider()
                .open_id_connect_provider_arn(prior_id(prior)?)
                .send()
                .await
                .map_err(sdk_error),
        )?;
        Ok(())
    }
}
