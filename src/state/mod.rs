//! State: what terrane has created, and where that record is kept.
//!
//! The model is a serialisable value (`State`) with a lineage fixed at
//! creation and a serial that grows with every write. Pending operations are
//! recorded before a create starts, so a run killed mid-create leaves a trace.
//! Backends (`local.rs`, `s3.rs`, behind the `Backend` trait) store it
//! without ever silently overwriting it, and lock it; `terraform.rs` reads
//! Terraform's state format for migration. This module and `provider` are
//! the only ones that do I/O against storage. It never prints.

mod backend;
pub mod edit;
mod journal;
mod local;
mod lock;
pub mod s3;
pub mod terraform;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use backend::{Backend, Checked, LOCAL_WORKSPACES_DIR, StateVersion};
pub use local::{LocalBackend, workspaces as local_workspaces};
pub use lock::LockInfo;
pub use s3::{S3Backend, S3Settings};

use crate::value::{Attrs, Value};

/// The newest state format this binary reads and writes. Format 2 adds
/// each resource's `provider`. A state stays format 1 while every resource
/// uses the default provider, so older binaries keep reading it, and
/// becomes format 2 once one uses an alias, so they refuse it rather than
/// read its objects in the wrong region.
pub const FORMAT_VERSION: u64 = 2;
/// The format of a new state.
const FIRST_FORMAT_VERSION: u64 = 1;

// The doc comments of these types are the descriptions in
// state/state.schema.json, which is generated from them (`json_schema`).

/// What terrane manages for one stack, as stored by the local and S3
/// backends. See state/README.md.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
#[schemars(title = "terrane state", deny_unknown_fields)]
pub struct State {
    /// The state format. A binary refuses formats newer than its own.
    #[schemars(range(min = 1))]
    pub format_version: u64,
    /// The terrane version that wrote this state.
    pub terrane_version: String,
    /// Increases by one on every write.
    pub serial: u64,
    /// A UUID fixed when the state was first created; a state with another
    /// lineage belongs to another stack.
    pub lineage: String,
    /// Output values by name.
    #[serde(default)]
    pub outputs: BTreeMap<String, OutputState>,
    /// One entry per managed resource instance, sorted by address: change
    /// it through `upsert` and `remove`, since lookups binary-search it.
    #[serde(default)]
    pub resources: Vec<ResourceState>,
    /// Creates that started but are not known to have finished. Absent when
    /// empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<PendingOperation>,
    /// Objects replaced under `create_before_destroy` whose deletion has
    /// not finished: the next apply deletes them. Absent when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deposed: Vec<ResourceState>,
}

/// An output value.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct OutputState {
    /// Any JSON value.
    pub value: Value,
    #[serde(default)]
    pub sensitive: bool,
}

/// One managed resource instance.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ResourceState {
    /// The instance address, e.g. aws_subnet.public[0],
    /// aws_subnet.az["us-east-1a"] or module.network.aws_vpc.main.
    pub address: String,
    /// The resource type, e.g. aws_subnet.
    #[serde(rename = "type")]
    pub type_name: String,
    /// The object's id in AWS.
    pub id: String,
    /// Every attribute as last read from AWS, in the shape the configuration
    /// writes it.
    pub attributes: Attrs,
    /// Addresses of the resources (without their instance keys; a module's
    /// instance keys are kept) this instance depended on; deletions run in
    /// reverse of them.
    #[serde(default)]
    pub dependencies: Vec<String>,
    /// The provider configuration that manages it: aws, or aws.<alias>
    /// for an aliased one (another region or account). Absent for aws.
    #[serde(
        default = "default_provider",
        skip_serializing_if = "is_default_provider"
    )]
    pub provider: String,
    /// Attributes whose values are sensitive (set from a sensitive value, or
    /// sensitive in the provider's schema): `state show` hides them. Absent
    /// when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sensitive_attributes: Vec<String>,
}

fn default_provider() -> String {
    "aws".into()
}

fn is_default_provider(name: &String) -> bool {
    name == "aws"
}

/// An operation recorded before it starts. A create that is still pending on
/// the next run was interrupted: the object may exist in AWS, tagged with
/// `terrane:address`, without being in `resources`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct PendingOperation {
    /// The instance address.
    pub address: String,
    /// What was started.
    #[schemars(extend("enum" = ["create"]))]
    pub operation: String,
    /// The idempotency token sent with the create.
    pub client_token: String,
    /// RFC 3339 time the operation started.
    pub started_at: String,
    /// What state records for the object once the create finishes, with its
    /// arguments as sent (the id still empty): what the next run needs to
    /// look for the object (its name, its parent) and to adopt it. Absent in
    /// states written before terrane recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planned: Option<Box<ResourceState>>,
}

/// The state file's JSON Schema, as checked in at state/state.schema.json
/// (a test keeps the two the same).
pub fn json_schema() -> String {
    let mut schema = schemars::schema_for!(State);
    schema.insert(
        "$id".into(),
        "https://github.com/terrane/terrane/state/state.schema.json".into(),
    );
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema serialises");
    text.push('\n');
    text
}

impl State {
    pub fn new() -> State {
        State {
            format_version: FIRST_FORMAT_VERSION,
            terrane_version: env!("CARGO_PKG_VERSION").to_string(),
            serial: 0,
            lineage: uuid::Uuid::new_v4().to_string(),
            outputs: BTreeMap::new(),
            resources: Vec::new(),
            pending: Vec::new(),
            deposed: Vec::new(),
        }
    }

    pub fn resource(&self, address: &str) -> Option<&ResourceState> {
        self.position(address).ok().map(|at| &self.resources[at])
    }

    /// Where `address` is, or would go, in the sorted list: a binary
    /// search, so a step's lookup does not grow with the state.
    fn position(&self, address: &str) -> Result<usize, usize> {
        self.resources
            .binary_search_by(|r| r.address.as_str().cmp(address))
    }

    /// Inserts or replaces the instance at `resource.address`, keeping the
    /// list sorted by address so state files diff cleanly.
    pub fn upsert(&mut self, resource: ResourceState) {
        if !is_default_provider(&resource.provider) {
            self.format_version = self.format_version.max(2);
        }
        match self.position(&resource.address) {
            Ok(at) => self.resources[at] = resource,
            Err(at) => self.resources.insert(at, resource),
        }
    }

    pub fn remove(&mut self, address: &str) -> Option<ResourceState> {
        let at = self.position(address).ok()?;
        Some(self.resources.remove(at))
    }

    /// Parses a state file, refusing formats newer than this binary's.
    pub fn from_json(text: &str) -> Result<State, StateError> {
        #[derive(Deserialize)]
        struct Header {
            format_version: Option<u64>,
        }
        let header: Header =
            serde_json::from_str(text).map_err(|e| StateError::Corrupt(e.to_string()))?;
        match header.format_version {
            Some(v) if v > FORMAT_VERSION => Err(StateError::NewerFormat(v)),
            Some(_) => {
                let mut state: State =
                    serde_json::from_str(text).map_err(|e| StateError::Corrupt(e.to_string()))?;
                // Written sorted; sorted again in case a hand-edited file is
                // not, since lookups rely on it.
                state.resources.sort_by(|a, b| a.address.cmp(&b.address));
                Ok(state)
            }
            None => Err(StateError::Corrupt("missing `format_version`".into())),
        }
    }

    /// `serial N, lineage L`, for messages about a stored state.
    pub fn describe(&self) -> String {
        format!("serial {}, lineage {}", self.serial, self.lineage)
    }

    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("state serialises");
        text.push('\n');
        text
    }
}

/// Describes stored state text for a conflict message: its serial and
/// lineage, or that it is not readable.
fn describe_stored(text: &str) -> String {
    match State::from_json(text) {
        Ok(state) => state.describe(),
        Err(_) => "a state that cannot be read".into(),
    }
}

impl Default for State {
    fn default() -> State {
        State::new()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot access state at {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("the state is not valid: {0}")]
    Corrupt(String),
    #[error("cannot access state at {location}: {message}")]
    Remote { location: String, message: String },
    #[error("the state bucket {bucket:?} does not exist")]
    BucketMissing { bucket: String },
    #[error("there is no state version {0:?}")]
    VersionNotFound(String),
    #[error(
        "the state has format version {0}, newer than this terrane understands ({FORMAT_VERSION})"
    )]
    NewerFormat(u64),
    #[error("the state is locked by {} since {} (operation: {}, lock ID {})", .0.who, .0.created, .0.operation, .0.id)]
    /// Boxed: the holder's record is large and this error is rare.
    Locked(Box<LockInfo>),
    /// Another writer changed the stored state after this run read it.
    /// `now` describes what is stored now (serial and lineage, if readable).
    #[error("the state changed under us since it was read (now {now}); refusing to overwrite it")]
    Conflict { now: String },
    #[error("the lock ID {given} does not match the lock held ({held})")]
    WrongLockId { given: String, held: String },
    #[error("the state is not locked")]
    NotLocked,
}

impl StateError {
    pub fn hint(&self) -> Option<String> {
        match self {
            StateError::Locked(info) => Some(format!(
                "wait for that run to finish; if it died, run `terrane force-unlock {}`",
                info.id
            )),
            StateError::NewerFormat(_) => Some("upgrade terrane to read this state".into()),
            StateError::Conflict { .. } => Some(
                "another run wrote the state and nothing was overwritten; run plan again to see its result"
                    .into(),
            ),
            StateError::Corrupt(_) => Some(
                "the stored state was not changed; list earlier versions with `terrane state versions` and bring one back with `terrane state restore VERSION_ID`".into(),
            ),
            StateError::BucketMissing { .. } => Some(
                "create it with `terrane init --create-state-bucket`, or fix `bucket` in the backend block"
                    .into(),
            ),
            StateError::VersionNotFound(_) => {
                Some("list the versions with `terrane state versions`".into())
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_newer_format_and_corrupt_text() {
        let newer = r#"{"format_version": 99, "serial": 1, "lineage": "x"}"#;
        assert!(matches!(
            State::from_json(newer),
            Err(StateError::NewerFormat(99))
        ));
        let truncated = &State::new().to_json()[..20];
        assert!(matches!(
            State::from_json(truncated),
            Err(StateError::Corrupt(_))
        ));
    }

    #[test]
    fn upsert_keeps_addresses_sorted_and_unique() {
        let mut state = State::new();
        for address in ["b.x", "a.x", "b.x"] {
            state.upsert(ResourceState {
                address: address.into(),
                type_name: "t".into(),
                id: "i".into(),
                attributes: Attrs::new(),
                dependencies: vec![],
                provider: "aws".into(),
                sensitive_attributes: Vec::new(),
            });
        }
        let addresses: Vec<_> = state.resources.iter().map(|r| r.address.as_str()).collect();
        assert_eq!(addresses, ["a.x", "b.x"]);
    }

    /// The documented format cannot drift from the code: the checked-in
    /// schema is what the state types derive. `UPDATE_STATE_SCHEMA=1 cargo
    /// test --lib state::` rewrites the file after a deliberate change.
    #[test]
    fn checked_in_schema_matches_the_state_types() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/state/state.schema.json");
        let derived = json_schema();
        if std::env::var_os("UPDATE_STATE_SCHEMA").is_some() {
            std::fs::write(path, &derived).unwrap();
        }
        let checked_in = std::fs::read_to_string(path).unwrap();
        assert_eq!(
            checked_in, derived,
            "state/state.schema.json is out of date: rerun with UPDATE_STATE_SCHEMA=1"
        );
    }

    #[test]
    fn a_written_state_follows_the_schema_shape() {
        let schema: serde_json::Value = serde_json::from_str(&json_schema()).unwrap();
        let mut state = State::new();
        state.pending.push(PendingOperation {
            address: "aws_vpc.main".into(),
            operation: "create".into(),
            client_token: "t".into(),
            started_at: "2026-01-01T00:00:00Z".into(),
            planned: None,
        });
        let written: serde_json::Value = serde_json::from_str(&state.to_json()).unwrap();
        let properties = schema["properties"].as_object().unwrap();
        for key in written.as_object().unwrap().keys() {
            assert!(properties.contains_key(key), "{key} is not in the schema");
        }
        for required in schema["required"].as_array().unwrap() {
            assert!(written.get(required.as_str().unwrap()).is_some());
        }
    }
}
