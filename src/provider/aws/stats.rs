//! Counts of the AWS API calls a run makes, by service and operation, with
//! the retries among them: an SDK interceptor on every client records each
//! operation and each attempt, for `--stats`.

use std::collections::BTreeMap;
use std::sync::Mutex;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// Calls of one operation: how many were made, and how many attempts
/// (the first of each plus its retries) were sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Calls {
    pub calls: u64,
    pub attempts: u64,
}

impl Calls {
    pub fn retries(&self) -> u64 {
        self.attempts.saturating_sub(self.calls)
    }
}

/// Every operation of this process so far, by (service, operation).
static COUNTS: Mutex<BTreeMap<(String, String), Calls>> = Mutex::new(BTreeMap::new());

/// What the process has called so far.
pub fn snapshot() -> BTreeMap<(String, String), Calls> {
    COUNTS.lock().map(|c| c.clone()).unwrap_or_default()
}

fn count(cfg: &ConfigBag, update: impl FnOnce(&mut Calls)) {
    let Some(metadata) = cfg.load::<Metadata>() else {
        return;
    };
    if let Ok(mut counts) = COUNTS.lock() {
        let key = (metadata.service().to_string(), metadata.name().to_string());
        update(counts.entry(key).or_default());
    }
}

/// The interceptor every client carries.
#[derive(Debug)]
pub struct CallCounter;

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "terrane call counter"
    }

    // Once per operation, when its metadata is known (not yet before
    // serialisation).
    fn read_after_execution(
        &self,
        _context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        count(cfg, |c| c.calls += 1);
        Ok(())
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        count(cfg, |c| c.attempts += 1);
        Ok(())
    }
}
