//! Finding what an expression refers to: variables, locals, resources, data
//! sources and the `count`/`each`/`path` objects.
//!
//! The graph is built from these references, so they are found statically,
//! before anything is evaluated. Names bound by `for` expressions shadow
//! everything else inside them.

use hcl_edit::Span as _;
use hcl_edit::expr::{Expression, ForExpr, TraversalOperator};
use hcl_edit::template::ForTemplateExpr;
use hcl_edit::visit::{self, Visit};

use super::config::{Expr, Mode};
use crate::diag::{Diagnostic, FileId, Span};

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    Variable(String),
    Local(String),
    Resource {
        mode: Mode,
        type_name: String,
        name: String,
    },
    /// `count.index`
    CountIndex,
    /// `each.key` / `each.value`
    Each,
    /// `path.module`, `path.root`, `path.cwd`
    Path,
    /// `terraform.workspace`
    Workspace,
    /// `module.<name>` and `module.<name>.<output>`: a module call's
    /// outputs (the output is not known when an instance key comes first).
    Module {
        name: String,
        output: Option<String>,
    },
}

#[derive(Clone, Debug)]
pub struct Reference {
    pub subject: Subject,
    pub span: Span,
}

impl Subject {
    /// How the subject is written in a stack, for messages.
    pub fn display(&self) -> String {
        match self {
            Subject::Variable(name) => format!("var.{name}"),
            Subject::Local(name) => format!("local.{name}"),
            Subject::Resource {
                mode: Mode::Managed,
                type_name,
                name,
            } => format!("{type_name}.{name}"),
            Subject::Resource {
                mode: Mode::Data,
                type_name,
                name,
            } => format!("data.{type_name}.{name}"),
            Subject::CountIndex => "count.index".into(),
            Subject::Each => "each".into(),
            Subject::Path => "path".into(),
            Subject::Workspace => "terraform.workspace".into(),
            Subject::Module { name, output: None } => format!("module.{name}"),
            Subject::Module {
                name,
                output: Some(output),
            } => format!("module.{name}.{output}"),
        }
    }
}

/// Every reference in `expr`, plus diagnostics for malformed ones
/// (`var` alone, `count.foo`, `aws_vpc` without a name, …).
pub fn references(expr: &Expr) -> (Vec<Reference>, Vec<Diagnostic>) {
    references_within(expr, &[])
}

/// The same, inside blocks that bind `bound` (a `dynamic` block's iterator):
/// those names are not references.
pub fn references_within(expr: &Expr, bound: &[String]) -> (Vec<Reference>, Vec<Diagnostic>) {
    let mut finder = Finder {
        file: expr.file,
        bound: bound.to_vec(),
        found: Vec::new(),
        diags: Vec::new(),
    };
    finder.visit_expr(&expr.expr);
    (finder.found, finder.diags)
}

struct Finder {
    file: FileId,
    /// Names bound by enclosing `for` expressions.
    bound: Vec<String>,
    found: Vec<Reference>,
    diags: Vec<Diagnostic>,
}

impl Finder {
    fn span(&self, range: Option<std::ops::Range<usize>>) -> Span {
        Span::new(self.file, range.unwrap_or(0..0))
    }

    fn invalid(&mut self, span: Span, summary: String, hint: &str) {
        self.diags.push(
            Diagnostic::error(summary)
                .with_span(Some(span))
                .with_hint(hint),
        );
    }

    /// Classifies `root.attr1.attr2…`; `attrs` are the leading GetAttr names.
    fn reference(&mut self, root: &str, attrs: &[&str], span: Span) {
        if self.bound.iter().any(|b| b == root) {
            return;
        }
        let subject = match (root, attrs) {
            ("var", [name, ..]) => Subject::Variable(name.to_string()),
            ("local", [name, ..]) => Subject::Local(name.to_string()),
            ("data", [type_name, name, ..]) => Subject::Resource {
                mode: Mode::Data,
                type_name: type_name.to_string(),
                name: name.to_string(),
            },
            ("count", ["index", ..]) => Subject::CountIndex,
            ("each", ["key" | "value", ..]) => Subject::Each,
            ("path", ["module" | "root" | "cwd", ..]) => Subject::Path,
            ("terraform", ["workspace", ..]) => Subject::Workspace,
            ("var" | "local", []) => {
                return self.invalid(
                    span,
                    format!("Invalid reference: `{root}` needs an attribute"),
                    &format!("write `{root}.<name>`"),
                );
            }
            ("data", _) => {
                return self.invalid(
                    span,
                    "Invalid reference: a data source reference needs a type and a name".into(),
                    "write `data.<type>.<name>`",
                );
            }
            ("count", _) => {
                return self.invalid(
                    span,
                    "Invalid reference: `count` has only the attribute `index`".into(),
                    "write `count.index`",
                );
            }
            ("each", _) => {
                return self.invalid(
                    span,
                    "Invalid reference: `each` has only the attributes `key` and `value`".into(),
                    "write `each.key` or `each.value`",
                );
            }
            ("path", _) => {
                return self.invalid(
                    span,
                    "Invalid reference: `path` has the attributes `module`, `root` and `cwd`"
                        .into(),
                    "write `path.module`",
                );
            }
            ("module", [name, rest @ ..]) => Subject::Module {
                name: name.to_string(),
                output: rest.first().map(|o| o.to_string()),
            },
            ("module", []) => {
                return self.invalid(
                    span,
                    "Invalid reference: `module` needs a module name".into(),
                    "write `module.<name>.<output>`",
                );
            }
            ("self" | "terraform", _) => {
                return self.invalid(
                    span,
                    format!("`{root}` references are not supported"),
                    "refer to resources, variables and locals directly",
                );
            }
            (type_name, [name, ..]) => Subject::Resource {
                mode: Mode::Managed,
                type_name: type_name.to_string(),
                name: name.to_string(),
            },
            (type_name, []) => {
                // A bare word is most often a value written without quotes.
                let hint = match type_name.to_ascii_lowercase().as_str() {
                    "yes" | "no" | "on" | "off" | "true" | "false" => {
                        "for a bool, write true or false".to_string()
                    }
                    _ => format!(
                        "for a string, quote it: \"{type_name}\"; a resource reference needs a type and a name, e.g. `aws_vpc.main`"
                    ),
                };
                return self.invalid(span, format!("Invalid reference {type_name:?}"), &hint);
            }
        };
        self.found.push(Reference { subject, span });
    }

    fn with_bound(&mut self, names: Vec<String>, body: impl FnOnce(&mut Self)) {
        let depth = self.bound.len();
        self.bound.extend(names);
        body(self);
        self.bound.truncate(depth);
    }
}

impl Visit for Finder {
    fn visit_expr(&mut self, expr: &Expression) {
        match expr {
            Expression::Variable(var) => {
                let span = self.span(var.span());
                self.reference(var.as_str(), &[], span);
            }
            Expression::Traversal(traversal) => {
                if let Expression::Variable(root) = &traversal.expr {
                    let attrs: Vec<&str> = traversal
                        .operators
                        .iter()
                        .map_while(|op| match op.value() {
                            TraversalOperator::GetAttr(ident) => Some(ident.as_str()),
                            _ => None,
                        })
                        .collect();
                    // The span covers the root and the attributes that name
                    // the subject: `var.x`, `aws_vpc.main`, `data.t.n`.
                    let named = match root.as_str() {
                        "data" => 2,
                        _ => 1,
                    };
                    let start = root.span().map_or(0, |r| r.start);
                    let end = traversal
                        .operators
                        .get(named.min(attrs.len()).saturating_sub(1))
                        .filter(|_| !attrs.is_empty())
                        .and_then(|op| op.span())
                        .map_or_else(|| root.span().map_or(start, |r| r.end), |r| r.end);
                    let span = Span::new(self.file, start..end.max(start));
                    self.reference(root.as_str(), &attrs, span);
                } else {
                    self.visit_expr(&traversal.expr);
                }
                // Index expressions inside the traversal may hold references too.
                for op in &traversal.operators {
                    if let TraversalOperator::Index(index) = op.value() {
                        self.visit_expr(index);
                    }
                }
            }
            Expression::ForExpr(for_expr) => self.visit_for_expr(for_expr),
            _ => visit::visit_expr(self, expr),
        }
    }

    fn visit_for_expr(&mut self, node: &ForExpr) {
        self.visit_expr(&node.intro.collection_expr);
        let names = bound_names(node.intro.key_var.as_ref(), &node.intro.value_var);
        self.with_bound(names, |this| {
            if let Some(key) = &node.key_expr {
                this.visit_expr(key);
            }
            this.visit_expr(&node.value_expr);
            if let Some(cond) = &node.cond {
                this.visit_expr(&cond.expr);
            }
        });
    }

    fn visit_for_template_expr(&mut self, node: &ForTemplateExpr) {
        self.visit_expr(&node.collection_expr);
        let names = bound_names(node.key_var.as_ref(), &node.value_var);
        self.with_bound(names, |this| this.visit_template(&node.template));
    }
}

fn bound_names(
    key: Option<&hcl_edit::Decorated<hcl_edit::Ident>>,
    value: &hcl_edit::Decorated<hcl_edit::Ident>,
) -> Vec<String> {
    key.into_iter()
        .chain(std::iter::once(value))
        .map(|ident| ident.as_str().to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(src: &str) -> Vec<String> {
        let expr = Expr {
            file: FileId(0),
            expr: hcl_edit::parser::parse_expr(src).expect("parses"),
        };
        let (found, diags) = references(&expr);
        assert!(diags.is_empty(), "{diags:?}");
        found.iter().map(|r| r.subject.display()).collect()
    }

    #[test]
    fn finds_resources_variables_locals_and_data() {
        assert_eq!(
            refs(
                "cidrsubnet(var.cidr, 8, count.index) == aws_vpc.main.id ? local.x : data.aws_availability_zones.az.names[0]"
            ),
            [
                "var.cidr",
                "count.index",
                "aws_vpc.main",
                "local.x",
                "data.aws_availability_zones.az"
            ]
        );
    }

    #[test]
    fn for_expression_names_shadow_references() {
        assert_eq!(
            refs("[for s in aws_subnet.public : s.id if s.tags != local.t]"),
            ["aws_subnet.public", "local.t"]
        );
        assert_eq!(refs("{for k, v in var.m : k => v}"), ["var.m"]);
    }

    #[test]
    fn finds_references_in_templates_and_splats() {
        assert_eq!(
            refs("\"${var.name}-%{for z in aws_subnet.a[*].id}${z}%{endfor}\""),
            ["var.name", "aws_subnet.a"]
        );
        assert_eq!(refs("aws_subnet.a[var.i].id"), ["aws_subnet.a", "var.i"]);
    }

    #[test]
    fn reports_malformed_references() {
        let expr = Expr {
            file: FileId(0),
            expr: hcl_edit::parser::parse_expr("count.foo + var").expect("parses"),
        };
        let (_, diags) = references(&expr);
        assert_eq!(diags.len(), 2);
        assert!(diags[0].summary.contains("count"));
    }
}
