//! `terrane fmt`: finds the stack files (`.tf`, `.tfvars`) in a directory
//! (and below it, with `--recursive`), checks that each parses, lays each
//! out canonically (`lang::fmt`) and writes back the ones that changed,
//! unless only checking. It never prints: the caller gets what changed,
//! with a unified diff when asked.

use std::path::{Path, PathBuf};

use super::Report;
use crate::diag::{Diagnostic, Diagnostics, Sources};

/// What `terrane fmt` was asked to do.
#[derive(Clone, Debug, Default)]
pub struct FmtOptions {
    /// A directory, or one file.
    pub path: PathBuf,
    /// Only report; write nothing.
    pub check: bool,
    /// Also give each change as a unified diff.
    pub diff: bool,
    pub recursive: bool,
}

/// A file whose layout was (or, when checking, would be) changed.
#[derive(Debug)]
pub struct Reformatted {
    pub path: PathBuf,
    /// The unified diff, when asked for.
    pub diff: Option<String>,
}

/// Formats the files `options` names; the ones that changed, in path order.
pub fn format_files(options: &FmtOptions) -> Result<Vec<Reformatted>, Report> {
    let mut files = Vec::new();
    if options.path.is_file() {
        files.push(options.path.clone());
    } else {
        collect(&options.path, options.recursive, &mut files)?;
    }
    files.sort();
    let mut sources = Sources::default();
    let mut diags = Diagnostics::default();
    let mut changed = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).map_err(|e| {
            Report::error(Diagnostic::error(format!(
                "Cannot read {}: {e}",
                path.display()
            )))
        })?;
        if let Err(err) = hcl_edit::parser::parse_body(crate::lang::syntax::without_bom(&text)) {
            let file = sources.add(path.clone(), text.clone());
            diags.push(crate::lang::syntax::parse_error(&sources, file, &err));
            continue;
        }
        let formatted = crate::lang::fmt::format(&text);
        if formatted == text {
            continue;
        }
        let diff = options.diff.then(|| {
            let name = path.display().to_string();
            similar::TextDiff::from_lines(&text, &formatted)
                .unified_diff()
                .header(&format!("old/{name}"), &format!("new/{name}"))
                .to_string()
        });
        if !options.check {
            write_in_place(&path, &formatted)?;
        }
        changed.push(Reformatted { path, diff });
    }
    if diags.has_errors() {
        return Err(Report { sources, diags });
    }
    Ok(changed)
}

/// The stack files in `dir`; with `recursive`, in its subdirectories too,
/// but never in hidden ones (`.terraform` holds installed modules).
fn collect(dir: &Path, recursive: bool, files: &mut Vec<PathBuf>) -> Result<(), Report> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        Report::error(
            Diagnostic::error(format!("Cannot read directory {}: {e}", dir.display()))
                .with_hint("pass a directory of .tf files, or one file"),
        )
    })?;
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if recursive && !name.starts_with('.') {
                collect(&path, recursive, files)?;
            }
        } else if name.ends_with(".tf") || name.ends_with(".tfvars") {
            files.push(path);
        }
    }
    Ok(())
}

/// Replaces the file's text by way of a new file beside it, so a crash
/// leaves either the old text or the new, never half of one.
fn write_in_place(path: &Path, text: &str) -> Result<(), Report> {
    let fail = |e: std::io::Error| {
        Report::error(Diagnostic::error(format!(
            "Cannot write {}: {e}",
            path.display()
        )))
    };
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".terrane-fmt");
    let temporary = PathBuf::from(temporary);
    std::fs::write(&temporary, text).map_err(fail)?;
    if let Ok(metadata) = std::fs::metadata(path) {
        let _ = std::fs::set_permissions(&temporary, metadata.permissions());
    }
    std::fs::rename(&temporary, path).map_err(fail)
}
