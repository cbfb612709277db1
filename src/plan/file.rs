//! The saved plan (`terrane plan --out FILE`): a versioned JSON document
//! that records what the plan was made against (state lineage and serial,
//! a digest of the stack's files, the variables), every planned change
//! with its before and after values, and the machine-readable plan that
//! `show --json` prints. Pure: encoding and decoding only.
//!
//! A plan file is an artifact people upload and share, so it holds no
//! sensitive value: each one is replaced by a salted SHA-256 digest, and a
//! sensitive variable must be given again when the plan is applied (its
//! digest must match). docs/saved-plans.md says why.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};
use sha2::{Digest, Sha256};

use crate::addr::InstanceAddr;
use crate::value::{Attrs, Value};

use super::{Action, Plan, PlanMode, PlannedOutput, ResourceChange, TargetAddresses};

/// What the file says it is.
pub const FORMAT: &str = "terrane-plan";
/// Bumped whenever the layout changes; a file of another version is
/// refused rather than misread.
pub const FORMAT_VERSION: u32 = 1;

/// A saved plan, as stored.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PlanFile {
    pub format: String,
    pub format_version: u32,
    pub terrane_version: String,
    pub created_at: String,
    /// The stack directory, as given to `plan`.
    pub stack_dir: String,
    pub workspace: String,
    /// The state the plan was made against.
    pub state_lineage: String,
    pub state_serial: u64,
    /// SHA-256 over the stack's `.tf` files (its modules' included).
    pub stack_digest: String,
    pub variables: BTreeMap<String, SavedVariable>,
    /// Hex; salts every digest of a sensitive value in this file.
    pub salt: String,
    pub destroy: bool,
    pub mode: PlanMode,
    pub changes: Vec<SavedChange>,
    pub drift: Vec<SavedChange>,
    pub outputs: BTreeMap<String, SavedOutput>,
    pub moved: Vec<(String, String)>,
    pub forgotten: Vec<String>,
    /// Addresses `import` blocks bring under management.
    #[serde(default)]
    pub imported: Vec<String>,
    /// Whether the outputs differ from those state holds.
    #[serde(default)]
    pub outputs_changed: bool,
    /// The plan's own time (Unix seconds), which `plantimestamp()` returns:
    /// the apply plans again with it.
    #[serde(default)]
    pub plan_timestamp: Option<i64>,
    /// `--target`, `--exclude` and `--replace`, as given.
    pub targeting: TargetAddresses,
    /// The plan as `plan --json` prints it.
    pub json: Json,
}

/// A root variable's value, or only a digest of a sensitive one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SavedVariable {
    Value(Json),
    SensitiveDigest(String),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedChange {
    pub address: String,
    #[serde(rename = "type")]
    pub type_name: String,
    pub action: Action,
    pub provider: String,
    pub before: Option<Json>,
    pub after: Option<Json>,
    pub replace_paths: Vec<String>,
    pub changed: Vec<String>,
    pub dependencies: Vec<String>,
    pub sensitive: Vec<String>,
    /// Replaced because `--replace` asked.
    #[serde(default)]
    pub requested: bool,
    /// A deposed object, to be deleted.
    #[serde(default)]
    pub deposed: bool,
    /// Why a data source is read during apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_reason: Option<crate::plan::ReadReason>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedOutput {
    pub value: Json,
    pub sensitive: bool,
}

/// Why a file cannot be used as a plan.
#[derive(Debug, thiserror::Error)]
pub enum PlanFileError {
    #[error("{0} is not a terrane plan file")]
    NotAPlan(String),
    #[error(
        "{path} was written in plan format version {found}; this terrane reads version {FORMAT_VERSION}"
    )]
    OtherVersion { path: String, found: u32 },
}

/// What a plan file records besides the plan itself.
pub struct Provenance<'a> {
    pub stack_dir: String,
    pub workspace: String,
    pub stack_digest: String,
    /// Root variables, without marks, with whether each is sensitive.
    pub variables: &'a BTreeMap<String, (Value, bool)>,
    pub created_at: String,
    pub salt: String,
    pub targeting: TargetAddresses,
    pub json: Json,
}

impl PlanFile {
    pub fn new(plan: &Plan, provenance: Provenance<'_>) -> PlanFile {
        let salt = provenance.salt;
        let variables = provenance
            .variables
            .iter()
            .map(|(name, (value, sensitive))| {
                let saved = if *sensitive {
                    SavedVariable::SensitiveDigest(digest(&salt, value))
                } else {
                    SavedVariable::Value(encode(value))
                };
                (name.clone(), saved)
            })
            .collect();
        PlanFile {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            terrane_version: env!("CARGO_PKG_VERSION").into(),
            created_at: provenance.created_at,
            stack_dir: provenance.stack_dir,
            workspace: provenance.workspace,
            state_lineage: plan.prior_lineage.clone(),
            state_serial: plan.prior_serial,
            stack_digest: provenance.stack_digest,
            variables,
            destroy: plan.destroy,
            mode: plan.mode,
            changes: plan
                .resource_changes
                .iter()
                .map(|c| saved_change(c, &salt))
                .collect(),
            drift: plan.drift.iter().map(|c| saved_change(c, &salt)).collect(),
            outputs: plan
                .outputs
                .iter()
                .map(|(name, output)| {
                    let value = if output.sensitive {
                        json!({ SENTINEL: "sensitive", "sha256": digest(&salt, &output.value) })
                    } else {
                        encode(&output.value)
                    };
                    (
                        name.clone(),
                        SavedOutput {
                            value,
                            sensitive: output.sensitive,
                        },
                    )
                })
                .collect(),
            moved: plan.moved.clone(),
            forgotten: plan.forgotten.clone(),
            imported: plan.imported.clone(),
            outputs_changed: plan.outputs_changed,
            plan_timestamp: plan.timestamp,
            targeting: provenance.targeting,
            json: provenance.json,
            salt,
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut text = serde_json::to_string_pretty(self).expect("a plan file serialises");
        text.push('\n');
        text.into_bytes()
    }

    /// Reads a plan file; `path` names it in errors.
    pub fn from_bytes(path: &str, bytes: &[u8]) -> Result<PlanFile, PlanFileError> {
        let not_a_plan = || PlanFileError::NotAPlan(path.to_string());
        let json: Json = serde_json::from_slice(bytes).map_err(|_| not_a_plan())?;
        if json.get("format").and_then(Json::as_str) != Some(FORMAT) {
            return Err(not_a_plan());
        }
        let found = json
            .get("format_version")
            .and_then(Json::as_u64)
            .ok_or_else(not_a_plan)?;
        if found != u64::from(FORMAT_VERSION) {
            return Err(PlanFileError::OtherVersion {
                path: path.to_string(),
                found: u32::try_from(found).unwrap_or(u32::MAX),
            });
        }
        serde_json::from_value(json).map_err(|_| not_a_plan())
    }

    /// The plan, for showing: sensitive values are gone (each attribute
    /// that held one is named in its change's `sensitive`).
    pub fn to_plan(&self) -> Plan {
        Plan {
            resource_changes: self.changes.iter().filter_map(restored_change).collect(),
            drift: self.drift.iter().filter_map(restored_change).collect(),
            outputs: self
                .outputs
                .iter()
                .map(|(name, output)| {
                    let value = if output.sensitive {
                        Value::Null
                    } else {
                        decode(&output.value)
                    };
                    let sensitive = output.sensitive;
                    (name.clone(), PlannedOutput { value, sensitive })
                })
                .collect(),
            mode: self.mode,
            moved: self.moved.clone(),
            forgotten: self.forgotten.clone(),
            imported: self.imported.clone(),
            outputs_changed: self.outputs_changed,
            destroy: self.destroy,
            timestamp: self.plan_timestamp,
            prior_lineage: self.state_lineage.clone(),
            prior_serial: self.state_serial,
        }
    }

    /// How `fresh` (the same plan made again, saved with this file's salt)
    /// differs from this one in what applying it would do; empty when it
    /// would do exactly the same. Values only read back (unchanged
    /// attributes, computed ones) may differ.
    pub fn differences(&self, fresh: &PlanFile) -> Vec<String> {
        let mut found = Vec::new();
        if self.destroy != fresh.destroy || self.mode != fresh.mode {
            found.push("the kind of plan".to_string());
        }
        if self.moved != fresh.moved || self.forgotten != fresh.forgotten {
            found.push("the addresses moved or removed blocks change".to_string());
        }
        if self.imported != fresh.imported {
            found.push("the objects import blocks bring in".to_string());
        }
        let (saved, now) = if self.mode == PlanMode::RefreshOnly {
            (&self.drift, &fresh.drift)
        } else {
            (&self.changes, &fresh.changes)
        };
        let effective = |changes: &[SavedChange]| -> BTreeMap<String, Json> {
            changes
                .iter()
                .filter(|c| c.action != Action::NoOp)
                .map(|c| (c.address.clone(), effect(c)))
                .collect()
        };
        let (saved, now) = (effective(saved), effective(now));
        for (address, effect) in &saved {
            match now.get(address) {
                None => found.push(format!("{address} no longer needs the planned change")),
                Some(other) if other != effect => {
                    found.push(format!("{address} would now change differently"));
                }
                Some(_) => {}
            }
        }
        for address in now.keys().filter(|a| !saved.contains_key(*a)) {
            found.push(format!(
                "{address} now needs a change the plan does not have"
            ));
        }
        let outputs = |file: &PlanFile| -> BTreeMap<String, Json> {
            file.outputs
                .iter()
                .map(|(name, output)| (name.clone(), output.value.clone()))
                .collect()
        };
        if self.mode != PlanMode::RefreshOnly && outputs(self) != outputs(fresh) {
            found.push("the planned output values".to_string());
        }
        found
    }
}

/// What a change does: its action, what forces replacement, and the new
/// values it sends: every attribute of a new object, the changed ones of
/// an update.
fn effect(change: &SavedChange) -> Json {
    let after = change.after.as_ref().and_then(Json::as_object);
    let changed: serde_json::Map<String, Json> = match (change.action.creates(), after) {
        (true, Some(after)) => after.clone(),
        (_, after) => change
            .changed
            .iter()
            .map(|name| {
                let value = after.and_then(|a| a.get(name)).cloned();
                (name.clone(), value.unwrap_or(Json::Null))
            })
            .collect(),
    };
    json!({
        "action": change.action,
        "replace_paths": change.replace_paths,
        "changed": changed,
    })
}

/// A marker key no attribute map uses: `{"__terrane": "unknown"}` is a value
/// known only after apply; `{"__terrane": "sensitive", "sha256": ...}`
/// stands for a sensitive value.
const SENTINEL: &str = "__terrane";

fn saved_change(change: &ResourceChange, salt: &str) -> SavedChange {
    let redact = |attrs: &Attrs| -> Json {
        Json::Object(
            attrs
                .iter()
                .map(|(name, value)| {
                    let saved = if change.sensitive.contains(name) {
                        json!({ SENTINEL: "sensitive", "sha256": digest(salt, value) })
                    } else {
                        encode(value)
                    };
                    (name.clone(), saved)
                })
                .collect(),
        )
    };
    SavedChange {
        address: change.address.clone(),
        type_name: change.type_name.clone(),
        action: change.action,
        provider: change.provider.clone(),
        before: change.before.as_ref().map(redact),
        after: change.after.as_ref().map(redact),
        replace_paths: change.replace_paths.clone(),
        changed: change.changed.clone(),
        dependencies: change.dependencies.clone(),
        sensitive: change.sensitive.clone(),
        requested: change.requested,
        deposed: change.deposed,
        read_reason: change.read_reason,
    }
}

fn restored_change(saved: &SavedChange) -> Option<ResourceChange> {
    let restore = |json: &Json| -> Option<Attrs> {
        match decode(json) {
            Value::Map(attrs) => Some(attrs.into_attrs()),
            _ => None,
        }
    };
    Some(ResourceChange {
        addr: InstanceAddr::parse(&saved.address)?,
        address: saved.address.clone(),
        type_name: saved.type_name.clone(),
        resource: None,
        action: saved.action,
        before: saved.before.as_ref().and_then(restore),
        after: saved.after.as_ref().and_then(restore),
        replace_paths: saved.replace_paths.clone(),
        changed: saved.changed.clone(),
        dependencies: saved.dependencies.clone(),
        provider: saved.provider.clone(),
        sensitive: saved.sensitive.clone(),
        requested: saved.requested,
        deposed: saved.deposed,
        read_reason: saved.read_reason,
    })
}

/// A value as JSON, keeping unknowns (which plain JSON has no word for).
fn encode(value: &Value) -> Json {
    match value {
        Value::Unknown => json!({ SENTINEL: "unknown" }),
        Value::Sensitive(_) => json!({ SENTINEL: "sensitive" }),
        Value::List(items) => Json::Array(items.iter().map(encode).collect()),
        Value::Map(map) => Json::Object(map.iter().map(|(k, v)| (k.clone(), encode(v))).collect()),
        other => other.to_json(),
    }
}

fn decode(json: &Json) -> Value {
    match json {
        Json::Object(map) if map.get(SENTINEL).and_then(Json::as_str) == Some("unknown") => {
            Value::Unknown
        }
        // Only the digest was kept: nothing to show.
        Json::Object(map) if map.contains_key(SENTINEL) => Value::Null,
        Json::Array(items) => Value::List(items.iter().map(decode).collect()),
        Json::Object(map) => Value::Map(map.iter().map(|(k, v)| (k.clone(), decode(v))).collect()),
        other => Value::from_json(other),
    }
}

/// `sha256:<hex>` of the salt and the value's JSON.
pub fn digest(salt: &str, value: &Value) -> String {
    let mut hasher = Sha256::new();
    hasher.update(salt.as_bytes());
    hasher.update(value.to_json().to_string().as_bytes());
    format!("sha256:{}", hex(&hasher.finalize()))
}

/// `sha256:<hex>` over files given as (path relative to the stack, text),
/// in path order, so the same files digest the same wherever the stack is
/// checked out.
pub fn stack_digest(files: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = files.iter().collect();
    sorted.sort();
    let mut hasher = Sha256::new();
    for (path, text) in sorted {
        hasher.update((path.len() as u64).to_be_bytes());
        hasher.update(path.as_bytes());
        hasher.update((text.len() as u64).to_be_bytes());
        hasher.update(text.as_bytes());
    }
    format!("sha256:{}", hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_with_secret() -> Plan {
        let addr = InstanceAddr::parse("aws_s3_bucket.app").unwrap();
        Plan {
            resource_changes: vec![ResourceChange {
                address: "aws_s3_bucket.app".into(),
                addr,
                type_name: "aws_s3_bucket".into(),
                resource: Some(0),
                action: Action::Create,
                before: None,
                after: Some(Attrs::from([
                    ("bucket".to_string(), Value::string("b")),
                    ("id".to_string(), Value::Unknown),
                    (
                        "tags".to_string(),
                        Value::Map(
                            Attrs::from([(
                                "Credential".to_string(),
                                Value::string("hunter2hunter2"),
                            )])
                            .into(),
                        ),
                    ),
                ])),
                replace_paths: Vec::new(),
                changed: Vec::new(),
                dependencies: Vec::new(),
                provider: "aws".into(),
                sensitive: vec!["tags".into()],
                requested: false,
                deposed: false,
                read_reason: None,
            }],
            ..Plan::default()
        }
    }

    fn saved(plan: &Plan, salt: &str, secret: &str) -> PlanFile {
        let variables = BTreeMap::from([
            ("name".to_string(), (Value::string("x"), false)),
            ("password".to_string(), (Value::string(secret), true)),
        ]);
        PlanFile::new(
            plan,
            Provenance {
                stack_dir: ".".into(),
                workspace: "default".into(),
                stack_digest: stack_digest(&[("main.tf".into(), "x".into())]),
                variables: &variables,
                created_at: "2026-12-03T00:00:00Z".into(),
                salt: salt.into(),
                targeting: Default::default(),
                json: json!({}),
            },
        )
    }

    #[test]
    fn round_trips_without_sensitive_values() {
        let plan = plan_with_secret();
        let file = saved(&plan, "ab", "hunter2hunter2");
        let bytes = file.to_bytes();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(!text.contains("hunter2"), "{text}");
        let read = PlanFile::from_bytes("p", &bytes).unwrap();
        let shown = read.to_plan();
        let after = shown.resource_changes[0].after.as_ref().unwrap();
        assert_eq!(after["id"], Value::Unknown, "unknowns survive");
        assert_eq!(after["bucket"], Value::string("b"));
        assert_eq!(after["tags"], Value::Null, "only a digest was kept");
        assert!(read.differences(&file).is_empty());
    }

    #[test]
    fn a_changed_sensitive_value_is_a_difference() {
        let plan = plan_with_secret();
        let file = saved(&plan, "ab", "hunter2hunter2");
        let mut other = plan_with_secret();
        other.resource_changes[0]
            .after
            .as_mut()
            .unwrap()
            .insert("tags".into(), Value::Map(Attrs::new().into()));
        let fresh = saved(&other, "ab", "hunter2hunter2");
        assert_eq!(
            file.differences(&fresh),
            ["aws_s3_bucket.app would now change differently"]
        );
        assert_ne!(
            digest("ab", &Value::string("a")),
            digest("cd", &Value::string("a")),
            "salted"
        );
    }

    #[test]
    fn other_files_and_versions_are_refused() {
        assert!(matches!(
            PlanFile::from_bytes("x", b"{\"serial\": 1}"),
            Err(PlanFileError::NotAPlan(_))
        ));
        assert!(matches!(
            PlanFile::from_bytes("x", b"\x00\x01binary"),
            Err(PlanFileError::NotAPlan(_))
        ));
        let mut file = saved(&plan_with_secret(), "ab", "pw");
        file.format_version = 99;
        assert!(matches!(
            PlanFile::from_bytes("x", &file.to_bytes()),
            Err(PlanFileError::OtherVersion { found: 99, .. })
        ));
    }
}
