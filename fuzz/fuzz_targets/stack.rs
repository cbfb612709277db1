//! A stack file of any bytes: parsed, checked against the schemas, built
//! into a graph and planned as `terrane validate` does (offline), must come
//! back as a result or diagnostics, never a panic.
#![no_main]

use std::path::{Path, PathBuf};

use libfuzzer_sys::fuzz_target;
use terrane::lang::eval::FileReader;
use terrane::plan::{PlanRequest, plan};
use terrane::state::State;

/// No files: `file()` and friends fail as for a missing file.
struct NoFiles;

impl FileReader for NoFiles {
    fn read_to_string(&self, path: &Path) -> std::io::Result<String> {
        Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            path.display().to_string(),
        ))
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (config, diags) = terrane::lang::load("/fuzz", vec![(PathBuf::from("main.tf"), text.to_string())]);
    if diags.has_errors() {
        return;
    }
    let (graph, diags) = terrane::graph::build(&config);
    if diags.has_errors() {
        return;
    }
    let prior = State::new();
    let _ = plan(PlanRequest {
        config: &config,
        graph: &graph,
        variables: Default::default(),
        data: Default::default(),
        prior: &prior,
        default_tags: Default::default(),
        files: &NoFiles,
        destroy: false,
        validate_only: true,
        targeting: Default::default(),
        timestamp: None,
    });
});
