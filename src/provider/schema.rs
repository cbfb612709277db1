//! Resource schemas: which arguments a type takes, which are computed, which
//! force replacement, and how values convert to the declared type.
//!
//! A schema is pure data declared by a resource type; `lang` validates stack
//! files against it and `plan` diffs with it. Nested blocks (`route {}`,
//! `ingress {}`) appear in values as a list of objects under the block's name,
//! as in Terraform's state.

use crate::number::Number;
use crate::value::{Attrs, Elements, Fields, ListKind, MapKind, Value};

#[derive(Clone, Debug, PartialEq)]
pub enum Type {
    String,
    Number,
    Bool,
    List(Box<Type>),
    /// Compared as a set: order and duplicates don't matter.
    Set(Box<Type>),
    Map(Box<Type>),
    /// Any value, taken as written.
    Any,
    /// A string holding a JSON document (an IAM policy), compared as JSON
    /// rather than as text: converted to [`canonical_json`] so that
    /// whitespace and key order never show as a difference.
    Json,
    /// `object({ name = string, size = optional(number, 1) })`: the
    /// attributes a variable's value must have; undeclared ones are
    /// dropped, as in Terraform.
    Object(Vec<ObjectAttribute>),
}

/// One attribute of an object type.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectAttribute {
    pub name: String,
    pub ty: Type,
    /// `optional(...)`: may be left out (or null).
    pub optional: bool,
    /// `optional(type, default)`: the value when left out.
    pub default: Option<Value>,
}

impl Type {
    pub fn list_of(t: Type) -> Type {
        Type::List(Box::new(t))
    }
    pub fn set_of(t: Type) -> Type {
        Type::Set(Box::new(t))
    }
    pub fn map_of(t: Type) -> Type {
        Type::Map(Box::new(t))
    }
    /// `object({...})` of these attributes, none optional: the type of a
    /// computed attribute that holds objects.
    pub fn object(attributes: &[(&str, Type)]) -> Type {
        Type::Object(
            attributes
                .iter()
                .map(|(name, ty)| ObjectAttribute {
                    name: name.to_string(),
                    ty: ty.clone(),
                    optional: false,
                    default: None,
                })
                .collect(),
        )
    }

    /// Marks `items`, of this list or set type with elements of `inner`, as
    /// a list or a set of them.
    fn mark_list(&self, items: &mut Elements, inner: &Type) {
        items.kind = match self {
            Type::Set(_) => ListKind::Set,
            _ => ListKind::List,
        };
        items.element = Some(inner.friendly_name().into());
    }

    /// Gives the lists in `value` the kinds this type has (a `list(...)` is
    /// a list, a `set(...)` a set), at any depth; elsewhere they are left
    /// as they are. Values are not converted.
    pub fn assign_kinds(&self, value: &mut Value) {
        match (self, value) {
            (ty, Value::Sensitive(inner)) => ty.assign_kinds(inner),
            (Type::List(inner) | Type::Set(inner), Value::List(items)) => {
                self.mark_list(items, inner);
                items.iter_mut().for_each(|item| inner.assign_kinds(item));
            }
            (Type::Map(inner), Value::Map(map)) => {
                map.kind = MapKind::Map;
                map.element = Some(inner.friendly_name().into());
                map.values_mut().for_each(|v| inner.assign_kinds(v));
            }
            (Type::Object(attributes), Value::Map(map)) => {
                for attribute in attributes {
                    if let Some(v) = map.get_mut(&attribute.name) {
                        attribute.ty.assign_kinds(v);
                    }
                }
            }
            _ => {}
        }
    }

    /// Converts a value to this type the way Terraform does (numbers and bools
    /// to strings and back, lists to sets). Unknown and null pass through.
    pub fn convert(&self, value: Value) -> Result<Value, String> {
        match (self, value) {
            // Converted inside the mark; an error must not quote the value.
            (ty, Value::Sensitive(inner)) => ty
                .convert(*inner)
                .map(Value::mark)
                .map_err(|_| format!("{} required; the given value is sensitive", ty.describe())),
            (_, Value::Null) => Ok(Value::Null),
            (_, Value::Unknown) => Ok(Value::Unknown),
            (Type::Any, v) => Ok(v),
            (Type::Json, Value::String(s)) => canonical_json(&s)
                .map(Value::String)
                .map_err(|e| format!("a JSON document is required: {e}")),
            (Type::String, v @ (Value::String(_) | Value::Number(_) | Value::Bool(_))) => {
                Ok(Value::String(v.to_string_lossless().unwrap_or_default()))
            }
            (Type::Number, Value::Number(n)) => Ok(Value::Number(n)),
            (Type::Number, Value::String(s)) => Number::parse(s.trim())
                .map(Value::Number)
                .ok_or_else(|| format!("a number is required, but got the string {s:?}")),
            (Type::Bool, Value::Bool(b)) => Ok(Value::Bool(b)),
            (Type::Bool, Value::String(s)) if s == "true" || s == "false" => {
                Ok(Value::Bool(s == "true"))
            }
            (Type::List(inner) | Type::Set(inner), Value::List(items)) => {
                let mut value = Value::List(convert_all(inner, items.into_vec())?.into());
                if let Type::Set(_) = self {
                    value = value.into_set();
                }
                // The elements have their kinds from their own conversion.
                if let Value::List(items) = &mut value {
                    self.mark_list(items, inner);
                }
                Ok(value)
            }
            (Type::Map(inner), Value::Map(map)) => {
                let mut out = Attrs::new();
                for (k, v) in map {
                    let converted = inner
                        .convert(v)
                        .map_err(|e| format!("element {k:?}: {e}"))?;
                    out.insert(k, converted);
                }
                let mut map = Fields::new(out, MapKind::Map);
                map.element = Some(inner.friendly_name().into());
                Ok(Value::Map(map))
            }
            (Type::Object(attributes), Value::Map(mut map)) => {
                let mut out = Attrs::new();
                for attribute in attributes {
                    let name = &attribute.name;
                    let given = map
                        .remove(name)
                        .filter(|v| !(v.is_null() && attribute.optional));
                    let value = match given {
                        Some(Value::Null) => Value::Null,
                        Some(value) => attribute
                            .ty
                            .convert(value)
                            .map_err(|e| format!("attribute {name:?}: {e}"))?,
                        None if attribute.optional => match &attribute.default {
                            Some(default) => attribute.ty.convert(default.clone())?,
                            None => Value::Null,
                        },
                        None => return Err(format!("attribute {name:?} is required")),
                    };
                    out.insert(name.clone(), value);
                }
                Ok(Value::Map(out.into()))
            }
            (expected, got) => Err(format!(
                "{} required, but got {}",
                expected.describe(),
                describe_value(&got)
            )),
        }
    }

    /// The type as a type constraint is written: `string`, `list(string)`,
    /// `map(number)`; a JSON document is `string` (as in Terraform).
    pub fn constraint(&self) -> String {
        match self {
            Type::String | Type::Json => "string".into(),
            Type::Number => "number".into(),
            Type::Bool => "bool".into(),
            Type::List(item) => format!("list({})", item.constraint()),
            Type::Set(item) => format!("set({})", item.constraint()),
            Type::Map(item) => format!("map({})", item.constraint()),
            Type::Any => "any".into(),
            Type::Object(attributes) => format!(
                "object({{ {} }})",
                attributes
                    .iter()
                    .map(|a| format!("{} = {}", a.name, a.ty.constraint()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// The type's name as Terraform writes it in a conversion error
    /// (`list of string`).
    pub fn friendly_name(&self) -> String {
        match self {
            Type::String | Type::Json => "string".into(),
            Type::Number => "number".into(),
            Type::Bool => "bool".into(),
            Type::Any => "dynamic".into(),
            Type::List(inner) => format!("list of {}", inner.friendly_name()),
            Type::Set(inner) => format!("set of {}", inner.friendly_name()),
            Type::Map(inner) => format!("map of {}", inner.friendly_name()),
            Type::Object(_) => "object".into(),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Type::String => "a string is".into(),
            Type::Number => "a number is".into(),
            Type::Bool => "a bool is".into(),
            Type::List(_) => "a list is".into(),
            Type::Set(_) => "a set is".into(),
            Type::Map(_) => "a map is".into(),
            Type::Any => "a value is".into(),
            Type::Json => "a JSON document string is".into(),
            Type::Object(_) => "an object is".into(),
        }
    }
}

/// Re-serialises a JSON document in one canonical form: object keys sorted,
/// no insignificant whitespace. Two documents that differ only in layout or
/// key order have the same canonical form.
pub fn canonical_json(text: &str) -> Result<String, String> {
    let parsed: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let mut out = String::with_capacity(text.len());
    write_canonical(&parsed, &mut out);
    Ok(out)
}

// Sorts keys explicitly rather than relying on serde_json's map type, whose
// order depends on crate features another dependency may switch on.
fn write_canonical(value: &serde_json::Value, out: &mut String) {
    match value {
        serde_json::Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        serde_json::Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(item, out);
            }
            out.push('}');
        }
        // A number in its shortest form, as Go's JSON round trip writes it
        // (`1e3` and `1000.0` are `1000`).
        serde_json::Value::Number(n) => {
            let text = n.to_string();
            out.push_str(&Number::parse(&text).map_or(text, |n| n.to_string()));
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

fn convert_all(inner: &Type, items: Vec<Value>) -> Result<Vec<Value>, String> {
    items
        .into_iter()
        .enumerate()
        .map(|(i, v)| inner.convert(v).map_err(|e| format!("element {i}: {e}")))
        .collect()
}

fn describe_value(v: &Value) -> String {
    match v {
        Value::List(_) => "a list".into(),
        Value::Map(_) => "an object".into(),
        Value::String(s) => format!("the string {s:?}"),
        other => format!("a {}", other.type_name()),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presence {
    Required,
    Optional,
    /// Set by AWS only; the user may not write it.
    Computed,
    /// The user may set it; when they don't, AWS picks a value that is kept.
    OptionalComputed,
}

#[derive(Clone, Debug)]
pub struct Attribute {
    pub name: &'static str,
    pub ty: Type,
    pub presence: Presence,
    /// A change to this attribute replaces the object (`-/+`).
    pub force_new: bool,
    /// Redacted in plan output.
    pub sensitive: bool,
    /// The value assumed when an optional attribute is not written.
    pub default: Option<Value>,
    /// Brings a string to the spelling compared for equality, for arguments
    /// AWS accepts in several spellings (e.g. DNS names with or without the
    /// trailing dot). Applied by [`Schema::normalize`].
    pub normalize: Option<fn(&str) -> String>,
}

impl Attribute {
    fn new(name: &'static str, ty: Type, presence: Presence) -> Attribute {
        Attribute {
            name,
            ty,
            presence,
            force_new: false,
            sensitive: false,
            default: None,
            normalize: None,
        }
    }
    pub fn required(name: &'static str, ty: Type) -> Attribute {
        Attribute::new(name, ty, Presence::Required)
    }
    pub fn optional(name: &'static str, ty: Type) -> Attribute {
        Attribute::new(name, ty, Presence::Optional)
    }
    pub fn computed(name: &'static str, ty: Type) -> Attribute {
        Attribute::new(name, ty, Presence::Computed)
    }
    pub fn optional_computed(name: &'static str, ty: Type) -> Attribute {
        Attribute::new(name, ty, Presence::OptionalComputed)
    }
    pub fn force_new(mut self) -> Attribute {
        self.force_new = true;
        self
    }
    pub fn sensitive(mut self) -> Attribute {
        self.sensitive = true;
        self
    }
    pub fn default(mut self, value: impl Into<Value>) -> Attribute {
        self.default = Some(value.into());
        self
    }
    /// Compares string values after `normalize` (see [`Attribute::normalize`]).
    pub fn normalized_with(mut self, normalize: fn(&str) -> String) -> Attribute {
        self.normalize = Some(normalize);
        self
    }

    pub fn user_settable(&self) -> bool {
        self.presence != Presence::Computed
    }
    pub fn is_computed(&self) -> bool {
        matches!(
            self.presence,
            Presence::Computed | Presence::OptionalComputed
        )
    }
}

#[derive(Clone, Debug)]
pub struct Block {
    pub name: &'static str,
    /// Set-nested blocks (`ingress`, `egress`) compare as sets.
    pub is_set: bool,
    pub min_items: usize,
    pub max_items: Option<usize>,
    pub force_new: bool,
    /// When the configuration has no blocks of this kind, the objects AWS has
    /// are kept rather than removed (Terraform's "optional + computed" blocks,
    /// e.g. a security group's `egress` or a route table's `route`).
    pub computed_when_absent: bool,
    /// Terraform's "attributes as blocks": the blocks may also be written as
    /// one argument holding a list of objects (`ingress = []` removes every
    /// rule, which no number of blocks can say).
    pub attribute_syntax: bool,
    pub schema: Schema,
}

impl Block {
    pub fn list(name: &'static str, schema: Schema) -> Block {
        Block {
            name,
            is_set: false,
            min_items: 0,
            max_items: None,
            force_new: false,
            computed_when_absent: false,
            attribute_syntax: false,
            schema,
        }
    }
    pub fn set(name: &'static str, schema: Schema) -> Block {
        Block {
            is_set: true,
            ..Block::list(name, schema)
        }
    }
    /// A block that may appear at most once (`vpc_config {}`, `timeouts {}`).
    pub fn single(name: &'static str, schema: Schema) -> Block {
        Block {
            max_items: Some(1),
            ..Block::list(name, schema)
        }
    }
    pub fn required(mut self) -> Block {
        self.min_items = self.min_items.max(1);
        self
    }
    pub fn force_new(mut self) -> Block {
        self.force_new = true;
        self
    }
    pub fn computed_when_absent(mut self) -> Block {
        self.computed_when_absent = true;
        self
    }
    /// Also accepts `name = [{ ... }, ...]` (see `attribute_syntax`).
    pub fn with_attribute_syntax(mut self) -> Block {
        self.attribute_syntax = true;
        self
    }
    /// The type of the argument form: a list of objects whose keys are the
    /// block's arguments, each of which may be left out.
    pub fn attribute_type(&self) -> Type {
        Type::list_of(Type::Object(
            self.schema
                .attributes
                .iter()
                .filter(|a| a.user_settable())
                .map(|a| ObjectAttribute {
                    name: a.name.to_string(),
                    ty: a.ty.clone(),
                    optional: true,
                    default: None,
                })
                .collect(),
        ))
    }
}

#[derive(Clone, Debug, Default)]
pub struct Schema {
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<Block>,
    /// (argument, computed attribute) pairs: the attribute is derived from
    /// the argument, so it is unknown in a plan that changes the argument
    /// in place (`terraform_data`'s `output` from its `input`).
    pub derived: Vec<(&'static str, &'static str)>,
}

impl Schema {
    pub fn new(attributes: Vec<Attribute>, blocks: Vec<Block>) -> Schema {
        Schema {
            attributes,
            blocks,
            derived: Vec::new(),
        }
    }

    /// Declares `attribute` derived from `argument` (see `derived`).
    pub fn derived(mut self, argument: &'static str, attribute: &'static str) -> Schema {
        self.derived.push((argument, attribute));
        self
    }

    /// A resource's schema with Terraform's `tags` and `tags_all` after
    /// its own attributes.
    pub fn with_tags(mut attributes: Vec<Attribute>, blocks: Vec<Block>) -> Schema {
        attributes.extend(tag_attributes());
        Schema::new(attributes, blocks)
    }

    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    pub fn block(&self, name: &str) -> Option<&Block> {
        self.blocks.iter().find(|b| b.name == name)
    }

    /// True for types that carry `tags` / `tags_all`, which the engine merges
    /// with the provider's `default_tags`.
    pub fn has_tags(&self) -> bool {
        self.attribute("tags_all").is_some()
    }

    /// Names a user may write, for "did you mean" hints.
    pub fn settable_names(&self) -> Vec<&'static str> {
        self.attributes
            .iter()
            .filter(|a| a.user_settable())
            .map(|a| a.name)
            .chain(self.blocks.iter().map(|b| b.name))
            .collect()
    }

    /// Whether the argument `name` (an attribute or block) differs between
    /// two values of this schema once both are in canonical form, with
    /// nulls and empty collections left out: what an update uses to decide
    /// which calls a change needs, so that an object read back from AWS
    /// (which leaves unset nested arguments out) and one planned from the
    /// configuration (which holds them as null) compare equal.
    pub fn argument_changed(&self, name: &str, prior: &Attrs, planned: &Attrs) -> bool {
        let canonical = |attrs: &Attrs| {
            let mut one = Attrs::new();
            if let Some(v) = attrs.get(name) {
                one.insert(name.to_string(), v.clone());
            }
            without_empties(self.normalize(&one).remove(name).unwrap_or(Value::Null))
        };
        canonical(prior) != canonical(planned)
    }

    /// Gives the lists in an object of this schema the kinds Terraform's
    /// types give them: attributes' by their types, blocks as lists or
    /// sets of objects. So an object reads the same to expressions whether
    /// it was planned now or loaded from state, which keeps no kinds.
    pub fn assign_kinds(&self, attrs: &mut Attrs) {
        for attribute in &self.attributes {
            if let Some(value) = attrs.get_mut(attribute.name) {
                attribute.ty.assign_kinds(value);
            }
        }
        for block in &self.blocks {
            let value = match attrs.get_mut(block.name) {
                Some(Value::Sensitive(inner)) => inner.as_mut(),
                Some(value) => value,
                None => continue,
            };
            if let Value::List(items) = value {
                items.kind = if block.is_set {
                    ListKind::Set
                } else {
                    ListKind::List
                };
                items.element = Some("object".into());
                for item in items.iter_mut() {
                    if let Value::Map(object) = item {
                        block.schema.assign_kinds(object);
                    }
                }
            }
        }
    }

    /// Brings a value into canonical form for comparison: each attribute
    /// converted to its type and spelling, set blocks sorted.
    pub fn normalize(&self, attrs: &Attrs) -> Attrs {
        let mut out = attrs.clone();
        for attr in &self.attributes {
            if let Some(v) = out.get_mut(attr.name) {
                // A value that doesn't convert is kept as written.
                if let Ok(converted) = attr.ty.convert(v.clone()) {
                    *v = converted;
                }
                if let (Some(normalize), Value::String(s)) = (attr.normalize, &*v) {
                    *v = Value::String(normalize(s));
                }
            }
        }
        for block in &self.blocks {
            if let Some(Value::List(items)) = out.get_mut(block.name) {
                let normalized: Vec<Value> = items
                    .iter()
                    .map(|item| match item {
                        Value::Map(m) => Value::Map(block.schema.normalize(m).into()),
                        other => other.clone(),
                    })
                    .collect();
                *items = normalized.into();
                if block.is_set {
                    let set = Value::List(std::mem::take(items)).into_set();
                    if let Value::List(sorted) = set {
                        *items = sorted;
                    }
                }
            }
        }
        out
    }
}

/// A value with null entries and empty collections left out of its maps,
/// and an empty collection as null.
fn without_empties(value: Value) -> Value {
    match value {
        Value::List(items) if items.is_empty() => Value::Null,
        Value::List(items) => Value::List(items.into_iter().map(without_empties).collect()),
        Value::Map(map) => {
            let kept: Attrs = map
                .into_iter()
                .map(|(k, v)| (k, without_empties(v)))
                .filter(|(_, v)| !v.is_null())
                .collect();
            if kept.is_empty() {
                Value::Null
            } else {
                Value::Map(kept.into())
            }
        }
        other => other,
    }
}

/// The schema every tagged resource gets for Terraform's `tags` and `tags_all`.
fn tag_attributes() -> Vec<Attribute> {
    vec![
        Attribute::optional("tags", Type::map_of(Type::String)),
        Attribute::computed("tags_all", Type::map_of(Type::String)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_argument_read_without_its_unset_parts_is_unchanged() {
        let schema = Schema::new(
            vec![Attribute::optional("size", Type::Number)],
            vec![Block::list(
                "disk",
                Schema::new(
                    vec![
                        Attribute::optional("name", Type::String),
                        Attribute::optional("kms", Type::String),
                        Attribute::optional("ids", Type::set_of(Type::String)),
                    ],
                    vec![],
                ),
            )],
        );
        let planned = crate::value::attrs([
            ("size", Value::string("20")),
            (
                "disk",
                Value::List(
                    vec![Value::Map(
                        crate::value::attrs([
                            ("name", Value::string("a")),
                            ("kms", Value::Null),
                            ("ids", Value::List(vec![].into())),
                        ])
                        .into(),
                    )]
                    .into(),
                ),
            ),
        ]);
        let read = crate::value::attrs([
            ("size", Value::float(20.0)),
            (
                "disk",
                Value::List(
                    vec![Value::Map(
                        crate::value::attrs([("name", Value::string("a"))]).into(),
                    )]
                    .into(),
                ),
            ),
        ]);
        assert!(!schema.argument_changed("size", &read, &planned));
        assert!(!schema.argument_changed("disk", &read, &planned));
        let mut renamed = planned.clone();
        renamed.insert(
            "disk".into(),
            Value::List(
                vec![Value::Map(
                    crate::value::attrs([("name", Value::string("b"))]).into(),
                )]
                .into(),
            ),
        );
        assert!(schema.argument_changed("disk", &read, &renamed));
        assert!(schema.argument_changed("disk", &read, &Attrs::new()));
    }

    #[test]
    fn json_documents_differing_in_layout_and_key_order_convert_equal() {
        let a = r#"{ "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}] }"#;
        let b = r#"{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow"}],"Version":"2012-10-17"}"#;
        let a = Type::Json.convert(Value::string(a)).unwrap();
        let b = Type::Json.convert(Value::string(b)).unwrap();
        assert_eq!(a, b);
        assert_eq!(
            a,
            Value::string(
                r#"{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow"}],"Version":"2012-10-17"}"#
            )
        );
    }

    #[test]
    fn json_type_rejects_text_that_is_not_json() {
        let err = Type::Json.convert(Value::string("{not json")).unwrap_err();
        assert!(err.contains("JSON document"), "{err}");
    }

    #[test]
    fn json_type_keeps_array_order() {
        let v = Type::Json.convert(Value::string("[2, 1]")).unwrap();
        assert_eq!(v, Value::string("[2,1]"));
    }
}
