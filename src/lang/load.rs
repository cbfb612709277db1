//! Parsing stack files into the [`Config`] model.
//!
//! Reports every structural problem at once: syntax errors, unsupported blocks
//! (`module`), unknown resource types, unknown or computed-only arguments,
//! missing required arguments, and bad meta-arguments. Pure: the caller reads
//! the files and passes their text in.

use std::collections::BTreeMap;
use std::path::PathBuf;

use hcl_edit::Span as _;
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Attribute, Block, Body, Structure};

use super::body::Dynamic;
use super::config::*;
use super::types::parse_type;
use crate::diag::{Diagnostic, Diagnostics, FileId, Sources, Span, did_you_mean};
use crate::provider::{self, schema::Schema};

/// Arguments of the `provider "aws"` block that terrane acts on.
const PROVIDER_ARGUMENTS: &[&str] = &[
    "region",
    "alias",
    "profile",
    "shared_config_files",
    "shared_credentials_files",
    "allowed_account_ids",
    "forbidden_account_ids",
];
const PROVIDER_BLOCKS: &[&str] = &["endpoints", "default_tags", "assume_role", "ignore_tags"];
/// Terraform's aws provider arguments that terrane accepts and ignores, so
/// stacks written for Terraform load unchanged: credentials and transport
/// settings the SDK's own chain (environment, profiles) already covers.
const PROVIDER_IGNORED: &[&str] = &[
    "access_key",
    "secret_key",
    "token",
    "skip_credentials_validation",
    "skip_metadata_api_check",
    "skip_region_validation",
    "skip_requesting_account_id",
    "s3_use_path_style",
    "s3_force_path_style",
    "insecure",
    "version",
    "retry_mode",
    "http_proxy",
];

/// The Terraform version whose language terrane follows, for
/// `required_version`.
const TERRAFORM_LANGUAGE: &str = "1.11.0";

/// The top-level block types, for hints.
const TOP_LEVEL_BLOCKS: &[&str] = &[
    "terraform",
    "provider",
    "module",
    "moved",
    "removed",
    "check",
    "variable",
    "locals",
    "resource",
    "data",
    "output",
];
// Arguments of `variable`, `output` and `lifecycle` blocks, for hints.
const VARIABLE_ARGUMENTS: &[&str] = &[
    "type",
    "default",
    "description",
    "sensitive",
    "nullable",
    "ephemeral",
];
const OUTPUT_ARGUMENTS: &[&str] = &[
    "value",
    "description",
    "sensitive",
    "depends_on",
    "ephemeral",
];
const LIFECYCLE_ARGUMENTS: &[&str] = &[
    "create_before_destroy",
    "prevent_destroy",
    "ignore_changes",
    "replace_triggered_by",
];

/// Parses the given files (path as shown to the user, text) as one stack's
/// root module. The modules it calls are loaded with [`load_module`] and
/// joined to it by `lang::modules`.
pub fn load(dir: impl Into<PathBuf>, files: Vec<(PathBuf, String)>) -> (Config, Diagnostics) {
    let mut sources = Sources::default();
    let (mut config, diags) = load_module(&mut sources, dir.into(), files, true);
    config.sources = sources;
    config.workspace = "default".into();
    (config, diags)
}

/// Parses one module's files, adding them to `sources`. Its blocks belong
/// to module instance `ROOT` until the module is instantiated. Only the root
/// module may configure providers and the backend.
pub fn load_module(
    sources: &mut Sources,
    dir: PathBuf,
    files: Vec<(PathBuf, String)>,
    root: bool,
) -> (Config, Diagnostics) {
    let mut config = Config {
        modules: vec![ModuleInstance::root(dir.clone())],
        dir,
        max_instances: DEFAULT_MAX_INSTANCES,
        ..Config::default()
    };
    let mut diags = Diagnostics::default();
    let mut foreign = BTreeMap::new();
    for (path, text) in files {
        let file = sources.add(path, super::syntax::without_bom(&text));
        let text = sources.get(file).text.clone();
        match hcl_edit::parser::parse_body(&text) {
            Ok(body) => Loader {
                file,
                root,
                config: &mut config,
                diags: &mut diags,
                foreign: &mut foreign,
            }
            .top_level(body),
            Err(err) => diags.push(super::syntax::parse_error(sources, file, &err)),
        }
    }
    report_foreign_providers(&foreign, sources, &mut diags);
    check_duplicates(&config, sources, &mut diags);
    (config, diags)
}

/// One error per provider terrane does not have, naming every block that
/// uses it, rather than one error per block.
fn report_foreign_providers(
    foreign: &BTreeMap<String, Vec<(String, Span)>>,
    sources: &Sources,
    diags: &mut Diagnostics,
) {
    for (provider, uses) in foreign {
        let listed: Vec<String> = uses
            .iter()
            .map(|(what, span)| format!("{what} ({})", sources.location(span)))
            .collect();
        diags.push(
            Diagnostic::error(format!("The provider {provider:?} is not supported by terrane"))
                .with_span(uses.first().map(|(_, span)| span.clone()))
                .with_detail(format!("used by {}", listed.join(", ")))
                .with_hint(
                    "terrane provisions AWS, with the built-in random, null, time and terraform_data types; manage these objects with another tool, outside this stack",
                ),
        );
    }
}

struct Loader<'a> {
    file: FileId,
    /// Loading the root module (not a called one).
    root: bool,
    /// Blocks of providers terrane does not have, by provider name.
    foreign: &'a mut BTreeMap<String, Vec<(String, Span)>>,
    config: &'a mut Config,
    diags: &'a mut Diagnostics,
}

impl Loader<'_> {
    fn span(&self, range: Option<std::ops::Range<usize>>) -> Option<Span> {
        range.map(|r| Span::new(self.file, r))
    }

    /// The span of a block's header line: identifier and labels.
    fn header_span(&self, block: &Block) -> Span {
        let start = block.ident.span().map_or(0, |r| r.start);
        let end = block
            .labels
            .last()
            .and_then(|l| l.span())
            .or_else(|| block.ident.span())
            .map_or(start, |r| r.end);
        Span::new(self.file, start..end)
    }

    fn error(&mut self, summary: impl Into<String>, span: Option<Span>) -> &mut Diagnostic {
        self.diags.push(Diagnostic::error(summary).with_span(span));
        self.diags.0.last_mut().expect("just pushed")
    }

    /// An unsupported name, with the known name it was likely meant to be.
    fn unsupported(&mut self, summary: String, name: &str, known: &[&str], span: Option<Span>) {
        let hint = did_you_mean(name, known).map(|close| format!("did you mean {close:?}?"));
        self.error(summary, span).hint = hint;
    }

    /// `provider = aws` or `provider = aws.<alias>`: the provider
    /// configuration's name, checked against the declared ones once the
    /// module's callers are known.
    fn provider_reference(&mut self, value: &Expression) -> Option<String> {
        if let Some(name) = provider_reference(value) {
            return Some(name);
        }
        let span = self.span(value.span());
        self.error("Invalid provider reference", span).hint =
            Some("write `provider = aws` or `provider = aws.<alias>`, without quotes".into());
        None
    }

    /// A variable's `validation { condition, error_message }` block.
    /// A `validation` or `assert` block: `condition` and `error_message`.
    fn validation(&mut self, block: Block) -> Option<Validation> {
        let what = block.ident.as_str().to_string();
        let span = self.header_span(&block);
        let (mut condition, mut error_message) = (None, None);
        for structure in block.body.into_iter() {
            match structure {
                Structure::Attribute(attr) if attr.key.as_str() == "condition" => {
                    condition = Some(self.expr(attr.value));
                }
                Structure::Attribute(attr) if attr.key.as_str() == "error_message" => {
                    error_message = Some(self.expr(attr.value));
                }
                Structure::Attribute(attr) => {
                    let key_span = self.span(attr.key.span());
                    self.unsupported(
                        format!(
                            "Unsupported argument {:?} in {what} block",
                            attr.key.as_str()
                        ),
                        attr.key.as_str(),
                        &["condition", "error_message"],
                        key_span,
                    );
                }
                Structure::Block(inner) => {
                    let inner_span = self.header_span(&inner);
                    self.error(
                        format!(
                            "Unsupported block {:?} in {what} block",
                            inner.ident.as_str()
                        ),
                        Some(inner_span),
                    );
                }
            }
        }
        for (missing, name) in [
            (condition.is_none(), "condition"),
            (error_message.is_none(), "error_message"),
        ] {
            if missing {
                self.error(
                    format!(
                        "{} {what} block needs `{name}`",
                        if what.starts_with('a') { "An" } else { "A" }
                    ),
                    Some(span.clone()),
                );
            }
        }
        Some(Validation {
            condition: condition?,
            error_message: error_message?,
            span,
        })
    }

    fn expr(&self, expr: Expression) -> Expr {
        Expr {
            file: self.file,
            expr,
        }
    }

    fn top_level(&mut self, body: Body) {
        for structure in body.into_iter() {
            match structure {
                Structure::Attribute(attr) => {
                    let span = self.span(attr.span());
                    self.error(
                        format!(
                            "Unexpected argument {:?} at the top level",
                            attr.key.as_str()
                        ),
                        span,
                    )
                    .hint = Some(
                        "arguments belong inside a block such as `resource` or `locals`".into(),
                    );
                }
                Structure::Block(block) => self.top_level_block(block),
            }
        }
    }

    fn labels<'b>(&mut self, block: &'b Block, expected: &[&str]) -> Option<Vec<&'b str>> {
        let labels: Vec<&str> = block.labels.iter().map(|l| l.as_str()).collect();
        if labels.len() == expected.len() {
            return Some(labels);
        }
        let span = self.header_span(block);
        let what = block.ident.as_str();
        let quoted: Vec<String> = expected.iter().map(|l| format!("\"{l}\"")).collect();
        self.error(
            format!(
                "A `{what}` block needs {} label{} ({}), found {}",
                expected.len(),
                if expected.len() == 1 { "" } else { "s" },
                expected.join(", "),
                labels.len()
            ),
            Some(span),
        )
        .hint = Some(format!("write `{what} {} {{ ... }}`", quoted.join(" ")));
        None
    }

    fn top_level_block(&mut self, block: Block) {
        match block.ident.as_str() {
            "terraform" => self.terraform(block),
            "provider" => self.provider(block),
            "variable" => self.variable(block),
            "locals" => self.locals(block),
            "resource" => self.resource(block, Mode::Managed),
            "data" => self.resource(block, Mode::Data),
            "output" => self.output(block),
            "module" => self.module_call(block),
            "moved" => self.moved(block),
            "removed" => self.removed(block),
            "check" => self.check(block),
            "import" => self.import(block),
            other => {
                let span = self.header_span(&block);
                let hint = match did_you_mean(other, TOP_LEVEL_BLOCKS) {
                    Some(close) => format!("did you mean {close:?}?"),
                    None => format!("top-level blocks are {}", TOP_LEVEL_BLOCKS.join(", ")),
                };
                self.error(format!("Unsupported block type {other:?}"), Some(span))
                    .hint = Some(hint);
            }
        }
    }

    fn terraform(&mut self, block: Block) {
        for structure in block.body.into_iter() {
            let inner = match structure {
                Structure::Attribute(attr) if attr.key.as_str() == "required_version" => {
                    self.required_version(&attr);
                    continue;
                }
                // experiments and the like: accepted, nothing to do.
                Structure::Attribute(_) => continue,
                Structure::Block(inner) => inner,
            };
            match inner.ident.as_str() {
                "backend" => {
                    let Some(labels) = self.labels(&inner, &["type"]) else {
                        continue;
                    };
                    let kind = labels[0].to_string();
                    let span = self.header_span(&inner);
                    if !matches!(kind.as_str(), "local" | "s3") {
                        self.error(format!("Unsupported backend {kind:?}"), Some(span.clone()))
                            .hint =
                            Some("terrane supports the \"local\" and \"s3\" backends".into());
                    }
                    if !self.root {
                        // Terraform ignores a called module's backend too.
                        continue;
                    }
                    if self.config.backend.is_some() {
                        self.error("Duplicate backend configuration", Some(span.clone()));
                    }
                    self.config.backend = Some(Backend {
                        kind,
                        file: self.file,
                        body: inner.body,
                        span,
                    });
                }
                // Module metadata for providers' telemetry: nothing to act on.
                "required_providers" | "cloud" | "provider_meta" => {}
                other => {
                    let span = self.header_span(&inner);
                    self.error(
                        format!("Unsupported block {other:?} in terraform block"),
                        Some(span),
                    );
                }
            }
        }
    }

    /// `required_version` names Terraform versions; terrane follows
    /// Terraform 1.x's language (as of 1.11), so a constraint that excludes
    /// it is a warning that the configuration may use another language.
    fn required_version(&mut self, attr: &Attribute) {
        let span = self.span(attr.value.span());
        let Some(text) = literal_string(&attr.value) else {
            return;
        };
        let Some(constraint) = super::version::Constraint::parse(&text) else {
            self.error(format!("Invalid version constraint {text:?}"), span)
                .hint = Some("write constraints such as \">= 1.5\" or \"~> 1.9\"".into());
            return;
        };
        let (follows, _) = super::version::Version::parse(TERRAFORM_LANGUAGE).expect("valid");
        if !constraint.matches(&follows) {
            self.diags.push(
                Diagnostic::warning(format!(
                    "required_version {text:?} excludes Terraform {TERRAFORM_LANGUAGE}, whose language terrane follows"
                ))
                .with_span(span)
                .with_detail("terrane goes on; check that the configuration does not rely on another version's behaviour"),
            );
        }
    }

    fn provider(&mut self, block: Block) {
        let Some(labels) = self.labels(&block, &["name"]) else {
            return;
        };
        let span = self.header_span(&block);
        if provider::builtin::PROVIDERS.contains(&labels[0]) {
            return; // built in; nothing to configure
        }
        if labels[0] != "aws" {
            let name = labels[0].to_string();
            self.foreign
                .entry(name.clone())
                .or_default()
                .push((format!("provider \"{name}\" block"), span));
            return;
        }
        if !self.root {
            self.error(
                "Provider configurations inside a called module are not supported",
                Some(span),
            )
            .hint = Some(
                "configure providers in the root module and pass them with `providers = { aws = aws.<alias> }` on the module block".into(),
            );
            return;
        }
        let alias = match block.body.get_attribute("alias") {
            None => None,
            Some(attr) => match literal_string(&attr.value) {
                Some(alias) if is_identifier(&alias) => Some(alias),
                _ => {
                    let span = self.span(attr.value.span());
                    self.error("A provider alias must be a name in quotes", span)
                        .hint = Some("for example: alias = \"dr\"".into());
                    return;
                }
            },
        };
        for structure in block.body.iter() {
            match structure {
                Structure::Attribute(attr) => {
                    let key = attr.key.as_str();
                    if !PROVIDER_ARGUMENTS.contains(&key) && !PROVIDER_IGNORED.contains(&key) {
                        let span = self.span(attr.key.span());
                        let known: Vec<&str> = PROVIDER_ARGUMENTS
                            .iter()
                            .chain(PROVIDER_IGNORED)
                            .copied()
                            .collect();
                        self.unsupported(
                            format!("Unsupported argument {key:?} in provider \"aws\""),
                            key,
                            &known,
                            span,
                        );
                    }
                }
                Structure::Block(inner) => {
                    let key = inner.ident.as_str();
                    if !PROVIDER_BLOCKS.contains(&key) && !PROVIDER_IGNORED.contains(&key) {
                        let span = self.header_span(inner);
                        self.unsupported(
                            format!("Unsupported block {key:?} in provider \"aws\""),
                            key,
                            PROVIDER_BLOCKS,
                            Some(span),
                        );
                    }
                }
            }
        }
        self.config.providers.push(Provider {
            alias,
            file: self.file,
            body: block.body,
            span,
        });
    }

    /// `module "name" { source = "..." ... }`: meta-arguments, the
    /// `providers` map, and everything else as the module's inputs.
    fn module_call(&mut self, block: Block) {
        let Some(labels) = self.labels(&block, &["name"]) else {
            return;
        };
        let name = labels[0].to_string();
        let span = self.header_span(&block);
        if !is_identifier(&name) {
            let name_span = self.span(block.labels[0].span());
            self.error(format!("Invalid module name {name:?}"), name_span);
        }
        let mut call = ModuleCall {
            name,
            module: ROOT,
            source: String::new(),
            version: None,
            file: self.file,
            count: None,
            for_each: None,
            depends_on: Vec::new(),
            providers: Vec::new(),
            inputs: Vec::new(),
            span: span.clone(),
            instances: None,
        };
        let mut source = None;
        for structure in block.body.into_iter() {
            match structure {
                Structure::Attribute(attr) => match attr.key.as_str() {
                    "source" | "version" => {
                        let key = attr.key.as_str().to_string();
                        match literal_string(&attr.value) {
                            Some(text) if key == "source" => source = Some(text),
                            Some(text) => call.version = Some(text),
                            None => {
                                let span = self.span(attr.value.span());
                                self.error(format!("A module's `{key}` must be a literal string"), span)
                                    .hint = Some("module sources are read before anything is evaluated; write the path or address in quotes".into());
                            }
                        }
                    }
                    "count" => call.count = Some(self.expr(attr.value)),
                    "for_each" => call.for_each = Some(self.expr(attr.value)),
                    "depends_on" => match attr.value {
                        Expression::Array(items) => {
                            call.depends_on = items.into_iter().map(|e| self.expr(e)).collect()
                        }
                        other => {
                            let span = self.span(other.span());
                            self.error("`depends_on` must be a list of references", span);
                        }
                    },
                    "providers" => self.module_providers(&attr.value, &mut call),
                    _ => {
                        let key = attr.key.as_str().to_string();
                        call.inputs.push((key, self.expr(attr.value)));
                    }
                },
                Structure::Block(inner) => {
                    let inner_span = self.header_span(&inner);
                    self.error(
                        format!("Unsupported block {:?} in module block", inner.ident.as_str()),
                        Some(inner_span),
                    )
                    .hint = Some("a module block takes arguments only: its inputs and source, count, for_each, providers, depends_on".into());
                }
            }
        }
        match source {
            Some(source) => call.source = source,
            None => {
                self.error(
                    format!("Module {:?} has no `source`", call.name),
                    Some(span),
                )
                .hint = Some("add `source = \"./modules/<name>\"` or a registry address".into());
                return;
            }
        }
        if call.count.is_some() && call.for_each.is_some() {
            let span = call.for_each.as_ref().and_then(Expr::span);
            self.error("`count` and `for_each` cannot both be set", span);
        }
        self.config.calls.push(call);
    }

    /// `providers = { aws = aws.dr, aws.west = aws.usw2 }`.
    fn module_providers(&mut self, value: &Expression, call: &mut ModuleCall) {
        let Expression::Object(object) = value else {
            let span = self.span(value.span());
            self.error("`providers` must be a map of provider configurations", span)
                .hint = Some("for example: providers = { aws = aws.dr }".into());
            return;
        };
        for (key, entry) in object.iter() {
            let child = match key {
                hcl_edit::expr::ObjectKey::Ident(ident) => Some(ident.as_str().to_string()),
                hcl_edit::expr::ObjectKey::Expression(expr) => provider_reference(expr),
            };
            let parent = provider_reference(entry.expr());
            let span = self.span(entry.expr().span());
            match (child, parent) {
                (Some(child), Some(parent)) => {
                    call.providers.push((child, parent, span.expect("parsed")))
                }
                _ => {
                    self.error("Invalid entry in `providers`", span).hint =
                        Some("write `aws = aws.<alias>`, without quotes".into());
                }
            }
        }
    }

    /// An address written as a reference (`aws_vpc.main`, `module.net`,
    /// `aws_subnet.a[0]`), as text; `None` (reported) if it is not one.
    fn address_argument(&mut self, block: &Block, name: &str, what: &str) -> Option<String> {
        let Some(attr) = block.body.get_attribute(name) else {
            let span = self.header_span(block);
            self.error(format!("A `{what}` block needs `{name}`"), Some(span));
            return None;
        };
        // The address as written, without layout (but keeping what is inside
        // a quoted key: `aws_x.a["web server"]`).
        let mut in_string = false;
        let mut escaped = false;
        let text: String = attr
            .value
            .to_string()
            .chars()
            .filter(|&c| {
                if in_string {
                    match (escaped, c) {
                        (false, '\\') => escaped = true,
                        (false, '"') => in_string = false,
                        _ => escaped = false,
                    }
                    true
                } else {
                    in_string = c == '"';
                    !c.is_whitespace()
                }
            })
            .collect();
        let is_address = crate::addr::InstanceAddr::parse(&text).is_some()
            || crate::addr::ModulePath::parse(&text).is_some_and(|m| !m.is_root());
        if is_address && !matches!(attr.value, Expression::String(_)) {
            return Some(text);
        }
        let span = self.span(attr.value.span());
        self.error(format!("Invalid address in `{what}`: {text}"), span).hint = Some(
            "write a resource or module address without quotes, e.g. aws_vpc.main or module.network".into(),
        );
        None
    }

    /// `check "name" { assert { condition, error_message } ... }`.
    fn check(&mut self, block: Block) {
        let Some(labels) = self.labels(&block, &["name"]) else {
            return;
        };
        let name = labels[0].to_string();
        let span = self.header_span(&block);
        let mut assertions = Vec::new();
        for structure in block.body.into_iter() {
            match structure {
                Structure::Block(inner) if inner.ident.as_str() == "assert" => {
                    assertions.extend(self.validation(inner));
                }
                Structure::Block(inner) if inner.ident.as_str() == "data" => {
                    let inner_span = self.header_span(&inner);
                    self.error(
                        "Data sources inside check blocks are not supported yet",
                        Some(inner_span),
                    )
                    .hint = Some(
                        "declare the data source at the top level and refer to it from the assertion".into(),
                    );
                }
                Structure::Block(inner) => {
                    let inner_span = self.header_span(&inner);
                    self.error(
                        format!(
                            "Unsupported block {:?} in check block",
                            inner.ident.as_str()
                        ),
                        Some(inner_span),
                    );
                }
                Structure::Attribute(attr) => {
                    let key_span = self.span(attr.key.span());
                    self.error(
                        format!(
                            "Unsupported argument {:?} in check block",
                            attr.key.as_str()
                        ),
                        key_span,
                    )
                    .hint = Some("a check block holds `assert` blocks".into());
                }
            }
        }
        self.config.checks.push(Check {
            name,
            module: ROOT,
            assertions,
            span,
        });
    }

    fn moved(&mut self, block: Block) {
        let span = self.header_span(&block);
        let from = self.address_argument(&block, "from", "moved");
        let to = self.address_argument(&block, "to", "moved");
        if let (Some(from), Some(to)) = (from, to) {
            self.config.moved.push(Moved {
                module: ROOT,
                from,
                to,
                span,
            });
        }
    }

    fn import(&mut self, block: Block) {
        let span = self.header_span(&block);
        let to = self.address_argument(&block, "to", "import");
        let Some(id) = block.body.get_attribute("id") else {
            self.error("An `import` block needs `id`", Some(span));
            return;
        };
        let id = self.expr(id.value.clone());
        for attr in block.body.attributes() {
            let key = attr.key.as_str();
            if !["to", "id"].contains(&key) {
                let span = self.span(attr.key.span());
                self.error(
                    format!("Unsupported argument {key:?} in an import block"),
                    span,
                )
                .hint = Some("an import block takes `to` and `id`".into());
            }
        }
        if let Some(to) = to {
            if crate::addr::InstanceAddr::parse(&to).is_none() {
                self.error(
                    format!("{to} is not a resource instance address"),
                    Some(span),
                )
                .hint = Some(
                    "import into one instance, e.g. aws_vpc.main or aws_subnet.private[0]".into(),
                );
                return;
            }
            self.config.imports.push(Import { to, id, span });
        }
    }

    fn removed(&mut self, block: Block) {
        let span = self.header_span(&block);
        let Some(from) = self.address_argument(&block, "from", "removed") else {
            return;
        };
        // Terraform destroys by default; `lifecycle { destroy = false }` forgets.
        let mut destroy = true;
        for inner in block.body.blocks() {
            if inner.ident.as_str() != "lifecycle" {
                continue;
            }
            if let Some(attr) = inner.body.get_attribute("destroy") {
                destroy = self.lifecycle_bool(attr);
            }
        }
        self.config.removed.push(Removed {
            module: ROOT,
            from,
            destroy,
            span,
        });
    }

    fn variable(&mut self, block: Block) {
        let Some(labels) = self.labels(&block, &["name"]) else {
            return;
        };
        let name = labels[0].to_string();
        let span = self.header_span(&block);
        let mut variable = Variable {
            name,
            module: ROOT,
            ty: None,
            default: None,
            description: None,
            sensitive: false,
            nullable: true,
            validations: Vec::new(),
            span,
        };
        for structure in block.body.into_iter() {
            match structure {
                Structure::Attribute(attr) => {
                    let key_span = self.span(attr.key.span());
                    match attr.key.as_str() {
                        "type" => match parse_type(&attr.value) {
                            Ok(ty) => variable.ty = Some(ty),
                            Err(error) => {
                                let span = self.span(error.range.or(attr.value.span()));
                                self.error(
                                    format!("Invalid type constraint: {}", error.message),
                                    span,
                                )
                                .hint = error.hint;
                            }
                        },
                        "default" => variable.default = Some(self.expr(attr.value)),
                        "description" => variable.description = literal_string(&attr.value),
                        "sensitive" => {
                            variable.sensitive = literal_bool(&attr.value).unwrap_or(false)
                        }
                        "nullable" => variable.nullable = literal_bool(&attr.value).unwrap_or(true),
                        "ephemeral" => {}
                        other => self.unsupported(
                            format!("Unsupported argument {other:?} in variable block"),
                            other,
                            VARIABLE_ARGUMENTS,
                            key_span,
                        ),
                    }
                }
                Structure::Block(inner) if inner.ident.as_str() == "validation" => {
                    if let Some(validation) = self.validation(inner) {
                        variable.validations.push(validation);
                    }
                }
                Structure::Block(inner) => {
                    let span = self.header_span(&inner);
                    self.error(
                        format!(
                            "Unsupported block {:?} in variable block",
                            inner.ident.as_str()
                        ),
                        Some(span),
                    );
                }
            }
        }
        self.config.variables.push(variable);
    }

    fn locals(&mut self, block: Block) {
        for structure in block.body.into_iter() {
            match structure {
                Structure::Attribute(attr) => {
                    let span = self
                        .span(attr.key.span())
                        .expect("parsed attributes have spans");
                    self.config.locals.push(Local {
                        name: attr.key.as_str().to_string(),
                        module: ROOT,
                        value: self.expr(attr.value),
                        span,
                    });
                }
                Structure::Block(inner) => {
                    let span = self.header_span(&inner);
                    self.error("Blocks are not allowed in `locals`", Some(span));
                }
            }
        }
    }

    fn output(&mut self, block: Block) {
        let Some(labels) = self.labels(&block, &["name"]) else {
            return;
        };
        let name = labels[0].to_string();
        let span = self.header_span(&block);
        let mut value = None;
        let mut description = None;
        let mut sensitive = false;
        for structure in block.body.into_iter() {
            match structure {
                Structure::Attribute(attr) => match attr.key.as_str() {
                    "value" => value = Some(self.expr(attr.value)),
                    "description" => description = literal_string(&attr.value),
                    "sensitive" => sensitive = literal_bool(&attr.value).unwrap_or(false),
                    "depends_on" | "ephemeral" => {}
                    other => {
                        let span = self.span(attr.key.span());
                        self.unsupported(
                            format!("Unsupported argument {other:?} in output block"),
                            other,
                            OUTPUT_ARGUMENTS,
                            span,
                        );
                    }
                },
                Structure::Block(inner) => {
                    let span = self.header_span(&inner);
                    self.error(
                        format!(
                            "Unsupported block {:?} in output block",
                            inner.ident.as_str()
                        ),
                        Some(span),
                    );
                }
            }
        }
        match value {
            Some(value) => self.config.outputs.push(Output {
                name,
                module: ROOT,
                value,
                description,
                sensitive,
                span,
            }),
            None => {
                self.error(format!("Output {name:?} has no `value`"), Some(span))
                    .hint = Some("add `value = <expression>`".into());
            }
        }
    }

    fn resource(&mut self, block: Block, mode: Mode) {
        let Some(labels) = self.labels(&block, &["type", "name"]) else {
            return;
        };
        let (type_name, name) = (labels[0].to_string(), labels[1].to_string());
        let span = self.header_span(&block);
        let type_span = self.span(block.labels[0].span());
        if !is_identifier(&name) {
            let name_span = self.span(block.labels[1].span());
            self.error(format!("Invalid resource name {name:?}"), name_span).hint =
                Some("names start with a letter or underscore and contain only letters, digits, underscores and dashes".into());
        }
        let schema = match mode {
            Mode::Managed => provider::resource_type(&type_name).map(|t| t.schema()),
            Mode::Data => provider::data_source_type(&type_name).map(|t| t.schema()),
        };
        let provider_name = type_name.split('_').next().unwrap_or_default().to_string();
        let foreign = schema.is_none()
            && provider_name != "aws"
            && !provider::builtin::PROVIDERS.contains(&provider_name.as_str())
            // A data source can be a provider's only type (`data "http"`).
            && (type_name.contains('_') || mode == Mode::Data)
            // `awss_vpc` is a typo, not another provider.
            && did_you_mean_typo(&type_name, &provider::resource_type_names()).is_none();
        if foreign {
            let what = match mode {
                Mode::Managed => format!("{type_name}.{name}"),
                Mode::Data => format!("data.{type_name}.{name}"),
            };
            self.foreign
                .entry(provider_name)
                .or_default()
                .push((what, span.clone()));
        } else if schema.is_none() {
            let (kind, known) = match mode {
                Mode::Managed => ("resource type", provider::resource_type_names()),
                Mode::Data => ("data source", provider::data_source_type_names()),
            };
            let supported = format!("supported: {}", known.join(", "));
            if provider::is_terraform_aws_type(mode == Mode::Data, &type_name) {
                // A real type of Terraform's provider: no look-alike is what
                // was meant (aws_ecs_cluster is not aws_eks_cluster).
                let diag = self.error(
                    format!("The {kind} {type_name:?} is not supported by terrane yet"),
                    type_span,
                );
                diag.detail = Some(format!(
                    "{type_name} is a {kind} of Terraform's hashicorp/aws provider that terrane does not implement"
                ));
                diag.hint = Some(format!(
                    "remove the block or manage this object outside terrane for now; terrane's README lists the {kind}s it has"
                ));
            } else {
                let diag = self.error(format!("Unsupported {kind} {type_name:?}"), type_span);
                diag.hint = Some(match did_you_mean_typo(&type_name, &known) {
                    Some(close) => format!("did you mean {close:?}?"),
                    None => supported,
                });
            }
        }

        let mut resource = Resource {
            mode,
            type_name,
            name,
            module: ROOT,
            module_path: Default::default(),
            provider: "aws".into(),
            provider_span: None,
            file: self.file,
            count: None,
            for_each: None,
            depends_on: Vec::new(),
            lifecycle: Lifecycle::default(),
            body: Body::new(),
            span,
        };
        for structure in block.body.into_iter() {
            match structure {
                Structure::Attribute(attr) => match attr.key.as_str() {
                    "count" => resource.count = Some(self.expr(attr.value)),
                    "for_each" => resource.for_each = Some(self.expr(attr.value)),
                    "depends_on" => self.depends_on(attr, &mut resource),
                    "provider" => {
                        if let Some(name) = self.provider_reference(&attr.value) {
                            resource.provider = name;
                            resource.provider_span = self.span(attr.value.span());
                        }
                    }
                    _ => resource.body.push(attr),
                },
                Structure::Block(inner) => match inner.ident.as_str() {
                    "lifecycle" if mode == Mode::Managed => {
                        resource.lifecycle = self.lifecycle(&inner.body)
                    }
                    "provisioner" | "connection" => {
                        let span = self.header_span(&inner);
                        self.error(
                            format!("`{}` blocks are not supported", inner.ident.as_str()),
                            Some(span),
                        );
                    }
                    _ => resource.body.push(inner),
                },
            }
        }
        if false {
        } else if resource.count.is_some() && resource.for_each.is_some() {
            let span = resource.for_each.as_ref().and_then(Expr::span);
            self.error("`count` and `for_each` cannot both be set", span)
                .hint = Some("use one of them to repeat a resource".into());
        }
        if let Some(schema) = schema {
            let origin = Origin {
                data: resource.mode == Mode::Data,
                type_name: &resource.type_name,
                path: String::new(),
            };
            check_body(
                self.file,
                &resource.body,
                schema,
                &resource.type_name,
                &origin,
                &resource.span,
                self.diags,
            );
        }
        self.config.resources.push(resource);
    }

    fn depends_on(&mut self, attr: Attribute, resource: &mut Resource) {
        match attr.value {
            Expression::Array(items) => {
                for item in items.into_iter() {
                    resource.depends_on.push(self.expr(item));
                }
            }
            other => {
                let span = self.span(other.span());
                self.error("`depends_on` must be a list of references", span)
                    .hint = Some("for example: depends_on = [aws_internet_gateway.main]".into());
            }
        }
    }

    fn lifecycle(&mut self, body: &Body) -> Lifecycle {
        let mut lifecycle = Lifecycle::default();
        for structure in body.iter() {
            let attr = match structure {
                Structure::Attribute(attr) => attr,
                Structure::Block(inner) if inner.ident.as_str() == "precondition" => {
                    lifecycle
                        .preconditions
                        .extend(self.validation(inner.clone()));
                    continue;
                }
                Structure::Block(inner) if inner.ident.as_str() == "postcondition" => {
                    lifecycle
                        .postconditions
                        .extend(self.validation(inner.clone()));
                    continue;
                }
                Structure::Block(inner) => {
                    let span = self.header_span(inner);
                    self.error(
                        format!(
                            "Unsupported block {:?} in lifecycle block",
                            inner.ident.as_str()
                        ),
                        Some(span),
                    );
                    continue;
                }
            };
            match attr.key.as_str() {
                "create_before_destroy" => {
                    lifecycle.create_before_destroy = self.lifecycle_bool(attr)
                }
                "prevent_destroy" => lifecycle.prevent_destroy = self.lifecycle_bool(attr),
                "ignore_changes" => self.ignore_changes(attr, &mut lifecycle),
                "replace_triggered_by" => match &attr.value {
                    Expression::Array(items) => {
                        lifecycle.replace_triggered_by =
                            items.iter().map(|item| self.expr(item.clone())).collect();
                    }
                    other => {
                        let span = self.span(other.span());
                        self.error("`replace_triggered_by` must be a list of references", span)
                            .hint = Some(
                            "for example: replace_triggered_by = [aws_launch_template.app]".into(),
                        );
                    }
                },
                other => {
                    let span = self.span(attr.key.span());
                    self.unsupported(
                        format!("Unsupported argument {other:?} in lifecycle block"),
                        other,
                        LIFECYCLE_ARGUMENTS,
                        span,
                    );
                }
            }
        }
        lifecycle
    }

    /// `ignore_changes = all`, or a list of attribute names and map keys
    /// (`tags`, `tags["Owner"]`).
    fn ignore_changes(&mut self, attr: &Attribute, lifecycle: &mut Lifecycle) {
        let items = match &attr.value {
            Expression::Variable(v) if v.as_str() == "all" => {
                lifecycle.ignore_all_changes = true;
                return;
            }
            Expression::Array(items) => items,
            other => {
                let span = self.span(other.span());
                self.error(
                    "`ignore_changes` must be `all` or a list of attribute names",
                    span,
                )
                .hint = Some("for example: ignore_changes = [tags, desired_capacity]".into());
                return;
            }
        };
        for item in items.iter() {
            let path = match item {
                Expression::Variable(v) => Some((v.as_str().to_string(), None)),
                Expression::Traversal(traversal) => {
                    match (&traversal.expr, traversal.operators.as_slice()) {
                        (Expression::Variable(v), [op]) => match op.value() {
                            hcl_edit::expr::TraversalOperator::Index(Expression::String(key)) => {
                                Some((v.as_str().to_string(), Some(key.value().clone())))
                            }
                            _ => None,
                        },
                        _ => None,
                    }
                }
                _ => None,
            };
            match path {
                Some(path) => lifecycle.ignore_changes.push(path),
                None => {
                    let span = self.span(item.span());
                    self.error("Unsupported `ignore_changes` entry", span).hint = Some(
                        "name a top-level attribute (tags) or one key of a map attribute (tags[\"Owner\"])".into(),
                    );
                }
            }
        }
    }

    /// A lifecycle flag: read before anything is evaluated, so it must be a
    /// literal. Anything else is an error rather than a silent `false`.
    fn lifecycle_bool(&mut self, attr: &Attribute) -> bool {
        literal_bool(&attr.value).unwrap_or_else(|| {
            let span = self.span(attr.value.span());
            let key = attr.key.as_str();
            self.error(format!("`{key}` must be true or false"), span)
                .hint = Some(
                "lifecycle settings are read before variables; write a literal true or false"
                    .into(),
            );
            false
        })
    }
}

/// Where a body sits in Terraform's schema: its type and the dotted path
/// of the nested blocks around it, so that an argument Terraform has and
/// terrane lacks is told apart from a typo.
struct Origin<'a> {
    data: bool,
    type_name: &'a str,
    /// `""` for the resource itself, `"root_block_device."` inside a block.
    path: String,
}

impl Origin<'_> {
    fn nested(&self, block: &str) -> Origin<'_> {
        Origin {
            data: self.data,
            type_name: self.type_name,
            path: format!("{}{block}.", self.path),
        }
    }

    /// The error for a name the schema lacks: "not supported yet" when
    /// Terraform's provider has it, else unsupported (with a close match).
    fn unknown(
        &self,
        what: &str,
        key: &str,
        context: &str,
        span: Option<Span>,
        close: Option<&str>,
    ) -> Diagnostic {
        let full = format!("{}{key}", self.path);
        if provider::is_terraform_aws_argument(self.data, self.type_name, &full) {
            Diagnostic::error(format!(
                "The {what} {key:?} in {context} is not supported by terrane yet"
            ))
            .with_span(span)
            .with_detail(format!(
                "{full} is part of {} in Terraform's hashicorp/aws provider; terrane does not implement it",
                self.type_name
            ))
            .with_hint(format!(
                "`terrane types {}` lists what terrane accepts",
                self.type_name
            ))
        } else {
            unknown_name(what, key, context, span, close)
        }
    }
}

/// Checks a resource body against its schema: unknown and computed-only
/// arguments, missing required ones, and the number of nested blocks.
/// `context` names the block in messages: the resource type, or the
/// nested block and its resource type.
fn check_body(
    file: FileId,
    body: &Body,
    schema: &Schema,
    context: &str,
    origin: &Origin<'_>,
    block_span: &Span,
    diags: &mut Diagnostics,
) {
    let span = |r: Option<std::ops::Range<usize>>| r.map(|r| Span::new(file, r));
    // Names an unsupported argument was likely meant to be: not reported
    // again as missing.
    let mut suggested: Vec<&str> = Vec::new();
    for structure in body.iter() {
        match structure {
            Structure::Attribute(attr) => {
                let key = attr.key.as_str();
                match schema.attribute(key) {
                    Some(a) if a.user_settable() => {}
                    Some(_) => diags.push(
                        Diagnostic::error(format!(
                            "Argument {key:?} is computed by AWS and cannot be set"
                        ))
                        .with_span(span(attr.key.span()))
                        .with_hint("remove it; it can still be referenced"),
                    ),
                    None if schema.block(key).is_some_and(|b| b.attribute_syntax) => {
                        // Static or `dynamic` blocks of the same type too.
                        let as_blocks = body.get_blocks(key).next().is_some()
                            || body
                                .get_blocks("dynamic")
                                .any(|d| Dynamic::read(d).is_some_and(|d| d.target == key));
                        if let Some(nested) = schema.block(key)
                            && as_blocks
                        {
                            diags.push(
                                Diagnostic::error(format!(
                                    "{key:?} is written both as an argument and as blocks"
                                ))
                                .with_span(span(attr.key.span()))
                                .with_hint(format!(
                                    "use one form: `{key} = [...]` or `{} {{ ... }}` blocks",
                                    nested.name
                                )),
                            );
                        }
                    }
                    None if schema.block(key).is_some() => diags.push(
                        Diagnostic::error(format!("{key:?} is a block, not an argument"))
                            .with_span(span(attr.key.span()))
                            .with_hint(format!("write it as `{key} {{ ... }}`")),
                    ),
                    None => {
                        let close = did_you_mean(key, &schema.settable_names());
                        suggested.extend(close);
                        diags.push(origin.unknown(
                            "argument",
                            key,
                            context,
                            span(attr.key.span()),
                            close,
                        ));
                    }
                }
            }
            Structure::Block(block) if block.ident.as_str() == "dynamic" => {
                check_dynamic(file, block, schema, context, origin, diags);
            }
            Structure::Block(block) => {
                let key = block.ident.as_str();
                match schema.block(key) {
                    Some(nested) => {
                        let block_span = Span::new(file, block.ident.span().unwrap_or(0..0));
                        let context = format!("the {key} block of {context}");
                        check_body(
                            file,
                            &block.body,
                            &nested.schema,
                            &context,
                            &origin.nested(key),
                            &block_span,
                            diags,
                        );
                    }
                    None if schema.attribute(key).is_some() => diags.push(
                        Diagnostic::error(format!("{key:?} is an argument, not a block"))
                            .with_span(span(block.ident.span()))
                            .with_hint(format!("write it as `{key} = ...`")),
                    ),
                    None => diags.push(origin.unknown(
                        "block type",
                        key,
                        context,
                        span(block.ident.span()),
                        did_you_mean(key, &schema.settable_names()),
                    )),
                }
            }
        }
    }
    for attr in &schema.attributes {
        if attr.presence == crate::provider::schema::Presence::Required
            && !body.has_attribute(attr.name)
            && !suggested.contains(&attr.name)
        {
            diags.push(
                Diagnostic::error(format!("Missing required argument {:?}", attr.name))
                    .with_span(Some(block_span.clone()))
                    .with_hint(format!("add `{} = ...`", attr.name)),
            );
        }
    }
    for nested in &schema.blocks {
        let count = body.get_blocks(nested.name).count();
        // A dynamic block may generate the blocks: how many is known later.
        let generated = body
            .get_blocks("dynamic")
            .any(|d| Dynamic::read(d).is_some_and(|d| d.target == nested.name));
        if count < nested.min_items && !generated {
            diags.push(
                Diagnostic::error(format!("Missing required block {:?}", nested.name))
                    .with_span(Some(block_span.clone()))
                    .with_hint(format!("add `{} {{ ... }}`", nested.name)),
            );
        }
        if let Some(max) = nested.max_items
            && count > max
        {
            let extra = body
                .get_blocks(nested.name)
                .nth(max)
                .and_then(|b| b.ident.span());
            diags.push(
                Diagnostic::error(format!(
                    "Too many {:?} blocks: at most {max} allowed",
                    nested.name
                ))
                .with_span(span(extra))
                .with_hint(format!("merge them into one `{}` block", nested.name)),
            );
        }
    }
}

/// An unsupported argument or block type, with the name it likely meant.
/// Checks a `dynamic "NAME" { for_each, iterator, content { ... } }` block:
/// NAME must be a nested block type of the schema, and `content` is checked
/// against that block's schema.
fn check_dynamic(
    file: FileId,
    block: &Block,
    schema: &Schema,
    context: &str,
    origin: &Origin<'_>,
    diags: &mut Diagnostics,
) {
    let span = |r: Option<std::ops::Range<usize>>| r.map(|r| Span::new(file, r));
    let header = span(block.ident.span());
    let Some(dynamic) = Dynamic::read(block) else {
        diags.push(
            Diagnostic::error("A dynamic block needs one label: the block type it generates")
                .with_span(header)
                .with_hint("write `dynamic \"ingress\" { ... }`"),
        );
        return;
    };
    let Some(nested) = schema.block(dynamic.target) else {
        let label_span = span(block.labels.first().and_then(|l| l.span()));
        let known: Vec<&str> = schema.blocks.iter().map(|b| b.name).collect();
        diags.push(origin.unknown(
            "block type",
            dynamic.target,
            context,
            label_span,
            did_you_mean(dynamic.target, &known),
        ));
        return;
    };
    for structure in block.body.iter() {
        match structure {
            Structure::Attribute(attr) => match attr.key.as_str() {
                "for_each" | "labels" => {}
                "iterator" if matches!(attr.value, Expression::Variable(_)) => {}
                "iterator" => diags.push(
                    Diagnostic::error("`iterator` must be a name")
                        .with_span(span(attr.value.span()))
                        .with_hint("write `iterator = rule`, then refer to `rule.value`"),
                ),
                other => diags.push(unknown_name(
                    "argument",
                    other,
                    &format!("the dynamic {} block", dynamic.target),
                    span(attr.key.span()),
                    did_you_mean(other, &["for_each", "iterator", "labels"]),
                )),
            },
            Structure::Block(inner) if inner.ident.as_str() == "content" => {}
            Structure::Block(inner) => diags.push(unknown_name(
                "block type",
                inner.ident.as_str(),
                &format!("the dynamic {} block", dynamic.target),
                span(inner.ident.span()),
                None,
            )),
        }
    }
    if dynamic.for_each.is_none() {
        diags.push(
            Diagnostic::error(format!(
                "The dynamic {} block needs `for_each`",
                dynamic.target
            ))
            .with_span(header.clone()),
        );
    }
    match dynamic.content {
        Some(content) => {
            let block_span = Span::new(file, content.ident.span().unwrap_or(0..0));
            let context = format!("the {} block of {context}", dynamic.target);
            check_body(
                file,
                &content.body,
                &nested.schema,
                &context,
                &origin.nested(dynamic.target),
                &block_span,
                diags,
            );
        }
        None => diags.push(
            Diagnostic::error(format!(
                "The dynamic {} block needs a `content` block",
                dynamic.target
            ))
            .with_span(header)
            .with_hint("the content block holds the arguments of each generated block"),
        ),
    }
}

fn unknown_name(
    what: &str,
    key: &str,
    context: &str,
    span: Option<Span>,
    close: Option<&str>,
) -> Diagnostic {
    let diag =
        Diagnostic::error(format!("Unsupported {what} {key:?} in {context}")).with_span(span);
    match close {
        Some(close) => diag.with_hint(format!("did you mean {close:?}?")),
        None => diag,
    }
}

/// Reports blocks declared twice: resources, variables, locals, outputs.
fn check_duplicates(config: &Config, sources: &Sources, diags: &mut Diagnostics) {
    let mut seen = std::collections::HashMap::new();
    let named = config
        .resources
        .iter()
        .map(|r| (format!("resource {}", r.address()), &r.span))
        .chain(
            config
                .variables
                .iter()
                .map(|v| (format!("variable {:?}", v.name), &v.span)),
        )
        .chain(
            config
                .locals
                .iter()
                .map(|l| (format!("local value {:?}", l.name), &l.span)),
        )
        .chain(
            config
                .outputs
                .iter()
                .map(|o| (format!("output {:?}", o.name), &o.span)),
        )
        .chain(
            config
                .calls
                .iter()
                .map(|c| (format!("module call {:?}", c.name), &c.span)),
        )
        .chain(
            config
                .providers
                .iter()
                .map(|p| (format!("provider configuration {}", p.name()), &p.span)),
        );
    for (key, span) in named {
        if let Some(first) = seen.insert(key.clone(), span) {
            diags.push(
                Diagnostic::error(format!("Duplicate {key}"))
                    .with_span(Some(span.clone()))
                    .with_detail(format!("first declared at {}", sources.location(first))),
            );
        }
    }
}

/// `aws` or `aws.<alias>` written as a reference, as its name.
fn provider_reference(expr: &Expression) -> Option<String> {
    match expr {
        Expression::Variable(name) if name.as_str() == "aws" => Some("aws".into()),
        Expression::Traversal(traversal) => {
            let Expression::Variable(root) = &traversal.expr else {
                return None;
            };
            match traversal.operators.as_slice() {
                [op] if root.as_str() == "aws" => match op.value() {
                    hcl_edit::expr::TraversalOperator::GetAttr(alias) => {
                        Some(provider_name(Some(alias.as_str())))
                    }
                    _ => None,
                },
                _ => None,
            }
        }
        _ => None,
    }
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn literal_string(expr: &Expression) -> Option<String> {
    match expr {
        Expression::String(s) => Some(s.value().to_string()),
        _ => None,
    }
}

fn literal_bool(expr: &Expression) -> Option<bool> {
    match expr {
        Expression::Bool(b) => Some(*b.value()),
        _ => None,
    }
}

/// A type name close enough to be a typo of a known one (a letter or two
/// off): a looser match would offer a different kind of object.
fn did_you_mean_typo<'a>(name: &str, known: &[&'a str]) -> Option<&'a str> {
    did_you_mean(name, known).filter(|close| strsim::osa_distance(name, close) <= 2)
}
