//! `terrane console`: evaluates expressions against the stack, as
//! `terraform console` does. The stack is loaded as for `validate`
//! (variables without a value are unknown), resources take their values
//! from state (nothing is read from AWS), data sources are unknown, and the
//! impure functions (`timestamp`, `uuid`, `bcrypt`) return values.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use hcl_edit::expr::Expression;

use super::{DiskFiles, Report, StackOptions, load, open_backend, read_state};
use crate::addr::InstanceAddr;
use crate::diag::{Diagnostic, Diagnostics, Sources, Span};
use crate::graph::Node;
use crate::lang::block_eval::{BlockEvaluator, with_marks};
use crate::lang::config::Expr;
use crate::lang::eval::{Clock, EvalContext, eval};
use crate::lang::references::{Subject, references};
use crate::lang::{Config, Mode, ROOT};
use crate::state::State;
use crate::value::Value;

/// The stack's values, ready for expressions.
pub struct Console {
    /// `var`, `local`, `module`, `data`, `path`, `terraform` and one entry
    /// per resource type, as the root module sees them.
    scope: BTreeMap<String, Value>,
    stack_dir: PathBuf,
    clock: Clock,
    /// The root module's declared variables and locals: naming another is
    /// an error even inside `try`, as in Terraform, where references are
    /// checked before anything is evaluated.
    declared: BTreeSet<Subject>,
    /// The stack's files, then one entry per expression evaluated.
    pub sources: Sources,
    /// Problems found while loading that did not stop it.
    pub warnings: Diagnostics,
}

/// Loads the stack in `options.dir` (an empty directory is fine) and its
/// state, and evaluates every value expressions may refer to.
pub async fn console(options: &StackOptions) -> Result<Console, Report> {
    let clock = Clock {
        plan: None,
        now: Some(super::unix_now()),
    };
    let has_stack = std::fs::read_dir(&options.dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .any(|e| e.path().extension().is_some_and(|ext| ext == "tf"))
        })
        .unwrap_or(false);
    if !has_stack {
        return Ok(Console {
            scope: BTreeMap::new(),
            stack_dir: options.dir.clone(),
            clock,
            declared: BTreeSet::new(),
            sources: Sources::default(),
            warnings: Diagnostics::default(),
        });
    }
    let stack = load(&StackOptions {
        validate_only: true,
        ..options.clone()
    })?;
    let opened = open_backend(&stack.config, options.state_path.as_deref()).await?;
    let state = read_state(opened.backend.as_ref()).await?;
    let mut warnings = stack.warnings;
    warnings.extend(opened.warnings);

    let config = &stack.config;
    let mut evaluator = BlockEvaluator::new(config, &DiskFiles, stack.variables.clone());
    evaluator.set_clock(clock);
    for node in &stack.graph.order {
        match *node {
            Node::Resource(i) if config.resources[i].mode == Mode::Managed => {
                evaluator.set_instances(i, instances_in_state(config, i, &state));
            }
            Node::Resource(i) => evaluator.set_resource_unknown(i),
            other => {
                // A value that cannot be evaluated yet is simply absent, and
                // an expression naming it says so.
                let _ = crate::plan::eval_value(&mut evaluator, other);
            }
        }
    }
    let declared = config
        .variables
        .iter()
        .filter(|v| v.module == ROOT)
        .map(|v| Subject::Variable(v.name.clone()))
        .chain(
            config
                .locals
                .iter()
                .filter(|l| l.module == ROOT)
                .map(|l| Subject::Local(l.name.clone())),
        )
        .collect();
    Ok(Console {
        scope: evaluator.root_values(),
        stack_dir: config.dir.clone(),
        clock,
        declared,
        sources: stack.config.sources,
        warnings,
    })
}

/// A managed resource's instances as state records them.
fn instances_in_state(
    config: &Config,
    index: usize,
    state: &State,
) -> BTreeMap<crate::addr::InstanceKey, Value> {
    let resource = &config.resources[index];
    state
        .resources
        .iter()
        .filter_map(|saved| {
            let addr = InstanceAddr::parse(&saved.address)?;
            let same = addr.module == resource.module_path
                && addr.type_name == resource.type_name
                && addr.name == resource.name;
            same.then(|| {
                let value = with_marks(saved.attributes.clone(), &saved.sensitive_attributes);
                (addr.key, value)
            })
        })
        .collect()
}

impl Console {
    /// Evaluates one line. Problems point into the line, which is added to
    /// [`Console::sources`] as `<console-input>`.
    pub fn evaluate(&mut self, line: &str) -> Result<Value, Diagnostic> {
        let line = line.trim();
        let file = self.sources.add("<console-input>", line);
        let expr: Expression = line.parse().map_err(|e: hcl_edit::parser::Error| {
            let location = e.location();
            let offset = self
                .sources
                .offset_of(file, location.line(), location.column());
            Diagnostic::error("Invalid expression")
                .with_detail(e.message().to_string())
                .with_span(Some(Span::new(file, offset..offset)))
        })?;
        let expr = Expr { file, expr };
        let (found, problems) = references(&expr);
        if let Some(problem) = problems.into_iter().next() {
            return Err(problem);
        }
        for reference in found {
            let (summary, detail) = match &reference.subject {
                Subject::Local(name) if !self.declared.contains(&reference.subject) => (
                    "Reference to undeclared local value",
                    format!("A local value with the name {name:?} has not been declared."),
                ),
                Subject::Variable(name) if !self.declared.contains(&reference.subject) => (
                    "Reference to undeclared input variable",
                    format!(
                        "An input variable with the name {name:?} has not been declared. This variable can be declared with a variable {name:?} {{}} block."
                    ),
                ),
                _ => continue,
            };
            return Err(Diagnostic::error(summary)
                .with_detail(detail)
                .with_span(Some(reference.span)));
        }
        let ctx = EvalContext {
            file,
            scope: &self.scope,
            files: &DiskFiles,
            stack_dir: &self.stack_dir,
            clock: self.clock,
        };
        eval(&expr.expr, &ctx)
    }
}
