//! Evaluating `provider "aws"` blocks: region, endpoints and default tags.

use std::collections::BTreeMap;

use hcl_edit::Span as _;
use hcl_edit::structure::Structure;

use super::config::{Config, Provider};
use super::eval::{EvalContext, FileReader, Scope, eval};
use super::variables::Unset;
use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::provider::aws::{AssumeRole, CredentialSettings, IgnoreTags};
use crate::value::Value;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProviderConfig {
    pub region: Option<String>,
    /// Where the block writes `region`, for a region terrane does not know.
    pub region_span: Option<Span>,
    /// `skip_region_validation = true`: a region newer than terrane's list.
    pub skip_region_validation: bool,
    /// Service name → URL, from `endpoints {}`.
    pub endpoints: BTreeMap<String, String>,
    pub default_tags: BTreeMap<String, String>,
    /// `profile`, `shared_config_files`, `shared_credentials_files` and
    /// `assume_role {}`.
    pub credentials: CredentialSettings,
    /// The only accounts, or accounts never, to make changes in.
    pub allowed_account_ids: Vec<String>,
    pub forbidden_account_ids: Vec<String>,
    /// `ignore_tags { keys, key_prefixes }`: tags managed outside the stack.
    pub ignore_tags: IgnoreTags,
    /// `max_retries`: how often a call that failed for a passing reason
    /// (throttling, a 5xx, a dropped connection) is tried again.
    pub max_retries: Option<u32>,
}

/// Evaluates one provider block with variables and locals in `scope`.
/// With `Unset::Unknown` (validate), a value not known yet is left unset;
/// otherwise it is an error, since the provider is configured before
/// anything is created.
pub fn evaluate(
    config: &Config,
    provider: &Provider,
    scope: &dyn Scope,
    files: &dyn FileReader,
    unset: Unset,
) -> (ProviderConfig, Diagnostics) {
    let mut out = ProviderConfig::default();
    let mut diags = Diagnostics::default();
    let ctx = EvalContext {
        file: provider.file,
        scope,
        files,
        stack_dir: &config.dir,
        clock: Default::default(),
    };
    let span = |r: Option<std::ops::Range<usize>>| r.map(|r| Span::new(provider.file, r));
    let string_value = |expr: &hcl_edit::expr::Expression,
                        what: &str,
                        diags: &mut Diagnostics|
     -> Option<String> {
        match eval(expr, &ctx) {
            Ok(Value::Unknown) => {
                if unset == Unset::Required {
                    diags.push(unknown_error(what, span(expr.span())));
                }
                None
            }
            Ok(value) => match value.to_string_lossless() {
                Some(s) => Some(s),
                None => {
                    diags.push(
                        Diagnostic::error(format!("{what} must be a string"))
                            .with_span(span(expr.span())),
                    );
                    None
                }
            },
            Err(diag) => {
                diags.push(diag);
                None
            }
        }
    };
    let string_list =
        |expr: &hcl_edit::expr::Expression, what: &str, diags: &mut Diagnostics| -> Vec<String> {
            match eval(expr, &ctx) {
                Ok(Value::Unknown) => {
                    if unset == Unset::Required {
                        diags.push(unknown_error(what, span(expr.span())));
                    }
                    Vec::new()
                }
                Ok(Value::List(items)) => items
                    .iter()
                    .filter_map(|item| {
                        let text = item.to_string_lossless();
                        if text.is_none() && *item != Value::Unknown {
                            diags.push(
                                Diagnostic::error(format!("{what} must be a list of strings"))
                                    .with_span(span(expr.span())),
                            );
                        }
                        text
                    })
                    .collect(),
                Ok(other) => {
                    diags.push(
                        Diagnostic::error(format!("{what} must be a list of strings"))
                            .with_detail(format!("got a {}", other.type_name()))
                            .with_span(span(expr.span())),
                    );
                    Vec::new()
                }
                Err(diag) => {
                    diags.push(diag);
                    Vec::new()
                }
            }
        };
    for structure in provider.body.iter() {
        match structure {
            Structure::Attribute(attr) if attr.key.as_str() == "region" => {
                out.region = string_value(&attr.value, "region", &mut diags);
                out.region_span = span(attr.value.span());
            }
            Structure::Attribute(attr) if attr.key.as_str() == "skip_region_validation" => {
                out.skip_region_validation =
                    matches!(eval(&attr.value, &ctx), Ok(Value::Bool(true)));
            }
            Structure::Attribute(attr) if attr.key.as_str() == "max_retries" => {
                let text = string_value(&attr.value, "max_retries", &mut diags);
                out.max_retries = text.and_then(|t| match t.parse() {
                    Ok(n) => Some(n),
                    Err(_) => {
                        diags.push(
                            Diagnostic::error("max_retries must be a whole number from 0 up")
                                .with_span(span(attr.value.span())),
                        );
                        None
                    }
                });
            }
            Structure::Attribute(attr) if attr.key.as_str() == "profile" => {
                out.credentials.profile = string_value(&attr.value, "profile", &mut diags);
            }
            Structure::Attribute(attr) => {
                let key = attr.key.as_str();
                let list = match key {
                    "shared_config_files" => &mut out.credentials.shared_config_files,
                    "shared_credentials_files" => &mut out.credentials.shared_credentials_files,
                    "allowed_account_ids" => &mut out.allowed_account_ids,
                    "forbidden_account_ids" => &mut out.forbidden_account_ids,
                    _ => continue,
                };
                *list = string_list(&attr.value, key, &mut diags);
            }
            Structure::Block(block) if block.ident.as_str() == "assume_role" => {
                let argument = |name: &str, diags: &mut Diagnostics| {
                    block
                        .body
                        .get_attribute(name)
                        .and_then(|a| string_value(&a.value, &format!("assume_role.{name}"), diags))
                };
                // Terraform skips a role whose ARN is empty or unset.
                for inner in block.body.attributes() {
                    let key = inner.key.as_str();
                    if !matches!(key, "role_arn" | "session_name" | "external_id") {
                        diags.push(
                            Diagnostic::error(format!(
                                "assume_role.{key} is not supported by terrane yet"
                            ))
                            .with_span(span(inner.key.span()))
                            .with_hint("terrane assumes the role with role_arn, session_name and external_id only; ignoring a session policy or duration would widen or lengthen access"),
                        );
                    }
                }
                let role_arn =
                    block
                        .body
                        .get_attribute("role_arn")
                        .and_then(|a| match eval(&a.value, &ctx) {
                            Ok(Value::Null) => None,
                            _ => string_value(&a.value, "assume_role.role_arn", &mut diags),
                        });
                if let Some(role_arn) = role_arn.filter(|arn| !arn.is_empty()) {
                    out.credentials.assume_role = Some(AssumeRole {
                        role_arn,
                        session_name: argument("session_name", &mut diags),
                        external_id: argument("external_id", &mut diags),
                    });
                }
            }
            Structure::Block(block) if block.ident.as_str() == "ignore_tags" => {
                for inner in block.body.attributes() {
                    let key = inner.key.as_str();
                    let list = match key {
                        "keys" => &mut out.ignore_tags.keys,
                        "key_prefixes" => &mut out.ignore_tags.key_prefixes,
                        _ => continue,
                    };
                    *list = string_list(&inner.value, &format!("ignore_tags.{key}"), &mut diags);
                }
            }
            Structure::Block(block) if block.ident.as_str() == "endpoints" => {
                for inner in block.body.attributes() {
                    let service = inner.key.as_str().to_string();
                    if let Some(url) =
                        string_value(&inner.value, &format!("endpoints.{service}"), &mut diags)
                    {
                        out.endpoints.insert(service, url);
                    }
                }
            }
            Structure::Block(block) if block.ident.as_str() == "default_tags" => {
                if let Some(tags) = block.body.get_attribute("tags") {
                    match eval(&tags.value, &ctx) {
                        Ok(Value::Unknown) if unset == Unset::Unknown => {}
                        Ok(Value::Unknown) => {
                            diags.push(unknown_error("default_tags.tags", span(tags.value.span())))
                        }
                        Ok(Value::Map(map)) => {
                            for (k, v) in map {
                                match v.to_string_lossless() {
                                    _ if v == Value::Unknown && unset == Unset::Unknown => {}
                                    Some(v) => {
                                        out.default_tags.insert(k, v);
                                    }
                                    None => diags.push(
                                        Diagnostic::error(format!(
                                            "default tag {k:?} must be a string"
                                        ))
                                        .with_span(span(tags.value.span())),
                                    ),
                                }
                            }
                        }
                        Ok(other) => diags.push(
                            Diagnostic::error("default_tags.tags must be a map of strings")
                                .with_detail(format!("got a {}", other.type_name()))
                                .with_span(span(tags.value.span())),
                        ),
                        Err(diag) => diags.push(diag),
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(region) = &out.region
        && !out.skip_region_validation
        && !crate::provider::aws::regions::is_known_region(region)
    {
        diags.push(
            Diagnostic::error(format!("{region:?} is not an AWS region"))
                .with_span(out.region_span.clone())
                .with_hint(crate::provider::aws::regions::unknown_region_hint(region)),
        );
    }
    (out, diags)
}

fn unknown_error(what: &str, span: Option<Span>) -> Diagnostic {
    Diagnostic::error(format!(
        "The provider's {what} depends on values known only after apply"
    ))
    .with_span(span)
    .with_hint(
        "configure the provider from variables, literals, or locals that do not use resources",
    )
}
