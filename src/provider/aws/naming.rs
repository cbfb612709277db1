//! Names for objects whose `name` is optional: Terraform's `name` /
//! `name_prefix` pair.
//!
//! A generated name is the prefix plus a 26-digit suffix, the length and shape
//! of Terraform's unique-id suffix, so `name_prefix` can be recovered from
//! the name on read. The suffix is derived from the create's client token, so
//! a create that is retried after an interruption asks for the same name
//! rather than making a second object. Pure: no AWS calls.

use crate::value::{Attrs, AttrsExt, Value};

/// The prefix used when the configuration writes neither name nor prefix.
pub const DEFAULT_PREFIX: &str = "terrane-";

const SUFFIX_DIGITS: usize = 26;

/// The name to create with: `name` as written, else `name_prefix` (or the
/// default prefix) followed by a suffix unique to this planned create.
pub fn name_for_create(
    planned: &Attrs,
    name_key: &str,
    prefix_key: &str,
    client_token: &str,
) -> String {
    if let Some(name) = planned.str(name_key).filter(|n| !n.is_empty()) {
        return name.to_string();
    }
    let prefix = planned.str(prefix_key).unwrap_or(DEFAULT_PREFIX);
    format!("{prefix}{}", unique_suffix(client_token))
}

/// The `name_prefix` a name was generated from, or null for a name that was
/// written out in full.
pub fn prefix_from_name(name: &str) -> Value {
    let Some(split) = name.len().checked_sub(SUFFIX_DIGITS) else {
        return Value::Null;
    };
    match name.split_at_checked(split) {
        Some((prefix, suffix)) if suffix.bytes().all(|b| b.is_ascii_digit()) => {
            Value::string(prefix)
        }
        _ => Value::Null,
    }
}

/// 26 decimal digits derived from the token (FNV-1a, 128-bit).
fn unique_suffix(client_token: &str) -> String {
    const OFFSET: u128 = 0x6c62272e07bb014262b821756295c58d;
    const PRIME: u128 = 0x0000000001000000000000000000013B;
    let hash = client_token
        .bytes()
        .fold(OFFSET, |h, b| (h ^ u128::from(b)).wrapping_mul(PRIME));
    format!("{:026}", hash % 10u128.pow(SUFFIX_DIGITS as u32))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::attrs;

    #[test]
    fn written_name_is_used_as_is() {
        let planned = attrs([("name", Value::string("web"))]);
        assert_eq!(
            name_for_create(&planned, "name", "name_prefix", "t1"),
            "web"
        );
        assert_eq!(prefix_from_name("web"), Value::Null);
    }

    #[test]
    fn generated_name_is_stable_per_token_and_gives_back_its_prefix() {
        let planned = attrs([("name_prefix", Value::string("web-"))]);
        let a = name_for_create(&planned, "name", "name_prefix", "token-a");
        assert_eq!(
            a,
            name_for_create(&planned, "name", "name_prefix", "token-a")
        );
        assert_ne!(
            a,
            name_for_create(&planned, "name", "name_prefix", "token-b")
        );
        assert_eq!(a.len(), "web-".len() + 26);
        assert_eq!(prefix_from_name(&a), Value::string("web-"));
    }

    #[test]
    fn default_prefix_when_nothing_is_written() {
        let name = name_for_create(&Attrs::new(), "name", "name_prefix", "t");
        assert!(name.starts_with(DEFAULT_PREFIX), "{name}");
        assert_eq!(prefix_from_name(&name), Value::string(DEFAULT_PREFIX));
    }
}
