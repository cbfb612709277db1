//! Lock records: who holds a state, since when, for what. Serialised with
//! Terraform's field names, so operators recognise them. No I/O here.

use serde::{Deserialize, Serialize};

/// Terraform's lock info fields, so operators recognise them.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct LockInfo {
    #[serde(rename = "ID")]
    pub id: String,
    pub operation: String,
    /// `user@host`
    pub who: String,
    pub created: String,
    pub version: String,
    pub path: String,
}

impl LockInfo {
    pub fn new(operation: &str, path: &str) -> LockInfo {
        LockInfo {
            id: uuid::Uuid::new_v4().to_string(),
            operation: operation.to_string(),
            who: format!(
                "{}@{}",
                whoami::username().unwrap_or_else(|_| "unknown".into()),
                whoami::hostname().unwrap_or_else(|_| "unknown".into())
            ),
            created: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            path: path.to_string(),
        }
    }
}

impl LockInfo {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("lock info serialises")
    }

    /// Parses a lock record; one that cannot be read still means the state
    /// is locked, so it becomes a record of an unknown holder.
    pub fn from_json_or_unknown(text: &str, path: &str) -> LockInfo {
        serde_json::from_str(text).unwrap_or_else(|_| LockInfo {
            id: "(unreadable lock record)".into(),
            operation: "unknown".into(),
            who: "unknown".into(),
            created: "unknown".into(),
            version: "unknown".into(),
            path: path.to_string(),
        })
    }
}
