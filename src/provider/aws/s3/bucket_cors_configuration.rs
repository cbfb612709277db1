//! `aws_s3_bucket_cors_configuration`: which web origins may call a
//! bucket from a browser.
//!
//! The id is the bucket name, as in Terraform. The rules compare as a set
//! and are written whole on every change; delete removes them.
//! `expected_bucket_owner` is not supported yet.

use std::sync::LazyLock;

use async_trait::async_trait;
use aws_sdk_s3::types::{CorsConfiguration, CorsRule};

use super::{BucketSettings, bucket_of};
use crate::provider::ProviderError;
use crate::provider::aws::convert::{i32_arg, nested, string_set_or_null};
use crate::provider::aws::{AwsContext, build_error, ok_if_already_gone, sdk_error};
use crate::provider::schema::{Attribute, Block, Schema, Type};
use crate::value::{Attrs, AttrsExt, Value};

pub struct BucketCors;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let strings = || Type::set_of(Type::String);
    let mut rules = Block::set(
        "cors_rule",
        Schema::new(
            vec![
                Attribute::optional("allowed_headers", strings()),
                Attribute::required("allowed_methods", strings()),
                Attribute::required("allowed_origins", strings()),
                Attribute::optional("expose_headers", strings()),
                Attribute::optional("id", Type::String),
                Attribute::optional("max_age_seconds", Type::Number),
            ],
            vec![],
        ),
    )
    .required();
    rules.max_items = Some(100);
    Schema::new(
        vec![Attribute::required("bucket", Type::String).force_new()],
        vec![rules],
    )
});

#[async_trait]
impl BucketSettings for BucketCors {
    const TYPE_NAME: &'static str = "aws_s3_bucket_cors_configuration";

    fn settings_schema() -> &'static Schema {
        &SCHEMA
    }

    /// GetBucketCors; a bucket without rules answers
    /// NoSuchCORSConfiguration.
    async fn read(
        &self,
        aws: &AwsContext,
        bucket: &str,
    ) -> Result<Option<Vec<(&'static str, Value)>>, ProviderError> {
        let out = aws
            .s3()
            .get_bucket_cors()
            .bucket(bucket)
            .send()
            .await
            .map_err(sdk_error)?;
        if out.cors_rules().is_empty() {
            return Ok(None);
        }
        let rules: Vec<Value> = out
            .cors_rules()
            .iter()
            .map(|rule| {
                Value::Map(
                    nested([
                        (
                            "allowed_headers",
                            string_set_or_null(rule.allowed_headers().to_vec()),
                        ),
                        (
                            "allowed_methods",
                            string_set_or_null(rule.allowed_methods().to_vec()),
                        ),
                        (
                            "allowed_origins",
                            string_set_or_null(rule.allowed_origins().to_vec()),
                        ),
                        (
                            "expose_headers",
                            string_set_or_null(rule.expose_headers().to_vec()),
                        ),
                        ("id", rule.id().into()),
                        (
                            "max_age_seconds",
                            rule.max_age_seconds().map(i64::from).into(),
                        ),
                    ])
                    .into(),
                )
            })
            .collect();
        Ok(Some(vec![(
            "cors_rule",
            Value::List(rules.into()).into_set(),
        )]))
    }

    async fn write(
        &self,
        aws: &AwsContext,
        _prior: Option<&Attrs>,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        let rules = planned
            .blocks("cors_rule")
            .into_iter()
            .map(|rule| {
                let list = |key: &str| Some(rule.strings(key)).filter(|l| !l.is_empty());
                CorsRule::builder()
                    .set_allowed_headers(list("allowed_headers"))
                    .set_allowed_methods(list("allowed_methods"))
                    .set_allowed_origins(list("allowed_origins"))
                    .set_expose_headers(list("expose_headers"))
                    .set_id(rule.str("id").map(str::to_string))
                    .set_max_age_seconds(i32_arg(rule, "max_age_seconds"))
                    .build()
                    .map_err(build_error)
            })
            .collect::<Result<Vec<_>, _>>()?;
        aws.s3()
            .put_bucket_cors()
            .bucket(bucket_of(planned))
            .cors_configuration(
                CorsConfiguration::builder()
                    .set_cors_rules(Some(rules))
                    .build()
                    .map_err(build_error)?,
            )
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    async fn remove(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        ok_if_already_gone(
            aws.s3()
                .delete_bucket_cors()
                .bucket(bucket_of(prior))
                .send()
                .await,
        )
    }
}
