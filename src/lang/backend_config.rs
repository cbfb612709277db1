//! Reading the `terraform { backend "..." { } }` block: which backend, and
//! its arguments. Backend arguments are literal values, as in Terraform,
//! because the backend is settled before anything is evaluated; problems
//! with them are diagnostics pointing at the block. Choosing the storage
//! and opening it is `ops`'s work, not this module's.

use hcl_edit::Span as _;
use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::structure::Structure;

use super::config::Backend;
use crate::diag::{Diagnostic, Diagnostics, Span};

/// A backend block's settings, as written.
#[derive(Clone, Debug, PartialEq)]
pub enum BackendConfig {
    /// `backend "local"`; the path, when given.
    Local {
        path: Option<String>,
    },
    S3(S3BackendConfig),
}

/// The `backend "s3"` arguments terrane acts on.
#[derive(Clone, Debug, PartialEq)]
pub struct S3BackendConfig {
    pub bucket: String,
    pub key: String,
    /// The SDK's chain (`AWS_REGION`, profile) when absent.
    pub region: Option<String>,
    pub kms_key_id: Option<String>,
    pub use_lockfile: bool,
    /// `endpoints = { s3 = "..." }`; the SDK's chain (`AWS_ENDPOINT_URL`)
    /// when absent, as for the provider.
    pub endpoint: Option<String>,
    /// Where other workspaces' states live: `<prefix>/<workspace>/<key>`;
    /// Terraform's default is `env:`.
    pub workspace_key_prefix: String,
}

/// Reads a backend block. Warnings (ignored arguments) come back beside the
/// settings; with any error the settings are not to be used.
pub fn evaluate(block: &Backend) -> (BackendConfig, Diagnostics) {
    let mut args = BackendBlockArgs::read(block);
    let config = match block.kind.as_str() {
        "local" => {
            let path = args.string("path");
            args.reject_others(&["path"], "local");
            BackendConfig::Local { path }
        }
        "s3" => BackendConfig::S3(s3_config(&mut args)),
        other => {
            args.diags.push(
                Diagnostic::error(format!("Unsupported backend {other:?}"))
                    .with_span(Some(block.span.clone()))
                    .with_hint("terrane supports the \"local\" and \"s3\" backends"),
            );
            BackendConfig::Local { path: None }
        }
    };
    (config, args.diags)
}

/// Terraform's S3 backend arguments that terrane does not implement.
const UNSUPPORTED_S3_ARGUMENTS: &[&str] = &[
    "acl",
    "access_key",
    "secret_key",
    "token",
    "profile",
    "shared_config_files",
    "shared_credentials_files",
    "assume_role",
    "assume_role_with_web_identity",
    "role_arn",
    "sse_customer_key",
    "skip_credentials_validation",
    "skip_region_validation",
    "skip_requesting_account_id",
    "skip_metadata_api_check",
    "skip_s3_checksum",
    "max_retries",
    "retry_mode",
    "allowed_account_ids",
    "forbidden_account_ids",
];

const S3_ARGUMENTS: &[&str] = &[
    "bucket",
    "key",
    "region",
    "encrypt",
    "kms_key_id",
    "use_lockfile",
    "use_path_style",
    "endpoints",
    "dynamodb_table",
    "workspace_key_prefix",
];

fn s3_config(args: &mut BackendBlockArgs<'_>) -> S3BackendConfig {
    let bucket = args.required_string("bucket");
    let key = args.required_string("key");
    if let Some(key) = &key
        && (key.starts_with('/') || key.ends_with('/'))
    {
        args.error_at(
            "key",
            "The s3 backend's `key` must not start or end with \"/\"",
        );
    }
    let region = args.string("region");
    let kms_key_id = args.string("kms_key_id");
    if args.bool("encrypt") == Some(false) {
        args.warning_at(
            "encrypt",
            "terrane always encrypts state; `encrypt = false` is ignored",
        );
    }
    let use_lockfile = args.bool("use_lockfile").unwrap_or(true);
    if !use_lockfile {
        args.warning_at(
            "use_lockfile",
            "State locking is off (`use_lockfile = false`); concurrent runs are still detected when they write, but not prevented",
        );
    }
    // Path-style addressing is used whenever the endpoint is overridden.
    let _ = args.bool("use_path_style");
    if args.string("dynamodb_table").is_some() {
        args.warning_at(
            "dynamodb_table",
            "`dynamodb_table` is ignored: terrane locks with the lock object `<key>.tflock`",
        );
    }
    let endpoint = args.endpoints_s3();
    let workspace_key_prefix = args
        .string("workspace_key_prefix")
        .unwrap_or_else(|| "env:".into());
    args.reject_others(S3_ARGUMENTS, "s3");
    S3BackendConfig {
        bucket: bucket.unwrap_or_default(),
        key: key.unwrap_or_default(),
        region,
        kms_key_id,
        use_lockfile,
        endpoint,
        workspace_key_prefix,
    }
}

/// The attributes of a backend block, read as literals.
struct BackendBlockArgs<'a> {
    block: &'a Backend,
    diags: Diagnostics,
}

impl<'a> BackendBlockArgs<'a> {
    fn read(block: &'a Backend) -> BackendBlockArgs<'a> {
        let mut args = BackendBlockArgs {
            block,
            diags: Diagnostics::default(),
        };
        for structure in block.body.iter() {
            if let Structure::Block(inner) = structure {
                let span = inner
                    .ident
                    .span()
                    .map(|r| Span::new(block.file, r))
                    .or(Some(block.span.clone()));
                args.diags.push(
                    Diagnostic::error(format!(
                        "Unexpected block {:?} in the {} backend",
                        inner.ident.as_str(),
                        block.kind
                    ))
                    .with_span(span),
                );
            }
        }
        args
    }

    fn attribute(&self, name: &str) -> Option<&'a hcl_edit::structure::Attribute> {
        self.block.body.get_attribute(name)
    }

    fn span_of(&self, name: &str) -> Option<Span> {
        self.attribute(name)
            .and_then(|a| a.span())
            .map(|r| Span::new(self.block.file, r))
            .or(Some(self.block.span.clone()))
    }

    fn error_at(&mut self, name: &str, summary: impl Into<String>) {
        let span = self.span_of(name);
        self.diags.push(Diagnostic::error(summary).with_span(span));
    }

    fn warning_at(&mut self, name: &str, summary: impl Into<String>) {
        let span = self.span_of(name);
        self.diags
            .push(Diagnostic::warning(summary).with_span(span));
    }

    fn not_literal(&mut self, name: &str, expected: &str) {
        let span = self.span_of(name);
        self.diags.push(
            Diagnostic::error(format!(
                "The {} backend's `{name}` must be a literal {expected}",
                self.block.kind
            ))
            .with_span(span)
            .with_hint(
                "backend settings are read before anything is evaluated, so they cannot use variables, locals or functions",
            ),
        );
    }

    fn string(&mut self, name: &str) -> Option<String> {
        match &self.attribute(name)?.value {
            Expression::String(s) => Some(s.value().to_string()),
            _ => {
                self.not_literal(name, "string");
                None
            }
        }
    }

    fn required_string(&mut self, name: &str) -> Option<String> {
        if self.attribute(name).is_none() {
            let span = Some(self.block.span.clone());
            self.diags.push(
                Diagnostic::error(format!("The {} backend needs `{name}`", self.block.kind))
                    .with_span(span),
            );
            return None;
        }
        let value = self.string(name)?;
        if value.is_empty() {
            self.error_at(
                name,
                format!("The {} backend's `{name}` is empty", self.block.kind),
            );
            return None;
        }
        Some(value)
    }

    fn bool(&mut self, name: &str) -> Option<bool> {
        match &self.attribute(name)?.value {
            Expression::Bool(b) => Some(*b.value()),
            _ => {
                self.not_literal(name, "bool (true or false)");
                None
            }
        }
    }

    /// `endpoints = { s3 = "http://..." }`; other services are not used by
    /// the backend.
    fn endpoints_s3(&mut self) -> Option<String> {
        let attribute = self.attribute("endpoints")?;
        let Expression::Object(object) = &attribute.value else {
            self.not_literal("endpoints", "object, e.g. { s3 = \"https://...\" }");
            return None;
        };
        let mut s3 = None;
        for (key, value) in object.iter() {
            let name = match key {
                ObjectKey::Ident(ident) => ident.as_str().to_string(),
                ObjectKey::Expression(Expression::String(s)) => s.value().to_string(),
                ObjectKey::Expression(_) => continue,
            };
            if name != "s3" {
                continue;
            }
            match value.expr() {
                Expression::String(url) => s3 = Some(url.value().to_string()),
                _ => self.not_literal("endpoints", "string for `s3`"),
            }
        }
        s3
    }

    /// Reports every argument not in `known`.
    fn reject_others(&mut self, known: &[&str], kind: &str) {
        let names: Vec<String> = self
            .block
            .body
            .attributes()
            .map(|a| a.key.as_str().to_string())
            .filter(|name| !known.contains(&name.as_str()))
            .collect();
        for name in names {
            let summary = if UNSUPPORTED_S3_ARGUMENTS.contains(&name.as_str()) {
                format!("The {kind} backend's `{name}` is not supported by terrane")
            } else {
                format!("Unknown argument `{name}` in the {kind} backend")
            };
            let span = self.span_of(&name);
            self.diags.push(
                Diagnostic::error(summary)
                    .with_span(span)
                    .with_hint(format!("supported arguments: {}", known.join(", "))),
            );
        }
    }
}
