//! `aws_acm_certificate`: a certificate ACM issues (by DNS or email
//! validation, or from a private CA) or one imported with its key.
//!
//! The id is the certificate's ARN, as in Terraform. What the certificate
//! is for (domains, validation method, key algorithm, CA) forces a new
//! one; an imported certificate's body, key and chain are imported again
//! in place, and its options and tags change in place. For DNS validation
//! the plan already knows which domains need a record (the provider's
//! CustomizeDiff does the same), so `for_each` over
//! `domain_validation_options` works on the first plan.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use async_trait::async_trait;
#[allow(deprecated)] // See `options`.
use aws_sdk_acm::types::CertificateTransparencyLoggingPreference;
use aws_sdk_acm::types::{CertificateDetail, CertificateOptions, DomainValidationOption, Tag};
use aws_smithy_types::date_time::Format;
use futures::TryFutureExt;

use super::{certificate_tags, describe};
use crate::provider::aws::batch::fetch_each;
use crate::provider::aws::convert::{
    block, differs, made_since, nested, prior_id, single, string_set,
};
use crate::provider::aws::tags::{create_tags, stack_address, tags_to_value, update_tags_all};
use crate::provider::aws::{AwsContext, ok_if_not_found, sdk_error, wait_until};
use crate::provider::schema::{Attribute, Block, Schema, Type};
use crate::provider::{CreateRequest, ErrorKind, Found, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value};

pub struct AcmCertificate;

/// How long ACM may take to name a new certificate's validation records.
const VALIDATION_RECORDS_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

fn validation_record_type() -> Type {
    Type::object(&[
        ("domain_name", Type::String),
        ("resource_record_name", Type::String),
        ("resource_record_type", Type::String),
        ("resource_record_value", Type::String),
    ])
}

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let attributes = vec![
        Attribute::optional_computed("domain_name", Type::String).force_new(),
        Attribute::optional_computed("subject_alternative_names", Type::set_of(Type::String))
            .force_new(),
        Attribute::optional_computed("validation_method", Type::String).force_new(),
        // ACM answers `RSA-2048` for the `RSA_2048` it was asked for.
        Attribute::optional_computed("key_algorithm", Type::String)
            .force_new()
            .normalized_with(|algorithm| algorithm.replace('-', "_")),
        Attribute::optional("certificate_authority_arn", Type::String).force_new(),
        Attribute::optional("certificate_body", Type::String),
        Attribute::optional("certificate_chain", Type::String),
        Attribute::optional("private_key", Type::String).sensitive(),
        Attribute::optional("early_renewal_duration", Type::String),
        Attribute::computed("arn", Type::String),
        Attribute::computed(
            "domain_validation_options",
            Type::set_of(validation_record_type()),
        ),
        Attribute::computed("not_after", Type::String),
        Attribute::computed("not_before", Type::String),
        Attribute::computed("pending_renewal", Type::Bool),
        Attribute::computed("renewal_eligibility", Type::String),
        Attribute::computed(
            "renewal_summary",
            Type::list_of(Type::object(&[
                ("renewal_status", Type::String),
                ("renewal_status_reason", Type::String),
                ("updated_at", Type::String),
            ])),
        ),
        Attribute::computed("status", Type::String),
        Attribute::computed("type", Type::String),
        Attribute::computed("validation_emails", Type::list_of(Type::String)),
    ];
    let blocks = vec![
        Block::single(
            "options",
            Schema::new(
                vec![
                    Attribute::optional(
                        "certificate_transparency_logging_preference",
                        Type::String,
                    )
                    .default("ENABLED"),
                ],
                vec![],
            ),
        )
        .computed_when_absent(),
        Block::set(
            "validation_option",
            Schema::new(
                vec![
                    Attribute::required("domain_name", Type::String),
                    Attribute::required("validation_domain", Type::String),
                ],
                vec![],
            ),
        )
        .force_new(),
    ];
    Schema::with_tags(attributes, blocks)
});

fn time(t: Option<&aws_smithy_types::DateTime>) -> Value {
    t.and_then(|t| t.fmt(Format::DateTime).ok()).into()
}

#[allow(deprecated)] // The transparency-logging preference: see `options`.
fn certificate_attrs(cert: &CertificateDetail, tags: Vec<(String, String)>) -> Attrs {
    let arn = cert.certificate_arn().unwrap_or_default();
    let domain = cert.domain_name().unwrap_or_default();
    let validations = cert.domain_validation_options();
    let records: Vec<Value> = validations
        .iter()
        .filter_map(|v| {
            let record = v.resource_record()?;
            Some(Value::Map(
                nested([
                    ("domain_name", Value::string(v.domain_name())),
                    ("resource_record_name", Value::string(record.name())),
                    (
                        "resource_record_type",
                        Value::string(record.r#type().as_str()),
                    ),
                    ("resource_record_value", Value::string(record.value())),
                ])
                .into(),
            ))
        })
        .collect();
    let emails: Vec<String> = validations
        .iter()
        .flat_map(|v| v.validation_emails().iter().cloned())
        .collect();
    let method = validations
        .first()
        .and_then(|v| v.validation_method())
        .map(|m| m.as_str().to_string())
        // Imported and private certificates have none; Terraform says NONE.
        .unwrap_or_else(|| "NONE".to_string());
    // The domain itself is listed first among the names; Terraform's SANs
    // are the others.
    let alternatives = cert
        .subject_alternative_names()
        .iter()
        .filter(|name| name.as_str() != domain);
    let renewal = cert.renewal_summary().map(|r| {
        Value::Map(
            nested([
                ("renewal_status", Value::string(r.renewal_status().as_str())),
                (
                    "renewal_status_reason",
                    r.renewal_status_reason().map(|s| s.as_str()).into(),
                ),
                ("updated_at", time(Some(r.updated_at()))),
            ])
            .into(),
        )
    });
    let logging = cert
        .options()
        .and_then(|o| o.certificate_transparency_logging_preference())
        .map_or("ENABLED", |p| p.as_str());
    let mut attrs = Attrs::new();
    attrs.insert("id".into(), Value::string(arn));
    attrs.insert("arn".into(), Value::string(arn));
    attrs.insert("domain_name".into(), Value::string(domain));
    attrs.insert(
        "subject_alternative_names".into(),
        string_set(alternatives.cloned()),
    );
    attrs.insert("validation_method".into(), Value::string(method));
    attrs.insert(
        "key_algorithm".into(),
        cert.key_algorithm().map(|k| k.as_str()).into(),
    );
    attrs.insert(
        "certificate_authority_arn".into(),
        cert.certificate_authority_arn().into(),
    );
    attrs.insert(
        "domain_validation_options".into(),
        Value::List(records.into()).into_set(),
    );
    attrs.insert("validation_emails".into(), Value::from(emails));
    attrs.insert("not_after".into(), time(cert.not_after()));
    attrs.insert("not_before".into(), time(cert.not_before()));
    attrs.insert(
        "pending_renewal".into(),
        Value::Bool(cert.renewal_summary().is_some()),
    );
    attrs.insert(
        "renewal_eligibility".into(),
        cert.renewal_eligibility().map(|r| r.as_str()).into(),
    );
    attrs.insert(
        "renewal_summary".into(),
        Value::List(renewal.into_iter().collect()),
    );
    attrs.insert("status".into(), cert.status().map(|s| s.as_str()).into());
    attrs.insert("type".into(), cert.r#type().map(|t| t.as_str()).into());
    attrs.insert(
        "options".into(),
        block(nested([(
            "certificate_transparency_logging_preference",
            Value::string(logging),
        )])),
    );
    attrs.insert("tags_all".into(), tags_to_value(tags));
    attrs
}

async fn read_certificate(aws: &AwsContext, arn: &str) -> Result<Option<Attrs>, ProviderError> {
    let Some(cert) = describe(aws, arn).await? else {
        return Ok(None);
    };
    let tags = certificate_tags(aws, arn).await?;
    Ok(Some(certificate_attrs(&cert, tags)))
}

fn acm_tags(tags: BTreeMap<String, String>) -> Result<Vec<Tag>, ProviderError> {
    tags.into_iter()
        .map(|(key, value)| {
            Tag::builder()
                .key(key)
                .value(value)
                .build()
                .map_err(|e| ProviderError::new(ErrorKind::Validation, e.to_string()))
        })
        .collect()
}

/// The SDK marks the transparency-logging preference deprecated (AWS no
/// longer lets new certificates opt out); Terraform's provider still has
/// the argument, so terrane sends what is written and AWS decides.
#[allow(deprecated)]
fn options(planned: &Attrs) -> Option<CertificateOptions> {
    let preference =
        single(planned, "options")?.str("certificate_transparency_logging_preference")?;
    Some(
        CertificateOptions::builder()
            .certificate_transparency_logging_preference(
                CertificateTransparencyLoggingPreference::from(preference),
            )
            .build(),
    )
}

/// Imports (or imports again, over `arn`) the certificate the arguments
/// carry.
async fn import(
    aws: &AwsContext,
    arn: Option<&str>,
    planned: &Attrs,
    tags: Option<Vec<Tag>>,
) -> Result<String, ProviderError> {
    let bytes = |key: &str| {
        planned
            .str(key)
            .map(|text| aws_smithy_types::Blob::new(text.as_bytes().to_vec()))
    };
    let imported = aws
        .acm()
        .import_certificate()
        .set_certificate_arn(arn.map(str::to_string))
        .set_certificate(bytes("certificate_body"))
        .set_private_key(bytes("private_key"))
        .set_certificate_chain(bytes("certificate_chain"))
        .set_tags(tags)
        .send()
        .await
        .map_err(sdk_error)?;
    imported
        .certificate_arn()
        .map(str::to_string)
        .ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Other,
                "ImportCertificate answered without an ARN",
            )
        })
}

#[async_trait]
impl ResourceType for AcmCertificate {
    fn type_name(&self) -> &'static str {
        "aws_acm_certificate"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    /// DescribeCertificate and ListTagsForCertificate per certificate.
    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        fetch_each(ids, |arn| async move { read_certificate(aws, &arn).await }).await
    }

    /// The names DNS validation needs records for are known from the
    /// configuration: the domain and each alternative name, their records
    /// unknown until ACM makes them.
    fn planned_computed(&self, config: &Attrs) -> Attrs {
        let mut known = Attrs::new();
        if config.str("validation_method") != Some("DNS")
            || config.str("certificate_body").is_some()
        {
            return known;
        }
        let Some(domain) = config.str("domain_name") else {
            return known;
        };
        // Names not known yet would leave records out: then nothing is told.
        if !config
            .get("subject_alternative_names")
            .is_none_or(Value::is_wholly_known)
        {
            return known;
        }
        let mut names = vec![domain.to_string()];
        names.extend(config.strings("subject_alternative_names"));
        names.sort();
        names.dedup();
        let records = names.into_iter().map(|name| {
            Value::Map(
                Attrs::from([
                    ("domain_name".to_string(), Value::string(name)),
                    ("resource_record_name".to_string(), Value::Unknown),
                    ("resource_record_type".to_string(), Value::Unknown),
                    ("resource_record_value".to_string(), Value::Unknown),
                ])
                .into(),
            )
        });
        known.insert(
            "domain_validation_options".into(),
            Value::List(records.collect()).into_set(),
        );
        known
    }

    /// The certificate this create made carries its address in terrane's
    /// tags (a request's idempotency token already makes a retry within
    /// the hour return the same certificate).
    async fn find_created(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<Found, ProviderError> {
        let mut pages = aws.acm().list_certificates().into_paginator().send();
        while let Some(page) = pages.next().await {
            for summary in page.map_err(sdk_error)?.certificate_summary_list() {
                let Some(arn) = summary.certificate_arn() else {
                    continue;
                };
                let tags = ok_if_not_found(certificate_tags(aws, arn).await)?.unwrap_or_default();
                if stack_address(aws, tags).as_deref() != Some(req.address) {
                    continue;
                }
                // The old certificate of a create_before_destroy replacement
                // carries the same tags: only one made since this create
                // began is its own.
                let made = describe(aws, arn)
                    .await?
                    .and_then(|cert| cert.created_at().or(cert.imported_at()).copied());
                if made.is_some_and(|t| made_since(&t, req.started)) {
                    return Ok(Found::Ours(arn.to_string()));
                }
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
        let tags = acm_tags(create_tags(aws, req))?;
        if planned.str("certificate_body").is_some() {
            return import(aws, None, planned, Some(tags)).await;
        }
        let validation_options = planned
            .blocks("validation_option")
            .into_iter()
            .map(|option| {
                DomainValidationOption::builder()
                    .set_domain_name(option.str("domain_name").map(str::to_string))
                    .set_validation_domain(option.str("validation_domain").map(str::to_string))
                    .build()
                    .map_err(|e| ProviderError::new(ErrorKind::Validation, e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let alternatives = planned.strings("subject_alternative_names");
        // ACM keeps a request's token for an hour: 32 letters and digits.
        let token: String = req
            .client_token
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(32)
            .collect();
        let requested = aws
            .acm()
            .request_certificate()
            .set_domain_name(planned.str("domain_name").map(str::to_string))
            .set_subject_alternative_names((!alternatives.is_empty()).then_some(alternatives))
            .set_validation_method(planned.str("validation_method").map(Into::into))
            .set_key_algorithm(planned.str("key_algorithm").map(Into::into))
            .set_certificate_authority_arn(
                planned.str("certificate_authority_arn").map(str::to_string),
            )
            .set_options(options(planned))
            .set_domain_validation_options(
                (!validation_options.is_empty()).then_some(validation_options),
            )
            .idempotency_token(token)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(sdk_error)?;
        let arn = requested
            .certificate_arn()
            .map(str::to_string)
            .ok_or_else(|| {
                ProviderError::new(
                    ErrorKind::Other,
                    "RequestCertificate answered without an ARN",
                )
            })?;
        if planned.str("validation_method") == Some("DNS") {
            // ACM adds the records to ask for a few seconds after the
            // request; what plans over them needs them (the provider waits
            // the same way).
            wait_until(
                &format!("certificate {arn} to name its DNS validation records"),
                VALIDATION_RECORDS_TIMEOUT,
                || async {
                    let cert = describe(aws, &arn).await?;
                    let ready = cert.is_some_and(|cert| {
                        !cert.domain_validation_options().is_empty()
                            && cert
                                .domain_validation_options()
                                .iter()
                                .all(|v| v.resource_record().is_some())
                    });
                    Ok(ready.then_some(()))
                },
            )
            .await?;
        }
        Ok(arn)
    }

    async fn update(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        let arn = prior_id(prior)?;
        let reimport = ["certificate_body", "private_key", "certificate_chain"]
            .iter()
            .any(|key| differs(prior, planned, key));
        if reimport && planned.str("certificate_body").is_some() {
            import(aws, Some(arn), planned, None).await?;
        }
        if differs(prior, planned, "options")
            && let Some(options) = options(planned)
        {
            aws.acm()
                .update_certificate_options()
                .certificate_arn(arn)
                .options(options)
                .send()
                .await
                .map_err(sdk_error)?;
        }
        update_tags_all(
            prior,
            planned,
            |keys| {
                let tags: Vec<Tag> = keys
                    .into_iter()
                    .filter_map(|key| Tag::builder().key(key).build().ok())
                    .collect();
                aws.acm()
                    .remove_tags_from_certificate()
                    .certificate_arn(arn)
                    .set_tags(Some(tags))
                    .send()
                    .map_err(sdk_error)
            },
            |tags| {
                let tags = acm_tags(tags);
                async move {
                    aws.acm()
                        .add_tags_to_certificate()
                        .certificate_arn(arn)
                        .set_tags(Some(tags?))
                        .send()
                        .await
                        .map_err(sdk_error)
                }
            },
        )
        .await
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        ok_if_not_found(
            aws.acm()
                .delete_certificate()
                .certificate_arn(prior_id(prior)?)
                .send()
                .await
                .map_err(sdk_error),
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::aws::convert::string_set_or_null;

    /// DNS validation's names are known at plan; other methods add nothing.
    #[test]
    fn dns_validation_names_are_known_before_the_certificate_exists() {
        let config = Attrs::from([
            ("domain_name".to_string(), Value::string("example.com")),
            (
                "subject_alternative_names".to_string(),
                string_set_or_null(["*.example.com", "example.com"]),
            ),
            ("validation_method".to_string(), Value::string("DNS")),
        ]);
        let known = AcmCertificate.planned_computed(&config);
        let records = known["domain_validation_options"].as_list().expect("a set");
        let names: Vec<&str> = records
            .iter()
            .filter_map(|r| r.as_map()?.get("domain_name")?.as_str())
            .collect();
        assert_eq!(names, ["*.example.com", "example.com"]);
        let mut email = config.clone();
        email.insert("validation_method".into(), Value::string("EMAIL"));
        assert!(AcmCertificate.planned_computed(&email).is_empty());
    }
}
