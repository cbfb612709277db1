//! The stack's policy at run time: reading `terrane-policy.hcl` beside the
//! stack's files, and failing the run when a finding of the built-in rules
//! (`crate::policy::check`) reaches the level it fails on. It never prints.

use std::path::Path;

use super::Report;
use crate::diag::{Diagnostic, Diagnostics, Sources};
use crate::policy::{self, Finding, PolicyConfig, Severity, file::POLICY_FILE};

/// Reads the policy file in `dir`, if there is one, into `sources` (so its
/// problems point into it); the default policy when there is none.
pub fn read(dir: &Path, sources: &mut Sources) -> (PolicyConfig, Diagnostics) {
    let path = dir.join(POLICY_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let file = sources.add(path, text);
            policy::file::parse(sources, file)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Default::default(),
        Err(e) => (
            PolicyConfig::default(),
            Diagnostic::error(format!("Cannot read {}: {e}", path.display())).into(),
        ),
    }
}

/// An error when a finding that is not waived reaches `fail_on`.
pub fn gate(findings: &[Finding], fail_on: Severity) -> Result<(), Report> {
    let failing = findings.iter().filter(|f| f.fails(fail_on)).count();
    if failing == 0 {
        return Ok(());
    }
    Err(Report::error(
        Diagnostic::error(format!(
            "{failing} policy finding(s) at {} severity or above",
            fail_on.as_str()
        ))
        .with_hint(format!(
            "fix them, or waive one in {POLICY_FILE} with `waiver \"RULE\" {{ resource = \"ADDRESS\", reason = \"...\" }}`"
        )),
    ))
}
