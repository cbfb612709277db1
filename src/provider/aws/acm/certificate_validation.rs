//! `aws_acm_certificate_validation`: waits until a certificate is issued
//! (its DNS records in place, or its emails answered). It makes nothing in
//! AWS.
//!
//! Terraform gives it the issue time as id and cannot import it; terrane's
//! id is the certificate's ARN, so it reads back and imports by that. It
//! exists while the certificate is issued; a destroy only forgets it.
//! With `validation_record_fqdns`, every DNS record the certificate needs
//! must be among them, as the provider checks.

use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_acm::types::{CertificateStatus, ValidationMethod};

use super::describe;
use crate::provider::aws::batch::fetch_each;
use crate::provider::aws::convert::required_str;
use crate::provider::aws::{AwsContext, Timeouts, wait_until};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{CreateRequest, ErrorKind, Found, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value};

pub struct AcmCertificateValidation;

/// The provider's default: 75 minutes for DNS to propagate and ACM to look.
const DEFAULT_TIMEOUTS: Timeouts = Timeouts {
    create: Duration::from_secs(75 * 60),
    update: Duration::from_secs(75 * 60),
    delete: Duration::from_secs(75 * 60),
};

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        vec![
            Attribute::required("certificate_arn", Type::String).force_new(),
            Attribute::optional("validation_record_fqdns", Type::set_of(Type::String)).force_new(),
        ],
        vec![Timeouts::block(&["create"])],
    )
});

/// A DNS name without its trailing dot, compared without case.
fn fqdn(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

#[async_trait]
impl ResourceType for AcmCertificateValidation {
    fn type_name(&self) -> &'static str {
        "aws_acm_certificate_validation"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    /// DescribeCertificate per certificate: there while it is issued.
    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        fetch_each(ids, |arn| async move {
            let Some(cert) = describe(aws, &arn).await? else {
                return Ok(None);
            };
            if cert.status() != Some(&CertificateStatus::Issued) {
                return Ok(None);
            }
            Ok(Some(Attrs::from([
                ("id".to_string(), Value::string(&arn)),
                ("certificate_arn".to_string(), Value::string(&arn)),
            ])))
        })
        .await
    }

    /// The validation of an issued certificate makes nothing to find
    /// apart from the certificate: it is there when that is issued.
    async fn find_created(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<Found, ProviderError> {
        let Some(arn) = req.planned.str("certificate_arn") else {
            return Ok(Found::Nothing);
        };
        // The record names live only in state: found once they are known
        // (state rebuild finds the records first), so they are recorded.
        if req
            .planned
            .get("validation_record_fqdns")
            .is_some_and(|fqdns| !fqdns.is_wholly_known())
        {
            return Ok(Found::Nothing);
        }
        let issued = describe(aws, arn)
            .await?
            .is_some_and(|cert| cert.status() == Some(&CertificateStatus::Issued));
        Ok(if issued {
            Found::Ours(arn.to_string())
        } else {
            Found::Nothing
        })
    }

    /// Terraform's id is the issue time; the certificate is in the
    /// attributes.
    fn id_from_terraform(&self, terraform_id: &str, attributes: &Attrs) -> String {
        attributes
            .str("certificate_arn")
            .unwrap_or(terraform_id)
            .to_string()
    }

    async fn create(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<String, ProviderError> {
        let arn = required_str(req.planned, "certificate_arn")?;
        let fqdns = req.planned.strings("validation_record_fqdns");
        if !fqdns.is_empty() {
            let given: Vec<String> = fqdns.iter().map(|f| fqdn(f)).collect();
            let cert = describe(aws, arn).await?.ok_or_else(|| {
                ProviderError::new(ErrorKind::NotFound, format!("certificate {arn} not found"))
            })?;
            let missing: Vec<String> = cert
                .domain_validation_options()
                .iter()
                .filter(|v| v.validation_method() == Some(&ValidationMethod::Dns))
                .filter_map(|v| v.resource_record().map(|r| fqdn(r.name())))
                .filter(|name| !given.contains(name))
                .collect();
            if !missing.is_empty() {
                return Err(ProviderError::new(
                    ErrorKind::Validation,
                    format!(
                        "validation_record_fqdns lacks the record(s) {} that certificate {arn} needs",
                        missing.join(", ")
                    ),
                ));
            }
        }
        let timeout = Timeouts::from_attrs(req.planned, DEFAULT_TIMEOUTS).create;
        wait_until(
            &format!("certificate {arn} to be issued"),
            timeout,
            || async {
                let cert = describe(aws, arn).await?.ok_or_else(|| {
                    ProviderError::new(ErrorKind::NotFound, format!("certificate {arn} not found"))
                })?;
                match cert.status() {
                    Some(CertificateStatus::Issued) => Ok(Some(())),
                    Some(CertificateStatus::PendingValidation) | None => Ok(None),
                    Some(other) => Err(ProviderError::new(
                        ErrorKind::Other,
                        format!(
                            "certificate {arn} is {} and will not be issued",
                            other.as_str()
                        ),
                    )),
                }
            },
        )
        .await?;
        Ok(arn.to_string())
    }

    async fn update(
        &self,
        _aws: &AwsContext,
        _prior: &Attrs,
        _planned: &Attrs,
    ) -> Result<(), ProviderError> {
        // Every argument forces a new one; only `timeouts` changes here.
        Ok(())
    }

    async fn delete(&self, _aws: &AwsContext, _prior: &Attrs) -> Result<(), ProviderError> {
        Ok(())
    }
}
