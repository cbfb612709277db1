//! `aws_route53_zone`: a public hosted zone.
//!
//! The id is the zone id without `/hostedzone/`, as in Terraform. `name` is
//! compared without its trailing dot and case (`Example.com.` equals
//! `example.com`) and read back without the dot. `force_destroy` exists only
//! in state: read leaves it out and delete acts on the prior value. Private
//! zones (`vpc {}`) and delegation sets are not modelled.

use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_route53::types::{
    Change, ChangeAction, ChangeBatch, HostedZoneConfig, RrType, TagResourceType,
};

use super::{
    CHANGE_TIMEOUTS, change_tags, clean_dns_name, clean_zone_id, list_records, normalize_dns_name,
    read_tags, tag_pairs, update_tags, wait_for_change,
};
use crate::provider::aws::batch::fetch_each;
use crate::provider::aws::convert::{differs, prior_id};
use crate::provider::aws::regions::partition;
use crate::provider::aws::tags::{create_tags, made_by};
use crate::provider::aws::{
    AwsContext, Timeouts, build_error, id_from_answer, ok_if_already_gone, ok_if_not_found,
    sdk_error,
};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{CreateRequest, Found, Listed, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value};

pub struct HostedZone;

/// How many record deletions `force_destroy` sends per change batch
/// (Route53 takes up to 1,000 changes).
const DELETIONS_PER_BATCH: usize = 100;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let attributes = vec![
        Attribute::required("name", Type::String)
            .force_new()
            .normalized_with(normalize_dns_name),
        Attribute::optional("comment", Type::String).default("Managed by Terraform"),
        Attribute::optional("force_destroy", Type::Bool).default(false),
        Attribute::computed("zone_id", Type::String),
        Attribute::computed("name_servers", Type::list_of(Type::String)),
        Attribute::computed("primary_name_server", Type::String),
        Attribute::computed("arn", Type::String),
    ];
    Schema::with_tags(
        attributes,
        vec![Timeouts::block(&["create", "update", "delete"])],
    )
});

/// Deletes every record but the zone's own NS and SOA, which Route53 keeps
/// until the zone goes.
async fn delete_all_records(
    aws: &AwsContext,
    zone_id: &str,
    zone_name: &str,
    timeout: Duration,
) -> Result<(), ProviderError> {
    let apex = normalize_dns_name(zone_name);
    let deletable: Vec<_> = list_records(aws, zone_id)
        .await?
        .into_iter()
        .filter(|r| {
            !(normalize_dns_name(r.name()) == apex
                && matches!(r.r#type(), RrType::Ns | RrType::Soa))
        })
        .collect();
    for chunk in deletable.chunks(DELETIONS_PER_BATCH) {
        let changes = chunk
            .iter()
            .map(|record| {
                Change::builder()
                    .action(ChangeAction::Delete)
                    .resource_record_set(record.clone())
                    .build()
                    .map_err(build_error)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let out = aws
            .route53()
            .change_resource_record_sets()
            .hosted_zone_id(zone_id)
            .change_batch(
                ChangeBatch::builder()
                    .set_changes(Some(changes))
                    .build()
                    .map_err(build_error)?,
            )
            .send()
            .await
            .map_err(sdk_error)?;
        if let Some(change) = out.change_info() {
            wait_for_change(aws, change.id(), timeout).await?;
        }
    }
    Ok(())
}

#[async_trait]
impl ResourceType for HostedZone {
    fn type_name(&self) -> &'static str {
        "aws_route53_zone"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    /// GetHostedZone per id (the only call that returns a zone's name
    /// servers), a few at a time, then one ListTagsForResources per 10 zones.
    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let partition = partition(aws.region().unwrap_or_default()).name;
        let mut zones = fetch_each(ids, |id| async move {
            let out = aws
                .route53()
                .get_hosted_zone()
                .id(&id)
                .send()
                .await
                .map_err(sdk_error)?;
            let Some(zone) = out.hosted_zone() else {
                return Ok(None);
            };
            let name_servers: Vec<String> = out
                .delegation_set()
                .map(|d| d.name_servers().to_vec())
                .unwrap_or_default();
            let mut sorted = name_servers.clone();
            sorted.sort();
            Ok(Some(Attrs::from([
                ("id".into(), Value::string(id.as_str())),
                ("zone_id".into(), Value::string(clean_zone_id(zone.id()))),
                ("name".into(), Value::string(clean_dns_name(zone.name()))),
                (
                    "comment".into(),
                    zone.config().and_then(|c| c.comment()).into(),
                ),
                ("name_servers".into(), Value::from(sorted)),
                (
                    "primary_name_server".into(),
                    name_servers.first().cloned().into(),
                ),
                (
                    "arn".into(),
                    Value::string(format!("arn:{partition}:route53:::hostedzone/{id}")),
                ),
            ])))
        })
        .await?;
        let found: Vec<String> = zones.keys().cloned().collect();
        let mut tags = read_tags(aws, TagResourceType::Hostedzone, &found).await?;
        for (id, zone) in zones.iter_mut() {
            zone.insert(
                "tags_all".into(),
                tags.remove(id)
                    .unwrap_or_else(|| Value::Map(Attrs::new().into())),
            );
        }
        Ok(zones)
    }

    /// The zone whose caller reference is the create's token, else a zone of
    /// the name that terrane's tags say this create made (zones may share a
    /// name, so one without them is no conflict).
    async fn find_created(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<Found, ProviderError> {
        let name = req.planned.str("name").map(normalize_dns_name);
        let mut zones = aws
            .route53()
            .list_hosted_zones()
            .into_paginator()
            .items()
            .send();
        let mut named = Vec::new();
        while let Some(zone) = zones.next().await {
            let zone = zone.map_err(sdk_error)?;
            let id = clean_zone_id(zone.id()).to_string();
            if zone.caller_reference() == req.client_token {
                return Ok(Found::Ours(id));
            }
            if name.as_deref() == Some(normalize_dns_name(zone.name()).as_str()) {
                named.push(id);
            }
        }
        let tags = tag_pairs(aws, TagResourceType::Hostedzone, &named).await?;
        let ours = |id: &String| {
            tags.get(id)
                .is_some_and(|pairs| made_by(aws, req, pairs.clone()))
        };
        Ok(named
            .into_iter()
            .find(ours)
            .map_or(Found::Nothing, Found::Ours))
    }

    async fn list_tagged(&self, aws: &AwsContext) -> Result<Vec<Listed>, ProviderError> {
        let zones: Vec<_> = aws
            .route53()
            .list_hosted_zones()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(sdk_error)?;
        let ids: Vec<String> = zones
            .iter()
            .map(|zone| clean_zone_id(zone.id()).to_string())
            .collect();
        Ok(tag_pairs(aws, TagResourceType::Hostedzone, &ids)
            .await?
            .into_iter()
            .collect())
    }

    async fn create(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<String, ProviderError> {
        let planned = req.planned;
        let out = aws
            .route53()
            .create_hosted_zone()
            .set_name(planned.str("name").map(String::from))
            // AWS answers a repeated reference with the zone it created the
            // first time (moto creates a second one).
            .caller_reference(req.client_token)
            .hosted_zone_config(
                HostedZoneConfig::builder()
                    .set_comment(planned.str("comment").map(String::from))
                    .build(),
            )
            .send()
            .await
            .map_err(sdk_error)?;
        let zone_id = id_from_answer(
            out.hosted_zone().map(|z| clean_zone_id(z.id())),
            "CreateHostedZone returned no zone",
        )?;
        if let Some(change) = out.change_info() {
            let timeout = Timeouts::from_attrs(planned, CHANGE_TIMEOUTS).create;
            wait_for_change(aws, change.id(), timeout).await?;
        }
        change_tags(
            aws,
            TagResourceType::Hostedzone,
            &zone_id,
            create_tags(aws, req),
            Vec::new(),
        )
        .await?;
        Ok(zone_id)
    }

    async fn update(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        let zone_id = prior_id(prior)?;
        if differs(prior, planned, "comment") {
            aws.route53()
                .update_hosted_zone_comment()
                .id(zone_id)
                .set_comment(planned.str("comment").map(String::from))
                .send()
                .await
                .map_err(sdk_error)?;
        }
        // force_destroy lives only in state: nothing to tell AWS.
        update_tags(aws, TagResourceType::Hostedzone, zone_id, prior, planned).await
    }

    /// Without `force_destroy`, a zone with records of its own fails with
    /// HostedZoneNotEmpty, as in Terraform.
    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let zone_id = prior_id(prior)?;
        if prior.bool("force_destroy").unwrap_or(false) {
            let timeout = Timeouts::from_attrs(prior, CHANGE_TIMEOUTS).delete;
            let name = prior.str("name").unwrap_or_default();
            let emptied = delete_all_records(aws, zone_id, name, timeout).await;
            if ok_if_not_found(emptied)?.is_none() {
                return Ok(());
            }
        }
        ok_if_already_gone(aws.route53().delete_hosted_zone().id(zone_id).send().await)
    }
}
