//! Bringing existing objects under management: `terrane import ADDR ID`
//! (into state at once) and `import` blocks (planned, then recorded by
//! apply). An object is read back exactly as a refresh reads it, so the plan
//! that follows shows only real differences between it and the
//! configuration. docs/import.md gives each type's id format.

use std::collections::BTreeMap;

use tokio::sync::watch;

use super::{Report, StackOptions, Ui, locked, open_stack, read_state, refresh};
use crate::addr::InstanceAddr;
use crate::diag::Diagnostic;
use crate::lang::Config;
use crate::lang::eval::{EvalContext, eval};
use crate::provider;
use crate::state::{ResourceState, State};
use crate::value::{Attrs, Value};

use super::{DiskFiles, Stack};

/// What state holds for an object about to be read for import: its id and
/// the schema's defaults for what AWS does not report (`force_destroy`), as
/// Terraform's importers set them.
fn seed(
    config: &Config,
    graph: &crate::graph::Graph,
    address: &str,
    id: &str,
) -> Result<ResourceState, Diagnostic> {
    let addr = InstanceAddr::parse(address).ok_or_else(|| {
        Diagnostic::error(format!("{address:?} is not a resource instance address"))
            .with_hint("import into one instance, e.g. aws_vpc.main or aws_subnet.private[0]")
    })?;
    let resource_type = provider::resource_type(&addr.type_name).ok_or_else(|| {
        Diagnostic::error(format!(
            "terrane does not support {} resources",
            addr.type_name
        ))
    })?;
    if resource_type.is_local() {
        return Err(Diagnostic::error(format!(
            "{} objects live only in state and cannot be imported",
            addr.type_name
        )));
    }
    let block = config.resources.iter().enumerate().find(|(_, r)| {
        r.mode == crate::lang::Mode::Managed
            && r.type_name == addr.type_name
            && r.name == addr.name
            && r.module_path == addr.module
    });
    let attributes: Attrs = resource_type
        .schema()
        .attributes
        .iter()
        .filter_map(|a| Some((a.name.to_string(), a.default.clone()?)))
        .collect();
    Ok(ResourceState {
        address: address.to_string(),
        type_name: addr.type_name.clone(),
        id: id.to_string(),
        attributes,
        dependencies: block
            .map(|(index, _)| {
                graph.resource_deps[index]
                    .iter()
                    .map(|&d| config.resources[d].address())
                    .collect()
            })
            .unwrap_or_default(),
        provider: block.map_or_else(|| "aws".to_string(), |(_, r)| r.provider.clone()),
        sensitive_attributes: Vec::new(),
    })
}

/// Checks that every seeded object was found when state was read back
/// (the refresh drops what AWS does not have): a missing one is an error
/// naming its address and id.
pub(super) fn check_found(seeds: &[ResourceState], read: &State) -> Result<(), Report> {
    let mut missing = crate::diag::Diagnostics::default();
    for ResourceState {
        address,
        type_name,
        id,
        ..
    } in seeds
    {
        if read.resource(address).is_none() {
            missing.push(
                Diagnostic::error(format!("Cannot import {address}: AWS has no {type_name} with id {id:?}"))
                    .with_hint("check the id and the provider's region and account; docs/import.md gives each type's id format"),
            );
        }
    }
    if missing.has_errors() {
        return Err(Report {
            sources: Default::default(),
            diags: missing,
        });
    }
    Ok(())
}

/// What `import` blocks bring in, for the targets state does not hold yet,
/// seeded to be read back with the rest of state. Their ids may use
/// variables.
pub(super) fn import_block_seeds(
    stack: &Stack,
    prior: &State,
) -> Result<Vec<ResourceState>, Report> {
    let config = &stack.config;
    let scope = BTreeMap::from([(
        "var".to_string(),
        Value::Map(stack.variables.clone().into()),
    )]);
    let mut seeds = Vec::new();
    let mut diags = crate::diag::Diagnostics::default();
    for import in &config.imports {
        if prior.resource(&import.to).is_some() {
            continue; // imported already: the block has done its work
        }
        let ctx = EvalContext {
            file: import.id.file,
            scope: &scope,
            files: &DiskFiles,
            stack_dir: &config.dir,
            clock: Default::default(),
        };
        let id = match eval(&import.id.expr, &ctx).map(|v| v.unmark_deep().0) {
            Ok(Value::String(id)) if !id.is_empty() => id,
            Ok(other) => {
                diags.push(
                    Diagnostic::error("Invalid import id")
                        .with_detail(format!("the id must be a non-empty string, not {other}"))
                        .with_span(import.id.span()),
                );
                continue;
            }
            Err(diag) => {
                diags.push(diag);
                continue;
            }
        };
        match seed(config, &stack.graph, &import.to, &id) {
            Ok(seed) => seeds.push(seed),
            Err(diag) => diags.push(diag.with_span(Some(import.span.clone()))),
        }
    }
    if diags.has_errors() {
        return Err(Report {
            sources: config.sources.clone(),
            diags,
        });
    }
    Ok(seeds)
}

/// `terrane import [DIR] ADDR ID`: reads the object and records it in
/// state at `ADDR`, which the configuration must declare and state must
/// not hold yet. Returns the imported instance.
pub async fn import(
    options: &StackOptions,
    address: &str,
    id: &str,
    interrupt: watch::Receiver<bool>,
    ui: &dyn Ui,
) -> Result<ResourceState, Report> {
    let (stack, backend) = open_stack(options, ui).await?;
    let addr = InstanceAddr::parse(address).ok_or_else(|| {
        Report::error(
            Diagnostic::error(format!("{address:?} is not a resource instance address"))
                .with_hint("import into one instance, e.g. aws_vpc.main or aws_subnet.private[0]"),
        )
    })?;
    if stack
        .config
        .resource_at(&addr.module, &addr.type_name, &addr.name)
        .is_none()
    {
        return Err(Report::error(
            Diagnostic::error(format!(
                "The configuration does not declare {}",
                addr.resource()
            ))
            .with_hint(format!(
                "write its resource block first (an import block with `terrane plan --generate-config-out=FILE` can write one): resource \"{}\" \"{}\" {{ ... }}",
                addr.type_name, addr.name
            )),
        ));
    }
    let seed = seed(&stack.config, &stack.graph, address, id).map_err(Report::error)?;
    let work = async {
        let mut state = read_state(backend.as_ref()).await?;
        if state.resource(address).is_some() {
            return Err(Report::error(
                Diagnostic::error(format!("{address} is already managed by terrane"))
                    .with_hint(format!(
                        "to manage another object there, remove it from state first: terrane state rm {address}"
                    )),
            ));
        }
        let aws = stack.aws_providers().await?;
        let seeds = vec![seed];
        let alone = State {
            resources: seeds.clone(),
            ..State::new()
        };
        let (read, _) = refresh(&aws, alone).await.map_err(Report::error)?;
        check_found(&seeds, &read)?;
        let imported = read.resources[0].clone();
        state.upsert(imported.clone());
        state.serial += 1;
        backend.write(&state).await.map_err(Report::state)?;
        Ok(imported)
    };
    locked(&backend, "import", options, interrupt, ui, &stack, work).await
}

/// `plan --generate-config-out=FILE`: writes a resource block for every
/// import block whose target the configuration does not declare, from the
/// object as AWS has it. Refuses to overwrite a file. Returns how many
/// blocks it wrote.
pub(super) async fn generate_config(
    options: &StackOptions,
    path: &std::path::Path,
    ui: &dyn Ui,
) -> Result<usize, Report> {
    if path.exists() {
        return Err(Report::error(
            Diagnostic::error(format!("{} already exists", path.display()))
                .with_hint("--generate-config-out writes a new file; name one that does not exist"),
        ));
    }
    let stack = super::load(&StackOptions {
        generating_config: true,
        ..options.clone()
    })?;
    ui.warnings(&stack.config.sources, &stack.warnings);
    let config = &stack.config;
    let undeclared: Vec<&crate::lang::config::Import> = config
        .imports
        .iter()
        .filter(|i| {
            InstanceAddr::parse(&i.to).is_some_and(|a| {
                config
                    .resource_at(&a.module, &a.type_name, &a.name)
                    .is_none()
            })
        })
        .collect();
    if undeclared.is_empty() {
        return Ok(0);
    }
    let seeds: Vec<ResourceState> = import_block_seeds(&stack, &State::new())?
        .into_iter()
        .filter(|s| undeclared.iter().any(|i| i.to == s.address))
        .collect();
    let aws = stack.aws_providers().await?;
    let alone = State {
        resources: seeds.clone(),
        ..State::new()
    };
    let (read, _) = refresh(&aws, alone).await.map_err(Report::error)?;
    check_found(&seeds, &read)?;
    let mut text = String::from(
        "# Written by terrane plan --generate-config-out from the objects the import\n# blocks name, as AWS reported them: review before committing.\n",
    );
    for object in &read.resources {
        let (Some(addr), Some(resource_type)) = (
            InstanceAddr::parse(&object.address),
            provider::resource_type(&object.type_name),
        ) else {
            continue;
        };
        text.push('\n');
        text.push_str(&crate::lang::generate::resource_block(
            &addr.type_name,
            &addr.name,
            resource_type.schema(),
            &object.attributes,
        ));
    }
    std::fs::write(path, text).map_err(|e| {
        Report::error(Diagnostic::error(format!(
            "Cannot write {}: {e}",
            path.display()
        )))
    })?;
    Ok(read.resources.len())
}
