//! ACM: TLS certificates (HTTPS listeners) and the wait for their
//! validation.

mod certificate;
mod certificate_data_source;
mod certificate_validation;

/// This service's types, for the provider's registry.
pub(super) const TYPES: super::ServiceTypes = super::ServiceTypes {
    name: "ACM",
    resources: &[
        &certificate::AcmCertificate,
        &certificate_validation::AcmCertificateValidation,
    ],
    data_sources: &[&certificate_data_source::AcmCertificateDataSource],
};

use aws_sdk_acm::types::CertificateDetail;

use super::{AwsContext, ok_if_not_found, sdk_error};
use crate::provider::ProviderError;

/// The certificate at `arn`, `None` once it is gone.
async fn describe(aws: &AwsContext, arn: &str) -> Result<Option<CertificateDetail>, ProviderError> {
    let got = aws
        .acm()
        .describe_certificate()
        .certificate_arn(arn)
        .send()
        .await
        .map_err(sdk_error);
    Ok(ok_if_not_found(got)?.and_then(|out| out.certificate))
}

/// The certificate's tags, terrane's own included.
pub(super) async fn certificate_tags(
    aws: &AwsContext,
    arn: &str,
) -> Result<Vec<(String, String)>, ProviderError> {
    let listed = aws
        .acm()
        .list_tags_for_certificate()
        .certificate_arn(arn)
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(listed
        .tags()
        .iter()
        .map(|t| {
            (
                t.key().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect())
}
