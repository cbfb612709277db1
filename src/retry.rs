//! The one backoff policy: when to try again something that may succeed
//! later (a throttled call, an object not yet visible, a resource still
//! becoming ready, a state lock another run holds).
//!
//! Callers decide *what* is worth another try; this module decides *when*,
//! and when to give up. The first try is immediate; waits grow from
//! `first` by doubling up to `max`, or in proportion to the time waited so
//! far; a budget of tries and/or time ends it.
//! No I/O beyond sleeping, and nothing AWS-specific.
//!
//! A task may hold a slot of a limited pool (an apply step holds one of
//! `--parallelism`): every sleep here gives the slot back for its length,
//! so a step waiting for AWS (a NAT gateway becoming available, a throttled
//! call's backoff) lets another step run meanwhile.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The slot the current task holds, if any.
struct Slot {
    pool: Arc<Semaphore>,
    permit: Mutex<Option<OwnedSemaphorePermit>>,
}

tokio::task_local! {
    static SLOT: Slot;
}

/// Runs `work` holding `permit` of `pool`, which [`sleep`] gives back while
/// it sleeps. Returns the permit with the result, for the caller to release
/// once it has dealt with the result.
pub async fn holding_slot<F: Future>(
    pool: Arc<Semaphore>,
    permit: OwnedSemaphorePermit,
    work: F,
) -> (F::Output, Option<OwnedSemaphorePermit>) {
    let slot = Slot {
        pool,
        permit: Mutex::new(Some(permit)),
    };
    SLOT.scope(slot, async move {
        let output = work.await;
        let permit = SLOT
            .try_with(|slot| slot.permit.lock().ok().and_then(|mut held| held.take()))
            .ok()
            .flatten();
        (output, permit)
    })
    .await
}

/// Sleeps for `wait`; a task holding a slot gives it back meanwhile and
/// waits its turn for one after.
pub async fn sleep(wait: Duration) {
    without_slot(tokio::time::sleep(wait)).await
}

/// Runs `wait` (something that only waits: a timer, another task's
/// answer) with the task's slot given back meanwhile, then waits its turn
/// for one. A task that waits for another while holding its slot could
/// leave that other task none to go on with.
pub async fn without_slot<F: Future>(wait: F) -> F::Output {
    let held = SLOT
        .try_with(|slot| {
            let permit = slot.permit.lock().ok()?.take()?;
            Some((slot.pool.clone(), permit))
        })
        .ok()
        .flatten();
    let Some((pool, permit)) = held else {
        return wait.await;
    };
    drop(permit);
    let output = wait.await;
    // The pool is never closed while its tasks run.
    let permit = pool.acquire_owned().await.ok();
    let _ = SLOT.try_with(|slot| {
        if let Ok(mut held) = slot.permit.lock() {
            *held = permit;
        }
    });
    output
}

/// How long to wait between tries, and when to stop.
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    /// The wait after the first try, and the shortest wait of a
    /// proportional backoff.
    pub first: Duration,
    /// Waits double up to this; the longest wait of a proportional one.
    pub max: Duration,
    /// At most this many tries in all (`None`: no limit by count).
    pub tries: Option<u32>,
    /// No try starts after this much time (`None`: no limit by time). The
    /// last wait is shortened so that a try happens right at the limit.
    pub within: Option<Duration>,
    /// Each wait is drawn at random between zero and its length ("full
    /// jitter"), so that many callers throttled together do not come back
    /// together.
    pub jitter: bool,
    /// Instead of doubling, each wait is this fraction of the time since
    /// the first try, between `first` and `max`: what is ready soon is seen
    /// soon, and nothing is seen later than that fraction after it was ready.
    pub proportion: Option<f64>,
}

impl Backoff {
    /// Waits of `first`, doubling up to `max`, with no limit yet.
    pub const fn doubling(first: Duration, max: Duration) -> Backoff {
        Backoff {
            first,
            max,
            tries: None,
            within: None,
            jitter: false,
            proportion: None,
        }
    }

    /// Waits of `fraction` of the time waited so far, at least `first` and
    /// at most `max`: for waiting on something that takes a while, without
    /// looking far later than it became ready.
    pub const fn proportional(first: Duration, max: Duration, fraction: f64) -> Backoff {
        Backoff {
            proportion: Some(fraction),
            ..Backoff::doubling(first, max)
        }
    }

    /// Waits drawn at random up to the doubling length.
    pub const fn full_jitter(self) -> Backoff {
        Backoff {
            jitter: true,
            ..self
        }
    }

    /// The same wait every time.
    pub const fn constant(every: Duration) -> Backoff {
        Backoff::doubling(every, every)
    }

    /// At most `tries` tries in all.
    pub const fn tries(self, tries: u32) -> Backoff {
        Backoff {
            tries: Some(tries),
            ..self
        }
    }

    /// No try starts after `limit`.
    pub const fn within(self, limit: Duration) -> Backoff {
        Backoff {
            within: Some(limit),
            ..self
        }
    }

    /// Starts counting tries and time, for a caller that runs its own loop.
    pub fn start(self) -> Delays {
        Delays {
            policy: self,
            started: Instant::now(),
            tries: 1,
            next: self.first,
        }
    }
}

/// The waits of one sequence of tries. The first try is assumed made when
/// the sequence starts.
#[derive(Debug)]
pub struct Delays {
    policy: Backoff,
    started: Instant,
    tries: u32,
    next: Duration,
}

impl Delays {
    /// How long to wait before the next try, or `None` when the budget is
    /// spent. Counts the try that follows the wait.
    pub fn next_wait(&mut self) -> Option<Duration> {
        if self.policy.tries.is_some_and(|limit| self.tries >= limit) {
            return None;
        }
        let mut wait = match self.policy.proportion {
            Some(fraction) => self
                .started
                .elapsed()
                .mul_f64(fraction.max(0.0))
                .max(self.policy.first)
                .min(self.policy.max),
            None => self.next,
        };
        if self.policy.jitter {
            wait = wait.mul_f64(fastrand::f64());
        }
        if let Some(limit) = self.policy.within {
            let left = limit.checked_sub(self.started.elapsed())?;
            if left.is_zero() {
                return None;
            }
            wait = wait.min(left);
        }
        self.tries += 1;
        self.next = (self.next * 2).min(self.policy.max);
        Some(wait)
    }

    /// Time since the first try.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}

/// Runs `attempt` until it succeeds, fails with an error `retryable` does
/// not accept, or the budget is spent; then returns the last result.
pub async fn retry<T, E, F, Fut>(
    backoff: Backoff,
    mut attempt: F,
    mut retryable: impl FnMut(&E) -> bool,
) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut delays = backoff.start();
    loop {
        match attempt().await {
            Err(e) if retryable(&e) => match delays.next_wait() {
                Some(wait) => sleep(wait).await,
                None => return Err(e),
            },
            result => return result,
        }
    }
}

/// Calls `check` until it returns `Some` or an error, or the budget is
/// spent (then `Ok(None)`).
pub async fn poll<T, E, F, Fut>(backoff: Backoff, mut check: F) -> Result<Option<T>, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, E>>,
{
    let mut delays = backoff.start();
    loop {
        if let Some(done) = check().await? {
            return Ok(Some(done));
        }
        match delays.next_wait() {
            Some(wait) => sleep(wait).await,
            None => return Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn proportional_waits_follow_the_time_waited_between_their_bounds() {
        let mut delays = Backoff::proportional(ms(100), ms(1000), 0.5).start();
        assert_eq!(delays.next_wait(), Some(ms(100)));
        delays.started -= ms(600);
        let wait = delays.next_wait().unwrap();
        assert!((ms(300)..ms(350)).contains(&wait), "{wait:?}");
        delays.started -= ms(10_000);
        assert_eq!(delays.next_wait(), Some(ms(1000)));
    }

    #[test]
    fn waits_double_up_to_the_cap_and_stop_at_the_try_limit() {
        let mut delays = Backoff::doubling(ms(100), ms(350)).tries(5).start();
        let waits: Vec<_> = std::iter::from_fn(|| delays.next_wait()).collect();
        assert_eq!(waits, [ms(100), ms(200), ms(350), ms(350)]);
    }

    #[test]
    fn full_jitter_draws_each_wait_up_to_its_doubling_length() {
        let policy = Backoff::doubling(ms(100), ms(400)).tries(200).full_jitter();
        let mut delays = policy.start();
        let waits: Vec<_> = std::iter::from_fn(|| delays.next_wait()).collect();
        let caps = [ms(100), ms(200)]
            .into_iter()
            .chain(std::iter::repeat(ms(400)));
        assert!(waits.iter().zip(caps).all(|(wait, cap)| *wait <= cap));
        let distinct: std::collections::BTreeSet<_> = waits.iter().collect();
        assert!(distinct.len() > 150, "waits are spread, not fixed");
        assert!(waits.iter().any(|w| *w < ms(200)), "some are short");
    }

    #[tokio::test]
    async fn a_sleeping_task_gives_its_slot_to_another() {
        let pool = Arc::new(Semaphore::new(1));
        let first = pool.clone().acquire_owned().await.unwrap();
        let started = Instant::now();
        let sleeper = tokio::spawn(holding_slot(pool.clone(), first, async move {
            sleep(ms(300)).await;
            started.elapsed()
        }));
        // The only slot is the sleeper's; it is free while it sleeps.
        let second = pool.clone().acquire_owned().await.unwrap();
        let got_it_after = started.elapsed();
        drop(second);
        let (woke_after, permit) = sleeper.await.unwrap();
        assert!(got_it_after < ms(250), "{got_it_after:?}");
        assert!(woke_after >= ms(300), "{woke_after:?}");
        // It took the slot back before going on, and hands it back.
        assert_eq!(pool.available_permits(), 0);
        drop(permit);
        assert_eq!(pool.available_permits(), 1);
    }

    #[test]
    fn a_time_limit_shortens_the_last_wait_and_then_stops() {
        let mut delays = Backoff::constant(Duration::from_secs(60))
            .within(ms(30))
            .start();
        let first = delays.next_wait().unwrap();
        assert!(first <= ms(30), "{first:?}");
        std::thread::sleep(ms(35));
        assert_eq!(delays.next_wait(), None);
    }

    #[tokio::test]
    async fn retry_stops_at_an_error_it_may_not_retry() {
        let mut calls = 0;
        let result: Result<(), &str> = retry(
            Backoff::constant(ms(1)).tries(10),
            || {
                calls += 1;
                let error = if calls < 3 { "busy" } else { "invalid" };
                async move { Err(error) }
            },
            |e| *e == "busy",
        )
        .await;
        assert_eq!(result, Err("invalid"));
        assert_eq!(calls, 3);
    }

    #[tokio::test]
    async fn retry_gives_the_last_error_when_the_budget_is_spent() {
        let mut calls = 0;
        let result: Result<(), &str> = retry(
            Backoff::constant(ms(1)).tries(4),
            || {
                calls += 1;
                async { Err("busy") }
            },
            |_| true,
        )
        .await;
        assert_eq!(result, Err("busy"));
        assert_eq!(calls, 4);
    }

    #[tokio::test]
    async fn poll_is_immediate_when_ready_and_none_when_never() {
        let started = Instant::now();
        let ready: Result<Option<u8>, ()> =
            poll(Backoff::constant(Duration::from_secs(5)), || async {
                Ok(Some(7))
            })
            .await;
        assert_eq!(ready, Ok(Some(7)));
        assert!(started.elapsed() < ms(100));
        let never: Result<Option<u8>, ()> =
            poll(Backoff::constant(ms(1)).tries(3), || async { Ok(None) }).await;
        assert_eq!(never, Ok(None));
    }
}
