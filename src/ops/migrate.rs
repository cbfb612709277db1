//! `terrane state migrate-terraform`: turning a Terraform state (format 4)
//! into terrane state.
//!
//! Every managed instance of a supported type is taken by its id (translated
//! where terrane's id for a type differs from Terraform's), refreshed from
//! AWS through the same batched refresh plan uses, and written with its
//! Terraform dependencies as a new state (new lineage) under the lock. The
//! rest is reported as left out. This module sequences; it never prints.

use std::collections::BTreeSet;

use super::state_cmds::{EditOptions, current_for_replace, next_serial};
use super::{Report, Stack, StackOptions, refresh, with_lock};
use crate::diag::{Diagnostic, Diagnostics};
use crate::plan::diff::ID;
use crate::provider::{self, AwsContext};
use crate::state::terraform::{self as tf, TerraformInstance};
use crate::state::{ResourceState, State, s3};
use crate::value::{Attrs, Value};

/// What `migrate-terraform` did.
#[derive(Debug, Default)]
pub struct Migrated {
    /// Instances now in terrane's state.
    pub migrated: Vec<String>,
    /// Instances not migrated, with the reason.
    pub left_out: Vec<(String, String)>,
    pub serial: u64,
    pub lineage: String,
    /// Objects missing from AWS, and backend/lock warnings.
    pub warnings: Diagnostics,
}

/// Reads a Terraform state from a file or an `s3://bucket/key` URL.
async fn read_terraform_source(aws: &AwsContext, source: &str) -> Result<String, Report> {
    if let Some((bucket, key)) = s3::parse_url(source) {
        return s3::read_object_text(aws.s3(), &bucket, &key)
            .await
            .map_err(Report::state);
    }
    std::fs::read_to_string(source).map_err(|e| {
        Report::error(
            Diagnostic::error(format!("Cannot read {source}: {e}"))
                .with_hint("pass a Terraform state file or an s3://bucket/key URL"),
        )
    })
}

/// Terraform's attributes that terrane's schema knows, as a starting point
/// the refresh overwrites with what AWS reports. Empty values are how
/// Terraform writes "not set", so they are left out.
fn seed_attributes(instance: &TerraformInstance, id: &str, type_name: &str) -> Attrs {
    let mut attrs = Attrs::new();
    let Some(resource_type) = provider::resource_type(type_name) else {
        return attrs;
    };
    let schema = resource_type.schema();
    for (name, json) in &instance.attributes {
        let known = schema.attribute(name).is_some() || schema.block(name).is_some();
        let empty = match json {
            serde_json::Value::Null => true,
            serde_json::Value::String(s) => s.is_empty(),
            serde_json::Value::Array(items) => items.is_empty(),
            serde_json::Value::Object(map) => map.is_empty(),
            _ => false,
        };
        if !known || empty {
            continue;
        }
        let value = match json {
            // Terraform stores a single nested block (`timeouts {}`) as an
            // object; terrane keeps every block as a list of objects.
            serde_json::Value::Object(_) if schema.block(name).is_some() => {
                Value::List(vec![Value::from_json(json)].into())
            }
            _ => Value::from_json(json),
        };
        attrs.insert(name.clone(), value);
    }
    let mut attrs = schema.normalize(&attrs);
    attrs.insert(ID.to_string(), Value::string(id));
    attrs
}

/// Migrates a Terraform (format 4) state into the stack's backend: every
/// instance of a supported type is refreshed from AWS (one batched read per
/// type) and recorded with its Terraform dependencies; the rest are listed
/// as left out. A non-empty terrane state is replaced only with `force`.
pub async fn migrate_terraform(
    stack: &Stack,
    options: &StackOptions,
    source: &str,
    edit: EditOptions,
) -> Result<Migrated, Report> {
    let aws = stack.aws_providers().await?;
    let default = aws
        .get("aws")
        .map_err(|e| Report::error(Diagnostic::error(e)))?;
    let text = read_terraform_source(default, source).await?;
    let terraform = tf::parse(&text).map_err(|e| {
        Report::error(Diagnostic::error(format!(
            "Cannot migrate {source}: {}",
            e.to_string().trim_start_matches("the state is not valid: ")
        )))
    })?;

    let mut migrated = Migrated::default();
    let mut state = State::new();
    state.outputs = terraform.outputs.clone();
    let mut seen = BTreeSet::new();
    for instance in &terraform.instances {
        if instance.mode != "managed" {
            continue; // data sources are read again on every plan
        }
        let reason = if provider::resource_type(&instance.type_name).is_none() {
            Some(format!("terrane does not support {}", instance.type_name))
        } else if instance.id.is_none() {
            Some("no id in the Terraform state".to_string())
        } else {
            None
        };
        match (reason, &instance.id) {
            (None, Some(id)) if seen.insert(instance.address.clone()) => {
                // A few types' ids carry more than Terraform's; the type says.
                let attributes: Attrs = instance
                    .attributes
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect();
                let id = provider::resource_type(&instance.type_name)
                    .map_or_else(|| id.clone(), |t| t.id_from_terraform(id, &attributes));
                state.upsert(ResourceState {
                    address: instance.address.clone(),
                    type_name: instance.type_name.clone(),
                    attributes: seed_attributes(instance, &id, &instance.type_name),
                    id,
                    dependencies: instance.dependencies.clone(),
                    provider: instance.provider.clone(),
                    sensitive_attributes: Vec::new(),
                });
            }
            (Some(reason), _) => migrated.left_out.push((instance.address.clone(), reason)),
            _ => {}
        }
    }

    let (refreshed, notes) = refresh(&aws, state).await.map_err(Report::error)?;
    migrated.warnings.extend(notes);
    migrated.migrated = refreshed
        .resources
        .iter()
        .map(|r| r.address.clone())
        .collect();

    let written = write_new_state(stack, options, edit, refreshed, "migrate-terraform").await?;
    migrated.warnings.extend(written.warnings);
    migrated.serial = written.serial;
    migrated.lineage = written.lineage;
    Ok(migrated)
}

/// Where [`write_new_state`] wrote.
pub struct Written {
    pub serial: u64,
    pub lineage: String,
    /// The backend's and the lock's warnings.
    pub warnings: Diagnostics,
}

/// Writes `state` (a new lineage) as the stack's state, under the lock. A
/// stored state that already holds instances is replaced only with
/// `--force`; the objects it names are not touched.
pub(super) async fn write_new_state(
    stack: &Stack,
    options: &StackOptions,
    edit: EditOptions,
    mut state: State,
    operation: &str,
) -> Result<Written, Report> {
    let opened = super::open_backend(&stack.config, options.state_path.as_deref()).await?;
    let mut warnings = opened.warnings;
    let backend = opened.backend;
    let force = edit.force;
    let work = async {
        let existing = current_for_replace(backend.as_ref(), force).await?;
        if let Some(Ok(existing)) = &existing
            && !existing.resources.is_empty()
            && !force
        {
            return Err(Report::error(
                Diagnostic::error(format!(
                    "{} already holds a terrane state with {} instance(s)",
                    backend.location(),
                    existing.resources.len()
                ))
                .with_hint("replace it with --force (the objects in it are not touched)"),
            ));
        }
        // A fresh lineage: this is a new state, not a version of the old one.
        state.serial = next_serial(backend.as_ref(), &existing, 1).await;
        backend.write(&state).await.map_err(Report::state)?;
        Ok((state.serial, state.lineage.clone()))
    };
    let mut lock_warnings = Diagnostics::default();
    let (serial, lineage) = with_lock(
        &backend,
        operation,
        &edit.lock,
        edit.interrupt,
        |w| lock_warnings = w,
        work,
    )
    .await?;
    warnings.extend(lock_warnings);
    Ok(Written {
        serial,
        lineage,
        warnings,
    })
}
