//! Choosing and opening the state backend, and holding its lock.
//!
//! The backend comes from `--state PATH`, else the stack's `terraform {
//! backend "..." {} }` block (read by `lang::backend_config`), else
//! `state/<stack>.json`. Storage I/O itself happens in `state`; this module
//! only sequences it and never prints.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use tokio::sync::watch;

use super::{Report, read_stack_files, stack_name};
use crate::diag::{Diagnostic, Diagnostics};
use crate::lang::backend_config::{self, BackendConfig};
use crate::lang::{self, Config};
use crate::provider::{AwsContext, AwsSettings};
use crate::retry::Backoff;
use crate::state::{
    Backend, LOCAL_WORKSPACES_DIR, LocalBackend, LockInfo, S3Backend, S3Settings, StateError,
};

/// `--lock` and `--lock-timeout`.
#[derive(Clone, Debug)]
pub struct LockOptions {
    /// `--lock=false` turns locking off, for emergencies.
    pub enabled: bool,
    /// How long to keep retrying while another run holds the lock.
    pub timeout: Duration,
}

impl Default for LockOptions {
    fn default() -> LockOptions {
        LockOptions {
            enabled: true,
            timeout: Duration::ZERO,
        }
    }
}

/// Where the state lives, as the configuration and command line say.
#[derive(Clone, Debug, PartialEq)]
pub enum BackendChoice {
    Local(PathBuf),
    S3 {
        settings: S3Settings,
        /// The backend's `region`; the SDK's chain (`AWS_REGION`, profile)
        /// when absent.
        region: Option<String>,
        /// The backend's `endpoints = { s3 = "..." }`; otherwise the SDK's
        /// chain (`AWS_ENDPOINT_URL`), as for the provider.
        endpoint: Option<String>,
        /// Other workspaces' states are at `<prefix>/<workspace>/<key>`.
        workspace_key_prefix: String,
    },
}

impl BackendChoice {
    /// Where `workspace`'s state lives, as Terraform lays workspaces out:
    /// the default workspace's at the configured place; another's under
    /// `<workspace_key_prefix>/<workspace>/` (S3) or in
    /// `terraform.tfstate.d/<workspace>/` beside it (local).
    pub fn in_workspace(self, workspace: &str) -> BackendChoice {
        if workspace == DEFAULT_WORKSPACE {
            return self;
        }
        match self {
            BackendChoice::Local(path) => {
                let dir = path.parent().unwrap_or(Path::new(""));
                let file = path.file_name().unwrap_or_default();
                BackendChoice::Local(dir.join(LOCAL_WORKSPACES_DIR).join(workspace).join(file))
            }
            BackendChoice::S3 {
                mut settings,
                region,
                endpoint,
                workspace_key_prefix,
            } => {
                settings.key = format!("{workspace_key_prefix}/{workspace}/{}", settings.key);
                BackendChoice::S3 {
                    settings,
                    region,
                    endpoint,
                    workspace_key_prefix,
                }
            }
        }
    }
}

/// The workspace every stack starts in.
pub const DEFAULT_WORKSPACE: &str = "default";

/// An opened backend and what checking it found.
pub struct OpenedBackend {
    pub backend: Arc<dyn Backend>,
    /// Problems with the backend's settings or storage (e.g. versioning is
    /// off), for `cli` to show.
    pub warnings: Diagnostics,
}

/// Chooses the backend: `--state PATH` (exactly that file), else the
/// stack's backend block, else `state/<stack>.json`, each in the selected
/// workspace (`config.workspace`). Warnings (ignored arguments) come back
/// beside the choice; errors point at the block.
pub fn choose_backend(
    config: &Config,
    state_path: Option<&Path>,
) -> Result<(BackendChoice, Diagnostics), Report> {
    if let Some(path) = state_path {
        return Ok((
            BackendChoice::Local(path.to_path_buf()),
            Diagnostics::default(),
        ));
    }
    let (choice, diags) = choose_default_workspace_backend(config)?;
    Ok((choice.in_workspace(&config.workspace), diags))
}

/// The backend of the default workspace, as the stack configures it.
pub fn choose_default_workspace_backend(
    config: &Config,
) -> Result<(BackendChoice, Diagnostics), Report> {
    let default_local = || Path::new("state").join(format!("{}.json", stack_name(&config.dir)));
    let Some(block) = &config.backend else {
        return Ok((
            BackendChoice::Local(default_local()),
            Diagnostics::default(),
        ));
    };
    let (written, diags) = backend_config::evaluate(block);
    if diags.has_errors() {
        return Err(Report {
            sources: config.sources.clone(),
            diags,
        });
    }
    let choice = match written {
        BackendConfig::Local { path } => {
            BackendChoice::Local(path.map_or_else(default_local, PathBuf::from))
        }
        BackendConfig::S3(s3) => BackendChoice::S3 {
            settings: S3Settings {
                bucket: s3.bucket,
                key: s3.key,
                kms_key_id: s3.kms_key_id,
                use_lockfile: s3.use_lockfile,
            },
            region: s3.region,
            endpoint: s3.endpoint,
            workspace_key_prefix: s3.workspace_key_prefix,
        },
    };
    Ok((choice, diags))
}

/// Builds the backend. The S3 client is built like the provider's: the
/// SDK's configuration chain (credentials, `AWS_ENDPOINT_URL`) with the
/// backend's own region, and path-style addressing when the endpoint is
/// overridden.
pub async fn open_choice(
    choice: &BackendChoice,
    config: &Config,
) -> Result<Arc<dyn Backend>, Report> {
    match choice {
        BackendChoice::Local(path) => Ok(Arc::new(LocalBackend::new(path))),
        BackendChoice::S3 {
            settings,
            region,
            endpoint,
            ..
        } => {
            let client = backend_s3_client(region, endpoint, config).await?;
            Ok(Arc::new(
                S3Backend::new(client, settings.clone()).with_journal(s3_journal_path(
                    &config.dir,
                    &settings.bucket,
                    &settings.key,
                )),
            ))
        }
    }
}

/// Where an apply keeps the steps not yet written to an S3 state: in the
/// stack's working directory, like Terraform's `.terraform/`, one file per
/// bucket and key.
pub fn s3_journal_path(stack_dir: &Path, bucket: &str, key: &str) -> PathBuf {
    stack_dir
        .join(".terraform/terrane-journal")
        .join(bucket)
        .join(format!("{}.journal", key.replace('/', "%2F")))
}

/// The S3 client of an s3 backend: the SDK's chain with the backend's
/// region and endpoint.
pub async fn backend_s3_client(
    region: &Option<String>,
    endpoint: &Option<String>,
    config: &Config,
) -> Result<aws_sdk_s3::Client, Report> {
    let aws = AwsContext::load(AwsSettings {
        region: region.clone(),
        endpoints: endpoint
            .iter()
            .map(|url| ("s3".to_string(), url.clone()))
            .collect(),
        ..AwsSettings::default()
    })
    .await;
    if aws.region().is_none() {
        return Err(Report {
            sources: config.sources.clone(),
            diags: Diagnostic::error("The s3 backend needs a region")
                .with_span(config.backend.as_ref().map(|b| b.span.clone()))
                .with_hint("set `region` in the backend block, or AWS_REGION")
                .into(),
        });
    }
    Ok(aws.s3().clone())
}

/// Chooses, opens and checks the stack's backend. `create_missing` creates
/// a missing S3 bucket (`terrane init --create-state-bucket`).
pub async fn open_backend(
    config: &Config,
    state_path: Option<&Path>,
) -> Result<OpenedBackend, Report> {
    let (choice, mut warnings) = choose_backend(config, state_path)?;
    let backend = open_choice(&choice, config).await?;
    let checked = backend.check(false).await.map_err(Report::state)?;
    warnings.extend(Diagnostics(checked.warnings));
    Ok(OpenedBackend { backend, warnings })
}

/// Loads only what a state command needs from the stack directory: its
/// backend block. Errors elsewhere in the stack don't matter here, so a
/// stack mid-refactor can still have its state repaired.
pub fn load_backend_config(dir: &Path) -> Result<Config, Report> {
    let files = read_stack_files(dir)?;
    let (mut config, diags) = lang::load(dir.to_path_buf(), files);
    config.workspace = super::workspace::current(dir)?;
    if config.backend.is_none() && diags.has_errors() {
        // The backend block may be in the part that failed to parse.
        return Err(Report {
            sources: config.sources,
            diags,
        });
    }
    Ok(config)
}

/// Holds the state lock until released. Release it explicitly with
/// [`Locked::release`] (which reports failures); `with_lock` does, after a
/// panic too. Dropping it unreleased unlocks only on a multi-threaded
/// runtime, best effort; on the command line's one thread the lock stays
/// for `force-unlock`, which the next run's refusal names.
pub struct Locked {
    backend: Arc<dyn Backend>,
    held: Option<LockInfo>,
}

/// How often a locked state is tried again under `--lock-timeout`.
const LOCK_RETRY_INTERVAL: Duration = Duration::from_millis(500);

impl Locked {
    /// Takes the lock for `operation`, retrying until `options.timeout`
    /// while another run holds it. Returns warnings when locking is off.
    /// `interrupt` (Ctrl-C) stops the waiting.
    pub async fn acquire(
        backend: &Arc<dyn Backend>,
        operation: &str,
        options: &LockOptions,
        mut interrupt: Option<watch::Receiver<bool>>,
    ) -> Result<(Locked, Diagnostics), Report> {
        let mut warnings = Diagnostics::default();
        let unlocked = Locked {
            backend: backend.clone(),
            held: None,
        };
        if !options.enabled {
            warnings.push(
                Diagnostic::warning("Running without the state lock (--lock=false)")
                    .with_detail("nothing stops another run from working on this state at the same time; a concurrent write is still detected and refused")
                    .with_hint("use --lock=false only when the lock is broken and you know no other run is active"),
            );
            return Ok((unlocked, warnings));
        }
        if !backend.locking() {
            return Ok((unlocked, warnings));
        }
        let info = LockInfo::new(operation, &backend.location());
        let mut delays = Backoff::constant(LOCK_RETRY_INTERVAL)
            .within(options.timeout)
            .start();
        loop {
            match backend.lock(&info).await {
                Ok(()) => {
                    return Ok((
                        Locked {
                            backend: backend.clone(),
                            held: Some(info),
                        },
                        warnings,
                    ));
                }
                Err(StateError::Locked(holder)) => {
                    let Some(wait) = delays.next_wait() else {
                        return Err(Report::state(StateError::Locked(holder)));
                    };
                    let interrupted = match interrupt.as_mut() {
                        Some(interrupt) => tokio::select! {
                            _ = tokio::time::sleep(wait) => false,
                            changed = interrupt.changed() => changed.is_ok() && *interrupt.borrow(),
                        },
                        None => {
                            tokio::time::sleep(wait).await;
                            false
                        }
                    };
                    if interrupted {
                        return Err(Report::error(
                            Diagnostic::error("Interrupted while waiting for the state lock")
                                .with_detail(StateError::Locked(holder).to_string()),
                        ));
                    }
                }
                Err(e) => return Err(Report::state(e)),
            }
        }
    }

    /// The lock ID held, if locking is on.
    pub fn id(&self) -> Option<&str> {
        self.held.as_ref().map(|info| info.id.as_str())
    }

    /// Releases the lock; a failure leaves it held and says how to clear it.
    pub async fn release(mut self) -> Result<(), Report> {
        let Some(info) = self.held.take() else {
            return Ok(());
        };
        self.backend.unlock(&info.id).await.map_err(|e| {
            Report::error(
                Diagnostic::error(format!("Releasing the state lock failed: {e}")).with_hint(
                    format!(
                        "check that no run is active, then run `terrane force-unlock {}`",
                        info.id
                    ),
                ),
            )
        })
    }
}

impl Drop for Locked {
    fn drop(&mut self) {
        let Some(info) = self.held.take() else {
            return;
        };
        // Only reached when `release` was skipped: `with_lock` releases
        // after a panic too, so only when its future is dropped unfinished.
        // Unlocking needs the async backend, so block this thread on it —
        // possible only on a multi-threaded runtime. The command line's has
        // one thread and cannot block it: there the lock stays, for
        // `force-unlock`.
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if handle.runtime_flavor() != tokio::runtime::RuntimeFlavor::MultiThread {
            return;
        }
        let backend = self.backend.clone();
        tokio::task::block_in_place(|| {
            let _ = handle.block_on(backend.unlock(&info.id));
        });
    }
}

/// Runs `work` while holding the lock, and releases the lock afterwards
/// whatever happened. Lock warnings (locking off) go to `on_warnings` as
/// soon as the lock is settled, before `work` runs.
pub async fn with_lock<T, F>(
    backend: &Arc<dyn Backend>,
    operation: &str,
    options: &LockOptions,
    interrupt: Option<watch::Receiver<bool>>,
    on_warnings: impl FnOnce(Diagnostics),
    work: F,
) -> Result<T, Report>
where
    F: std::future::Future<Output = Result<T, Report>>,
{
    let (lock, warnings) = Locked::acquire(backend, operation, options, interrupt).await?;
    on_warnings(warnings);
    // A panic in `work` (a bug) releases the lock before it goes on; if
    // that fails, the next run is refused with the holder's id to unlock.
    let result = std::panic::AssertUnwindSafe(work).catch_unwind().await;
    let released = lock.release().await;
    let result = result.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    match (result, released) {
        (Ok(value), Ok(())) => Ok(value),
        (Ok(_), Err(report)) => Err(report),
        (Err(report), Ok(())) => Err(report),
        (Err(mut report), Err(release)) => {
            report.diags.extend(release.diags);
            Err(report)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::panic::AssertUnwindSafe;

    use super::*;

    fn config(text: &str) -> Config {
        let (config, diags) = lang::load(
            PathBuf::from("stack"),
            vec![(PathBuf::from("main.tf"), text.to_string())],
        );
        assert!(!diags.has_errors(), "{diags:?}");
        config
    }

    /// On a one-thread runtime, as the command line runs, a panic while
    /// the lock is held releases it and then goes on as a panic.
    #[tokio::test(flavor = "current_thread")]
    async fn a_panic_under_the_lock_releases_it() {
        let dir = tempfile::tempdir().unwrap();
        let local = Arc::new(LocalBackend::new(dir.path().join("terrane.tfstate")));
        let backend: Arc<dyn Backend> = local.clone();
        let work = async {
            assert!(local.lock_holder().unwrap().is_some(), "held while working");
            panic!("a bug");
        };
        let options = LockOptions::default();
        let run = with_lock(&backend, "apply", &options, None, |_| {}, work);
        let outcome: Result<Result<(), Report>, _> = AssertUnwindSafe(run).catch_unwind().await;
        let panic = outcome.expect_err("the panic goes on");
        assert_eq!(panic.downcast_ref::<&str>(), Some(&"a bug"));
        assert_eq!(local.lock_holder().unwrap(), None, "released");
    }

    #[test]
    fn reads_the_s3_backend_block() {
        let config = config(
            r#"terraform {
              backend "s3" {
                bucket       = "state-bucket"
                key          = "prod/network.json"
                region       = "eu-west-1"
                encrypt      = true
                use_lockfile = true
                kms_key_id   = "alias/state"
                endpoints    = { s3 = "http://127.0.0.1:5000" }
              }
            }"#,
        );
        let (choice, warnings) = choose_backend(&config, None).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(
            choice,
            BackendChoice::S3 {
                settings: S3Settings {
                    bucket: "state-bucket".into(),
                    key: "prod/network.json".into(),
                    kms_key_id: Some("alias/state".into()),
                    use_lockfile: true,
                },
                region: Some("eu-west-1".into()),
                endpoint: Some("http://127.0.0.1:5000".into()),
                workspace_key_prefix: "env:".into(),
            }
        );
        let (choice, _) = choose_backend(&config, Some(Path::new("x.json"))).unwrap();
        assert_eq!(choice, BackendChoice::Local("x.json".into()));
    }

    #[test]
    fn reports_bad_backend_arguments_at_the_block() {
        let config = config(
            r#"variable "b" {}
            terraform {
              backend "s3" {
                bucket  = var.b
                profile = "x"
                colour  = "blue"
                encrypt = false
              }
            }"#,
        );
        let report = choose_backend(&config, None).unwrap_err();
        let summaries: Vec<_> = report.diags.iter().map(|d| d.summary.as_str()).collect();
        assert!(summaries.contains(&"The s3 backend's `bucket` must be a literal string"));
        assert!(summaries.contains(&"The s3 backend needs `key`"));
        assert!(summaries.contains(&"The s3 backend's `profile` is not supported by terrane"));
        assert!(summaries.contains(&"Unknown argument `colour` in the s3 backend"));
        assert!(summaries.contains(&"terrane always encrypts state; `encrypt = false` is ignored"));
        assert!(report.diags.iter().all(|d| d.span.is_some()));
    }

    #[test]
    fn local_backend_path_and_default() {
        let with_path = config(
            r#"terraform {
              backend "local" {
                path = "s/x.json"
              }
            }"#,
        );
        assert_eq!(
            choose_backend(&with_path, None).unwrap().0,
            BackendChoice::Local("s/x.json".into())
        );
        let without = config(r#"resource "aws_vpc" "v" { cidr_block = "10.0.0.0/16" }"#);
        assert!(matches!(
            choose_backend(&without, None).unwrap().0,
            BackendChoice::Local(path) if path.starts_with("state")
        ));
    }

    #[test]
    fn workspaces_live_where_terraform_keeps_them() {
        let local = BackendChoice::Local("state/net.json".into());
        assert_eq!(local.clone().in_workspace("default"), local);
        assert_eq!(
            local.in_workspace("dev"),
            BackendChoice::Local("state/terraform.tfstate.d/dev/net.json".into())
        );
        let s3 = BackendChoice::S3 {
            settings: S3Settings {
                bucket: "b".into(),
                key: "app/state.json".into(),
                kms_key_id: None,
                use_lockfile: true,
            },
            region: None,
            endpoint: None,
            workspace_key_prefix: "env:".into(),
        };
        let BackendChoice::S3 { settings, .. } = s3.in_workspace("dev") else {
            panic!("stays s3");
        };
        assert_eq!(settings.key, "env:/dev/app/state.json");
    }
}
