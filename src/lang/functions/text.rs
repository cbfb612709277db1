//! String functions beyond the basics: regular expressions, URL and text
//! encodings, CSV, and integer parsing.

use super::{Args, FnError, base64_encode};
use crate::number::Number;
use crate::value::{Attrs, Value};

/// Compiles a pattern the way Terraform's `regex` does (RE2 syntax, which
/// the `regex` crate shares), and says how matches are returned.
fn compile(args: &Args<'_>) -> Result<(regex::Regex, Captures), FnError> {
    let pattern = args.string(0)?;
    if let Some(refused) = go_syntax_error(&pattern) {
        return Err(FnError::arg(
            0,
            format!("invalid regexp pattern: {refused}"),
        ));
    }
    let re = regex::Regex::new(&pattern)
        .map_err(|e| FnError::arg(0, format!("invalid regexp pattern: {}", first_line(&e))))?;
    let names: Vec<Option<&str>> = re.capture_names().skip(1).collect();
    let captures = if names.is_empty() {
        Captures::None
    } else if names.iter().all(Option::is_some) {
        Captures::Named
    } else if names.iter().all(Option::is_none) {
        Captures::Unnamed
    } else {
        return Err(FnError::arg(
            0,
            "invalid regexp pattern: cannot mix both named and unnamed capture groups",
        ));
    };
    Ok((re, captures))
}

/// What Go's `regexp/syntax` says of a pattern it refuses, as Terraform
/// words it (`missing closing ) in (`): the error's code and the part of
/// the pattern it names. Covers the refusals both parsers share, and the
/// two Go makes that Rust's does not (a repetition of a repetition, a
/// count above 1,000). `None` for a pattern Go takes, or one refused for a
/// reason not mapped here (Rust's own words are used then).
fn go_syntax_error(pattern: &str) -> Option<String> {
    use regex_syntax::ast::{self, ErrorKind};
    let text = |span: &ast::Span| pattern[span.start.offset..span.end.offset].to_string();
    let parsed = ast::parse::Parser::new().parse(pattern);
    let (code, expr) = match parsed {
        Err(error) => {
            let span = error.span();
            match error.kind() {
                ErrorKind::GroupUnclosed => ("missing closing )", pattern.to_string()),
                ErrorKind::GroupUnopened => ("unexpected )", pattern.to_string()),
                ErrorKind::ClassUnclosed => (
                    "missing closing ]",
                    pattern[span.start.offset..].to_string(),
                ),
                ErrorKind::ClassRangeInvalid => ("invalid character class range", text(span)),
                ErrorKind::EscapeUnrecognized => ("invalid escape sequence", text(span)),
                ErrorKind::EscapeUnexpectedEof => {
                    ("trailing backslash at end of expression", String::new())
                }
                ErrorKind::RepetitionMissing => {
                    // The operator itself: Rust's span may be empty.
                    let rest = &pattern[span.start.offset..];
                    let len = match rest.starts_with('{') {
                        true => rest.find('}').map_or(rest.len(), |end| end + 1),
                        false => rest.chars().next().map_or(0, char::len_utf8),
                    };
                    (
                        "missing argument to repetition operator",
                        rest[..len].to_string(),
                    )
                }
                ErrorKind::RepetitionCountInvalid => ("invalid repeat count", text(span)),
                ErrorKind::FlagUnrecognized => {
                    let start = pattern[..span.start.offset].rfind("(?").unwrap_or(0);
                    (
                        "invalid or unsupported Perl syntax",
                        pattern[start..span.end.offset].to_string(),
                    )
                }
                _ => return None,
            }
        }
        Ok(parsed) => match go_only_refusal(&parsed) {
            Some((code, span)) => (code, text(&span)),
            // A Unicode class Go does not know: refused as a class range.
            None => match regex_syntax::Parser::new().parse(pattern) {
                Err(regex_syntax::Error::Translate(error))
                    if matches!(
                        error.kind(),
                        regex_syntax::hir::ErrorKind::UnicodePropertyNotFound
                            | regex_syntax::hir::ErrorKind::UnicodePropertyValueNotFound
                    ) =>
                {
                    ("invalid character class range", text(error.span()))
                }
                _ => return None,
            },
        },
    };
    Some(format!("{code} in {expr}"))
}

/// What Go refuses in a pattern Rust takes: a repetition applied straight
/// to another (`a**`), a count above 1,000 (`a{1001}`), and `[:name:]`
/// nested in a class where it is no ASCII class (`[[:foo:]]`).
fn go_only_refusal(
    node: &regex_syntax::ast::Ast,
) -> Option<(&'static str, regex_syntax::ast::Span)> {
    use regex_syntax::ast::{Ast, ClassSet, ClassSetItem, RepetitionKind, RepetitionRange};
    fn in_class(set: &ClassSet) -> Option<(&'static str, regex_syntax::ast::Span)> {
        match set {
            ClassSet::Item(ClassSetItem::Bracketed(nested)) => in_bracketed(nested),
            ClassSet::Item(ClassSetItem::Union(union)) => {
                union.items.iter().find_map(|item| match item {
                    ClassSetItem::Bracketed(nested) => in_bracketed(nested),
                    _ => None,
                })
            }
            ClassSet::Item(_) => None,
            ClassSet::BinaryOp(op) => in_class(&op.lhs).or_else(|| in_class(&op.rhs)),
        }
    }
    // Rust reads `[:foo:]` as a class of its letters; Go as a class name.
    fn in_bracketed(
        class: &regex_syntax::ast::ClassBracketed,
    ) -> Option<(&'static str, regex_syntax::ast::Span)> {
        let literal =
            |item: &ClassSetItem, c: char| matches!(item, ClassSetItem::Literal(l) if l.c == c);
        if let ClassSet::Item(ClassSetItem::Union(union)) = &class.kind
            && union.items.len() > 2
            && literal(&union.items[0], ':')
            && literal(&union.items[union.items.len() - 1], ':')
        {
            return Some(("invalid character class range", class.span));
        }
        in_class(&class.kind)
    }
    match node {
        Ast::ClassBracketed(class) => in_class(&class.kind),
        Ast::Repetition(repetition) => {
            let counts = match &repetition.op.kind {
                RepetitionKind::Range(
                    RepetitionRange::Exactly(n) | RepetitionRange::AtLeast(n),
                ) => {
                    vec![*n]
                }
                RepetitionKind::Range(RepetitionRange::Bounded(min, max)) => vec![*min, *max],
                _ => vec![],
            };
            if counts.iter().any(|n| *n > 1000) {
                return Some(("invalid repeat count", repetition.op.span));
            }
            if let Ast::Repetition(inner) = &*repetition.ast {
                let both = inner.op.span.with_end(repetition.op.span.end);
                return Some(("invalid nested repetition operator", both));
            }
            go_only_refusal(&repetition.ast)
        }
        Ast::Group(group) => go_only_refusal(&group.ast),
        Ast::Alternation(alternation) => alternation.asts.iter().find_map(go_only_refusal),
        Ast::Concat(concat) => concat.asts.iter().find_map(go_only_refusal),
        _ => None,
    }
}

fn first_line(err: &regex::Error) -> String {
    let text = err.to_string();
    text.lines()
        .rev()
        .find(|l| l.starts_with("error:"))
        .map_or(text.clone(), |l| {
            l.trim_start_matches("error:").trim().to_string()
        })
}

/// What one match becomes: the matched text when the pattern has no
/// capture groups, a list of the groups, or an object of the named ones.
#[derive(Clone, Copy)]
enum Captures {
    None,
    Unnamed,
    Named,
}

fn match_value(re: &regex::Regex, captures: Captures, found: &regex::Captures<'_>) -> Value {
    let group = |m: Option<regex::Match<'_>>| m.map_or(Value::Null, |m| Value::string(m.as_str()));
    match captures {
        Captures::None => group(found.get(0)),
        Captures::Unnamed => Value::List(found.iter().skip(1).map(group).collect()),
        Captures::Named => Value::Map(
            re.capture_names()
                .flatten()
                .map(|name| (name.to_string(), group(found.name(name))))
                .collect::<Attrs>()
                .into(),
        ),
    }
}

pub(super) fn regex(args: &Args<'_>) -> Result<Value, FnError> {
    let (re, captures) = compile(args)?;
    let text = args.string(1)?;
    let found = re
        .captures(&text)
        .ok_or_else(|| FnError::call("pattern did not match any part of the given string"))?;
    Ok(match_value(&re, captures, &found))
}

pub(super) fn regexall(args: &Args<'_>) -> Result<Value, FnError> {
    let (re, captures) = compile(args)?;
    let text = args.string(1)?;
    Ok(Value::List(
        re.captures_iter(&text)
            .map(|found| match_value(&re, captures, &found))
            .collect(),
    ))
}

/// `urlencode(str)`: Go's `url.QueryEscape`, which Terraform uses: spaces
/// become `+`, and all but letters, digits and `-_.~` are %-escaped.
pub(super) fn urlencode(args: &Args<'_>) -> Result<Value, FnError> {
    let text = args.string(0)?;
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    Ok(Value::String(out))
}

/// A character encoding by its IANA name or alias. UTF-16 is handled here,
/// since `encoding_rs` (following the WHATWG standard) decodes it but will
/// not encode to it.
enum Charset {
    Utf16 { big_endian: bool },
    Other(&'static encoding_rs::Encoding),
}

fn charset(args: &Args<'_>, index: usize) -> Result<(Charset, String), FnError> {
    let name = args.string(index)?;
    let charset = match name.to_ascii_lowercase().as_str() {
        "utf-16le" | "utf16le" => Some(Charset::Utf16 { big_endian: false }),
        "utf-16be" | "utf16be" => Some(Charset::Utf16 { big_endian: true }),
        label => encoding_rs::Encoding::for_label(label.as_bytes()).map(Charset::Other),
    };
    charset.map(|c| (c, name.clone())).ok_or_else(|| {
        FnError::arg(
            index,
            format!(
                "{name:?} is not a supported IANA encoding name or alias in this Terraform version"
            ),
        )
    })
}

pub(super) fn textencodebase64(args: &Args<'_>) -> Result<Value, FnError> {
    let text = args.string(0)?;
    let (charset, name) = charset(args, 1)?;
    let bytes: Vec<u8> = match charset {
        Charset::Utf16 { big_endian } => text
            .encode_utf16()
            .flat_map(|unit| {
                if big_endian {
                    unit.to_be_bytes()
                } else {
                    unit.to_le_bytes()
                }
            })
            .collect(),
        Charset::Other(encoding) => {
            let (bytes, _, unmappable) = encoding.encode(&text);
            if unmappable {
                return Err(FnError::arg(
                    0,
                    format!(
                        "the given string contains characters that cannot be represented in {name}"
                    ),
                ));
            }
            bytes.into_owned()
        }
    };
    Ok(Value::String(base64_encode(&bytes)))
}

pub(super) fn textdecodebase64(args: &Args<'_>) -> Result<Value, FnError> {
    let source = args.string(0)?;
    let bytes = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &source)
        .map_err(|e| {
            let offset = match e {
                base64::DecodeError::InvalidByte(offset, _) => offset,
                base64::DecodeError::InvalidLastSymbol { offset, .. } => offset,
                _ => source.len(),
            };
            FnError::arg(
                0,
                format!("the given value is has an invalid base64 symbol at offset {offset}"),
            )
        })?;
    let (charset, name) = charset(args, 1)?;
    let encoding = match charset {
        Charset::Utf16 { big_endian: false } => encoding_rs::UTF_16LE,
        Charset::Utf16 { big_endian: true } => encoding_rs::UTF_16BE,
        Charset::Other(encoding) => encoding,
    };
    let (text, malformed) = encoding.decode_without_bom_handling(&bytes);
    if malformed {
        return Err(FnError::arg(
            0,
            format!("the given string contains symbols that are not defined for {name}"),
        ));
    }
    Ok(Value::String(text.into_owned()))
}

/// `csvdecode(str)`: RFC 4180 CSV whose first line names the fields; one
/// object of strings per further line.
pub(super) fn csvdecode(args: &Args<'_>) -> Result<Value, FnError> {
    let text = args.string(0)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(false)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let parse_error = |e: csv::Error| {
        let line = e.position().map_or(1, |p| p.line());
        let what = match e.kind() {
            csv::ErrorKind::UnequalLengths { .. } => "wrong number of fields".to_string(),
            csv::ErrorKind::Utf8 { .. } => "invalid UTF-8".to_string(),
            _ => e.to_string(),
        };
        FnError::call(format!("CSV parse error on line {line}: {what}"))
    };
    let headers = match records.next() {
        None => return Err(FnError::call("missing header line")),
        Some(header) => header.map_err(parse_error)?,
    };
    let mut rows = Vec::new();
    for record in records {
        let record = record.map_err(parse_error)?;
        rows.push(Value::Map(
            headers
                .iter()
                .zip(record.iter())
                .map(|(name, field)| (name.to_string(), Value::string(field)))
                .collect(),
        ));
    }
    Ok(Value::List(rows.into()))
}

/// `parseint(number, base)`: an integer written in any base from 2 to 62,
/// with Go's digits (`0-9a-zA-Z`, case-insensitive up to base 36).
pub(super) fn parseint(args: &Args<'_>) -> Result<Value, FnError> {
    let text = match args.get(0) {
        Value::String(s) => s.clone(),
        other => {
            return Err(FnError::arg(
                0,
                format!("first argument must be a string, not {}", other.type_name()),
            ));
        }
    };
    let base = match args.number(1)?.to_i64() {
        Some(base @ 2..=62) => base as u32,
        _ => {
            return Err(FnError::arg(
                1,
                "base must be a whole number between 2 and 62 inclusive",
            ));
        }
    };
    let fail = || FnError::arg(0, format!("cannot parse {text:?} as a base {base} integer"));
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text.as_str()),
    };
    if digits.is_empty() {
        return Err(fail());
    }
    let mut value = num_bigint::BigInt::from(0);
    for c in digits.chars() {
        let digit = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'a'..='z' => c as u32 - 'a' as u32 + 10,
            'A'..='Z' if base <= 36 => c as u32 - 'A' as u32 + 10,
            'A'..='Z' => c as u32 - 'A' as u32 + 36,
            _ => return Err(fail()),
        };
        if digit >= base {
            return Err(fail());
        }
        value = value * base + digit;
    }
    // An integer of any size, exact (Terraform's SetInt).
    Ok(Value::Number(Number::from_bigint(&if negative {
        -value
    } else {
        value
    })))
}

/// `log(number, base)`.
pub(super) fn log(args: &Args<'_>) -> Result<Value, FnError> {
    let (number, base) = (args.float(0)?, args.float(1)?);
    super::machine_float(number.ln() / base.ln())
}
