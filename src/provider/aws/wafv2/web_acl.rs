//! `aws_wafv2_web_acl`: a WAFv2 web ACL with managed-rule-group and
//! rate-based rules.
//!
//! **Id.** `ID/NAME/SCOPE`, as every WAFv2 type's (see the module above).
//!
//! **Locking.** Updates and deletes carry the lock token from a fresh
//! GetWebACL. If someone changes the ACL between that Get and our call, WAF
//! answers WAFOptimisticLockException, which surfaces as a Conflict for the
//! engine to retry (with a new Get).
//!
//! Rule statements are `statement.rs`'s; custom request handling and
//! responses are not modelled. WAFv2 has no batched Get: `read_many` gets each ACL on its own.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use async_trait::async_trait;
use aws_sdk_wafv2::types::{
    AllowAction, BlockAction, CountAction, DefaultAction, NoneAction, OverrideAction, Rule, Scope,
    VisibilityConfig, WebAcl,
};

use super::statement::{
    action_schema, has, marker, marker_value, rule_action, rule_action_value, statement,
    statement_schema, statement_value,
};
use super::{
    WafKey, delete_with_token, find_created_among, get_with_token, id_from_terraform,
    list_summaries, read_tags, update_tags, waf_tags, with_tags,
};
use crate::provider::aws::batch::fetch_each;
use crate::provider::aws::convert::{differs, i32_arg, nested, optional_block, prior_id, single};
use crate::provider::aws::tags::create_tags;
use crate::provider::aws::{AwsContext, build_error, id_from_answer, sdk_error};
use crate::provider::schema::{Attribute, Block, Schema, Type};
use crate::provider::{CreateRequest, Found, Listed, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value};

pub struct WebAclType;

fn visibility_config_schema() -> Schema {
    Schema::new(
        vec![
            Attribute::required("cloudwatch_metrics_enabled", Type::Bool),
            Attribute::required("metric_name", Type::String),
            Attribute::required("sampled_requests_enabled", Type::Bool),
        ],
        vec![],
    )
}

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let statement = statement_schema();
    let rule = Schema::new(
        vec![
            Attribute::required("name", Type::String),
            Attribute::required("priority", Type::Number),
        ],
        vec![
            Block::single("action", action_schema()),
            Block::single(
                "override_action",
                Schema::new(vec![], vec![marker("count"), marker("none")]),
            ),
            Block::single("statement", statement).required(),
            Block::single("visibility_config", visibility_config_schema()).required(),
        ],
    );
    let attributes = vec![
        Attribute::required("name", Type::String).force_new(),
        Attribute::optional("description", Type::String),
        Attribute::required("scope", Type::String).force_new(),
        Attribute::computed("arn", Type::String),
        Attribute::computed("capacity", Type::Number),
        Attribute::computed("lock_token", Type::String),
    ];
    Schema::with_tags(
        attributes,
        vec![
            Block::single(
                "default_action",
                Schema::new(vec![], vec![marker("allow"), marker("block")]),
            )
            .required(),
            Block::set("rule", rule),
            Block::single("visibility_config", visibility_config_schema()).required(),
        ],
    )
});

// ---- configuration → WAFv2 ----

fn default_action(planned: &Attrs) -> DefaultAction {
    let empty = Attrs::new();
    let action = single(planned, "default_action").unwrap_or(&empty);
    DefaultAction::builder()
        .set_allow(has(action, "allow").then(|| AllowAction::builder().build()))
        .set_block(has(action, "block").then(|| BlockAction::builder().build()))
        .build()
}

fn visibility_config(attrs: &Attrs) -> Result<VisibilityConfig, ProviderError> {
    let empty = Attrs::new();
    let config = single(attrs, "visibility_config").unwrap_or(&empty);
    VisibilityConfig::builder()
        .set_cloud_watch_metrics_enabled(config.bool("cloudwatch_metrics_enabled"))
        .set_metric_name(config.str("metric_name").map(String::from))
        .set_sampled_requests_enabled(config.bool("sampled_requests_enabled"))
        .build()
        .map_err(build_error)
}

fn rule(rule: &Attrs) -> Result<Rule, ProviderError> {
    let action = single(rule, "action").map(rule_action);
    let override_action = single(rule, "override_action").map(|o| {
        OverrideAction::builder()
            .set_count(has(o, "count").then(|| CountAction::builder().build()))
            .set_none(has(o, "none").then(|| NoneAction::builder().build()))
            .build()
    });
    Rule::builder()
        .set_name(rule.str("name").map(String::from))
        .set_priority(i32_arg(rule, "priority"))
        .set_action(action)
        .set_override_action(override_action)
        .set_statement(Some(statement(
            single(rule, "statement").unwrap_or(&Attrs::new()),
        )?))
        .set_visibility_config(Some(visibility_config(rule)?))
        .build()
        .map_err(build_error)
}

fn rules(planned: &Attrs) -> Result<Vec<Rule>, ProviderError> {
    planned.blocks("rule").into_iter().map(rule).collect()
}

// ---- WAFv2 → values ----

fn visibility_config_value(config: Option<&VisibilityConfig>) -> Value {
    optional_block(config.map(|c| {
        nested([
            (
                "cloudwatch_metrics_enabled",
                Value::Bool(c.cloud_watch_metrics_enabled()),
            ),
            ("metric_name", Value::string(c.metric_name())),
            (
                "sampled_requests_enabled",
                Value::Bool(c.sampled_requests_enabled()),
            ),
        ])
    }))
}

fn rule_value(rule: &Rule) -> Value {
    let override_action = rule.override_action().map(|o| {
        nested([
            ("count", marker_value(o.count().is_some())),
            ("none", marker_value(o.none().is_some())),
        ])
    });
    Value::Map(
        nested([
            ("name", Value::string(rule.name())),
            ("priority", Value::from(rule.priority())),
            (
                "action",
                rule.action().map_or(Value::List(vec![].into()), |a| {
                    Value::List(vec![rule_action_value(a)].into())
                }),
            ),
            ("override_action", optional_block(override_action)),
            ("statement", statement_value(rule.statement())),
            (
                "visibility_config",
                visibility_config_value(rule.visibility_config()),
            ),
        ])
        .into(),
    )
}

fn to_attrs(id: &str, scope: &str, acl: &WebAcl, lock_token: Option<&str>, tags: Value) -> Attrs {
    let default_action = acl.default_action().map(|d| {
        nested([
            ("allow", marker_value(d.allow().is_some())),
            ("block", marker_value(d.block().is_some())),
        ])
    });
    let mut rules: Vec<&Rule> = acl.rules().iter().collect();
    rules.sort_by_key(|r| r.priority());
    Attrs::from([
        ("id".into(), Value::string(id)),
        ("arn".into(), Value::string(acl.arn())),
        ("name".into(), Value::string(acl.name())),
        // AWS answers "" for an ACL created without a description.
        (
            "description".into(),
            acl.description().filter(|d| !d.is_empty()).into(),
        ),
        ("scope".into(), Value::string(scope)),
        ("capacity".into(), Value::from(acl.capacity())),
        ("lock_token".into(), lock_token.into()),
        ("default_action".into(), optional_block(default_action)),
        (
            "rule".into(),
            Value::List(rules.into_iter().map(rule_value).collect()).into_set(),
        ),
        (
            "visibility_config".into(),
            visibility_config_value(acl.visibility_config()),
        ),
        ("tags_all".into(), tags),
    ])
}

// ---- calls ----

async fn get(
    aws: &AwsContext,
    key: &WafKey<'_>,
) -> Result<(WebAcl, Option<String>), ProviderError> {
    get_with_token!(aws, get_web_acl, web_acl, key, "web ACL").await
}

/// Writes the planned configuration with the given lock token. `update`
/// passes the token of a fresh Get; a stale one fails with a Conflict.
pub async fn update_with_lock_token(
    aws: &AwsContext,
    id: &str,
    planned: &Attrs,
    lock_token: &str,
) -> Result<(), ProviderError> {
    let key = WafKey::parse(id)?;
    aws.wafv2()
        .update_web_acl()
        .id(key.id)
        .name(key.name)
        .scope(key.scope)
        .set_description(planned.str("description").map(String::from))
        .default_action(default_action(planned))
        .set_rules(Some(rules(planned)?))
        .visibility_config(visibility_config(planned)?)
        .lock_token(lock_token)
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(())
}

#[async_trait]
impl ResourceType for WebAclType {
    fn id_from_terraform(&self, terraform_id: &str, attributes: &Attrs) -> String {
        id_from_terraform(terraform_id, attributes)
    }

    fn type_name(&self) -> &'static str {
        "aws_wafv2_web_acl"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    /// GetWebACL and ListTagsForResource per id (WAFv2 has no batched Get),
    /// a few at a time.
    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        fetch_each(ids, |id| async move {
            let key = WafKey::parse(&id)?;
            let (acl, lock_token) = get(aws, &key).await?;
            let tags = read_tags(aws, acl.arn()).await?;
            Ok(Some(to_attrs(
                &id,
                key.scope.as_str(),
                &acl,
                lock_token.as_deref(),
                tags,
            )))
        })
        .await
    }

    async fn find_created(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<Found, ProviderError> {
        let name = req.planned.str("name").unwrap_or_default();
        let scope = req.planned.str("scope").unwrap_or("REGIONAL");
        let listed = list_summaries!(aws, list_web_acls, web_acls, scope).await?;
        find_created_among(aws, req, listed, name).await
    }

    /// The regional ACLs only: CloudFront's scope is listed from us-east-1
    /// alone, and a stack in another region would miss them anyway.
    async fn list_tagged(&self, aws: &AwsContext) -> Result<Vec<Listed>, ProviderError> {
        let listed = list_summaries!(aws, list_web_acls, web_acls, "REGIONAL").await?;
        with_tags(aws, listed).await
    }

    async fn create(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<String, ProviderError> {
        let planned = req.planned;
        let name = planned.str("name").unwrap_or_default();
        let scope = planned.str("scope").unwrap_or("REGIONAL");
        let out = aws
            .wafv2()
            .create_web_acl()
            .name(name)
            .scope(Scope::from(scope))
            .set_description(planned.str("description").map(String::from))
            .default_action(default_action(planned))
            .set_rules(Some(rules(planned)?))
            .visibility_config(visibility_config(planned)?)
            .set_tags(Some(waf_tags(create_tags(aws, req))?))
            .send()
            .await
            .map_err(sdk_error)?;
        let acl_id = id_from_answer(
            out.summary().and_then(|s| s.id()),
            "CreateWebACL returned no id",
        )?;
        Ok(format!("{acl_id}/{name}/{scope}"))
    }

    async fn update(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        let id = prior_id(prior)?;
        let settings = ["description", "default_action", "rule", "visibility_config"];
        if settings.iter().any(|key| differs(prior, planned, key)) {
            let (_, lock_token) = get(aws, &WafKey::parse(id)?).await?;
            update_with_lock_token(aws, id, planned, lock_token.as_deref().unwrap_or_default())
                .await?;
        }
        let arn = prior.str("arn").unwrap_or_default();
        update_tags(aws, arn, prior, planned).await
    }

    /// An ACL still associated with a resource fails with
    /// WAFAssociatedItemException, a Conflict the engine retries while the
    /// association is being deleted.
    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let key = WafKey::parse(prior_id(prior)?)?;
        delete_with_token!(aws, get_web_acl, web_acl, delete_web_acl, &key, "web ACL").await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::aws::convert::block;
    use crate::value::attrs;

    fn visibility(metric: &str) -> Value {
        block(attrs([
            ("cloudwatch_metrics_enabled", Value::Bool(true)),
            ("metric_name", Value::string(metric)),
            ("sampled_requests_enabled", Value::Bool(false)),
        ]))
    }

    #[test]
    fn rules_round_trip_as_written() {
        let managed = attrs([
            ("name", Value::string("common")),
            ("priority", Value::from(1)),
            (
                "override_action",
                block(attrs([("none", block(Attrs::new()))])),
            ),
            (
                "statement",
                block(attrs([(
                    "managed_rule_group_statement",
                    block(attrs([
                        ("name", Value::string("AWSManagedRulesCommonRuleSet")),
                        ("vendor_name", Value::string("AWS")),
                    ])),
                )])),
            ),
            ("visibility_config", visibility("common")),
        ]);
        let rate = attrs([
            ("name", Value::string("rate")),
            ("priority", Value::from(2)),
            ("action", block(attrs([("block", block(Attrs::new()))]))),
            (
                "statement",
                block(attrs([(
                    "rate_based_statement",
                    block(attrs([
                        ("limit", Value::from(2000)),
                        ("aggregate_key_type", Value::string("IP")),
                        ("evaluation_window_sec", Value::from(300)),
                    ])),
                )])),
            ),
            ("visibility_config", visibility("rate")),
        ]);
        for written in [managed, rate] {
            let sent = rule(&written).unwrap();
            assert_eq!(rule_value(&sent), Value::Map(written.into()));
        }
    }
}
