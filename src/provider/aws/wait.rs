//! Waiting for AWS's asynchronous operations: poll at once, then back off.
//!
//! The first check is immediate, and each interval is an eighth of the time
//! waited so far (half a second at least, 15 seconds at most): an object
//! that is ready at once costs no sleep, one ready in seconds is seen within
//! half a second, and a real EKS cluster (10–15 minutes) costs
//! 70–90 calls and is seen at most 15 seconds late.

use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::convert::single;
use crate::provider::schema::{Attribute, Block, Schema, Type};
use crate::provider::{ErrorKind, ProviderError};
use crate::retry::{self, Backoff};
use crate::value::{Attrs, AttrsExt};

const FIRST_INTERVAL: Duration = Duration::from_millis(500);
const MAX_INTERVAL: Duration = Duration::from_secs(15);
/// Each interval's share of the time waited so far.
const INTERVAL_FRACTION: f64 = 1.0 / 8.0;

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
///
/// A throttled poll is a "not yet", polled again: a create's clients send
/// each call once (a create sent twice could make two objects), and its
/// waits poll through them, so one busy moment of AWS would otherwise fail
/// the step. AWS refuses a throttled call before doing anything, so this
/// is safe even for a check that changes something. A transient error (no
/// answer) still ends the wait: the call may have been carried out, and an
/// unreachable endpoint should fail now, not at the timeout; a check that
/// only reads may treat it as "not yet" itself. A wait that times out while
/// throttled names the error.
pub async fn wait_until<T, F, Fut>(
    what: &str,
    timeout: Duration,
    check: F,
) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, ProviderError>>,
{
    let backoff =
        Backoff::proportional(FIRST_INTERVAL, MAX_INTERVAL, INTERVAL_FRACTION).within(timeout);
    // From one "not yet" to the next, AWS was busy, whatever terrane did
    // meanwhile: the apply's critical path counts that time as AWS's.
    let last_not_ready: Mutex<Option<Instant>> = Mutex::new(None);
    let last_poll_error: Mutex<Option<ProviderError>> = Mutex::new(None);
    let mut check = check;
    let watched = || {
        let asked = Instant::now();
        let answer = check();
        let (last_not_ready, last_poll_error) = (&last_not_ready, &last_poll_error);
        async move {
            let answer = answer.await;
            if let Ok(None) = answer
                && let Ok(mut last) = last_not_ready.lock()
            {
                if let Some(previous) = *last {
                    super::stats::count_aws_wait(asked.saturating_duration_since(previous));
                }
                *last = Some(Instant::now());
            }
            let mut last_error = last_poll_error.lock().expect("not poisoned");
            match answer {
                Err(e) if e.kind == ErrorKind::Throttled => {
                    *last_error = Some(e);
                    Ok(None)
                }
                answer => {
                    *last_error = None;
                    answer
                }
            }
        }
    };
    crate::progress::waiting(what, retry::poll(backoff, watched))
        .await?
        .ok_or_else(|| {
            let last_error = last_poll_error.lock().expect("not poisoned").take();
            ProviderError::new(
                ErrorKind::Timeout,
                format!(
                    "timed out after {} waiting for {what}{}",
                    humantime::format_duration(timeout),
                    last_error.map_or_else(String::new, |e| format!(" (the last poll: {e})"))
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

    /// The wait between two "not yet" answers counts as the step's time
    /// in AWS; the wait before the answer that says ready does not.
    #[tokio::test]
    async fn time_between_not_ready_answers_counts_as_aws_time() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicU32, Ordering};

        use crate::provider::aws::stats::{StepRequests, recording_requests};
        let step = Arc::new(StepRequests::default());
        let checks = AtomicU32::new(0);
        let started = Instant::now();
        recording_requests(step.clone(), async {
            wait_until("x", Duration::from_secs(10), || async {
                Ok((checks.fetch_add(1, Ordering::SeqCst) == 2).then_some(()))
            })
            .await
        })
        .await
        .unwrap();
        let (waited, counted) = (started.elapsed(), step.seconds_in_aws());
        // Two waits of half a second: the first (between the two "not
        // yet"s) counts, the second does not.
        assert!(waited >= Duration::from_millis(1000), "{waited:?}");
        assert!((0.5..0.75).contains(&counted), "{counted} of {waited:?}");
    }

    #[tokio::test]
    async fn a_throttled_poll_is_polled_again_and_any_other_error_ends_the_wait() {
        use std::sync::atomic::{AtomicU32, Ordering};

        let polls = AtomicU32::new(0);
        let ready = wait_until("x", Duration::from_secs(10), || async {
            match polls.fetch_add(1, Ordering::SeqCst) {
                0 => Err(ProviderError::new(ErrorKind::Throttled, "Rate exceeded")),
                _ => Ok(Some(7)),
            }
        })
        .await;
        assert_eq!(ready.unwrap(), 7);
        assert_eq!(polls.load(Ordering::SeqCst), 2);

        for (kind, message) in [
            (ErrorKind::Validation, "bad id"),
            (ErrorKind::Transient, "no answer"),
        ] {
            let polls = AtomicU32::new(0);
            let ended = wait_until::<(), _, _>("x", Duration::from_secs(10), || async {
                polls.fetch_add(1, Ordering::SeqCst);
                Err(ProviderError::new(kind, message))
            })
            .await
            .unwrap_err();
            assert_eq!(ended.kind, kind);
            assert_eq!(polls.load(Ordering::SeqCst), 1);
        }
    }

    #[tokio::test]
    async fn a_wait_throttled_to_its_end_names_the_last_error() {
        let err = wait_until::<(), _, _>("the thing", Duration::from_millis(50), || async {
            Err(ProviderError::new(ErrorKind::Throttled, "Rate exceeded"))
        })
        .await
        .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Timeout);
        assert!(
            err.message.contains("the thing") && err.message.contains("Rate exceeded"),
            "{}",
            err.message
        );
    }

    #[tokio::test]
    async fn a_throttle_followed_by_not_yet_is_not_named_at_the_timeout() {
        use std::sync::atomic::{AtomicU32, Ordering};

        let polls = AtomicU32::new(0);
        let err = wait_until::<(), _, _>("the thing", Duration::from_millis(700), || async {
            match polls.fetch_add(1, Ordering::SeqCst) {
                0 => Err(ProviderError::new(ErrorKind::Throttled, "Rate exceeded")),
                _ => Ok(None),
            }
        })
        .await
        .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Timeout);
        assert!(polls.load(Ordering::SeqCst) >= 2);
        assert!(!err.message.contains("Rate exceeded"), "{}", err.message);
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
