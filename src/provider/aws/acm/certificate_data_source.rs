//! Data source `aws_acm_certificate`: a certificate by domain, status,
//! type, key type and tags (an HTTPS listener's certificate made
//! elsewhere). Several matches are an error unless `most_recent` picks the
//! one issued last, as in Terraform.

use std::sync::LazyLock;

use async_trait::async_trait;
use aws_sdk_acm::types::{CertificateStatus, Filters, KeyAlgorithm};

use super::{certificate_tags, describe};
use crate::provider::aws::lookup::{exactly_one, has_tags};
use crate::provider::aws::tags::tags_to_value;
use crate::provider::aws::{AwsContext, sdk_error};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{DataSourceType, ErrorKind, ProviderError};
use crate::value::{Attrs, AttrsExt, Value};

pub struct AcmCertificateDataSource;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        vec![
            Attribute::optional_computed("domain", Type::String),
            Attribute::optional("statuses", Type::list_of(Type::String)),
            Attribute::optional("types", Type::list_of(Type::String)),
            Attribute::optional("key_types", Type::set_of(Type::String)),
            Attribute::optional("most_recent", Type::Bool),
            Attribute::optional_computed("tags", Type::map_of(Type::String)),
            Attribute::computed("arn", Type::String),
            Attribute::computed("status", Type::String),
            Attribute::computed("certificate", Type::String),
            Attribute::computed("certificate_chain", Type::String),
        ],
        vec![],
    )
});

#[async_trait]
impl DataSourceType for AcmCertificateDataSource {
    fn type_name(&self) -> &'static str {
        "aws_acm_certificate"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    async fn read(&self, aws: &AwsContext, args: &Attrs) -> Result<Attrs, ProviderError> {
        let mut statuses = args.strings("statuses");
        if statuses.is_empty() {
            statuses.push("ISSUED".to_string());
        }
        let key_types = args.strings("key_types");
        let filters = (!key_types.is_empty()).then(|| {
            Filters::builder()
                .set_key_types(Some(
                    key_types
                        .iter()
                        .map(|k| KeyAlgorithm::from(k.as_str()))
                        .collect(),
                ))
                .build()
        });
        let mut pages = aws
            .acm()
            .list_certificates()
            .set_certificate_statuses(Some(
                statuses
                    .iter()
                    .map(|s| CertificateStatus::from(s.as_str()))
                    .collect(),
            ))
            .set_includes(filters)
            .into_paginator()
            .send();
        let domain = args.str("domain");
        let types = args.strings("types");
        let wanted_tags = args.string_map("tags");
        let mut found = Vec::new();
        while let Some(page) = pages.next().await {
            for summary in page.map_err(sdk_error)?.certificate_summary_list() {
                let Some(arn) = summary.certificate_arn() else {
                    continue;
                };
                if domain.is_some_and(|d| summary.domain_name() != Some(d)) {
                    continue;
                }
                let Some(cert) = describe(aws, arn).await? else {
                    continue;
                };
                if !types.is_empty()
                    && !cert
                        .r#type()
                        .is_some_and(|t| types.iter().any(|w| w == t.as_str()))
                {
                    continue;
                }
                let tags = tags_to_value(certificate_tags(aws, arn).await?);
                if !has_tags(Some(&tags), &wanted_tags) {
                    continue;
                }
                found.push((cert, tags));
            }
        }
        let (cert, tags) = if args.bool("most_recent") == Some(true) {
            found
                .into_iter()
                .max_by_key(|(cert, _)| cert.not_before().map(|t| (t.secs(), t.subsec_nanos())))
                .ok_or_else(|| {
                    ProviderError::new(ErrorKind::NotFound, "no matching ACM certificate found")
                })?
        } else {
            exactly_one(found, "ACM certificate")?
        };
        let arn = cert.certificate_arn().unwrap_or_default().to_string();
        let issued = cert.status() == Some(&CertificateStatus::Issued);
        let (body, chain) = if issued {
            let got = aws
                .acm()
                .get_certificate()
                .certificate_arn(&arn)
                .send()
                .await
                .map_err(sdk_error)?;
            (
                got.certificate().map(str::to_string),
                got.certificate_chain().map(str::to_string),
            )
        } else {
            (None, None)
        };
        let mut attrs = args.clone();
        attrs.insert("id".into(), Value::string(&arn));
        attrs.insert("arn".into(), Value::string(&arn));
        attrs.insert("domain".into(), cert.domain_name().into());
        attrs.insert("status".into(), cert.status().map(|s| s.as_str()).into());
        attrs.insert("certificate".into(), body.into());
        attrs.insert("certificate_chain".into(), chain.into());
        attrs.insert("tags".into(), tags);
        Ok(attrs)
    }
}
