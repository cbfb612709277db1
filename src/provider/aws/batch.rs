//! Reads for APIs that don't skip missing ids.
//!
//! `read_many` must return the objects that exist and leave out the rest.
//! Some AWS APIs read one object per call (IAM, EKS, WAFv2, S3, Route53
//! zones), and some batched ones fail the whole call when one id is gone
//! (ELBv2's DescribeLoadBalancers/TargetGroups/Listeners). These helpers turn
//! both into "the ones that exist", never into an error for a missing id,
//! and bound how many calls run at once so a large stack does not trip
//! throttling. They know nothing of any particular service.

use std::collections::BTreeMap;
use std::future::Future;

use futures::stream::{self, StreamExt, TryStreamExt};

use super::{AwsContext, ok_if_not_found};
use crate::provider::{Found, ProviderError, ResourceType};

/// How many single-object reads run at once: enough to hide latency for a
/// stack's worth of objects without tripping API rate limits.
const CONCURRENT_READS: usize = 8;

/// Runs `fetch` for every key, [`CONCURRENT_READS`] at a time. Keys whose
/// fetch answers `None` or a NotFound error are absent from the result; the
/// first other error fails the whole read.
pub async fn fetch_each<T, F, Fut>(
    keys: &[String],
    fetch: F,
) -> Result<BTreeMap<String, T>, ProviderError>
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<Option<T>, ProviderError>>,
{
    // Owned keys keep the stream's closures free of borrowed arguments, which
    // async-trait's `Send` futures cannot express.
    stream::iter(keys.to_vec())
        .map(|key| {
            let fetched = fetch(key.clone());
            async move {
                let found = ok_if_not_found(fetched.await)?.flatten();
                Ok::<_, ProviderError>(found.map(|value| (key, value)))
            }
        })
        .buffer_unordered(CONCURRENT_READS)
        .try_filter_map(|found| async move { Ok(found) })
        .try_collect()
        .await
}

/// Describes `ids` in chunks of `chunk_size` (an API's limit per call, so
/// normally exactly one call) with a batched call that skips ids that no
/// longer exist, such as EC2's filter form or Auto Scaling's names, and
/// concatenates the answers. No ids means no call at all.
pub async fn describe_in_chunks<T, F, Fut>(
    ids: &[String],
    chunk_size: usize,
    mut describe: F,
) -> Result<Vec<T>, ProviderError>
where
    F: FnMut(Vec<String>) -> Fut,
    Fut: Future<Output = Result<Vec<T>, ProviderError>>,
{
    let mut found = Vec::new();
    for chunk in ids.chunks(chunk_size.max(1)) {
        found.extend(describe(chunk.to_vec()).await?);
    }
    Ok(found)
}

/// Describes `ids` in chunks of `chunk_size` with a batched call that fails
/// as a whole (NotFound) when any one id is missing, as ELBv2's do.
///
/// On such a failure the chunk is asked for again one id at a time, so only
/// the missing ones drop out. That costs one call per id of the chunk, but
/// only in the refresh right after something was deleted outside terrane;
/// the alternative, describing every object in the account and filtering,
/// costs more in accounts with many objects.
pub async fn describe_skipping_missing<T, F, Fut>(
    ids: &[String],
    chunk_size: usize,
    describe: F,
) -> Result<Vec<T>, ProviderError>
where
    F: Fn(Vec<String>) -> Fut,
    Fut: Future<Output = Result<Vec<T>, ProviderError>>,
{
    let mut found = Vec::new();
    for chunk in ids.chunks(chunk_size.max(1)) {
        match describe(chunk.to_vec()).await {
            Ok(items) => found.extend(items),
            Err(err) if err.is_not_found() && chunk.len() > 1 => {
                let describe = &describe;
                let each = fetch_each(
                    chunk,
                    |id| async move { describe(vec![id]).await.map(Some) },
                )
                .await?;
                found.extend(each.into_values().flatten());
            }
            Err(err) if err.is_not_found() => {}
            Err(err) => return Err(err),
        }
    }
    Ok(found)
}

/// What a create that makes the object `id` (an id its arguments decide,
/// for a type AWS keeps no tags on) finds: that object, when it reads back.
/// `None`: the arguments that make the id are not known yet (nothing).
pub async fn found_if_readable(
    resource_type: &dyn ResourceType,
    aws: &AwsContext,
    id: Option<String>,
) -> Result<Found, ProviderError> {
    let Some(id) = id else {
        return Ok(Found::Nothing);
    };
    let found = resource_type
        .read_many(aws, std::slice::from_ref(&id))
        .await?;
    Ok(if found.contains_key(&id) {
        Found::Ours(id)
    } else {
        Found::Nothing
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::ErrorKind;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn not_found() -> ProviderError {
        ProviderError::new(ErrorKind::NotFound, "gone")
    }

    #[tokio::test]
    async fn missing_ids_drop_out_of_a_failing_batch() {
        let calls = AtomicUsize::new(0);
        let ids: Vec<String> = ["a", "gone", "b"].map(String::from).to_vec();
        let found = describe_skipping_missing(&ids, 20, |chunk: Vec<String>| {
            calls.fetch_add(1, Ordering::SeqCst);
            async move {
                if chunk.iter().any(|id| id == "gone") {
                    Err(not_found())
                } else {
                    Ok(chunk)
                }
            }
        })
        .await
        .unwrap();
        let mut found = found;
        found.sort();
        assert_eq!(found, vec!["a".to_string(), "b".to_string()]);
        assert_eq!(
            calls.load(Ordering::SeqCst),
            4,
            "one batch, then one call per id"
        );
    }

    #[tokio::test]
    async fn describes_in_chunks_of_the_limit() {
        let ids: Vec<String> = (0..450).map(|i| format!("id-{i}")).collect();
        let mut calls = Vec::new();
        let found = describe_in_chunks(&ids, 200, |chunk| {
            calls.push(chunk.len());
            async move { Ok::<_, ProviderError>(chunk) }
        })
        .await
        .unwrap();
        assert_eq!(calls, vec![200, 200, 50]);
        assert_eq!(found, ids);
    }

    #[tokio::test]
    async fn no_ids_make_no_call() {
        let found: Vec<String> = describe_in_chunks(&[], 200, |_| async {
            panic!("no call expected");
        })
        .await
        .unwrap();
        assert!(found.is_empty());
    }

    #[tokio::test]
    async fn other_errors_fail_the_read() {
        let ids = vec!["a".to_string()];
        let err = fetch_each(&ids, |_| async {
            Err::<Option<()>, _>(ProviderError::new(ErrorKind::Other, "boom"))
        })
        .await
        .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Other);
        let found = fetch_each(&ids, |_| async { Err::<Option<()>, _>(not_found()) })
            .await
            .unwrap();
        assert!(found.is_empty());
    }
}
