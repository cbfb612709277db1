//! `--stats`: what a run cost. AWS calls by service and operation with
//! their retries (counted by the SDK interceptor in `provider`), and
//! terrane's own CPU time, as the kernel accounts it.

use std::collections::BTreeMap;
use std::time::Duration;

pub use crate::provider::aws::stats::Calls;

/// The figures `--stats` reports.
pub struct RunStats {
    /// By (service, operation).
    pub calls: BTreeMap<(String, String), Calls>,
    pub user_cpu: Duration,
    pub system_cpu: Duration,
    /// After an apply or destroy: the longest chain of dependent steps, in
    /// round trips to AWS and in time in AWS (a request in flight, or AWS
    /// answering "not ready yet"), headed by the requests of the plan.
    pub critical_path: Option<crate::provider::aws::stats::CriticalPath>,
}

impl RunStats {
    pub fn total(&self) -> Calls {
        self.calls.values().fold(Calls::default(), |sum, c| Calls {
            calls: sum.calls + c.calls,
            attempts: sum.attempts + c.attempts,
        })
    }

    pub fn to_json(&self) -> serde_json::Value {
        let total = self.total();
        serde_json::json!({
            "api_calls": total.calls,
            "retries": total.retries(),
            "operations": self.calls.iter().map(|((service, operation), c)| serde_json::json!({
                "service": service,
                "operation": operation,
                "calls": c.calls,
                "retries": c.retries(),
            })).collect::<Vec<_>>(),
            "cpu_seconds": {
                "user": self.user_cpu.as_secs_f64(),
                "system": self.system_cpu.as_secs_f64(),
            },
            "critical_path": self.critical_path.map(|path| serde_json::json!({
                "round_trips": path.round_trips,
                "seconds_in_aws": path.seconds_in_aws,
            })),
        })
    }
}

/// The process's figures so far.
pub fn run_stats() -> RunStats {
    // SAFETY: rusage is plain data that getrusage fills in for this process.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid pointer to that struct; RUSAGE_SELF needs nothing else.
    let ok = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } == 0;
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec.max(0) as u64) + Duration::from_micros(t.tv_usec.max(0) as u64)
    };
    RunStats {
        calls: crate::provider::aws::stats::snapshot(),
        critical_path: crate::provider::aws::stats::critical_path(),
        user_cpu: if ok {
            time(usage.ru_utime)
        } else {
            Duration::ZERO
        },
        system_cpu: if ok {
            time(usage.ru_stime)
        } else {
            Duration::ZERO
        },
    }
}
