//! Reading Terraform's state format (version 4, Terraform 0.12 and later)
//! for `terrane state migrate-terraform`.
//!
//! Only what migration needs is read: managed resource instances with their
//! address, type, `id`, attributes and dependencies, and the outputs. This
//! module only parses text; fetching the file and refreshing the objects
//! from AWS happen elsewhere. It never prints.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{OutputState, StateError};
use crate::addr::{InstanceAddr, InstanceKey};
use crate::value::Value;

/// The only Terraform state version terrane reads.
pub const TERRAFORM_FORMAT_VERSION: u64 = 4;

#[derive(Debug)]
pub struct TerraformState {
    pub terraform_version: String,
    pub lineage: String,
    pub serial: u64,
    pub outputs: BTreeMap<String, OutputState>,
    pub instances: Vec<TerraformInstance>,
}

/// One instance of a resource block in Terraform's state.
#[derive(Debug)]
pub struct TerraformInstance {
    /// e.g. `aws_subnet.public[0]`, or `module.net.aws_vpc.main` for
    /// resources inside modules.
    pub address: String,
    pub type_name: String,
    /// `managed` or `data`.
    pub mode: String,
    /// Set for resources inside a module, e.g. `module.net`.
    pub module: Option<String>,
    pub id: Option<String>,
    pub attributes: serde_json::Map<String, serde_json::Value>,
    /// Resource addresses (without instance keys) this instance depended on.
    pub dependencies: Vec<String>,
    /// terrane's name for its provider configuration: `aws`, or
    /// `aws.<alias>` for Terraform's `provider["…/hashicorp/aws"].<alias>`.
    pub provider: String,
}

#[derive(Deserialize)]
struct RawState {
    version: u64,
    #[serde(default)]
    terraform_version: String,
    #[serde(default)]
    lineage: String,
    #[serde(default)]
    serial: u64,
    #[serde(default)]
    outputs: BTreeMap<String, RawOutput>,
    #[serde(default)]
    resources: Vec<RawResource>,
}

#[derive(Deserialize)]
struct RawOutput {
    value: serde_json::Value,
    #[serde(default)]
    sensitive: bool,
}

#[derive(Deserialize)]
struct RawResource {
    #[serde(default)]
    module: Option<String>,
    mode: String,
    #[serde(rename = "type")]
    type_name: String,
    name: String,
    #[serde(default)]
    provider: String,
    #[serde(default)]
    instances: Vec<RawInstance>,
}

#[derive(Deserialize)]
struct RawInstance {
    #[serde(default)]
    index_key: Option<serde_json::Value>,
    #[serde(default)]
    attributes: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    dependencies: Vec<String>,
}

/// terrane's name for a provider configuration Terraform's state records as
/// `provider["registry.terraform.io/hashicorp/aws"]` or the same followed
/// by `.<alias>`.
fn provider_name(recorded: &str) -> String {
    match recorded.rsplit_once("].") {
        Some((_, alias)) if !alias.is_empty() => format!("aws.{alias}"),
        _ => "aws".into(),
    }
}

/// Parses a Terraform state file, refusing other format versions.
pub fn parse(text: &str) -> Result<TerraformState, StateError> {
    #[derive(Deserialize)]
    struct Header {
        version: Option<u64>,
    }
    let header: Header = serde_json::from_str(text)
        .map_err(|e| StateError::Corrupt(format!("not a Terraform state: {e}")))?;
    match header.version {
        Some(TERRAFORM_FORMAT_VERSION) => {}
        Some(other) => {
            return Err(StateError::Corrupt(format!(
                "Terraform state version {other} is not supported; terrane reads version {TERRAFORM_FORMAT_VERSION} (Terraform 0.12 and later)"
            )));
        }
        None => {
            return Err(StateError::Corrupt(
                "not a Terraform state: missing `version`".into(),
            ));
        }
    }
    let raw: RawState = serde_json::from_str(text)
        .map_err(|e| StateError::Corrupt(format!("not a Terraform state: {e}")))?;
    debug_assert_eq!(raw.version, TERRAFORM_FORMAT_VERSION);

    let mut instances = Vec::new();
    for resource in raw.resources {
        for instance in resource.instances {
            let key = match &instance.index_key {
                None | Some(serde_json::Value::Null) => InstanceKey::None,
                Some(serde_json::Value::Number(n)) => match n.as_u64() {
                    Some(i) => InstanceKey::Index(i as usize),
                    None => InstanceKey::Key(n.to_string()),
                },
                Some(serde_json::Value::String(s)) => InstanceKey::Key(s.clone()),
                Some(other) => InstanceKey::Key(other.to_string()),
            };
            let local = InstanceAddr::new(&resource.type_name, &resource.name, key).to_string();
            let address = match (&resource.mode[..], &resource.module) {
                ("data", Some(module)) => format!("{module}.data.{local}"),
                ("data", None) => format!("data.{local}"),
                (_, Some(module)) => format!("{module}.{local}"),
                (_, None) => local,
            };
            let id = instance
                .attributes
                .get("id")
                .and_then(serde_json::Value::as_str)
                .map(str::to_string);
            let mut dependencies: Vec<String> = instance
                .dependencies
                .iter()
                .map(|d| strip_instance_keys(d))
                .collect();
            dependencies.sort();
            dependencies.dedup();
            instances.push(TerraformInstance {
                address,
                type_name: resource.type_name.clone(),
                mode: resource.mode.clone(),
                module: resource.module.clone(),
                id,
                attributes: instance.attributes,
                dependencies,
                provider: provider_name(&resource.provider),
            });
        }
    }
    let outputs = raw
        .outputs
        .into_iter()
        .map(|(name, output)| {
            (
                name,
                OutputState {
                    value: Value::from_json(&output.value),
                    sensitive: output.sensitive,
                },
            )
        })
        .collect();
    Ok(TerraformState {
        terraform_version: raw.terraform_version,
        lineage: raw.lineage,
        serial: raw.serial,
        outputs,
        instances,
    })
}

/// `aws_subnet.a[0]` → `aws_subnet.a`: Terraform records dependencies on
/// resources, and terrane's state does the same.
fn strip_instance_keys(address: &str) -> String {
    let mut out = String::with_capacity(address.len());
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for c in address.chars() {
        if depth > 0 {
            if in_string {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    in_string = false;
                }
            } else if c == '"' {
                in_string = true;
            } else if c == ']' {
                depth -= 1;
            }
            continue;
        }
        if c == '[' {
            depth += 1;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATE: &str = r#"{
      "version": 4, "terraform_version": "1.11.4", "serial": 7, "lineage": "abc",
      "outputs": { "vpc_id": { "value": "vpc-1", "type": "string" } },
      "resources": [
        { "mode": "managed", "type": "aws_vpc", "name": "main", "provider": "p",
          "instances": [ { "schema_version": 1, "attributes": { "id": "vpc-1", "cidr_block": "10.0.0.0/16" } } ] },
        { "mode": "managed", "type": "aws_subnet", "name": "az", "provider": "p",
          "instances": [
            { "index_key": "us-east-1a", "attributes": { "id": "subnet-1" }, "dependencies": ["aws_vpc.main"] },
            { "index_key": 0, "attributes": { "id": "subnet-2" }, "dependencies": ["aws_subnet.x[\"a]b\"]", "aws_vpc.main"] }
          ] },
        { "mode": "data", "type": "aws_availability_zones", "name": "all", "provider": "p",
          "instances": [ { "attributes": { "id": "us-east-1" } } ] },
        { "module": "module.net", "mode": "managed", "type": "aws_vpc", "name": "inner",
          "provider": "provider[\"registry.terraform.io/hashicorp/aws\"].dr",
          "instances": [ { "attributes": { "id": "vpc-2" } } ] }
      ]
    }"#;

    #[test]
    fn reads_instances_with_keys_dependencies_and_outputs() {
        let state = parse(STATE).unwrap();
        assert_eq!((state.serial, state.lineage.as_str()), (7, "abc"));
        let summary: Vec<_> = state
            .instances
            .iter()
            .map(|i| (i.address.as_str(), i.id.as_deref(), i.dependencies.clone()))
            .collect();
        assert_eq!(
            summary,
            [
                ("aws_vpc.main", Some("vpc-1"), vec![]),
                (
                    "aws_subnet.az[\"us-east-1a\"]",
                    Some("subnet-1"),
                    vec!["aws_vpc.main".to_string()]
                ),
                (
                    "aws_subnet.az[0]",
                    Some("subnet-2"),
                    vec!["aws_subnet.x".to_string(), "aws_vpc.main".to_string()]
                ),
                ("data.aws_availability_zones.all", Some("us-east-1"), vec![]),
                ("module.net.aws_vpc.inner", Some("vpc-2"), vec![]),
            ]
        );
        assert_eq!(state.outputs["vpc_id"].value, Value::string("vpc-1"));
        let providers: Vec<&str> = state
            .instances
            .iter()
            .map(|i| i.provider.as_str())
            .collect();
        assert_eq!(providers, ["aws", "aws", "aws", "aws", "aws.dr"]);
    }

    #[test]
    fn refuses_other_versions_and_garbage() {
        let v3 = r#"{"version": 3, "modules": []}"#;
        match parse(v3) {
            Err(StateError::Corrupt(message)) => {
                assert!(message.contains("version 3"), "{message}")
            }
            other => panic!("expected Corrupt, got {other:?}"),
        }
        assert!(matches!(parse("{\"vers"), Err(StateError::Corrupt(_))));
        assert!(matches!(parse("[]"), Err(StateError::Corrupt(_))));
    }
}
