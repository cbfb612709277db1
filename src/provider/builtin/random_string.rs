//! `random_string`: a random string of `length` characters from the
//! enabled character classes, with at least `min_*` of each. Replaced when
//! any argument or `keepers` changes. Its id is the string.

use std::sync::LazyLock;

use super::{LocalType, Randomness, count_argument};
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{ErrorKind, ProviderError};
use crate::value::{Attrs, AttrsExt, Value};

pub struct RandomString;

const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const NUMERIC: &str = "0123456789";
/// hashicorp/random's default special characters.
const SPECIAL: &str = "!@#$%&*()-_=+[]{}<>:?";

/// The schema of `random_string`, and of `random_password` with its result
/// sensitive.
pub(super) fn string_schema(sensitive: bool) -> Schema {
    let result = Attribute::computed("result", Type::String);
    Schema::new(
        vec![
            Attribute::required("length", Type::Number).force_new(),
            Attribute::optional("keepers", Type::map_of(Type::String)).force_new(),
            Attribute::optional("special", Type::Bool)
                .default(true)
                .force_new(),
            Attribute::optional("upper", Type::Bool)
                .default(true)
                .force_new(),
            Attribute::optional("lower", Type::Bool)
                .default(true)
                .force_new(),
            Attribute::optional("numeric", Type::Bool)
                .default(true)
                .force_new(),
            Attribute::optional("min_special", Type::Number)
                .default(0)
                .force_new(),
            Attribute::optional("min_upper", Type::Number)
                .default(0)
                .force_new(),
            Attribute::optional("min_lower", Type::Number)
                .default(0)
                .force_new(),
            Attribute::optional("min_numeric", Type::Number)
                .default(0)
                .force_new(),
            Attribute::optional("override_special", Type::String).force_new(),
            if sensitive {
                result.sensitive()
            } else {
                result
            },
            Attribute::computed("id", Type::String),
        ],
        vec![],
    )
}

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| string_schema(false));

/// Draws the string `planned` asks for.
pub(super) fn random_text(planned: &Attrs) -> Result<String, ProviderError> {
    let length = count_argument(planned, "length")?;
    let special = planned
        .str("override_special")
        .unwrap_or(SPECIAL)
        .to_string();
    let classes = [
        ("lower", "min_lower", LOWER.to_string()),
        ("upper", "min_upper", UPPER.to_string()),
        ("numeric", "min_numeric", NUMERIC.to_string()),
        ("special", "min_special", special),
    ];
    let mut random = Randomness::new(None);
    let mut chosen: Vec<char> = Vec::with_capacity(length);
    let mut pool = String::new();
    for (enabled, minimum, characters) in &classes {
        if !planned.bool(enabled).unwrap_or(true) || characters.is_empty() {
            continue;
        }
        pool.push_str(characters);
        let characters: Vec<char> = characters.chars().collect();
        for _ in 0..count_argument(planned, minimum).unwrap_or(0) {
            chosen.push(characters[random.below(characters.len() as u64)? as usize]);
        }
    }
    if chosen.len() > length {
        return Err(ProviderError::new(
            ErrorKind::Validation,
            format!(
                "the min_* arguments ask for {} characters, more than length ({length})",
                chosen.len()
            ),
        ));
    }
    let pool: Vec<char> = pool.chars().collect();
    if pool.is_empty() && length > 0 {
        return Err(ProviderError::new(
            ErrorKind::Validation,
            "every character class is disabled",
        ));
    }
    while chosen.len() < length {
        chosen.push(pool[random.below(pool.len() as u64)? as usize]);
    }
    random.shuffle(&mut chosen)?;
    Ok(chosen.into_iter().collect())
}

impl LocalType for RandomString {
    fn type_name(&self) -> &'static str {
        "random_string"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    fn make(&self, _prior: Option<&Attrs>, planned: &Attrs) -> Result<Attrs, ProviderError> {
        let text = random_text(planned)?;
        let mut object = planned.clone();
        object.insert("result".into(), Value::string(text.clone()));
        object.insert("id".into(), Value::string(text));
        Ok(object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::attrs;

    #[test]
    fn honours_length_classes_and_minimums() {
        let planned = attrs([
            ("length", Value::from(24)),
            ("special", Value::Bool(false)),
            ("upper", Value::Bool(false)),
            ("min_numeric", Value::from(5)),
        ]);
        let object = RandomString.make(None, &planned).unwrap();
        let text = object.str("result").unwrap();
        assert_eq!(text.chars().count(), 24);
        assert!(
            text.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        );
        assert!(text.chars().filter(char::is_ascii_digit).count() >= 5);
        assert_eq!(object.str("id"), Some(text));
        let too_many = attrs([("length", Value::from(2)), ("min_upper", Value::from(3))]);
        assert!(RandomString.make(None, &too_many).is_err());
    }
}
