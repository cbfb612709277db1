//! The configuration model: what a stack's blocks say, with source spans,
//! before any expression is evaluated.

use std::path::PathBuf;

use hcl_edit::expr::Expression;
use hcl_edit::structure::Body;

use crate::diag::{FileId, Sources, Span};
use crate::provider::schema::Type;

/// A whole stack: every `.tf` file of one directory.
#[derive(Debug, Default)]
pub struct Config {
    pub sources: Sources,
    /// The stack directory, as given on the command line.
    pub dir: PathBuf,
    pub backend: Option<Backend>,
    pub provider: Option<Provider>,
    pub variables: Vec<Variable>,
    pub locals: Vec<Local>,
    pub resources: Vec<Resource>,
    pub outputs: Vec<Output>,
}

impl Config {
    pub fn resource(&self, mode: Mode, type_name: &str, name: &str) -> Option<&Resource> {
        self.resources
            .iter()
            .find(|r| r.mode == mode && r.type_name == type_name && r.name == name)
    }

    pub fn variable(&self, name: &str) -> Option<&Variable> {
        self.variables.iter().find(|v| v.name == name)
    }
}

/// An expression together with the file it came from.
#[derive(Debug, Clone)]
pub struct Expr {
    pub file: FileId,
    pub expr: Expression,
}

impl Expr {
    pub fn span(&self) -> Option<Span> {
        use hcl_edit::Span as _;
        self.expr.span().map(|r| Span::new(self.file, r))
    }
}

/// `terraform { backend "TYPE" { ... } }`.
#[derive(Debug)]
pub struct Backend {
    pub kind: String,
    pub file: FileId,
    pub body: Body,
    pub span: Span,
}

/// `provider "aws" { ... }`.
#[derive(Debug)]
pub struct Provider {
    pub file: FileId,
    pub body: Body,
    pub span: Span,
}

#[derive(Debug)]
pub struct Variable {
    pub name: String,
    /// The declared `type`, if any.
    pub ty: Option<Type>,
    pub default: Option<Expr>,
    pub description: Option<String>,
    pub sensitive: bool,
    /// `validation { condition, error_message }` blocks, in order.
    pub validations: Vec<Validation>,
    pub span: Span,
}

/// A variable's `validation` block.
#[derive(Debug)]
pub struct Validation {
    pub condition: Expr,
    pub error_message: Expr,
    /// The block's header, where a failed check is reported.
    pub span: Span,
}

#[derive(Debug)]
pub struct Local {
    pub name: String,
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mode {
    Managed,
    Data,
}

/// A `resource` or `data` block.
#[derive(Debug)]
pub struct Resource {
    pub mode: Mode,
    pub type_name: String,
    pub name: String,
    pub file: FileId,
    pub count: Option<Expr>,
    pub for_each: Option<Expr>,
    /// `depends_on` entries as written, e.g. `aws_internet_gateway.main`.
    pub depends_on: Vec<Expr>,
    pub lifecycle: Lifecycle,
    /// The arguments and nested blocks, without the meta-arguments above.
    pub body: Body,
    /// The block header (`resource "aws_vpc" "main"`).
    pub span: Span,
}

impl Resource {
    /// `aws_vpc.main` or `data.aws_availability_zones.available`.
    pub fn address(&self) -> String {
        match self.mode {
            Mode::Managed => format!("{}.{}", self.type_name, self.name),
            Mode::Data => format!("data.{}.{}", self.type_name, self.name),
        }
    }
}

/// `lifecycle { ... }`: parsed now, acted on in a later issue.
#[derive(Debug, Default, Clone)]
pub struct Lifecycle {
    pub create_before_destroy: bool,
    pub prevent_destroy: bool,
    pub ignore_changes: Vec<String>,
}

#[derive(Debug)]
pub struct Output {
    pub name: String,
    pub value: Expr,
    pub description: Option<String>,
    pub sensitive: bool,
    pub span: Span,
}
