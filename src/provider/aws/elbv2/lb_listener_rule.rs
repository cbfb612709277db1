//! `aws_lb_listener_rule`: a rule on a listener that routes the requests
//! its conditions match (a path such as `/api/*`, a host name, a header, a
//! method, a query string, a source address) to its actions.
//!
//! The id is the ARN, as in Terraform. Without a `priority` the rule takes
//! the listener's highest one plus one, as Terraform does. Conditions and
//! actions change in place (ModifyRule), the priority too
//! (SetRulePriorities); the listener forces a new rule. Conditions compare
//! as a set, their values as sets.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{
    HostHeaderConditionConfig, HttpHeaderConditionConfig, HttpRequestMethodConditionConfig,
    PathPatternConditionConfig, QueryStringConditionConfig, QueryStringKeyValuePair, Rule,
    RuleCondition, RulePriorityPair, SourceIpConditionConfig,
};

use super::{
    action_schema, action_to_value, actions, describe_paginated_by_arns, owner_by_arn,
    read_described, tags_for_create, update_tags,
};
use crate::provider::aws::convert::{block, differs, i32_arg, nested, prior_id, single};
use crate::provider::aws::{AwsContext, id_from_answer, ok_if_already_gone, sdk_error};
use crate::provider::schema::{Attribute, Block, Schema, Type};
use crate::provider::{CreateRequest, Found, ProviderError, ResourceType};
use crate::value::{Attrs, AttrsExt, Value};

pub struct LbListenerRule;

/// The condition blocks that hold only a set of `values`, with ELBv2's
/// field name for each.
const VALUE_CONDITIONS: [(&str, &str); 4] = [
    ("host_header", "host-header"),
    ("http_request_method", "http-request-method"),
    ("path_pattern", "path-pattern"),
    ("source_ip", "source-ip"),
];

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let values = || {
        Schema::new(
            vec![Attribute::required("values", Type::set_of(Type::String))],
            vec![],
        )
    };
    let http_header = Schema::new(
        vec![
            Attribute::required("http_header_name", Type::String),
            Attribute::required("values", Type::set_of(Type::String)),
        ],
        vec![],
    );
    let query_string = Schema::new(
        vec![
            Attribute::optional("key", Type::String),
            Attribute::required("value", Type::String),
        ],
        vec![],
    );
    let mut condition_blocks: Vec<Block> = VALUE_CONDITIONS
        .iter()
        .map(|(name, _)| Block::single(name, values()))
        .collect();
    condition_blocks.push(Block::single("http_header", http_header));
    condition_blocks.push(Block::set("query_string", query_string));
    let attributes = vec![
        Attribute::required("listener_arn", Type::String).force_new(),
        Attribute::optional_computed("priority", Type::Number),
        Attribute::computed("arn", Type::String),
    ];
    Schema::with_tags(
        attributes,
        vec![
            Block::list("action", action_schema()).required(),
            Block::set("condition", Schema::new(vec![], condition_blocks)).required(),
        ],
    )
});

/// The condition blocks as ELBv2 conditions, one field each.
fn conditions(planned: &Attrs) -> Vec<RuleCondition> {
    let mut out = Vec::new();
    for condition in planned.blocks("condition") {
        for (name, field) in VALUE_CONDITIONS {
            let Some(values) = single(condition, name).map(|c| c.strings("values")) else {
                continue;
            };
            let values = Some(values);
            let rule = RuleCondition::builder().field(field);
            let rule = match name {
                "host_header" => rule.host_header_config(
                    HostHeaderConditionConfig::builder()
                        .set_values(values)
                        .build(),
                ),
                "http_request_method" => rule.http_request_method_config(
                    HttpRequestMethodConditionConfig::builder()
                        .set_values(values)
                        .build(),
                ),
                "path_pattern" => rule.path_pattern_config(
                    PathPatternConditionConfig::builder()
                        .set_values(values)
                        .build(),
                ),
                _ => rule.source_ip_config(
                    SourceIpConditionConfig::builder()
                        .set_values(values)
                        .build(),
                ),
            };
            out.push(rule.build());
        }
        if let Some(header) = single(condition, "http_header") {
            let config = HttpHeaderConditionConfig::builder()
                .set_http_header_name(header.str("http_header_name").map(String::from))
                .set_values(Some(header.strings("values")))
                .build();
            out.push(
                RuleCondition::builder()
                    .field("http-header")
                    .http_header_config(config)
                    .build(),
            );
        }
        let pairs = condition.blocks("query_string");
        if !pairs.is_empty() {
            let pairs = pairs.iter().map(|pair| {
                QueryStringKeyValuePair::builder()
                    .set_key(pair.str("key").map(String::from))
                    .set_value(pair.str("value").map(String::from))
                    .build()
            });
            let config = QueryStringConditionConfig::builder()
                .set_values(Some(pairs.collect()))
                .build();
            out.push(
                RuleCondition::builder()
                    .field("query-string")
                    .query_string_config(config)
                    .build(),
            );
        }
    }
    out
}

/// An ELBv2 condition as a condition block. A field's config may be
/// missing from an answer that gives only the older `Values` list.
fn condition_to_value(condition: &RuleCondition) -> Value {
    let strings =
        |values: &[String]| Value::List(values.iter().map(Value::string).collect()).into_set();
    let field = condition.field().unwrap_or_default();
    let mut attrs = Attrs::new();
    for (name, wanted) in VALUE_CONDITIONS {
        let values = if field != wanted {
            None
        } else {
            let configured = match name {
                "host_header" => condition.host_header_config().map(|c| c.values()),
                "http_request_method" => condition.http_request_method_config().map(|c| c.values()),
                "path_pattern" => condition.path_pattern_config().map(|c| c.values()),
                _ => condition.source_ip_config().map(|c| c.values()),
            };
            Some(configured.unwrap_or(condition.values()))
        };
        let value = values.map_or(Value::List(vec![].into()), |v| {
            block(nested([("values", strings(v))]))
        });
        attrs.insert(name.to_string(), value);
    }
    let header = condition
        .http_header_config()
        .filter(|_| field == "http-header")
        .map(|h| {
            block(nested([
                ("http_header_name", h.http_header_name().into()),
                ("values", strings(h.values())),
            ]))
        });
    attrs.insert(
        "http_header".into(),
        header.unwrap_or(Value::List(vec![].into())),
    );
    let pairs = condition
        .query_string_config()
        .filter(|_| field == "query-string")
        .map(|q| q.values())
        .unwrap_or_default()
        .iter()
        .map(|pair| {
            Value::Map(nested([("key", pair.key().into()), ("value", pair.value().into())]).into())
        });
    attrs.insert(
        "query_string".into(),
        Value::List(pairs.collect()).into_set(),
    );
    Value::Map(attrs.into())
}

/// A rule's listener, from its ARN: `…:listener-rule/app/LB/ID/LISTENER/RULE`
/// is on `…:listener/app/LB/ID/LISTENER`.
fn listener_of(rule_arn: &str) -> Option<String> {
    let listener = rule_arn.replacen(":listener-rule/", ":listener/", 1);
    let (listener, _rule) = listener.rsplit_once('/')?;
    Some(listener.to_string())
}

fn to_attrs(rule: &Rule, tags: Value) -> Attrs {
    let arn = rule.rule_arn().unwrap_or_default();
    let mut actions: Vec<_> = rule.actions().iter().collect();
    actions.sort_by_key(|a| a.order().unwrap_or(i32::MAX));
    let priority = rule.priority().and_then(|p| p.parse::<f64>().ok());
    Attrs::from([
        ("id".into(), Value::string(arn)),
        ("arn".into(), Value::string(arn)),
        ("listener_arn".into(), listener_of(arn).into()),
        (
            "priority".into(),
            priority.map_or(Value::Null, Value::float),
        ),
        (
            "action".into(),
            Value::List(actions.into_iter().map(action_to_value).collect()),
        ),
        (
            "condition".into(),
            Value::List(rule.conditions().iter().map(condition_to_value).collect()).into_set(),
        ),
        ("tags_all".into(), tags),
    ])
}

/// The listener's highest rule priority plus one: where Terraform puts a
/// rule written without one.
async fn next_priority(aws: &AwsContext, listener: &str) -> Result<i32, ProviderError> {
    let rules = aws
        .elbv2()
        .describe_rules()
        .listener_arn(listener)
        .send()
        .await
        .map_err(sdk_error)?;
    let highest = rules
        .rules()
        .iter()
        .filter_map(|r| r.priority()?.parse::<i32>().ok())
        .max()
        .unwrap_or(0);
    Ok(highest + 1)
}

#[async_trait]
impl ResourceType for LbListenerRule {
    fn type_name(&self) -> &'static str {
        "aws_lb_listener_rule"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    /// One DescribeRules (per 20 ARNs) and one DescribeTags for all ids.
    async fn read_many(
        &self,
        aws: &AwsContext,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let rules =
            describe_paginated_by_arns!(ids, aws.elbv2().describe_rules(), set_rule_arns).await?;
        read_described(
            aws,
            rules,
            Rule::rule_arn,
            |_| async { Ok(()) },
            |rule, (), tags| to_attrs(rule, tags),
        )
        .await
    }

    /// A rule has no name: the listener's rule carrying this create's
    /// address in terrane's tags. Another's rule at the priority asked for
    /// is someone else's.
    async fn find_created(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<Found, ProviderError> {
        let Some(listener) = req.planned.str("listener_arn") else {
            return Ok(Found::Nothing);
        };
        let priority = i32_arg(req.planned, "priority").map(|p| p.to_string());
        let mut found = Found::Nothing;
        let mut marker: Option<String> = None;
        loop {
            let page = aws
                .elbv2()
                .describe_rules()
                .listener_arn(listener)
                .set_marker(marker)
                .send()
                .await
                .map_err(sdk_error)?;
            for rule in page.rules().iter().filter(|r| r.is_default() != Some(true)) {
                match owner_by_arn(aws, req, rule.rule_arn()).await? {
                    Found::Ours(arn) => return Ok(Found::Ours(arn)),
                    Found::Foreign(arn) if rule.priority() == priority.as_deref() => {
                        found = Found::Foreign(arn);
                    }
                    _ => {}
                }
            }
            marker = page.next_marker().map(str::to_string);
            if marker.is_none() {
                return Ok(found);
            }
        }
    }

    async fn create(
        &self,
        aws: &AwsContext,
        req: &CreateRequest<'_>,
    ) -> Result<String, ProviderError> {
        let planned = req.planned;
        let listener = planned.str("listener_arn").unwrap_or_default();
        let priority = match i32_arg(planned, "priority") {
            Some(priority) => priority,
            None => next_priority(aws, listener).await?,
        };
        let out = aws
            .elbv2()
            .create_rule()
            .listener_arn(listener)
            .priority(priority)
            .set_conditions(Some(conditions(planned)))
            .set_actions(Some(actions(planned, "action")))
            .set_tags(Some(tags_for_create(aws, req)))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(id_from_answer(
            out.rules().first().and_then(|r| r.rule_arn()),
            "CreateRule returned no ARN",
        )?)
    }

    async fn update(
        &self,
        aws: &AwsContext,
        prior: &Attrs,
        planned: &Attrs,
    ) -> Result<(), ProviderError> {
        let arn = prior_id(prior)?;
        if let Some(priority) =
            i32_arg(planned, "priority").filter(|_| differs(prior, planned, "priority"))
        {
            aws.elbv2()
                .set_rule_priorities()
                .rule_priorities(
                    RulePriorityPair::builder()
                        .rule_arn(arn)
                        .priority(priority)
                        .build(),
                )
                .send()
                .await
                .map_err(sdk_error)?;
        }
        if differs(prior, planned, "action") || differs(prior, planned, "condition") {
            aws.elbv2()
                .modify_rule()
                .rule_arn(arn)
                .set_conditions(Some(conditions(planned)))
                .set_actions(Some(actions(planned, "action")))
                .send()
                .await
                .map_err(sdk_error)?;
        }
        update_tags(aws, arn, prior, planned).await
    }

    async fn delete(&self, aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        let arn = prior_id(prior)?;
        ok_if_already_gone(aws.elbv2().delete_rule().rule_arn(arn).send().await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::attrs;

    #[test]
    fn a_rules_listener_is_its_arn_without_the_rule() {
        assert_eq!(
            listener_of(
                "arn:aws:elasticloadbalancing:eu-west-1:1:listener-rule/app/web/50dc/f2f7/9683"
            )
            .as_deref(),
            Some("arn:aws:elasticloadbalancing:eu-west-1:1:listener/app/web/50dc/f2f7")
        );
    }

    #[test]
    fn conditions_round_trip_as_written() {
        let values = |items: &[&str]| {
            block(nested([(
                "values",
                Value::List(items.iter().map(|s| Value::string(*s)).collect()).into_set(),
            )]))
        };
        let path = attrs([("path_pattern", values(&["/api/*", "/v2/*"]))]);
        let host = attrs([("host_header", values(&["api.example.com"]))]);
        let planned = attrs([(
            "condition",
            Value::List(vec![Value::Map(path.into()), Value::Map(host.into())].into()).into_set(),
        )]);
        let sent = conditions(&planned);
        assert_eq!(sent.len(), 2);
        let read = Value::List(sent.iter().map(condition_to_value).collect()).into_set();
        let written = planned["condition"].clone();
        // Read back, each condition also names the blocks it leaves empty.
        let normalized = |v: &Value| match v {
            Value::List(items) => items
                .iter()
                .map(|c| {
                    let c = c.as_map().expect("condition");
                    c.iter()
                        .filter(|(_, v)| {
                            !matches!(v, Value::List(l) if l.is_empty()) && !v.is_null()
                        })
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect::<Attrs>()
                })
                .map(|c| format!("{c:?}"))
                .collect::<std::collections::BTreeSet<_>>(),
            _ => Default::default(),
        };
        assert_eq!(normalized(&read), normalized(&written));
    }
}
