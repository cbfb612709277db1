//! Diagnostics as data: what went wrong, where, and what to do about it.
//!
//! Every problem in a stack is collected as a `Diagnostic` with a severity, a
//! one-line summary, optional detail and hint, and a source span. Modules collect
//! them and keep going; only `cli` renders them (with a source snippet), so every
//! problem is shown at once. This module does no printing and no I/O.

use std::ops::Range;
use std::path::{Path, PathBuf};

/// Index of a file in [`Sources`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub usize);

/// A byte range in one source file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    pub file: FileId,
    pub range: Range<usize>,
}

impl Span {
    pub fn new(file: FileId, range: Range<usize>) -> Span {
        Span { file, range }
    }
}

/// The text of every stack file, kept so diagnostics can quote their source.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The path as shown to the user (relative to where terrane was run).
    pub path: PathBuf,
    pub text: String,
}

impl Sources {
    pub fn add(&mut self, path: impl Into<PathBuf>, text: impl Into<String>) -> FileId {
        self.files.push(SourceFile {
            path: path.into(),
            text: text.into(),
        });
        FileId(self.files.len() - 1)
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0]
    }

    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files.iter().enumerate().map(|(i, f)| (FileId(i), f))
    }

    pub fn path(&self, id: FileId) -> &Path {
        &self.files[id.0].path
    }

    /// One-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, id: FileId, offset: usize) -> (usize, usize) {
        let text = &self.files[id.0].text;
        let offset = offset.min(text.len());
        let before = &text[..floor_char_boundary(text, offset)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        (line, column)
    }

    /// Byte offset of a one-based line and column, as parsers report them.
    pub fn offset_of(&self, id: FileId, line: usize, column: usize) -> usize {
        let text = &self.files[id.0].text;
        let line_start: usize = text
            .split_inclusive('\n')
            .take(line.saturating_sub(1))
            .map(str::len)
            .sum();
        let rest = &text[line_start.min(text.len())..];
        let col_bytes: usize = rest
            .chars()
            .take(column.saturating_sub(1))
            .map(char::len_utf8)
            .sum();
        (line_start + col_bytes).min(text.len())
    }

    /// `path:line:column` of the start of a span.
    pub fn location(&self, span: &Span) -> String {
        let (line, column) = self.line_col(span.file, span.range.start);
        format!("{}:{line}:{column}", self.path(span.file).display())
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// One line, no trailing period.
    pub summary: String,
    pub detail: Option<String>,
    pub span: Option<Span>,
    /// Shown as `hint: ...`.
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn error(summary: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            summary: summary.into(),
            detail: None,
            span: None,
            hint: None,
        }
    }

    pub fn warning(summary: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(summary)
        }
    }

    pub fn with_span(mut self, span: Option<Span>) -> Diagnostic {
        if self.span.is_none() {
            self.span = span;
        }
        self
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Diagnostic {
        self.detail = Some(detail.into());
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(hint.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// A collection of diagnostics from one or more passes.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Diagnostics {
        Diagnostics(vec![d])
    }
}

/// The known name `name` was most likely meant to be, for hints: the closest
/// within a small edit distance (a swap of two neighbouring letters counting
/// as one edit), unless that is a loose match and exactly one
/// known name completes `name` with more words (`cidr` → `cidr_block`, not
/// `id`). Ties go to the first in alphabetical order, so hints are stable.
pub fn did_you_mean<'a>(name: &str, known: &[&'a str]) -> Option<&'a str> {
    let closest = known
        .iter()
        .map(|k| (strsim::osa_distance(name, k), *k))
        .filter(|(d, k)| *d <= (k.len() / 3).max(2))
        .min();
    let prefix = format!("{name}_");
    let mut completions = known.iter().filter(|k| k.starts_with(&prefix));
    match (closest, completions.next(), completions.next()) {
        (Some((distance, close)), _, _) if distance <= 1 => Some(close),
        (_, Some(completion), None) => Some(completion),
        (closest, _, _) => closest.map(|(_, k)| k),
    }
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn did_you_mean_counts_a_swap_as_one_edit() {
        // Plain edit distance puts aws_eip as close as aws_vpc.
        let types = ["aws_eip", "aws_subnet", "aws_vpc"];
        assert_eq!(did_you_mean("aws_vcp", &types), Some("aws_vpc"));
    }

    #[test]
    fn did_you_mean_prefers_the_one_completion_over_a_loose_match() {
        let attributes = ["arn", "cidr_block", "id", "owner_id"];
        assert_eq!(did_you_mean("cidr", &attributes), Some("cidr_block"));
        // A near miss still wins over a completion.
        assert_eq!(did_you_mean("ids", &["id", "ids_all"]), Some("id"));
        // Two completions say nothing about which was meant.
        let dns = ["enable_dns_hostnames", "enable_dns_support"];
        assert_eq!(did_you_mean("enable_dns", &dns), None);
    }

    #[test]
    fn did_you_mean_breaks_ties_alphabetically() {
        assert_eq!(did_you_mean("ab", &["ac", "aa"]), Some("aa"));
        assert_eq!(did_you_mean("zzzz", &["a", "b"]), None);
    }
}
