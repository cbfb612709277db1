//! Reading objects back after they are made, batched: creates of one type
//! that finish close together are read with one `read_many` (one Describe
//! call) instead of one call each.
//!
//! No read waits for a timer. The first read of a type and provider starts
//! a call at once; reads that arrive while it is in flight queue, and when
//! it answers, one of them leads the next call with every queued id. Under
//! load a type costs one call per round trip, not one per object; alone, a
//! read costs exactly what it did unbatched. This module knows nothing of
//! any service and never prints.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::oneshot;

use crate::provider::{AwsContext, ProviderError, ResourceType};
use crate::value::Attrs;

/// What a queued read is told when a call answers.
enum Reply {
    /// The object as read (`None`: not found, yet).
    Read(Result<Option<Attrs>, ProviderError>),
    /// Lead the next call, with every id queued by then.
    Lead,
}

type Waiter = (String, oneshot::Sender<Reply>);

#[derive(Default)]
struct Queue {
    in_flight: bool,
    waiting: Vec<Waiter>,
}

/// One per apply: queues by resource type and provider configuration.
#[derive(Default)]
pub struct ReadBatcher {
    queues: Mutex<HashMap<(&'static str, String), Queue>>,
}

impl ReadBatcher {
    /// Reads the object `id` of `resource_type` through the provider
    /// configuration `provider` (whose clients are `aws`), together with
    /// whatever other reads of the same type and provider are waiting.
    pub async fn read(
        &self,
        resource_type: &dyn ResourceType,
        provider: &str,
        aws: &AwsContext,
        id: &str,
    ) -> Result<Option<Attrs>, ProviderError> {
        let key = (resource_type.type_name(), provider.to_string());
        let mut promoted = false;
        loop {
            let (tell, told) = oneshot::channel();
            let idle = {
                let mut queues = self.queues.lock().expect("not poisoned");
                let queue = queues.entry(key.clone()).or_default();
                queue.waiting.push((id.to_string(), tell));
                !std::mem::replace(&mut queue.in_flight, true)
            };
            if !(idle || promoted) {
                // Not holding a parallelism slot: the leader may need one
                // back after a rate-limit wait, and every slot could be
                // held by reads queued behind it.
                match crate::retry::without_slot(told).await {
                    Ok(Reply::Read(read)) => return read,
                    Ok(Reply::Lead) => promoted = true,
                    // The call we were in was dropped unanswered: queue again.
                    Err(_) => {}
                }
                continue;
            }
            // Lead: one call for every id queued so far, ours among them.
            let hand_over = HandOver {
                batcher: self,
                key: &key,
            };
            let batch = {
                let mut queues = self.queues.lock().expect("not poisoned");
                std::mem::take(&mut queues.get_mut(&key).expect("queued").waiting)
            };
            let mut ids: Vec<String> = batch.iter().map(|(id, _)| id.clone()).collect();
            ids.sort();
            ids.dedup();
            let answer = resource_type.read_many(aws, &ids).await;
            for (waiting_id, tell) in batch {
                let read = match &answer {
                    Ok(found) => Ok(found.get(&waiting_id).cloned()),
                    Err(e) => Err(e.clone()),
                };
                let _ = tell.send(Reply::Read(read));
            }
            drop(hand_over);
            return match told.await {
                Ok(Reply::Read(read)) => read,
                _ => unreachable!("a leader's own id is in its batch"),
            };
        }
    }
}

/// When a call ends (or its step is dropped mid-call), the first read
/// queued meanwhile leads the next call, or the queue goes idle.
struct HandOver<'a> {
    batcher: &'a ReadBatcher,
    key: &'a (&'static str, String),
}

impl Drop for HandOver<'_> {
    fn drop(&mut self) {
        let mut queues = self.batcher.queues.lock().expect("not poisoned");
        let Some(queue) = queues.get_mut(self.key) else {
            return;
        };
        while !queue.waiting.is_empty() {
            let (_, tell) = queue.waiting.remove(0);
            // A read whose step is gone cannot lead: try the next.
            if tell.send(Reply::Lead).is_ok() {
                return;
            }
        }
        queue.in_flight = false;
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;
    use std::time::Duration;

    use async_trait::async_trait;

    use super::*;
    use crate::provider::{AwsSettings, CreateRequest, Schema};
    use crate::value::Value;

    /// Answers every id but "gone", after a delay, and keeps each call's ids.
    #[derive(Default)]
    struct Recording {
        calls: Mutex<Vec<Vec<String>>>,
        /// Waits as a rate limit does (`retry::sleep`, giving back the
        /// task's slot) instead of as a slow answer.
        rate_limited: bool,
    }

    #[async_trait]
    impl ResourceType for Recording {
        fn type_name(&self) -> &'static str {
            "test_object"
        }
        fn schema(&self) -> &'static Schema {
            unreachable!("not asked for in these tests")
        }
        async fn read_many(
            &self,
            _aws: &AwsContext,
            ids: &[String],
        ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
            self.calls.lock().unwrap().push(ids.to_vec());
            if self.rate_limited {
                crate::retry::sleep(Duration::from_millis(50)).await;
            } else {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Ok(ids
                .iter()
                .filter(|id| *id != "gone")
                .map(|id| {
                    (
                        id.clone(),
                        Attrs::from([("name".into(), Value::string(id))]),
                    )
                })
                .collect())
        }
        async fn create(
            &self,
            _: &AwsContext,
            _: &CreateRequest<'_>,
        ) -> Result<String, ProviderError> {
            unreachable!()
        }
        async fn update(&self, _: &AwsContext, _: &Attrs, _: &Attrs) -> Result<(), ProviderError> {
            unreachable!()
        }
        async fn delete(&self, _: &AwsContext, _: &Attrs) -> Result<(), ProviderError> {
            unreachable!()
        }
    }

    fn context() -> Arc<AwsContext> {
        Arc::new(AwsContext::from_sdk_config(
            AwsSettings::default(),
            aws_config::SdkConfig::builder().build(),
        ))
    }

    /// Twenty reads at once: the first goes alone, the other nineteen
    /// wait for it and then share one call; each gets its own object.
    #[tokio::test]
    async fn reads_that_arrive_during_a_call_share_the_next_one() {
        let batcher = Arc::new(ReadBatcher::default());
        let objects = Arc::new(Recording::default());
        let aws = context();
        let mut reads = tokio::task::JoinSet::new();
        for n in 0..20 {
            let (batcher, objects, aws) = (batcher.clone(), objects.clone(), aws.clone());
            reads.spawn(async move {
                let id = if n == 7 {
                    "gone".to_string()
                } else {
                    format!("obj-{n}")
                };
                let read = batcher.read(objects.as_ref(), "aws", &aws, &id).await;
                (id, read.unwrap())
            });
            tokio::task::yield_now().await;
        }
        while let Some(done) = reads.join_next().await {
            let (id, read) = done.unwrap();
            match id.as_str() {
                "gone" => assert_eq!(read, None),
                _ => assert_eq!(read.unwrap()["name"], Value::string(&id)),
            }
        }
        let calls = objects.calls.lock().unwrap().clone();
        assert_eq!(calls.len(), 2, "{calls:?}");
        assert_eq!(calls[0].len() + calls[1].len(), 20);

        // Later, alone: a read is one call of its own, at once.
        let read = batcher.read(objects.as_ref(), "aws", &aws, "late").await;
        assert!(read.unwrap().is_some());
        assert_eq!(objects.calls.lock().unwrap().last().unwrap(), &["late"]);
    }

    /// Steps hold parallelism slots. The leader gives its slot back while
    /// a rate limit holds it, the scheduler hands that slot to another
    /// step, which queues a read: the queued reads must not keep every
    /// slot, or the leader never gets one back to finish with.
    #[tokio::test]
    async fn queued_reads_leave_their_slots_to_the_leader() {
        let batcher = Arc::new(ReadBatcher::default());
        let objects = Arc::new(Recording {
            rate_limited: true,
            ..Recording::default()
        });
        let aws = context();
        let slots = Arc::new(tokio::sync::Semaphore::new(2));
        let mut steps = tokio::task::JoinSet::new();
        for n in 0..3 {
            let (batcher, objects, aws, slots) =
                (batcher.clone(), objects.clone(), aws.clone(), slots.clone());
            steps.spawn(async move {
                let permit = slots.clone().acquire_owned().await.unwrap();
                let id = format!("obj-{n}");
                crate::retry::holding_slot(slots, permit, async {
                    batcher.read(objects.as_ref(), "aws", &aws, &id).await
                })
                .await
                .0
            });
            tokio::task::yield_now().await;
        }
        let all = async {
            while let Some(done) = steps.join_next().await {
                assert!(done.unwrap().unwrap().is_some());
            }
        };
        tokio::time::timeout(Duration::from_secs(5), all)
            .await
            .expect("every read finishes: no step keeps the leader from a slot");
    }

    /// Another provider configuration (another region or account) is
    /// never read in the same call.
    #[tokio::test]
    async fn providers_are_batched_apart() {
        let batcher = Arc::new(ReadBatcher::default());
        let objects = Arc::new(Recording::default());
        let aws = context();
        let (a, b) = tokio::join!(
            batcher.read(objects.as_ref(), "aws", &aws, "a"),
            batcher.read(objects.as_ref(), "aws.dr", &aws, "b"),
        );
        assert!(a.unwrap().is_some() && b.unwrap().is_some());
        assert_eq!(objects.calls.lock().unwrap().len(), 2);
    }
}
