//! Small conversions between SDK shapes and values that every resource type
//! needs: nested blocks as lists of objects, typed argument access, change
//! detection. No AWS calls.

use std::collections::BTreeMap;

use crate::provider::{ErrorKind, ProviderError};
use crate::value::{Attrs, AttrsExt, Value};

/// Whether an object AWS says it made at `made` can be the one a create
/// that began at `started` made (a minute of slack for clock skew): the
/// old object of a create_before_destroy replacement carries the same
/// tags and must not be taken for the new one.
pub fn made_since(made: &aws_smithy_types::DateTime, started: std::time::SystemTime) -> bool {
    let started = started
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    made.secs() >= started - 60
}

/// User data as Terraform's state keeps it: the SHA-1 of the text, in hex
/// (a value that already is one is left as it is).
pub fn user_data_digest(text: &str) -> String {
    use sha1::Digest as _;
    let is_digest = text.len() == 40 && text.bytes().all(|b| b.is_ascii_hexdigit());
    if is_digest {
        text.to_ascii_lowercase()
    } else {
        hex::encode(sha1::Sha1::digest(text.as_bytes()))
    }
}

/// A nested block holding one object, as the engine represents `x {}`.
pub fn block(attrs: Attrs) -> Value {
    Value::List(vec![Value::Map(attrs.into())].into())
}

/// A nested block that AWS may or may not have: one object or none.
pub fn optional_block(attrs: Option<Attrs>) -> Value {
    Value::List(attrs.into_iter().map(Value::object).collect())
}

/// An object inside a nested block, the way a user writes it: attributes
/// AWS left unset and blocks with no objects are left out, so reading back
/// what was written compares equal.
pub fn nested<'a>(pairs: impl IntoIterator<Item = (&'a str, Value)>) -> Attrs {
    pairs
        .into_iter()
        .filter(|(_, v)| !v.is_null() && v.as_list().is_none_or(|items| !items.is_empty()))
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

/// The object of a single nested block (`health_check {}`), if written.
pub fn single<'a>(attrs: &'a Attrs, key: &str) -> Option<&'a Attrs> {
    attrs.blocks(key).into_iter().next()
}

/// A batch read's answer from the objects a Describe call found: each
/// object's attributes (`read` is given the object and its id) filed under
/// its id. Objects the answer carries without an id are left out.
pub fn keyed_by_id<'a, T: 'a>(
    objects: impl IntoIterator<Item = &'a T>,
    id_of: impl Fn(&'a T) -> Option<&'a str>,
    read: impl Fn(&'a T, &'a str) -> Attrs,
) -> BTreeMap<String, Attrs> {
    objects
        .into_iter()
        .filter_map(|object| {
            let id = id_of(object)?;
            Some((id.to_string(), read(object, id)))
        })
        .collect()
}

/// The object's id from prior state; every read returns it.
pub fn prior_id(prior: &Attrs) -> Result<&str, ProviderError> {
    prior
        .str("id")
        .ok_or_else(|| ProviderError::new(ErrorKind::Other, "the prior state has no id"))
}

/// A planned argument the schema marks required.
pub fn required_str<'a>(planned: &'a Attrs, name: &str) -> Result<&'a str, ProviderError> {
    planned.str(name).ok_or_else(|| {
        ProviderError::new(
            ErrorKind::Validation,
            format!("the argument {name:?} is required"),
        )
    })
}

/// True when an argument's planned value differs from its prior one.
pub fn differs(prior: &Attrs, planned: &Attrs, key: &str) -> bool {
    prior.get(key).unwrap_or(&Value::Null) != planned.get(key).unwrap_or(&Value::Null)
}

/// A whole-number argument as the `i32` most AWS APIs take. Values beyond
/// `i32` are clamped, so AWS rejects them with its own validation error
/// instead of receiving a wrapped number or nothing at all.
pub fn i32_arg(attrs: &Attrs, key: &str) -> Option<i32> {
    attrs
        .i64(key)
        .map(|n| n.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32)
}

/// `Some(items)` unless there are none: an optional list argument as the
/// SDK's setters take it.
pub fn non_empty<T>(items: Vec<T>) -> Option<Vec<T>> {
    (!items.is_empty()).then_some(items)
}

/// A time AWS answered, as Terraform's state writes it (RFC 3339).
pub fn timestamp(time: Option<&aws_smithy_types::DateTime>) -> Value {
    time.and_then(|t| t.fmt(aws_smithy_types::date_time::Format::DateTime).ok())
        .into()
}

/// What a string-set argument adds and drops from `prior` to `planned`,
/// each sorted.
pub fn string_set_changes(prior: &Attrs, planned: &Attrs, key: &str) -> (Vec<String>, Vec<String>) {
    let set = |attrs: &Attrs| -> std::collections::BTreeSet<String> {
        attrs.strings(key).into_iter().collect()
    };
    let (before, after) = (set(prior), set(planned));
    (
        after.difference(&before).cloned().collect(),
        before.difference(&after).cloned().collect(),
    )
}

/// The items `planned` has and `prior` lacks, and the reverse, compared
/// whole (the items of a set block, in canonical form).
pub fn set_changes<T: PartialEq + Clone>(prior: &[T], planned: &[T]) -> (Vec<T>, Vec<T>) {
    let missing_from = |from: &[T], of: &[T]| -> Vec<T> {
        of.iter().filter(|x| !from.contains(x)).cloned().collect()
    };
    (missing_from(prior, planned), missing_from(planned, prior))
}

/// A string set as a sorted value, the canonical form of a set.
pub fn string_set<S: Into<String>>(items: impl IntoIterator<Item = S>) -> Value {
    Value::List(items.into_iter().map(|s| Value::String(s.into())).collect()).into_set()
}

/// [`string_set`] for an optional argument that AWS reports as an empty
/// list when none was written: empty reads as null, as the unwritten
/// argument plans.
pub fn string_set_or_null<S: Into<String>>(items: impl IntoIterator<Item = S>) -> Value {
    match string_set(items) {
        Value::List(items) if items.is_empty() => Value::Null,
        set => set,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_changes_are_what_each_side_lacks() {
        let prior = ["a".to_string(), "b".to_string()];
        let planned = ["b".to_string(), "c".to_string()];
        assert_eq!(
            set_changes(&prior, &planned),
            (vec!["c".to_string()], vec!["a".to_string()])
        );
        let attrs = |items: &[&str]| {
            Attrs::from([(
                "ids".to_string(),
                Value::List(items.iter().map(|i| Value::string(*i)).collect()),
            )])
        };
        assert_eq!(
            string_set_changes(&attrs(&["b", "a", "a"]), &attrs(&["c", "b"]), "ids"),
            (vec!["c".to_string()], vec!["a".to_string()])
        );
    }
    use crate::value::attrs;

    #[test]
    fn whole_numbers_beyond_i32_are_clamped_not_wrapped() {
        let args = crate::value::attrs([
            ("small", Value::from(42)),
            ("huge", Value::float(1e12)),
            ("negative", Value::float(-1e12)),
        ]);
        assert_eq!(i32_arg(&args, "small"), Some(42));
        assert_eq!(i32_arg(&args, "huge"), Some(i32::MAX));
        assert_eq!(i32_arg(&args, "negative"), Some(i32::MIN));
        assert_eq!(i32_arg(&args, "absent"), None);
    }

    #[test]
    fn nested_objects_leave_out_what_is_unset() {
        let object = nested([
            ("path", Value::string("/")),
            ("port", Value::Null),
            ("allow", Value::List(vec![].into())),
            ("block", block(Attrs::new())),
        ]);
        assert_eq!(
            object,
            attrs([("path", Value::string("/")), ("block", block(Attrs::new()))])
        );
    }

    #[test]
    fn objects_are_keyed_by_id_and_those_without_one_left_out() {
        let objects = [Some("a"), None, Some("b")];
        let read = keyed_by_id(&objects, |o| *o, |_, id| attrs([("id", Value::string(id))]));
        assert_eq!(read.keys().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(read["b"], attrs([("id", Value::string("b"))]));
    }

    #[test]
    fn differs_treats_absent_as_null() {
        let a = attrs([("x", Value::Null)]);
        assert!(!differs(&a, &Attrs::new(), "x"));
        assert!(differs(&a, &attrs([("x", Value::from(1))]), "x"));
        assert_eq!(string_set(["b", "a", "b"]), Value::from(vec!["a", "b"]));
        assert_eq!(string_set_or_null(["b", "a"]), Value::from(vec!["a", "b"]));
        assert_eq!(string_set_or_null(Vec::<String>::new()), Value::Null);
    }
}
