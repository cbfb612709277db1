//! `aws_route53_record`: one record set in a hosted zone — plain records
//! with a TTL, or an alias to an AWS endpoint such as a load balancer.
//!
//! **Id.** `ZONEID_NAME_TYPE`, plus `_SETIDENTIFIER` for weighted records,
//! as in Terraform; the name is lower case without its trailing dot.
//! `name` must be fully qualified (`www.example.com`); it and `alias.name`
//! compare without trailing dot and case, and are read back in lower case,
//! which is how Route53 answers.
//!
//! **Writes.** A create is a CREATE, which fails on a record set someone
//! already has (Terraform's default); with `allow_overwrite = true` it is
//! an UPSERT that takes the record set over. An update deletes the record
//! set and creates it anew in one batch. Each waits for its change to be
//! INSYNC. Deletes send the record set exactly as Route53 holds it, which
//! DELETE requires. Every routing policy Terraform has is modelled
//! (weighted, failover, latency, geolocation, geoproximity, CIDR,
//! multivalue answer), with health checks.

use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_route53::types::{
    AliasTarget, Change, ChangeAction, ChangeBatch, CidrRoutingConfig, Coordinates, GeoLocation,
    GeoProximityLocation, ResourceRecord, ResourceRecordSet, ResourceRecordSetFailover,
    ResourceRecordSetRegion, RrType,
};

use super::{CHANGE_TIMEOUTS, list_records, normalize_dns_name, wait_for_change};
use crate::provider::aws::convert::{nested, optional_block, prior_id, single, string_set};
use crate::provider::aws::{AwsContext, Timeouts, build_error, ok_if_not_found, sdk_error};
use crate::provider::schema::{Attribute, Block, Schema, Type};
use crate::provider::{CreateRequest, ErrorKind, Found, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value};

pub struct Record;

/// Record types an id's type part may name (Route53's RRType values).
const RECORD_TYPES: &[&str] = &[
    "A", "AAAA", "CAA", "CNAME", "DS", "HTTPS", "MX", "NAPTR", "NS", "PTR", "SOA", "SPF", "SRV",
    "SSHFP", "SVCB", "TLSA", "TXT",
];

/// Route53 limits each TXT character-string to 255 characters.
const TXT_CHUNK: usize = 255;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let alias = Schema::new(
        vec![
            Attribute::required("name", Type::String).normalized_with(normalize_dns_name),
            Attribute::required("zone_id", Type::String),
            Attribute::required("evaluate_target_health", Type::Bool),
        ],
        vec![],
    );
    let policy = |attributes: Vec<Attribute>, blocks: Vec<Block>| Schema::new(attributes, blocks);
    let coordinates = Schema::new(
        vec![
            Attribute::required("latitude", Type::String),
            Attribute::required("longitude", Type::String),
        ],
        vec![],
    );
    Schema::new(
        vec![
            Attribute::required("zone_id", Type::String).force_new(),
            Attribute::required("name", Type::String)
                .force_new()
                .normalized_with(normalize_dns_name),
            Attribute::required("type", Type::String).force_new(),
            Attribute::optional("ttl", Type::Number),
            Attribute::optional("records", Type::set_of(Type::String)),
            Attribute::optional("set_identifier", Type::String).force_new(),
            Attribute::optional("allow_overwrite", Type::Bool),
            Attribute::optional("health_check_id", Type::String),
            Attribute::optional("multivalue_answer_routing_policy", Type::Bool),
            Attribute::computed("fqdn", Type::String),
        ],
        vec![
            Block::single("alias", alias),
            Block::single(
                "weighted_routing_policy",
                policy(vec![Attribute::required("weight", Type::Number)], vec![]),
            ),
            Block::single(
                "failover_routing_policy",
                policy(vec![Attribute::required("type", Type::String)], vec![]),
            ),
            Block::single(
                "latency_routing_policy",
                policy(vec![Attribute::required("region", Type::String)], vec![]),
            ),
            Block::single(
                "geolocation_routing_policy",
                policy(
                    vec![
                        Attribute::optional("continent", Type::String),
                        Attribute::optional("country", Type::String),
                        Attribute::optional("subdivision", Type::String),
                    ],
                    vec![],
                ),
            ),
            Block::single(
                "geoproximity_routing_policy",
                policy(
                    vec![
                        Attribute::optional("aws_region", Type::String),
                        Attribute::optional("bias", Type::Number),
                        Attribute::optional("local_zone_group", Type::String),
                    ],
                    vec![Block::set("coordinates", coordinates)],
                ),
            ),
            Block::single(
                "cidr_routing_policy",
                policy(
                    vec![
                        Attribute::required("collection_id", Type::String),
                        Attribute::required("location_name", Type::String),
                    ],
                    vec![],
                ),
            ),
            Timeouts::block(&["create", "update", "delete"]),
        ],
    )
});

/// What identifies a record set within Route53.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct RecordKey {
    zone_id: String,
    /// Lower case, no trailing dot.
    name: String,
    rr_type: String,
    set_identifier: Option<String>,
}

impl RecordKey {
    fn of_planned(planned: &Attrs) -> RecordKey {
        RecordKey {
            zone_id: planned.str("zone_id").unwrap_or_default().to_string(),
            name: normalize_dns_name(planned.str("name").unwrap_or_default()),
            rr_type: planned.str("type").unwrap_or_default().to_string(),
            set_identifier: planned.str("set_identifier").map(String::from),
        }
    }

    fn of_record(zone_id: &str, record: &ResourceRecordSet) -> RecordKey {
        RecordKey {
            zone_id: zone_id.to_string(),
            name: normalize_dns_name(record.name()),
            rr_type: record.r#type().as_str().to_string(),
            set_identifier: record.set_identifier().map(String::from),
        }
    }

    fn id(&self) -> String {
        let mut id = format!("{}_{}_{}", self.zone_id, self.name, self.rr_type);
        if let Some(set) = &self.set_identifier {
            id.push('_');
            id.push_str(set);
        }
        id
    }

    /// Parses `ZONE_NAME_TYPE[_SET]`. Names may contain `_` (`_dmarc.…`), so
    /// the type is the last part that names a record type; what follows it
    /// is the set identifier.
    fn parse(id: &str) -> Result<RecordKey, ProviderError> {
        let parts: Vec<&str> = id.split('_').collect();
        let malformed = || {
            ProviderError::new(
                ErrorKind::Validation,
                format!(
                    "malformed id {id:?}: expected ZONEID_NAME_TYPE or ZONEID_NAME_TYPE_SETIDENTIFIER"
                ),
            )
        };
        let type_at = (2..parts.len())
            .rev()
            .find(|&i| RECORD_TYPES.contains(&parts[i]))
            .ok_or_else(malformed)?;
        let name = parts[1..type_at].join("_");
        if parts[0].is_empty() || name.is_empty() {
            return Err(malformed());
        }
        let set_identifier = (type_at + 1 < parts.len()).then(|| parts[type_at + 1..].join("_"));
        Ok(RecordKey {
            zone_id: parts[0].to_string(),
            name: normalize_dns_name(&name),
            rr_type: parts[type_at].to_string(),
            set_identifier,
        })
    }
}

fn is_txt(rr_type: &str) -> bool {
    matches!(rr_type, "TXT" | "SPF")
}

/// A TXT value as Route53 wants it: quoted, split into 255-character strings.
fn quote_txt(value: &str) -> String {
    if value.starts_with('"') {
        return value.to_string();
    }
    let chars: Vec<char> = value.chars().collect();
    let chunks: Vec<String> = chars
        .chunks(TXT_CHUNK)
        .map(|c| c.iter().collect())
        .collect();
    format!("\"{}\"", chunks.join("\" \""))
}

/// A TXT value as the user wrote it: Route53's quotes and string splits removed.
fn unquote_txt(value: &str) -> String {
    let inner = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value);
    inner.replace("\" \"", "")
}

fn record_set(planned: &Attrs) -> Result<ResourceRecordSet, ProviderError> {
    let rr_type = planned.str("type").unwrap_or_default();
    let records = planned
        .strings("records")
        .into_iter()
        .map(|value| {
            let value = if is_txt(rr_type) {
                quote_txt(&value)
            } else {
                value
            };
            ResourceRecord::builder()
                .value(value)
                .build()
                .map_err(build_error)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let alias = single(planned, "alias")
        .map(|a| {
            AliasTarget::builder()
                .set_dns_name(a.str("name").map(String::from))
                .set_hosted_zone_id(a.str("zone_id").map(String::from))
                .set_evaluate_target_health(a.bool("evaluate_target_health"))
                .build()
                .map_err(build_error)
        })
        .transpose()?;
    let weight = single(planned, "weighted_routing_policy").and_then(|w| w.i64("weight"));
    let text = |attrs: &Attrs, key: &str| attrs.str(key).map(String::from);
    let geo = single(planned, "geolocation_routing_policy").map(|g| {
        GeoLocation::builder()
            .set_continent_code(text(g, "continent"))
            .set_country_code(text(g, "country"))
            .set_subdivision_code(text(g, "subdivision"))
            .build()
    });
    let proximity = single(planned, "geoproximity_routing_policy")
        .map(|g| {
            let coordinates = single(g, "coordinates")
                .map(|c| {
                    Coordinates::builder()
                        .set_latitude(text(c, "latitude"))
                        .set_longitude(text(c, "longitude"))
                        .build()
                        .map_err(build_error)
                })
                .transpose()?;
            Ok::<_, ProviderError>(
                GeoProximityLocation::builder()
                    .set_aws_region(text(g, "aws_region"))
                    .set_bias(g.i64("bias").map(|b| b as i32))
                    .set_local_zone_group(text(g, "local_zone_group"))
                    .set_coordinates(coordinates)
                    .build(),
            )
        })
        .transpose()?;
    let cidr = single(planned, "cidr_routing_policy")
        .map(|c| {
            CidrRoutingConfig::builder()
                .set_collection_id(text(c, "collection_id"))
                .set_location_name(text(c, "location_name"))
                .build()
                .map_err(build_error)
        })
        .transpose()?;
    ResourceRecordSet::builder()
        .set_name(planned.str("name").map(String::from))
        .r#type(RrType::from(rr_type))
        .set_ttl(planned.i64("ttl"))
        .set_resource_records((!records.is_empty()).then_some(records))
        .set_alias_target(alias)
        .set_set_identifier(planned.str("set_identifier").map(String::from))
        .set_weight(weight)
        .set_failover(
            single(planned, "failover_routing_policy")
                .and_then(|f| f.str("type"))
                .map(ResourceRecordSetFailover::from),
        )
        .set_region(
            single(planned, "latency_routing_policy")
                .and_then(|l| l.str("region"))
                .map(ResourceRecordSetRegion::from),
        )
        .set_geo_location(geo)
        .set_geo_proximity_location(proximity)
        .set_cidr_routing_config(cidr)
        .set_multi_value_answer(
            planned
                .bool("multivalue_answer_routing_policy")
                .filter(|multivalue| *multivalue),
        )
        .set_health_check_id(planned.str("health_check_id").map(String::from))
        .build()
        .map_err(build_error)
}

/// Sends `changes` as one batch (Route53 applies a batch as a whole) and
/// waits for it to be in sync.
async fn change(
    aws: &AwsContext,
    zone_id: &str,
    changes: Vec<(ChangeAction, ResourceRecordSet)>,
    timeout: Duration,
) -> Result<(), ProviderError> {
    let changes = changes
        .into_iter()
        .map(|(action, set)| {
            Change::builder()
                .action(action)
                .resource_record_set(set)
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
    match out.change_info() {
        Some(info) => wait_for_change(aws, info.id(), timeout).await,
        None => Ok(()),
    }
}

/// Whether a record set read back holds what `planned` writes: its TTL,
/// values (as a set) and alias target.
fn same_contents(read: &Attrs, planned: &Attrs) -> bool {
    let mut read_values = read.strings("records");
    let mut planned_values = planned.strings("records");
    read_values.sort();
    planned_values.sort();
    let alias = |attrs: &Attrs| {
        single(attrs, "alias").map(|a| {
            (
                a.str("name").map(normalize_dns_name),
                a.str("zone_id").map(str::to_string),
            )
        })
    };
    read_values == planned_values
        && read.i64("ttl") == planned.i64("ttl")
        && alias(read) == alias(planned)
}

fn to_attrs(key: &RecordKey, record: &ResourceRecordSet) -> Attrs {
    let rr_type = record.r#type().as_str();
    let records: Vec<String> = record
        .resource_records()
        .iter()
        .map(|r| {
            if is_txt(rr_type) {
                unquote_txt(r.value())
            } else {
                r.value().to_string()
            }
        })
        .collect();
    let alias = record.alias_target().map(|a| {
        nested([
            ("name", Value::string(normalize_dns_name(a.dns_name()))),
            ("zone_id", Value::string(a.hosted_zone_id())),
            (
                "evaluate_target_health",
                Value::Bool(a.evaluate_target_health()),
            ),
        ])
    });
    let weighted = record
        .weight()
        .map(|w| nested([("weight", Value::from(w))]));
    let failover = record
        .failover()
        .map(|f| nested([("type", Value::string(f.as_str()))]));
    let latency = record
        .region()
        .map(|r| nested([("region", Value::string(r.as_str()))]));
    let geolocation = record.geo_location().map(|g| {
        nested([
            ("continent", g.continent_code().into()),
            ("country", g.country_code().into()),
            ("subdivision", g.subdivision_code().into()),
        ])
    });
    let geoproximity = record.geo_proximity_location().map(|g| {
        let coordinates = g.coordinates().map(|c| {
            nested([
                ("latitude", Value::string(c.latitude())),
                ("longitude", Value::string(c.longitude())),
            ])
        });
        nested([
            ("aws_region", g.aws_region().into()),
            ("bias", g.bias().into()),
            ("local_zone_group", g.local_zone_group().into()),
            ("coordinates", optional_block(coordinates)),
        ])
    });
    let cidr = record.cidr_routing_config().map(|c| {
        nested([
            ("collection_id", Value::string(c.collection_id())),
            ("location_name", Value::string(c.location_name())),
        ])
    });
    Attrs::from([
        ("id".into(), Value::string(key.id())),
        ("zone_id".into(), Value::string(key.zone_id.as_str())),
        ("name".into(), Value::string(key.name.as_str())),
        ("fqdn".into(), Value::string(key.name.as_str())),
        ("type".into(), Value::string(rr_type)),
        // Alias records have no TTL of their own; some endpoints report 0.
        (
            "ttl".into(),
            record
                .ttl()
                .filter(|_| record.alias_target().is_none())
                .into(),
        ),
        (
            "records".into(),
            if records.is_empty() {
                Value::Null
            } else {
                string_set(records)
            },
        ),
        ("set_identifier".into(), record.set_identifier().into()),
        ("alias".into(), optional_block(alias)),
        ("weighted_routing_policy".into(), optional_block(weighted)),
        ("failover_routing_policy".into(), optional_block(failover)),
        ("latency_routing_policy".into(), optional_block(latency)),
        (
            "geolocation_routing_policy".into(),
            optional_block(geolocation),
        ),
        (
            "geoproximity_routing_policy".into(),
            optional_block(geoproximity),
        ),
        ("cidr_routing_policy".into(), optional_block(cidr)),
        (
            "multivalue_answer_routing_policy".into(),
            record.multi_value_answer().filter(|m| *m).into(),
        ),
        ("health_check_id".into(), record.health_check_id().into()),
    ])
}

/// The zone's record sets by key; none when the zone is gone.
async fn zone_records(
    aws: &AwsContext,
    zone_id: &str,
) -> Result<BTreeMap<RecordKey, ResourceRecordSet>, ProviderError> {
    let records = ok_if_not_found(list_records(aws, zone_id).await)?.unwrap_or_default();
    Ok(records
        .into_iter()
        .map(|record| (RecordKey::of_record(zone_id, &record), record))
        .collect())
}

#[async_trait]
impl ResourceType for Record {
    fn type_name(&self) -> &'static str {
        "aws_route53_record"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    /// One ListResourceRecordSets (plus pages) per zone, for all requested
    /// records of that zone.
    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let mut by_zone: BTreeMap<String, Vec<(String, RecordKey)>> = BTreeMap::new();
        for id in ids {
            let key = RecordKey::parse(id)?;
            by_zone
                .entry(key.zone_id.clone())
                .or_default()
                .push((id.clone(), key));
        }
        let mut found = BTreeMap::new();
        for (zone_id, wanted) in by_zone {
            let records = zone_records(aws, &zone_id).await?;
            for (id, key) in wanted {
                if let Some(record) = records.get(&key) {
                    found.insert(id, to_attrs(&key, record));
                }
            }
        }
        Ok(found)
    }

    /// The record set of that name and type in the zone, when it exists.
    async fn find_created(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<Found, ProviderError> {
        let known = ["zone_id", "name", "type"]
            .iter()
            .all(|key| req.planned.str(key).is_some());
        let id = known.then(|| RecordKey::of_planned(req.planned).id());
        let Some(id) = id else {
            return Ok(Found::Nothing);
        };
        let found = self.read_many(aws, std::slice::from_ref(&id)).await?;
        let Some(record) = found.get(&id) else {
            return Ok(Found::Nothing);
        };
        // Records carry no tags: one holding what this create writes is
        // its own (or no different from it); one holding something else is
        // someone else's, unless the configuration allows taking it over.
        let overwrite = req.planned.bool("allow_overwrite") == Some(true);
        Ok(if overwrite || same_contents(record, req.planned) {
            Found::Ours(id)
        } else {
            Found::Foreign(id)
        })
    }

    async fn create(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<String, ProviderError> {
        let key = RecordKey::of_planned(req.planned);
        let action = if req.planned.bool("allow_overwrite") == Some(true) {
            ChangeAction::Upsert
        } else {
            ChangeAction::Create
        };
        change(
            aws,
            &key.zone_id,
            vec![(action, record_set(req.planned)?)],
            Timeouts::from_attrs(req.planned, CHANGE_TIMEOUTS).create,
        )
        .await?;
        Ok(key.id())
    }

    /// The record set as Route53 holds it is deleted and the planned one
    /// created in one batch, as Terraform does: an UPSERT cannot move a
    /// record set from one routing policy to another. One gone meanwhile is
    /// made again.
    async fn update(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        let key = RecordKey::parse(prior_id(prior)?)?;
        // `allow_overwrite` and `timeouts` steer calls only.
        let record_changed = SCHEMA
            .settable_names()
            .into_iter()
            .filter(|name| !matches!(*name, "allow_overwrite" | "timeouts"))
            .any(|name| SCHEMA.argument_changed(name, prior, planned));
        if !record_changed {
            return Ok(());
        }
        let timeout = Timeouts::from_attrs(planned, CHANGE_TIMEOUTS).update;
        let mut changes = Vec::new();
        if let Some(current) = zone_records(aws, &key.zone_id).await?.remove(&key) {
            changes.push((ChangeAction::Delete, current));
        }
        changes.push((ChangeAction::Create, record_set(planned)?));
        change(aws, &key.zone_id, changes, timeout).await
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let key = RecordKey::parse(prior_id(prior)?)?;
        let Some(current) = zone_records(aws, &key.zone_id).await?.remove(&key) else {
            return Ok(());
        };
        let timeout = Timeouts::from_attrs(prior, CHANGE_TIMEOUTS).delete;
        ok_if_not_found(
            change(
                aws,
                &key.zone_id,
                vec![(ChangeAction::Delete, current)],
                timeout,
            )
            .await,
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::aws::convert::block;
    use crate::value::attrs;

    /// After a lost create answer, a record set holding what the create
    /// writes is taken for its own; one holding anything else is not.
    #[test]
    fn a_record_set_is_ours_only_when_it_holds_what_the_create_writes() {
        let planned = attrs([
            ("ttl", Value::from(60)),
            ("records", Value::from(vec!["192.0.2.2", "192.0.2.1"])),
        ]);
        let read = attrs([
            ("ttl", Value::from(60)),
            ("records", Value::from(vec!["192.0.2.1", "192.0.2.2"])),
        ]);
        assert!(same_contents(&read, &planned));
        let theirs = attrs([
            ("ttl", Value::from(300)),
            ("records", Value::from(vec!["192.0.2.1", "192.0.2.2"])),
        ]);
        assert!(!same_contents(&theirs, &planned));
    }

    #[test]
    fn ids_round_trip_with_underscored_names_and_set_identifiers() {
        for id in [
            "Z1_www.example.com_A",
            "Z1__dmarc.example.com_TXT",
            "Z1_w.example.com_A_blue_1",
        ] {
            assert_eq!(RecordKey::parse(id).unwrap().id(), id);
        }
        let key = RecordKey::parse("Z1_w.example.com_A_blue_1").unwrap();
        assert_eq!(key.set_identifier.as_deref(), Some("blue_1"));
        assert_eq!(key.name, "w.example.com");
        assert!(RecordKey::parse("Z1_www.example.com").is_err());
    }

    #[test]
    fn txt_values_read_back_as_written() {
        let long = "x".repeat(300);
        assert_eq!(unquote_txt(&quote_txt(&long)), long);
        assert_eq!(quote_txt("v=spf1 -all"), "\"v=spf1 -all\"");
        assert_eq!(unquote_txt("\"v=spf1 -all\""), "v=spf1 -all");
    }

    /// The routing policies the emulator does not keep (geoproximity and
    /// CIDR) are checked here: written into the record set Route53 is sent
    /// and read back from it as written.
    #[test]
    fn every_routing_policy_reads_back_as_written() {
        let base = || {
            attrs([
                ("zone_id", Value::string("Z1")),
                ("name", Value::string("api.example.com")),
                ("type", Value::string("A")),
                ("ttl", Value::from(60)),
                ("records", Value::from(vec!["192.0.2.1"])),
                ("set_identifier", Value::string("one")),
                ("health_check_id", Value::string("hc-1")),
            ])
        };
        let policies = [
            (
                "geoproximity_routing_policy",
                attrs([
                    ("aws_region", Value::string("us-east-1")),
                    ("bias", Value::from(10)),
                    (
                        "coordinates",
                        Value::List(
                            vec![Value::Map(
                                attrs([
                                    ("latitude", Value::string("49.22")),
                                    ("longitude", Value::string("-74.01")),
                                ])
                                .into(),
                            )]
                            .into(),
                        ),
                    ),
                ]),
            ),
            (
                "cidr_routing_policy",
                attrs([
                    ("collection_id", Value::string("c-1")),
                    ("location_name", Value::string("office")),
                ]),
            ),
            (
                "geolocation_routing_policy",
                attrs([
                    ("country", Value::string("US")),
                    ("subdivision", Value::string("CA")),
                ]),
            ),
            (
                "failover_routing_policy",
                attrs([("type", Value::string("PRIMARY"))]),
            ),
            (
                "latency_routing_policy",
                attrs([("region", Value::string("eu-west-1"))]),
            ),
        ];
        let schema = &*SCHEMA;
        for (name, policy) in policies {
            let mut planned = base();
            planned.insert(name.into(), block(policy));
            let key = RecordKey::of_planned(&planned);
            let read = to_attrs(&key, &record_set(&planned).unwrap());
            for field in [name, "health_check_id", "set_identifier"] {
                assert!(
                    !schema.argument_changed(field, &read, &planned),
                    "{name}: {field}: {:?}",
                    read.get(field)
                );
            }
        }
    }

    #[test]
    fn alias_records_read_back_as_written() {
        let planned = attrs([
            ("zone_id", Value::string("Z1")),
            ("name", Value::string("WWW.example.com.")),
            ("type", Value::string("A")),
            (
                "alias",
                block(attrs([
                    ("name", Value::string("Web-1.us-east-1.elb.amazonaws.com")),
                    ("zone_id", Value::string("Z35SXDOTRQ7X7K")),
                    ("evaluate_target_health", Value::Bool(true)),
                ])),
            ),
        ]);
        let key = RecordKey::of_planned(&planned);
        assert_eq!(key.id(), "Z1_www.example.com_A");
        let read = to_attrs(&key, &record_set(&planned).unwrap());
        let schema = &*SCHEMA;
        for field in ["name", "alias"] {
            assert_eq!(
                schema.normalize(&read).get(field),
                schema.normalize(&planned).get(field),
                "{field}"
            );
        }
        assert_eq!(read["records"], Value::Null);
    }
}
