//! Modules: joining called modules' blocks to the stack's configuration.
//!
//! A `module` block's instances are known once its `count` / `for_each` is
//! evaluated (by `ops`, walking the graph with what is known before any
//! AWS call). Each instance then gets a copy of the module's blocks, tagged
//! with the instance, its address prefix and the provider configurations
//! its caller passes it. This module checks what a call says against the
//! module it calls: inputs the module does not declare, required inputs
//! missing, provider configurations not passed. Pure: the module's files
//! are read by the caller.

use std::collections::BTreeMap;

use super::config::*;
use crate::addr::{InstanceAddr, InstanceKey, ModulePath};
use crate::diag::{Diagnostic, Diagnostics, did_you_mean};
use crate::value::Value;

/// How deep modules may call modules, so a module that calls itself is
/// reported instead of expanded forever.
pub const MAX_DEPTH: usize = 32;

/// One instance to create for a call: its key and what `count.index` /
/// `each` are inside the call's arguments.
pub struct CallInstance {
    pub key: InstanceKey,
    pub count_index: Option<Value>,
    pub each: Option<(Value, Value)>,
    /// Stands for instances not known yet (validate only).
    pub placeholder: bool,
}

/// Sets up the root module's provider names: `aws` always (the default
/// configuration, written or not) and one per alias. Then checks that every
/// root resource names one that exists.
pub fn resolve_root_providers(config: &mut Config) -> Diagnostics {
    let mut names = BTreeMap::from([("aws".to_string(), "aws".to_string())]);
    for provider in &config.providers {
        names.insert(provider.name(), provider.name());
    }
    config.modules[ROOT].providers = names;
    resolve_resource_providers(config, ROOT, 0)
}

/// Checks a call against the module it calls (parsed on its own, as
/// `module`), before any instance is made.
pub fn check_call(config: &Config, call: usize, module: &Config) -> Diagnostics {
    let mut diags = Diagnostics::default();
    let call = &config.calls[call];
    let declared: Vec<&str> = module.variables.iter().map(|v| v.name.as_str()).collect();
    for (name, expr) in &call.inputs {
        if !declared.contains(&name.as_str()) {
            let mut diag = Diagnostic::error(format!(
                "Unsupported argument {name:?} in module {:?}",
                call.name
            ))
            .with_span(expr.span())
            .with_detail(format!(
                "the module at {:?} declares no variable {name:?}",
                call.source
            ));
            if let Some(close) = did_you_mean(name, &declared) {
                diag = diag.with_hint(format!("did you mean {close:?}?"));
            }
            diags.push(diag);
        }
    }
    for variable in &module.variables {
        let given = call.inputs.iter().any(|(name, _)| name == &variable.name);
        if !given && variable.default.is_none() {
            diags.push(
                Diagnostic::error(format!(
                    "Missing required argument {:?} for module {:?}",
                    variable.name, call.name
                ))
                .with_span(Some(call.span.clone()))
                .with_detail(format!(
                    "the module's variable {:?} has no default",
                    variable.name
                ))
                .with_hint(format!("add `{} = ...` to the module block", variable.name)),
            );
        }
    }
    let caller = &config.modules[call.module];
    for (child, parent, span) in &call.providers {
        if !caller.providers.contains_key(parent) {
            diags.push(
                Diagnostic::error(format!("Provider configuration {parent} is not declared"))
                    .with_span(Some(span.clone()))
                    .with_hint(declare_hint(parent, call.module == ROOT)),
            );
        }
        if child != "aws" && !child.starts_with("aws.") {
            diags.push(
                Diagnostic::error(format!("Unsupported provider {child:?} in `providers`"))
                    .with_span(Some(span.clone())),
            );
        }
    }
    diags
}

/// Adds one instance of `call`, copying `module`'s blocks into `config`.
/// Returns the new instance's index and problems with its provider names.
pub fn add_instance(
    config: &mut Config,
    call_index: usize,
    module: &Config,
    instance: CallInstance,
) -> (usize, Diagnostics) {
    let call = &config.calls[call_index];
    let caller = &config.modules[call.module];
    let mut providers = BTreeMap::new();
    // The default configuration passes down unless the call maps it.
    if let Some(default) = caller.providers.get("aws") {
        providers.insert("aws".to_string(), default.clone());
    }
    for (child, parent, _) in &call.providers {
        if let Some(root_name) = caller.providers.get(parent) {
            providers.insert(child.clone(), root_name.clone());
        }
    }
    let id = config.modules.len();
    let path = caller.path.child(&call.name, instance.key);
    config.modules.push(ModuleInstance {
        path: path.clone(),
        dir: module.dir.clone(),
        call: Some(call_index),
        count_index: instance.count_index,
        each: instance.each,
        placeholder: instance.placeholder,
        providers,
    });
    config.calls[call_index]
        .instances
        .get_or_insert_with(Vec::new)
        .push(id);

    // Each copied block belongs to the new instance.
    macro_rules! copy_into_instance {
        ($($kind:ident),*) => {$(
            config.$kind.extend(module.$kind.iter().map(|block| {
                let mut block = block.clone();
                block.module = id;
                block
            }));
        )*};
    }
    copy_into_instance!(variables, locals, outputs, moved, removed, checks);
    config.calls.extend(module.calls.iter().map(|c| ModuleCall {
        module: id,
        instances: None,
        ..c.clone()
    }));
    let first_resource = config.resources.len();
    config
        .resources
        .extend(module.resources.iter().map(|r| Resource {
            module: id,
            module_path: path.clone(),
            ..r.clone()
        }));
    (id, resolve_resource_providers(config, id, first_resource))
}

/// Replaces each resource's provider name (from `first` on, all in module
/// instance `module`) with the root configuration it stands for.
fn resolve_resource_providers(config: &mut Config, module: usize, first: usize) -> Diagnostics {
    let mut diags = Diagnostics::default();
    let instance = &config.modules[module];
    for resource in &mut config.resources[first..] {
        // Built-in types (random, null, …) use no AWS configuration.
        if crate::provider::resource_type(&resource.type_name).is_some_and(|t| t.is_local()) {
            resource.provider = "aws".into();
            continue;
        }
        match instance.providers.get(&resource.provider) {
            Some(root_name) => resource.provider = root_name.clone(),
            None => diags.push(
                Diagnostic::error(format!(
                    "Provider configuration {} is not {}",
                    resource.provider,
                    if module == ROOT {
                        "declared"
                    } else {
                        "passed to this module"
                    }
                ))
                .with_span(
                    resource
                        .provider_span
                        .clone()
                        .or(Some(resource.span.clone())),
                )
                .with_hint(declare_hint(&resource.provider, module == ROOT)),
            ),
        }
    }
    diags
}

/// An address written in module instance `module` (relative to it), made
/// absolute: `aws_vpc.main` in `module.net` is `module.net.aws_vpc.main`.
pub fn absolute_address(config: &Config, module: usize, relative: &str) -> String {
    let prefix = &config.modules[module].path;
    if prefix.is_root() {
        return relative.to_string();
    }
    if let Some(inner) = ModulePath::parse(relative) {
        let mut steps = prefix.0.clone();
        steps.extend(inner.0);
        return ModulePath(steps).to_string();
    }
    match InstanceAddr::parse(relative) {
        Some(addr) => {
            let mut steps = prefix.0.clone();
            steps.extend(addr.module.0.clone());
            addr.in_module(ModulePath(steps)).to_string()
        }
        None => relative.to_string(),
    }
}

/// Whether the configuration still declares what `address` names: a
/// resource (in any instance of a module step written without a key) or a
/// module instance.
fn declared(config: &Config, address: &str) -> bool {
    if let Some(module) = ModulePath::parse(address).filter(|m| !m.is_root()) {
        return config.modules.iter().any(|m| {
            !m.path.is_root() && m.path.0.len() == module.0.len() && m.path.is_within(&module)
        });
    }
    let Some(addr) = InstanceAddr::parse(address) else {
        return false;
    };
    config.resources.iter().any(|r| {
        r.mode == Mode::Managed
            && r.type_name == addr.type_name
            && r.name == addr.name
            && r.module_path.0.len() == addr.module.0.len()
            && r.module_path.is_within(&addr.module)
            // An instance key is the resource's own: declared if it repeats.
            && (addr.key == InstanceKey::None || r.count.is_some() || r.for_each.is_some())
    })
}

/// `removed` blocks must name what the configuration no longer has, and a
/// `moved` block's `from` must be gone too (its object now lives at `to`).
/// Each `import` block must name an instance the configuration declares:
/// an object imported without a block would be planned for deletion.
pub fn check_imports(config: &Config) -> Diagnostics {
    let mut diags = Diagnostics::default();
    for import in &config.imports {
        if !declared(config, &import.to) {
            diags.push(
                Diagnostic::error(format!("The import block's target {} has no resource block", import.to))
                    .with_span(Some(import.span.clone()))
                    .with_hint("write the block, or let `terrane plan --generate-config-out=FILE` write it from the object"),
            );
        }
    }
    diags
}

pub fn check_removed(config: &Config) -> Diagnostics {
    let mut diags = Diagnostics::default();
    for removed in &config.removed {
        let address = absolute_address(config, removed.module, &removed.from);
        if declared(config, &address) {
            diags.push(
                Diagnostic::error(format!("{address} is both removed and declared"))
                    .with_span(Some(removed.span.clone()))
                    .with_hint("delete its block from the configuration, or this removed block"),
            );
        }
    }
    for moved in &config.moved {
        let from = absolute_address(config, moved.module, &moved.from);
        let to = absolute_address(config, moved.module, &moved.to);
        // `from = aws_x.a, to = aws_x.a[0]` (adding count) keeps the block.
        let same_block = InstanceAddr::parse(&from)
            .zip(InstanceAddr::parse(&to))
            .is_some_and(|(f, t)| f.resource() == t.resource());
        let same_call = ModulePath::parse(&from)
            .zip(ModulePath::parse(&to))
            .is_some_and(|(f, t)| f.static_path() == t.static_path());
        if !same_block && !same_call && declared(config, &from) {
            diags.push(
                Diagnostic::error(format!("{from} is moved to {to} but still declared"))
                    .with_span(Some(moved.span.clone()))
                    .with_hint("delete or rename its block: the object it names now lives at the moved block's `to`"),
            );
        }
    }
    diags
}

fn declare_hint(name: &str, root: bool) -> String {
    let alias = name.strip_prefix("aws.").unwrap_or(name);
    if root {
        format!("declare it with `provider \"aws\" {{ alias = \"{alias}\" ... }}`")
    } else {
        format!("the calling module block must pass it: `providers = {{ {name} = aws.<alias> }}`")
    }
}
