//! `terrane output`: the output values saved in state.

use std::collections::BTreeMap;

use super::{Report, StackOptions, load_backend_config, open_backend, read_state};
use crate::diag::{Diagnostic, Diagnostics, Sources};
use crate::state::OutputState;

/// The outputs asked for, and warnings about the backend.
pub struct Outputs {
    pub outputs: BTreeMap<String, OutputState>,
    pub sources: Sources,
    pub warnings: Diagnostics,
}

/// Reads the outputs from state: all of them, or only `name` (an error when
/// state has no such output). Only the backend block is read from the
/// stack, so no variable needs a value, as with `terraform output`.
pub async fn output(options: &StackOptions, name: Option<&str>) -> Result<Outputs, Report> {
    let config = load_backend_config(&options.dir)?;
    let opened = open_backend(&config, options.state_path.as_deref()).await?;
    let mut outputs = read_state(opened.backend.as_ref()).await?.outputs;
    if let Some(name) = name {
        let Some(output) = outputs.remove(name) else {
            let mut diags = opened.warnings;
            diags.push(
                Diagnostic::error(format!("Output {name:?} not found"))
                    .with_hint("run apply first, or check the name with `terrane output`"),
            );
            return Err(Report {
                sources: config.sources,
                diags,
            });
        };
        outputs = BTreeMap::from([(name.to_string(), output)]);
    }
    Ok(Outputs {
        outputs,
        sources: config.sources,
        warnings: opened.warnings,
    })
}
