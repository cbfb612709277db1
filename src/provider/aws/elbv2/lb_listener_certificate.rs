//! `aws_lb_listener_certificate`: one more certificate on an HTTPS
//! listener, beyond its default one (served by SNI).
//!
//! The id is `listener-arn_certificate-arn`, as in Terraform. Both force a
//! new attachment; delete takes the certificate off the listener.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::Certificate;

use crate::provider::aws::batch::fetch_each;
use crate::provider::aws::convert::{prior_id, required_str};
use crate::provider::aws::names::split_id;
use crate::provider::aws::{AwsContext, ok_if_not_found, sdk_error};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{CreateRequest, Found, ProviderError, ResourceType};
use crate::value::{Attrs, Value};

pub struct LbListenerCertificate;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        vec![
            Attribute::required("listener_arn", Type::String).force_new(),
            Attribute::required("certificate_arn", Type::String).force_new(),
        ],
        vec![],
    )
});

const ID_SHAPE: &str = "LISTENER-ARN_CERTIFICATE-ARN";

fn id_of(listener: &str, certificate: &str) -> String {
    format!("{listener}_{certificate}")
}

/// Whether the listener serves the certificate (its default one aside).
async fn attached(
    aws: &AwsContext,
    listener: &str,
    certificate: &str,
) -> Result<bool, ProviderError> {
    let mut marker: Option<String> = None;
    loop {
        let page = aws
            .elbv2()
            .describe_listener_certificates()
            .listener_arn(listener)
            .set_marker(marker)
            .send()
            .await
            .map_err(sdk_error)?;
        let found = page
            .certificates()
            .iter()
            .any(|c| c.certificate_arn() == Some(certificate) && c.is_default() != Some(true));
        if found {
            return Ok(true);
        }
        marker = page.next_marker().map(str::to_string);
        if marker.is_none() {
            return Ok(false);
        }
    }
}

fn certificate(arn: &str) -> Certificate {
    Certificate::builder().certificate_arn(arn).build()
}

#[async_trait]
impl ResourceType for LbListenerCertificate {
    fn type_name(&self) -> &'static str {
        "aws_lb_listener_certificate"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    /// DescribeListenerCertificates per attachment; a listener that is
    /// gone takes its certificates with it.
    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        fetch_each(ids, |id| async move {
            let [listener, certificate] = split_id::<2>(&id, '_', ID_SHAPE)?;
            let found = ok_if_not_found(attached(aws, listener, certificate).await)?;
            Ok((found == Some(true)).then(|| {
                Attrs::from([
                    ("id".to_string(), Value::string(&id)),
                    ("listener_arn".to_string(), Value::string(listener)),
                    ("certificate_arn".to_string(), Value::string(certificate)),
                ])
            }))
        })
        .await
    }

    /// Adding a certificate twice changes nothing.
    async fn find_created(
        &self,
        _aws: &AwsContext,
        _req: &CreateRequest<'_>,
    ) -> Result<Found, ProviderError> {
        Ok(Found::Nothing)
    }

    async fn create(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<String, ProviderError> {
        let listener = required_str(req.planned, "listener_arn")?;
        let arn = required_str(req.planned, "certificate_arn")?;
        aws.elbv2()
            .add_listener_certificates()
            .listener_arn(listener)
            .certificates(certificate(arn))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(id_of(listener, arn))
    }

    async fn update(
        &self,
        _aws: &AwsContext,
        _prior: &Attrs,
        _planned: &Attrs,
    ) -> Result<(), ProviderError> {
        // Both arguments force a new attachment.
        Ok(())
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let id = prior_id(prior)?;
        let [listener, arn] = split_id::<2>(id, '_', ID_SHAPE)?;
        ok_if_not_found(
            aws.elbv2()
                .remove_listener_certificates()
                .listener_arn(listener)
                .certificates(certificate(arn))
                .send()
                .await
                .map_err(sdk_error),
        )?;
        Ok(())
    }
}
