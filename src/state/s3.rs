//! The S3 backend: state as one object, written conditionally, always
//! encrypted, locked with a `<key>.tflock` object beside it.
//!
//! Safety comes from S3's conditional requests, not from the lock alone:
//! - a read remembers the object's ETag; a write sends `If-Match: <etag>`, or
//!   `If-None-Match: *` when there was no object, so a write from anyone else
//!   in between makes ours fail (`PreconditionFailed`) instead of clobbering;
//! - the lock object is created with `If-None-Match: *` and deleted with
//!   `If-Match` on the ETag of the record whose ID matched.
//!
//! Every object is written with server-side encryption (SSE-S3, or SSE-KMS
//! when `kms_key_id` is set). Versioning is what makes `state versions` and
//! `state restore` possible; `check` warns when it is off. This module talks
//! to S3 only through the client it is given and never prints.

use async_trait::async_trait;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration,
    PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule, VersioningConfiguration,
};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response as HttpResponse;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use futures::StreamExt;
use tokio::sync::Mutex;

use std::time::{Duration, Instant};

use super::journal::JournalFile;
use super::{Backend, Checked, LockInfo, State, StateError, StateVersion, describe_stored};
use crate::diag::Diagnostic;
use crate::provider::ProviderError;
use crate::provider::aws::sdk_error;

/// What the `backend "s3"` block says, already checked.
#[derive(Clone, Debug, PartialEq)]
pub struct S3Settings {
    pub bucket: String,
    pub key: String,
    /// SSE-KMS with this key; SSE-S3 (`AES256`) when absent.
    pub kms_key_id: Option<String>,
    /// Lock with the `<key>.tflock` object.
    pub use_lockfile: bool,
}

/// What the next write expects to find in the bucket.
#[derive(Clone, Debug, PartialEq)]
enum Base {
    /// Nothing was read yet: the object must not exist.
    Unread,
    /// There was no object when read.
    Absent,
    /// The object's ETag when last read or written.
    ETag(String),
}

pub struct S3Backend {
    client: aws_sdk_s3::Client,
    settings: S3Settings,
    /// Held across a whole write so two saves of one run cannot interleave.
    base: Mutex<Base>,
    /// Where an apply's steps go first (see [`S3Backend::with_journal`]).
    journal: Option<JournalFile>,
    batch: std::sync::Mutex<WriteBatch>,
}

/// An apply writes the whole state to S3 at most this often; each step in
/// between is in the local journal first.
pub const MIN_WRITE_INTERVAL: Duration = Duration::from_millis(300);

/// After a write, the next waits this many times as long as it took (19
/// to 1: writing takes a twentieth of the time), since each write uploads
/// the whole state while the apply waits: at 10,000 resources, 9.4 MB.
/// What it took is wall time, so a loaded bucket or machine spaces the
/// writes out too.
const WRITE_SPACING: u32 = 19;

/// The longest wait between two writes, whatever they take: Terraform's
/// own interval for saving remote state during an apply. Writes that take
/// more than about a second take more than a twentieth.
const MAX_WRITE_INTERVAL: Duration = Duration::from_secs(20);

/// When the state was last written, how long until the next write, and
/// whether the journal holds steps the bucket does not have yet.
struct WriteBatch {
    last_write: Option<Instant>,
    interval: Duration,
    unwritten: bool,
}

impl Default for WriteBatch {
    fn default() -> Self {
        WriteBatch {
            last_write: None,
            interval: MIN_WRITE_INTERVAL,
            unwritten: false,
        }
    }
}

impl WriteBatch {
    /// A write that took `took` has just stored every step.
    fn wrote(&mut self, took: Duration) {
        *self = WriteBatch {
            last_write: Some(Instant::now()),
            interval: took
                .saturating_mul(WRITE_SPACING)
                .clamp(MIN_WRITE_INTERVAL, MAX_WRITE_INTERVAL),
            unwritten: false,
        };
    }

    /// When the next write is due: at once before the first.
    fn next_write(&self) -> Instant {
        self.last_write
            .map_or_else(Instant::now, |last| last + self.interval)
    }
}

/// How many versions `versions` reads at once to show their serials.
const VERSION_READS_IN_FLIGHT: usize = 8;

impl S3Backend {
    pub fn new(client: aws_sdk_s3::Client, settings: S3Settings) -> S3Backend {
        S3Backend {
            client,
            settings,
            base: Mutex::new(Base::Unread),
            journal: None,
            batch: std::sync::Mutex::new(WriteBatch::default()),
        }
    }

    /// Keeps an apply's steps in a local journal at `path`, fsynced, and
    /// writes the whole state to S3 at most every [`MIN_WRITE_INTERVAL`],
    /// less often when writes take long: a step costs a local append
    /// instead of an upload of the whole state, and a run killed between
    /// two writes loses nothing on this machine (the next read replays the
    /// journal). Without it, every step is a whole-state write.
    pub fn with_journal(mut self, path: impl Into<std::path::PathBuf>) -> S3Backend {
        self.journal = Some(JournalFile::new(path));
        self
    }

    pub fn journal_path(&self) -> Option<&std::path::Path> {
        self.journal.as_ref().map(JournalFile::path)
    }

    /// The stored state with the steps of a run that stopped before
    /// writing them (the local journal) applied.
    fn replay_journal(&self, state: Option<State>) -> Result<Option<State>, StateError> {
        match &self.journal {
            Some(journal) => journal.replay_onto(state),
            None => Ok(state),
        }
    }

    fn remove_journal(&self) -> Result<(), StateError> {
        self.journal.as_ref().map_or(Ok(()), JournalFile::remove)
    }

    pub fn settings(&self) -> &S3Settings {
        &self.settings
    }

    fn lock_key(&self) -> String {
        format!("{}.tflock", self.settings.key)
    }

    fn remote(&self, failure: S3Failure) -> StateError {
        if failure.is_bucket_missing() {
            return StateError::BucketMissing {
                bucket: self.settings.bucket.clone(),
            };
        }
        StateError::Remote {
            location: self.location(),
            message: failure.error.to_string(),
        }
    }

    fn corrupt(&self, what: &str, message: impl std::fmt::Display) -> StateError {
        StateError::Corrupt(format!("{what}: {message}"))
    }

    /// A conditional PutObject with the backend's encryption settings.
    fn put(
        &self,
        key: &str,
        body: String,
    ) -> aws_sdk_s3::operation::put_object::builders::PutObjectFluentBuilder {
        let request = self
            .client
            .put_object()
            .bucket(&self.settings.bucket)
            .key(key)
            .content_type("application/json")
            .body(ByteStream::from(body.into_bytes()));
        match &self.settings.kms_key_id {
            Some(key_id) => request
                .server_side_encryption(ServerSideEncryption::AwsKms)
                .ssekms_key_id(key_id),
            None => request.server_side_encryption(ServerSideEncryption::Aes256),
        }
    }

    /// The text and ETag of an object (one version of it, if given), or
    /// `None` when it does not exist.
    async fn get_text(
        &self,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<Option<(String, Option<String>)>, StateError> {
        let answer = self
            .client
            .get_object()
            .bucket(&self.settings.bucket)
            .key(key)
            .set_version_id(version_id.map(str::to_string))
            .send()
            .await;
        let output = match answer {
            Ok(output) => output,
            Err(err) => {
                let failure = S3Failure::from(err);
                if failure.is_not_found() && !failure.is_bucket_missing() {
                    return Ok(None);
                }
                return Err(self.remote(failure));
            }
        };
        let etag = output.e_tag().map(str::to_string);
        let bytes = output
            .body
            .collect()
            .await
            .map_err(|e| StateError::Remote {
                location: self.location(),
                message: format!("reading the object failed: {e}"),
            })?
            .into_bytes();
        let text = String::from_utf8(bytes.to_vec())
            .map_err(|e| self.corrupt(&format!("s3://{}/{key}", self.settings.bucket), e))?;
        Ok(Some((text, etag)))
    }

    /// The lock record and its ETag.
    async fn lock_record(&self) -> Result<Option<(LockInfo, Option<String>)>, StateError> {
        let path = format!("{}/{}", self.settings.bucket, self.lock_key());
        Ok(self
            .get_text(&self.lock_key(), None)
            .await?
            .map(|(text, etag)| (LockInfo::from_json_or_unknown(&text, &path), etag)))
    }

    /// Describes the stored state after a failed condition, for the message.
    async fn describe_current(&self) -> String {
        match self.get_text(&self.settings.key, None).await {
            Ok(Some((text, _))) => describe_stored(&text),
            Ok(None) => "no state".into(),
            Err(e) => format!("unknown: {e}"),
        }
    }

    async fn create_bucket(&self) -> Result<String, StateError> {
        let bucket = &self.settings.bucket;
        let mut create = self.client.create_bucket().bucket(bucket);
        // us-east-1 is the one region that refuses an explicit constraint.
        if let Some(region) = self
            .client
            .config()
            .region()
            .map(|r| r.as_ref())
            .filter(|r| *r != "us-east-1")
        {
            create = create.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(region))
                    .build(),
            );
        }
        create
            .send()
            .await
            .map_err(|e| self.remote(S3Failure::from(e)))?;
        self.client
            .put_public_access_block()
            .bucket(bucket)
            .public_access_block_configuration(
                PublicAccessBlockConfiguration::builder()
                    .block_public_acls(true)
                    .ignore_public_acls(true)
                    .block_public_policy(true)
                    .restrict_public_buckets(true)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| self.remote(S3Failure::from(e)))?;
        self.client
            .put_bucket_versioning()
            .bucket(bucket)
            .versioning_configuration(
                VersioningConfiguration::builder()
                    .status(BucketVersioningStatus::Enabled)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| self.remote(S3Failure::from(e)))?;
        let default = match &self.settings.kms_key_id {
            Some(key_id) => ServerSideEncryptionByDefault::builder()
                .sse_algorithm(ServerSideEncryption::AwsKms)
                .kms_master_key_id(key_id),
            None => {
                ServerSideEncryptionByDefault::builder().sse_algorithm(ServerSideEncryption::Aes256)
            }
        };
        let encryption = default
            .build()
            .and_then(|default| {
                ServerSideEncryptionConfiguration::builder()
                    .rules(
                        ServerSideEncryptionRule::builder()
                            .apply_server_side_encryption_by_default(default)
                            .build(),
                    )
                    .build()
            })
            .map_err(|e| StateError::Remote {
                location: self.location(),
                message: e.to_string(),
            })?;
        self.client
            .put_bucket_encryption()
            .bucket(bucket)
            .server_side_encryption_configuration(encryption)
            .send()
            .await
            .map_err(|e| self.remote(S3Failure::from(e)))?;
        Ok(format!(
            "bucket {bucket:?} with versioning, default encryption and all public access blocked"
        ))
    }

    /// Every version and delete marker of the state object, newest first,
    /// without their contents.
    async fn list_versions(
        &self,
    ) -> Result<Vec<(aws_smithy_types::DateTime, StateVersion)>, StateError> {
        let mut found = Vec::new();
        let mut key_marker: Option<String> = None;
        let mut version_marker: Option<String> = None;
        loop {
            let page = self
                .client
                .list_object_versions()
                .bucket(&self.settings.bucket)
                .prefix(&self.settings.key)
                .set_key_marker(key_marker.take())
                .set_version_id_marker(version_marker.take())
                .send()
                .await
                .map_err(|e| self.remote(S3Failure::from(e)))?;
            // The prefix also matches `<key>.tflock` and longer keys.
            let ours = |key: Option<&str>| key == Some(self.settings.key.as_str());
            for version in page.versions().iter().filter(|v| ours(v.key())) {
                let modified = version.last_modified().copied();
                found.push((
                    modified.unwrap_or(aws_smithy_types::DateTime::from_secs(0)),
                    StateVersion {
                        id: version.version_id().unwrap_or("null").to_string(),
                        modified: modified.and_then(format_time),
                        is_current: version.is_latest().unwrap_or(false),
                        serial: None,
                        lineage: None,
                        note: None,
                    },
                ));
            }
            for marker in page.delete_markers().iter().filter(|m| ours(m.key())) {
                let modified = marker.last_modified().copied();
                found.push((
                    modified.unwrap_or(aws_smithy_types::DateTime::from_secs(0)),
                    StateVersion {
                        id: marker.version_id().unwrap_or("null").to_string(),
                        modified: modified.and_then(format_time),
                        is_current: marker.is_latest().unwrap_or(false),
                        serial: None,
                        lineage: None,
                        note: Some("deleted (delete marker)".into()),
                    },
                ));
            }
            if page.is_truncated() != Some(true) {
                break;
            }
            key_marker = page.next_key_marker().map(str::to_string);
            version_marker = page.next_version_id_marker().map(str::to_string);
            if key_marker.is_none() && version_marker.is_none() {
                break;
            }
        }
        found.sort_by_key(|(time, _)| std::cmp::Reverse(*time));
        Ok(found)
    }
}

/// The versioning status from a successful GetBucketVersioning answer the
/// SDK could not parse. moto names the XML root `GetBucketVersioningResponse`
/// where AWS sends `VersioningConfiguration`; the `Status` element is the
/// same, so read it directly. Never reached with AWS itself. `None` when the
/// error is anything else; `Some(None)` when versioning was never enabled.
fn versioning_from_raw_answer<E>(
    err: &SdkError<E, HttpResponse>,
) -> Option<Option<BucketVersioningStatus>> {
    let SdkError::ServiceError(service) = err else {
        return None;
    };
    let raw = service.raw();
    if !raw.status().is_success() {
        return None;
    }
    let body = std::str::from_utf8(raw.body().bytes()?).ok()?;
    if !body.contains("GetBucketVersioningResponse") {
        return None;
    }
    let status = body
        .split_once("<Status>")
        .and_then(|(_, rest)| rest.split_once("</Status>"))
        .map(|(status, _)| BucketVersioningStatus::from(status.trim()));
    Some(status)
}

fn format_time(time: aws_smithy_types::DateTime) -> Option<String> {
    time.fmt(aws_smithy_types::date_time::Format::DateTime).ok()
}

#[async_trait]
impl Backend for S3Backend {
    fn location(&self) -> String {
        format!("s3://{}/{}", self.settings.bucket, self.settings.key)
    }

    fn locking(&self) -> bool {
        self.settings.use_lockfile
    }

    async fn check(&self, create_missing: bool) -> Result<Checked, StateError> {
        let bucket = &self.settings.bucket;
        let mut checked = Checked::default();
        let versioning = match self
            .client
            .get_bucket_versioning()
            .bucket(bucket)
            .send()
            .await
        {
            Ok(output) => output.status().cloned(),
            Err(err) if versioning_from_raw_answer(&err).is_some() => {
                versioning_from_raw_answer(&err).flatten()
            }
            Err(err) => {
                let failure = S3Failure::from(err);
                if failure.code() == "AccessDenied" {
                    // Reading and writing objects may be all a CI role is
                    // allowed; that is enough to work, so don't fail on it.
                    checked.warnings.push(
                        Diagnostic::warning(format!(
                            "Could not check versioning of the state bucket {bucket:?}"
                        ))
                        .with_detail(failure.error.to_string())
                        .with_hint("allow s3:GetBucketVersioning, and make sure versioning is on"),
                    );
                    return Ok(checked);
                }
                if !(failure.is_bucket_missing() && create_missing) {
                    return Err(self.remote(failure));
                }
                checked.created = Some(self.create_bucket().await?);
                Some(BucketVersioningStatus::Enabled)
            }
        };
        if versioning != Some(BucketVersioningStatus::Enabled) {
            checked.warnings.push(
                Diagnostic::warning(format!(
                    "VERSIONING IS OFF on the state bucket {bucket:?}"
                ))
                .with_detail(
                    "Without versioning, a state that is overwritten or damaged cannot be recovered, and `terrane state versions` and `terrane state restore` have nothing to work with.",
                )
                .with_hint(format!(
                    "turn it on: aws s3api put-bucket-versioning --bucket {bucket} --versioning-configuration Status=Enabled"
                )),
            );
        }
        Ok(checked)
    }

    async fn read(&self) -> Result<Option<State>, StateError> {
        let mut base = self.base.lock().await;
        let Some((text, etag)) = self.get_text(&self.settings.key, None).await? else {
            *base = Base::Absent;
            return self.replay_journal(None);
        };
        // A damaged object never becomes the base of a write: it stays as it
        // is until someone replaces it deliberately (`adopt_current`).
        let state = State::from_json(&text).map_err(|e| match e {
            StateError::Corrupt(message) => self.corrupt(&self.location(), message),
            other => other,
        })?;
        *base = etag.map_or(Base::Unread, Base::ETag);
        self.replay_journal(Some(state))
    }

    async fn adopt_current(&self) -> Result<(), StateError> {
        let mut base = self.base.lock().await;
        let answer = self
            .client
            .head_object()
            .bucket(&self.settings.bucket)
            .key(&self.settings.key)
            .send()
            .await;
        *base = match answer {
            Ok(output) => output
                .e_tag()
                .map_or(Base::Unread, |etag| Base::ETag(etag.to_string())),
            Err(err) => {
                let failure = S3Failure::from(err);
                if !failure.is_not_found() {
                    return Err(self.remote(failure));
                }
                Base::Absent
            }
        };
        Ok(())
    }

    async fn write(&self, state: &State) -> Result<(), StateError> {
        let mut base = self.base.lock().await;
        let started = Instant::now();
        let request = self.put(&self.settings.key, state.to_json());
        let request = match &*base {
            Base::Unread | Base::Absent => request.if_none_match("*"),
            Base::ETag(etag) => request.if_match(etag),
        };
        match request.send().await {
            // Without an ETag in the answer (AWS always sends one) the next
            // write expects no object and so fails safe rather than blind.
            Ok(output) => {
                *base = output
                    .e_tag()
                    .map_or(Base::Unread, |etag| Base::ETag(etag.to_string()));
                self.batch
                    .lock()
                    .expect("not poisoned")
                    .wrote(started.elapsed());
                // The bucket holds every step the journal had.
                self.remove_journal()
            }
            Err(err) => {
                let failure = S3Failure::from(err);
                if failure.is_condition_failed() {
                    return Err(StateError::Conflict {
                        now: self.describe_current().await,
                    });
                }
                Err(self.remote(failure))
            }
        }
    }

    async fn append(&self, state: &State, address: &str) -> Result<(), StateError> {
        self.append_unsynced(state, address).await?;
        self.sync_appended()
    }

    fn sync_appended(&self) -> Result<(), StateError> {
        self.journal.as_ref().map_or(Ok(()), JournalFile::sync)
    }

    async fn append_unsynced(&self, state: &State, address: &str) -> Result<(), StateError> {
        let Some(journal) = &self.journal else {
            return self.write(state).await;
        };
        journal.stage(state, address)?;
        // The bucket is written by the apply loop when `write_due` says,
        // never here: a step is recorded once its journal line is, and a
        // failed write is the loop's to report, not the step's.
        self.batch.lock().expect("not poisoned").unwritten = true;
        Ok(())
    }

    fn write_due(&self) -> Option<Instant> {
        let batch = self.batch.lock().expect("not poisoned");
        batch.unwritten.then(|| batch.next_write())
    }

    async fn lock(&self, info: &LockInfo) -> Result<(), StateError> {
        // The holder may release between our failed create and our read of
        // its record; then simply try again.
        for _ in 0..3 {
            match self
                .put(&self.lock_key(), info.to_json())
                .if_none_match("*")
                .send()
                .await
            {
                Ok(_) => return Ok(()),
                Err(err) => {
                    let failure = S3Failure::from(err);
                    if !failure.is_condition_failed() {
                        return Err(self.remote(failure));
                    }
                    if let Some((holder, _)) = self.lock_record().await? {
                        return Err(StateError::Locked(Box::new(holder)));
                    }
                }
            }
        }
        Err(StateError::Remote {
            location: self.location(),
            message: "the lock object kept changing; try again".into(),
        })
    }

    async fn lock_holder(&self) -> Result<Option<LockInfo>, StateError> {
        Ok(self.lock_record().await?.map(|(info, _)| info))
    }

    async fn unlock(&self, id: &str) -> Result<(), StateError> {
        let Some((holder, etag)) = self.lock_record().await? else {
            return Err(StateError::NotLocked);
        };
        if holder.id != id {
            return Err(StateError::WrongLockId {
                given: id.to_string(),
                held: holder.id,
            });
        }
        // Delete only the record we just matched, not one a new holder
        // wrote since.
        let answer = self
            .client
            .delete_object()
            .bucket(&self.settings.bucket)
            .key(self.lock_key())
            .set_if_match(etag)
            .send()
            .await;
        match answer {
            Ok(_) => Ok(()),
            Err(err) => {
                let failure = S3Failure::from(err);
                if failure.is_condition_failed() {
                    return Err(match self.lock_holder().await? {
                        Some(now) => StateError::WrongLockId {
                            given: id.to_string(),
                            held: now.id,
                        },
                        None => StateError::NotLocked,
                    });
                }
                Err(self.remote(failure))
            }
        }
    }

    async fn versions(&self) -> Result<Vec<StateVersion>, StateError> {
        let listed = self.list_versions().await?;
        let reads = listed.into_iter().map(|(_, mut version)| async move {
            if version.note.is_none() {
                match self.get_text(&self.settings.key, Some(&version.id)).await {
                    Ok(Some((text, _))) => version.describe_text(&text),
                    Ok(None) => version.note = Some("not found".into()),
                    Err(e) => version.note = Some(e.to_string()),
                }
            }
            version
        });
        Ok(futures::stream::iter(reads)
            .buffered(VERSION_READS_IN_FLIGHT)
            .collect()
            .await)
    }

    async fn delete(&self) -> Result<(), StateError> {
        self.client
            .delete_object()
            .bucket(&self.settings.bucket)
            .key(&self.settings.key)
            .send()
            .await
            .map_err(|e| self.remote(S3Failure::from(e)))?;
        // Callers delete only a state that reads as empty, journal included.
        self.remove_journal()
    }

    async fn read_version(&self, version_id: &str) -> Result<State, StateError> {
        let answer = self
            .client
            .get_object()
            .bucket(&self.settings.bucket)
            .key(&self.settings.key)
            .version_id(version_id)
            .send()
            .await;
        let output = match answer {
            Ok(output) => output,
            Err(err) => {
                let failure = S3Failure::from(err);
                // S3 answers an unknown version id with NoSuchVersion or
                // InvalidArgument (for ids that are not even well formed),
                // and a delete marker with 405 MethodNotAllowed.
                if failure.is_not_found()
                    || matches!(failure.code(), "InvalidArgument" | "MethodNotAllowed")
                {
                    return Err(StateError::VersionNotFound(version_id.to_string()));
                }
                return Err(self.remote(failure));
            }
        };
        let bytes = output
            .body
            .collect()
            .await
            .map_err(|e| StateError::Remote {
                location: self.location(),
                message: format!("reading version {version_id} failed: {e}"),
            })?
            .into_bytes();
        let what = format!("{} (version {version_id})", self.location());
        let text = String::from_utf8(bytes.to_vec()).map_err(|e| self.corrupt(&what, e))?;
        State::from_json(&text).map_err(|e| match e {
            StateError::Corrupt(message) => self.corrupt(&what, message),
            other => other,
        })
    }
}

/// An S3 error with its HTTP status, which S3 sends without a body (and so
/// without a code) for HEAD requests.
struct S3Failure {
    status: Option<u16>,
    error: ProviderError,
}

impl<E> From<SdkError<E, HttpResponse>> for S3Failure
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    fn from(err: SdkError<E, HttpResponse>) -> S3Failure {
        let status = err.raw_response().map(|r| r.status().as_u16());
        S3Failure {
            status,
            error: sdk_error(err),
        }
    }
}

impl S3Failure {
    fn code(&self) -> &str {
        self.error.code.as_deref().unwrap_or_default()
    }

    fn is_bucket_missing(&self) -> bool {
        self.code() == "NoSuchBucket"
    }

    fn is_not_found(&self) -> bool {
        self.status == Some(404)
            || matches!(self.code(), "NoSuchKey" | "NotFound" | "NoSuchVersion")
    }

    /// A conditional write or delete lost: `PreconditionFailed` (412), or
    /// `ConditionalRequestConflict` (409) while another conditional write to
    /// the same key is in flight.
    fn is_condition_failed(&self) -> bool {
        matches!(self.status, Some(412))
            || matches!(
                self.code(),
                "PreconditionFailed" | "ConditionalRequestConflict"
            )
    }
}

/// Splits `s3://bucket/key` into bucket and key.
pub fn parse_url(url: &str) -> Option<(String, String)> {
    let rest = url.strip_prefix("s3://")?;
    let (bucket, key) = rest.split_once('/')?;
    (!bucket.is_empty() && !key.is_empty()).then(|| (bucket.to_string(), key.to_string()))
}

/// The workspaces with a state in `bucket` under Terraform's layout,
/// `<prefix>/<workspace>/<key>`, by name.
pub async fn workspaces(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
    key: &str,
) -> Result<Vec<String>, StateError> {
    let listed = format!("{prefix}/");
    let mut names = Vec::new();
    let mut pages = client
        .list_objects_v2()
        .bucket(bucket)
        .prefix(&listed)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| StateError::Remote {
            location: format!("s3://{bucket}/{listed}"),
            message: S3Failure::from(e).error.to_string(),
        })?;
        for object in page.contents() {
            let Some(rest) = object.key().and_then(|k| k.strip_prefix(&listed)) else {
                continue;
            };
            if let Some((workspace, object_key)) = rest.split_once('/')
                && object_key == key
            {
                names.push(workspace.to_string());
            }
        }
    }
    names.sort();
    names.dedup();
    Ok(names)
}

/// Reads any object as text, e.g. a Terraform state to migrate.
pub async fn read_object_text(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> Result<String, StateError> {
    let location = format!("s3://{bucket}/{key}");
    let reader = S3Backend::new(
        client.clone(),
        S3Settings {
            bucket: bucket.to_string(),
            key: key.to_string(),
            kms_key_id: None,
            use_lockfile: false,
        },
    );
    reader
        .get_text(key, None)
        .await?
        .map(|(text, _)| text)
        .ok_or(StateError::Remote {
            location,
            message: "no such object".into(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_s3_urls() {
        assert_eq!(
            parse_url("s3://bucket/path/to/terraform.tfstate"),
            Some(("bucket".into(), "path/to/terraform.tfstate".into()))
        );
        assert_eq!(parse_url("s3://bucket/"), None);
        assert_eq!(parse_url("s3://bucket"), None);
        assert_eq!(parse_url("/tmp/terraform.tfstate"), None);
    }

    /// A quick write leaves the next due after the shortest interval; a
    /// slow one (a large state) after 19 times as long as it took; none
    /// after more than 20 s.
    #[test]
    fn slow_writes_space_the_next_out() {
        let mut batch = WriteBatch::default();
        assert!(
            batch.next_write() <= Instant::now(),
            "the first is due at once"
        );
        let due_after = |batch: &mut WriteBatch, took: Duration| {
            batch.wrote(took);
            batch.next_write() - batch.last_write.expect("written")
        };
        for (took, wait) in [
            (Duration::from_millis(2), MIN_WRITE_INTERVAL),
            (Duration::from_millis(100), Duration::from_millis(1900)),
            (Duration::from_millis(400), Duration::from_millis(7600)),
            (Duration::from_secs(3), MAX_WRITE_INTERVAL),
            (Duration::from_millis(1), MIN_WRITE_INTERVAL),
        ] {
            assert_eq!(due_after(&mut batch, took), wait, "a write of {took:?}");
            assert!(!batch.unwritten);
        }
    }
}
