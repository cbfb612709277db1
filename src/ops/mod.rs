//! Operations: the sequences each command runs, joining the pure modules
//! (`lang`, `graph`, `plan`) with the ones that do I/O (`state`, `provider`).
//!
//! Like cargo's `ops`, commands stay thin and all sequencing lives here. This
//! module reads stack files and the environment, and calls AWS and state
//! backends; it never prints — results and diagnostics go back to `cli`.

mod backend;
mod migrate;
mod refresh;
pub mod state_cmds;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::diag::{Diagnostic, Diagnostics, Sources};
use crate::graph::{self, Graph, Node};
use crate::lang::eval::FileReader;
use crate::lang::evaluator::Evaluator;
use crate::lang::provider_config::ProviderConfig;
use crate::lang::variables::VarInput;
use crate::lang::{self, Config, Mode};
use crate::plan::{self, Plan, PlanRequest};
use crate::provider::{self, AwsContext, AwsSettings};
use crate::state::{State, StateError};
use crate::value::Value;

pub use backend::{
    BackendChoice, LockOptions, Locked, OpenedBackend, choose_backend, load_backend_config,
    open_backend, open_choice, with_lock,
};
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

/// Reads `file()` arguments from disk, relative to the stack directory.
pub struct DiskFiles;

impl FileReader for DiskFiles {
    fn read_to_string(&self, path: &Path) -> std::io::Result<String> {
        std::fs::read_to_string(path)
    }
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
}

/// A loaded, validated stack, ready to plan.
pub struct Stack {
    pub config: Config,
    pub graph: Graph,
    pub variables: BTreeMap<String, Value>,
    pub provider: ProviderConfig,
    /// Warnings found while loading; errors stop loading.
    pub warnings: Diagnostics,
}

impl Stack {
    /// The stack's name: its directory's name, used for the default state
    /// path and the `terrane:stack` tag.
    pub fn name(&self) -> String {
        stack_name(&self.config.dir)
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

/// Loads, validates and evaluates what can be evaluated without AWS:
/// syntax, schema, references, cycles, variables and the provider block.
pub fn load(options: &StackOptions) -> Result<Stack, Report> {
    let files = read_stack_files(&options.dir)?;
    let (mut config, mut diags) = lang::load(options.dir.clone(), files);
    let (graph, graph_diags) = graph::build(&config);
    diags.extend(graph_diags);

    let mut inputs: Vec<VarInput> = std::env::vars()
        .filter_map(|(k, v)| {
            k.strip_prefix("TF_VAR_").map(|name| VarInput::Env {
                name: name.to_string(),
                value: v,
            })
        })
        .collect();
    let auto_vars = options.dir.join("terraform.tfvars");
    let var_files = auto_vars
        .is_file()
        .then_some(auto_vars)
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
    let (variables, var_diags) = lang::variables::resolve(&mut config, &inputs, &DiskFiles);
    diags.extend(var_diags);

    let mut provider = ProviderConfig::default();
    if !diags.has_errors() {
        // The provider block may use variables, and locals that don't depend
        // on resources (those that do simply stay unset here).
        let mut evaluator = Evaluator::new(&config, &DiskFiles, variables.clone());
        for node in &graph.order {
            match *node {
                Node::Local(i) => {
                    let _ = evaluator.eval_local(i);
                }
                Node::Resource(i) => evaluator.set_resource_unknown(i),
                _ => {}
            }
        }
        let (evaluated, provider_diags) =
            lang::provider_config::evaluate(&config, evaluator.scope(), &DiskFiles);
        provider = evaluated;
        diags.extend(provider_diags);
    }
    if !diags.has_errors() {
        // Evaluate every block offline, with data sources and resource
        // attributes unknown, to catch type and function errors before AWS
        // is involved.
        let empty = State::new();
        let (_, check_diags) = plan::plan(PlanRequest {
            config: &config,
            graph: &graph,
            variables: variables.clone(),
            data: BTreeMap::new(),
            prior: &empty,
            default_tags: provider.default_tags.clone(),
            files: &DiskFiles,
            destroy: false,
            validate_only: true,
        });
        diags.extend(check_diags);
    }

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
        provider,
        warnings: Diagnostics(warnings),
    })
}

pub async fn aws_context(stack: &Stack) -> AwsContext {
    AwsContext::load(AwsSettings {
        region: stack.provider.region.clone(),
        endpoints: stack.provider.endpoints.clone(),
        default_tags: stack.provider.default_tags.clone(),
        stack: stack.name(),
    })
    .await
}

/// The result of planning: the plan and what it was made from.
pub struct Planned {
    pub plan: Plan,
    /// The prior state, refreshed from AWS.
    pub state: State,
    pub data: BTreeMap<usize, Value>,
    /// Notes about the refresh (objects deleted outside terrane, interrupted
    /// creates) and plan warnings.
    pub warnings: Diagnostics,
}

/// Refreshes state, reads data sources and plans.
pub async fn plan(
    stack: &Stack,
    aws: &AwsContext,
    prior: State,
    destroy: bool,
) -> Result<Planned, Report> {
    let (state, mut warnings) = refresh(aws, prior).await.map_err(Report::error)?;
    let data = read_data_sources(stack, aws).await?;
    let (plan, diags) = plan::plan(PlanRequest {
        config: &stack.config,
        graph: &stack.graph,
        variables: stack.variables.clone(),
        data: data.clone(),
        prior: &state,
        default_tags: stack.provider.default_tags.clone(),
        files: &DiskFiles,
        destroy,
        validate_only: false,
    });
    if diags.has_errors() {
        return Err(Report {
            sources: stack.config.sources.clone(),
            diags,
        });
    }
    warnings.extend(diags);
    Ok(Planned {
        plan,
        state,
        data,
        warnings,
    })
}

/// Reads every data source, walking the graph so that locals they use are
/// evaluated first. Data sources that depend on managed resources are not
/// supported yet.
async fn read_data_sources(
    stack: &Stack,
    aws: &AwsContext,
) -> Result<BTreeMap<usize, Value>, Report> {
    let config = &stack.config;
    let mut evaluator = Evaluator::new(config, &DiskFiles, stack.variables.clone());
    let mut data = BTreeMap::new();
    let mut diags = Diagnostics::default();
    for node in &stack.graph.order {
        match *node {
            Node::Local(i) => {
                let _ = evaluator.eval_local(i);
            }
            Node::Resource(i) if config.resources[i].mode == Mode::Managed => {
                evaluator.set_resource_unknown(i);
            }
            Node::Resource(i) => {
                let resource = &config.resources[i];
                let Some(source) = provider::data_source_type(&resource.type_name) else {
                    continue;
                };
                let Some(instance) = evaluator.expand(i).ok().and_then(|mut all| all.pop()) else {
                    continue;
                };
                let args = match evaluator.eval_instance(i, &instance, source.schema()) {
                    Ok(args) => args,
                    Err(errors) => {
                        diags.extend(errors);
                        continue;
                    }
                };
                if args.values().any(|v| !v.is_wholly_known())
                    || resource.count.is_some()
                    || resource.for_each.is_some()
                {
                    diags.push(
                        Diagnostic::error(format!(
                            "{} depends on values known only after apply, or uses count/for_each",
                            resource.address()
                        ))
                        .with_span(Some(resource.span.clone()))
                        .with_hint(
                            "data sources may use variables, locals and other data sources only",
                        ),
                    );
                    continue;
                }
                match source.read(aws, &args).await {
                    Ok(value) => {
                        let value = Value::Map(value);
                        evaluator.set_instance(i, crate::addr::InstanceKey::None, value.clone());
                        data.insert(i, value);
                    }
                    Err(e) => diags.push(
                        Diagnostic::error(format!("Reading {} failed: {e}", resource.address()))
                            .with_span(Some(resource.span.clone())),
                    ),
                }
            }
            _ => {}
        }
    }
    if diags.has_errors() {
        return Err(Report {
            sources: config.sources.clone(),
            diags,
        });
    }
    Ok(data)
}
