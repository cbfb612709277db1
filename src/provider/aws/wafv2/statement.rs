//! WAFv2 rule statements, as web ACL rules write them: the schema (nested
//! to the depth Terraform allows), the statement sent to WAF, and the
//! statement read back, written the way the stack writes it.
//!
//! Kinds: managed rule groups (with rule action overrides and a scope-down
//! statement), rate-based (with a scope-down statement), byte match, geo
//! match, IP set and regex pattern set references, and `and`, `or` and
//! `not` of statements. Fields to match are the commonly used ones (the
//! URI path, the query string or one argument of it, all arguments, one
//! header, the method, the body). No calls to AWS live here.

use aws_sdk_wafv2::types::{
    AllQueryArguments, AllowAction, AndStatement, BlockAction, Body, ByteMatchStatement,
    CaptchaAction, ChallengeAction, CountAction, CountryCode, FieldToMatch, GeoMatchStatement,
    IpSetReferenceStatement, ManagedRuleGroupStatement, Method, NotStatement, OrStatement,
    OversizeHandling, PositionalConstraint, QueryString, RateBasedStatement,
    RateBasedStatementAggregateKeyType, RegexPatternSetReferenceStatement, RuleAction,
    RuleActionOverride, SingleHeader, SingleQueryArgument, Statement, TextTransformation,
    TextTransformationType, UriPath,
};
use aws_smithy_types::Blob;

use crate::provider::ProviderError;
use crate::provider::aws::build_error;
use crate::provider::aws::convert::{i32_arg, nested, optional_block, single};
use crate::provider::schema::{Attribute, Block, Schema, Type};
use crate::value::{Attrs, AttrsExt, Value};

/// AWS's rate-based evaluation window when none is given.
const DEFAULT_EVALUATION_WINDOW: i64 = 300;

/// How deep `and`, `or` and `not` nest in a rule's statement, as in
/// Terraform's schema: a statement holds logical statements whose own
/// statements hold one more level, of plain statements only.
const RULE_DEPTH: usize = 2;

/// The actions a rule (or an override) can take.
const ACTIONS: [&str; 5] = ["allow", "block", "count", "captcha", "challenge"];

/// A block whose presence is the whole setting (`allow {}`).
pub(super) fn marker(name: &'static str) -> Block {
    Block::single(name, Schema::default())
}

pub(super) fn has(attrs: &Attrs, marker: &str) -> bool {
    !attrs.blocks(marker).is_empty()
}

/// `{}` when a marker is set: the object a user writes as `allow {}`.
pub(super) fn marker_value(present: bool) -> Value {
    optional_block(present.then(Attrs::new))
}

/// An `action {}` (or `action_to_use {}`) block's schema.
pub(super) fn action_schema() -> Schema {
    Schema::new(vec![], ACTIONS.iter().map(|a| marker(a)).collect())
}

pub(super) fn rule_action(action: &Attrs) -> RuleAction {
    RuleAction::builder()
        .set_allow(has(action, "allow").then(|| AllowAction::builder().build()))
        .set_block(has(action, "block").then(|| BlockAction::builder().build()))
        .set_count(has(action, "count").then(|| CountAction::builder().build()))
        .set_captcha(has(action, "captcha").then(|| CaptchaAction::builder().build()))
        .set_challenge(has(action, "challenge").then(|| ChallengeAction::builder().build()))
        .build()
}

pub(super) fn rule_action_value(action: &RuleAction) -> Value {
    Value::Map(
        nested([
            ("allow", marker_value(action.allow().is_some())),
            ("block", marker_value(action.block().is_some())),
            ("count", marker_value(action.count().is_some())),
            ("captcha", marker_value(action.captcha().is_some())),
            ("challenge", marker_value(action.challenge().is_some())),
        ])
        .into(),
    )
}

fn field_to_match_schema() -> Schema {
    let named = || Schema::new(vec![Attribute::required("name", Type::String)], vec![]);
    Schema::new(
        vec![],
        vec![
            marker("all_query_arguments"),
            Block::single(
                "body",
                Schema::new(
                    vec![Attribute::optional("oversize_handling", Type::String)],
                    vec![],
                ),
            ),
            marker("method"),
            marker("query_string"),
            Block::single("single_header", named()),
            Block::single("single_query_argument", named()),
            marker("uri_path"),
        ],
    )
}

fn text_transformation_schema() -> Schema {
    Schema::new(
        vec![
            Attribute::required("priority", Type::Number),
            Attribute::required("type", Type::String),
        ],
        vec![],
    )
}

/// The statements that match a request by its content: what every level
/// of nesting has.
fn matching_blocks() -> Vec<Block> {
    let matched = |mut attributes: Vec<Attribute>| {
        attributes.extend([]);
        Schema::new(
            attributes,
            vec![
                Block::single("field_to_match", field_to_match_schema()),
                Block::set("text_transformation", text_transformation_schema()).required(),
            ],
        )
    };
    vec![
        Block::single(
            "byte_match_statement",
            matched(vec![
                Attribute::required("positional_constraint", Type::String),
                Attribute::required("search_string", Type::String),
            ]),
        ),
        Block::single(
            "geo_match_statement",
            Schema::new(
                vec![Attribute::required(
                    "country_codes",
                    Type::list_of(Type::String),
                )],
                vec![],
            ),
        ),
        Block::single(
            "ip_set_reference_statement",
            Schema::new(vec![Attribute::required("arn", Type::String)], vec![]),
        ),
        Block::single(
            "regex_pattern_set_reference_statement",
            matched(vec![Attribute::required("arn", Type::String)]),
        ),
    ]
}

/// A statement whose `and`, `or` and `not` nest `depth` more levels.
fn nested_statement_schema(depth: usize) -> Schema {
    let mut blocks = matching_blocks();
    if depth > 0 {
        let inner = nested_statement_schema(depth - 1);
        blocks.extend([
            Block::single(
                "and_statement",
                Schema::new(
                    vec![],
                    vec![Block::list("statement", inner.clone()).required()],
                ),
            ),
            Block::single(
                "or_statement",
                Schema::new(
                    vec![],
                    vec![Block::list("statement", inner.clone()).required()],
                ),
            ),
            Block::single(
                "not_statement",
                Schema::new(vec![], vec![Block::single("statement", inner).required()]),
            ),
        ]);
    }
    Schema::new(vec![], blocks)
}

/// A rule's `statement {}`.
pub(super) fn statement_schema() -> Schema {
    let scope_down = || Block::single("scope_down_statement", nested_statement_schema(1));
    let mut statement = nested_statement_schema(RULE_DEPTH);
    statement.blocks.extend([
        Block::single(
            "managed_rule_group_statement",
            Schema::new(
                vec![
                    Attribute::required("name", Type::String),
                    Attribute::required("vendor_name", Type::String),
                    Attribute::optional("version", Type::String),
                ],
                vec![
                    Block::list(
                        "rule_action_override",
                        Schema::new(
                            vec![Attribute::required("name", Type::String)],
                            vec![Block::single("action_to_use", action_schema()).required()],
                        ),
                    ),
                    scope_down(),
                ],
            ),
        ),
        Block::single(
            "rate_based_statement",
            Schema::new(
                vec![
                    Attribute::required("limit", Type::Number),
                    Attribute::optional("aggregate_key_type", Type::String).default("IP"),
                    Attribute::optional("evaluation_window_sec", Type::Number)
                        .default(DEFAULT_EVALUATION_WINDOW),
                ],
                vec![scope_down()],
            ),
        ),
    ]);
    statement
}

// ---- configuration → WAFv2 ----

fn field_to_match(block: &Attrs) -> Result<FieldToMatch, ProviderError> {
    let name = |key: &str| {
        single(block, key)
            .and_then(|b| b.str("name"))
            .map(String::from)
    };
    let single_header = name("single_header")
        .map(|n| SingleHeader::builder().name(n).build())
        .transpose()
        .map_err(build_error)?;
    let single_query_argument = name("single_query_argument")
        .map(|n| SingleQueryArgument::builder().name(n).build())
        .transpose()
        .map_err(build_error)?;
    Ok(FieldToMatch::builder()
        .set_all_query_arguments(
            has(block, "all_query_arguments").then(|| AllQueryArguments::builder().build()),
        )
        .set_body(single(block, "body").map(|b| {
            Body::builder()
                .set_oversize_handling(b.str("oversize_handling").map(OversizeHandling::from))
                .build()
        }))
        .set_method(has(block, "method").then(|| Method::builder().build()))
        .set_query_string(has(block, "query_string").then(|| QueryString::builder().build()))
        .set_single_header(single_header)
        .set_single_query_argument(single_query_argument)
        .set_uri_path(has(block, "uri_path").then(|| UriPath::builder().build()))
        .build())
}

fn text_transformations(block: &Attrs) -> Result<Vec<TextTransformation>, ProviderError> {
    let mut transformations: Vec<TextTransformation> = block
        .blocks("text_transformation")
        .into_iter()
        .map(|t| {
            TextTransformation::builder()
                .set_priority(i32_arg(t, "priority"))
                .set_type(t.str("type").map(TextTransformationType::from))
                .build()
                .map_err(build_error)
        })
        .collect::<Result<_, _>>()?;
    transformations.sort_by_key(TextTransformation::priority);
    Ok(transformations)
}

fn boxed(block: Option<&Attrs>) -> Result<Option<Box<Statement>>, ProviderError> {
    block.map(|b| statement(b).map(Box::new)).transpose()
}

fn statements(block: &Attrs) -> Result<Vec<Statement>, ProviderError> {
    block
        .blocks("statement")
        .into_iter()
        .map(statement)
        .collect()
}

/// A `statement {}` block as WAF takes it.
pub(super) fn statement(block: &Attrs) -> Result<Statement, ProviderError> {
    let managed = single(block, "managed_rule_group_statement")
        .map(|m| {
            let overrides = m
                .blocks("rule_action_override")
                .into_iter()
                .map(|o| {
                    RuleActionOverride::builder()
                        .set_name(o.str("name").map(String::from))
                        .set_action_to_use(single(o, "action_to_use").map(rule_action))
                        .build()
                        .map_err(build_error)
                })
                .collect::<Result<Vec<_>, _>>()?;
            ManagedRuleGroupStatement::builder()
                .set_name(m.str("name").map(String::from))
                .set_vendor_name(m.str("vendor_name").map(String::from))
                .set_version(m.str("version").map(String::from))
                .set_rule_action_overrides((!overrides.is_empty()).then_some(overrides))
                .set_scope_down_statement(boxed(single(m, "scope_down_statement"))?)
                .build()
                .map_err(build_error)
        })
        .transpose()?;
    let rate_based = single(block, "rate_based_statement")
        .map(|r| {
            RateBasedStatement::builder()
                .set_limit(r.i64("limit"))
                .set_aggregate_key_type(Some(RateBasedStatementAggregateKeyType::from(
                    r.str("aggregate_key_type").unwrap_or("IP"),
                )))
                .set_evaluation_window_sec(r.i64("evaluation_window_sec"))
                .set_scope_down_statement(boxed(single(r, "scope_down_statement"))?)
                .build()
                .map_err(build_error)
        })
        .transpose()?;
    let byte_match = single(block, "byte_match_statement")
        .map(|b| {
            ByteMatchStatement::builder()
                .set_positional_constraint(
                    b.str("positional_constraint")
                        .map(PositionalConstraint::from),
                )
                .set_search_string(b.str("search_string").map(|s| Blob::new(s.as_bytes())))
                .set_field_to_match(
                    single(b, "field_to_match")
                        .map(field_to_match)
                        .transpose()?,
                )
                .set_text_transformations(Some(text_transformations(b)?))
                .build()
                .map_err(build_error)
        })
        .transpose()?;
    let geo_match = single(block, "geo_match_statement").map(|g| {
        GeoMatchStatement::builder()
            .set_country_codes(Some(
                g.strings("country_codes")
                    .iter()
                    .map(|c| CountryCode::from(c.as_str()))
                    .collect(),
            ))
            .build()
    });
    let ip_set = single(block, "ip_set_reference_statement")
        .map(|i| {
            IpSetReferenceStatement::builder()
                .set_arn(i.str("arn").map(String::from))
                .build()
                .map_err(build_error)
        })
        .transpose()?;
    let regex_set = single(block, "regex_pattern_set_reference_statement")
        .map(|r| {
            RegexPatternSetReferenceStatement::builder()
                .set_arn(r.str("arn").map(String::from))
                .set_field_to_match(
                    single(r, "field_to_match")
                        .map(field_to_match)
                        .transpose()?,
                )
                .set_text_transformations(Some(text_transformations(r)?))
                .build()
                .map_err(build_error)
        })
        .transpose()?;
    let and = single(block, "and_statement")
        .map(|a| {
            AndStatement::builder()
                .set_statements(Some(statements(a)?))
                .build()
                .map_err(build_error)
        })
        .transpose()?;
    let or = single(block, "or_statement")
        .map(|o| {
            OrStatement::builder()
                .set_statements(Some(statements(o)?))
                .build()
                .map_err(build_error)
        })
        .transpose()?;
    let not = single(block, "not_statement")
        .map(|n| {
            Ok::<_, ProviderError>(
                NotStatement::builder()
                    .set_statement(boxed(single(n, "statement"))?)
                    .build(),
            )
        })
        .transpose()?;
    Ok(Statement::builder()
        .set_managed_rule_group_statement(managed)
        .set_rate_based_statement(rate_based)
        .set_byte_match_statement(byte_match)
        .set_geo_match_statement(geo_match)
        .set_ip_set_reference_statement(ip_set)
        .set_regex_pattern_set_reference_statement(regex_set)
        .set_and_statement(and)
        .set_or_statement(or)
        .set_not_statement(not)
        .build())
}

// ---- WAFv2 → values ----

fn field_to_match_value(field: Option<&FieldToMatch>) -> Value {
    optional_block(field.map(|f| {
        let named =
            |name: Option<&str>| optional_block(name.map(|n| nested([("name", Value::string(n))])));
        nested([
            (
                "all_query_arguments",
                marker_value(f.all_query_arguments().is_some()),
            ),
            (
                "body",
                optional_block(f.body().map(|b| {
                    nested([(
                        "oversize_handling",
                        b.oversize_handling().map(|o| o.as_str()).into(),
                    )])
                })),
            ),
            ("method", marker_value(f.method().is_some())),
            ("query_string", marker_value(f.query_string().is_some())),
            ("single_header", named(f.single_header().map(|h| h.name()))),
            (
                "single_query_argument",
                named(f.single_query_argument().map(|a| a.name())),
            ),
            ("uri_path", marker_value(f.uri_path().is_some())),
        ])
    }))
}

fn text_transformations_value(list: &[TextTransformation]) -> Value {
    Value::List(
        list.iter()
            .map(|t| {
                Value::Map(
                    nested([
                        ("priority", Value::from(t.priority())),
                        ("type", Value::string(t.r#type().as_str())),
                    ])
                    .into(),
                )
            })
            .collect(),
    )
    .into_set()
}

fn statements_value(list: &[Statement]) -> Value {
    Value::List(
        list.iter()
            .map(|s| Value::Map(statement_attrs(s).into()))
            .collect(),
    )
}

/// A statement read back, as the `statement {}` block that writes it.
pub(super) fn statement_value(statement: Option<&Statement>) -> Value {
    optional_block(statement.map(statement_attrs))
}

fn statement_attrs(s: &Statement) -> Attrs {
    let managed = s.managed_rule_group_statement().map(|m| {
        let overrides: Vec<Value> = m
            .rule_action_overrides()
            .iter()
            .map(|o| {
                Value::Map(
                    nested([
                        ("name", Value::string(o.name())),
                        (
                            "action_to_use",
                            o.action_to_use().map_or(Value::List(vec![].into()), |a| {
                                Value::List(vec![rule_action_value(a)].into())
                            }),
                        ),
                    ])
                    .into(),
                )
            })
            .collect();
        nested([
            ("name", Value::string(m.name())),
            ("vendor_name", Value::string(m.vendor_name())),
            ("version", m.version().into()),
            ("rule_action_override", Value::List(overrides.into())),
            (
                "scope_down_statement",
                statement_value(m.scope_down_statement()),
            ),
        ])
    });
    let rate_based = s.rate_based_statement().map(|r| {
        // Zero means AWS left the window out, i.e. its default.
        let window = match r.evaluation_window_sec() {
            0 => DEFAULT_EVALUATION_WINDOW,
            window => window,
        };
        nested([
            ("limit", Value::from(r.limit())),
            (
                "aggregate_key_type",
                Value::string(r.aggregate_key_type().as_str()),
            ),
            ("evaluation_window_sec", Value::from(window)),
            (
                "scope_down_statement",
                statement_value(r.scope_down_statement()),
            ),
        ])
    });
    let byte_match = s.byte_match_statement().map(|b| {
        nested([
            (
                "positional_constraint",
                Value::string(b.positional_constraint().as_str()),
            ),
            (
                "search_string",
                Value::string(String::from_utf8_lossy(b.search_string().as_ref())),
            ),
            ("field_to_match", field_to_match_value(b.field_to_match())),
            (
                "text_transformation",
                text_transformations_value(b.text_transformations()),
            ),
        ])
    });
    let geo_match = s.geo_match_statement().map(|g| {
        nested([(
            "country_codes",
            Value::List(
                g.country_codes()
                    .iter()
                    .map(|c| Value::string(c.as_str()))
                    .collect(),
            ),
        )])
    });
    let ip_set = s
        .ip_set_reference_statement()
        .map(|i| nested([("arn", Value::string(i.arn()))]));
    let regex_set = s.regex_pattern_set_reference_statement().map(|r| {
        nested([
            ("arn", Value::string(r.arn())),
            ("field_to_match", field_to_match_value(r.field_to_match())),
            (
                "text_transformation",
                text_transformations_value(r.text_transformations()),
            ),
        ])
    });
    let and = s
        .and_statement()
        .map(|a| nested([("statement", statements_value(a.statements()))]));
    let or = s
        .or_statement()
        .map(|o| nested([("statement", statements_value(o.statements()))]));
    let not = s
        .not_statement()
        .map(|n| nested([("statement", statement_value(n.statement()))]));
    nested([
        ("managed_rule_group_statement", optional_block(managed)),
        ("rate_based_statement", optional_block(rate_based)),
        ("byte_match_statement", optional_block(byte_match)),
        ("geo_match_statement", optional_block(geo_match)),
        ("ip_set_reference_statement", optional_block(ip_set)),
        (
            "regex_pattern_set_reference_statement",
            optional_block(regex_set),
        ),
        ("and_statement", optional_block(and)),
        ("or_statement", optional_block(or)),
        ("not_statement", optional_block(not)),
    ])
}
