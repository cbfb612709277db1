//! Names, ids and ARNs: unique names for objects whose name the user may
//! leave out (Terraform's `name` / `name_prefix` and `bucket` /
//! `bucket_prefix` pairs), the pieces of composite ids, and the partition and
//! DNS suffix ARNs and endpoints are written with. Pure string work; no AWS
//! calls.

use crate::provider::{ErrorKind, ProviderError};
use crate::value::{Attrs, AttrsExt, Value};

/// The prefix of a generated name when the configuration writes neither a
/// name nor a prefix, for types whose prefix is read back.
pub const DEFAULT_PREFIX: &str = "terrane-";

/// Length of the unique suffix a generated name ends with: the length of
/// Terraform's unique-id suffix.
const SUFFIX_DIGITS: usize = 26;

/// [`unique_name`] for the types that read their prefix back
/// ([`prefix_from_name`]): `name_key` as written, else `prefix_key` (or
/// [`DEFAULT_PREFIX`]) plus the whole suffix. Nothing is cut, so a prefix too
/// long for the service fails at AWS rather than making a name whose prefix
/// can't be read back.
pub fn name_for_create(
    planned: &Attrs,
    name_key: &str,
    prefix_key: &str,
    client_token: &str,
) -> String {
    unique_name(
        planned.str(name_key),
        planned.str(prefix_key),
        DEFAULT_PREFIX,
        usize::MAX,
        client_token,
    )
}

/// The name to create an object with: the written `name`, else `prefix` (or
/// the type's default prefix) followed by a unique suffix, cut to `max_len`.
///
/// The suffix is 26 decimal digits derived from the create's client token,
/// so a retried create asks for the same name (and AWS's name uniqueness
/// makes it idempotent), and digits suit every service's naming rules (S3
/// allows no upper case). A name that fits whole gives its prefix back on
/// read through [`prefix_from_name`].
pub fn unique_name(
    written: Option<&str>,
    prefix: Option<&str>,
    default_prefix: &str,
    max_len: usize,
    client_token: &str,
) -> String {
    if let Some(name) = written.filter(|n| !n.is_empty()) {
        return name.to_string();
    }
    let prefix = prefix.unwrap_or(default_prefix);
    let suffix = unique_suffix(client_token);
    let room = max_len.saturating_sub(prefix.len()).min(SUFFIX_DIGITS);
    format!("{prefix}{}", &suffix[..room])
}

/// The prefix a name was generated from by [`unique_name`], or null for a
/// name that was written out in full.
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

/// The resource part of an ARN: everything after the fifth `:`
/// (`loadbalancer/app/web/123` in an ELB ARN).
pub fn arn_resource(arn: &str) -> &str {
    arn.splitn(6, ':').nth(5).unwrap_or_default()
}

/// Splits a composite id such as `id/name/scope` into its `N` parts, or
/// fails naming the expected shape. The last part keeps any further
/// separators.
pub fn split_id<'a, const N: usize>(
    id: &'a str,
    separator: char,
    shape: &str,
) -> Result<[&'a str; N], ProviderError> {
    let parts: Vec<&str> = id.splitn(N, separator).collect();
    <[&str; N]>::try_from(parts)
        .ok()
        .filter(|parts| parts.iter().all(|p| !p.is_empty()))
        .ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Validation,
                format!("malformed id {id:?}: expected {shape}"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_names_are_used_as_is() {
        assert_eq!(unique_name(Some("web"), Some("x-"), "tf-", 32, "t"), "web");
        assert_eq!(prefix_from_name("web"), Value::Null);
    }

    #[test]
    fn generated_names_are_stable_per_token_and_give_back_their_prefix() {
        let a = unique_name(None, Some("web-"), "tf-", 255, "token-a");
        assert_eq!(a, unique_name(None, Some("web-"), "tf-", 255, "token-a"));
        assert_ne!(a, unique_name(None, Some("web-"), "tf-", 255, "token-b"));
        assert_eq!(a.len(), "web-".len() + 26);
        assert_eq!(prefix_from_name(&a), Value::string("web-"));
        let defaulted = name_for_create(&Attrs::new(), "name", "name_prefix", "t");
        assert!(defaulted.starts_with(DEFAULT_PREFIX), "{defaulted}");
        assert_eq!(prefix_from_name(&defaulted), Value::string(DEFAULT_PREFIX));
    }

    #[test]
    fn generated_names_fit_the_limit_in_lower_case() {
        let token = "6f1c2a9e-0b7d-4c41-9a8e-3b2f7d6c5e4a";
        let generated = unique_name(None, None, "tf-lb-", 32, token);
        assert!(generated.starts_with("tf-lb-"), "{generated}");
        assert_eq!(generated.len(), 32);
        assert_eq!(unique_name(None, Some("web-"), "tf-", 32, token).len(), 30);
        assert_eq!(
            unique_name(None, Some("long-prefix-"), "tf-", 20, token).len(),
            20
        );
        assert_eq!(generated, generated.to_lowercase());
    }

    #[test]
    fn arn_pieces() {
        let arn = "arn:aws:elasticloadbalancing:us-east-1:123:loadbalancer/app/web/abc";
        assert_eq!(arn_resource(arn), "loadbalancer/app/web/abc");
        assert_eq!(arn_resource("nonsense"), "");
    }

    #[test]
    fn composite_ids_split_into_their_parts() {
        assert_eq!(
            split_id::<3>("a1/web/REGIONAL", '/', "ID/NAME/SCOPE").unwrap(),
            ["a1", "web", "REGIONAL"]
        );
        assert_eq!(
            split_id::<2>("arn:a,arn:b/c", ',', "A,B").unwrap(),
            ["arn:a", "arn:b/c"]
        );
        assert!(split_id::<3>("a1/web", '/', "ID/NAME/SCOPE").is_err());
        assert!(split_id::<2>(",b", ',', "A,B").is_err());
    }
}
