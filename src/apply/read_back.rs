//! Reading objects back after they are made, batched: creates of one type
//! that finish close together are read with one `read_many` (or
//! `read_written`, given what each create wrote: one Describe call) instead
//! of one call each.
//!
//! No read waits for a timer: the calls are shared as
//! [`Coalescer`](crate::provider::aws::coalesce::Coalescer) shares them,
//! so under load a type costs one call per round trip, not one per object;
//! alone, a read costs exactly what it did unbatched. This module knows
//! nothing of any service and never prints.

use crate::provider::aws::coalesce::Coalescer;
use crate::provider::{AwsContext, ProviderError, ResourceType};
use crate::value::Attrs;

/// Reads are batched by resource type, provider configuration, and whether
/// they are of objects as this apply wrote them.
type QueueKey = (&'static str, String, bool);

/// One per apply: queues by resource type, provider configuration, and
/// whether the reads carry what their creates wrote.
#[derive(Default)]
pub struct ReadBatcher {
    reads: Coalescer<QueueKey, Option<Attrs>, Attrs>,
}

impl ReadBatcher {
    /// Reads the object `id` of `resource_type` through the provider
    /// configuration `provider` (whose clients are `aws`), together with
    /// whatever other reads of the same type and provider are waiting.
    /// `written` is what this apply's create wrote to it (the planned
    /// values), for the type's `read_written`; `None` reads it as a refresh
    /// does.
    pub async fn read(
        &self,
        resource_type: &dyn ResourceType,
        provider: &str,
        aws: &AwsContext,
        id: &str,
        written: Option<&Attrs>,
    ) -> Result<Option<Attrs>, ProviderError> {
        let key = (
            resource_type.type_name(),
            provider.to_string(),
            written.is_some(),
        );
        let as_written = written.is_some();
        self.reads
            .request(key, id, written.cloned(), |batch| async move {
                if as_written {
                    let mut objects: Vec<(String, &Attrs)> = batch
                        .iter()
                        .filter_map(|(id, written)| Some((id.clone(), written.as_ref()?)))
                        .collect();
                    objects.sort_by(|a, b| a.0.cmp(&b.0));
                    objects.dedup_by(|a, b| a.0 == b.0);
                    resource_type.read_written(aws, &objects).await
                } else {
                    let mut ids: Vec<String> = batch.into_iter().map(|(id, _)| id).collect();
                    ids.sort();
                    ids.dedup();
                    resource_type.read_many(aws, &ids).await
                }
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use async_trait::async_trait;

    use super::*;
    use crate::provider::aws::stats;
    use crate::provider::{AwsSettings, CreateRequest, Schema};
    use crate::value::Value;

    /// Answers every id but "gone", after a delay, and keeps each call's ids.
    /// Its `read_written` answers with the written `name` instead.
    #[derive(Default)]
    struct Recording {
        calls: Mutex<Vec<Vec<String>>>,
        written_calls: Mutex<Vec<Vec<String>>>,
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
                stats::pretend_request(Duration::from_millis(50)).await;
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
        async fn read_written(
            &self,
            _aws: &AwsContext,
            written: &[(String, &Attrs)],
        ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
            self.written_calls
                .lock()
                .unwrap()
                .push(written.iter().map(|(id, _)| id.clone()).collect());
            tokio::time::sleep(Duration::from_millis(50)).await;
            Ok(written
                .iter()
                .map(|(id, planned)| (id.clone(), (*planned).clone()))
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
                let read = batcher.read(objects.as_ref(), "aws", &aws, &id, None).await;
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
        let read = batcher
            .read(objects.as_ref(), "aws", &aws, "late", None)
            .await;
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
                    batcher.read(objects.as_ref(), "aws", &aws, &id, None).await
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

    /// A shared call counts, for the critical path, as a round trip of
    /// every step it answered, not only of the step that made it.
    #[tokio::test]
    async fn a_shared_call_counts_for_every_step_it_answers() {
        use crate::provider::aws::stats::{StepRequests, recording_requests};
        let batcher = Arc::new(ReadBatcher::default());
        let objects = Arc::new(Recording::default());
        let aws = context();
        let steps: Vec<Arc<StepRequests>> = (0..3).map(|_| Arc::default()).collect();
        let mut reads = tokio::task::JoinSet::new();
        for (n, requests) in steps.iter().enumerate() {
            let (batcher, objects, aws) = (batcher.clone(), objects.clone(), aws.clone());
            let requests = requests.clone();
            reads.spawn(recording_requests(requests, async move {
                let id = format!("obj-{n}");
                batcher.read(objects.as_ref(), "aws", &aws, &id, None).await
            }));
            tokio::task::yield_now().await;
        }
        while let Some(done) = reads.join_next().await {
            assert!(done.unwrap().unwrap().is_some());
        }
        // obj-0 alone, then obj-1 and obj-2 together.
        assert_eq!(objects.calls.lock().unwrap().len(), 2);
        for requests in &steps {
            assert_eq!(requests.round_trips(), 1);
            assert!(requests.seconds_in_aws() >= 0.05, "{requests:?}");
        }
    }

    /// Reads of objects as this apply wrote them go to `read_written`,
    /// each with its own written values, and never share a call with
    /// reads as a refresh does them.
    #[tokio::test]
    async fn written_reads_carry_what_was_written_and_batch_apart() {
        let batcher = Arc::new(ReadBatcher::default());
        let objects = Arc::new(Recording::default());
        let aws = context();
        let written = |name: &str| Attrs::from([("name".into(), Value::string(name))]);
        let (written_a, written_b) = (written("as written a"), written("as written b"));
        let (a, b, c) = tokio::join!(
            batcher.read(objects.as_ref(), "aws", &aws, "a", Some(&written_a)),
            batcher.read(objects.as_ref(), "aws", &aws, "b", Some(&written_b)),
            batcher.read(objects.as_ref(), "aws", &aws, "c", None),
        );
        assert_eq!(a.unwrap().unwrap(), written("as written a"));
        assert_eq!(b.unwrap().unwrap(), written("as written b"));
        assert_eq!(c.unwrap().unwrap(), written("c"));
        assert_eq!(*objects.calls.lock().unwrap(), [["c"]]);
        let written_calls = objects.written_calls.lock().unwrap().concat();
        assert_eq!(written_calls, ["a", "b"]);
    }

    /// Another provider configuration (another region or account) is
    /// never read in the same call.
    #[tokio::test]
    async fn providers_are_batched_apart() {
        let batcher = Arc::new(ReadBatcher::default());
        let objects = Arc::new(Recording::default());
        let aws = context();
        let (a, b) = tokio::join!(
            batcher.read(objects.as_ref(), "aws", &aws, "a", None),
            batcher.read(objects.as_ref(), "aws.dr", &aws, "b", None),
        );
        assert!(a.unwrap().is_some() && b.unwrap().is_some());
        assert_eq!(objects.calls.lock().unwrap().len(), 2);
    }
}
