//! Expression evaluation: HCL expressions (from hcl-edit) to [`Value`]s.
//!
//! Pure: names resolve through a [`Scope`] supplied by the caller, and the only
//! file access (`file()`) goes through the caller's [`FileReader`]. Values not
//! known until apply propagate as [`Value::Unknown`].

use std::collections::BTreeMap;
use std::path::Path;

use hcl_edit::expr::Expression;

use crate::diag::{Diagnostic, FileId};
use crate::value::Value;

/// Resolves the root names of references: `var`, `local`, `data`, `count`,
/// `each`, `path`, and resource type names such as `aws_vpc`. A resource type
/// name resolves to a map from resource name to the resource's value (an
/// object, or a list/map of objects with `count`/`for_each`).
pub trait Scope {
    fn lookup(&self, root: &str) -> Option<&Value>;
}

impl Scope for BTreeMap<String, Value> {
    fn lookup(&self, root: &str) -> Option<&Value> {
        self.get(root)
    }
}

/// Reads files for the `file()` function; relative paths are relative to the
/// stack directory.
pub trait FileReader {
    fn read_to_string(&self, path: &Path) -> std::io::Result<String>;
}

pub struct EvalContext<'a> {
    /// The file the expression came from, for diagnostic spans.
    pub file: FileId,
    pub scope: &'a dyn Scope,
    pub files: &'a dyn FileReader,
    /// The stack directory: `path.module` and the base of relative `file()` paths.
    pub stack_dir: &'a Path,
}

/// Evaluates an expression. Errors carry the span of the failing sub-expression.
pub fn eval(_expr: &Expression, _ctx: &EvalContext<'_>) -> Result<Value, Diagnostic> {
    Err(Diagnostic::error(
        "expression evaluation is not implemented yet",
    ))
}
