//! `random_id`: `byte_length` random bytes, given as unpadded URL-safe
//! base64 (the id), padded standard base64, hex and decimal, each after
//! `prefix`. Replaced when any argument or `keepers` changes.

use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

use super::{LocalType, Randomness, count_argument};
use crate::provider::ProviderError;
use crate::provider::schema::{Attribute, Schema, Type};
use crate::value::{Attrs, AttrsExt, Value};

pub struct RandomId;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        vec![
            Attribute::required("byte_length", Type::Number).force_new(),
            Attribute::optional("prefix", Type::String).force_new(),
            Attribute::optional("keepers", Type::map_of(Type::String)).force_new(),
            Attribute::computed("id", Type::String),
            Attribute::computed("b64_url", Type::String),
            Attribute::computed("b64_std", Type::String),
            Attribute::computed("hex", Type::String),
            Attribute::computed("dec", Type::String),
        ],
        vec![],
    )
});

/// The bytes as one big-endian number, in decimal.
fn decimal(bytes: &[u8]) -> String {
    let mut digits: Vec<u8> = vec![0]; // least significant first
    for byte in bytes {
        let mut carry = u32::from(*byte);
        for digit in digits.iter_mut() {
            let value = u32::from(*digit) * 256 + carry;
            *digit = (value % 10) as u8;
            carry = value / 10;
        }
        while carry > 0 {
            digits.push((carry % 10) as u8);
            carry /= 10;
        }
    }
    digits.iter().rev().map(|d| char::from(b'0' + d)).collect()
}

impl LocalType for RandomId {
    fn type_name(&self) -> &'static str {
        "random_id"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    fn make(&self, _prior: Option<&Attrs>, planned: &Attrs) -> Result<Attrs, ProviderError> {
        let bytes = Randomness::new(None).bytes(count_argument(planned, "byte_length")?)?;
        let prefix = planned.str("prefix").unwrap_or_default();
        let id = URL_SAFE_NO_PAD.encode(&bytes);
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let mut object = planned.clone();
        for (name, value) in [
            ("b64_url", format!("{prefix}{id}")),
            ("b64_std", format!("{prefix}{}", STANDARD.encode(&bytes))),
            ("hex", format!("{prefix}{hex}")),
            ("dec", format!("{prefix}{}", decimal(&bytes))),
            ("id", id),
        ] {
            object.insert(name.into(), Value::string(value));
        }
        Ok(object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::attrs;

    #[test]
    fn encodes_the_same_bytes_every_way() {
        assert_eq!(decimal(&[0x01, 0x00]), "256");
        assert_eq!(decimal(&[0xff; 9]), "4722366482869645213695");
        let object = RandomId
            .make(
                None,
                &attrs([
                    ("byte_length", Value::from(8)),
                    ("prefix", Value::string("app-")),
                ]),
            )
            .unwrap();
        let hex = object.str("hex").unwrap();
        assert_eq!(hex.len(), "app-".len() + 16);
        let bytes = URL_SAFE_NO_PAD.decode(object.str("id").unwrap()).unwrap();
        let from_id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, format!("app-{from_id}"));
    }
}
