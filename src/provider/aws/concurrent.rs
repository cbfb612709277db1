//! Refresh for services that have no batched Describe (IAM, EKS): one call
//! per object, a few at a time, so a large stack does not trip throttling.
//!
//! Only the fan-out lives here; what each lookup calls is the type's business.

use std::collections::BTreeMap;
use std::future::Future;

use futures::{StreamExt, TryStreamExt};

use crate::provider::ProviderError;
use crate::value::Attrs;

/// Lookups in flight at once.
pub const READ_CONCURRENCY: usize = 8;

/// Runs `lookup` for every id, [`READ_CONCURRENCY`] at a time, and keeps the
/// objects found (`Ok(None)` means the object no longer exists). The first
/// error fails the whole refresh.
pub async fn read_each<F, Fut>(
    ids: &[String],
    lookup: F,
) -> Result<BTreeMap<String, Attrs>, ProviderError>
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<Option<Attrs>, ProviderError>>,
{
    // Owned ids keep the stream's closures free of borrowed arguments, which
    // async-trait's `Send` futures cannot express.
    futures::stream::iter(ids.to_vec())
        .map(|id| {
            let found = lookup(id.clone());
            async move { Ok::<_, ProviderError>(found.await?.map(|attrs| (id, attrs))) }
        })
        .buffer_unordered(READ_CONCURRENCY)
        .try_filter_map(|found| async move { Ok(found) })
        .try_collect()
        .await
}
