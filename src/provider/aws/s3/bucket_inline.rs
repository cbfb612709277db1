//! The legacy inline settings of `aws_s3_bucket` that older configurations
//! write (`versioning`, `server_side_encryption_configuration`,
//! `lifecycle_rule`; deprecated in Terraform for the standalone types but
//! still taken): their schema blocks and how they are written.
//!
//! They are written when set and changed, and not read back: state keeps
//! what was written, so a change made outside them does not show as
//! drift. Read back, they would show as drift on every bucket whose
//! settings come from the standalone types (the first plan after each
//! apply would report the bucket "changed outside"), which Terraform hides
//! only by reporting drift that the plan's changes refer to, a filter
//! terrane does not have yet. Each is computed when left out, as in
//! Terraform: taking a block out of the configuration (moving to the
//! standalone type) leaves the setting as it is.

use aws_sdk_s3::primitives::DateTime;
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, ExpirationStatus,
    LifecycleExpiration, LifecycleRule, LifecycleRuleAndOperator, LifecycleRuleFilter,
    NoncurrentVersionExpiration, NoncurrentVersionTransition, Transition, TransitionStorageClass,
};
use aws_smithy_types::date_time::Format;

use super::bucket_server_side_encryption_configuration::{put_rules, rule_schema};
use super::bucket_versioning::put as put_versioning;
use super::s3_tags;
use crate::provider::aws::convert::{i32_arg, single};
use crate::provider::aws::names::unique_name;
use crate::provider::aws::{AwsContext, build_error, ok_if_already_gone, sdk_error};
use crate::provider::schema::{Attribute, Block, Schema, Type};
use crate::provider::{ErrorKind, ProviderError};
use crate::value::{Attrs, AttrsExt};

/// The inline blocks, for the bucket's schema.
pub(super) fn blocks() -> Vec<Block> {
    let versioning = Schema::new(
        vec![
            Attribute::optional("enabled", Type::Bool).default(false),
            Attribute::optional("mfa_delete", Type::Bool).default(false),
        ],
        vec![],
    );
    let encryption = Schema::new(
        vec![],
        vec![Block::single("rule", rule_schema()).required()],
    );
    let days = || Attribute::optional("days", Type::Number);
    let expiration = Schema::new(
        vec![
            Attribute::optional("date", Type::String),
            Attribute::optional("days", Type::Number),
            Attribute::optional("expired_object_delete_marker", Type::Bool),
        ],
        vec![],
    );
    let transition = Schema::new(
        vec![
            Attribute::optional("date", Type::String),
            days(),
            Attribute::required("storage_class", Type::String),
        ],
        vec![],
    );
    let noncurrent_transition = Schema::new(
        vec![days(), Attribute::required("storage_class", Type::String)],
        vec![],
    );
    let noncurrent_expiration =
        Schema::new(vec![Attribute::optional("days", Type::Number)], vec![]);
    let lifecycle_rule = Schema::new(
        vec![
            // Terraform's is computed: a rule written without one is given
            // one as it is sent; state keeps what was written.
            Attribute::optional("id", Type::String),
            Attribute::optional("prefix", Type::String),
            Attribute::optional("tags", Type::map_of(Type::String)),
            Attribute::required("enabled", Type::Bool),
            Attribute::optional("abort_incomplete_multipart_upload_days", Type::Number),
        ],
        vec![
            Block::single("expiration", expiration),
            Block::single("noncurrent_version_expiration", noncurrent_expiration),
            Block::set("transition", transition),
            Block::set("noncurrent_version_transition", noncurrent_transition),
        ],
    );
    vec![
        Block::single("versioning", versioning).computed_when_absent(),
        Block::single("server_side_encryption_configuration", encryption).computed_when_absent(),
        Block::list("lifecycle_rule", lifecycle_rule).computed_when_absent(),
    ]
}

/// Writes the inline settings where they changed from `prior` (all that
/// are written, on create: `prior` is `None`). `changed` is the schema's
/// comparison. Versioning once enabled can only be suspended, as AWS has
/// it.
pub(super) async fn write(
    aws: &AwsContext,
    bucket: &str,
    prior: Option<&Attrs>,
    planned: &Attrs,
    changed: impl Fn(&str) -> bool,
) -> Result<(), ProviderError> {
    if changed("versioning")
        && let Some(versioning) = single(planned, "versioning")
    {
        let enabled = versioning.bool("enabled") == Some(true);
        // A new bucket is unversioned already: nothing to suspend.
        if enabled || prior.is_some() {
            let status = if enabled { "Enabled" } else { "Suspended" };
            // MFA delete is named only when it is on or being turned off,
            // so a bucket that never had it is never sent the setting (the
            // standalone versioning type sends it only when written too).
            let was_on = prior
                .and_then(|p| single(p, "versioning"))
                .is_some_and(|v| v.bool("mfa_delete") == Some(true));
            let mfa_delete = match versioning.bool("mfa_delete") == Some(true) {
                true => Some("Enabled"),
                false if was_on => Some("Disabled"),
                false => None,
            };
            put_versioning(aws, bucket, status, mfa_delete).await?;
        }
    }
    if changed("server_side_encryption_configuration")
        && let Some(encryption) = single(planned, "server_side_encryption_configuration")
    {
        put_rules(aws, bucket, encryption).await?;
    }
    if changed("lifecycle_rule") {
        write_lifecycle_rules(aws, bucket, planned).await?;
    }
    Ok(())
}

fn invalid(message: String) -> ProviderError {
    ProviderError::new(ErrorKind::Validation, message)
}

/// A legacy rule's date (`2025-01-01`) as S3 takes it: midnight UTC.
fn date(text: &str) -> Result<DateTime, ProviderError> {
    DateTime::from_str(&format!("{text}T00:00:00Z"), Format::DateTime)
        .map_err(|e| invalid(format!("invalid date {text:?} (YYYY-MM-DD): {e}")))
}

/// Refuses, before anything is made, inline settings S3 would be sent in
/// a form it cannot take (a lifecycle date that is not a date).
pub(super) fn check(planned: &Attrs) -> Result<(), ProviderError> {
    for (index, rule) in planned.blocks("lifecycle_rule").into_iter().enumerate() {
        lifecycle_rule("", index, rule)?;
    }
    Ok(())
}

/// PutBucketLifecycleConfiguration with the `lifecycle_rule` blocks, or
/// DeleteBucketLifecycle when there are none, as Terraform writes them: a
/// rule's prefix and tags are its filter, and a rule without an id gets
/// one (`tf-s3-lifecycle-` and digits from the bucket and its place).
async fn write_lifecycle_rules(
    aws: &AwsContext,
    bucket: &str,
    planned: &Attrs,
) -> Result<(), ProviderError> {
    let written = planned.blocks("lifecycle_rule");
    if written.is_empty() {
        return ok_if_already_gone(
            aws.s3()
                .delete_bucket_lifecycle()
                .bucket(bucket)
                .send()
                .await,
        );
    }
    let rules = written
        .iter()
        .enumerate()
        .map(|(index, r)| lifecycle_rule(bucket, index, r))
        .collect::<Result<Vec<_>, _>>()?;
    let configuration = BucketLifecycleConfiguration::builder()
        .set_rules(Some(rules))
        .build()
        .map_err(build_error)?;
    aws.s3()
        .put_bucket_lifecycle_configuration()
        .bucket(bucket)
        .lifecycle_configuration(configuration)
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(())
}

fn lifecycle_rule(bucket: &str, index: usize, r: &Attrs) -> Result<LifecycleRule, ProviderError> {
    let prefix = r.str("prefix").unwrap_or_default().to_string();
    let tags = r.string_map("tags");
    let filter = if tags.is_empty() {
        LifecycleRuleFilter::builder().prefix(prefix).build()
    } else {
        let and = LifecycleRuleAndOperator::builder()
            .prefix(prefix)
            .set_tags(Some(s3_tags(tags)?))
            .build();
        LifecycleRuleFilter::builder().and(and).build()
    };
    let id = unique_name(
        r.str("id"),
        Some("tf-s3-lifecycle-"),
        "",
        255,
        &format!("{bucket}/{index}"),
    );
    let status = if r.bool("enabled") == Some(true) {
        ExpirationStatus::Enabled
    } else {
        ExpirationStatus::Disabled
    };
    let abort = i32_arg(r, "abort_incomplete_multipart_upload_days")
        .filter(|days| *days > 0)
        .map(|days| {
            AbortIncompleteMultipartUpload::builder()
                .days_after_initiation(days)
                .build()
        });
    // One of date, days and the delete marker flag, in that order, as the
    // provider sends them.
    let expiration = single(r, "expiration")
        .map(|e| {
            let builder = LifecycleExpiration::builder();
            Ok::<_, ProviderError>(
                match (e.str("date").filter(|d| !d.is_empty()), i32_arg(e, "days")) {
                    (Some(text), _) => builder.date(date(text)?),
                    (None, Some(days)) if days > 0 => builder.days(days),
                    _ => builder.expired_object_delete_marker(
                        e.bool("expired_object_delete_marker").unwrap_or(false),
                    ),
                }
                .build(),
            )
        })
        .transpose()?;
    let noncurrent_expiration = single(r, "noncurrent_version_expiration")
        .and_then(|e| i32_arg(e, "days"))
        .filter(|days| *days > 0)
        .map(|days| {
            NoncurrentVersionExpiration::builder()
                .noncurrent_days(days)
                .build()
        });
    let transitions = r
        .blocks("transition")
        .into_iter()
        .map(|t| {
            let builder = Transition::builder()
                .set_storage_class(t.str("storage_class").map(TransitionStorageClass::from));
            Ok(match t.str("date").filter(|d| !d.is_empty()) {
                Some(text) => builder.date(date(text)?),
                // Unset days are sent as 0, as the provider sends them.
                None => builder.days(i32_arg(t, "days").unwrap_or(0)),
            }
            .build())
        })
        .collect::<Result<Vec<_>, ProviderError>>()?;
    let noncurrent_transitions = r
        .blocks("noncurrent_version_transition")
        .into_iter()
        .map(|t| {
            NoncurrentVersionTransition::builder()
                .noncurrent_days(i32_arg(t, "days").unwrap_or(0))
                .set_storage_class(t.str("storage_class").map(TransitionStorageClass::from))
                .build()
        })
        .collect::<Vec<_>>();
    LifecycleRule::builder()
        .id(id)
        .status(status)
        .filter(filter)
        .set_abort_incomplete_multipart_upload(abort)
        .set_expiration(expiration)
        .set_noncurrent_version_expiration(noncurrent_expiration)
        .set_transitions((!transitions.is_empty()).then_some(transitions))
        .set_noncurrent_version_transitions(
            (!noncurrent_transitions.is_empty()).then_some(noncurrent_transitions),
        )
        .build()
        .map_err(build_error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::aws::convert::block;
    use crate::value::Value;

    fn rule(pairs: &[(&str, Value)]) -> Attrs {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn a_rule_is_sent_as_the_provider_sends_it() {
        let written = rule(&[
            ("id", Value::string("logs")),
            ("prefix", Value::string("logs/")),
            ("enabled", Value::Bool(true)),
            ("abort_incomplete_multipart_upload_days", Value::from(7)),
            ("expiration", block(rule(&[("days", Value::from(90))]))),
            (
                "transition",
                Value::List(
                    vec![Value::Map(
                        rule(&[
                            ("days", Value::from(30)),
                            ("storage_class", Value::string("STANDARD_IA")),
                        ])
                        .into(),
                    )]
                    .into(),
                ),
            ),
        ]);
        let sent = lifecycle_rule("b", 0, &written).expect("rule");
        assert_eq!(sent.id(), Some("logs"));
        assert_eq!(sent.status(), &ExpirationStatus::Enabled);
        assert_eq!(sent.filter().and_then(|f| f.prefix()), Some("logs/"));
        assert_eq!(sent.expiration().and_then(|e| e.days()), Some(90));
        assert_eq!(
            sent.expiration()
                .and_then(|e| e.expired_object_delete_marker()),
            None,
            "one of date, days and the marker is sent"
        );
        assert_eq!(
            sent.abort_incomplete_multipart_upload()
                .and_then(|a| a.days_after_initiation()),
            Some(7)
        );
        assert_eq!(sent.transitions()[0].days(), Some(30));
    }

    #[test]
    fn a_rule_without_an_id_gets_one_that_stays_the_same() {
        let written = rule(&[
            ("enabled", Value::Bool(false)),
            (
                "tags",
                Value::Map(rule(&[("kind", Value::string("tmp"))]).into()),
            ),
            (
                "expiration",
                block(rule(&[("date", Value::string("2030-01-01"))])),
            ),
        ]);
        let first = lifecycle_rule("b", 0, &written).expect("rule");
        let again = lifecycle_rule("b", 0, &written).expect("rule");
        assert!(
            first
                .id()
                .is_some_and(|id| id.starts_with("tf-s3-lifecycle-"))
        );
        assert_eq!(first.id(), again.id());
        assert_ne!(
            first.id(),
            lifecycle_rule("b", 1, &written).expect("rule").id()
        );
        assert_eq!(first.status(), &ExpirationStatus::Disabled);
        let and = first
            .filter()
            .and_then(|f| f.and())
            .expect("prefix and tags");
        assert_eq!(and.tags()[0].key(), "kind");
        let date = first.expiration().and_then(|e| e.date()).expect("date");
        assert_eq!(date.secs(), 1_893_456_000, "midnight UTC, 2030-01-01");
    }
}
