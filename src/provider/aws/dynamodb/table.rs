//! `aws_dynamodb_table`: a table, its keys and indexes, capacity, stream,
//! time to live, point-in-time recovery, encryption and class.
//!
//! The id is the table's name, as in Terraform. The keys, local indexes
//! and name force a new table; everything else changes in place, one
//! UpdateTable at a time as DynamoDB requires (each global index added or
//! removed is its own call, and the table must be ACTIVE in between).
//! Replicas, imports, restores and on-demand throughput limits are not
//! supported yet.

use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, GlobalSecondaryIndexDescription,
    GlobalSecondaryIndexUpdate, KeySchemaElement, KeyType, LocalSecondaryIndex,
    PointInTimeRecoverySpecification, Projection, ProjectionType, ProvisionedThroughput,
    SseSpecification, StreamSpecification, TableDescription, TableStatus, Tag,
    TimeToLiveSpecification,
};
use futures::TryFutureExt;

use crate::provider::aws::batch::fetch_each;
use crate::provider::aws::convert::{
    block, differs, nested, prior_id, required_str, single, string_set,
};
use crate::provider::aws::tags::{create_tags, owner_of_named, tags_to_value, update_tags_all};
use crate::provider::aws::{AwsContext, Timeouts, ok_if_not_found, sdk_error, wait_until};
use crate::provider::schema::{Attribute, Block, Schema, Type};
use crate::provider::{CreateRequest, ErrorKind, Found, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value};

pub struct DynamoDbTable;

/// The provider's defaults: 30 minutes to create or delete, an hour to
/// update (a new global index backfills).
const DEFAULT_TIMEOUTS: Timeouts = Timeouts {
    create: Duration::from_secs(30 * 60),
    update: Duration::from_secs(60 * 60),
    delete: Duration::from_secs(10 * 60),
};

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let attributes = vec![
        Attribute::required("name", Type::String).force_new(),
        Attribute::optional("billing_mode", Type::String).default("PROVISIONED"),
        Attribute::optional_computed("hash_key", Type::String).force_new(),
        Attribute::optional("range_key", Type::String).force_new(),
        Attribute::optional_computed("read_capacity", Type::Number),
        Attribute::optional_computed("write_capacity", Type::Number),
        Attribute::optional("stream_enabled", Type::Bool).default(false),
        Attribute::optional_computed("stream_view_type", Type::String),
        Attribute::optional("table_class", Type::String).default("STANDARD"),
        Attribute::optional("deletion_protection_enabled", Type::Bool).default(false),
        Attribute::computed("arn", Type::String),
        Attribute::computed("stream_arn", Type::String),
        Attribute::computed("stream_label", Type::String),
    ];
    let blocks = vec![
        Block::set(
            "attribute",
            Schema::new(
                vec![
                    Attribute::required("name", Type::String),
                    Attribute::required("type", Type::String),
                ],
                vec![],
            ),
        ),
        Block::set(
            "global_secondary_index",
            Schema::new(
                vec![
                    Attribute::required("name", Type::String),
                    Attribute::required("hash_key", Type::String),
                    Attribute::optional("range_key", Type::String),
                    Attribute::required("projection_type", Type::String),
                    Attribute::optional("non_key_attributes", Type::set_of(Type::String)),
                    // Terraform: optional and computed. A set's objects have
                    // no earlier object to take a computed value from, so
                    // terrane reads these as written: null on demand.
                    Attribute::optional("read_capacity", Type::Number),
                    Attribute::optional("write_capacity", Type::Number),
                ],
                vec![],
            ),
        ),
        Block::set(
            "local_secondary_index",
            Schema::new(
                vec![
                    Attribute::required("name", Type::String),
                    Attribute::required("range_key", Type::String),
                    Attribute::required("projection_type", Type::String),
                    Attribute::optional("non_key_attributes", Type::list_of(Type::String)),
                ],
                vec![],
            ),
        )
        .force_new(),
        Block::single(
            "point_in_time_recovery",
            Schema::new(
                vec![
                    Attribute::required("enabled", Type::Bool),
                    Attribute::optional_computed("recovery_period_in_days", Type::Number),
                ],
                vec![],
            ),
        )
        .computed_when_absent(),
        Block::single(
            "server_side_encryption",
            Schema::new(
                vec![
                    Attribute::required("enabled", Type::Bool),
                    Attribute::optional_computed("kms_key_arn", Type::String),
                ],
                vec![],
            ),
        )
        .computed_when_absent(),
        Block::single(
            "ttl",
            Schema::new(
                vec![
                    Attribute::optional("attribute_name", Type::String),
                    Attribute::optional("enabled", Type::Bool),
                ],
                vec![],
            ),
        )
        .computed_when_absent(),
        Timeouts::block(&["create", "update", "delete"]),
    ];
    Schema::with_tags(attributes, blocks)
});

async fn describe(aws: &AwsContext, name: &str) -> Result<Option<TableDescription>, ProviderError> {
    let got = aws
        .dynamodb()
        .describe_table()
        .table_name(name)
        .send()
        .await
        .map_err(sdk_error);
    Ok(ok_if_not_found(got)?.and_then(|out| out.table))
}

fn key_of(schema: &[KeySchemaElement], kind: KeyType) -> Option<&str> {
    schema
        .iter()
        .find(|k| k.key_type() == &kind)
        .map(|k| k.attribute_name())
}

fn projection_attrs(projection: Option<&Projection>) -> (Value, Vec<String>) {
    let kind = projection
        .and_then(|p| p.projection_type())
        .map(|t| t.as_str());
    let extra = projection
        .map(|p| p.non_key_attributes().to_vec())
        .unwrap_or_default();
    (kind.into(), extra)
}

fn global_index_attrs(index: &GlobalSecondaryIndexDescription, provisioned: bool) -> Value {
    let keys = index.key_schema();
    let (projection, extra) = projection_attrs(index.projection());
    let throughput = index.provisioned_throughput().filter(|_| provisioned);
    Value::Map(
        nested([
            ("name", index.index_name().into()),
            ("hash_key", key_of(keys, KeyType::Hash).into()),
            ("range_key", key_of(keys, KeyType::Range).into()),
            ("projection_type", projection),
            (
                "non_key_attributes",
                if extra.is_empty() {
                    Value::Null
                } else {
                    string_set(extra)
                },
            ),
            (
                "read_capacity",
                throughput.and_then(|t| t.read_capacity_units()).into(),
            ),
            (
                "write_capacity",
                throughput.and_then(|t| t.write_capacity_units()).into(),
            ),
        ])
        .into(),
    )
}

/// The table's tags, terrane's own included.
async fn table_tags(aws: &AwsContext, arn: &str) -> Result<Vec<(String, String)>, ProviderError> {
    let mut tags = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let page = aws
            .dynamodb()
            .list_tags_of_resource()
            .resource_arn(arn)
            .set_next_token(next)
            .send()
            .await
            .map_err(sdk_error)?;
        tags.extend(
            page.tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string())),
        );
        next = page.next_token().map(str::to_string);
        if next.is_none() {
            return Ok(tags);
        }
    }
}

async fn read_table(aws: &AwsContext, name: &str) -> Result<Option<Attrs>, ProviderError> {
    let Some(table) = describe(aws, name).await? else {
        return Ok(None);
    };
    if table.table_status() == Some(&TableStatus::Deleting) {
        return Ok(None);
    }
    let client = aws.dynamodb();
    let ttl = client
        .describe_time_to_live()
        .table_name(name)
        .send()
        .await
        .map_err(sdk_error)?;
    let backups = client
        .describe_continuous_backups()
        .table_name(name)
        .send()
        .await
        .map_err(sdk_error)?;
    let arn = table.table_arn().unwrap_or_default().to_string();
    let tags = table_tags(aws, &arn).await?;
    let keys = table.key_schema();
    let billing = table
        .billing_mode_summary()
        .and_then(|b| b.billing_mode())
        .map_or("PROVISIONED", |m| m.as_str());
    let throughput = table.provisioned_throughput();
    let stream = table.stream_specification();
    let mut attrs = Attrs::new();
    attrs.insert("id".into(), Value::string(name));
    attrs.insert("name".into(), Value::string(name));
    attrs.insert("arn".into(), Value::string(&arn));
    attrs.insert("billing_mode".into(), Value::string(billing));
    attrs.insert("hash_key".into(), key_of(keys, KeyType::Hash).into());
    attrs.insert("range_key".into(), key_of(keys, KeyType::Range).into());
    attrs.insert(
        "read_capacity".into(),
        throughput.and_then(|t| t.read_capacity_units()).into(),
    );
    attrs.insert(
        "write_capacity".into(),
        throughput.and_then(|t| t.write_capacity_units()).into(),
    );
    let stream_enabled = stream.is_some_and(|s| s.stream_enabled());
    attrs.insert("stream_enabled".into(), Value::Bool(stream_enabled));
    attrs.insert(
        "stream_view_type".into(),
        stream
            .filter(|_| stream_enabled)
            .and_then(|s| s.stream_view_type())
            .map(|t| t.as_str())
            .into(),
    );
    attrs.insert("stream_arn".into(), table.latest_stream_arn().into());
    attrs.insert("stream_label".into(), table.latest_stream_label().into());
    // Older answers leave the class out: a table without one is standard.
    let class = table
        .table_class_summary()
        .and_then(|c| c.table_class())
        .map_or("STANDARD", |c| c.as_str());
    attrs.insert("table_class".into(), Value::string(class));
    attrs.insert(
        "deletion_protection_enabled".into(),
        Value::Bool(table.deletion_protection_enabled().unwrap_or(false)),
    );
    let definitions: Vec<Value> = table
        .attribute_definitions()
        .iter()
        .map(|a| {
            Value::Map(
                nested([
                    ("name", Value::string(a.attribute_name())),
                    ("type", Value::string(a.attribute_type().as_str())),
                ])
                .into(),
            )
        })
        .collect();
    attrs.insert(
        "attribute".into(),
        Value::List(definitions.into()).into_set(),
    );
    let globals: Vec<Value> = table
        .global_secondary_indexes()
        .iter()
        .map(|index| global_index_attrs(index, billing == "PROVISIONED"))
        .collect();
    attrs.insert(
        "global_secondary_index".into(),
        Value::List(globals.into()).into_set(),
    );
    let locals: Vec<Value> = table
        .local_secondary_indexes()
        .iter()
        .map(|index| {
            let (projection, extra) = projection_attrs(index.projection());
            Value::Map(
                nested([
                    ("name", index.index_name().into()),
                    (
                        "range_key",
                        key_of(index.key_schema(), KeyType::Range).into(),
                    ),
                    ("projection_type", projection),
                    (
                        "non_key_attributes",
                        if extra.is_empty() {
                            Value::Null
                        } else {
                            Value::from(extra)
                        },
                    ),
                ])
                .into(),
            )
        })
        .collect();
    attrs.insert(
        "local_secondary_index".into(),
        Value::List(locals.into()).into_set(),
    );
    let recovery = backups
        .continuous_backups_description()
        .and_then(|d| d.point_in_time_recovery_description());
    attrs.insert(
        "point_in_time_recovery".into(),
        block(nested([
            (
                "enabled",
                Value::Bool(
                    recovery
                        .and_then(|r| r.point_in_time_recovery_status())
                        .is_some_and(|s| s.as_str() == "ENABLED"),
                ),
            ),
            (
                "recovery_period_in_days",
                recovery.and_then(|r| r.recovery_period_in_days()).into(),
            ),
        ])),
    );
    let sse = table.sse_description();
    let sse_enabled = sse
        .and_then(|s| s.status())
        .is_some_and(|s| matches!(s.as_str(), "ENABLED" | "ENABLING" | "UPDATING"));
    attrs.insert(
        "server_side_encryption".into(),
        if sse_enabled {
            block(nested([
                ("enabled", Value::Bool(true)),
                (
                    "kms_key_arn",
                    sse.and_then(|s| s.kms_master_key_arn()).into(),
                ),
            ]))
        } else {
            Value::List(Vec::new().into())
        },
    );
    let ttl = ttl.time_to_live_description();
    let ttl_enabled = ttl
        .and_then(|t| t.time_to_live_status())
        .is_some_and(|s| matches!(s.as_str(), "ENABLED" | "ENABLING"));
    attrs.insert(
        "ttl".into(),
        block(nested([
            (
                "attribute_name",
                ttl.and_then(|t| t.attribute_name())
                    .filter(|_| ttl_enabled)
                    .into(),
            ),
            ("enabled", Value::Bool(ttl_enabled)),
        ])),
    );
    attrs.insert("tags_all".into(), tags_to_value(tags));
    Ok(Some(attrs))
}

fn invalid(e: impl std::fmt::Display) -> ProviderError {
    ProviderError::new(ErrorKind::Validation, e.to_string())
}

fn key_schema(hash: &str, range: Option<&str>) -> Result<Vec<KeySchemaElement>, ProviderError> {
    let mut keys = vec![
        KeySchemaElement::builder()
            .attribute_name(hash)
            .key_type(KeyType::Hash)
            .build()
            .map_err(invalid)?,
    ];
    if let Some(range) = range {
        keys.push(
            KeySchemaElement::builder()
                .attribute_name(range)
                .key_type(KeyType::Range)
                .build()
                .map_err(invalid)?,
        );
    }
    Ok(keys)
}

fn projection(index: &Attrs) -> Projection {
    let extra = index.strings("non_key_attributes");
    Projection::builder()
        .set_projection_type(index.str("projection_type").map(ProjectionType::from))
        .set_non_key_attributes((!extra.is_empty()).then_some(extra))
        .build()
}

fn throughput(
    attrs: &Attrs,
    provisioned: bool,
) -> Result<Option<ProvisionedThroughput>, ProviderError> {
    if !provisioned {
        return Ok(None);
    }
    let units = |key: &str| attrs.i64(key).unwrap_or(0);
    ProvisionedThroughput::builder()
        .read_capacity_units(units("read_capacity"))
        .write_capacity_units(units("write_capacity"))
        .build()
        .map(Some)
        .map_err(invalid)
}

fn provisioned(planned: &Attrs) -> bool {
    planned.str("billing_mode") != Some("PAY_PER_REQUEST")
}

fn global_index(index: &Attrs, provisioned: bool) -> Result<GlobalSecondaryIndex, ProviderError> {
    GlobalSecondaryIndex::builder()
        .index_name(required_str(index, "name")?)
        .set_key_schema(Some(key_schema(
            required_str(index, "hash_key")?,
            index.str("range_key"),
        )?))
        .projection(projection(index))
        .set_provisioned_throughput(throughput(index, provisioned)?)
        .build()
        .map_err(invalid)
}

/// The same index as an UpdateTable action that adds it.
fn create_index_action(
    index: &Attrs,
    provisioned: bool,
) -> Result<aws_sdk_dynamodb::types::CreateGlobalSecondaryIndexAction, ProviderError> {
    let index = global_index(index, provisioned)?;
    aws_sdk_dynamodb::types::CreateGlobalSecondaryIndexAction::builder()
        .index_name(index.index_name())
        .set_key_schema(Some(index.key_schema().to_vec()))
        .set_projection(index.projection().cloned())
        .set_provisioned_throughput(index.provisioned_throughput().cloned())
        .build()
        .map_err(invalid)
}

fn attribute_definitions(planned: &Attrs) -> Result<Vec<AttributeDefinition>, ProviderError> {
    planned
        .blocks("attribute")
        .into_iter()
        .map(|a| {
            AttributeDefinition::builder()
                .attribute_name(required_str(a, "name")?)
                .attribute_type(required_str(a, "type")?.into())
                .build()
                .map_err(invalid)
        })
        .collect()
}

fn stream(planned: &Attrs) -> Result<StreamSpecification, ProviderError> {
    let enabled = planned.bool("stream_enabled") == Some(true);
    StreamSpecification::builder()
        .stream_enabled(enabled)
        .set_stream_view_type(
            planned
                .str("stream_view_type")
                .filter(|_| enabled)
                .map(Into::into),
        )
        .build()
        .map_err(invalid)
}

fn sse(planned: &Attrs) -> Option<SseSpecification> {
    let block = single(planned, "server_side_encryption")?;
    let enabled = block.bool("enabled") == Some(true);
    Some(
        SseSpecification::builder()
            .enabled(enabled)
            .set_sse_type(enabled.then(|| "KMS".into()))
            .set_kms_master_key_id(
                block
                    .str("kms_key_arn")
                    .filter(|_| enabled)
                    .map(str::to_string),
            )
            .build(),
    )
}

/// Waits until the table and every global index are ACTIVE.
async fn wait_active(aws: &AwsContext, name: &str, timeout: Duration) -> Result<(), ProviderError> {
    wait_until(
        &format!("DynamoDB table {name} to be active"),
        timeout,
        || async {
            let table = describe(aws, name).await?;
            let active = table.is_some_and(|t| {
                t.table_status() == Some(&TableStatus::Active)
                    && t.global_secondary_indexes()
                        .iter()
                        .all(|i| i.index_status().is_none_or(|s| s.as_str() == "ACTIVE"))
            });
            Ok(active.then_some(()))
        },
    )
    .await
}

async fn set_ttl(
    aws: &AwsContext,
    name: &str,
    prior: Option<&Attrs>,
    planned: &Attrs,
) -> Result<(), ProviderError> {
    let wanted = single(planned, "ttl");
    let enabled = wanted.and_then(|t| t.bool("enabled")) == Some(true);
    // Disabling names the attribute it was enabled on.
    let attribute = wanted
        .and_then(|t| t.str("attribute_name"))
        .filter(|_| enabled)
        .or_else(|| {
            prior
                .and_then(|p| single(p, "ttl"))
                .and_then(|t| t.str("attribute_name"))
        });
    let Some(attribute) = attribute else {
        return Ok(());
    };
    aws.dynamodb()
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name(attribute)
                .enabled(enabled)
                .build()
                .map_err(invalid)?,
        )
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(())
}

async fn set_recovery(aws: &AwsContext, name: &str, planned: &Attrs) -> Result<(), ProviderError> {
    let Some(recovery) = single(planned, "point_in_time_recovery") else {
        return Ok(());
    };
    let enabled = recovery.bool("enabled") == Some(true);
    let days = recovery
        .i64("recovery_period_in_days")
        .filter(|_| enabled)
        .map(|d| d as i32);
    aws.dynamodb()
        .update_continuous_backups()
        .table_name(name)
        .point_in_time_recovery_specification(
            PointInTimeRecoverySpecification::builder()
                .point_in_time_recovery_enabled(enabled)
                .set_recovery_period_in_days(days)
                .build()
                .map_err(invalid)?,
        )
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(())
}

fn dynamodb_tags(tags: BTreeMap<String, String>) -> Result<Vec<Tag>, ProviderError> {
    tags.into_iter()
        .map(|(key, value)| {
            Tag::builder()
                .key(key)
                .value(value)
                .build()
                .map_err(invalid)
        })
        .collect()
}

#[async_trait]
impl ResourceType for DynamoDbTable {
    fn type_name(&self) -> &'static str {
        "aws_dynamodb_table"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    /// DescribeTable, DescribeTimeToLive, DescribeContinuousBackups and
    /// ListTagsOfResource per table.
    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        fetch_each(ids, |name| async move { read_table(aws, &name).await }).await
    }

    async fn find_created(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<Found, ProviderError> {
        let name = required_str(req.planned, "name")?;
        Ok(match describe(aws, name).await? {
            Some(table) => {
                let tags = table_tags(aws, table.table_arn().unwrap_or_default()).await?;
                owner_of_named(aws, req, name.to_string(), tags)
            }
            None => Found::Nothing,
        })
    }

    async fn create(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<String, ProviderError> {
        let planned = req.planned;
        let name = required_str(planned, "name")?;
        let provisioned = provisioned(planned);
        let globals = planned
            .blocks("global_secondary_index")
            .into_iter()
            .map(|index| global_index(index, provisioned))
            .collect::<Result<Vec<_>, _>>()?;
        let hash_key = required_str(planned, "hash_key")?;
        let locals = planned
            .blocks("local_secondary_index")
            .into_iter()
            .map(|index| {
                LocalSecondaryIndex::builder()
                    .index_name(required_str(index, "name")?)
                    .set_key_schema(Some(key_schema(hash_key, index.str("range_key"))?))
                    .projection(projection(index))
                    .build()
                    .map_err(invalid)
            })
            .collect::<Result<Vec<_>, _>>()?;
        aws.dynamodb()
            .create_table()
            .table_name(name)
            .set_attribute_definitions(Some(attribute_definitions(planned)?))
            .set_key_schema(Some(key_schema(hash_key, planned.str("range_key"))?))
            .billing_mode(BillingMode::from(
                planned.str("billing_mode").unwrap_or("PROVISIONED"),
            ))
            .set_provisioned_throughput(throughput(planned, provisioned)?)
            .set_global_secondary_indexes((!globals.is_empty()).then_some(globals))
            .set_local_secondary_indexes((!locals.is_empty()).then_some(locals))
            .set_stream_specification(if planned.bool("stream_enabled") == Some(true) {
                Some(stream(planned)?)
            } else {
                None
            })
            .set_sse_specification(sse(planned))
            .set_table_class(planned.str("table_class").map(Into::into))
            .set_deletion_protection_enabled(planned.bool("deletion_protection_enabled"))
            .set_tags(Some(dynamodb_tags(create_tags(aws, req))?))
            .send()
            .await
            .map_err(sdk_error)?;
        let timeouts = Timeouts::from_attrs(planned, DEFAULT_TIMEOUTS);
        wait_active(aws, name, timeouts.create).await?;
        set_ttl(aws, name, None, planned).await?;
        if single(planned, "point_in_time_recovery").and_then(|r| r.bool("enabled")) == Some(true) {
            set_recovery(aws, name, planned).await?;
        }
        Ok(name.to_string())
    }

    async fn update(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        let name = prior_id(prior)?;
        let timeouts = Timeouts::from_attrs(planned, DEFAULT_TIMEOUTS);
        let client = aws.dynamodb();
        let provisioned = provisioned(planned);
        let table_changed = [
            "billing_mode",
            "read_capacity",
            "write_capacity",
            "table_class",
            "deletion_protection_enabled",
        ]
        .iter()
        .any(|key| differs(prior, planned, key));
        if table_changed {
            client
                .update_table()
                .table_name(name)
                .set_billing_mode(differs(prior, planned, "billing_mode").then(|| {
                    BillingMode::from(planned.str("billing_mode").unwrap_or("PROVISIONED"))
                }))
                // AWS refuses a throughput that does not change.
                .set_provisioned_throughput(
                    if ["billing_mode", "read_capacity", "write_capacity"]
                        .iter()
                        .any(|key| differs(prior, planned, key))
                    {
                        throughput(planned, provisioned)?
                    } else {
                        None
                    },
                )
                .set_table_class(
                    planned
                        .str("table_class")
                        .filter(|_| differs(prior, planned, "table_class"))
                        .map(Into::into),
                )
                .set_deletion_protection_enabled(
                    planned
                        .bool("deletion_protection_enabled")
                        .filter(|_| differs(prior, planned, "deletion_protection_enabled")),
                )
                .send()
                .await
                .map_err(sdk_error)?;
            wait_active(aws, name, timeouts.update).await?;
        }
        if differs(prior, planned, "stream_enabled") || differs(prior, planned, "stream_view_type")
        {
            // A stream's view type cannot change while it is enabled: it is
            // turned off first, as the provider does.
            let was_enabled = prior.bool("stream_enabled") == Some(true);
            let stays_enabled = planned.bool("stream_enabled") == Some(true);
            let mut specifications = Vec::new();
            if was_enabled && stays_enabled {
                let mut off = planned.clone();
                off.insert("stream_enabled".into(), Value::Bool(false));
                specifications.push(stream(&off)?);
            }
            specifications.push(stream(planned)?);
            for specification in specifications {
                client
                    .update_table()
                    .table_name(name)
                    .stream_specification(specification)
                    .send()
                    .await
                    .map_err(sdk_error)?;
                wait_active(aws, name, timeouts.update).await?;
            }
        }
        if differs(prior, planned, "server_side_encryption")
            && let Some(sse) = sse(planned)
        {
            client
                .update_table()
                .table_name(name)
                .sse_specification(sse)
                .send()
                .await
                .map_err(sdk_error)?;
            wait_active(aws, name, timeouts.update).await?;
        }
        if differs(prior, planned, "global_secondary_index") {
            let by_name = |attrs: &Attrs| -> BTreeMap<String, Attrs> {
                attrs
                    .blocks("global_secondary_index")
                    .into_iter()
                    .filter_map(|i| Some((i.str("name")?.to_string(), i.clone())))
                    .collect()
            };
            let (before, after) = (by_name(prior), by_name(planned));
            let mut updates = Vec::new();
            for (index, was) in &before {
                match after.get(index) {
                    None => updates.push(
                        GlobalSecondaryIndexUpdate::builder()
                            .delete(
                                aws_sdk_dynamodb::types::DeleteGlobalSecondaryIndexAction::builder(
                                )
                                .index_name(index)
                                .build()
                                .map_err(invalid)?,
                            )
                            .build(),
                    ),
                    // Keys and projection cannot change: the index is made again.
                    Some(now)
                        if [
                            "hash_key",
                            "range_key",
                            "projection_type",
                            "non_key_attributes",
                        ]
                        .iter()
                        .any(|k| differs(was, now, k)) =>
                    {
                        updates.push(GlobalSecondaryIndexUpdate::builder()
                            .delete(aws_sdk_dynamodb::types::DeleteGlobalSecondaryIndexAction::builder().index_name(index).build().map_err(invalid)?)
                            .build());
                        updates.push(
                            GlobalSecondaryIndexUpdate::builder()
                                .create(create_index_action(now, provisioned)?)
                                .build(),
                        );
                    }
                    Some(now)
                        if provisioned
                            && (differs(was, now, "read_capacity")
                                || differs(was, now, "write_capacity")) =>
                    {
                        updates.push(GlobalSecondaryIndexUpdate::builder()
                            .update(aws_sdk_dynamodb::types::UpdateGlobalSecondaryIndexAction::builder()
                                .index_name(index)
                                .set_provisioned_throughput(throughput(now, true)?)
                                .build()
                                .map_err(invalid)?)
                            .build());
                    }
                    Some(_) => {}
                }
            }
            for (index, now) in &after {
                if !before.contains_key(index) {
                    updates.push(
                        GlobalSecondaryIndexUpdate::builder()
                            .create(create_index_action(now, provisioned)?)
                            .build(),
                    );
                }
            }
            // One index change per call, the table active in between.
            for update in updates {
                client
                    .update_table()
                    .table_name(name)
                    .set_attribute_definitions(Some(attribute_definitions(planned)?))
                    .global_secondary_index_updates(update)
                    .send()
                    .await
                    .map_err(sdk_error)?;
                wait_active(aws, name, timeouts.update).await?;
            }
        }
        if differs(prior, planned, "ttl") {
            set_ttl(aws, name, Some(prior), planned).await?;
        }
        if differs(prior, planned, "point_in_time_recovery") {
            set_recovery(aws, name, planned).await?;
        }
        let arn = prior.str("arn").unwrap_or_default().to_string();
        update_tags_all(
            prior,
            planned,
            |keys| {
                client
                    .untag_resource()
                    .resource_arn(&arn)
                    .set_tag_keys(Some(keys))
                    .send()
                    .map_err(sdk_error)
            },
            |tags| {
                let tags = dynamodb_tags(tags);
                async {
                    client
                        .tag_resource()
                        .resource_arn(&arn)
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
        let name = prior_id(prior)?;
        let deleted = aws
            .dynamodb()
            .delete_table()
            .table_name(name)
            .send()
            .await
            .map_err(sdk_error);
        if ok_if_not_found(deleted)?.is_none() {
            return Ok(());
        }
        let timeout = Timeouts::from_attrs(prior, DEFAULT_TIMEOUTS).delete;
        wait_until(
            &format!("DynamoDB table {name} to be deleted"),
            timeout,
            || async { Ok(describe(aws, name).await?.is_none().then_some(())) },
        )
        .await
    }
}
