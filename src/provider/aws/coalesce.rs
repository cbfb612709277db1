//! Calls shared by concurrent requests for different objects: while one
//! call of a kind is in flight, requests of that kind queue, and when it
//! answers one of them leads the next call with every queued id.
//!
//! No request waits for a timer: the first of a kind starts its call at
//! once, so a request alone costs exactly what it did unshared, and under
//! load a kind costs one call per round trip instead of one per object.
//! Each request gets only its own object from the answer, and keeps its
//! own timeouts and retries; an error of a call reaches every request it
//! was made for. The apply's read-back of what it made
//! (`apply::read_back`) and EC2's waits for a new object
//! ([`AwsContext::shared_describes`](super::AwsContext::shared_describes))
//! share calls this way. This module knows nothing of any service.

use std::any::{Any, TypeId};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use super::stats::{self, SharedCall};
use crate::provider::{ErrorKind, ProviderError};

/// What a queued request is told when a call answers.
enum Reply<V> {
    /// Its object as the call found it (`None`: not found, yet), and what
    /// the call cost, which every request it answered counts as its own.
    Answered(Result<Option<V>, ProviderError>, SharedCall),
    /// Lead the next call, with every request queued by then.
    Lead,
}

/// A queued request: its object's id, what the call needs to know of it
/// besides, and where its answer goes.
struct Waiter<P, V> {
    id: String,
    payload: P,
    tell: oneshot::Sender<Reply<V>>,
}

struct Queue<P, V> {
    in_flight: bool,
    waiting: Vec<Waiter<P, V>>,
}

impl<P, V> Default for Queue<P, V> {
    fn default() -> Self {
        Queue {
            in_flight: false,
            waiting: Vec::new(),
        }
    }
}

/// Requests queued by kind `K`, each for an object id with a payload `P`;
/// a call answers with a `V` for each object it found.
pub struct Coalescer<K, P, V> {
    queues: Mutex<HashMap<K, Queue<P, V>>>,
}

impl<K, P, V> Default for Coalescer<K, P, V> {
    fn default() -> Self {
        Coalescer {
            queues: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash + Clone, P: Clone, V: Clone> Coalescer<K, P, V> {
    /// The object `id`, as a call of kind `key` finds it together with
    /// the other requests of that kind queued meanwhile. If this request
    /// leads a call, `call` makes it, given every queued request's id and
    /// payload (an id may come more than once), and answers with the
    /// objects it found by id.
    pub async fn request<F, Fut>(
        &self,
        key: K,
        id: &str,
        payload: P,
        call: F,
    ) -> Result<Option<V>, ProviderError>
    where
        F: FnOnce(Vec<(String, P)>) -> Fut,
        Fut: Future<Output = Result<BTreeMap<String, V>, ProviderError>>,
    {
        let mut promoted = false;
        // Told to lead, this request may be dropped while it waits for its
        // slot back, before it leads: the lead then passes on.
        let told_to_lead = PassOnLead {
            coalescer: self,
            key: &key,
            armed: AtomicBool::new(false),
        };
        loop {
            let (tell, told) = oneshot::channel();
            let idle = {
                let mut queues = self.queues.lock().expect("not poisoned");
                let queue = queues.entry(key.clone()).or_default();
                queue.waiting.push(Waiter {
                    id: id.to_string(),
                    payload: payload.clone(),
                    tell,
                });
                // Leading from here on, with no await before `HandOver`
                // takes over passing the lead on.
                told_to_lead.armed.store(false, Ordering::SeqCst);
                !std::mem::replace(&mut queue.in_flight, true)
            };
            if !(idle || promoted) {
                // Not holding a parallelism slot: the leader may need one
                // back after a rate-limit wait, and every slot could be
                // held by requests queued behind it.
                let reply = crate::retry::without_slot(async {
                    let reply = told.await;
                    if let Ok(Reply::Lead) = reply {
                        told_to_lead.armed.store(true, Ordering::SeqCst);
                    }
                    reply
                })
                .await;
                match reply {
                    Ok(Reply::Answered(found, cost)) => {
                        stats::count_shared(cost);
                        return found;
                    }
                    Ok(Reply::Lead) => promoted = true,
                    // The call we were in was dropped unanswered: queue again.
                    Err(_) => {}
                }
                continue;
            }
            // Lead: one call for every request queued so far, ours among them.
            let hand_over = HandOver {
                coalescer: self,
                key: &key,
            };
            let batch = {
                let mut queues = self.queues.lock().expect("not poisoned");
                std::mem::take(&mut queues.get_mut(&key).expect("queued").waiting)
            };
            let (requests, tells): (Vec<_>, Vec<_>) = batch
                .into_iter()
                .map(|waiter| {
                    (
                        (waiter.id.clone(), waiter.payload),
                        (waiter.id, waiter.tell),
                    )
                })
                .unzip();
            let (answer, cost) = stats::recording_shared(call(requests)).await;
            for (id, tell) in tells {
                let found = match &answer {
                    Ok(found) => Ok(found.get(&id).cloned()),
                    Err(e) => Err(e.clone()),
                };
                let _ = tell.send(Reply::Answered(found, cost));
            }
            drop(hand_over);
            return match told.await {
                Ok(Reply::Answered(found, cost)) => {
                    stats::count_shared(cost);
                    found
                }
                _ => unreachable!("a leader's own request is in its batch"),
            };
        }
    }
}

impl<K: Eq + Hash, P, V> Coalescer<K, P, V> {
    /// The first request queued under `key` leads the next call, or the
    /// queue goes idle.
    fn pass_on_lead(&self, key: &K) {
        let mut queues = self.queues.lock().expect("not poisoned");
        let Some(queue) = queues.get_mut(key) else {
            return;
        };
        while !queue.waiting.is_empty() {
            let waiter = queue.waiting.remove(0);
            // A request whose step is gone cannot lead: try the next.
            if waiter.tell.send(Reply::Lead).is_ok() {
                return;
            }
        }
        queue.in_flight = false;
    }
}

/// When a call ends (or its request is dropped mid-call), the lead passes
/// on.
struct HandOver<'a, K: Eq + Hash, P, V> {
    coalescer: &'a Coalescer<K, P, V>,
    key: &'a K,
}

impl<K: Eq + Hash, P, V> Drop for HandOver<'_, K, P, V> {
    fn drop(&mut self) {
        self.coalescer.pass_on_lead(self.key);
    }
}

/// A request told to lead that is dropped before it leads passes the lead
/// on, or every request of its kind would wait for a call never made.
struct PassOnLead<'a, K: Eq + Hash, P, V> {
    coalescer: &'a Coalescer<K, P, V>,
    key: &'a K,
    armed: AtomicBool,
}

impl<K: Eq + Hash, P, V> Drop for PassOnLead<'_, K, P, V> {
    fn drop(&mut self) {
        if self.armed.load(Ordering::SeqCst) {
            self.coalescer.pass_on_lead(self.key);
        }
    }
}

/// Describe calls of any kind and answer type, shared between the
/// concurrent steps of a run that use one provider configuration. Kinds
/// are told apart by name and by answer type.
#[derive(Default)]
pub struct SharedDescribes {
    calls: Coalescer<(&'static str, TypeId), (), Arc<dyn Any + Send + Sync>>,
}

impl SharedDescribes {
    /// The object `id` as `describe` (a call of kind `name`, given every
    /// queued id, each once) finds it, in one call with the same Describe
    /// of every other object that concurrent steps ask for meanwhile. A
    /// wait that polls through it keeps its own timeout.
    pub async fn describe<T, F, Fut>(
        &self,
        name: &'static str,
        id: &str,
        describe: F,
    ) -> Result<Option<T>, ProviderError>
    where
        T: Clone + Send + Sync + 'static,
        F: FnOnce(Vec<String>) -> Fut,
        Fut: Future<Output = Result<BTreeMap<String, T>, ProviderError>>,
    {
        let found = self
            .calls
            .request((name, TypeId::of::<T>()), id, (), |requests| {
                let mut ids: Vec<String> = requests.into_iter().map(|(id, ())| id).collect();
                ids.sort();
                ids.dedup();
                let described = describe(ids);
                async move {
                    Ok(described
                        .await?
                        .into_iter()
                        .map(|(id, object)| (id, Arc::new(object) as Arc<dyn Any + Send + Sync>))
                        .collect())
                }
            })
            .await?;
        found
            .map(|object| {
                object.downcast_ref::<T>().cloned().ok_or_else(|| {
                    // Cannot happen: a kind's key includes its answer type.
                    ProviderError::new(
                        ErrorKind::Other,
                        format!("a shared {name} call answered with another type"),
                    )
                })
            })
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// Ten requests at once for the same kind: the first calls alone, the
    /// other nine share the next call (an id asked twice is sent once);
    /// each gets its own object, or none when the call did not find it.
    #[tokio::test]
    async fn concurrent_describes_share_a_call_and_get_their_own_object() {
        let shared = Arc::new(SharedDescribes::default());
        let calls = Arc::new(Mutex::new(Vec::<Vec<String>>::new()));
        let mut requests = tokio::task::JoinSet::new();
        for n in 0..10 {
            let (shared, calls) = (shared.clone(), calls.clone());
            let id = match n {
                3 => "missing".to_string(),
                9 => "obj-1".to_string(),
                n => format!("obj-{n}"),
            };
            requests.spawn(async move {
                let found = shared
                    .describe("DescribeThings", &id, |ids| async move {
                        calls.lock().unwrap().push(ids.clone());
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        Ok::<_, ProviderError>(
                            ids.into_iter()
                                .filter(|id| id != "missing")
                                .map(|id| (id.clone(), format!("{id} as described")))
                                .collect(),
                        )
                    })
                    .await;
                (id, found.unwrap())
            });
            tokio::task::yield_now().await;
        }
        while let Some(done) = requests.join_next().await {
            let (id, found) = done.unwrap();
            match id.as_str() {
                "missing" => assert_eq!(found, None),
                _ => assert_eq!(found, Some(format!("{id} as described"))),
            }
        }
        let calls = calls.lock().unwrap().clone();
        assert_eq!(calls.len(), 2, "{calls:?}");
        assert_eq!(calls[0], ["obj-0"]);
        assert_eq!(calls[1].len(), 8, "obj-1 is asked for twice, sent once");
    }

    /// A request told to lead the next call, dropped while it waits for
    /// its parallelism slot back, passes the lead on: the request queued
    /// behind it still gets its answer.
    #[tokio::test]
    async fn a_request_dropped_before_it_leads_passes_the_lead_on() {
        let coalescer = Arc::new(Coalescer::<&str, (), String>::default());
        let found = |ids: Vec<(String, ())>| async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            Ok::<_, ProviderError>(ids.into_iter().map(|(id, ())| (id.clone(), id)).collect())
        };
        let slots = Arc::new(tokio::sync::Semaphore::new(1));
        // "a" leads the first call.
        let first = {
            let coalescer = coalescer.clone();
            tokio::spawn(async move { coalescer.request("kind", "a", (), found).await })
        };
        tokio::task::yield_now().await;
        // "b" queues and gives its slot back meanwhile...
        let second = {
            let (coalescer, slots) = (coalescer.clone(), slots.clone());
            let permit = slots.clone().acquire_owned().await.unwrap();
            tokio::spawn(async move {
                crate::retry::holding_slot(slots, permit, async {
                    coalescer.request("kind", "b", (), found).await
                })
                .await
                .0
            })
        };
        tokio::task::yield_now().await;
        // ...which another step takes and keeps, so "b", told to lead,
        // waits for it.
        let held = slots.clone().acquire_owned().await.unwrap();
        let third = {
            let coalescer = coalescer.clone();
            tokio::spawn(async move { coalescer.request("kind", "c", (), found).await })
        };
        assert_eq!(first.await.unwrap().unwrap(), Some("a".to_string()));
        tokio::time::sleep(Duration::from_millis(20)).await;
        second.abort();
        let answered = tokio::time::timeout(Duration::from_secs(5), third)
            .await
            .expect("the request behind the dropped one is answered");
        assert_eq!(answered.unwrap().unwrap(), Some("c".to_string()));
        drop(held);
    }

    /// Kinds of the same name with other answer types, and kinds of other
    /// names, never share a call.
    #[tokio::test]
    async fn kinds_are_told_apart_by_name_and_answer_type() {
        let shared = SharedDescribes::default();
        let calls = Mutex::new(0);
        let count = |ids: Vec<String>| {
            *calls.lock().unwrap() += 1;
            async move { Ok::<_, ProviderError>(ids.into_iter().map(|id| (id, 1_u32)).collect()) }
        };
        let (a, b, c) = tokio::join!(
            shared.describe("DescribeThings", "a", count),
            shared.describe("DescribeThings", "b", |ids: Vec<String>| async move {
                Ok::<_, ProviderError>(ids.into_iter().map(|id| (id, "text")).collect())
            }),
            shared.describe("DescribeOthers", "c", count),
        );
        assert_eq!(
            (a.unwrap(), b.unwrap(), c.unwrap()),
            (Some(1), Some("text"), Some(1))
        );
        assert_eq!(*calls.lock().unwrap(), 2);
    }

    /// An error of a shared call reaches every request it was made for,
    /// and the next request calls again.
    #[tokio::test]
    async fn a_failed_call_fails_every_request_it_answered() {
        let shared = SharedDescribes::default();
        let calls = Mutex::new(0);
        let failing = |_: Vec<String>| {
            *calls.lock().unwrap() += 1;
            async {
                tokio::time::sleep(Duration::from_millis(20)).await;
                Err::<BTreeMap<String, u32>, _>(ProviderError::new(ErrorKind::Other, "throttled"))
            }
        };
        // "a" calls alone; "b" and "c" share the next call.
        let (a, b, c) = tokio::join!(
            shared.describe("DescribeThings", "a", failing),
            shared.describe("DescribeThings", "b", failing),
            shared.describe("DescribeThings", "c", failing),
        );
        assert!(a.is_err() && b.is_err() && c.is_err());
        assert_eq!(*calls.lock().unwrap(), 2);
        let later = shared
            .describe("DescribeThings", "d", |ids: Vec<String>| async move {
                Ok::<_, ProviderError>(ids.into_iter().map(|id| (id, 2_u32)).collect())
            })
            .await;
        assert_eq!(later.unwrap(), Some(2));
    }
}
