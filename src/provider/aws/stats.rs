//! Counts of the AWS API calls a run makes, by service and operation, with
//! the retries among them: an SDK interceptor on every client records each
//! operation and each attempt, for `--stats`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

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

/// The critical path of the last apply (see [`CriticalPath`]).
static CRITICAL_PATH: Mutex<Option<CriticalPath>> = Mutex::new(None);

/// The longest chain of dependent apply steps, measured two ways.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CriticalPath {
    /// The most round trips to AWS such a chain made one after another
    /// (requests a step has in flight together count once).
    pub round_trips: u64,
    /// The most time such a chain spent in AWS: with a request in flight,
    /// or between two answers of a wait that said "not ready yet".
    pub seconds_in_aws: f64,
}

/// The requests one apply step sends, retries included: how many times it
/// started one with none in flight (a round trip it waited for), and for
/// how long it had one in flight or was told by a wait's answers that AWS
/// was not ready yet ([`count_aws_wait`]); shared calls count too
/// ([`count_shared`]).
#[derive(Debug, Default)]
pub struct StepRequests(Mutex<InFlight>);

#[derive(Debug, Default)]
struct InFlight {
    now: u32,
    since: Option<std::time::Instant>,
    busy: std::time::Duration,
    round_trips: u64,
}

impl StepRequests {
    fn started(&self) {
        if let Ok(mut flight) = self.0.lock() {
            if flight.now == 0 {
                flight.round_trips += 1;
                flight.since = Some(std::time::Instant::now());
            }
            flight.now += 1;
        }
    }

    fn ended(&self) {
        if let Ok(mut flight) = self.0.lock() {
            flight.now = flight.now.saturating_sub(1);
            if flight.now == 0
                && let Some(since) = flight.since.take()
            {
                flight.busy += since.elapsed();
            }
        }
    }

    /// Counts a call made for several steps together (a batched
    /// read-back) as this step's own as well: each of them needed it.
    fn add(&self, shared: SharedCall) {
        if let Ok(mut flight) = self.0.lock() {
            flight.round_trips += shared.round_trips;
            flight.busy += shared.busy;
        }
    }

    fn cost(&self) -> SharedCall {
        self.0.lock().map_or(SharedCall::default(), |f| SharedCall {
            round_trips: f.round_trips,
            busy: f.busy,
        })
    }

    pub fn round_trips(&self) -> u64 {
        self.0.lock().map_or(0, |f| f.round_trips)
    }

    pub fn seconds_in_aws(&self) -> f64 {
        self.0.lock().map_or(0.0, |f| f.busy.as_secs_f64())
    }
}

tokio::task_local! {
    static STEP_REQUESTS: Arc<StepRequests>;
}

/// Runs one apply step's `work`, recording its requests in `requests`.
pub async fn recording_requests<F: std::future::Future>(
    requests: Arc<StepRequests>,
    work: F,
) -> F::Output {
    STEP_REQUESTS.scope(requests, work).await
}

/// The round trips and time in AWS of requests made for several apply
/// steps at once.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SharedCall {
    round_trips: u64,
    busy: std::time::Duration,
}

/// Runs `work`, whose requests serve several apply steps together, and
/// returns what they cost; each step it served counts that with
/// [`count_shared`] (the step that ran it too).
pub async fn recording_shared<F: std::future::Future>(work: F) -> (F::Output, SharedCall) {
    let requests = Arc::new(StepRequests::default());
    let output = STEP_REQUESTS.scope(requests.clone(), work).await;
    (output, requests.cost())
}

/// Counts `waited` as the current step's time in AWS: time between two
/// answers that both said the object was not ready yet.
pub fn count_aws_wait(waited: std::time::Duration) {
    let _ = STEP_REQUESTS.try_with(|requests| {
        if let Ok(mut flight) = requests.0.lock() {
            flight.busy += waited;
        }
    });
}

/// Stands for one request of `duration` in the current step's counts, in
/// tests of what counts them.
#[cfg(test)]
pub async fn pretend_request(duration: std::time::Duration) {
    let _ = STEP_REQUESTS.try_with(|requests| requests.started());
    tokio::time::sleep(duration).await;
    let _ = STEP_REQUESTS.try_with(|requests| requests.ended());
}

/// Counts a shared call (see [`recording_shared`]) to the current step.
pub fn count_shared(call: SharedCall) {
    let _ = STEP_REQUESTS.try_with(|requests| requests.add(call));
}

/// Records the critical path of the apply just run.
pub fn record_critical_path(path: CriticalPath) {
    if let Ok(mut recorded) = CRITICAL_PATH.lock() {
        *recorded = Some(path);
    }
}

/// Puts the requests an apply made before its first step could start
/// (reading state, refreshing, planning) at the head of its critical path.
pub fn lengthen_critical_path(before: &StepRequests) {
    if let Ok(mut recorded) = CRITICAL_PATH.lock()
        && let Some(path) = recorded.as_mut()
    {
        path.round_trips += before.round_trips();
        path.seconds_in_aws += before.seconds_in_aws();
    }
}

/// The critical path of the last apply, if one ran.
pub fn critical_path() -> Option<CriticalPath> {
    CRITICAL_PATH.lock().ok().and_then(|p| *p)
}

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
        let _ = STEP_REQUESTS.try_with(|requests| requests.started());
        Ok(())
    }

    fn read_after_attempt(
        &self,
        _context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let _ = STEP_REQUESTS.try_with(|requests| requests.ended());
        Ok(())
    }
}
