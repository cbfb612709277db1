//! Rendering diagnostics: the one place problems are turned into text, with
//! `file:line:column`, a source snippet and `hint:` lines. Output is readable
//! without colour; colour is used only on a terminal without `NO_COLOR`.

use std::io::IsTerminal;

use annotate_snippets::renderer::DecorStyle;
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

use crate::diag::{Diagnostic, Severity, Sources};
use crate::value::Value;

/// `--no-color` was given.
static PLAIN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub fn set_plain(plain: bool) {
    PLAIN.store(plain, std::sync::atomic::Ordering::Relaxed);
}

/// Colour for diagnostics, which go to stderr.
pub fn use_color() -> bool {
    use_color_on(std::io::stderr().is_terminal())
}

/// Colour for output to a stream that is (or is not) a terminal: never
/// with `--no-color` or `NO_COLOR`.
pub fn use_color_on(terminal: bool) -> bool {
    terminal
        && !PLAIN.load(std::sync::atomic::Ordering::Relaxed)
        && std::env::var_os("NO_COLOR").is_none()
}

/// Renders one diagnostic as text (no trailing newline).
pub fn diagnostic(sources: &Sources, diag: &Diagnostic, color: bool) -> String {
    let level = match diag.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let mut group = Group::with_title(level.primary_title(diag.summary.as_str()));
    if let Some(span) = &diag.span {
        let file = sources.get(span.file);
        let text = file.text.as_str();
        // Spans come from parsers and may fall inside a character; the
        // renderer needs whole characters.
        let start = char_boundary_at_or_before(text, span.range.start);
        let mut end = char_boundary_at_or_after(text, span.range.end.max(start));
        if end == start {
            // Point at one character so the caret shows.
            end = text[start..]
                .chars()
                .next()
                .map_or(start, |c| start + c.len_utf8());
        }
        group = group.element(
            Snippet::source(text)
                .path(file.path.to_string_lossy().into_owned())
                .annotation(AnnotationKind::Primary.span(start..end)),
        );
    }
    if let Some(detail) = &diag.detail {
        group = group.element(Level::NOTE.message(detail.as_str()));
    }
    if let Some(hint) = &diag.hint {
        group = group.element(Level::HELP.with_name("hint").message(hint.as_str()));
    }
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    }
    .decor_style(DecorStyle::Ascii);
    renderer.render(&[group])
}

fn char_boundary_at_or_before(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

fn char_boundary_at_or_after(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset += 1;
    }
    offset
}

/// A value as `terraform console` prints it: strings quoted as Go quotes
/// them (or as a heredoc when they span lines), collections one element
/// per line. Lists and maps print as tuples and objects: terrane does not
/// keep the distinction between the two kinds.
pub fn console_value(value: &Value, indent: usize) -> String {
    let pad = "  ".repeat(indent + 1);
    let close = "  ".repeat(indent);
    match value {
        Value::Null => "null".to_string(),
        Value::Unknown => "(known after apply)".to_string(),
        Value::Sensitive(_) => "(sensitive value)".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) if s.contains('\n') => {
            format!("<<EOT\n{s}\nEOT")
        }
        Value::String(s) => crate::lang::functions::go_quote(s),
        Value::List(items) if items.is_empty() => "[]".to_string(),
        Value::List(items) => {
            let body: String = items
                .iter()
                .map(|item| format!("{pad}{},\n", console_value(item, indent + 1)))
                .collect();
            format!("[\n{body}{close}]")
        }
        Value::Map(map) if map.is_empty() => "{}".to_string(),
        Value::Map(map) => {
            let body: String = map
                .iter()
                .map(|(key, item)| {
                    format!(
                        "{pad}{} = {}\n",
                        crate::lang::functions::go_quote(key),
                        console_value(item, indent + 1)
                    )
                })
                .collect();
            format!("{{\n{body}{close}}}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Span;

    #[test]
    fn spans_inside_a_character_render_without_panicking() {
        let mut sources = Sources::default();
        let file = sources.add("main.tf", "\u{feff}é = 1\n");
        let diag = Diagnostic::error("Invalid syntax").with_span(Some(Span::new(file, 1..4)));
        let text = diagnostic(&sources, &diag, false);
        assert!(text.contains("main.tf:1:1"), "{text}");
    }
}
