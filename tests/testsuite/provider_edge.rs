//! The edge of the production architecture — `aws_lb`, target groups,
//! listeners, WAFv2, Route53 and S3 — driven through `ResourceType` against a
//! fresh emulator per test, and checked with independent Describe/Get calls.
//!
//! The VPC, subnets and security groups these need are made with direct EC2
//! calls, so these tests don't depend on terrane's own network types.

use std::collections::BTreeMap;

use aws_sdk_elasticloadbalancingv2::types::{ActionTypeEnum, LoadBalancerSchemeEnum};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use aws_sdk_wafv2::types::Scope;
use terrane::provider::ErrorKind;
use terrane::provider::aws::wafv2::web_acl;
use terrane::provider::aws::{AwsContext, SYSTEM_TAG_PREFIX};
use terrane::provider::schema::{Presence, Schema};
use terrane::value::{Attrs, Value, attrs};

use crate::support::Emulator;
use crate::support::fixtures::{
    Network, assert_system_tags, block, context, create, delete_twice, map, network, read, strings,
    ty, update,
};

// ---- driving resource types as the engine does ----

/// What the engine passes as `planned`: schema defaults filled in (inside
/// blocks too), `tags_all` from `tags`, values in canonical form.
fn planned(type_name: &str, written: Attrs) -> Attrs {
    let schema = ty(type_name).schema();
    let mut out = with_defaults(schema, written);
    if schema.has_tags() {
        let tags = out
            .get("tags")
            .cloned()
            .unwrap_or(Value::Map(Attrs::new().into()));
        out.insert("tags_all".into(), tags);
    }
    schema.normalize(&out)
}

fn with_defaults(schema: &Schema, mut attrs: Attrs) -> Attrs {
    for attr in &schema.attributes {
        if let Some(default) = &attr.default {
            attrs
                .entry(attr.name.to_string())
                .or_insert_with(|| default.clone());
        }
    }
    for block in &schema.blocks {
        if let Some(Value::List(items)) = attrs.get_mut(block.name) {
            for item in items.iter_mut() {
                if let Value::Map(object) = item {
                    *object = with_defaults(&block.schema, std::mem::take(object)).into();
                }
            }
        }
    }
    attrs
}

/// The state the engine keeps: what was planned, overlaid with what was read
/// (state-only arguments such as `force_destroy` survive).
fn state(planned: &Attrs, read: &Attrs) -> Attrs {
    let mut state = planned.clone();
    state.extend(read.clone());
    state
}

/// Every argument the user wrote reads back equal (after the schema's
/// normalisation), so a second plan shows no diff; terrane's own tags are
/// hidden from `tags_all`.
fn assert_reads_back(type_name: &str, planned: &Attrs, read: &Attrs) {
    let schema = ty(type_name).schema();
    let planned = schema.normalize(planned);
    let read = schema.normalize(&keep_written_computed(schema, &planned, read.clone()));
    const STATE_ONLY: &[&str] = &[
        "tags",
        "timeouts",
        "force_destroy",
        "name_prefix",
        "bucket_prefix",
    ];
    for (key, value) in planned
        .iter()
        .filter(|(k, _)| !STATE_ONLY.contains(&k.as_str()))
    {
        assert_eq!(
            read.get(key),
            Some(value),
            "{type_name}.{key} reads back differently"
        );
    }
    if let Some(Value::Map(tags)) = read.get("tags_all") {
        assert!(
            tags.keys().all(|k| !k.starts_with(SYSTEM_TAG_PREFIX)),
            "{type_name} shows terrane's tags: {tags:?}"
        );
    }
}

/// Inside nested blocks, drops the optional-and-computed attributes the
/// configuration left out: like Terraform, the engine keeps AWS's values for
/// those (e.g. a health check's interval) instead of planning them away.
fn keep_written_computed(schema: &Schema, planned: &Attrs, mut read: Attrs) -> Attrs {
    for block in &schema.blocks {
        let (Some(Value::List(written)), Some(Value::List(objects))) =
            (planned.get(block.name), read.get_mut(block.name))
        else {
            continue;
        };
        if written.len() != objects.len() {
            continue;
        }
        for (written, object) in written.iter().zip(objects.iter_mut()) {
            let (Value::Map(written), Value::Map(object)) = (written, object) else {
                continue;
            };
            object.retain(|key, _| {
                written.contains_key(key)
                    || block
                        .schema
                        .attribute(key)
                        .is_none_or(|a| a.presence != Presence::OptionalComputed)
            });
            *object = keep_written_computed(&block.schema, written, std::mem::take(object)).into();
        }
    }
    read
}

/// `read_many` over `ids`, returning the ids found and the number of AWS
/// requests it took.
async fn read_many_counting(
    emulator: &Emulator,
    aws: &AwsContext,
    type_name: &str,
    ids: &[&str],
) -> (Vec<String>, usize) {
    let before = emulator.request_count();
    let ids: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    let found = ty(type_name)
        .read_many(aws, &ids)
        .await
        .unwrap_or_else(|e| panic!("read_many {type_name}: {e}"));
    (
        found.into_keys().collect(),
        emulator.request_count() - before,
    )
}

// ---- a network made directly, so these tests don't need terrane's EC2 types ----

const ZONES: &[&str] = &["us-east-1a", "us-east-1b", "us-east-1c"];
const SECURITY_GROUPS: &[&str] = &["alb", "alb-extra"];

fn alb_args(net: &Network, name: &str) -> Attrs {
    attrs([
        ("name", Value::string(name)),
        ("subnets", Value::from(net.subnets[..2].to_vec())),
        (
            "security_groups",
            Value::from(vec![net.security_groups[0].clone()]),
        ),
        ("idle_timeout", Value::from(120)),
        ("tags", map(&[("Name", name)])),
    ])
}

async fn elbv2_tags(emulator: &Emulator, arn: &str) -> BTreeMap<String, String> {
    let out = emulator
        .elbv2()
        .describe_tags()
        .resource_arns(arn)
        .send()
        .await
        .expect("describe tags");
    out.tag_descriptions()
        .iter()
        .flat_map(|d| d.tags())
        .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
        .collect()
}

// ---- the tests ----

#[tokio::test]
async fn load_balancer_target_group_and_listener_lifecycle() {
    let emulator = Emulator::start();
    let aws = context(&emulator);
    let elbv2 = emulator.elbv2();
    let net = network(&emulator, ZONES, SECURITY_GROUPS).await;

    // Target group.
    let tg_planned = planned(
        "aws_lb_target_group",
        attrs([
            ("name", Value::string("edge-web")),
            ("port", Value::from(80)),
            ("protocol", Value::string("HTTP")),
            ("vpc_id", Value::string(net.vpc.as_str())),
            ("deregistration_delay", Value::from(30)),
            (
                "health_check",
                block(attrs([
                    ("path", Value::string("/health")),
                    ("matcher", Value::string("200-299")),
                ])),
            ),
            ("tags", map(&[("Name", "edge-web")])),
        ]),
    );
    let tg_arn = create(&aws, "aws_lb_target_group.web", &tg_planned).await;
    let tg_read = read(&aws, "aws_lb_target_group", &tg_arn).await;
    assert_reads_back("aws_lb_target_group", &tg_planned, &tg_read);
    let described = elbv2
        .describe_target_groups()
        .target_group_arns(&tg_arn)
        .send()
        .await
        .unwrap();
    let tg = &described.target_groups()[0];
    assert_eq!(tg.health_check_path(), Some("/health"));
    assert_eq!(tg.matcher().and_then(|m| m.http_code()), Some("200-299"));
    let tg_attributes = elbv2
        .describe_target_group_attributes()
        .target_group_arn(&tg_arn)
        .send()
        .await
        .unwrap();
    assert!(tg_attributes.attributes().iter().any(|a| a.key()
        == Some("deregistration_delay.timeout_seconds")
        && a.value() == Some("30")));
    assert_system_tags(
        &elbv2_tags(&emulator, &tg_arn).await,
        "aws_lb_target_group.web",
    );
    assert!(
        tg_read["arn_suffix"]
            .as_str()
            .is_some_and(|s| s.starts_with("targetgroup/edge-web/"))
    );

    // Load balancer: internet-facing in the two given subnets.
    let lb_planned = planned("aws_lb", alb_args(&net, "edge-alb"));
    let lb_arn = create(&aws, "aws_lb.edge", &lb_planned).await;
    let lb_read = read(&aws, "aws_lb", &lb_arn).await;
    assert_reads_back("aws_lb", &lb_planned, &lb_read);
    let described = elbv2
        .describe_load_balancers()
        .load_balancer_arns(&lb_arn)
        .send()
        .await
        .unwrap();
    let lb = &described.load_balancers()[0];
    assert_eq!(lb.scheme(), Some(&LoadBalancerSchemeEnum::InternetFacing));
    let mut subnets: Vec<&str> = lb
        .availability_zones()
        .iter()
        .filter_map(|az| az.subnet_id())
        .collect();
    subnets.sort();
    let mut expected: Vec<&str> = net.subnets[..2].iter().map(String::as_str).collect();
    expected.sort();
    assert_eq!(subnets, expected);
    assert_eq!(lb_read["internal"], Value::Bool(false));
    assert_eq!(lb_read["dns_name"].as_str(), lb.dns_name());
    assert_eq!(lb_read["vpc_id"], Value::string(net.vpc.as_str()));
    assert!(
        lb_read["arn_suffix"]
            .as_str()
            .is_some_and(|s| s.starts_with("app/edge-alb/"))
    );
    assert_system_tags(&elbv2_tags(&emulator, &lb_arn).await, "aws_lb.edge");

    // Listener forwarding to the target group.
    let listener_planned = planned(
        "aws_lb_listener",
        attrs([
            ("load_balancer_arn", Value::string(lb_arn.as_str())),
            ("port", Value::from(80)),
            ("protocol", Value::string("HTTP")),
            (
                "default_action",
                block(attrs([
                    ("type", Value::string("forward")),
                    ("target_group_arn", Value::string(tg_arn.as_str())),
                ])),
            ),
        ]),
    );
    let listener_arn = create(&aws, "aws_lb_listener.http", &listener_planned).await;
    let listener_read = read(&aws, "aws_lb_listener", &listener_arn).await;
    assert_reads_back("aws_lb_listener", &listener_planned, &listener_read);
    let described = elbv2
        .describe_listeners()
        .listener_arns(&listener_arn)
        .send()
        .await
        .unwrap();
    let action = &described.listeners()[0].default_actions()[0];
    assert_eq!(action.r#type(), Some(&ActionTypeEnum::Forward));
    assert_eq!(action.target_group_arn(), Some(tg_arn.as_str()));
    assert_system_tags(
        &elbv2_tags(&emulator, &listener_arn).await,
        "aws_lb_listener.http",
    );

    // Updates in place: a third subnet and another idle timeout; a new
    // health check path; a fixed response instead of forwarding.
    let mut lb_args = alb_args(&net, "edge-alb");
    lb_args.insert("subnets".into(), Value::from(net.subnets.clone()));
    lb_args.insert("idle_timeout".into(), Value::from(300));
    let lb_next = planned("aws_lb", lb_args);
    update(&aws, "aws_lb", &state(&lb_planned, &lb_read), &lb_next).await;
    assert_reads_back("aws_lb", &lb_next, &read(&aws, "aws_lb", &lb_arn).await);
    let described = elbv2
        .describe_load_balancers()
        .load_balancer_arns(&lb_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(described.load_balancers()[0].availability_zones().len(), 3);
    let lb_attributes = elbv2
        .describe_load_balancer_attributes()
        .load_balancer_arn(&lb_arn)
        .send()
        .await
        .unwrap();
    assert!(
        lb_attributes
            .attributes()
            .iter()
            .any(|a| a.key() == Some("idle_timeout.timeout_seconds") && a.value() == Some("300"))
    );

    let mut tg_next = tg_planned.clone();
    tg_next.insert(
        "health_check".into(),
        block(attrs([
            ("path", Value::string("/ready")),
            ("matcher", Value::string("200-299")),
        ])),
    );
    update(
        &aws,
        "aws_lb_target_group",
        &state(&tg_planned, &tg_read),
        &tg_next,
    )
    .await;
    let described = elbv2
        .describe_target_groups()
        .target_group_arns(&tg_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        described.target_groups()[0].health_check_path(),
        Some("/ready")
    );

    let mut listener_next = listener_planned.clone();
    listener_next.insert(
        "default_action".into(),
        block(attrs([
            ("type", Value::string("fixed-response")),
            (
                "fixed_response",
                block(attrs([
                    ("content_type", Value::string("text/plain")),
                    ("message_body", Value::string("maintenance")),
                    ("status_code", Value::string("503")),
                ])),
            ),
        ])),
    );
    let listener_next = planned("aws_lb_listener", listener_next);
    update(
        &aws,
        "aws_lb_listener",
        &state(&listener_planned, &listener_read),
        &listener_next,
    )
    .await;
    let listener_read = read(&aws, "aws_lb_listener", &listener_arn).await;
    assert_reads_back("aws_lb_listener", &listener_next, &listener_read);
    let described = elbv2
        .describe_listeners()
        .listener_arns(&listener_arn)
        .send()
        .await
        .unwrap();
    let action = &described.listeners()[0].default_actions()[0];
    assert_eq!(action.r#type(), Some(&ActionTypeEnum::FixedResponse));
    assert_eq!(
        action.fixed_response_config().and_then(|f| f.status_code()),
        Some("503")
    );

    // A batched read with a deleted load balancer first: the emulator, like
    // AWS, fails DescribeLoadBalancers for the missing ARN, so read_many
    // falls back to one describe per ARN and returns only the live one.
    let gone_planned = planned("aws_lb", alb_args(&net, "edge-gone"));
    let gone_arn = create(&aws, "aws_lb.gone", &gone_planned).await;
    let gone_read = read(&aws, "aws_lb", &gone_arn).await;
    delete_twice(&aws, "aws_lb", &state(&gone_planned, &gone_read)).await;
    let (found, requests) =
        read_many_counting(&emulator, &aws, "aws_lb", &[&gone_arn, &lb_arn]).await;
    assert_eq!(found, vec![lb_arn.clone()]);
    // Failed batch, two single describes, DescribeTags, attributes.
    assert_eq!(requests, 5);
    let (found, requests) =
        read_many_counting(&emulator, &aws, "aws_lb_target_group", &[&tg_arn]).await;
    assert_eq!(
        (found.len(), requests),
        (1, 3),
        "describe, tags, attributes"
    );

    // Deletes, each twice; independent describes then find nothing.
    let listener_state = state(&listener_next, &listener_read);
    delete_twice(&aws, "aws_lb_listener", &listener_state).await;
    assert!(
        elbv2
            .describe_listeners()
            .listener_arns(&listener_arn)
            .send()
            .await
            .is_err()
    );
    delete_twice(&aws, "aws_lb_target_group", &state(&tg_next, &tg_read)).await;
    assert!(
        elbv2
            .describe_target_groups()
            .target_group_arns(&tg_arn)
            .send()
            .await
            .is_err()
    );
    delete_twice(&aws, "aws_lb", &state(&lb_next, &lb_read)).await;
    assert!(
        elbv2
            .describe_load_balancers()
            .load_balancer_arns(&lb_arn)
            .send()
            .await
            .is_err()
    );
    for (type_name, id) in [
        ("aws_lb", &lb_arn),
        ("aws_lb_target_group", &tg_arn),
        ("aws_lb_listener", &listener_arn),
    ] {
        let found = ty(type_name)
            .read_many(&aws, std::slice::from_ref(id))
            .await
            .unwrap();
        assert!(found.is_empty(), "{type_name} still reads after delete");
    }
}

fn visibility(metric: &str) -> Value {
    block(attrs([
        ("cloudwatch_metrics_enabled", Value::Bool(true)),
        ("metric_name", Value::string(metric)),
        ("sampled_requests_enabled", Value::Bool(true)),
    ]))
}

fn web_acl_args(rate_limit: i64) -> Attrs {
    let managed_rule = attrs([
        ("name", Value::string("aws-common")),
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
        ("visibility_config", visibility("aws-common")),
    ]);
    let rate_rule = attrs([
        ("name", Value::string("per-ip-rate")),
        ("priority", Value::from(2)),
        ("action", block(attrs([("block", block(Attrs::new()))]))),
        (
            "statement",
            block(attrs([(
                "rate_based_statement",
                block(attrs([
                    ("limit", Value::from(rate_limit)),
                    ("aggregate_key_type", Value::string("IP")),
                ])),
            )])),
        ),
        ("visibility_config", visibility("per-ip-rate")),
    ]);
    attrs([
        ("name", Value::string("edge-acl")),
        ("description", Value::string("in front of the ALB")),
        ("scope", Value::string("REGIONAL")),
        (
            "default_action",
            block(attrs([("allow", block(Attrs::new()))])),
        ),
        (
            "rule",
            Value::List(
                vec![
                    Value::Map(managed_rule.into()),
                    Value::Map(rate_rule.into()),
                ]
                .into(),
            ),
        ),
        ("visibility_config", visibility("edge-acl")),
        ("tags", map(&[("Name", "edge-acl")])),
    ])
}

#[tokio::test]
async fn web_acl_with_managed_and_rate_based_rules_guards_the_alb() {
    let emulator = Emulator::start();
    let aws = context(&emulator);
    let wafv2 = emulator.wafv2();
    let net = network(&emulator, ZONES, SECURITY_GROUPS).await;
    let lb_planned = planned("aws_lb", alb_args(&net, "waf-alb"));
    let lb_arn = create(&aws, "aws_lb.edge", &lb_planned).await;

    let acl_planned = planned("aws_wafv2_web_acl", web_acl_args(2000));
    let acl_id = create(&aws, "aws_wafv2_web_acl.edge", &acl_planned).await;
    let acl_read = read(&aws, "aws_wafv2_web_acl", &acl_id).await;
    assert_reads_back("aws_wafv2_web_acl", &acl_planned, &acl_read);
    let [uuid, name, scope] =
        <[&str; 3]>::try_from(acl_id.split('/').collect::<Vec<_>>()).expect("ID/NAME/SCOPE");
    assert_eq!((name, scope), ("edge-acl", "REGIONAL"));
    let got = wafv2
        .get_web_acl()
        .id(uuid)
        .name(name)
        .scope(Scope::Regional)
        .send()
        .await
        .unwrap();
    let acl = got.web_acl().expect("web ACL");
    assert_eq!(acl.arn(), acl_read["arn"].as_str().unwrap());
    assert_eq!(acl.rules().len(), 2);
    let managed = acl
        .rules()
        .iter()
        .find(|r| r.name() == "aws-common")
        .expect("managed rule");
    let statement = managed
        .statement()
        .and_then(|s| s.managed_rule_group_statement())
        .expect("managed statement");
    assert_eq!(
        (statement.vendor_name(), statement.name()),
        ("AWS", "AWSManagedRulesCommonRuleSet")
    );
    assert!(managed.override_action().and_then(|o| o.none()).is_some());
    let rate = acl
        .rules()
        .iter()
        .find(|r| r.name() == "per-ip-rate")
        .expect("rate rule");
    assert_eq!(
        rate.statement()
            .and_then(|s| s.rate_based_statement())
            .map(|r| r.limit()),
        Some(2000)
    );
    assert!(rate.action().and_then(|a| a.block()).is_some());
    assert_eq!(acl_read["lock_token"].as_str(), got.lock_token());
    let tags = wafv2
        .list_tags_for_resource()
        .resource_arn(acl.arn())
        .send()
        .await
        .unwrap();
    let tags: BTreeMap<String, String> = tags
        .tag_info_for_resource()
        .map(|i| {
            i.tag_list()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect()
        })
        .unwrap_or_default();
    assert_system_tags(&tags, "aws_wafv2_web_acl.edge");

    // Associated with the ALB.
    let acl_arn = acl.arn().to_string();
    let association_planned = planned(
        "aws_wafv2_web_acl_association",
        attrs([
            ("resource_arn", Value::string(lb_arn.as_str())),
            ("web_acl_arn", Value::string(acl_arn.as_str())),
        ]),
    );
    let association_id = create(
        &aws,
        "aws_wafv2_web_acl_association.edge",
        &association_planned,
    )
    .await;
    assert_eq!(association_id, format!("{acl_arn},{lb_arn}"));
    let association_read = read(&aws, "aws_wafv2_web_acl_association", &association_id).await;
    assert_reads_back(
        "aws_wafv2_web_acl_association",
        &association_planned,
        &association_read,
    );
    let for_alb = wafv2
        .get_web_acl_for_resource()
        .resource_arn(&lb_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(for_alb.web_acl().map(|a| a.arn()), Some(acl_arn.as_str()));

    // Update the rate limit in place, with a fresh lock token.
    let stale_token = got.lock_token().expect("lock token").to_string();
    let acl_next = planned("aws_wafv2_web_acl", web_acl_args(1000));
    update(
        &aws,
        "aws_wafv2_web_acl",
        &state(&acl_planned, &acl_read),
        &acl_next,
    )
    .await;
    let acl_read = read(&aws, "aws_wafv2_web_acl", &acl_id).await;
    assert_reads_back("aws_wafv2_web_acl", &acl_next, &acl_read);
    let got = wafv2
        .get_web_acl()
        .id(uuid)
        .name(name)
        .scope(Scope::Regional)
        .send()
        .await
        .unwrap();
    let rate = got
        .web_acl()
        .unwrap()
        .rules()
        .iter()
        .find(|r| r.name() == "per-ip-rate")
        .cloned();
    assert_eq!(
        rate.and_then(|r| r
            .statement()
            .and_then(|s| s.rate_based_statement())
            .map(|s| s.limit())),
        Some(1000)
    );

    // The token from before that update is stale now: a Conflict, which the
    // engine retries with a fresh Get.
    let err = web_acl::update_with_lock_token(&aws, &acl_id, &acl_next, &stale_token)
        .await
        .expect_err("a stale lock token must fail");
    assert_eq!(err.kind, ErrorKind::Conflict, "{err}");
    assert_eq!(err.code.as_deref(), Some("WAFOptimisticLockException"));

    // A missing ACL drops out of a batched read; WAFv2 reads one ACL at a time.
    let missing = "00000000-0000-0000-0000-000000000000/gone/REGIONAL";
    let (found, requests) =
        read_many_counting(&emulator, &aws, "aws_wafv2_web_acl", &[missing, &acl_id]).await;
    assert_eq!(found, vec![acl_id.clone()]);
    assert_eq!(
        requests, 3,
        "GetWebACL for each id and tags for the live one"
    );

    delete_twice(&aws, "aws_wafv2_web_acl_association", &association_read).await;
    let for_alb = wafv2
        .get_web_acl_for_resource()
        .resource_arn(&lb_arn)
        .send()
        .await
        .unwrap();
    assert!(for_alb.web_acl().is_none());
    assert!(
        ty("aws_wafv2_web_acl_association")
            .read_many(&aws, &[association_id])
            .await
            .unwrap()
            .is_empty()
    );
    delete_twice(&aws, "aws_wafv2_web_acl", &state(&acl_next, &acl_read)).await;
    let gone = wafv2
        .get_web_acl()
        .id(uuid)
        .name(name)
        .scope(Scope::Regional)
        .send()
        .await;
    assert!(gone.is_err(), "web ACL still exists");
}

#[tokio::test]
async fn route53_zone_and_alias_record_to_the_alb() {
    let emulator = Emulator::start();
    let aws = context(&emulator);
    let route53 = emulator.route53();
    let net = network(&emulator, ZONES, SECURITY_GROUPS).await;
    let lb_planned = planned("aws_lb", alb_args(&net, "dns-alb"));
    let lb_arn = create(&aws, "aws_lb.edge", &lb_planned).await;
    let lb = read(&aws, "aws_lb", &lb_arn).await;

    // The zone, written with a trailing dot, reads back without it.
    let zone_planned = planned(
        "aws_route53_zone",
        attrs([
            ("name", Value::string("example.com.")),
            ("force_destroy", Value::Bool(true)),
            ("tags", map(&[("Name", "example")])),
        ]),
    );
    let zone_id = create(&aws, "aws_route53_zone.main", &zone_planned).await;
    assert!(!zone_id.starts_with("/hostedzone/"), "{zone_id}");
    let zone_read = read(&aws, "aws_route53_zone", &zone_id).await;
    assert_reads_back("aws_route53_zone", &zone_planned, &zone_read);
    assert_eq!(zone_read["name"], Value::string("example.com"));
    assert_eq!(zone_read["comment"], Value::string("Managed by Terraform"));
    let got = route53.get_hosted_zone().id(&zone_id).send().await.unwrap();
    let name_servers = got
        .delegation_set()
        .map(|d| d.name_servers().len())
        .unwrap_or_default();
    assert!(name_servers > 0);
    assert_eq!(
        zone_read["name_servers"].as_list().map(<[Value]>::len),
        Some(name_servers)
    );
    let tags = route53
        .list_tags_for_resource()
        .resource_type(aws_sdk_route53::types::TagResourceType::Hostedzone)
        .resource_id(&zone_id)
        .send()
        .await
        .unwrap();
    let tags: BTreeMap<String, String> = tags
        .resource_tag_set()
        .map(|s| {
            s.tags()
                .iter()
                .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    assert_system_tags(&tags, "aws_route53_zone.main");

    // An alias A record to the ALB, written with upper case and a dot as a
    // user might copy it: it waits for INSYNC and reads back without a diff.
    let changes_polled = emulator.request_count_matching("/change/");
    let alias_planned = planned(
        "aws_route53_record",
        attrs([
            ("zone_id", Value::string(zone_id.as_str())),
            ("name", Value::string("WWW.example.com.")),
            ("type", Value::string("A")),
            (
                "alias",
                block(attrs([
                    ("name", lb["dns_name"].clone()),
                    ("zone_id", lb["zone_id"].clone()),
                    ("evaluate_target_health", Value::Bool(true)),
                ])),
            ),
        ]),
    );
    // The emulator matches record names to the zone case-sensitively (AWS
    // does not), so the name sent must be lower case there.
    let mut alias_sent = alias_planned.clone();
    alias_sent.insert("name".into(), Value::string("www.example.com."));
    let alias_id = create(&aws, "aws_route53_record.www", &alias_sent).await;
    assert_eq!(alias_id, format!("{zone_id}_www.example.com_A"));
    assert!(
        emulator.request_count_matching("/change/") > changes_polled,
        "no GetChange poll"
    );
    let alias_read = read(&aws, "aws_route53_record", &alias_id).await;
    assert_reads_back("aws_route53_record", &alias_planned, &alias_read);
    let records = route53
        .list_resource_record_sets()
        .hosted_zone_id(&zone_id)
        .send()
        .await
        .unwrap();
    let alias = records
        .resource_record_sets()
        .iter()
        .find(|r| r.name() == "www.example.com." && r.r#type().as_str() == "A")
        .and_then(|r| r.alias_target())
        .expect("alias record");
    assert_eq!(
        alias.dns_name().trim_end_matches('.').to_ascii_lowercase(),
        lb["dns_name"].as_str().unwrap().to_ascii_lowercase()
    );
    assert!(alias.evaluate_target_health());

    // A TXT record (quoted by terrane, unquoted on read) and a weighted
    // record whose id carries its set identifier.
    let txt_planned = planned(
        "aws_route53_record",
        attrs([
            ("zone_id", Value::string(zone_id.as_str())),
            ("name", Value::string("example.com")),
            ("type", Value::string("TXT")),
            ("ttl", Value::from(300)),
            ("records", strings(&["v=spf1 -all"])),
        ]),
    );
    let txt_id = create(&aws, "aws_route53_record.spf", &txt_planned).await;
    let txt_read = read(&aws, "aws_route53_record", &txt_id).await;
    assert_reads_back("aws_route53_record", &txt_planned, &txt_read);
    let weighted_planned = planned(
        "aws_route53_record",
        attrs([
            ("zone_id", Value::string(zone_id.as_str())),
            ("name", Value::string("api.example.com")),
            ("type", Value::string("CNAME")),
            ("ttl", Value::from(60)),
            ("records", strings(&["blue.example.net"])),
            ("set_identifier", Value::string("blue")),
            (
                "weighted_routing_policy",
                block(attrs([("weight", Value::from(10))])),
            ),
        ]),
    );
    let weighted_id = create(&aws, "aws_route53_record.api", &weighted_planned).await;
    assert_eq!(weighted_id, format!("{zone_id}_api.example.com_CNAME_blue"));
    let weighted_read = read(&aws, "aws_route53_record", &weighted_id).await;
    assert_reads_back("aws_route53_record", &weighted_planned, &weighted_read);

    // Updates in place: the TXT record's TTL and the zone's comment.
    let mut txt_next = txt_planned.clone();
    txt_next.insert("ttl".into(), Value::from(60));
    update(
        &aws,
        "aws_route53_record",
        &state(&txt_planned, &txt_read),
        &txt_next,
    )
    .await;
    let records = route53
        .list_resource_record_sets()
        .hosted_zone_id(&zone_id)
        .send()
        .await
        .unwrap();
    let txt = records
        .resource_record_sets()
        .iter()
        .find(|r| r.r#type().as_str() == "TXT")
        .expect("TXT record");
    assert_eq!(txt.ttl(), Some(60));
    assert_eq!(txt.resource_records()[0].value(), "\"v=spf1 -all\"");
    let mut zone_next = zone_planned.clone();
    zone_next.insert("comment".into(), Value::string("edge zone"));
    update(
        &aws,
        "aws_route53_zone",
        &state(&zone_planned, &zone_read),
        &zone_next,
    )
    .await;
    let got = route53.get_hosted_zone().id(&zone_id).send().await.unwrap();
    assert_eq!(
        got.hosted_zone()
            .and_then(|z| z.config())
            .and_then(|c| c.comment()),
        Some("edge zone")
    );
    let zone_read = read(&aws, "aws_route53_zone", &zone_id).await;
    assert_reads_back("aws_route53_zone", &zone_next, &zone_read);

    // Batched reads: one listing for every record of the zone, deleted ones
    // left out; zones are read one GetHostedZone each, plus one tag call.
    let deleted = format!("{zone_id}_old.example.com_A");
    let (found, requests) = read_many_counting(
        &emulator,
        &aws,
        "aws_route53_record",
        &[&alias_id, &deleted, &weighted_id],
    )
    .await;
    assert_eq!(found.len(), 2);
    assert!(!found.contains(&deleted));
    assert_eq!(requests, 1);
    let (found, requests) = read_many_counting(
        &emulator,
        &aws,
        "aws_route53_zone",
        &[&zone_id, "ZNOSUCHZONE"],
    )
    .await;
    assert_eq!((found, requests), (vec![zone_id.clone()], 3));

    // Deletes, each twice. The TXT record is left for force_destroy, along
    // with a record made outside terrane.
    delete_twice(&aws, "aws_route53_record", &alias_read).await;
    delete_twice(&aws, "aws_route53_record", &weighted_read).await;
    let left = ty("aws_route53_record")
        .read_many(
            &aws,
            &[alias_id.clone(), weighted_id.clone(), txt_id.clone()],
        )
        .await
        .unwrap();
    assert_eq!(left.into_keys().collect::<Vec<_>>(), vec![txt_id.clone()]);
    let outside = aws_sdk_route53::types::ResourceRecordSet::builder()
        .name("mail.example.com")
        .r#type(aws_sdk_route53::types::RrType::Mx)
        .ttl(300)
        .resource_records(
            aws_sdk_route53::types::ResourceRecord::builder()
                .value("10 mx.example.net")
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    route53
        .change_resource_record_sets()
        .hosted_zone_id(&zone_id)
        .change_batch(
            aws_sdk_route53::types::ChangeBatch::builder()
                .changes(
                    aws_sdk_route53::types::Change::builder()
                        .action(aws_sdk_route53::types::ChangeAction::Create)
                        .resource_record_set(outside)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    delete_twice(&aws, "aws_route53_zone", &state(&zone_next, &zone_read)).await;
    assert!(
        route53.get_hosted_zone().id(&zone_id).send().await.is_err(),
        "zone still exists"
    );
}

/// A bucket's versioning status, from the emulator's own answer: moto 5.2
/// answers GetBucketVersioning under a root element the SDK rejects, so the
/// status is taken from the raw body when the SDK can't parse it.
pub async fn versioning_status(s3: &aws_sdk_s3::Client, bucket: &str) -> Option<String> {
    match s3.get_bucket_versioning().bucket(bucket).send().await {
        Ok(out) => out.status().map(|s| s.as_str().to_string()),
        Err(aws_sdk_s3::error::SdkError::ServiceError(failure)) => {
            let body = String::from_utf8_lossy(failure.raw().body().bytes().unwrap_or_default())
                .to_string();
            let start = body.find("<Status>")? + "<Status>".len();
            let end = body.find("</Status>")?;
            Some(body[start..end].to_string())
        }
        Err(err) => panic!("GetBucketVersioning: {err}"),
    }
}

#[tokio::test]
async fn s3_bucket_versioned_encrypted_and_private() {
    let emulator = Emulator::start();
    let aws = context(&emulator);
    let s3 = emulator.s3();

    let bucket_planned = planned(
        "aws_s3_bucket",
        attrs([
            ("bucket_prefix", Value::string("edge-logs-")),
            ("force_destroy", Value::Bool(true)),
            ("tags", map(&[("Name", "edge-logs")])),
        ]),
    );
    let bucket = create(&aws, "aws_s3_bucket.logs", &bucket_planned).await;
    assert!(
        bucket.starts_with("edge-logs-") && bucket.len() <= 63,
        "{bucket}"
    );
    let bucket_read = read(&aws, "aws_s3_bucket", &bucket).await;
    assert_reads_back("aws_s3_bucket", &bucket_planned, &bucket_read);
    assert_eq!(
        bucket_read["arn"],
        Value::string(format!("arn:aws:s3:::{bucket}"))
    );
    assert_eq!(bucket_read["region"], Value::string("us-east-1"));
    s3.head_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("bucket exists");
    let bucket_tags = |s3: aws_sdk_s3::Client, bucket: String| async move {
        let out = s3.get_bucket_tagging().bucket(bucket).send().await.unwrap();
        out.tag_set()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect::<BTreeMap<_, _>>()
    };
    assert_system_tags(
        &bucket_tags(s3.clone(), bucket.clone()).await,
        "aws_s3_bucket.logs",
    );

    // Versioned, encrypted with KMS, all public access blocked.
    let on_bucket = |extra: Vec<(&str, Value)>| {
        let mut args = attrs([("bucket", Value::string(bucket.as_str()))]);
        args.extend(extra.into_iter().map(|(k, v)| (k.to_string(), v)));
        args
    };
    let versioning_planned = planned(
        "aws_s3_bucket_versioning",
        on_bucket(vec![(
            "versioning_configuration",
            block(attrs([("status", Value::string("Enabled"))])),
        )]),
    );
    let versioning_id = create(&aws, "aws_s3_bucket_versioning.logs", &versioning_planned).await;
    assert_eq!(versioning_id, bucket);
    let versioning_read = read(&aws, "aws_s3_bucket_versioning", &bucket).await;
    assert_reads_back(
        "aws_s3_bucket_versioning",
        &versioning_planned,
        &versioning_read,
    );
    assert_eq!(
        versioning_status(&s3, &bucket).await.as_deref(),
        Some("Enabled")
    );

    let sse_rule = |algorithm: &str, key: Option<&str>| {
        let mut by_default = attrs([("sse_algorithm", Value::string(algorithm))]);
        if let Some(key) = key {
            by_default.insert("kms_master_key_id".into(), Value::string(key));
        }
        Value::List(
            vec![Value::Map(
                attrs([
                    ("apply_server_side_encryption_by_default", block(by_default)),
                    ("bucket_key_enabled", Value::Bool(key.is_some())),
                ])
                .into(),
            )]
            .into(),
        )
    };
    let sse_planned = planned(
        "aws_s3_bucket_server_side_encryption_configuration",
        on_bucket(vec![("rule", sse_rule("aws:kms", Some("alias/edge-logs")))]),
    );
    create(
        &aws,
        "aws_s3_bucket_server_side_encryption_configuration.logs",
        &sse_planned,
    )
    .await;
    let sse_read = read(
        &aws,
        "aws_s3_bucket_server_side_encryption_configuration",
        &bucket,
    )
    .await;
    assert_reads_back(
        "aws_s3_bucket_server_side_encryption_configuration",
        &sse_planned,
        &sse_read,
    );
    let encryption = s3
        .get_bucket_encryption()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let rule = &encryption
        .server_side_encryption_configuration()
        .unwrap()
        .rules()[0];
    let by_default = rule.apply_server_side_encryption_by_default().unwrap();
    assert_eq!(by_default.sse_algorithm(), &ServerSideEncryption::AwsKms);
    assert_eq!(by_default.kms_master_key_id(), Some("alias/edge-logs"));
    assert_eq!(rule.bucket_key_enabled(), Some(true));

    let all_blocked: Vec<(&str, Value)> = [
        "block_public_acls",
        "block_public_policy",
        "ignore_public_acls",
        "restrict_public_buckets",
    ]
    .into_iter()
    .map(|k| (k, Value::Bool(true)))
    .collect();
    let block_planned = planned("aws_s3_bucket_public_access_block", on_bucket(all_blocked));
    create(
        &aws,
        "aws_s3_bucket_public_access_block.logs",
        &block_planned,
    )
    .await;
    let block_read = read(&aws, "aws_s3_bucket_public_access_block", &bucket).await;
    assert_reads_back(
        "aws_s3_bucket_public_access_block",
        &block_planned,
        &block_read,
    );
    let blocked = s3
        .get_public_access_block()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let config = blocked.public_access_block_configuration().unwrap();
    assert_eq!(
        [
            config.block_public_acls(),
            config.block_public_policy(),
            config.ignore_public_acls(),
            config.restrict_public_buckets()
        ],
        [Some(true); 4]
    );

    // Updates in place: tags (terrane's stay), versioning suspended,
    // encryption switched to SSE-S3, public policies allowed again.
    let mut bucket_next = bucket_planned.clone();
    bucket_next.insert(
        "tags".into(),
        map(&[("Name", "edge-logs"), ("team", "edge")]),
    );
    let bucket_next = planned("aws_s3_bucket", bucket_next);
    update(
        &aws,
        "aws_s3_bucket",
        &state(&bucket_planned, &bucket_read),
        &bucket_next,
    )
    .await;
    let tags = bucket_tags(s3.clone(), bucket.clone()).await;
    assert_eq!(tags.get("team").map(String::as_str), Some("edge"));
    assert_system_tags(&tags, "aws_s3_bucket.logs");
    let bucket_read = read(&aws, "aws_s3_bucket", &bucket).await;
    assert_reads_back("aws_s3_bucket", &bucket_next, &bucket_read);

    let versioning_next = planned(
        "aws_s3_bucket_versioning",
        on_bucket(vec![(
            "versioning_configuration",
            block(attrs([("status", Value::string("Suspended"))])),
        )]),
    );
    update(
        &aws,
        "aws_s3_bucket_versioning",
        &state(&versioning_planned, &versioning_read),
        &versioning_next,
    )
    .await;
    assert_eq!(
        versioning_status(&s3, &bucket).await.as_deref(),
        Some("Suspended")
    );
    let versioning_read = read(&aws, "aws_s3_bucket_versioning", &bucket).await;
    assert_reads_back(
        "aws_s3_bucket_versioning",
        &versioning_next,
        &versioning_read,
    );
    // Once versioned, a bucket cannot go back to "Disabled".
    let disabled = planned(
        "aws_s3_bucket_versioning",
        on_bucket(vec![(
            "versioning_configuration",
            block(attrs([("status", Value::string("Disabled"))])),
        )]),
    );
    let err = ty("aws_s3_bucket_versioning")
        .update(&aws, &state(&versioning_next, &versioning_read), &disabled)
        .await
        .expect_err("disabling versioning must fail");
    assert_eq!(err.kind, ErrorKind::Validation);

    let sse_next = planned(
        "aws_s3_bucket_server_side_encryption_configuration",
        on_bucket(vec![("rule", sse_rule("AES256", None))]),
    );
    update(
        &aws,
        "aws_s3_bucket_server_side_encryption_configuration",
        &state(&sse_planned, &sse_read),
        &sse_next,
    )
    .await;
    let sse_read = read(
        &aws,
        "aws_s3_bucket_server_side_encryption_configuration",
        &bucket,
    )
    .await;
    assert_reads_back(
        "aws_s3_bucket_server_side_encryption_configuration",
        &sse_next,
        &sse_read,
    );
    let encryption = s3
        .get_bucket_encryption()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let rule = &encryption
        .server_side_encryption_configuration()
        .unwrap()
        .rules()[0];
    assert_eq!(
        rule.apply_server_side_encryption_by_default()
            .map(|d| d.sse_algorithm()),
        Some(&ServerSideEncryption::Aes256)
    );

    let mut block_next = block_planned.clone();
    block_next.insert("block_public_policy".into(), Value::Bool(false));
    update(
        &aws,
        "aws_s3_bucket_public_access_block",
        &state(&block_planned, &block_read),
        &block_next,
    )
    .await;
    let blocked = s3
        .get_public_access_block()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert_eq!(
        blocked
            .public_access_block_configuration()
            .unwrap()
            .block_public_policy(),
        Some(false)
    );
    let block_read = read(&aws, "aws_s3_bucket_public_access_block", &bucket).await;

    // Batched read: one HeadBucket per bucket, tags and object lock for
    // the live one.
    let (found, requests) = read_many_counting(
        &emulator,
        &aws,
        "aws_s3_bucket",
        &[&bucket, "terrane-no-such-bucket"],
    )
    .await;
    assert_eq!((found, requests), (vec![bucket.clone()], 4));

    // Deletes, each twice; force_destroy empties every version first.
    delete_twice(
        &aws,
        "aws_s3_bucket_public_access_block",
        &state(&block_next, &block_read),
    )
    .await;
    assert!(
        s3.get_public_access_block()
            .bucket(&bucket)
            .send()
            .await
            .is_err()
    );
    delete_twice(
        &aws,
        "aws_s3_bucket_server_side_encryption_configuration",
        &sse_read,
    )
    .await;
    assert!(
        s3.get_bucket_encryption()
            .bucket(&bucket)
            .send()
            .await
            .is_err()
    );
    // Back to Enabled so objects get versions and delete markers.
    update(
        &aws,
        "aws_s3_bucket_versioning",
        &versioning_read,
        &versioning_planned,
    )
    .await;
    for body in ["one", "two"] {
        s3.put_object()
            .bucket(&bucket)
            .key("report.txt")
            .body(ByteStream::from_static(body.as_bytes()))
            .send()
            .await
            .unwrap();
    }
    s3.delete_object()
        .bucket(&bucket)
        .key("report.txt")
        .send()
        .await
        .unwrap();
    let versioning_read = read(&aws, "aws_s3_bucket_versioning", &bucket).await;
    delete_twice(
        &aws,
        "aws_s3_bucket_versioning",
        &state(&versioning_planned, &versioning_read),
    )
    .await;
    assert_eq!(
        versioning_status(&s3, &bucket).await.as_deref(),
        Some("Suspended")
    );
    // Emulator shortcut: moto 5.2 ignores the version id when deleting from a
    // suspended bucket (it drops the whole key and fails on its delete
    // marker); AWS deletes exactly the named version. Versioning goes back on
    // so force_destroy's same calls take moto's working path.
    s3.put_bucket_versioning()
        .bucket(&bucket)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let versions = s3
        .list_object_versions()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (versions.versions().len(), versions.delete_markers().len()),
        (2, 1)
    );
    delete_twice(&aws, "aws_s3_bucket", &state(&bucket_next, &bucket_read)).await;
    assert!(
        s3.head_bucket().bucket(&bucket).send().await.is_err(),
        "bucket still exists"
    );
    for type_name in [
        "aws_s3_bucket",
        "aws_s3_bucket_versioning",
        "aws_s3_bucket_server_side_encryption_configuration",
        "aws_s3_bucket_public_access_block",
    ] {
        let found = ty(type_name)
            .read_many(&aws, std::slice::from_ref(&bucket))
            .await
            .unwrap();
        assert!(found.is_empty(), "{type_name} still reads after delete");
    }
}

/// The application load balancer's settings kept as attributes
/// (`drop_invalid_header_fields`, `enable_http2`, `desync_mitigation_mode`,
/// `preserve_host_header`, `xff_header_processing_mode`,
/// `enable_waf_fail_open`, `client_keep_alive`), through the binary:
/// created, changed in place, a clean plan after each apply, and what AWS
/// holds read with DescribeLoadBalancerAttributes.
#[tokio::test(flavor = "multi_thread")]
async fn load_balancer_attribute_arguments_round_trip() {
    use crate::support::cli::Workspace;
    let emulator = crate::support::Emulator::start();
    let ws = Workspace::copy_of("tests/fixtures/ci/stack");
    let stack = |settings: &str| {
        format!(
            r#"provider "aws" {{
  region = "us-east-1"
}}

resource "aws_vpc" "main" {{
  cidr_block = "10.45.0.0/16"
}}

resource "aws_subnet" "a" {{
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.45.1.0/24"
  availability_zone = "us-east-1a"
}}

resource "aws_subnet" "b" {{
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.45.2.0/24"
  availability_zone = "us-east-1b"
}}

resource "aws_lb" "app" {{
  name    = "attrs"
  subnets = [aws_subnet.a.id, aws_subnet.b.id]
{settings}
}}
"#
        )
    };
    std::fs::remove_file(ws.stack.join("main.tf")).unwrap();
    let attributes = || {
        let elbv2 = emulator.elbv2();
        async move {
            let lbs = elbv2
                .describe_load_balancers()
                .names("attrs")
                .send()
                .await
                .expect("lb");
            let arn = lbs.load_balancers()[0]
                .load_balancer_arn()
                .unwrap()
                .to_string();
            let out = elbv2
                .describe_load_balancer_attributes()
                .load_balancer_arn(arn)
                .send()
                .await
                .expect("attributes");
            out.attributes()
                .iter()
                .filter_map(|a| Some((a.key()?.to_string(), a.value()?.to_string())))
                .collect::<BTreeMap<String, String>>()
        }
    };
    let rounds = [
        (
            "  drop_invalid_header_fields = true\n  desync_mitigation_mode     = \"strictest\"\n  client_keep_alive          = 600\n",
            [
                ("routing.http.drop_invalid_header_fields.enabled", "true"),
                ("routing.http.desync_mitigation_mode", "strictest"),
                ("client_keep_alive.seconds", "600"),
                // Left at its default, so not sent: what AWS has.
                ("deletion_protection.enabled", "false"),
            ],
        ),
        (
            "  enable_http2               = false\n  preserve_host_header       = true\n  xff_header_processing_mode = \"preserve\"\n",
            [
                ("routing.http.drop_invalid_header_fields.enabled", "false"),
                ("routing.http.preserve_host_header.enabled", "true"),
                ("routing.http.xff_header_processing.mode", "preserve"),
                ("routing.http2.enabled", "false"),
            ],
        ),
    ];
    for (n, (settings, expected)) in rounds.iter().enumerate() {
        ws.write("main.tf", &stack(settings));
        let applied = ws.run(&emulator, "apply", &["--auto-approve"]);
        assert_eq!(applied.code, 0, "round {n}: {}", applied.log());
        if n > 0 {
            assert!(
                applied
                    .stdout
                    .contains("aws_lb.app: Modifications complete"),
                "changed in place: {}",
                applied.log()
            );
        }
        let clean = ws.run(&emulator, "plan", &["--detailed-exitcode"]);
        assert_eq!(clean.code, 0, "round {n}: a clean plan: {}", clean.log());
        let held = attributes().await;
        for (key, value) in expected {
            assert_eq!(
                held.get(*key).map(String::as_str),
                Some(*value),
                "round {n}: {key}"
            );
        }
    }
    let destroyed = ws.run(&emulator, "destroy", &["--auto-approve"]);
    assert_eq!(destroyed.code, 0, "{}", destroyed.log());
}

const WAF_SETS: &str = r#"
provider "aws" {
  region = "us-east-1"
}

resource "aws_wafv2_ip_set" "office" {
  name               = "office"
  scope              = "REGIONAL"
  ip_address_version = "IPV4"
  addresses          = ["203.0.113.0/24", "198.51.100.7/32"]
  tags = {
    Team = "edge"
  }
}

resource "aws_wafv2_regex_pattern_set" "bots" {
  name        = "bots"
  scope       = "REGIONAL"
  description = "crawlers"

  regular_expression {
    regex_string = "^curl/"
  }

  regular_expression {
    regex_string = "bot$"
  }
}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn ip_and_regex_pattern_sets_round_trip() {
    use aws_sdk_wafv2::types::Scope;
    let emulator = Emulator::start();
    let waf = emulator.wafv2();
    let ws = crate::support::cli::Workspace::copy_of("tests/fixtures/ci/stack");
    ws.write("main.tf", WAF_SETS);
    ws.apply_ok(&emulator);

    let ip_set_id = ws.state_attribute("aws_wafv2_ip_set.office", "id");
    let regex_id = ws.state_attribute("aws_wafv2_regex_pattern_set.bots", "id");
    assert!(ip_set_id.ends_with("/office/REGIONAL"), "{ip_set_id}");
    let uuid = |id: &str| id.split('/').next().unwrap_or_default().to_string();
    let addresses = |ip_set_id: String| {
        let waf = waf.clone();
        async move {
            let got = waf
                .get_ip_set()
                .id(uuid(&ip_set_id))
                .name("office")
                .scope(Scope::Regional)
                .send()
                .await
                .expect("get IP set");
            let mut addresses = got.ip_set().expect("set").addresses().to_vec();
            addresses.sort();
            addresses
        }
    };
    assert_eq!(
        addresses(ip_set_id.clone()).await,
        ["198.51.100.7/32", "203.0.113.0/24"]
    );
    let regexes = |regex_id: String| {
        let waf = waf.clone();
        async move {
            let got = waf
                .get_regex_pattern_set()
                .id(uuid(&regex_id))
                .name("bots")
                .scope(Scope::Regional)
                .send()
                .await
                .expect("get regex pattern set");
            let mut regexes: Vec<String> = got
                .regex_pattern_set()
                .expect("set")
                .regular_expression_list()
                .iter()
                .filter_map(|r| r.regex_string().map(String::from))
                .collect();
            regexes.sort();
            regexes
        }
    };
    assert_eq!(regexes(regex_id.clone()).await, ["^curl/", "bot$"]);
    ws.assert_plan_clean(&emulator, "read back as written");

    ws.edit("main.tf", r#", "198.51.100.7/32""#, "");
    ws.edit(
        "main.tf",
        r#"regex_string = "bot$""#,
        r#"regex_string = "spider""#,
    );
    let plan = ws.run(&emulator, "plan", &["--no-color"]);
    assert!(
        plan.stdout.contains("0 to add, 2 to change, 0 to destroy"),
        "{}",
        plan.log()
    );
    ws.apply_ok(&emulator);
    assert_eq!(addresses(ip_set_id.clone()).await, ["203.0.113.0/24"]);
    assert_eq!(regexes(regex_id.clone()).await, ["^curl/", "spider"]);
    ws.assert_plan_clean(&emulator, "changed in place");

    for (address, id) in [
        ("aws_wafv2_ip_set.office", ip_set_id.as_str()),
        ("aws_wafv2_regex_pattern_set.bots", regex_id.as_str()),
    ] {
        ws.forget_and_import(&emulator, address, id);
    }
    ws.assert_plan_clean(&emulator, "imported by Terraform's ids");

    ws.destroy_ok(&emulator);
    let left = waf
        .list_ip_sets()
        .scope(Scope::Regional)
        .send()
        .await
        .expect("list");
    assert!(left.ip_sets().is_empty());
    let left = waf
        .list_regex_pattern_sets()
        .scope(Scope::Regional)
        .send()
        .await
        .expect("list");
    assert!(left.regex_pattern_sets().is_empty());
}

const WAF_STATEMENTS: &str = r#"
resource "aws_wafv2_web_acl" "edge" {
  name  = "edge"
  scope = "REGIONAL"

  default_action {
    allow {}
  }

  rule {
    name     = "office-only-admin"
    priority = 1
    action {
      block {}
    }
    statement {
      and_statement {
        statement {
          byte_match_statement {
            positional_constraint = "STARTS_WITH"
            search_string         = "/admin"
            field_to_match {
              uri_path {}
            }
            text_transformation {
              priority = 0
              type     = "LOWERCASE"
            }
          }
        }
        statement {
          not_statement {
            statement {
              ip_set_reference_statement {
                arn = aws_wafv2_ip_set.office.arn
              }
            }
          }
        }
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = false
      metric_name                = "admin"
      sampled_requests_enabled   = false
    }
  }

  rule {
    name     = "bots-outside-eu"
    priority = 2
    action {
      captcha {}
    }
    statement {
      or_statement {
        statement {
          regex_pattern_set_reference_statement {
            arn = aws_wafv2_regex_pattern_set.bots.arn
            field_to_match {
              single_header {
                name = "user-agent"
              }
            }
            text_transformation {
              priority = 0
              type     = "NONE"
            }
          }
        }
        statement {
          geo_match_statement {
            country_codes = ["CN", "RU"]
          }
        }
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = false
      metric_name                = "bots"
      sampled_requests_enabled   = false
    }
  }

  rule {
    name     = "common"
    priority = 3
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        name        = "AWSManagedRulesCommonRuleSet"
        vendor_name = "AWS"
        rule_action_override {
          name = "SizeRestrictions_BODY"
          action_to_use {
            count {}
          }
        }
        scope_down_statement {
          geo_match_statement {
            country_codes = ["US"]
          }
        }
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = false
      metric_name                = "common"
      sampled_requests_enabled   = false
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = false
    metric_name                = "edge"
    sampled_requests_enabled   = false
  }
}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn web_acl_statements_of_every_kind_round_trip() {
    use aws_sdk_wafv2::types::Scope;
    let emulator = Emulator::start();
    let ws = crate::support::cli::Workspace::copy_of("tests/fixtures/ci/stack");
    ws.write("main.tf", &format!("{WAF_SETS}{WAF_STATEMENTS}"));
    ws.apply_ok(&emulator);

    let id = ws.state_attribute("aws_wafv2_web_acl.edge", "id");
    let got = emulator
        .wafv2()
        .get_web_acl()
        .id(id.split('/').next().unwrap_or_default())
        .name("edge")
        .scope(Scope::Regional)
        .send()
        .await
        .expect("get web ACL");
    let acl = got.web_acl().expect("acl");
    let mut rules: Vec<_> = acl.rules().to_vec();
    rules.sort_by_key(|r| r.priority());
    let admin = rules[0]
        .statement()
        .and_then(|s| s.and_statement())
        .expect("and");
    let byte_match = admin.statements()[0]
        .byte_match_statement()
        .expect("byte match");
    assert_eq!(byte_match.search_string().as_ref(), b"/admin");
    assert!(
        byte_match
            .field_to_match()
            .and_then(|f| f.uri_path())
            .is_some()
    );
    let ip_set_arn = ws.state_attribute("aws_wafv2_ip_set.office", "arn");
    assert_eq!(
        admin.statements()[1]
            .not_statement()
            .and_then(|n| n.statement())
            .and_then(|s| s.ip_set_reference_statement())
            .map(|i| i.arn()),
        Some(ip_set_arn.as_str())
    );
    let bots = rules[1]
        .statement()
        .and_then(|s| s.or_statement())
        .expect("or");
    assert_eq!(
        bots.statements()[0]
            .regex_pattern_set_reference_statement()
            .and_then(|r| r.field_to_match())
            .and_then(|f| f.single_header())
            .map(|h| h.name()),
        Some("user-agent")
    );
    assert!(rules[1].action().and_then(|a| a.captcha()).is_some());
    let managed = rules[2]
        .statement()
        .and_then(|s| s.managed_rule_group_statement())
        .expect("managed");
    assert_eq!(
        managed.rule_action_overrides()[0].name(),
        "SizeRestrictions_BODY"
    );
    assert!(
        managed
            .scope_down_statement()
            .and_then(|s| s.geo_match_statement())
            .is_some()
    );
    ws.assert_plan_clean(&emulator, "every statement reads back as written");

    // One statement changed: the ACL is updated in place.
    ws.edit(
        "main.tf",
        r#"search_string         = "/admin""#,
        r#"search_string         = "/internal""#,
    );
    let plan = ws.run(&emulator, "plan", &["--no-color"]);
    assert!(
        plan.stdout.contains("0 to add, 1 to change, 0 to destroy"),
        "{}",
        plan.log()
    );
    ws.apply_ok(&emulator);
    ws.assert_plan_clean(&emulator, "changed in place");
    ws.destroy_ok(&emulator);
}
