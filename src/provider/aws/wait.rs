//! Waiting for AWS's asynchronous operations: poll at once, then back off.
//!
//! The first check is immediate and the interval grows from about a second to
//! a cap, so an object that is ready at once costs no sleep, and a real EKS
//! cluster (10–15 minutes) costs few calls.

use std::future::Future;
use std::time::Duration;

use super::convert::single;
use crate::provider::schema::{Attribute, Block, Schema, Type};
use crate::provider::{ErrorKind, ProviderError};
use crate::retry::{self, Backoff};
use crate::value::{Attrs, AttrsExt};

const FIRST_INTERVAL: Duration = Duration::from_secs(1);
const MAX_INTERVAL: Duration = Duration::from_secs(15);

/// Per-operation timeouts from a resource's `timeouts {}` block.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    pub create: Duration,
    pub update: Duration,
    pub delete: Duration,
}

impl Timeouts {
    /// The `timeouts {}` block for a type's schema, with the operations
    /// Terraform's block for the type has (`create`, `update`, `delete`,
    /// `read`). terrane's reads never wait, so `read` is accepted and
    /// bounds nothing.
    pub fn block(operations: &[&'static str]) -> Block {
        Block::single(
            "timeouts",
            Schema::new(
                operations
                    .iter()
                    .map(|operation| Attribute::optional(operation, Type::String))
                    .collect(),
                vec![],
            ),
        )
    }

    /// A data source's `timeouts { read }` block (see [`Timeouts::block`]).
    pub fn read_block() -> Block {
        Timeouts::block(&["read"])
    }

    /// The same limit for every operation.
    pub const fn all(limit: Duration) -> Timeouts {
        Timeouts {
            create: limit,
            update: limit,
            delete: limit,
        }
    }

    /// Reads `timeouts { create = "30m" ... }`, falling back to `defaults`.
    pub fn from_attrs(attrs: &Attrs, defaults: Timeouts) -> Timeouts {
        let block = single(attrs, "timeouts");
        let get = |key: &str, default: Duration| {
            block
                .and_then(|b| b.str(key))
                .and_then(|s| humantime::parse_duration(s).ok())
                .unwrap_or(default)
        };
        Timeouts {
            create: get("create", defaults.create),
            update: get("update", defaults.update),
            delete: get("delete", defaults.delete),
        }
    }
}

/// Polls `check` until it returns `Some`, an error, or `timeout` passes.
/// `what` names the condition in the timeout error.
pub async fn wait_until<T, F, Fut>(
    what: &str,
    timeout: Duration,
    check: F,
) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, ProviderError>>,
{
    let backoff = Backoff::doubling(FIRST_INTERVAL, MAX_INTERVAL).within(timeout);
    crate::progress::waiting(what, retry::poll(backoff, check))
        .await?
        .ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Timeout,
                format!(
                    "timed out after {} waiting for {what}",
                    humantime::format_duration(timeout)
                ),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::time::Instant;

    #[tokio::test]
    async fn ready_at_once_costs_no_sleep() {
        let started = Instant::now();
        let v = wait_until("x", Duration::from_secs(5), || async { Ok(Some(7)) })
            .await
            .unwrap();
        assert_eq!(v, 7);
        assert!(started.elapsed() < Duration::from_millis(100));
    }

    #[tokio::test]
    async fn times_out_with_a_named_condition() {
        let err = wait_until::<(), _, _>("the thing", Duration::from_millis(50), || async {
            Ok(None)
        })
        .await
        .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Timeout);
        assert!(err.message.contains("the thing"), "{}", err.message);
    }
}
