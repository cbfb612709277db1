//! The dynamic value model shared by the language, the plan, state and providers.
//!
//! A `Value` is what an HCL expression evaluates to and what an AWS attribute is
//! read back as. `Unknown` stands for a value that is only known after apply; it
//! may appear anywhere inside a collection during planning, and never in state.
//! This module is pure data: no I/O, no knowledge of resources.

use std::collections::BTreeMap;
use std::fmt;

use crate::number::Number;

/// An object or map value: attribute name → value, kept sorted so that
/// comparisons and printed plans are deterministic.
pub type Attrs = BTreeMap<String, Value>;

#[derive(Clone, Debug, PartialEq, Default)]
pub enum Value {
    #[default]
    Null,
    /// Known only after apply; printed as `(known after apply)`.
    Unknown,
    Bool(bool),
    /// Terraform's arbitrary-precision numbers ([`Number`]).
    Number(Number),
    String(String),
    /// Lists, tuples and sets, told apart by [`Elements::kind`]. Sets are
    /// kept sorted and deduplicated by [`Value::into_set`], so equal sets
    /// compare equal.
    List(Elements),
    /// Maps and objects, told apart by [`Fields::kind`].
    Map(Fields),
    /// A value marked sensitive (a `sensitive` variable, or anything computed
    /// from one). Marks live only while expressions are evaluated: `lang`
    /// strips them, recording where they were, before values reach the
    /// plan, state or AWS. Printed as `(sensitive value)`.
    Sensitive(Box<Value>),
}

/// Which of Terraform's sequence types a [`Value::List`] is: what literals
/// and `for` expressions build is a tuple; `tolist`, `toset`, typed
/// variables and set-valued attributes make lists and sets. The kind only
/// names the type (in conversion errors) and keeps the `==` operator apart
/// for different types, as Terraform does; values otherwise compare by
/// their elements alone, so a plan never sees a change of kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ListKind {
    #[default]
    Tuple,
    List,
    Set,
}

/// The elements of a [`Value::List`], with its [`ListKind`]. It reads as the
/// `Vec` it holds.
#[derive(Clone, Debug, Default)]
pub struct Elements {
    items: Vec<Value>,
    pub kind: ListKind,
    /// A typed list's element type, as Terraform names it (`string`,
    /// `list of number`), where known: what an empty list is named by, as
    /// its elements cannot tell.
    pub element: Option<std::sync::Arc<str>>,
}

impl Elements {
    pub fn new(items: Vec<Value>, kind: ListKind) -> Elements {
        Elements {
            items,
            kind,
            element: None,
        }
    }

    pub fn into_vec(self) -> Vec<Value> {
        self.items
    }

    /// The elements changed one by one, of the same kind.
    pub fn map(self, f: impl FnMut(Value) -> Value) -> Elements {
        Elements {
            items: self.items.into_iter().map(f).collect(),
            ..self
        }
    }
}

impl PartialEq for Elements {
    fn eq(&self, other: &Elements) -> bool {
        self.items == other.items
    }
}

impl std::ops::Deref for Elements {
    type Target = Vec<Value>;
    fn deref(&self) -> &Vec<Value> {
        &self.items
    }
}

impl std::ops::DerefMut for Elements {
    fn deref_mut(&mut self) -> &mut Vec<Value> {
        &mut self.items
    }
}

impl From<Vec<Value>> for Elements {
    /// A tuple of the values.
    fn from(items: Vec<Value>) -> Elements {
        Elements::new(items, ListKind::Tuple)
    }
}

impl FromIterator<Value> for Elements {
    fn from_iter<I: IntoIterator<Item = Value>>(iter: I) -> Elements {
        Elements::from(iter.into_iter().collect::<Vec<_>>())
    }
}

impl IntoIterator for Elements {
    type Item = Value;
    type IntoIter = std::vec::IntoIter<Value>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<'a> IntoIterator for &'a Elements {
    type Item = &'a Value;
    type IntoIter = std::slice::Iter<'a, Value>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

impl<'a> IntoIterator for &'a mut Elements {
    type Item = &'a mut Value;
    type IntoIter = std::slice::IterMut<'a, Value>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter_mut()
    }
}

/// Which of Terraform's types a [`Value::Map`] is: what literals and `for`
/// expressions build is an object; `tomap`, `map(...)` variables and map
/// attributes (`tags`) make maps. As with [`ListKind`], the kind only names
/// the type and keeps `==` apart for different types.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MapKind {
    #[default]
    Object,
    Map,
}

/// The attributes of a [`Value::Map`], with its [`MapKind`]. It reads as
/// the [`Attrs`] it holds.
#[derive(Clone, Debug, Default)]
pub struct Fields {
    attrs: Attrs,
    pub kind: MapKind,
    /// A map's element type, as Terraform names it, where known: what an
    /// empty map is named by.
    pub element: Option<std::sync::Arc<str>>,
}

impl Fields {
    pub fn new(attrs: Attrs, kind: MapKind) -> Fields {
        Fields {
            attrs,
            kind,
            element: None,
        }
    }

    pub fn into_attrs(self) -> Attrs {
        self.attrs
    }
}

impl PartialEq for Fields {
    fn eq(&self, other: &Fields) -> bool {
        self.attrs == other.attrs
    }
}

impl std::ops::Deref for Fields {
    type Target = Attrs;
    fn deref(&self) -> &Attrs {
        &self.attrs
    }
}

impl std::ops::DerefMut for Fields {
    fn deref_mut(&mut self) -> &mut Attrs {
        &mut self.attrs
    }
}

impl From<Attrs> for Fields {
    /// An object of the attributes.
    fn from(attrs: Attrs) -> Fields {
        Fields::new(attrs, MapKind::Object)
    }
}

impl<const N: usize> From<[(String, Value); N]> for Fields {
    fn from(pairs: [(String, Value); N]) -> Fields {
        Fields::from(Attrs::from(pairs))
    }
}

impl FromIterator<(String, Value)> for Fields {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Fields {
        Fields::from(iter.into_iter().collect::<Attrs>())
    }
}

impl IntoIterator for Fields {
    type Item = (String, Value);
    type IntoIter = std::collections::btree_map::IntoIter<String, Value>;
    fn into_iter(self) -> Self::IntoIter {
        self.attrs.into_iter()
    }
}

impl<'a> IntoIterator for &'a Fields {
    type Item = (&'a String, &'a Value);
    type IntoIter = std::collections::btree_map::Iter<'a, String, Value>;
    fn into_iter(self) -> Self::IntoIter {
        self.attrs.iter()
    }
}

impl<'a> IntoIterator for &'a mut Fields {
    type Item = (&'a String, &'a mut Value);
    type IntoIter = std::collections::btree_map::IterMut<'a, String, Value>;
    fn into_iter(self) -> Self::IntoIter {
        self.attrs.iter_mut()
    }
}

impl Value {
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    /// An object of the attributes.
    pub fn object(attrs: Attrs) -> Value {
        Value::Map(attrs.into())
    }

    /// Marks a value sensitive (once: marks do not nest).
    pub fn mark(self) -> Value {
        match self {
            Value::Sensitive(_) => self,
            other => Value::Sensitive(Box::new(other)),
        }
    }

    /// Marks the value when `sensitive` is true.
    pub fn mark_if(self, sensitive: bool) -> Value {
        if sensitive { self.mark() } else { self }
    }

    pub fn is_marked(&self) -> bool {
        matches!(self, Value::Sensitive(_))
    }

    /// Removes the mark on this value itself (not on what it contains);
    /// says whether there was one.
    pub fn unmark(self) -> (Value, bool) {
        match self {
            Value::Sensitive(inner) => (*inner, true),
            other => (other, false),
        }
    }

    /// Removes every mark, at any depth; says whether there was one.
    pub fn unmark_deep(self) -> (Value, bool) {
        match self {
            Value::Sensitive(inner) => (inner.unmark_deep().0, true),
            Value::List(items) => {
                let mut marked = false;
                let items = items.map(|item| {
                    let (item, m) = item.unmark_deep();
                    marked |= m;
                    item
                });
                (Value::List(items), marked)
            }
            Value::Map(mut map) => {
                let mut marked = false;
                for value in map.values_mut() {
                    let (v, m) = std::mem::take(value).unmark_deep();
                    marked |= m;
                    *value = v;
                }
                (Value::Map(map), marked)
            }
            other => (other, false),
        }
    }

    /// Whether an infinite number is anywhere in the value: JSON, and so
    /// state and plans, have no form for one.
    pub fn contains_infinity(&self) -> bool {
        match self {
            Value::Number(n) => n.is_infinite(),
            Value::Sensitive(inner) => inner.contains_infinity(),
            Value::List(items) => items.iter().any(Value::contains_infinity),
            Value::Map(map) => map.values().any(Value::contains_infinity),
            _ => false,
        }
    }

    /// Whether a mark is anywhere in the value.
    pub fn contains_marks(&self) -> bool {
        match self {
            Value::Sensitive(_) => true,
            Value::List(items) => items.iter().any(Value::contains_marks),
            Value::Map(map) => map.values().any(Value::contains_marks),
            _ => false,
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Sensitive(inner) => inner.type_name(),
            Value::Null => "null",
            Value::Unknown => "unknown",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Map(_) => "map",
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// True when neither this value nor anything inside it is unknown.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::Sensitive(inner) => inner.is_wholly_known(),
            Value::List(items) => items.iter().all(Value::is_wholly_known),
            Value::Map(map) => map.values().all(Value::is_wholly_known),
            _ => true,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// A number as the nearest machine float, as AWS takes numbers.
    pub fn as_f64(&self) -> Option<f64> {
        self.as_number().map(Number::to_f64)
    }

    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    /// A machine float as a number (`Null` for NaN, which has no number).
    pub fn float(f: f64) -> Value {
        Number::from_f64(f).map_or(Value::Null, Value::Number)
    }

    /// A whole, non-negative number as an index or count.
    pub fn as_index(&self) -> Option<usize> {
        match self {
            Value::Number(n) => n.to_index(),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&Attrs> {
        match self {
            Value::Map(map) => Some(map),
            _ => None,
        }
    }

    /// Attribute lookup on a map; `Null` when absent or not a map.
    pub fn get(&self, key: &str) -> &Value {
        static NULL: Value = Value::Null;
        self.as_map().and_then(|m| m.get(key)).unwrap_or(&NULL)
    }

    /// Makes every list, at any depth, a tuple. Resource values pass through
    /// this on their way into expressions: state is JSON, which keeps no
    /// kinds, so a value must read the same planned or loaded, or `==`
    /// could answer differently at plan and at apply.
    pub fn erase_kinds(&mut self) {
        match self {
            Value::List(items) => {
                items.kind = ListKind::Tuple;
                items.element = None;
                items.iter_mut().for_each(Value::erase_kinds);
            }
            Value::Map(map) => {
                map.kind = MapKind::Object;
                map.element = None;
                map.values_mut().for_each(Value::erase_kinds);
            }
            Value::Sensitive(inner) => inner.erase_kinds(),
            _ => {}
        }
    }

    /// Sorts and deduplicates a list so that it compares as a set, and
    /// makes it a set.
    pub fn into_set(self) -> Value {
        match self {
            Value::List(mut items) => {
                items.kind = ListKind::Set;
                // Fractions are equal when they print the same, which need
                // not put them next to each other in value order (0.1 read
                // with 512 bits and with 53 sort apart): keep the first
                // given, as Terraform's sets do.
                let mut fractions = std::collections::HashSet::new();
                items.retain(|item| match item {
                    Value::Number(n) if !n.is_integer() => fractions.insert(n.to_string()),
                    _ => true,
                });
                items.sort_by(canonical_order);
                // -0 equals 0, yet a set keeps both, as Terraform's sets
                // (which tell elements apart by their printed form) do.
                // Unknown elements are kept, each: they may turn out equal to
                // each other or to a known element, or not.
                items.dedup_by(|a, b| {
                    a == b && a.is_wholly_known() && is_negative_zero(a) == is_negative_zero(b)
                });
                Value::List(items)
            }
            other => other,
        }
    }

    /// The value as a string the way HCL converts primitives to strings
    /// (numbers without a trailing `.0`, bools as `true`/`false`).
    pub fn to_string_lossless(&self) -> Option<String> {
        match self {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// Converts to JSON for state files and `--json` output. Unknown values
    /// become `null`; callers that must not see them check `is_wholly_known`.
    /// A marked value converts to its real value (state must keep it):
    /// whatever is shown to people or shared strips marks first and hides
    /// what they mark.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null | Value::Unknown => serde_json::Value::Null,
            Value::Sensitive(inner) => inner.to_json(),
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => number_to_json(n),
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::List(items) => {
                serde_json::Value::Array(items.iter().map(Value::to_json).collect())
            }
            Value::Map(map) => serde_json::Value::Object(
                map.iter().map(|(k, v)| (k.clone(), v.to_json())).collect(),
            ),
        }
    }

    pub fn from_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            // Read as Terraform reads JSON numbers: 512 bits from the text.
            // Beyond the text limits of `Number::parse`, the nearest float.
            serde_json::Value::Number(n) => match Number::parse(&n.to_string()) {
                Some(number) => Value::Number(number),
                None => Value::float(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Array(items) => {
                Value::List(items.iter().map(Value::from_json).collect())
            }
            serde_json::Value::Object(map) => Value::Map(
                map.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }
}

/// A number as JSON, with every digit Terraform would write. An infinity
/// has no JSON form: it is written as `null`, and `lang` refuses to store one.
fn number_to_json(n: &Number) -> serde_json::Value {
    // As printed, whole numbers included: 2^60 computed in machine floats
    // is written 1152921504606847000, as Terraform writes it.
    if n.is_infinite() {
        return serde_json::Value::Null;
    }
    serde_json::from_str::<serde_json::Number>(&n.to_string())
        .map_or(serde_json::Value::Null, serde_json::Value::Number)
}

/// Writes `text` as a JSON string the way Go's `encoding/json` does (and so
/// Terraform's `jsonencode` and the AWS provider's policy documents): HTML
/// characters and the two Unicode line separators escaped.
pub fn write_go_json_string(text: &str, out: &mut String) {
    for c in serde_json::Value::String(text.to_string())
        .to_string()
        .chars()
    {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
}

fn is_negative_zero(value: &Value) -> bool {
    matches!(value, Value::Number(n) if n.is_zero() && n.is_negative())
}

/// A total order over values, used to canonicalise sets.
/// Numbers sort by value (-0 before 0) and strings by their text, as
/// Terraform orders sets of them; other values by their JSON text.
pub fn canonical_order(a: &Value, b: &Value) -> std::cmp::Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x
            .compare(y)
            .then_with(|| is_negative_zero(b).cmp(&is_negative_zero(a))),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        _ => a.to_json().to_string().cmp(&b.to_json().to_string()),
    }
}

impl fmt::Display for Value {
    /// Renders the value in HCL syntax, as plans and `output` print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Unknown => f.write_str("(known after apply)"),
            Value::Sensitive(_) => f.write_str("(sensitive value)"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Number(n) => write!(f, "{n}"),
            Value::String(s) => write!(f, "{}", serde_json::Value::String(s.clone())),
            Value::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Value::Map(map) => {
                f.write_str("{")?;
                for (i, (k, v)) in map.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k} = {v}")?;
                }
                f.write_str("}")
            }
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Number(n.into())
    }
}

impl From<i32> for Value {
    fn from(n: i32) -> Value {
        Value::Number(n.into())
    }
}

impl From<u64> for Value {
    fn from(n: u64) -> Value {
        Value::Number(n.into())
    }
}

impl From<usize> for Value {
    fn from(n: usize) -> Value {
        Value::Number(n.into())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(items: Vec<T>) -> Value {
        Value::List(items.into_iter().map(Into::into).collect())
    }
}

/// Typed access to arguments, as resource types read their planned values.
pub trait AttrsExt {
    fn str(&self, key: &str) -> Option<&str>;
    fn bool(&self, key: &str) -> Option<bool>;
    fn i64(&self, key: &str) -> Option<i64>;
    /// A list or set of strings; empty when absent.
    fn strings(&self, key: &str) -> Vec<String>;
    /// A map of strings; empty when absent.
    fn string_map(&self, key: &str) -> BTreeMap<String, String>;
    /// The objects of a nested block; empty when absent.
    fn blocks(&self, key: &str) -> Vec<&Attrs>;
}

impl AttrsExt for Attrs {
    fn str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Value::as_str)
    }
    fn bool(&self, key: &str) -> Option<bool> {
        self.get(key).and_then(Value::as_bool)
    }
    fn i64(&self, key: &str) -> Option<i64> {
        self.get(key).and_then(Value::as_f64).map(|n| n as i64)
    }
    fn strings(&self, key: &str) -> Vec<String> {
        self.get(key)
            .and_then(Value::as_list)
            .map(|items| items.iter().filter_map(Value::to_string_lossless).collect())
            .unwrap_or_default()
    }
    fn string_map(&self, key: &str) -> BTreeMap<String, String> {
        self.get(key)
            .and_then(Value::as_map)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.to_string_lossless()?)))
                    .collect()
            })
            .unwrap_or_default()
    }
    fn blocks(&self, key: &str) -> Vec<&Attrs> {
        self.get(key)
            .and_then(Value::as_list)
            .map(|items| items.iter().filter_map(Value::as_map).collect())
            .unwrap_or_default()
    }
}

/// Builds an object from `(name, value)` pairs.
pub fn attrs<const N: usize>(pairs: [(&str, Value); N]) -> Attrs {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

impl serde::Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
        serde_json::Value::deserialize(deserializer).map(|json| Value::from_json(&json))
    }
}

/// A value is stored as plain JSON, so its schema is "any JSON value".
impl schemars::JsonSchema for Value {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Value".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_name_types_but_do_not_change_values() {
        let tuple = Value::from(vec!["a", "b"]);
        let list = Value::List(Elements::new(
            tuple.as_list().unwrap().to_vec(),
            ListKind::List,
        ));
        // A plan compares values, never kinds: a list equals the tuple it
        // was converted from.
        assert_eq!(list, tuple);
        let set = tuple.clone().into_set();
        assert!(matches!(&set, Value::List(items) if items.kind == ListKind::Set));

        // A set keeps every unknown element: each may turn out equal to
        // another, or not.
        let pending = Value::from(vec![Value::Unknown, "a".into(), Value::Unknown, "a".into()]);
        assert_eq!(
            pending.into_set(),
            Value::from(vec![Value::from("a"), Value::Unknown, Value::Unknown])
        );

        // What references see of a resource keeps no kinds, at any depth.
        let mut nested = Value::Map(attrs([("names", set), ("list", list)]).into());
        nested.erase_kinds();
        for name in ["names", "list"] {
            assert!(
                matches!(nested.get(name), Value::List(items) if items.kind == ListKind::Tuple),
                "{name} is still typed"
            );
        }
    }
}
