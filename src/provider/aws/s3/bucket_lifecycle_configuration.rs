//! `aws_s3_bucket_lifecycle_configuration`: a bucket's lifecycle rules
//! (expire objects, move them to cheaper storage, clean up old versions
//! and abandoned uploads), written and read whole.
//!
//! The id is the bucket name. `rule` is an ordered list as in Terraform;
//! a rule's filter, expiration and the rest are blocks of at most one.
//! The deprecated rule-level `prefix` and the `timeouts` block are left
//! out.

use std::sync::LazyLock;

use async_trait::async_trait;
use aws_sdk_s3::primitives::DateTime;
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, ExpirationStatus,
    LifecycleExpiration, LifecycleRule, LifecycleRuleAndOperator, LifecycleRuleFilter,
    NoncurrentVersionExpiration, NoncurrentVersionTransition, Tag, Transition,
    TransitionDefaultMinimumObjectSize, TransitionStorageClass,
};
use aws_smithy_types::date_time::Format;

use super::{BucketSettings, bucket_of};
use crate::provider::aws::convert::{block, i32_arg, nested, optional_block, single};
use crate::provider::aws::{AwsContext, build_error, ok_if_already_gone, sdk_error};
use crate::provider::schema::{Attribute, Block, Schema, Type};
use crate::provider::{ErrorKind, ProviderError};
use crate::value::{Attrs, AttrsExt, Value};

pub struct BucketLifecycle;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let number = |name| Attribute::optional_computed(name, Type::Number);
    let sizes_and_prefix = || {
        vec![
            number("object_size_greater_than"),
            number("object_size_less_than"),
            Attribute::optional_computed("prefix", Type::String),
        ]
    };
    let mut and = sizes_and_prefix();
    and.push(Attribute::optional("tags", Type::map_of(Type::String)));
    let tag = Schema::new(
        vec![
            Attribute::required("key", Type::String),
            Attribute::required("value", Type::String),
        ],
        vec![],
    );
    let filter = Schema::new(
        sizes_and_prefix(),
        vec![
            Block::single("and", Schema::new(and, vec![])),
            Block::single("tag", tag),
        ],
    );
    let expiration = Schema::new(
        vec![
            Attribute::optional("date", Type::String),
            number("days"),
            Attribute::optional_computed("expired_object_delete_marker", Type::Bool),
        ],
        vec![],
    );
    let transition = Schema::new(
        vec![
            Attribute::optional("date", Type::String),
            number("days"),
            Attribute::required("storage_class", Type::String),
        ],
        vec![],
    );
    let noncurrent_expiration = Schema::new(
        vec![
            number("newer_noncurrent_versions"),
            Attribute::required("noncurrent_days", Type::Number),
        ],
        vec![],
    );
    let noncurrent_transition = Schema::new(
        vec![
            number("newer_noncurrent_versions"),
            Attribute::required("noncurrent_days", Type::Number),
            Attribute::required("storage_class", Type::String),
        ],
        vec![],
    );
    let abort = Schema::new(
        vec![Attribute::optional("days_after_initiation", Type::Number)],
        vec![],
    );
    let rule = Schema::new(
        vec![
            Attribute::required("id", Type::String),
            Attribute::required("status", Type::String),
        ],
        vec![
            Block::single("filter", filter),
            Block::single("expiration", expiration),
            Block::set("transition", transition),
            Block::single("noncurrent_version_expiration", noncurrent_expiration),
            Block::set("noncurrent_version_transition", noncurrent_transition),
            Block::single("abort_incomplete_multipart_upload", abort),
        ],
    );
    Schema::new(
        vec![
            Attribute::required("bucket", Type::String).force_new(),
            Attribute::optional_computed("expected_bucket_owner", Type::String).force_new(),
            Attribute::optional_computed("transition_default_minimum_object_size", Type::String),
        ],
        vec![Block::list("rule", rule).required()],
    )
});

fn invalid(message: String) -> ProviderError {
    ProviderError::new(ErrorKind::Validation, message)
}

fn date(text: &str) -> Result<DateTime, ProviderError> {
    DateTime::from_str(text, Format::DateTime).map_err(|e| {
        invalid(format!(
            "invalid date {text:?} (RFC 3339, e.g. 2025-01-01T00:00:00Z): {e}"
        ))
    })
}

fn sdk_tag(key: &str, value: &str) -> Result<Tag, ProviderError> {
    Tag::builder()
        .key(key)
        .value(value)
        .build()
        .map_err(build_error)
}

fn filter(written: &Attrs) -> Result<LifecycleRuleFilter, ProviderError> {
    let and = single(written, "and")
        .map(|and| {
            let tags = and
                .string_map("tags")
                .iter()
                .map(|(k, v)| sdk_tag(k, v))
                .collect::<Result<Vec<_>, _>>()?;
            Ok::<_, ProviderError>(
                LifecycleRuleAndOperator::builder()
                    .set_prefix(and.str("prefix").map(String::from))
                    .set_tags((!tags.is_empty()).then_some(tags))
                    .set_object_size_greater_than(and.i64("object_size_greater_than"))
                    .set_object_size_less_than(and.i64("object_size_less_than"))
                    .build(),
            )
        })
        .transpose()?;
    let tag = single(written, "tag")
        .map(|t| {
            sdk_tag(
                t.str("key").unwrap_or_default(),
                t.str("value").unwrap_or_default(),
            )
        })
        .transpose()?;
    Ok(LifecycleRuleFilter::builder()
        .set_prefix(written.str("prefix").map(String::from))
        .set_object_size_greater_than(written.i64("object_size_greater_than"))
        .set_object_size_less_than(written.i64("object_size_less_than"))
        .set_and(and)
        .set_tag(tag)
        .build())
}

fn rule(written: &Attrs) -> Result<LifecycleRule, ProviderError> {
    let filter = single(written, "filter").map(filter).transpose()?;
    let expiration = single(written, "expiration")
        .map(|e| {
            Ok::<_, ProviderError>(
                LifecycleExpiration::builder()
                    .set_date(e.str("date").map(date).transpose()?)
                    // Sent only when set, as the provider does: S3 refuses
                    // days and the delete marker flag together, and both
                    // read back (as 0 and false) once either is set.
                    .set_days(i32_arg(e, "days").filter(|d| *d != 0))
                    .set_expired_object_delete_marker(
                        e.bool("expired_object_delete_marker").filter(|m| *m),
                    )
                    .build(),
            )
        })
        .transpose()?;
    let transitions = written
        .blocks("transition")
        .iter()
        .map(|t| {
            Ok(Transition::builder()
                .set_date(t.str("date").map(date).transpose()?)
                .set_days(i32_arg(t, "days"))
                .set_storage_class(t.str("storage_class").map(TransitionStorageClass::from))
                .build())
        })
        .collect::<Result<Vec<_>, ProviderError>>()?;
    let noncurrent_expiration = single(written, "noncurrent_version_expiration").map(|e| {
        NoncurrentVersionExpiration::builder()
            .set_noncurrent_days(i32_arg(e, "noncurrent_days"))
            .set_newer_noncurrent_versions(i32_arg(e, "newer_noncurrent_versions"))
            .build()
    });
    let noncurrent_transitions: Vec<_> = written
        .blocks("noncurrent_version_transition")
        .iter()
        .map(|t| {
            NoncurrentVersionTransition::builder()
                .set_noncurrent_days(i32_arg(t, "noncurrent_days"))
                .set_newer_noncurrent_versions(i32_arg(t, "newer_noncurrent_versions"))
                .set_storage_class(t.str("storage_class").map(TransitionStorageClass::from))
                .build()
        })
        .collect();
    let abort = single(written, "abort_incomplete_multipart_upload").map(|a| {
        AbortIncompleteMultipartUpload::builder()
            .set_days_after_initiation(i32_arg(a, "days_after_initiation"))
            .build()
    });
    LifecycleRule::builder()
        .set_id(written.str("id").map(String::from))
        .status(ExpirationStatus::from(
            written.str("status").unwrap_or("Enabled"),
        ))
        .set_filter(filter)
        .set_expiration(expiration)
        .set_transitions((!transitions.is_empty()).then_some(transitions))
        .set_noncurrent_version_expiration(noncurrent_expiration)
        .set_noncurrent_version_transitions(
            (!noncurrent_transitions.is_empty()).then_some(noncurrent_transitions),
        )
        .set_abort_incomplete_multipart_upload(abort)
        .build()
        .map_err(build_error)
}

fn number<T: Into<f64>>(n: Option<T>) -> Value {
    n.map_or(Value::Null, |n| Value::float(n.into()))
}

fn date_value(d: Option<&DateTime>) -> Value {
    d.and_then(|d| d.fmt(Format::DateTime).ok()).into()
}

fn tags_value(tags: &[Tag]) -> Value {
    Value::Map(
        tags.iter()
            .map(|t| (t.key().to_string(), Value::string(t.value())))
            .collect(),
    )
}

fn filter_value(f: &LifecycleRuleFilter) -> Value {
    let and = f.and().map(|a| {
        nested([
            ("prefix", a.prefix().into()),
            (
                "object_size_greater_than",
                number(a.object_size_greater_than().map(|n| n as f64)),
            ),
            (
                "object_size_less_than",
                number(a.object_size_less_than().map(|n| n as f64)),
            ),
            ("tags", tags_value(a.tags())),
        ])
    });
    let tag = f.tag().map(|t| {
        nested([
            ("key", Value::string(t.key())),
            ("value", Value::string(t.value())),
        ])
    });
    block(nested([
        ("prefix", f.prefix().into()),
        (
            "object_size_greater_than",
            number(f.object_size_greater_than().map(|n| n as f64)),
        ),
        (
            "object_size_less_than",
            number(f.object_size_less_than().map(|n| n as f64)),
        ),
        ("and", optional_block(and)),
        ("tag", optional_block(tag)),
    ]))
}

fn rule_value(r: &LifecycleRule) -> Value {
    let expiration = r.expiration().map(|e| {
        nested([
            ("date", date_value(e.date())),
            ("days", number(e.days())),
            (
                "expired_object_delete_marker",
                Value::Bool(e.expired_object_delete_marker().unwrap_or(false)),
            ),
        ])
    });
    let transitions = r.transitions().iter().map(|t| {
        Value::Map(
            nested([
                ("date", date_value(t.date())),
                ("days", number(t.days())),
                (
                    "storage_class",
                    t.storage_class().map(|c| c.as_str()).into(),
                ),
            ])
            .into(),
        )
    });
    let noncurrent_expiration = r.noncurrent_version_expiration().map(|e| {
        nested([
            ("noncurrent_days", number(e.noncurrent_days())),
            (
                "newer_noncurrent_versions",
                number(e.newer_noncurrent_versions()),
            ),
        ])
    });
    let noncurrent_transitions = r.noncurrent_version_transitions().iter().map(|t| {
        Value::Map(
            nested([
                ("noncurrent_days", number(t.noncurrent_days())),
                (
                    "newer_noncurrent_versions",
                    number(t.newer_noncurrent_versions()),
                ),
                (
                    "storage_class",
                    t.storage_class().map(|c| c.as_str()).into(),
                ),
            ])
            .into(),
        )
    });
    let abort = r
        .abort_incomplete_multipart_upload()
        .map(|a| nested([("days_after_initiation", number(a.days_after_initiation()))]));
    Value::Map(
        nested([
            ("id", r.id().into()),
            ("status", Value::string(r.status().as_str())),
            (
                "filter",
                r.filter().map_or(Value::List(vec![].into()), filter_value),
            ),
            ("expiration", optional_block(expiration)),
            ("transition", Value::List(transitions.collect()).into_set()),
            (
                "noncurrent_version_expiration",
                optional_block(noncurrent_expiration),
            ),
            (
                "noncurrent_version_transition",
                Value::List(noncurrent_transitions.collect()).into_set(),
            ),
            ("abort_incomplete_multipart_upload", optional_block(abort)),
        ])
        .into(),
    )
}

#[async_trait]
impl BucketSettings for BucketLifecycle {
    const TYPE_NAME: &'static str = "aws_s3_bucket_lifecycle_configuration";

    fn settings_schema() -> &'static Schema {
        &SCHEMA
    }

    /// GetBucketLifecycleConfiguration. A bucket without one is a NotFound
    /// error (NoSuchLifecycleConfiguration), which leaves it out.
    async fn read(
        &self,
        aws: &AwsContext,
        bucket: &str,
    ) -> Result<Option<Vec<(&'static str, Value)>>, ProviderError> {
        let out = aws
            .s3()
            .get_bucket_lifecycle_configuration()
            .bucket(bucket)
            .send()
            .await
            .map_err(sdk_error)?;
        let rules = out.rules().iter().map(rule_value).collect();
        Ok(Some(vec![
            ("rule", Value::List(rules)),
            (
                "transition_default_minimum_object_size",
                out.transition_default_minimum_object_size()
                    .map(|s| s.as_str())
                    .into(),
            ),
        ]))
    }

    async fn write(
        &self,
        aws: &AwsContext,
        _prior: Option<&Attrs>,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        let rules = planned
            .blocks("rule")
            .into_iter()
            .map(rule)
            .collect::<Result<Vec<_>, _>>()?;
        aws.s3()
            .put_bucket_lifecycle_configuration()
            .bucket(bucket_of(planned))
            .set_expected_bucket_owner(planned.str("expected_bucket_owner").map(String::from))
            .set_transition_default_minimum_object_size(
                planned
                    .str("transition_default_minimum_object_size")
                    .map(TransitionDefaultMinimumObjectSize::from),
            )
            .lifecycle_configuration(
                BucketLifecycleConfiguration::builder()
                    .set_rules(Some(rules))
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
                .delete_bucket_lifecycle()
                .bucket(bucket_of(prior))
                .send()
                .await,
        )
    }
}
