//! Set algebra and the other whole-collection functions: `setproduct`,
//! `setunion`, `setintersection`, `setsubtract`, `chunklist`, `matchkeys`
//! and `transpose`. Results of the set functions are sets: their elements
//! unified to one type, deduplicated and in Terraform's set order.

use super::{Args, FnError, MAX_ELEMENTS, unify_primitives};
use crate::lang::eval::deep_equal;
use crate::value::{Elements, Fields, ListKind, MapKind, Value};

fn set_args(args: &Args<'_>) -> Result<Vec<Vec<Value>>, FnError> {
    (0..args.len())
        .map(|i| args.list(i).map(<[Value]>::to_vec))
        .collect()
}

/// The arguments' elements converted to one type, as Terraform unifies the
/// element types of sets passed together.
fn unified(sets: Vec<Vec<Value>>) -> Result<Vec<Vec<Value>>, FnError> {
    let lengths: Vec<usize> = sets.iter().map(Vec::len).collect();
    let mut all = unify_primitives(sets.into_iter().flatten().collect())
        .map_err(FnError::call)?
        .into_iter();
    Ok(lengths
        .into_iter()
        .map(|n| all.by_ref().take(n).collect())
        .collect())
}

fn contains(set: &[Value], value: &Value) -> bool {
    set.iter().any(|v| deep_equal(v, value) == Some(true))
}

pub(super) fn setunion(args: &Args<'_>) -> Result<Value, FnError> {
    let sets = unified(set_args(args)?)?;
    Ok(Value::List(sets.into_iter().flatten().collect()).into_set())
}

pub(super) fn setintersection(args: &Args<'_>) -> Result<Value, FnError> {
    let mut sets = unified(set_args(args)?)?.into_iter();
    let first = sets.next().unwrap_or_default();
    let rest: Vec<Vec<Value>> = sets.collect();
    let common = first
        .into_iter()
        .filter(|v| rest.iter().all(|set| contains(set, v)))
        .collect();
    Ok(Value::List(common).into_set())
}

pub(super) fn setsubtract(args: &Args<'_>) -> Result<Value, FnError> {
    let sets = unified(set_args(args)?)?;
    let (a, b) = (&sets[0], &sets[1]);
    let left = a.iter().filter(|v| !contains(b, v)).cloned().collect();
    Ok(Value::List(left).into_set())
}

/// `setproduct(a, b, ...)`: every combination, first argument slowest.
/// Refused before anything is built when the result would have more than
/// [`MAX_ELEMENTS`] elements.
pub(super) fn setproduct(args: &Args<'_>) -> Result<Value, FnError> {
    if args.len() < 2 {
        return Err(FnError::call("at least two arguments are required"));
    }
    let sets = set_args(args)?;
    let total = sets
        .iter()
        .try_fold(1usize, |acc, set| acc.checked_mul(set.len()))
        .unwrap_or(usize::MAX);
    if total > MAX_ELEMENTS {
        return Err(FnError::call(format!(
            "the product would have {} elements, more than the limit of {MAX_ELEMENTS}",
            if total == usize::MAX {
                "too many".to_string()
            } else {
                total.to_string()
            }
        ))
        .with_hint("a product this large is almost always a mistake; narrow the sets first"));
    }
    let mut product: Vec<Vec<Value>> = vec![Vec::new()];
    for set in &sets {
        product = product
            .into_iter()
            .flat_map(|prefix| {
                set.iter().map(move |item| {
                    let mut combination = prefix.clone();
                    combination.push(item.clone());
                    combination
                })
            })
            .collect();
    }
    // Sets multiply to a set; with a list or tuple among them, to a list.
    let all_sets = args
        .values
        .iter()
        .all(|v| matches!(v, Value::List(items) if items.kind == ListKind::Set));
    let kind = if all_sets {
        ListKind::Set
    } else {
        ListKind::List
    };
    let tuples = product.into_iter().map(|tuple| Value::List(tuple.into()));
    Ok(Value::List(Elements::new(tuples.collect(), kind)))
}

/// `chunklist(list, size)`: consecutive chunks of `size` elements; a size
/// of zero is the whole list as one chunk.
pub(super) fn chunklist(args: &Args<'_>) -> Result<Value, FnError> {
    let list = args.list(0)?;
    let size = args.integer(1)?;
    if size < 0 {
        return Err(FnError::call("the size argument must be positive"));
    }
    if list.is_empty() {
        return Ok(Value::List(Vec::new().into()));
    }
    let chunk = |items: &[Value]| Value::List(Elements::new(items.to_vec(), ListKind::List));
    if size == 0 {
        return Ok(Value::List(vec![chunk(list)].into()));
    }
    Ok(Value::List(list.chunks(size as usize).map(chunk).collect()))
}

/// `matchkeys(values, keys, searchset)`: the values whose key (at the same
/// index) is in the search set.
pub(super) fn matchkeys(args: &Args<'_>) -> Result<Value, FnError> {
    let (values, keys, search) = (args.list(0)?, args.list(1)?, args.list(2)?);
    if values.len() != keys.len() {
        return Err(FnError::call("length of keys and values should be equal"));
    }
    let search = unify_primitives(search.to_vec()).map_err(FnError::call)?;
    let keys = unify_primitives(keys.to_vec()).map_err(FnError::call)?;
    Ok(Value::List(
        values
            .iter()
            .zip(&keys)
            .filter(|(_, key)| contains(&search, key))
            .map(|(value, _)| value.clone())
            .collect(),
    ))
}

/// `transpose(map)`: a map of lists of strings turned inside out.
pub(super) fn transpose(args: &Args<'_>) -> Result<Value, FnError> {
    let mut out: std::collections::BTreeMap<String, Vec<Value>> = Default::default();
    for (key, list) in args.map(0)? {
        let Some(items) = list.as_list() else {
            return Err(FnError::arg(
                0,
                "the given map must contain lists of strings",
            ));
        };
        for item in items {
            let Some(value) = item.to_string_lossless() else {
                return Err(FnError::arg(
                    0,
                    "the given map must contain lists of strings",
                ));
            };
            out.entry(value).or_default().push(Value::string(key));
        }
    }
    // A map of lists of strings, as Terraform types it.
    let list_of_strings = |keys: Vec<Value>| {
        let mut list = Elements::new(keys, ListKind::List);
        list.element = Some("string".into());
        Value::List(list)
    };
    let mut map: Fields = out
        .into_iter()
        .map(|(k, v)| (k, list_of_strings(v)))
        .collect();
    map.kind = MapKind::Map;
    map.element = Some("list of string".into());
    Ok(Value::Map(map))
}
