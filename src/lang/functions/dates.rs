//! Time functions: `timestamp`, `plantimestamp`, `formatdate`, `timeadd` and
//! `timecmp`. Timestamps are RFC 3339 strings, read with the strictness and
//! messages of Terraform's parser and written as Go's `time.RFC3339` writes
//! them (whole seconds, `Z` for UTC).

use time::{Duration, OffsetDateTime, UtcOffset};

use super::{Args, FnError};
use crate::value::Value;

/// A clock reading as Terraform prints `timestamp()`.
pub(crate) fn rfc3339_utc(unix_seconds: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix_seconds)
        .map(format_rfc3339)
        .unwrap_or_default()
}

pub(super) fn format_rfc3339(t: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        offset_text(t.offset(), true, true)
    )
}

/// `Z` (when `z_for_utc`) or `+hh:mm` / `+hhmm`.
fn offset_text(offset: UtcOffset, z_for_utc: bool, colon: bool) -> String {
    if z_for_utc && offset.is_utc() {
        return "Z".to_string();
    }
    let (h, m, _) = offset.as_hms();
    let sign = if offset.is_negative() { '-' } else { '+' };
    let separator = if colon { ":" } else { "" };
    format!("{sign}{:02}{separator}{:02}", h.abs(), m.abs())
}

pub(super) fn timestamp(args: &Args<'_>) -> Result<Value, FnError> {
    Ok(args
        .ctx
        .clock
        .now
        .map_or(Value::Unknown, |now| Value::String(rfc3339_utc(now))))
}

pub(super) fn plantimestamp(args: &Args<'_>) -> Result<Value, FnError> {
    Ok(args
        .ctx
        .clock
        .plan
        .map_or(Value::Unknown, |plan| Value::String(rfc3339_utc(plan))))
}

/// Reads an RFC 3339 timestamp, failing with Terraform's messages, which
/// name the part at fault.
pub(super) fn parse_timestamp(text: &str) -> Result<OffsetDateTime, String> {
    let invalid = |what: String| format!("not a valid RFC3339 timestamp: {what}");
    let mut rest = text;
    let number = |rest: &mut &str, width: usize, what: &str| -> Result<u32, String> {
        let digits = rest
            .get(..width)
            .filter(|d| d.bytes().all(|b| b.is_ascii_digit()));
        match digits {
            Some(d) => {
                *rest = &rest[width..];
                Ok(d.parse().unwrap_or(0))
            }
            None if rest.is_empty() => Err(invalid(format!("end of string before {what}"))),
            None => Err(invalid(format!("cannot use {rest:?} as {what}"))),
        }
    };
    let literal = |rest: &mut &str, expected: char| -> Result<(), String> {
        match rest.strip_prefix(expected) {
            Some(after) => {
                *rest = after;
                Ok(())
            }
            None if expected == 'T' => {
                Err(invalid("missing required time introducer 'T'".to_string()))
            }
            None if rest.is_empty() => Err(invalid(format!(
                "end of string where \"{expected}\" is expected"
            ))),
            None => Err(invalid(format!(
                "found {rest:?} where \"{expected}\" is expected"
            ))),
        }
    };
    let year = number(&mut rest, 4, "year")?;
    literal(&mut rest, '-')?;
    let month = number(&mut rest, 2, "month")?;
    literal(&mut rest, '-')?;
    let day = number(&mut rest, 2, "day of month")?;
    literal(&mut rest, 'T')?;
    let hour = number(&mut rest, 2, "hour")?;
    literal(&mut rest, ':')?;
    let minute = number(&mut rest, 2, "minute")?;
    literal(&mut rest, ':')?;
    let second = number(&mut rest, 2, "second")?;
    let mut nanos = 0u32;
    if let Some(fraction) = rest.strip_prefix(['.', ',']) {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 {
            let padded = format!("{:0<9}", &fraction[..digits.min(9)]);
            nanos = padded.parse().unwrap_or(0);
            rest = &fraction[digits..];
        }
    }
    let offset = if let Some(after) = rest.strip_prefix('Z') {
        rest = after;
        UtcOffset::UTC
    } else {
        let sign = match rest.as_bytes().first() {
            Some(b'+') => 1,
            Some(b'-') => -1,
            _ if rest.is_empty() => return Err(invalid("end of string before UTC offset".into())),
            _ => return Err(invalid(format!("cannot use {rest:?} as UTC offset"))),
        };
        let zone = &rest[1..];
        let whole = rest;
        let bad = || invalid(format!("cannot use {whole:?} as UTC offset"));
        let (h, m) = match (zone.get(..2), zone.get(2..3), zone.get(3..5)) {
            (Some(h), Some(":"), Some(m)) => (
                h.parse::<i8>().map_err(|_| bad())?,
                m.parse::<i8>().map_err(|_| bad())?,
            ),
            _ => return Err(bad()),
        };
        rest = &zone[5..];
        UtcOffset::from_hms(sign * h, sign * m, 0).map_err(|_| bad())?
    };
    if !rest.is_empty() {
        return Err(invalid(format!("extra text: {rest:?}")));
    }
    let month =
        time::Month::try_from(month as u8).map_err(|_| invalid("month out of range".into()))?;
    let date = time::Date::from_calendar_date(year as i32, month, day as u8)
        .map_err(|_| invalid("day out of range".into()))?;
    let time = time::Time::from_hms_nano(hour as u8, minute as u8, second as u8, nanos)
        .map_err(|_| invalid("hour, minute or second out of range".into()))?;
    Ok(date.with_time(time).assume_offset(offset))
}

fn timestamp_arg(args: &Args<'_>, index: usize) -> Result<OffsetDateTime, FnError> {
    parse_timestamp(&args.string(index)?).map_err(|e| FnError::arg(index, e))
}

/// `timecmp(a, b)`: -1, 0 or 1 as `a` is before, at or after `b`.
pub(super) fn timecmp(args: &Args<'_>) -> Result<Value, FnError> {
    let (a, b) = (timestamp_arg(args, 0)?, timestamp_arg(args, 1)?);
    Ok(Value::from(match a.cmp(&b) {
        std::cmp::Ordering::Less => -1,
        std::cmp::Ordering::Equal => 0,
        std::cmp::Ordering::Greater => 1,
    }))
}

/// `timeadd(timestamp, duration)`: the time moved by a Go duration
/// (`"1h30m"`, `"-10s"`, `"1.5h"`), in the timestamp's own offset.
pub(super) fn timeadd(args: &Args<'_>) -> Result<Value, FnError> {
    let start = parse_timestamp(&args.string(0)?).map_err(FnError::call)?;
    let duration = parse_go_duration(&args.string(1)?).map_err(FnError::call)?;
    let end = start
        .checked_add(duration)
        .ok_or_else(|| FnError::call("the resulting time is out of range"))?;
    Ok(Value::String(format_rfc3339(end)))
}

/// Go's `time.ParseDuration`: a signed sequence of decimal numbers, each
/// with a unit (`ns`, `us`, `µs`, `ms`, `s`, `m`, `h`).
fn parse_go_duration(text: &str) -> Result<Duration, String> {
    let invalid = || format!("time: invalid duration {text:?}");
    let (negative, mut rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total_nanos: f64 = 0.0;
    while !rest.is_empty() {
        let number_len = rest
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b'.')
            .count();
        let number = &rest[..number_len];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return Err(invalid());
        }
        let value: f64 = number.parse().map_err(|_| invalid())?;
        rest = &rest[number_len..];
        let unit_len = rest
            .char_indices()
            .find(|(_, c)| c.is_ascii_digit() || *c == '.')
            .map_or(rest.len(), |(i, _)| i);
        let unit = &rest[..unit_len];
        if unit.is_empty() {
            return Err(format!("time: missing unit in duration {text:?}"));
        }
        let scale = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            other => return Err(format!("time: unknown unit {other:?} in duration {text:?}")),
        };
        total_nanos += value * scale;
        rest = &rest[unit_len..];
    }
    if total_nanos > i64::MAX as f64 {
        return Err(invalid());
    }
    let nanos = total_nanos as i64;
    Ok(Duration::nanoseconds(if negative { -nanos } else { nanos }))
}

/// `formatdate(spec, timestamp)`: Terraform's own format language, where
/// runs of a letter are fields (`YYYY`, `MMM`, `hh`, ...), `'...'` is
/// literal text and other characters stand for themselves.
pub(super) fn formatdate(args: &Args<'_>) -> Result<Value, FnError> {
    let spec = args.string(0)?;
    let t = timestamp_arg(args, 1)?;
    let mut out = String::new();
    let chars: Vec<char> = spec.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            // A quoted literal; '' inside (or alone) is a quote.
            let mut j = i + 1;
            if chars.get(j) == Some(&'\'') {
                out.push('\'');
                i = j + 1;
                continue;
            }
            loop {
                match chars.get(j) {
                    None => {
                        return Err(FnError::arg(0, "unterminated literal '"));
                    }
                    Some('\'') if chars.get(j + 1) == Some(&'\'') => {
                        out.push('\'');
                        j += 2;
                    }
                    Some('\'') => break,
                    Some(&other) => {
                        out.push(other);
                        j += 1;
                    }
                }
            }
            i = j + 1;
            continue;
        }
        if !c.is_ascii_alphabetic() {
            out.push(c);
            i += 1;
            continue;
        }
        let run = chars[i..].iter().take_while(|&&d| d == c).count();
        let verb: String = chars[i..i + run].iter().collect();
        out.push_str(
            &format_field(&verb, t)
                .ok_or_else(|| FnError::arg(0, format!("invalid date format verb {verb:?}")))?,
        );
        i += run;
    }
    Ok(Value::String(out))
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn format_field(verb: &str, t: OffsetDateTime) -> Option<String> {
    let hour12 = match t.hour() % 12 {
        0 => 12,
        h => h,
    };
    let month = MONTHS[usize::from(u8::from(t.month())) - 1];
    let weekday = match t.weekday() {
        time::Weekday::Monday => "Monday",
        time::Weekday::Tuesday => "Tuesday",
        time::Weekday::Wednesday => "Wednesday",
        time::Weekday::Thursday => "Thursday",
        time::Weekday::Friday => "Friday",
        time::Weekday::Saturday => "Saturday",
        time::Weekday::Sunday => "Sunday",
    };
    let pm = t.hour() >= 12;
    Some(match verb {
        "YYYY" => format!("{:04}", t.year()),
        "YY" => format!("{:02}", t.year().rem_euclid(100)),
        "MMMM" => month.to_string(),
        "MMM" => month[..3].to_string(),
        "MM" => format!("{:02}", u8::from(t.month())),
        "M" => u8::from(t.month()).to_string(),
        "DD" => format!("{:02}", t.day()),
        "D" => t.day().to_string(),
        "EEEE" => weekday.to_string(),
        "EEE" => weekday[..3].to_string(),
        "hh" => format!("{:02}", t.hour()),
        "h" => t.hour().to_string(),
        "HH" => format!("{hour12:02}"),
        "H" => hour12.to_string(),
        "AA" => (if pm { "PM" } else { "AM" }).to_string(),
        "aa" => (if pm { "pm" } else { "am" }).to_string(),
        "mm" => format!("{:02}", t.minute()),
        "m" => t.minute().to_string(),
        "ss" => format!("{:02}", t.second()),
        "s" => t.second().to_string(),
        "ZZZZZ" => offset_text(t.offset(), false, true),
        "ZZZZ" => offset_text(t.offset(), false, false),
        "ZZZ" if t.offset().is_utc() => "UTC".to_string(),
        "ZZZ" => offset_text(t.offset(), false, false),
        "Z" => offset_text(t.offset(), true, true),
        _ => return None,
    })
}
