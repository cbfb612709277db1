//! Explaining syntax errors: where the mistake is, not where the parser gave up.
//!
//! For the commonest mistakes — a block never closed, a string never ended,
//! a heredoc without its end marker — the parser notices only much later,
//! often at the end of the file. When the parser rejects a file, this module
//! re-reads the text with a small scanner that follows only brackets,
//! strings, comments and heredocs, and names the likely cause. It never
//! decides whether a file is valid (the parser does) and knows nothing of
//! blocks or arguments.

use std::ops::Range;

use crate::diag::{Diagnostic, FileId, Sources, Span};

/// The text without the byte-order mark some editors write at its start,
/// which the parser does not accept.
pub fn without_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// The diagnostic for a file the parser rejected: the likely cause when the
/// scanner finds one, else the parser's own message.
pub fn parse_error(sources: &Sources, file: FileId, error: &hcl_edit::parser::Error) -> Diagnostic {
    let text = sources.get(file).text.as_str();
    let location = error.location();
    let at = sources.offset_of(file, location.line(), location.column());
    if let Some(cause) = explain(text, at) {
        return Diagnostic::error(cause.summary)
            .with_span(Some(Span::new(file, cause.range)))
            .with_detail(cause.detail)
            .with_hint(cause.hint);
    }
    // At the end of a line or of the text, point at the last character
    // written rather than at the line break.
    let at = if text[at..].starts_with(['\n', '\r']) || text[at..].trim().is_empty() {
        text[..at]
            .trim_end()
            .char_indices()
            .last()
            .map_or(at, |(i, _)| i)
    } else {
        at
    };
    let message = error.message();
    let diag = Diagnostic::error(format!("Invalid syntax: {message}"))
        .with_span(Some(Span::new(file, at..at + 1)));
    match hint(text[at..].chars().next(), message) {
        Some(hint) => diag.with_hint(hint),
        None => diag,
    }
}

/// Advice for the commonest slips the parser reports by what it expected.
fn hint(found: Option<char>, message: &str) -> Option<String> {
    match found {
        Some(c @ (';' | ',')) if message.contains("newline") => Some(format!(
            "each argument ends with a newline; remove the `{c}`"
        )),
        Some(':') if message.contains('=') => Some("set an argument with `=`, not `:`".into()),
        _ if message.ends_with("expected `{`") => {
            Some("set an argument with `=` (name = value); a block opens with `{`".into())
        }
        _ => None,
    }
}

/// The likely cause of a parse error, found by [`explain`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cause {
    pub summary: String,
    pub detail: String,
    pub hint: String,
    /// Where the mistake starts: the opening bracket, quote or marker.
    pub range: Range<usize>,
}

/// The likely cause of a parse error that the parser reported at byte
/// `error_at`, when the scanner finds one that explains it.
pub fn explain(text: &str, error_at: usize) -> Option<Cause> {
    let finding = scan(text)?;
    let explains = match &finding {
        // Always errors, and the parser may have backtracked to well before
        // them (to the start of the argument) or run on well past them.
        Finding::UnterminatedString { .. }
        | Finding::UnterminatedHeredoc { .. }
        | Finding::UnterminatedComment { .. } => true,
        Finding::Mismatched {
            open_at, close_at, ..
        } => *open_at <= error_at && error_at <= *close_at,
        Finding::Stray { at, .. } => *at == error_at,
        // Only when the parser ran out of text: an earlier error is its own.
        Finding::Unclosed { .. } => text
            .get(error_at..)
            .is_none_or(|rest| rest.trim().is_empty()),
    };
    explains.then(|| finding.cause(text))
}

#[derive(Debug, PartialEq, Eq)]
enum Finding {
    UnterminatedString {
        at: usize,
    },
    UnterminatedHeredoc {
        at: usize,
        marker: String,
    },
    UnterminatedComment {
        at: usize,
    },
    /// A bracket still open at the end of the file.
    Unclosed {
        open: u8,
        at: usize,
    },
    /// A closing bracket that does not match the innermost open one.
    Mismatched {
        open: u8,
        open_at: usize,
        close_at: usize,
    },
    /// A closing bracket with nothing open.
    Stray {
        close: u8,
        at: usize,
    },
}

impl Finding {
    fn cause(self, text: &str) -> Cause {
        match self {
            Finding::UnterminatedString { at } => {
                let end = text[at..].find('\n').map_or(text.len(), |n| at + n);
                Cause {
                    summary: "Invalid syntax: unterminated string".into(),
                    detail: "A quoted string must end with `\"` on the line it starts on.".into(),
                    hint: "add the closing `\"`; for text over several lines use a heredoc (<<EOT ... EOT)".into(),
                    range: at..end,
                }
            }
            Finding::UnterminatedHeredoc { at, marker } => {
                let end = text[at..].find('\n').map_or(text.len(), |n| at + n);
                Cause {
                    summary: "Invalid syntax: unterminated heredoc".into(),
                    detail: format!("No line holds only {marker:?} to end this heredoc."),
                    hint: format!("end the text with a line holding only {marker}"),
                    range: at..end,
                }
            }
            Finding::UnterminatedComment { at } => Cause {
                summary: "Invalid syntax: unterminated comment".into(),
                detail: "This `/*` comment has no closing `*/`.".into(),
                hint: "end the comment with `*/`".into(),
                range: at..at + 2,
            },
            Finding::Unclosed { open, at } => {
                let close = closing(open) as char;
                Cause {
                    summary: format!("Invalid syntax: unclosed `{}`", open as char),
                    detail: format!(
                        "There is no `{close}` for this `{}` before the end of the file.{}",
                        open as char,
                        // Blocks nest: the `}` missing may be an inner one's.
                        if open == b'{' {
                            " A `}` missing further in can also cause this."
                        } else {
                            ""
                        }
                    ),
                    hint: format!("add the missing `{close}`"),
                    range: at..at + 1,
                }
            }
            Finding::Stray { close, at } => Cause {
                summary: format!("Invalid syntax: unexpected `{}`", close as char),
                detail: format!(
                    "There is no open `{}` for it to close.",
                    opening(close) as char
                ),
                hint: format!(
                    "remove it, or add the `{}` it was meant to close",
                    opening(close) as char
                ),
                range: at..at + 1,
            },
            Finding::Mismatched {
                open,
                open_at,
                close_at,
            } => {
                let (line, _) = line_col(text, close_at);
                let close = closing(open) as char;
                Cause {
                    summary: format!("Invalid syntax: unclosed `{}`", open as char),
                    detail: format!(
                        "This `{}` is still open where line {line} closes with `{}`.",
                        open as char,
                        text.as_bytes()[close_at] as char
                    ),
                    hint: format!("add the missing `{close}`"),
                    range: open_at..open_at + 1,
                }
            }
        }
    }
}

fn closing(open: u8) -> u8 {
    match open {
        b'{' => b'}',
        b'[' => b']',
        _ => b')',
    }
}

fn opening(close: u8) -> u8 {
    match close {
        b'}' => b'{',
        b']' => b'[',
        _ => b'(',
    }
}

fn line_col(text: &str, at: usize) -> (usize, usize) {
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, column)
}

/// What is open at a point of the scan.
#[derive(Debug)]
enum Open {
    Bracket {
        byte: u8,
        at: usize,
    },
    /// A quoted string.
    Quoted {
        at: usize,
    },
    /// `${` or `%{` inside a quoted string.
    Template,
}

/// Scans the whole text; the first problem found, if any.
fn scan(text: &str) -> Option<Finding> {
    let bytes = text.as_bytes();
    let mut stack: Vec<Open> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let next = bytes.get(i + 1).copied();
        if let Some(Open::Quoted { at }) = stack.last() {
            let at = *at;
            match (b, next) {
                (b'\\', _) => i += 2,
                (b'"', _) => {
                    stack.pop();
                    i += 1;
                }
                (b'\n', _) => return Some(Finding::UnterminatedString { at }),
                // `$${` and `%%{` are escapes, not templates.
                (b'$', Some(b'$')) | (b'%', Some(b'%')) => i += 2,
                (b'$' | b'%', Some(b'{')) => {
                    stack.push(Open::Template);
                    i += 2;
                }
                _ => i += 1,
            }
            continue;
        }
        match (b, next) {
            (b'#', _) | (b'/', Some(b'/')) => {
                i = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
            }
            (b'/', Some(b'*')) => match text[i + 2..].find("*/") {
                Some(n) => i += 2 + n + 2,
                None => return Some(Finding::UnterminatedComment { at: i }),
            },
            (b'"', _) => {
                stack.push(Open::Quoted { at: i });
                i += 1;
            }
            (b'<', Some(b'<')) => match heredoc(text, i) {
                Some(Ok(end)) => i = end,
                Some(Err(marker)) => {
                    return Some(Finding::UnterminatedHeredoc { at: i, marker });
                }
                None => i += 2,
            },
            (b'{' | b'[' | b'(', _) => {
                stack.push(Open::Bracket { byte: b, at: i });
                i += 1;
            }
            (b'}' | b']' | b')', _) => {
                match stack.pop() {
                    Some(Open::Bracket { byte, .. }) if closing(byte) == b => {}
                    Some(Open::Template) if b == b'}' => {}
                    Some(Open::Bracket { byte, at }) => {
                        return Some(Finding::Mismatched {
                            open: byte,
                            open_at: at,
                            close_at: i,
                        });
                    }
                    None => return Some(Finding::Stray { close: b, at: i }),
                    // A closer inside a template: the parser's own message
                    // says it best.
                    _ => return None,
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    // At the end of the file: a string left open explains more than the
    // brackets around it.
    if let Some(at) = stack.iter().find_map(|open| match open {
        Open::Quoted { at } => Some(*at),
        _ => None,
    }) {
        return Some(Finding::UnterminatedString { at });
    }
    match stack.first()? {
        Open::Bracket { byte, at } => Some(Finding::Unclosed {
            open: *byte,
            at: *at,
        }),
        _ => None,
    }
}

/// A heredoc starting at `start` (`<<EOT` or `<<-EOT` then a newline): the
/// byte after its end marker's line, or the marker when it never ends.
/// `None` when this `<<` does not start a heredoc.
fn heredoc(text: &str, start: usize) -> Option<Result<usize, String>> {
    let rest = &text[start + 2..];
    let rest = rest.strip_prefix('-').unwrap_or(rest);
    let marker_len = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(rest.len());
    let marker = &rest[..marker_len];
    if marker.is_empty() || !marker.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        return None;
    }
    let after_marker = &rest[marker_len..];
    let body_start = after_marker
        .strip_prefix("\r\n")
        .or_else(|| after_marker.strip_prefix('\n'))?;
    let mut offset = text.len() - body_start.len();
    for line in body_start.split_inclusive('\n') {
        offset += line.len();
        if line.trim() == marker {
            return Some(Ok(offset));
        }
    }
    Some(Err(marker.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cause(text: &str) -> Option<(String, String)> {
        explain(text, text.len()).map(|c| (c.summary, text[c.range].to_string()))
    }

    #[test]
    fn finds_the_block_left_open() {
        let text =
            "resource \"a\" \"b\" {\n  x = 1\n\nresource \"a\" \"c\" {\n  y = { z = 2 }\n}\n";
        let (summary, at) = cause(text).expect("explained");
        assert_eq!(summary, "Invalid syntax: unclosed `{`");
        assert_eq!(at, "{");
        assert_eq!(explain(text, text.len()).expect("explained").range, 17..18);
    }

    #[test]
    fn finds_a_string_left_open() {
        let text = "x = \"10.0.0.0/16\ny = \"ok\"\n";
        assert_eq!(
            cause(text),
            Some((
                "Invalid syntax: unterminated string".into(),
                "\"10.0.0.0/16".into()
            ))
        );
    }

    #[test]
    fn templates_comments_and_escapes_are_not_mistaken_for_brackets() {
        let text = "x = \"${var.a}-%{if true}}{%{endif}$${\\\"\" # {\n// (\n/* [ */ y = [1]\n";
        assert_eq!(scan(text), None);
    }

    #[test]
    fn heredocs_are_skipped_and_their_end_checked() {
        let ok = "x = <<-EOT\n  { [ \"\n  EOT\ny = 1\n";
        assert_eq!(scan(ok), None);
        let open = "x = <<EOT\n{\n}\nEND\n";
        let found = explain(open, 10).expect("explained");
        assert_eq!(found.summary, "Invalid syntax: unterminated heredoc");
        assert_eq!(&open[found.range], "<<EOT");
    }

    #[test]
    fn a_mismatched_closer_points_at_the_opener() {
        let text = "x = f(1,\n}\n";
        let found = explain(text, 9).expect("explained");
        assert_eq!(found.summary, "Invalid syntax: unclosed `(`");
        assert_eq!(found.range, 5..6);
    }

    #[test]
    fn a_closer_with_nothing_open_is_pointed_at() {
        let text = "a {\n}\n}\n";
        let found = explain(text, 6).expect("explained");
        assert_eq!(found.summary, "Invalid syntax: unexpected `}`");
        assert_eq!(found.range, 6..7);
    }

    #[test]
    fn an_earlier_parser_error_is_left_alone() {
        // The parser stopped at `;` on line 2, before the end of the file.
        let text = "a {\n  x = 1;\n";
        assert_eq!(explain(text, 11), None);
    }
}
