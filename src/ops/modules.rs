//! Finding, reading and expanding the modules a stack calls.
//!
//! A module's source is found in one of two places: a local path
//! (`./modules/network`), relative to the module that calls it; or, for
//! registry and git sources, the directory `terrane init` (`module_install`)
//! or `terraform init` installed it into, as
//! `.terraform/modules/modules.json` records.
//! Calls are expanded round by round: each round walks the graph with what
//! is known before any AWS call (variables and locals; resources and data
//! sources unknown), evaluates the `count` / `for_each` of the calls not yet
//! expanded, and joins one copy of the module per instance (through
//! `lang::modules`), whose own calls the next round expands.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

use super::module_install::read_manifest;
use super::{DiskFiles, read_stack_files};
use crate::addr::InstanceKey;
use crate::diag::{Diagnostic, Diagnostics};
use crate::graph::{self, Node};
use crate::lang::block_eval::BlockEvaluator;
use crate::lang::modules::{self, CallInstance, MAX_DEPTH};
use crate::lang::{self, Config};
use crate::value::Value;

/// Where `terraform init` records the modules it installed.
pub const MODULES_MANIFEST: &str = ".terraform/modules/modules.json";

/// Reads each module directory once.
struct ModuleReader {
    root: PathBuf,
    /// The installed modules by key (`network`, `eks.node_group`), when
    /// the manifest exists.
    installed: Option<BTreeMap<String, PathBuf>>,
    /// Parsed modules by directory.
    parsed: HashMap<PathBuf, Rc<Config>>,
}

impl ModuleReader {
    fn new(root: &Path) -> ModuleReader {
        let installed = read_manifest(root).map(|manifest| {
            manifest
                .modules
                .into_iter()
                .map(|entry| (entry.key, normalize(&root.join(entry.dir))))
                .collect()
        });
        ModuleReader {
            root: root.to_path_buf(),
            installed,
            parsed: HashMap::new(),
        }
    }

    /// The directory a call's module is in.
    fn locate(&self, config: &Config, call: usize) -> Result<PathBuf, Diagnostic> {
        let call = &config.calls[call];
        let caller = &config.modules[call.module];
        if is_local_source(&call.source) {
            return Ok(normalize(&caller.dir.join(&call.source)));
        }
        let key: Vec<&str> = caller
            .path
            .0
            .iter()
            .map(|(name, _)| name.as_str())
            .chain([call.name.as_str()])
            .collect();
        let key = key.join(".");
        match self.installed.as_ref().and_then(|m| m.get(&key)) {
            Some(dir) => Ok(dir.clone()),
            None => Err(Diagnostic::error(format!(
                "Module {:?} is not installed",
                call.name
            ))
            .with_span(Some(call.span.clone()))
            .with_detail(format!(
                "its source {:?} is not a local path, and {} does not list it",
                call.source,
                self.root.join(MODULES_MANIFEST).display()
            ))
            .with_hint("run `terrane init` (or `terraform init`) on the stack directory to install it")),
        }
    }

    /// The module a call calls, parsed once per directory. Its own problems
    /// (syntax, schema) are reported the first time it is read.
    fn read(
        &mut self,
        config: &mut Config,
        call: usize,
        diags: &mut Diagnostics,
    ) -> Result<Rc<Config>, Diagnostic> {
        let dir = self.locate(config, call)?;
        if let Some(module) = self.parsed.get(&dir) {
            return Ok(module.clone());
        }
        let call_block = &config.calls[call];
        let cannot_read = |detail: String| {
            Diagnostic::error(format!("Cannot read module {:?}", call_block.name))
                .with_span(Some(call_block.span.clone()))
                .with_detail(detail)
        };
        if !dir.is_dir() {
            return Err(cannot_read(format!(
                "its source {:?} is {}, which is not a directory",
                call_block.source,
                dir.display()
            ))
            .with_hint(
                "a local source is a path relative to the directory of the module that calls it",
            ));
        }
        let files = read_stack_files(&dir).map_err(|report| {
            let first = report.diags.0.into_iter().next();
            cannot_read(first.map_or_else(String::new, |d| d.summary))
        })?;
        let (module, module_diags) =
            lang::load::load_module(&mut config.sources, dir.clone(), files, false);
        diags.extend(module_diags);
        let module = Rc::new(module);
        self.parsed.insert(dir, module.clone());
        Ok(module)
    }
}

/// `./x` and `../x` are local paths; everything else is installed by init.
pub fn is_local_source(source: &str) -> bool {
    source.starts_with("./") || source.starts_with("../")
}

/// `a/./b/../c` as `a/c`, so one module read through two paths is read once
/// and messages show a clean path.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir
                if out
                    .components()
                    .next_back()
                    .is_some_and(|c| matches!(c, Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Expands every module call in `config`, joining the modules' blocks.
/// With `validate_only`, a call whose `count` / `for_each` is not known yet
/// gets one placeholder instance, checked but seen as unknown.
pub fn expand(
    config: &mut Config,
    variables: &BTreeMap<String, Value>,
    validate_only: bool,
) -> Diagnostics {
    let mut diags = Diagnostics::default();
    let mut reader = ModuleReader::new(&config.dir);
    let mut failed: BTreeSet<usize> = BTreeSet::new();
    loop {
        let pending: Vec<usize> = (0..config.calls.len())
            .filter(|c| config.calls[*c].instances.is_none() && !failed.contains(c))
            .collect();
        if pending.is_empty() {
            break;
        }
        let mut expansions = repetitions(config, variables, &pending, validate_only);
        for call in pending {
            let depth = config.modules[config.calls[call].module].path.0.len();
            if depth >= MAX_DEPTH {
                diags.push(
                    Diagnostic::error(format!(
                        "Modules nest more than {MAX_DEPTH} deep at module {:?}",
                        config.calls[call].name
                    ))
                    .with_span(Some(config.calls[call].span.clone()))
                    .with_hint("a module calls itself, directly or through others"),
                );
                failed.insert(call);
                continue;
            }
            let module = match reader.read(config, call, &mut diags) {
                Ok(module) => module,
                Err(diag) => {
                    diags.push(diag);
                    failed.insert(call);
                    continue;
                }
            };
            diags.extend(modules::check_call(config, call, &module));
            let instances = match expansions.remove(&call) {
                Some(Ok(instances)) => instances,
                Some(Err(diag)) => {
                    diags.push(diag);
                    failed.insert(call);
                    continue;
                }
                // The graph has a cycle, reported once it is built for good.
                None => {
                    failed.insert(call);
                    continue;
                }
            };
            let repeated =
                config.calls[call].count.is_some() || config.calls[call].for_each.is_some();
            config.calls[call].instances = Some(Vec::new());
            for instance in instances {
                let placeholder = repeated && instance.key == InstanceKey::None;
                let (_, provider_diags) = modules::add_instance(
                    config,
                    call,
                    &module,
                    CallInstance {
                        key: instance.key,
                        count_index: instance.count_index,
                        each: instance.each,
                        placeholder,
                    },
                );
                diags.extend(provider_diags);
            }
        }
    }
    diags
}

/// Evaluates the `count` / `for_each` of each pending call, walking the
/// graph with what is known before any AWS call.
fn repetitions(
    config: &Config,
    variables: &BTreeMap<String, Value>,
    pending: &[usize],
    validate_only: bool,
) -> BTreeMap<usize, Result<Vec<lang::block_eval::Instance>, Diagnostic>> {
    let (graph, _) = graph::build(config);
    let mut evaluator = BlockEvaluator::new(config, &DiskFiles, variables.clone());
    let mut out = BTreeMap::new();
    for &node in &graph.order {
        match node {
            Node::Resource(i) => evaluator.set_resource_unknown(i),
            Node::Call(call) if pending.contains(&call) => {
                let expanded = evaluator.expand_call(call, validate_only).map_err(|diag| {
                    if diag.detail.as_deref().is_some_and(|d| d.contains("known only after apply")) {
                        diag.with_hint("a module's count and for_each may use variables and locals, not resources or data sources: modules are expanded before anything is read from AWS")
                    } else {
                        diag
                    }
                });
                out.insert(call, expanded);
                evaluator.publish_call(call); // unknown until expanded
            }
            other => {
                // Problems here are reported when the whole stack is checked.
                let _ = crate::plan::eval_value(&mut evaluator, other);
            }
        }
    }
    out
}
