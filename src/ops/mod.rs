//! Operations: the sequences each command runs, joining the pure modules
//! (`lang`, `graph`, `plan`) with the ones that do I/O (`state`, `provider`).
//!
//! Like cargo's `ops`, commands stay thin and all sequencing lives here. This
//! module reads stack files and the environment, and calls AWS and state
//! backends; it never prints — results and diagnostics go back to `cli`.

mod apply;
mod backend;
mod console;
pub mod fmt;
pub mod import;
mod migrate;
pub mod module_install;
pub mod modules;
mod output;
mod plan;
pub mod policy;
mod rebuild;
mod refresh;
pub mod saved_plan;
pub mod state_cmds;
pub mod stats;
pub mod types;
pub mod workspace;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::watch;

use crate::apply::Event;
use crate::diag::{Diagnostic, Diagnostics, Sources};
use crate::graph::{self, Graph, Node};
use crate::lang::block_eval::BlockEvaluator;
use crate::lang::eval::FileReader;
use crate::lang::provider_config::ProviderConfig;
use crate::lang::variables::{Unset, VarInput};
use crate::lang::{self, Config};
use crate::plan::{Plan, PlanRequest};
use crate::provider::aws::limits::Limiting;
use crate::provider::{AwsContext, AwsSettings, Providers};
use crate::state::{Backend, State, StateError};
use crate::value::Value;

pub use apply::{Applied, ApplyOptions, apply};
pub use backend::{
    BackendChoice, LockOptions, Locked, OpenedBackend, choose_backend, load_backend_config,
    open_backend, open_choice, s3_journal_path, with_lock,
};
pub use console::{Console, console};
pub use output::{Outputs, output};
use plan::refresh_and_plan;
pub use plan::{PlanOptions, PlanOutcome, plan};
pub use refresh::refresh;

/// Problems to show, with the sources they point into.
#[derive(Debug, Default)]
pub struct Report {
    pub sources: Sources,
    pub diags: Diagnostics,
}

impl Report {
    pub fn error(diag: Diagnostic) -> Report {
        Report {
            sources: Sources::default(),
            diags: diag.into(),
        }
    }

    pub fn state(error: StateError) -> Report {
        let mut diag = Diagnostic::error(capitalize(&error.to_string()));
        if let Some(hint) = error.hint() {
            diag = diag.with_hint(hint);
        }
        Report::error(diag)
    }
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}

/// The largest file `file()` and the other file functions read: a path
/// that names a disk image or a device by mistake must not fill memory.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Reads `file()` arguments from disk, relative to the stack directory:
/// regular files of at most [`MAX_FILE_BYTES`] only (`/dev/zero` never
/// ends).
pub struct DiskFiles;

impl FileReader for DiskFiles {
    fn read_to_string(&self, path: &Path) -> std::io::Result<String> {
        String::from_utf8(self.read_bytes(path)?)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
    }

    fn read_bytes(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        use std::io::Read;
        let metadata = std::fs::metadata(path)?;
        if !metadata.is_file() {
            return Err(std::io::Error::other(
                "it is not a regular file (the file functions read regular files only)",
            ));
        }
        let too_big = || {
            std::io::Error::other(format!(
                "it is larger than {} MiB, the most the file functions read",
                MAX_FILE_BYTES / (1024 * 1024)
            ))
        };
        if metadata.len() > MAX_FILE_BYTES {
            return Err(too_big());
        }
        let mut bytes = Vec::new();
        std::fs::File::open(path)?
            .take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(too_big());
        }
        Ok(bytes)
    }

    fn list_files(&self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        /// Enough for any stack's own files; a pattern over `/` must not
        /// walk the whole disk.
        const MAX_FILES: usize = 100_000;
        let mut files = Vec::new();
        let mut pending = vec![PathBuf::new()];
        while let Some(relative) = pending.pop() {
            for entry in std::fs::read_dir(dir.join(&relative))? {
                let entry = entry?;
                let path = relative.join(entry.file_name());
                let kind = entry.file_type()?;
                if kind.is_dir() {
                    pending.push(path);
                } else if kind.is_file() || (kind.is_symlink() && entry.path().is_file()) {
                    files.push(path);
                    if files.len() > MAX_FILES {
                        return Err(std::io::Error::other(format!(
                            "more than {MAX_FILES} files under {}",
                            dir.display()
                        )));
                    }
                }
            }
        }
        Ok(files)
    }

    fn home_dir(&self) -> Option<PathBuf> {
        std::env::home_dir()
    }
}

/// The clock, in whole seconds since the Unix epoch, for `timestamp()` and
/// `plantimestamp()`.
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// What the command line says about the stack.
#[derive(Clone, Debug, Default)]
pub struct StackOptions {
    pub dir: PathBuf,
    pub vars: Vec<String>,
    pub var_files: Vec<PathBuf>,
    /// `--state PATH`, overriding the backend.
    pub state_path: Option<PathBuf>,
    /// `--lock` and `--lock-timeout`.
    pub lock: LockOptions,
    /// Only check the stack (`terrane validate`): variables without a value
    /// are unknown rather than an error, as in `terraform validate`.
    pub validate_only: bool,
    /// Variable values a saved plan recorded, used unless given again.
    pub saved_variables: BTreeMap<String, Value>,
    /// `plan --generate-config-out`: import blocks may name instances the
    /// configuration does not declare yet.
    pub generating_config: bool,
    /// `--max-instances`: how many instances one `count` / `for_each` may
    /// make (default `lang::config::DEFAULT_MAX_INSTANCES`).
    pub max_instances: Option<usize>,
    /// `--policy-fail-on`, over the policy file's `fail_on`.
    pub policy_fail_on: Option<crate::policy::Severity>,
}

/// A loaded, validated stack, ready to plan.
pub struct Stack {
    pub config: Config,
    pub graph: Graph,
    pub variables: BTreeMap<String, Value>,
    /// Each provider configuration by name: `aws` (configured by a block or
    /// not) and one per alias.
    pub providers: BTreeMap<String, ProviderConfig>,
    /// Warnings found while loading; errors stop loading.
    pub warnings: Diagnostics,
    /// The policy file's settings (with `--policy-fail-on` applied).
    pub policy: crate::policy::PolicyConfig,
    /// What the policy rules find in the offline plan that loading makes
    /// (values from AWS unknown); only when validating, since a plan
    /// judges its own values.
    pub findings: Vec<crate::policy::Finding>,
}

impl Stack {
    /// The stack's name: its directory's name, used for the default state
    /// path and the `terrane:stack` tag.
    pub fn name(&self) -> String {
        stack_name(&self.config.dir)
    }

    /// AWS clients for each of the stack's provider configurations, each
    /// checked against its allowed and forbidden accounts before anything
    /// is read or changed with it.
    pub async fn aws_providers(&self) -> Result<Providers, Report> {
        let rate_limits = match std::env::var("TERRANE_RATE_LIMITS") {
            Ok(text) => Limiting::parse(&text).map_err(|e| {
                Report::error(Diagnostic::error(e).with_hint(
                    "`off` turns client-side rate limiting off; 0.5 halves every limit, 2 doubles them",
                ))
            })?,
            Err(_) => Limiting::default(),
        };
        let mut providers = Providers::default();
        for (name, provider) in &self.providers {
            let aws = AwsContext::load(AwsSettings {
                region: provider.region.clone(),
                endpoints: provider.endpoints.clone(),
                default_tags: provider.default_tags.clone(),
                stack: self.name(),
                credentials: provider.credentials.clone(),
                ignore_tags: provider.ignore_tags.clone(),
                max_retries: provider.max_retries,
                rate_limits,
                working_dir: self.config.dir.clone(),
            })
            .await;
            check_region(name, provider, &aws)?;
            check_account(name, provider, &aws).await?;
            providers.0.insert(name.clone(), Arc::new(aws));
        }
        Ok(providers)
    }
}

/// Refuses a region from the environment or a profile that is not an AWS
/// region (one the provider block writes is checked where it is written),
/// and says when there is none at all.
fn check_region(name: &str, provider: &ProviderConfig, aws: &AwsContext) -> Result<(), Report> {
    if provider.region.is_some() || provider.skip_region_validation {
        return Ok(());
    }
    match aws.region() {
        None => Err(Report::error(
            Diagnostic::error(format!("No AWS region is set for the {name} provider"))
                .with_hint("set `region` in the provider block, or AWS_REGION in the environment"),
        )),
        Some(region) if !crate::provider::aws::regions::is_known_region(region) => {
            Err(Report::error(
                Diagnostic::error(format!(
                    "{region:?} (from AWS_REGION or the profile) is not an AWS region"
                ))
                .with_hint(crate::provider::aws::regions::unknown_region_hint(region)),
            ))
        }
        Some(_) => Ok(()),
    }
}

/// Refuses credentials for an account the provider block excludes
/// (`allowed_account_ids`, `forbidden_account_ids`), as Terraform does
/// before planning.
async fn check_account(
    name: &str,
    provider: &ProviderConfig,
    aws: &AwsContext,
) -> Result<(), Report> {
    if provider.allowed_account_ids.is_empty() && provider.forbidden_account_ids.is_empty() {
        return Ok(());
    }
    let account = aws.account_id().await.map_err(|e| {
        Report::error(
            Diagnostic::error(format!(
                "Cannot check which account the {name} provider's credentials belong to: {e}"
            ))
            .with_hint("allowed_account_ids and forbidden_account_ids need STS GetCallerIdentity"),
        )
    })?;
    let allowed = &provider.allowed_account_ids;
    let refusal = if !allowed.is_empty() && !allowed.contains(&account) {
        Some(format!(
            "allowed_account_ids ({}) does not list it",
            allowed.join(", ")
        ))
    } else if provider.forbidden_account_ids.contains(&account) {
        Some("forbidden_account_ids lists it".to_string())
    } else {
        None
    };
    match refusal {
        None => Ok(()),
        Some(reason) => Err(Report::error(
            Diagnostic::error(format!(
                "The {name} provider's credentials are for account {account}, and {reason}"
            ))
            .with_detail("nothing was read or changed")
            .with_hint("use credentials for the intended account (AWS_PROFILE, or the provider block's profile or assume_role)"),
        )),
    }
}

pub fn stack_name(dir: &Path) -> String {
    std::fs::canonicalize(dir)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "stack".into())
}

/// Reads the `.tf` files of a directory, sorted by name.
fn read_stack_files(dir: &Path) -> Result<Vec<(PathBuf, String)>, Report> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        Report::error(
            Diagnostic::error(format!(
                "Cannot read stack directory {}: {e}",
                dir.display()
            ))
            .with_hint("pass the directory holding the stack's .tf files"),
        )
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|ext| ext == "tf") && p.is_file())
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(Report::error(
            Diagnostic::error(format!("No .tf files in {}", dir.display()))
                .with_hint("a stack is a directory of .tf files"),
        ));
    }
    paths
        .into_iter()
        .map(|path| match std::fs::read_to_string(&path) {
            Ok(text) => Ok((path, text)),
            Err(e) => Err(Report::error(Diagnostic::error(format!(
                "Cannot read {}: {e}",
                path.display()
            )))),
        })
        .collect()
}

/// The variables files Terraform reads without being asked, in its order:
/// `terraform.tfvars`, then every `*.auto.tfvars` by name.
fn auto_var_files(dir: &Path) -> Vec<PathBuf> {
    let mut auto: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.is_file()
                        && p.file_name()
                            .is_some_and(|n| n.to_string_lossy().ends_with(".auto.tfvars"))
                })
                .collect()
        })
        .unwrap_or_default();
    auto.sort();
    let main = dir.join("terraform.tfvars");
    main.is_file()
        .then_some(main)
        .into_iter()
        .chain(auto)
        .collect()
}

/// Loads, validates and evaluates what can be evaluated without AWS:
/// syntax, schema, references, cycles, variables and the provider block.
pub fn load(options: &StackOptions) -> Result<Stack, Report> {
    let files = read_stack_files(&options.dir)?;
    let (mut config, mut diags) = lang::load(options.dir.clone(), files);
    config.workspace = workspace::current(&options.dir)?;
    if let Some(limit) = options.max_instances {
        config.max_instances = limit;
    }
    diags.extend(lang::modules::resolve_root_providers(&mut config));
    let (mut policy_config, policy_diags) = policy::read(&options.dir, &mut config.sources);
    diags.extend(policy_diags);
    if let Some(fail_on) = options.policy_fail_on {
        policy_config.fail_on = fail_on;
    }

    let mut inputs: Vec<VarInput> = std::env::vars()
        .filter_map(|(k, v)| {
            k.strip_prefix("TF_VAR_").map(|name| VarInput::Env {
                name: name.to_string(),
                value: v,
            })
        })
        .collect();
    let var_files = auto_var_files(&options.dir)
        .into_iter()
        .chain(options.var_files.iter().cloned());
    for path in var_files {
        match std::fs::read_to_string(&path) {
            Ok(text) => inputs.push(VarInput::File { path, text }),
            Err(e) => diags.push(Diagnostic::error(format!(
                "Cannot read variables file {}: {e}",
                path.display()
            ))),
        }
    }
    inputs.extend(options.vars.iter().cloned().map(VarInput::Flag));
    inputs.extend(
        options
            .saved_variables
            .iter()
            .map(|(name, value)| VarInput::Saved {
                name: name.clone(),
                value: value.clone(),
            }),
    );
    let unset = if options.validate_only {
        Unset::Unknown
    } else {
        Unset::Required
    };
    let (variables, var_diags) = lang::variables::resolve(&mut config, &inputs, &DiskFiles, unset);
    diags.extend(var_diags);
    diags.extend(modules::expand(
        &mut config,
        &variables,
        options.validate_only,
    ));
    diags.extend(lang::modules::check_removed(&config));
    if !options.generating_config {
        diags.extend(lang::modules::check_imports(&config));
    }

    let (graph, graph_diags) = graph::build(&config);
    diags.extend(graph_diags);

    let mut findings = Vec::new();
    let mut providers = BTreeMap::from([("aws".to_string(), ProviderConfig::default())]);
    if !diags.has_errors() {
        // Provider blocks may use variables, and locals that don't depend
        // on resources (those that do simply stay unset here).
        let mut evaluator = BlockEvaluator::new(&config, &DiskFiles, variables.clone());
        for node in &graph.order {
            match *node {
                Node::Resource(i) => evaluator.set_resource_unknown(i),
                other => {
                    let _ = crate::plan::eval_value(&mut evaluator, other);
                }
            }
        }
        for provider in &config.providers {
            let (evaluated, provider_diags) = lang::provider_config::evaluate(
                &config,
                provider,
                evaluator.scope(),
                &DiskFiles,
                unset,
            );
            providers.insert(provider.name(), evaluated);
            diags.extend(provider_diags);
        }
    }
    if !diags.has_errors() {
        // Evaluate every block offline, with data sources and resource
        // attributes unknown, to catch type and function errors before AWS
        // is involved.
        let empty = State::new();
        let (offline, check_diags) = crate::plan::plan(PlanRequest {
            config: &config,
            graph: &graph,
            variables: variables.clone(),
            data: BTreeMap::new(),
            prior: &empty,
            default_tags: providers
                .iter()
                .map(|(name, p)| (name.clone(), p.default_tags.clone()))
                .collect(),
            files: &DiskFiles,
            destroy: false,
            validate_only: true,
            targeting: Default::default(),
            timestamp: None,
        });
        diags.extend(check_diags);
        // `validate`'s findings; a plan judges its own values instead.
        if options.validate_only {
            findings = crate::policy::check(&config, &offline.resource_changes, &policy_config);
        }
    }

    // Each instance of a module repeats its blocks' problems at the same
    // place; say each once.
    let mut seen = std::collections::HashSet::new();
    diags.0.retain(|d| {
        seen.insert((
            d.is_error(),
            d.summary.clone(),
            d.detail.clone(),
            d.span.as_ref().map(|s| (s.file, s.range.clone())),
        ))
    });
    let (errors, warnings): (Vec<Diagnostic>, Vec<Diagnostic>) =
        diags.0.into_iter().partition(Diagnostic::is_error);
    if !errors.is_empty() {
        return Err(Report {
            sources: config.sources,
            diags: Diagnostics(errors.into_iter().chain(warnings).collect()),
        });
    }
    Ok(Stack {
        config,
        graph,
        variables,
        providers,
        warnings: Diagnostics(warnings),
        policy: policy_config,
        findings,
    })
}

/// What an operation tells the person running it while it works, and asks
/// them. `cli` implements it; operations call it at the moment something is
/// known, so warnings appear before a long wait, not after it.
#[async_trait::async_trait]
pub trait Ui: Sync {
    /// Warnings (or notes) about the stack, its backend or the run.
    fn warnings(&self, sources: &Sources, diags: &Diagnostics);
    /// The plan that apply or destroy is about to carry out.
    fn plan(&self, plan: &Plan);
    /// Asks whether to carry out the plan just shown; false cancels.
    async fn confirm(&self, destroy: bool) -> bool;
    /// Progress of apply and destroy.
    fn event(&self, event: &Event<'_>);
}

/// Loads the stack and opens its backend, reporting warnings about both.
async fn open_stack(
    options: &StackOptions,
    ui: &dyn Ui,
) -> Result<(Stack, Arc<dyn Backend>), Report> {
    let stack = load(options)?;
    ui.warnings(&stack.config.sources, &stack.warnings);
    let opened = open_backend(&stack.config, options.state_path.as_deref()).await?;
    ui.warnings(&stack.config.sources, &opened.warnings);
    Ok((stack, opened.backend))
}

/// Runs `work` holding the state lock; lock warnings go to `ui` first.
async fn locked<T>(
    backend: &Arc<dyn Backend>,
    operation: &str,
    options: &StackOptions,
    interrupt: watch::Receiver<bool>,
    ui: &dyn Ui,
    stack: &Stack,
    work: impl std::future::Future<Output = Result<T, Report>>,
) -> Result<T, Report> {
    with_lock(
        backend,
        operation,
        &options.lock,
        Some(interrupt),
        |warnings| ui.warnings(&stack.config.sources, &warnings),
        work,
    )
    .await
}

/// The stored state, or an empty one before the first apply.
async fn read_state(backend: &dyn Backend) -> Result<State, Report> {
    Ok(backend
        .read()
        .await
        .map_err(Report::state)?
        .unwrap_or_default())
}

/// Runs `work` unless Ctrl-C comes first.
async fn until_interrupted<T>(
    work: impl std::future::Future<Output = Result<T, Report>>,
    mut interrupt: watch::Receiver<bool>,
) -> Result<T, Report> {
    let interrupted = || {
        Report::error(
            Diagnostic::error("Interrupted")
                .with_detail("nothing was changed; the state lock was released"),
        )
    };
    if *interrupt.borrow() {
        return Err(interrupted());
    }
    tokio::select! {
        result = work => result,
        _ = interrupt.wait_for(|&on| on) => Err(interrupted()),
    }
}
