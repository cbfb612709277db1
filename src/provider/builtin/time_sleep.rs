//! `time_sleep`: waits `create_duration` when created and
//! `destroy_duration` when destroyed (Go-style durations: `30s`, `1m30s`,
//! `2h`), so what depends on it waits too. Replaced when `triggers`
//! change. Its id is the time it was created (RFC 3339).

use std::sync::LazyLock;
use std::time::Duration;

use super::LocalType;
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{ErrorKind, ProviderError};
use crate::value::{Attrs, AttrsExt, Value};

pub struct TimeSleep;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        vec![
            Attribute::optional("create_duration", Type::String).force_new(),
            Attribute::optional("destroy_duration", Type::String).force_new(),
            Attribute::optional("triggers", Type::map_of(Type::String)).force_new(),
            Attribute::computed("id", Type::String),
        ],
        vec![],
    )
});

/// A Go duration: numbers with units `ns`, `us`, `ms`, `s`, `m` or `h`,
/// e.g. `1m30s` or `1.5h`.
fn parse_duration(text: &str) -> Option<Duration> {
    let mut total = 0f64;
    let mut rest = text.trim();
    if rest == "0" {
        return Some(Duration::ZERO);
    }
    while !rest.is_empty() {
        let number_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let number: f64 = rest[..number_end].parse().ok()?;
        rest = &rest[number_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds = match &rest[..unit_end] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        total += number * seconds;
        rest = &rest[unit_end..];
    }
    Some(Duration::from_secs_f64(total))
}

fn duration_argument(attrs: &Attrs, name: &str) -> Result<Duration, ProviderError> {
    match attrs.str(name) {
        None => Ok(Duration::ZERO),
        Some(text) => parse_duration(text).ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Validation,
                format!("{name} {text:?} is not a duration such as \"30s\" or \"1m30s\""),
            )
        }),
    }
}

impl LocalType for TimeSleep {
    fn type_name(&self) -> &'static str {
        "time_sleep"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    fn make(&self, _prior: Option<&Attrs>, planned: &Attrs) -> Result<Attrs, ProviderError> {
        let now = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
        let mut object = planned.clone();
        object.insert("id".into(), Value::string(now));
        Ok(object)
    }

    fn create_delay(&self, planned: &Attrs) -> Result<Duration, ProviderError> {
        duration_argument(planned, "create_duration")
    }

    fn destroy_delay(&self, prior: &Attrs) -> Result<Duration, ProviderError> {
        duration_argument(prior, "destroy_duration")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_go_durations() {
        assert_eq!(parse_duration("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("1.5h"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("0"), Some(Duration::ZERO));
        assert_eq!(parse_duration("10 seconds"), None);
        assert_eq!(parse_duration("5"), None);
    }
}
