//! What the Route53 types (`aws_route53_zone`, `aws_route53_record`,
//! `aws_route53_health_check`) share: DNS name spelling, zone ids, waiting
//! for changes to be INSYNC, listing a zone's records, and the tags of
//! zones and health checks. No schemas live here.

mod health_check;
mod record;
mod zone;
mod zone_data_source;

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_route53::types::{ChangeStatus, ResourceRecordSet, Tag, TagResourceType};

use super::batch::describe_skipping_missing;
use super::tags::{TagChanges, tags_to_value};
use super::{AwsContext, Timeouts, sdk_error, wait_until};
use crate::provider::ProviderError;
use crate::value::{Attrs, Value};

/// This service's types, for the provider's registry.
pub(super) const TYPES: super::ServiceTypes = super::ServiceTypes {
    name: "Route 53",
    resources: &[
        &zone::HostedZone,
        &record::Record,
        &health_check::HealthCheck,
    ],
    data_sources: &[&zone_data_source::HostedZoneDataSource],
};

/// How long a change may take to reach all Route53 name servers
/// (Terraform allows 30 minutes; it usually takes under a minute), unless
/// the zone's or record's `timeouts {}` says otherwise.
pub const CHANGE_TIMEOUTS: Timeouts = Timeouts::all(Duration::from_secs(30 * 60));

/// The most resources ListTagsForResources takes in one call.
const IDS_PER_TAG_CALL: usize = 10;

/// A DNS name as Route53 and users may both spell it, without the trailing
/// dot and with Route53's `\052`-style escapes turned back into characters.
/// Case is kept; see [`normalize_dns_name`] for comparisons.
pub fn clean_dns_name(name: &str) -> String {
    let name = unescape(name);
    match name.strip_suffix('.') {
        Some(trimmed) if !trimmed.is_empty() => trimmed.to_string(),
        _ => name,
    }
}

/// The spelling DNS names are compared in: [`clean_dns_name`], lower case.
/// Used as the schema normaliser so `Example.com.` equals `example.com`.
pub fn normalize_dns_name(name: &str) -> String {
    clean_dns_name(name).to_ascii_lowercase()
}

/// Route53 returns characters outside `a-z0-9-_.` as three-digit octal
/// escapes (`*` as `\052`).
fn unescape(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '\\'
            && i + 3 < chars.len()
            && chars[i + 1..=i + 3].iter().all(|c| c.is_digit(8))
        {
            let code: String = chars[i + 1..=i + 3].iter().collect();
            if let Some(c) = u32::from_str_radix(&code, 8).ok().and_then(char::from_u32) {
                out.push(c);
                i += 4;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// A hosted zone id without its `/hostedzone/` prefix, as Terraform keeps it.
pub fn clean_zone_id(id: &str) -> &str {
    id.trim_start_matches("/hostedzone/")
}

/// Waits until a change (`/change/C123` or `C123`) is INSYNC.
pub async fn wait_for_change(
    aws: &AwsContext,
    change_id: &str,
    timeout: Duration,
) -> Result<(), ProviderError> {
    let id = change_id.trim_start_matches("/change/");
    wait_until(
        &format!("Route53 change {id} to be INSYNC"),
        timeout,
        || async {
            let out = aws
                .route53()
                .get_change()
                .id(id)
                .send()
                .await
                .map_err(sdk_error)?;
            Ok(
                (out.change_info().map(|c| c.status()) == Some(&ChangeStatus::Insync))
                    .then_some(()),
            )
        },
    )
    .await
}

/// Every record set of a zone, following Route53's name/type/identifier
/// pagination.
pub async fn list_records(
    aws: &AwsContext,
    zone_id: &str,
) -> Result<Vec<ResourceRecordSet>, ProviderError> {
    let mut records = Vec::new();
    let mut next: Option<(String, aws_sdk_route53::types::RrType, Option<String>)> = None;
    loop {
        let mut request = aws
            .route53()
            .list_resource_record_sets()
            .hosted_zone_id(zone_id);
        if let Some((name, rr_type, identifier)) = next.take() {
            request = request
                .start_record_name(name)
                .start_record_type(rr_type)
                .set_start_record_identifier(identifier);
        }
        let out = request.send().await.map_err(sdk_error)?;
        records.extend(out.resource_record_sets().iter().cloned());
        match (
            out.is_truncated(),
            out.next_record_name(),
            out.next_record_type(),
        ) {
            (true, Some(name), Some(rr_type)) => {
                next = Some((
                    name.to_string(),
                    rr_type.clone(),
                    out.next_record_identifier().map(String::from),
                ));
            }
            _ => return Ok(records),
        }
    }
}

/// `tags_all` of each zone (or health check: `kind`), one
/// ListTagsForResources per 10. One deleted meanwhile is left out.
pub async fn read_tags(
    aws: &AwsContext,
    kind: TagResourceType,
    ids: &[String],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    Ok(tag_pairs(aws, kind, ids)
        .await?
        .into_iter()
        .map(|(id, pairs)| (id, tags_to_value(pairs)))
        .collect())
}

/// Every tag of each zone (or health check: `kind`), terrane's own
/// included, by id.
pub async fn tag_pairs(
    aws: &AwsContext,
    kind: TagResourceType,
    ids: &[String],
) -> Result<BTreeMap<String, Vec<(String, String)>>, ProviderError> {
    let kind = &kind;
    let tag_sets = describe_skipping_missing(ids, IDS_PER_TAG_CALL, |chunk| async move {
        let out = aws
            .route53()
            .list_tags_for_resources()
            .resource_type(kind.clone())
            .set_resource_ids(Some(chunk))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(out.resource_tag_sets)
    })
    .await?;
    Ok(tag_sets
        .iter()
        .filter_map(|set| {
            let id = clean_zone_id(set.resource_id()?).to_string();
            let pairs = set.tags().iter().filter_map(|t| {
                Some((
                    t.key()?.to_string(),
                    t.value().unwrap_or_default().to_string(),
                ))
            });
            Some((id, pairs.collect()))
        })
        .collect())
}

/// Sets and removes a zone's (or health check's: `kind`) tags in one
/// ChangeTagsForResource.
pub async fn change_tags(
    aws: &AwsContext,
    kind: TagResourceType,
    id: &str,
    set: BTreeMap<String, String>,
    removed: Vec<String>,
) -> Result<(), ProviderError> {
    if set.is_empty() && removed.is_empty() {
        return Ok(());
    }
    aws.route53()
        .change_tags_for_resource()
        .resource_type(kind)
        .resource_id(id)
        .set_add_tags((!set.is_empty()).then(|| {
            set.into_iter()
                .map(|(k, v)| Tag::builder().key(k).value(v).build())
                .collect()
        }))
        .set_remove_tag_keys((!removed.is_empty()).then_some(removed))
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(())
}

/// Brings a zone's (or health check's: `kind`) tags from
/// `prior.tags_all` to `planned.tags_all`.
pub async fn update_tags(
    aws: &AwsContext,
    kind: TagResourceType,
    id: &str,
    prior: &Attrs,
    planned: &Attrs,
) -> Result<(), ProviderError> {
    let changes = TagChanges::between(prior, planned);
    change_tags(aws, kind, id, changes.changed, changes.removed).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_names_compare_without_dot_case_or_escapes() {
        assert_eq!(clean_dns_name("Example.com."), "Example.com");
        assert_eq!(normalize_dns_name("Example.com."), "example.com");
        assert_eq!(normalize_dns_name("example.com"), "example.com");
        assert_eq!(clean_dns_name("\\052.example.com."), "*.example.com");
        assert_eq!(clean_dns_name("."), ".");
        assert_eq!(clean_dns_name("odd\\0"), "odd\\0");
        assert_eq!(clean_zone_id("/hostedzone/Z123"), "Z123");
        assert_eq!(clean_zone_id("Z123"), "Z123");
    }
}
