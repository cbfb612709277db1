//! Data source `aws_iam_policy_document`: an IAM policy written as blocks,
//! rendered to the JSON text the AWS provider renders for the same input,
//! byte for byte, so a stack moving between the tools plans no change.
//!
//! Computed offline from the arguments (`DataSourceType::compute`): no AWS
//! call, so it is known at plan whenever its arguments are. The rendering
//! follows the provider's: Go's `encoding/json` field order, HTML escaping
//! and two-space indentation; a list of one string written as the string;
//! actions, resources and principals sorted in reverse; condition values in
//! their order; `&{` written as `${` (IAM's policy variables); source
//! documents merged first, override documents last, a statement with the
//! `Sid` of an earlier one replacing it. `source_json` and `override_json`,
//! which the provider keeps only to refuse any value, are left out.

use std::sync::LazyLock;

use async_trait::async_trait;

use crate::provider::aws::AwsContext;
use crate::provider::schema::{Attribute, Block, Schema, Type};
use crate::provider::{DataSourceType, ErrorKind, ProviderError};
use crate::value::{Attrs, AttrsExt, Value, write_go_json_string};

pub struct IamPolicyDocument;

const VERSIONS: [&str; 2] = ["2008-10-17", "2012-10-17"];

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let set_of_strings = |name| Attribute::optional(name, Type::set_of(Type::String));
    let principals = |name| {
        Block::set(
            name,
            Schema::new(
                vec![
                    Attribute::required("type", Type::String),
                    Attribute::required("identifiers", Type::set_of(Type::String)),
                ],
                vec![],
            ),
        )
    };
    let condition = Block::set(
        "condition",
        Schema::new(
            vec![
                Attribute::required("test", Type::String),
                Attribute::required("variable", Type::String),
                Attribute::required("values", Type::list_of(Type::String)),
            ],
            vec![],
        ),
    );
    let statement = Schema::new(
        vec![
            Attribute::optional("sid", Type::String),
            Attribute::optional("effect", Type::String).default("Allow"),
            set_of_strings("actions"),
            set_of_strings("not_actions"),
            set_of_strings("resources"),
            set_of_strings("not_resources"),
        ],
        vec![
            principals("principals"),
            principals("not_principals"),
            condition,
        ],
    );
    Schema::new(
        vec![
            Attribute::optional("version", Type::String).default("2012-10-17"),
            Attribute::optional("policy_id", Type::String),
            Attribute::optional("source_policy_documents", Type::list_of(Type::String)),
            Attribute::optional("override_policy_documents", Type::list_of(Type::String)),
            Attribute::computed("json", Type::String),
            Attribute::computed("minified_json", Type::String),
            Attribute::computed("id", Type::String),
        ],
        vec![Block::list("statement", statement)],
    )
});

#[async_trait]
impl DataSourceType for IamPolicyDocument {
    fn type_name(&self) -> &'static str {
        "aws_iam_policy_document"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    async fn read(&self, _aws: &AwsContext, args: &Attrs) -> Result<Attrs, ProviderError> {
        render(args)
    }

    fn is_offline(&self) -> bool {
        true
    }

    fn compute(&self, args: &Attrs) -> Result<Attrs, ProviderError> {
        render(args)
    }
}

fn invalid(message: String) -> ProviderError {
    ProviderError::new(ErrorKind::Validation, message)
}

fn render(args: &Attrs) -> Result<Attrs, ProviderError> {
    let mut merged = Document::default();
    let mut source_sids = std::collections::BTreeSet::new();
    for (index, text) in args.strings("source_policy_documents").iter().enumerate() {
        let source = Document::parse(text).map_err(|e| {
            invalid(format!(
                "writing IAM Policy Document: merging source document {index}: {e}"
            ))
        })?;
        for (at, statement) in source.statements.iter().enumerate() {
            if !statement.sid.is_empty() && !source_sids.insert(statement.sid.clone()) {
                return Err(invalid(format!(
                    "writing IAM Policy Document: merging source document {index}: duplicate Sid ({}) in source_policy_documents (statement {at}). Remove the Sid or ensure Sids are unique.",
                    statement.sid
                )));
            }
        }
        merged.merge(source);
    }
    merged.merge(Document::from_config(args)?);
    for (index, text) in args.strings("override_policy_documents").iter().enumerate() {
        let overrides = Document::parse(text).map_err(|e| {
            invalid(format!(
                "writing IAM Policy Document: merging override document {index}: {e}"
            ))
        })?;
        merged.merge(overrides);
    }
    let tree = merged.to_json();
    let mut json = String::new();
    tree.write(Some(0), &mut json);
    let mut minified = String::new();
    tree.write(None, &mut minified);
    let mut out = args.clone();
    // The provider's id: the CRC-32 of the JSON text, in decimal.
    let id = crc32fast::hash(json.as_bytes());
    out.insert("id".into(), Value::string(id.to_string()));
    out.insert("json".into(), Value::string(json));
    out.insert("minified_json".into(), Value::string(minified));
    Ok(out)
}

/// JSON as Go's `encoding/json` writes it: objects keep the order given
/// (struct fields in declaration order, maps sorted by the caller).
#[derive(Clone, Debug, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    /// A number's text as it was read.
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    /// Go's maps marshal with their keys sorted.
    fn from_serde(value: &serde_json::Value) -> Json {
        match value {
            serde_json::Value::Null => Json::Null,
            serde_json::Value::Bool(b) => Json::Bool(*b),
            serde_json::Value::Number(n) => Json::Number(n.to_string()),
            serde_json::Value::String(s) => Json::String(s.clone()),
            serde_json::Value::Array(items) => {
                Json::Array(items.iter().map(Json::from_serde).collect())
            }
            serde_json::Value::Object(map) => {
                let mut fields: Vec<(String, Json)> = map
                    .iter()
                    .map(|(k, v)| (k.clone(), Json::from_serde(v)))
                    .collect();
                fields.sort_by(|a, b| a.0.cmp(&b.0));
                Json::Object(fields)
            }
        }
    }

    /// `indent`: the depth for `json.MarshalIndent(v, "", "  ")`, or `None`
    /// for `json.Marshal`.
    fn write(&self, indent: Option<usize>, out: &mut String) {
        let newline = |depth: usize, out: &mut String| {
            out.push('\n');
            out.push_str(&"  ".repeat(depth));
        };
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Number(n) => out.push_str(n),
            Json::String(s) => write_go_json_string(s, out),
            Json::Array(items) if items.is_empty() => out.push_str("[]"),
            Json::Object(fields) if fields.is_empty() => out.push_str("{}"),
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    if let Some(depth) = indent {
                        newline(depth + 1, out);
                    }
                    item.write(indent.map(|d| d + 1), out);
                }
                if let Some(depth) = indent {
                    newline(depth, out);
                }
                out.push(']');
            }
            Json::Object(fields) => {
                out.push('{');
                for (i, (key, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    if let Some(depth) = indent {
                        newline(depth + 1, out);
                    }
                    write_go_json_string(key, out);
                    out.push_str(if indent.is_some() { ": " } else { ":" });
                    value.write(indent.map(|d| d + 1), out);
                }
                if let Some(depth) = indent {
                    newline(depth, out);
                }
                out.push('}');
            }
        }
    }
}

/// One string or several: IAM's grammar writes a list of one as the string.
#[derive(Clone, Debug)]
enum Strings {
    One(String),
    Many(Vec<String>),
}

impl Strings {
    /// The provider's `policyDecodeConfigStrings`: one string as itself,
    /// more sorted in reverse.
    fn reverse_sorted(mut items: Vec<String>) -> Strings {
        if items.len() == 1 {
            return Strings::One(items.remove(0));
        }
        items.sort();
        items.reverse();
        Strings::Many(items)
    }

    fn to_json(&self) -> Json {
        match self {
            Strings::One(s) => Json::String(s.clone()),
            Strings::Many(items) => Json::Array(items.iter().cloned().map(Json::String).collect()),
        }
    }

    fn into_vec(self) -> Vec<String> {
        match self {
            Strings::One(s) => vec![s],
            Strings::Many(items) => items,
        }
    }
}

#[derive(Clone, Debug)]
struct Principal {
    kind: String,
    identifiers: Strings,
}

#[derive(Clone, Debug)]
struct Condition {
    test: String,
    variable: String,
    values: Vec<String>,
}

#[derive(Clone, Debug, Default)]
struct Statement {
    sid: String,
    effect: String,
    actions: Option<Json>,
    not_actions: Option<Json>,
    resources: Option<Json>,
    not_resources: Option<Json>,
    principals: Vec<Principal>,
    not_principals: Vec<Principal>,
    conditions: Vec<Condition>,
}

#[derive(Clone, Debug, Default)]
struct Document {
    version: String,
    id: String,
    statements: Vec<Statement>,
}

/// IAM's policy variables are written `&{aws:username}` in a stack (where
/// `${` would be interpolation) and `${aws:username}` in the policy.
fn replace_variables(text: &str, version: &str) -> Result<String, ProviderError> {
    if version == "2008-10-17" && text.contains("&{") {
        return Err(invalid(format!(
            "found &{{ sequence in ({text}), which is not supported in document version 2008-10-17"
        )));
    }
    Ok(text.replace("&{", "${"))
}

fn replace_all(items: Strings, version: &str) -> Result<Strings, ProviderError> {
    Ok(match items {
        Strings::One(s) => Strings::One(replace_variables(&s, version)?),
        Strings::Many(items) => Strings::Many(
            items
                .iter()
                .map(|s| replace_variables(s, version))
                .collect::<Result<_, _>>()?,
        ),
    })
}

impl Document {
    fn from_config(args: &Attrs) -> Result<Document, ProviderError> {
        let version = args.str("version").unwrap_or("2012-10-17").to_string();
        if !VERSIONS.contains(&version.as_str()) {
            return Err(invalid(format!(
                "expected version to be one of {VERSIONS:?}, got {version}"
            )));
        }
        let mut sids = std::collections::BTreeSet::new();
        let mut statements = Vec::new();
        for block in args.blocks("statement") {
            let sid = block.str("sid").unwrap_or_default().to_string();
            if !sid.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(invalid(format!(
                    "invalid sid {sid:?}: must only include alphanumeric characters"
                )));
            }
            if !sid.is_empty() && !sids.insert(sid.clone()) {
                return Err(invalid(format!(
                    "writing IAM Policy Document: duplicate Sid ({sid}). Remove the Sid or ensure the Sid is unique."
                )));
            }
            let effect = block.str("effect").unwrap_or("Allow").to_string();
            if effect != "Allow" && effect != "Deny" {
                return Err(invalid(format!(
                    "expected effect to be one of [\"Allow\" \"Deny\"], got {effect}"
                )));
            }
            let listed = |key: &str| {
                let items = block.strings(key);
                (!items.is_empty()).then(|| Strings::reverse_sorted(items))
            };
            let with_variables = |key: &str| -> Result<Option<Json>, ProviderError> {
                listed(key)
                    .map(|items| replace_all(items, &version).map(|s| s.to_json()))
                    .transpose()
            };
            let principals = |key: &str| -> Result<Vec<Principal>, ProviderError> {
                block
                    .blocks(key)
                    .iter()
                    .map(|p| {
                        let identifiers = Strings::reverse_sorted(p.strings("identifiers"));
                        Ok(Principal {
                            kind: p.str("type").unwrap_or_default().to_string(),
                            identifiers: replace_all(identifiers, &version)?,
                        })
                    })
                    .collect()
            };
            let conditions = block
                .blocks("condition")
                .iter()
                .map(|c| {
                    let values = c
                        .strings("values")
                        .iter()
                        .map(|v| replace_variables(v, &version))
                        .collect::<Result<_, _>>()?;
                    Ok(Condition {
                        test: c.str("test").unwrap_or_default().to_string(),
                        variable: c.str("variable").unwrap_or_default().to_string(),
                        values,
                    })
                })
                .collect::<Result<_, ProviderError>>()?;
            statements.push(Statement {
                sid,
                effect,
                actions: listed("actions").map(|s| s.to_json()),
                not_actions: listed("not_actions").map(|s| s.to_json()),
                resources: with_variables("resources")?,
                not_resources: with_variables("not_resources")?,
                principals: principals("principals")?,
                not_principals: principals("not_principals")?,
                conditions,
            });
        }
        Ok(Document {
            version,
            id: args.str("policy_id").unwrap_or_default().to_string(),
            statements,
        })
    }

    /// A JSON policy, read as Go's `json.Unmarshal` reads it into the
    /// provider's structs: field names matched without regard to case,
    /// unknown fields ignored.
    fn parse(text: &str) -> Result<Document, String> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let object = value
            .as_object()
            .ok_or("the policy document is not a JSON object")?;
        let mut document = Document::default();
        for (key, value) in object {
            match key.to_ascii_lowercase().as_str() {
                "version" => document.version = text_field(value, "Version")?,
                "id" => document.id = text_field(value, "Id")?,
                "statement" => {
                    let items = match value {
                        serde_json::Value::Array(items) => items,
                        serde_json::Value::Null => continue,
                        _ => return Err("Statement is not a JSON array".into()),
                    };
                    for item in items {
                        document.statements.push(Statement::parse(item)?);
                    }
                }
                _ => {}
            }
        }
        Ok(document)
    }

    /// The provider's `Merge`: a later document's Id wins, its Version if
    /// newer, and each of its statements replaces the one with its Sid.
    fn merge(&mut self, newer: Document) {
        if !newer.id.is_empty() {
            self.id = newer.id;
        }
        if newer.version > self.version {
            self.version = newer.version;
        }
        for statement in newer.statements {
            let existing = (!statement.sid.is_empty())
                .then(|| self.statements.iter_mut().find(|s| s.sid == statement.sid))
                .flatten();
            match existing {
                Some(existing) => *existing = statement,
                None => self.statements.push(statement),
            }
        }
    }

    fn to_json(&self) -> Json {
        let mut fields = Vec::new();
        if !self.version.is_empty() {
            fields.push(("Version".to_string(), Json::String(self.version.clone())));
        }
        if !self.id.is_empty() {
            fields.push(("Id".to_string(), Json::String(self.id.clone())));
        }
        if !self.statements.is_empty() {
            let statements = self.statements.iter().map(Statement::to_json).collect();
            fields.push(("Statement".to_string(), Json::Array(statements)));
        }
        Json::Object(fields)
    }
}

fn text_field(value: &serde_json::Value, name: &str) -> Result<String, String> {
    match value {
        serde_json::Value::String(s) => Ok(s.clone()),
        serde_json::Value::Null => Ok(String::new()),
        _ => Err(format!("{name} is not a JSON string")),
    }
}

impl Statement {
    fn parse(value: &serde_json::Value) -> Result<Statement, String> {
        let object = value
            .as_object()
            .ok_or("a Statement is not a JSON object")?;
        let mut statement = Statement::default();
        for (key, value) in object {
            // Go leaves a `null` field as it was.
            let any = (!value.is_null()).then(|| Json::from_serde(value));
            match key.to_ascii_lowercase().as_str() {
                "sid" => statement.sid = text_field(value, "Sid")?,
                "effect" => statement.effect = text_field(value, "Effect")?,
                "action" => statement.actions = any,
                "notaction" => statement.not_actions = any,
                "resource" => statement.resources = any,
                "notresource" => statement.not_resources = any,
                "principal" => statement.principals = parse_principals(value)?,
                "notprincipal" => statement.not_principals = parse_principals(value)?,
                "condition" => statement.conditions = parse_conditions(value)?,
                _ => {}
            }
        }
        Ok(statement)
    }

    fn to_json(&self) -> Json {
        let mut fields = Vec::new();
        let mut text = |name: &str, value: &str| {
            if !value.is_empty() {
                fields.push((name.to_string(), Json::String(value.to_string())));
            }
        };
        text("Sid", &self.sid);
        text("Effect", &self.effect);
        for (name, value) in [
            ("Action", &self.actions),
            ("NotAction", &self.not_actions),
            ("Resource", &self.resources),
            ("NotResource", &self.not_resources),
        ] {
            if let Some(value) = value {
                fields.push((name.to_string(), value.clone()));
            }
        }
        for (name, principals) in [
            ("Principal", &self.principals),
            ("NotPrincipal", &self.not_principals),
        ] {
            if !principals.is_empty() {
                fields.push((name.to_string(), principals_json(principals)));
            }
        }
        if !self.conditions.is_empty() {
            fields.push(("Condition".to_string(), conditions_json(&self.conditions)));
        }
        Json::Object(fields)
    }
}

/// `"*"` or `{"AWS": "arn:…", "Service": […]}`.
fn parse_principals(value: &serde_json::Value) -> Result<Vec<Principal>, String> {
    match value {
        serde_json::Value::Null => Ok(Vec::new()),
        serde_json::Value::String(_) => Ok(vec![Principal {
            kind: "*".into(),
            identifiers: Strings::Many(vec!["*".into()]),
        }]),
        serde_json::Value::Object(map) => map
            .iter()
            .map(|(kind, identifiers)| {
                let identifiers = match identifiers {
                    serde_json::Value::String(s) => Strings::One(s.clone()),
                    serde_json::Value::Array(items) => {
                        let mut strings = items
                            .iter()
                            .map(|item| {
                                item.as_str().map(str::to_string).ok_or_else(|| {
                                    format!(
                                        "a principal identifier of type {kind:?} is not a string"
                                    )
                                })
                            })
                            .collect::<Result<Vec<_>, _>>()?;
                        strings.sort();
                        Strings::Many(strings)
                    }
                    _ => return Err(format!("the principals of type {kind:?} are not strings")),
                };
                Ok(Principal {
                    kind: kind.clone(),
                    identifiers,
                })
            })
            .collect(),
        _ => Err("Principal is neither a string nor an object".into()),
    }
}

/// The provider's principal set: one `*` of type `*` is `"*"`; otherwise
/// identifiers gathered by type (lists in reverse order), keys sorted.
fn principals_json(principals: &[Principal]) -> Json {
    if let [only] = principals
        && only.kind == "*"
        && only.identifiers.clone().into_vec() == ["*"]
    {
        return Json::String("*".into());
    }
    let mut by_kind: std::collections::BTreeMap<&str, Strings> = Default::default();
    for principal in principals {
        let merged = match (
            by_kind.remove(principal.kind.as_str()),
            &principal.identifiers,
        ) {
            (None, Strings::One(s)) => Strings::One(s.clone()),
            (earlier, Strings::Many(items)) => {
                let mut all = earlier.map(Strings::into_vec).unwrap_or_default();
                let mut items = items.clone();
                items.sort();
                items.reverse();
                all.extend(items);
                Strings::Many(all)
            }
            (Some(earlier), Strings::One(s)) => {
                let mut all = earlier.into_vec();
                all.push(s.clone());
                Strings::Many(all)
            }
        };
        by_kind.insert(&principal.kind, merged);
    }
    Json::Object(
        by_kind
            .into_iter()
            .map(|(kind, identifiers)| (kind.to_string(), identifiers.to_json()))
            .collect(),
    )
}

/// `{"StringEquals": {"aws:SourceAccount": "1234"}}`: a string, a boolean
/// (as its text) or a list of strings per variable.
fn parse_conditions(value: &serde_json::Value) -> Result<Vec<Condition>, String> {
    let Some(tests) = value.as_object() else {
        return match value {
            serde_json::Value::Null => Ok(Vec::new()),
            _ => Err("Condition is not a JSON object".into()),
        };
    };
    let mut conditions = Vec::new();
    for (test, variables) in tests {
        let variables = variables
            .as_object()
            .ok_or_else(|| format!("the condition {test:?} is not a JSON object"))?;
        for (variable, values) in variables {
            let values = match values {
                serde_json::Value::String(s) => vec![s.clone()],
                serde_json::Value::Bool(b) => vec![b.to_string()],
                serde_json::Value::Array(items) => items
                    .iter()
                    .map(|v| {
                        v.as_str().map(str::to_string).ok_or_else(|| {
                            format!("a value of condition {test:?} {variable:?} is not a string")
                        })
                    })
                    .collect::<Result<_, _>>()?,
                // The provider drops other kinds of value.
                _ => continue,
            };
            conditions.push(Condition {
                test: test.clone(),
                variable: variable.clone(),
                values,
            });
        }
    }
    Ok(conditions)
}

/// Values gathered by test and variable, in their order; one value is
/// written as the string. Keys sorted, as Go writes maps.
fn conditions_json(conditions: &[Condition]) -> Json {
    let mut tests: std::collections::BTreeMap<&str, std::collections::BTreeMap<&str, Vec<String>>> =
        Default::default();
    for condition in conditions {
        tests
            .entry(&condition.test)
            .or_default()
            .entry(&condition.variable)
            .or_default()
            .extend(condition.values.iter().cloned());
    }
    Json::Object(
        tests
            .into_iter()
            .map(|(test, variables)| {
                let variables = variables
                    .into_iter()
                    .map(|(variable, mut values)| {
                        let json = if values.len() == 1 {
                            Json::String(values.remove(0))
                        } else {
                            Json::Array(values.into_iter().map(Json::String).collect())
                        };
                        (variable.to_string(), json)
                    })
                    .collect();
                (test.to_string(), Json::Object(variables))
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::attrs;

    fn strings(items: &[&str]) -> Value {
        Value::List(items.iter().map(|s| Value::string(*s)).collect()).into_set()
    }

    fn json_of(args: Attrs) -> String {
        render(&args).unwrap()["json"].as_str().unwrap().to_string()
    }

    #[test]
    fn one_action_is_a_string_and_several_sort_in_reverse() {
        let statement = attrs([
            (
                "actions",
                strings(&["s3:GetObject", "s3:PutObject", "s3:ListBucket"]),
            ),
            ("resources", strings(&["arn:aws:s3:::b/&{aws:username}/*"])),
        ]);
        let args = attrs([(
            "statement",
            Value::List(vec![Value::Map(statement.into())].into()),
        )]);
        assert_eq!(
            json_of(args),
            "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": [\n        \"s3:PutObject\",\n        \"s3:ListBucket\",\n        \"s3:GetObject\"\n      ],\n      \"Resource\": \"arn:aws:s3:::b/${aws:username}/*\"\n    }\n  ]\n}"
        );
    }

    #[test]
    fn a_principal_of_any_kind_and_identifier_is_a_bare_star() {
        let principal = |kind: &str, ids: &[&str]| {
            Value::Map(attrs([("type", Value::string(kind)), ("identifiers", strings(ids))]).into())
        };
        let star = vec![Principal {
            kind: "*".into(),
            identifiers: Strings::reverse_sorted(vec!["*".into()]),
        }];
        assert_eq!(principals_json(&star), Json::String("*".into()));
        let statement = attrs([
            ("actions", strings(&["sts:AssumeRole"])),
            (
                "principals",
                Value::List(
                    vec![
                        principal("Service", &["eks.amazonaws.com", "ec2.amazonaws.com"]),
                        principal("AWS", &["*"]),
                    ]
                    .into(),
                ),
            ),
        ]);
        let args = attrs([(
            "statement",
            Value::List(vec![Value::Map(statement.into())].into()),
        )]);
        let out = render(&args).unwrap();
        assert_eq!(
            out["minified_json"].as_str().unwrap(),
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":"*","Service":["eks.amazonaws.com","ec2.amazonaws.com"]}}]}"#
        );
    }

    #[test]
    fn conditions_keep_their_value_order_and_go_escaping() {
        let condition = attrs([
            ("test", Value::string("StringLike")),
            ("variable", Value::string("s3:prefix")),
            (
                "values",
                Value::List(vec![Value::string("b<"), Value::string("a&")].into()),
            ),
        ]);
        let statement = attrs([
            ("actions", strings(&["s3:ListBucket"])),
            (
                "condition",
                Value::List(vec![Value::Map(condition.into())].into()),
            ),
        ]);
        let args = attrs([(
            "statement",
            Value::List(vec![Value::Map(statement.into())].into()),
        )]);
        let out = render(&args).unwrap();
        assert_eq!(
            out["minified_json"].as_str().unwrap(),
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Condition":{"StringLike":{"s3:prefix":["b\u003c","a\u0026"]}}}]}"#
        );
    }

    #[test]
    fn source_then_own_then_override_statements_merge_by_sid() {
        let own = attrs([
            ("sid", Value::string("Read")),
            ("actions", strings(&["s3:GetObject"])),
        ]);
        let args = attrs([
            (
                "source_policy_documents",
                Value::List(vec![Value::string(
                    r#"{"Version":"2008-10-17","Statement":[{"Sid":"Read","Effect":"Deny","Action":"*"},{"Effect":"Allow","Action":["b","a"],"Principal":{"AWS":["x","y"]}}]}"#,
                )].into()),
            ),
            ("statement", Value::List(vec![Value::Map(own.into())].into())),
            (
                "override_policy_documents",
                Value::List(vec![Value::string(
                    r#"{"Id":"over","Statement":[{"Sid":"Extra","Condition":{"Bool":{"aws:SecureTransport":false}}}]}"#,
                )].into()),
            ),
        ]);
        let out = render(&args).unwrap();
        assert_eq!(
            out["minified_json"].as_str().unwrap(),
            r#"{"Version":"2012-10-17","Id":"over","Statement":[{"Sid":"Read","Effect":"Allow","Action":"s3:GetObject"},{"Effect":"Allow","Action":["b","a"],"Principal":{"AWS":["y","x"]}},{"Sid":"Extra","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#
        );
    }

    #[test]
    fn duplicate_sids_and_bad_values_are_refused() {
        let statement = |sid: &str| Value::Map(attrs([("sid", Value::string(sid))]).into());
        let twice = attrs([(
            "statement",
            Value::List(vec![statement("A"), statement("A")].into()),
        )]);
        assert!(
            render(&twice)
                .unwrap_err()
                .message
                .contains("duplicate Sid (A)")
        );
        let bad_sid = attrs([("statement", Value::List(vec![statement("a-b")].into()))]);
        assert!(
            render(&bad_sid)
                .unwrap_err()
                .message
                .contains("alphanumeric")
        );
        let old = attrs([
            ("version", Value::string("2008-10-17")),
            (
                "statement",
                Value::List(
                    vec![Value::Map(
                        attrs([("resources", strings(&["&{x}"]))]).into(),
                    )]
                    .into(),
                ),
            ),
        ]);
        assert!(render(&old).unwrap_err().message.contains("2008-10-17"));
    }

    #[test]
    fn an_empty_document_has_its_version_only_and_the_crc_as_id() {
        let out = render(&Attrs::new()).unwrap();
        let json = "{\n  \"Version\": \"2012-10-17\"\n}";
        assert_eq!(out["json"].as_str().unwrap(), json);
        assert_eq!(
            out["id"].as_str().unwrap(),
            crc32fast::hash(json.as_bytes()).to_string()
        );
    }
}
