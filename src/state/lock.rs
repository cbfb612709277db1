//! Lock records: who holds a state, since when, for what.

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
