//! ELBv2 *attributes*: the key/value settings that load balancers and
//! target groups keep apart from their own fields (idle timeout, access
//! logs, stickiness, slow start...), each read and written with its own
//! calls. A type declares a table of [`Setting`]s, one per argument or
//! nested-block field, and gets from here its schema attributes, the
//! attributes to send and its arguments read back. No AWS calls.

use std::collections::BTreeMap;

use crate::provider::aws::convert::single;
use crate::provider::schema::{Attribute, Type};
use crate::value::{Attrs, Value};

/// The kind of value an attribute holds (AWS keeps them all as text).
#[derive(Clone, Copy)]
pub enum Kind {
    Bool,
    Number,
    Text,
}

impl Kind {
    pub fn schema_type(self) -> Type {
        match self {
            Kind::Bool => Type::Bool,
            Kind::Number => Type::Number,
            Kind::Text => Type::String,
        }
    }

    /// AWS's text for a value of this kind.
    fn text(self, value: &Value) -> Option<String> {
        match (self, value) {
            (Kind::Number, Value::Number(n)) => Some(format!("{}", n.to_f64() as i64)),
            _ => value.to_string_lossless(),
        }
    }

    /// The value of AWS's text; empty text is no value.
    fn value(self, text: &str) -> Value {
        match self {
            _ if text.is_empty() => Value::Null,
            Kind::Bool => Value::Bool(text == "true"),
            Kind::Number => text.parse::<f64>().map_or(Value::Null, Value::float),
            Kind::Text => Value::string(text),
        }
    }
}

/// One argument kept as an attribute.
pub struct Setting {
    /// Where the argument is: `["slow_start"]`, or a field of a single
    /// nested block: `["stickiness", "enabled"]`.
    pub path: &'static [&'static str],
    /// The attribute's key.
    pub key: &'static str,
    pub kind: Kind,
    /// What AWS has when it was never set (Terraform's default): read when
    /// AWS leaves the attribute out. Without one, the argument is optional
    /// and computed: left out, it keeps AWS's value.
    pub default: Option<&'static str>,
    /// Only when the block's field `.0` is `.1`: stickiness keeps its
    /// cookie duration under a key per stickiness type.
    pub when: Option<(&'static str, &'static str)>,
    /// For a field of a block that AWS keeps when the block is taken out
    /// (access logs): the text that turns it off, sent when the block is
    /// removed. A block whose every such field reads as off is no block.
    pub off: Option<&'static str>,
}

impl Setting {
    pub const fn new(path: &'static [&'static str], key: &'static str, kind: Kind) -> Setting {
        Setting {
            path,
            key,
            kind,
            default: None,
            when: None,
            off: None,
        }
    }

    pub const fn default(mut self, default: &'static str) -> Setting {
        self.default = Some(default);
        self
    }

    pub const fn when(mut self, field: &'static str, value: &'static str) -> Setting {
        self.when = Some((field, value));
        self
    }

    pub const fn off(mut self, text: &'static str) -> Setting {
        self.off = Some(text);
        self
    }

    fn default_value(&self) -> Option<Value> {
        self.default.map(|d| self.kind.value(d))
    }

    /// The schema attribute of the argument (or block field) this setting
    /// holds.
    pub fn attribute(&self) -> Attribute {
        let name = self.path[self.path.len() - 1];
        match self.default_value() {
            Some(default) => Attribute::optional(name, self.kind.schema_type()).default(default),
            None => Attribute::optional_computed(name, self.kind.schema_type()),
        }
    }

    /// The object holding this setting's argument in `attrs`: `attrs`
    /// itself, or the nested block on the path.
    fn holder<'a>(&self, attrs: &'a Attrs) -> Option<&'a Attrs> {
        let mut holder = attrs;
        for block in &self.path[..self.path.len() - 1] {
            holder = single(holder, block)?;
        }
        Some(holder)
    }

    /// The text to send for this setting in `planned`, if it has one: its
    /// written value, or its default when it has one and the argument's
    /// block is written.
    fn planned_text(&self, planned: &Attrs) -> Option<String> {
        let holder = self.holder(planned)?;
        if let Some((field, wanted)) = self.when
            && holder.get(field).and_then(Value::as_str) != Some(wanted)
        {
            return None;
        }
        let name = self.path[self.path.len() - 1];
        match holder.get(name).filter(|v| !v.is_null()) {
            Some(value) => self.kind.text(value),
            None => self.default.map(str::to_string),
        }
    }

    /// Whether `planned` holds this setting at its default, which need not
    /// be sent to a new object (nor can be, where the attribute does not
    /// apply to its kind of load balancer or target group).
    fn at_default(&self, planned: &Attrs) -> bool {
        self.path.len() == 1
            && self.default.is_some()
            && self.planned_text(planned).as_deref() == self.default
    }
}

/// The attributes to send for a new object: every written setting not at
/// its default.
pub fn for_create(settings: &[Setting], planned: &Attrs) -> Vec<(String, String)> {
    settings
        .iter()
        .filter(|s| !s.at_default(planned))
        .filter_map(|s| Some((s.key.to_string(), s.planned_text(planned)?)))
        .collect()
}

/// The attributes to send for a change: the settings of each argument (or
/// whole block) `changed` names.
pub fn for_update(
    settings: &[Setting],
    planned: &Attrs,
    changed: impl Fn(&str) -> bool,
) -> Vec<(String, String)> {
    settings
        .iter()
        .filter(|s| changed(s.path[0]))
        .filter_map(|s| {
            let text = match (s.holder(planned), s.off) {
                (None, Some(off)) => off.to_string(),
                _ => s.planned_text(planned)?,
            };
            Some((s.key.to_string(), text))
        })
        .collect()
}

/// The arguments the settings hold, read from AWS's attributes. A
/// top-level argument AWS leaves out reads as its default; a nested block
/// is there when AWS has any of its keys.
pub fn read(settings: &[Setting], attributes: &BTreeMap<String, String>) -> Attrs {
    let mut out = Attrs::new();
    for setting in settings {
        if let Some((field, wanted)) = setting.when {
            let sibling = settings.iter().find(|s| {
                s.path.len() == setting.path.len()
                    && s.path[..s.path.len() - 1] == setting.path[..setting.path.len() - 1]
                    && s.path[s.path.len() - 1] == field
            });
            let text = sibling.and_then(|s| attributes.get(s.key));
            if text.map(String::as_str) != Some(wanted) {
                continue;
            }
        }
        let value = match attributes.get(setting.key) {
            Some(text) => setting.kind.value(text),
            None if setting.path.len() == 1 => setting.default_value().unwrap_or(Value::Null),
            None => continue,
        };
        insert_at(&mut out, setting.path, value);
    }
    for setting in settings.iter().filter(|s| s.off.is_some()) {
        let block = setting.path[0];
        let all_off = settings.iter().filter(|s| s.path[0] == block).all(|s| {
            s.off
                .is_none_or(|off| attributes.get(s.key).is_none_or(|t| t == off))
        });
        if all_off {
            out.remove(block);
        }
    }
    // A block AWS has nothing of reads as no block (not as unreported,
    // which would keep its last value).
    for setting in settings.iter().filter(|s| s.path.len() > 1) {
        out.entry(setting.path[0].to_string())
            .or_insert_with(|| Value::List(Vec::new().into()));
    }
    out
}

/// Puts `value` at `path`, making the single nested blocks on the way. A
/// null field of a block is left out, as a user leaves it out.
fn insert_at(attrs: &mut Attrs, path: &[&str], value: Value) {
    let [name, rest @ ..] = path else { return };
    if rest.is_empty() {
        attrs.insert(name.to_string(), value);
        return;
    }
    if rest.len() == 1 && value.is_null() {
        attrs
            .entry(name.to_string())
            .or_insert_with(|| Value::List(vec![Value::Map(Attrs::new().into())].into()));
        return;
    }
    let entry = attrs
        .entry(name.to_string())
        .or_insert_with(|| Value::List(vec![Value::Map(Attrs::new().into())].into()));
    if let Value::List(items) = entry
        && let Some(Value::Map(inner)) = items.first_mut()
    {
        insert_at(inner, rest, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::attrs;

    const SETTINGS: &[Setting] = &[
        Setting::new(&["slow_start"], "slow_start.duration_seconds", Kind::Number).default("0"),
        Setting::new(&["algorithm"], "load_balancing.algorithm.type", Kind::Text),
        Setting::new(&["stickiness", "enabled"], "stickiness.enabled", Kind::Bool),
        Setting::new(&["stickiness", "type"], "stickiness.type", Kind::Text),
        Setting::new(
            &["stickiness", "cookie_duration"],
            "stickiness.lb_cookie.duration_seconds",
            Kind::Number,
        )
        .when("type", "lb_cookie"),
        Setting::new(
            &["stickiness", "cookie_duration"],
            "stickiness.app_cookie.duration_seconds",
            Kind::Number,
        )
        .when("type", "app_cookie"),
    ];

    const LOGS: &[Setting] = &[
        Setting::new(&["logs", "enabled"], "logs.enabled", Kind::Bool)
            .default("true")
            .off("false"),
        Setting::new(&["logs", "bucket"], "logs.bucket", Kind::Text).off(""),
    ];

    #[test]
    fn a_block_turned_off_reads_as_no_block() {
        let off = read(
            LOGS,
            &aws(&[("logs.enabled", "false"), ("logs.bucket", "")]),
        );
        assert_eq!(off["logs"], Value::List(vec![].into()));
        let kept = read(
            LOGS,
            &aws(&[("logs.enabled", "false"), ("logs.bucket", "b")]),
        );
        assert_eq!(
            kept["logs"],
            Value::List(
                vec![Value::Map(
                    attrs([
                        ("enabled", Value::Bool(false)),
                        ("bucket", Value::string("b")),
                    ])
                    .into()
                )]
                .into()
            )
        );
        let planned = attrs([(
            "logs",
            Value::List(vec![Value::Map(attrs([("bucket", Value::string("b"))]).into())].into()),
        )]);
        assert_eq!(
            for_create(LOGS, &planned),
            vec![
                ("logs.enabled".to_string(), "true".to_string()),
                ("logs.bucket".to_string(), "b".to_string()),
            ]
        );
    }

    fn aws(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn settings_read_back_with_defaults_blocks_and_keys_chosen_by_type() {
        let read = read(
            SETTINGS,
            &aws(&[
                ("stickiness.enabled", "true"),
                ("stickiness.type", "app_cookie"),
                ("stickiness.lb_cookie.duration_seconds", "86400"),
                ("stickiness.app_cookie.duration_seconds", "60"),
            ]),
        );
        assert_eq!(read["slow_start"], Value::float(0.0));
        assert_eq!(read["algorithm"], Value::Null);
        assert_eq!(
            read["stickiness"],
            Value::List(
                vec![Value::Map(
                    attrs([
                        ("enabled", Value::Bool(true)),
                        ("type", Value::string("app_cookie")),
                        ("cookie_duration", Value::float(60.0)),
                    ])
                    .into()
                )]
                .into()
            )
        );
    }

    #[test]
    fn a_new_object_gets_only_what_differs_from_the_defaults() {
        let planned = attrs([
            ("slow_start", Value::float(0.0)),
            ("algorithm", Value::string("least_outstanding_requests")),
            (
                "stickiness",
                Value::List(
                    vec![Value::Map(
                        attrs([
                            ("type", Value::string("lb_cookie")),
                            ("cookie_duration", Value::float(600.0)),
                        ])
                        .into(),
                    )]
                    .into(),
                ),
            ),
        ]);
        let sent = for_create(SETTINGS, &planned);
        assert_eq!(
            sent,
            vec![
                (
                    "load_balancing.algorithm.type".to_string(),
                    "least_outstanding_requests".to_string()
                ),
                ("stickiness.type".to_string(), "lb_cookie".to_string()),
                (
                    "stickiness.lb_cookie.duration_seconds".to_string(),
                    "600".to_string()
                ),
            ]
        );
        let mut slower = planned.clone();
        slower.insert("slow_start".into(), Value::float(30.0));
        let sent = for_update(LOGS, &Attrs::new(), |name| name == "logs");
        assert_eq!(
            sent,
            vec![
                ("logs.enabled".to_string(), "false".to_string()),
                ("logs.bucket".to_string(), "".to_string()),
            ]
        );
        let sent = for_update(SETTINGS, &slower, |name| name == "slow_start");
        assert_eq!(
            sent,
            vec![("slow_start.duration_seconds".to_string(), "30".to_string())]
        );
    }
}
