//! Built-in types that need no network, so configurations that use them
//! run: hashicorp/random's (`random_id`, `random_string`, `random_password`,
//! `random_pet`, `random_integer`, `random_shuffle`), `terraform_data`,
//! `null_resource` and `time_sleep`.
//!
//! Their objects live only in state. A type supplies its schema and how an
//! object is made from its arguments ([`LocalType`]); [`Local`] adapts it to
//! the engine's [`ResourceType`], which then keeps such objects as state
//! records them on refresh and takes what `apply_local` returns as the
//! object, with nothing to read back. One file per type, registered in
//! `TYPES` as the AWS types are.

mod null_resource;
mod random_id;
mod random_integer;
mod random_password;
mod random_pet;
mod random_shuffle;
mod random_string;
mod terraform_data;
mod time_sleep;

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;

use super::aws::AwsContext;
use super::schema::Schema;
use super::{CreateRequest, ErrorKind, ProviderError, ResourceType};
use crate::value::Attrs;

/// The providers whose types are built in, by the prefix of their type names.
pub const PROVIDERS: &[&str] = &["random", "null", "time", "terraform"];

/// A type whose objects exist only in state.
pub trait LocalType: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> &'static Schema;
    /// The object for the planned arguments: them plus what it computes.
    /// `prior` is the object being changed in place, if it is.
    fn make(&self, prior: Option<&Attrs>, planned: &Attrs) -> Result<Attrs, ProviderError>;
    /// How long creating it takes (`time_sleep`'s `create_duration`).
    fn create_delay(&self, _planned: &Attrs) -> Result<Duration, ProviderError> {
        Ok(Duration::ZERO)
    }
    /// How long destroying it takes (`time_sleep`'s `destroy_duration`).
    fn destroy_delay(&self, _prior: &Attrs) -> Result<Duration, ProviderError> {
        Ok(Duration::ZERO)
    }
}

/// A [`LocalType`] as the engine sees a resource type.
pub struct Local(pub &'static dyn LocalType);

#[async_trait]
impl ResourceType for Local {
    fn type_name(&self) -> &'static str {
        self.0.type_name()
    }

    fn schema(&self) -> &'static Schema {
        self.0.schema()
    }

    fn is_local(&self) -> bool {
        true
    }

    async fn apply_local(
        &self,
        prior: Option<&Attrs>,
        planned: &Attrs,
    ) -> Result<Attrs, ProviderError> {
        if prior.is_none() {
            let delay = self.0.create_delay(planned)?;
            let what = format!(
                "create_duration ({}) to pass",
                humantime::format_duration(delay)
            );
            crate::progress::waiting(&what, crate::retry::sleep(delay)).await;
        }
        self.0.make(prior, planned)
    }

    /// Never called: the engine does not read local objects back.
    async fn read_many(
        &self,
        _aws: &AwsContext,
        _ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        Err(not_remote(self.type_name()))
    }

    /// Never called: local objects are made by `apply_local`.
    async fn create(
        &self,
        _aws: &AwsContext,
        _req: &CreateRequest<'_>,
    ) -> Result<String, ProviderError> {
        Err(not_remote(self.type_name()))
    }

    /// Never called: local objects are changed by `apply_local`.
    async fn update(
        &self,
        _aws: &AwsContext,
        _prior: &Attrs,
        _planned: &Attrs,
    ) -> Result<(), ProviderError> {
        Err(not_remote(self.type_name()))
    }

    async fn delete_local(&self, prior: &Attrs) -> Result<(), ProviderError> {
        crate::retry::sleep(self.0.destroy_delay(prior)?).await;
        Ok(())
    }

    async fn delete(&self, _aws: &AwsContext, prior: &Attrs) -> Result<(), ProviderError> {
        self.delete_local(prior).await
    }
}

fn not_remote(type_name: &str) -> ProviderError {
    ProviderError::new(
        ErrorKind::Other,
        format!("{type_name} objects exist only in state; there is nothing in AWS to call"),
    )
}

/// Every built-in type.
pub static TYPES: &[&dyn ResourceType] = &[
    &Local(&null_resource::NullResource),
    &Local(&random_id::RandomId),
    &Local(&random_integer::RandomInteger),
    &Local(&random_password::RandomPassword),
    &Local(&random_pet::RandomPet),
    &Local(&random_shuffle::RandomShuffle),
    &Local(&random_string::RandomString),
    &Local(&terraform_data::TerraformData),
    &Local(&time_sleep::TimeSleep),
];

/// Random numbers for the `random_*` types: from the operating system, or
/// from a seed when the configuration gives one (the same seed gives the
/// same result, as in Terraform, though not Terraform's own result).
pub(crate) struct Randomness {
    /// splitmix64's state, when seeded.
    seeded: Option<u64>,
}

impl Randomness {
    pub(crate) fn new(seed: Option<&str>) -> Randomness {
        Randomness {
            seeded: seed.map(|seed| {
                // FNV-1a: a fixed, documented hash, stable across builds.
                seed.bytes().fold(0xcbf29ce484222325u64, |hash, byte| {
                    (hash ^ u64::from(byte)).wrapping_mul(0x100000001b3)
                })
            }),
        }
    }

    pub(crate) fn next_u64(&mut self) -> Result<u64, ProviderError> {
        match &mut self.seeded {
            Some(state) => {
                *state = state.wrapping_add(0x9e3779b97f4a7c15);
                let mut z = *state;
                z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
                Ok(z ^ (z >> 31))
            }
            None => getrandom::u64().map_err(|e| {
                ProviderError::new(
                    ErrorKind::Other,
                    format!("the system's random numbers are unavailable: {e}"),
                )
            }),
        }
    }

    /// A uniform number in `0..bound` (`bound` > 0), without modulo bias.
    pub(crate) fn below(&mut self, bound: u64) -> Result<u64, ProviderError> {
        let zone = u64::MAX - (u64::MAX % bound);
        loop {
            let value = self.next_u64()?;
            if value < zone {
                return Ok(value % bound);
            }
        }
    }

    pub(crate) fn bytes(&mut self, count: usize) -> Result<Vec<u8>, ProviderError> {
        let mut out = Vec::with_capacity(count + 8);
        while out.len() < count {
            out.extend_from_slice(&self.next_u64()?.to_le_bytes());
        }
        out.truncate(count);
        Ok(out)
    }

    /// Shuffles in place (Fisher–Yates).
    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) -> Result<(), ProviderError> {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1)? as usize;
            items.swap(i, j);
        }
        Ok(())
    }
}

/// The id or computed values of an object made before, kept on an in-place
/// change (only `keepers`-free arguments change in place).
pub(crate) fn kept(prior: Option<&Attrs>, planned: &Attrs, computed: &[&str]) -> Option<Attrs> {
    let prior = prior?;
    let mut object = planned.clone();
    for name in computed {
        if let Some(value) = prior.get(*name) {
            object.insert(name.to_string(), value.clone());
        }
    }
    Some(object)
}

/// The largest length or count a built-in type makes: far beyond any real
/// use, and small enough never to exhaust memory.
const MAX_COUNT: f64 = 1_000_000.0;

/// A whole, non-negative number argument, at most a million.
pub(crate) fn count_argument(planned: &Attrs, name: &str) -> Result<usize, ProviderError> {
    planned
        .get(name)
        .and_then(crate::value::Value::as_f64)
        .filter(|n| *n >= 0.0 && n.fract() == 0.0 && *n <= MAX_COUNT)
        .map(|n| n as usize)
        .ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Validation,
                format!("{name} must be a whole number from 0 to 1000000"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_randomness_repeats_and_stays_in_bounds() {
        let draw = |seed| {
            let mut random = Randomness::new(Some(seed));
            (0..20)
                .map(|_| random.below(7).unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(draw("a"), draw("a"));
        assert_ne!(draw("a"), draw("b"));
        assert!(draw("a").iter().all(|n| *n < 7));
        let mut system = Randomness::new(None);
        assert_eq!(system.bytes(13).unwrap().len(), 13);
    }
}
