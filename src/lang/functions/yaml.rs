//! `yamlencode` and `yamldecode`, as Terraform computes them.
//!
//! Decoding parses with `yaml-rust2` and then resolves plain scalars the way
//! Terraform's YAML library does, which follows YAML 1.1 (`yes` and `on` are
//! true, dates become RFC 3339 timestamps). Encoding writes the one style
//! Terraform's emitter produces (strings double-quoted, or as literal
//! blocks when they span lines; sequences not indented under keys; long
//! double-quoted strings folded at 80 columns), so the bytes are equal.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::dates;
use super::{Args, FnError};
use crate::number::Number;
use crate::value::{Attrs, Value};

// ---------------------------------------------------------------------------
// Decoding.

pub(super) fn yamldecode(args: &Args<'_>) -> Result<Value, FnError> {
    let text = args.string(0)?;
    // Terraform reads an empty document as a line break.
    let text = if text.is_empty() {
        "\n".to_string()
    } else {
        text
    };
    Decoder::new(&text).document().map_err(FnError::call)
}

struct Decoder<'a> {
    parser: Parser<std::str::Chars<'a>>,
    anchors: HashMap<usize, Value>,
}

/// A message placed as Terraform's YAML library places it: the line is
/// counted from zero, and a position on that first line is not given.
fn at(mark: Marker, message: &str) -> String {
    match mark.line().saturating_sub(1) {
        0 => message.to_string(),
        line => format!("on line {line}, column {}: {message}", mark.col() + 1),
    }
}

/// A syntax error as libyaml (under Terraform's YAML library) words it: its
/// problem without the context ("while parsing a flow sequence"). The
/// parser's errors are placed as [`at`] places them; the scanner's on the
/// line after, counted from zero, at column 1.
fn syntax_error(error: &yaml_rust2::ScanError) -> String {
    let info = error.info();
    let from_parser =
        info.starts_with("while parsing") || info.starts_with("did not find expected <");
    let problem = match info.split_once(", ") {
        Some((context, problem)) if context.starts_with("while ") => problem,
        _ => info,
    };
    let problem = match problem.strip_prefix("expected ") {
        Some(rest) => format!("did not find expected {rest}"),
        None => problem.to_string(),
    };
    let mark = *error.marker();
    if from_parser {
        return at(mark, &problem);
    }
    match mark.line().saturating_sub(1) {
        0 => problem,
        line => format!("on line {}, column 1: {problem}", line + 1),
    }
}

impl<'a> Decoder<'a> {
    fn new(text: &'a str) -> Decoder<'a> {
        Decoder {
            parser: Parser::new_from_str(text),
            anchors: HashMap::new(),
        }
    }

    fn next(&mut self) -> Result<(Event, Marker), String> {
        self.parser.next_token().map_err(|e| syntax_error(&e))
    }

    /// Exactly one document.
    fn document(&mut self) -> Result<Value, String> {
        let (mut event, mut mark) = self.next()?;
        if event == Event::StreamStart {
            (event, mark) = self.next()?;
        }
        if event != Event::DocumentStart {
            return Err(at(mark, "missing start of document"));
        }
        let (event, mark) = self.next()?;
        let value = self.value(event, mark)?;
        let (event, _) = self.next()?;
        if event != Event::DocumentEnd {
            return Err("unexpected content after the document".to_string());
        }
        match self.next()? {
            (Event::StreamEnd, _) => Ok(value),
            (_, mark) => Err(at(mark, "unexpected extra content after value")),
        }
    }

    fn value(&mut self, event: Event, mark: Marker) -> Result<Value, String> {
        let (value, anchor) = match event {
            Event::Scalar(text, style, anchor, tag) => {
                (resolve(&text, style, tag.as_ref(), mark)?, anchor)
            }
            Event::SequenceStart(anchor, _) => {
                let mut items = Vec::new();
                loop {
                    match self.next()? {
                        (Event::SequenceEnd, _) => break,
                        (event, mark) => items.push(self.value(event, mark)?),
                    }
                }
                (Value::List(items.into()), anchor)
            }
            Event::MappingStart(anchor, _) => {
                let mut map = Attrs::new();
                loop {
                    let (event, mark) = self.next()?;
                    if event == Event::MappingEnd {
                        break;
                    }
                    let key = self.value(event, mark)?;
                    let key = match key {
                        Value::Null => return Err(at(mark, "a mapping key must not be null")),
                        other => other.to_string_lossless().ok_or_else(|| {
                            at(mark, "a mapping key must be a string, number or bool")
                        })?,
                    };
                    let (event, mark) = self.next()?;
                    let value = self.value(event, mark)?;
                    map.insert(key, value);
                }
                (Value::Map(map.into()), anchor)
            }
            Event::Alias(id) => {
                return self
                    .anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| at(mark, "unknown anchor"));
            }
            _ => return Err(at(mark, "unexpected event")),
        };
        if anchor > 0 {
            self.anchors.insert(anchor, value.clone());
        }
        Ok(value)
    }
}

/// A scalar's value: quoted and block scalars are strings; plain ones are
/// null, bools, numbers and timestamps by YAML 1.1's rules, else strings.
fn resolve(
    text: &str,
    style: TScalarStyle,
    tag: Option<&Tag>,
    mark: Marker,
) -> Result<Value, String> {
    let tagged = tag.map(|t| t.suffix.trim_start_matches("tag:yaml.org,2002:"));
    let not_a = |kind: &str| {
        at(
            mark,
            &format!("cannot parse {text:?} as tag:yaml.org,2002:{kind}"),
        )
    };
    match tagged {
        Some("str") => return Ok(Value::string(text)),
        Some(kind @ ("int" | "float")) => {
            return plain_number(text)
                .map(Value::Number)
                .ok_or_else(|| not_a(kind));
        }
        Some("bool") => {
            return plain_bool(text)
                .map(Value::Bool)
                .ok_or_else(|| not_a("bool"));
        }
        Some("null") => return Ok(Value::Null),
        _ => {}
    }
    if style != TScalarStyle::Plain {
        return Ok(Value::string(text));
    }
    if matches!(text, "" | "~" | "null" | "Null" | "NULL") {
        return Ok(Value::Null);
    }
    if let Some(b) = plain_bool(text) {
        return Ok(Value::Bool(b));
    }
    if matches!(text, ".nan" | ".NaN" | ".NAN") {
        return Err(at(mark, "floating point NaN is not supported"));
    }
    if let Some(n) = plain_number(text) {
        return Ok(Value::Number(n));
    }
    if let Some(timestamp) = plain_timestamp(text) {
        return Ok(Value::String(timestamp));
    }
    Ok(Value::string(text))
}

fn plain_bool(text: &str) -> Option<bool> {
    match text {
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => {
            Some(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => {
            Some(false)
        }
        _ => None,
    }
}

/// Decimal numbers (a leading zero is still decimal) with Terraform's 512
/// bits, `0x`, `0o` and `0b` integers, and the infinities.
fn plain_number(text: &str) -> Option<Number> {
    match text {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Some(Number::infinity(false));
        }
        "-.inf" | "-.Inf" | "-.INF" => return Some(Number::infinity(true)),
        _ => {}
    }
    let (negative, unsigned) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(digits) = unsigned.strip_prefix(prefix) {
            let n = Number::from(u64::from_str_radix(&digits.replace('_', ""), radix).ok()?);
            return Some(if negative { n.neg() } else { n });
        }
    }
    let decimal = unsigned
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_digit() || b == b'.')
        && unsigned
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    if !decimal {
        return None;
    }
    Number::parse(text)
}

/// A date (`2001-12-14`) or an RFC 3339 timestamp, written as RFC 3339.
fn plain_timestamp(text: &str) -> Option<String> {
    let parts: Vec<&str> = text.split('-').collect();
    if let [year, month, day] = parts.as_slice()
        && year.len() == 4
        && (1..=2).contains(&month.len())
        && (1..=2).contains(&day.len())
        && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()))
    {
        let padded = format!("{year}-{month:0>2}-{day:0>2}T00:00:00Z");
        return dates::parse_timestamp(&padded).ok().map(|_| padded);
    }
    dates::parse_timestamp(text).ok().map(dates::format_rfc3339)
}

// ---------------------------------------------------------------------------
// Encoding.

pub(super) fn yamlencode(args: &Args<'_>) -> Result<Value, FnError> {
    let mut out = String::new();
    encode(args.get(0), Slot::Root, 0, 0, &mut out);
    Ok(Value::String(out))
}

/// Where a node is written.
#[derive(Clone, Copy, PartialEq)]
enum Slot {
    /// The document itself.
    Root,
    /// After `"key": ` in a mapping whose keys are at `indent`.
    MapValue,
    /// After `- ` in a sequence whose dashes are at `indent`.
    SeqItem,
}

/// The width past which double-quoted strings fold at a space.
const BEST_WIDTH: usize = 80;

/// Writes `value` at `column` of the current line, which its parent has
/// begun, ending with a line break. `indent` is the parent's indentation.
fn encode(value: &Value, slot: Slot, indent: usize, column: usize, out: &mut String) {
    let child = if slot == Slot::Root { 0 } else { indent + 2 };
    match value {
        Value::Map(map) if !map.is_empty() => {
            for (i, (key, item)) in map.iter().enumerate() {
                let key_indent = match slot {
                    Slot::MapValue => {
                        if i == 0 {
                            out.push('\n');
                        }
                        child
                    }
                    Slot::Root | Slot::SeqItem => child,
                };
                let mut col = column;
                if i > 0 || slot == Slot::MapValue {
                    out.push_str(&" ".repeat(key_indent));
                    col = key_indent;
                }
                let start = out.len();
                double_quoted(key, key_indent + 2, col, false, out);
                out.push(':');
                let written = out[start..].chars().count();
                let nested = matches!(item, Value::Map(m) if !m.is_empty())
                    || matches!(item, Value::List(l) if !l.is_empty());
                if !nested {
                    out.push(' ');
                }
                encode(item, Slot::MapValue, key_indent, col + written + 1, out);
            }
        }
        Value::List(items) if !items.is_empty() => {
            let dash_indent = match slot {
                Slot::Root => 0,
                Slot::MapValue => indent,
                Slot::SeqItem => child,
            };
            for (i, item) in items.iter().enumerate() {
                let first_inline = i == 0 && slot == Slot::SeqItem;
                if i == 0 && slot == Slot::MapValue {
                    out.push('\n');
                }
                let col = if first_inline {
                    column
                } else {
                    out.push_str(&" ".repeat(dash_indent));
                    dash_indent
                };
                out.push_str("- ");
                encode(item, Slot::SeqItem, dash_indent, col + 2, out);
            }
        }
        Value::Map(_) => out.push_str("{}\n"),
        Value::List(_) => out.push_str("[]\n"),
        Value::String(s) => {
            if s.contains('\n') && block_allowed(s) {
                literal(s, if slot == Slot::Root { 2 } else { child }, out);
            } else {
                double_quoted(
                    s,
                    if slot == Slot::Root { 2 } else { child },
                    column,
                    true,
                    out,
                );
                out.push('\n');
            }
        }
        plain => {
            out.push_str(&match plain {
                Value::Null => "null".to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Number(n) => n.to_string(),
                _ => "null".to_string(),
            });
            out.push('\n');
            if slot == Slot::Root {
                // A bare scalar document is open-ended.
                out.push_str("...\n");
            }
        }
    }
}

/// Whether the emitter may write the string as a literal block: not when
/// it holds characters that must be escaped or spaces before a line break.
fn block_allowed(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    let space_break = chars.windows(2).any(|w| w[0] == ' ' && w[1] == '\n');
    let trailing_space = chars.last() == Some(&' ');
    !space_break && !trailing_space && chars.iter().all(|&c| printable(c))
}

/// The characters YAML may write unescaped.
fn printable(c: char) -> bool {
    matches!(c, '\n' | '\u{20}'..='\u{7e}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}')
        && c != '\u{feff}'
}

/// A literal block (`|`), with the chomping indicator the string's
/// trailing line breaks need.
fn literal(s: &str, indent: usize, out: &mut String) {
    out.push('|');
    if s.starts_with([' ', '\n']) {
        out.push('2');
    }
    let trailing_breaks = s.len() - s.trim_end_matches('\n').len();
    match trailing_breaks {
        0 => out.push('-'),
        1 => {}
        _ => out.push('+'),
    }
    let body = s.strip_suffix('\n').unwrap_or(s);
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(&" ".repeat(indent));
            out.push_str(line);
        }
    }
    out.push('\n');
}

/// A double-quoted scalar, escaping what YAML requires and, when `fold`,
/// breaking the line at a space once past [`BEST_WIDTH`].
fn double_quoted(s: &str, indent: usize, mut column: usize, fold: bool, out: &mut String) {
    out.push('"');
    column += 1;
    let chars: Vec<char> = s.chars().collect();
    let mut after_space = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if !printable(c) || c == '\n' || c == '"' || c == '\\' {
            let escaped = match c {
                '\0' => "\\0".to_string(),
                '\u{7}' => "\\a".to_string(),
                '\u{8}' => "\\b".to_string(),
                '\t' => "\\t".to_string(),
                '\n' => "\\n".to_string(),
                '\u{b}' => "\\v".to_string(),
                '\u{c}' => "\\f".to_string(),
                '\r' => "\\r".to_string(),
                '\u{1b}' => "\\e".to_string(),
                '"' => "\\\"".to_string(),
                '\\' => "\\\\".to_string(),
                '\u{85}' => "\\N".to_string(),
                '\u{a0}' => "\\_".to_string(),
                '\u{2028}' => "\\L".to_string(),
                '\u{2029}' => "\\P".to_string(),
                c if (c as u32) <= 0xff => format!("\\x{:02X}", c as u32),
                c if (c as u32) <= 0xffff => format!("\\u{:04X}", c as u32),
                c => format!("\\U{:08X}", c as u32),
            };
            column += escaped.chars().count();
            out.push_str(&escaped);
            after_space = false;
        } else if c == ' ' {
            if fold && !after_space && column > BEST_WIDTH && i != 0 && i != chars.len() - 1 {
                out.push('\n');
                out.push_str(&" ".repeat(indent));
                column = indent;
                if chars.get(i + 1) == Some(&' ') {
                    out.push('\\');
                    column += 1;
                }
            } else {
                out.push(' ');
                column += 1;
            }
            after_space = true;
        } else {
            out.push(c);
            column += 1;
            after_space = false;
        }
        i += 1;
    }
    out.push('"');
}
