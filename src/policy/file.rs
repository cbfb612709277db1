//! Reading the stack's policy file, `terrane-policy.hcl`: each rule's
//! severity and options, and the waivers. The file is HCL, but not a `.tf`
//! file, so Terraform never reads it and the stack stays valid Terraform.
//!
//! ```hcl
//! policy {
//!   fail_on = "warning"        # or "error" (the default)
//! }
//!
//! rule "TRN007" {
//!   severity = "error"         # "error", "warning" or "off"
//!   tags     = ["Owner", "Environment"]
//! }
//!
//! waiver "TRN001" {
//!   resource = "aws_security_group.bastion"
//!   reason   = "SSH from anywhere until the VPN is up (OPS-1234)"
//! }
//! ```
//!
//! Values are literals. Problems are diagnostics at their place in the
//! file; this module reads text it is given and does no I/O.

use hcl_edit::Span as _;
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, Body, Structure};

use super::{PolicyConfig, RULES, Severity, Waiver};
use crate::diag::{Diagnostic, Diagnostics, FileId, Sources, Span};

/// The policy file's name, in the stack's directory.
pub const POLICY_FILE: &str = "terrane-policy.hcl";

/// Parses a policy file that `sources` holds as `file`.
pub fn parse(sources: &Sources, file: FileId) -> (PolicyConfig, Diagnostics) {
    let mut config = PolicyConfig::default();
    let mut diags = Diagnostics::default();
    let text = crate::lang::syntax::without_bom(&sources.get(file).text);
    let body = match hcl_edit::parser::parse_body(text) {
        Ok(body) => body,
        Err(err) => {
            diags.push(crate::lang::syntax::parse_error(sources, file, &err));
            return (config, diags);
        }
    };
    let mut reader = Reader { file, diags };
    for structure in body.iter() {
        match structure {
            Structure::Attribute(attr) => reader.error(
                attr.key.span(),
                format!(
                    "Unexpected argument {:?} in the policy file",
                    attr.key.as_str()
                ),
                "the file holds `policy`, `rule \"ID\"` and `waiver \"ID\"` blocks",
            ),
            Structure::Block(block) => match block.ident.as_str() {
                "policy" => reader.policy_block(block, &mut config),
                "rule" => reader.rule_block(block, &mut config),
                "waiver" => reader.waiver_block(block, &mut config),
                other => reader.error(
                    block.ident.span(),
                    format!("Unexpected block {other:?} in the policy file"),
                    "the file holds `policy`, `rule \"ID\"` and `waiver \"ID\"` blocks",
                ),
            },
        }
    }
    (config, reader.diags)
}

struct Reader {
    file: FileId,
    diags: Diagnostics,
}

impl Reader {
    fn span(&self, range: Option<std::ops::Range<usize>>) -> Option<Span> {
        range.map(|r| Span::new(self.file, r))
    }

    fn error(&mut self, at: Option<std::ops::Range<usize>>, summary: String, hint: &str) {
        let diag = Diagnostic::error(summary)
            .with_span(self.span(at))
            .with_hint(hint);
        self.diags.push(diag);
    }

    fn policy_block(&mut self, block: &Block, config: &mut PolicyConfig) {
        for (name, value, at) in self.arguments(&block.body, &["fail_on"]) {
            if name == "fail_on" {
                match self.string(&value, at.clone()).as_deref() {
                    Some("error") => config.fail_on = Severity::Error,
                    Some("warning") => config.fail_on = Severity::Warning,
                    Some(other) => self.error(
                        at,
                        format!("`fail_on` must be \"error\" or \"warning\", not {other:?}"),
                        "findings at this severity or above fail the run",
                    ),
                    None => {}
                }
            }
        }
    }

    fn rule_block(&mut self, block: &Block, config: &mut PolicyConfig) {
        let Some(id) = self.rule_label(block) else {
            return;
        };
        for (name, value, at) in self.arguments(&block.body, &["severity", "tags"]) {
            match name.as_str() {
                "severity" => {
                    let Some(text) = self.string(&value, at.clone()) else {
                        continue;
                    };
                    match Severity::parse(&text) {
                        Some(severity) => {
                            config.severities.insert(id.clone(), severity);
                        }
                        None => self.error(
                            at,
                            format!(
                                "`severity` must be \"error\", \"warning\" or \"off\", not {text:?}"
                            ),
                            "\"off\" turns the rule off",
                        ),
                    }
                }
                "tags" if id == "TRN007" => {
                    if let Some(tags) = self.strings(&value, at) {
                        config.required_tags = tags;
                    }
                }
                _ => self.error(
                    at,
                    format!("Rule {id} has no option {name:?}"),
                    "only TRN007 takes an option: `tags`, the tag keys every resource must have",
                ),
            }
        }
    }

    fn waiver_block(&mut self, block: &Block, config: &mut PolicyConfig) {
        let Some(rule) = self.rule_label(block) else {
            return;
        };
        let (mut resource, mut reason) = (None, None);
        for (name, value, at) in self.arguments(&block.body, &["resource", "reason"]) {
            let text = self.string(&value, at);
            match name.as_str() {
                "resource" => resource = text,
                _ => reason = text.filter(|r| !r.trim().is_empty()),
            }
        }
        let at = block.ident.span();
        match (resource, reason) {
            (Some(resource), Some(reason)) => config.waivers.push(Waiver {
                rule,
                resource,
                reason,
                span: self.span(block.ident.span()),
            }),
            _ => self.error(
                at,
                format!("The waiver of {rule} needs `resource` and a `reason`"),
                "a waiver names the resource (aws_security_group.bastion, or one instance) and says why, for the reviewers who read it",
            ),
        }
    }

    /// The block's one label, a known rule id.
    fn rule_label(&mut self, block: &Block) -> Option<String> {
        let labels: Vec<&str> = block.labels.iter().map(|l| l.as_str()).collect();
        let at = block.ident.span();
        match labels.as_slice() {
            [id] if RULES.iter().any(|r| r.id == *id) => Some(id.to_string()),
            [id] => {
                self.error(
                    at,
                    format!("Unknown policy rule {id:?}"),
                    &format!(
                        "the rules are {}",
                        RULES.iter().map(|r| r.id).collect::<Vec<_>>().join(", ")
                    ),
                );
                None
            }
            _ => {
                self.error(
                    at,
                    format!(
                        "A `{}` block takes one label: the rule's id",
                        block.ident.as_str()
                    ),
                    "for example `rule \"TRN001\" { severity = \"error\" }`",
                );
                None
            }
        }
    }

    /// The block's arguments, (name, value, where), with anything not in
    /// `allowed` (and any nested block) reported.
    fn arguments(
        &mut self,
        body: &Body,
        allowed: &[&str],
    ) -> Vec<(String, Expression, Option<std::ops::Range<usize>>)> {
        let mut found = Vec::new();
        for structure in body.iter() {
            match structure {
                Structure::Attribute(attr) if allowed.contains(&attr.key.as_str()) => {
                    found.push((attr.key.to_string(), attr.value.clone(), attr.value.span()))
                }
                Structure::Attribute(attr) => self.error(
                    attr.key.span(),
                    format!("Unexpected argument {:?}", attr.key.as_str()),
                    &format!("this block takes {}", allowed.join(", ")),
                ),
                Structure::Block(block) => self.error(
                    block.ident.span(),
                    format!("Unexpected block {:?}", block.ident.as_str()),
                    &format!("this block takes {}", allowed.join(", ")),
                ),
            }
        }
        found
    }

    fn string(&mut self, value: &Expression, at: Option<std::ops::Range<usize>>) -> Option<String> {
        match value {
            Expression::String(text) => Some(text.to_string()),
            _ => {
                self.error(
                    at,
                    "Expected a quoted string".into(),
                    "policy values are literals",
                );
                None
            }
        }
    }

    fn strings(
        &mut self,
        value: &Expression,
        at: Option<std::ops::Range<usize>>,
    ) -> Option<Vec<String>> {
        let Expression::Array(items) = value else {
            self.error(
                at,
                "Expected a list of quoted strings".into(),
                "for example [\"Owner\", \"Environment\"]",
            );
            return None;
        };
        items
            .iter()
            .map(|item| self.string(item, item.span()))
            .collect()
    }
}
