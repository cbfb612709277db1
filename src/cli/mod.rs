//! The command line: parses arguments, calls one operation in `ops`, and
//! prints. The only module that prints, and the one place that picks the
//! exit code.

// Output macros: like `print!` / `eprint!`, but a closed pipe (`terrane plan
// | head`) is not an error. The run carries on — an apply must still save its
// state — and what can't be written is dropped. Declared before the modules
// so they can use them.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($arg)*);
    }};
}
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

pub mod plan_view;
mod render;
mod state;

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use tokio::sync::watch;

use crate::apply::{self, ApplyRequest, Event, StateSink};
use crate::diag::{Diagnostics, Sources};
use crate::ops::{self, LockOptions, Report, Stack, StackOptions};
use crate::state::{Backend, State, StateError};

#[derive(Parser, Debug)]
#[command(
    name = "terrane",
    version,
    about = "Plan and apply AWS infrastructure described in Terraform's language"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check a stack's files without calling AWS.
    Validate {
        /// The stack directory.
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Show what apply would change.
    Plan {
        #[command(flatten)]
        stack: StackArgs,
        /// Exit 0 when there are no changes, 2 when there are, 1 on error.
        #[arg(long)]
        detailed_exitcode: bool,
        /// Plan to destroy everything the stack manages.
        #[arg(long)]
        destroy: bool,
    },
    /// Make AWS match the stack.
    Apply {
        #[command(flatten)]
        stack: StackArgs,
        /// Don't ask for confirmation.
        #[arg(long)]
        auto_approve: bool,
    },
    /// Destroy everything the stack manages.
    Destroy {
        #[command(flatten)]
        stack: StackArgs,
        /// Don't ask for confirmation.
        #[arg(long)]
        auto_approve: bool,
    },
    /// Show output values from state.
    Output {
        /// The stack directory.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Show only this output.
        name: Option<String>,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
        /// Use this state file instead of the stack's backend.
        #[arg(long)]
        state: Option<PathBuf>,
    },
    /// Print the resource graph in Graphviz DOT.
    Graph {
        /// The stack directory.
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Check that the stack's state backend is reachable.
    Init {
        /// The stack directory.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Create a missing S3 state bucket, with versioning, default
        /// encryption and all public access blocked.
        #[arg(long)]
        create_state_bucket: bool,
        /// Use this state file instead of the stack's backend.
        #[arg(long)]
        state: Option<PathBuf>,
    },
    /// Remove a stale state lock, e.g. of a run that was killed.
    #[command(override_usage = "terrane force-unlock [DIR] LOCK_ID")]
    ForceUnlock {
        /// [DIR] LOCK_ID: the stack directory (default: .) and the ID the
        /// "locked" error names.
        #[arg(value_name = "ARGS", num_args = 1..=2, required = true)]
        args: Vec<String>,
        /// Use this state file instead of the stack's backend.
        #[arg(long)]
        state: Option<PathBuf>,
    },
    /// Inspect and repair state.
    #[command(subcommand)]
    State(state::StateCommand),
}

/// `--lock` and `--lock-timeout`, for every command that takes the lock.
#[derive(Args, Debug, Clone)]
struct LockArgs {
    /// Lock the state while working (`--lock=false` only for emergencies).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    lock: bool,
    /// How long to keep retrying while another run holds the lock, e.g. 30s.
    #[arg(long, default_value = "0s", value_parser = humantime::parse_duration, value_name = "DURATION")]
    lock_timeout: Duration,
}

impl LockArgs {
    fn options(&self) -> LockOptions {
        LockOptions {
            enabled: self.lock,
            timeout: self.lock_timeout,
        }
    }
}

#[derive(Args, Debug)]
struct StackArgs {
    /// The stack directory.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Set a variable: --var name=value (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    vars: Vec<String>,
    /// Read variables from a .tfvars file (repeatable).
    #[arg(long = "var-file", value_name = "FILE")]
    var_files: Vec<PathBuf>,
    /// How many operations run at once.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..))]
    parallelism: u16,
    /// Use this state file instead of the stack's backend.
    #[arg(long)]
    state: Option<PathBuf>,
    #[command(flatten)]
    lock: LockArgs,
}

impl StackArgs {
    fn options(&self) -> StackOptions {
        StackOptions {
            dir: self.dir.clone(),
            vars: self.vars.clone(),
            var_files: self.var_files.clone(),
            state_path: self.state.clone(),
            lock: self.lock.options(),
        }
    }
}

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => 0,
                _ => 1,
            };
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            errln!("error: cannot start the async runtime: {e}");
            return 1;
        }
    };
    let result = runtime.block_on(run(cli));
    // A confirmation prompt abandoned after Ctrl-C may still be blocked
    // reading stdin; don't wait for it.
    runtime.shutdown_background();
    match result {
        Ok(code) => code,
        Err(report) => {
            print_diagnostics(&report.sources, &report.diags);
            1
        }
    }
}

fn print_diagnostics(sources: &Sources, diags: &Diagnostics) {
    let color = render::use_color();
    for diag in diags.iter() {
        errln!("{}\n", render::diagnostic(sources, diag, color));
    }
}

async fn run(cli: Cli) -> Result<i32, Report> {
    match cli.command {
        Command::Validate { dir } => {
            let stack = ops::load(&StackOptions {
                dir,
                ..StackOptions::default()
            })?;
            print_diagnostics(&stack.config.sources, &stack.warnings);
            outln!("Success! The configuration is valid.");
            Ok(0)
        }
        Command::Graph { dir } => {
            let stack = ops::load(&StackOptions {
                dir,
                ..StackOptions::default()
            })?;
            out!("{}", stack.graph.to_dot(&stack.config));
            Ok(0)
        }
        Command::Plan {
            stack,
            detailed_exitcode,
            destroy,
        } => plan(&stack, detailed_exitcode, destroy).await,
        Command::Apply {
            stack,
            auto_approve,
        } => apply(&stack, auto_approve, false).await,
        Command::Destroy {
            stack,
            auto_approve,
        } => apply(&stack, auto_approve, true).await,
        Command::Output {
            dir,
            name,
            json,
            state,
        } => output(dir, name, json, state).await,
        Command::Init {
            dir,
            create_state_bucket,
            state,
        } => state::init(&dir, create_state_bucket, state.as_deref()).await,
        Command::ForceUnlock { args, state } => state::force_unlock(args, state.as_deref()).await,
        Command::State(command) => state::run(command).await,
    }
}

/// Loads the stack and opens its backend, printing warnings about both.
async fn load(args: &StackArgs) -> Result<(Stack, Arc<dyn Backend>), Report> {
    let options = args.options();
    let stack = ops::load(&options)?;
    print_diagnostics(&stack.config.sources, &stack.warnings);
    let opened = ops::open_backend(&stack.config, options.state_path.as_deref()).await?;
    print_diagnostics(&stack.config.sources, &opened.warnings);
    Ok((stack, opened.backend))
}

async fn read_state(backend: &dyn Backend) -> Result<State, Report> {
    Ok(backend
        .read()
        .await
        .map_err(Report::state)?
        .unwrap_or_default())
}

/// Runs `work` unless Ctrl-C comes first.
async fn until_interrupted<T>(
    work: impl std::future::Future<Output = Result<T, Report>>,
    mut interrupt: watch::Receiver<bool>,
) -> Result<T, Report> {
    let interrupted = || {
        Report::error(
            crate::diag::Diagnostic::error("Interrupted")
                .with_detail("nothing was changed; the state lock was released"),
        )
    };
    if *interrupt.borrow() {
        return Err(interrupted());
    }
    tokio::select! {
        result = work => result,
        _ = interrupt.wait_for(|&on| on) => Err(interrupted()),
    }
}

/// Runs `work` holding the state lock, printing lock warnings first.
async fn locked<T>(
    backend: &Arc<dyn Backend>,
    operation: &str,
    options: &LockOptions,
    interrupt: &watch::Receiver<bool>,
    work: impl std::future::Future<Output = Result<T, Report>>,
) -> Result<T, Report> {
    ops::with_lock(
        backend,
        operation,
        options,
        Some(interrupt.clone()),
        |warnings| print_diagnostics(&Sources::default(), &warnings),
        work,
    )
    .await
}

async fn plan(args: &StackArgs, detailed_exitcode: bool, destroy: bool) -> Result<i32, Report> {
    let interrupt = stop_on_signals()?;
    let (stack, backend) = load(args).await?;
    let work = plan_locked(&stack, &backend, detailed_exitcode, destroy, &interrupt);
    locked(&backend, "plan", &args.lock.options(), &interrupt, work).await
}

async fn plan_locked(
    stack: &Stack,
    backend: &Arc<dyn Backend>,
    detailed_exitcode: bool,
    destroy: bool,
    interrupt: &watch::Receiver<bool>,
) -> Result<i32, Report> {
    let prior = read_state(backend.as_ref()).await?;
    let aws = ops::aws_context(stack).await;
    let planned =
        until_interrupted(ops::plan(stack, &aws, prior, destroy), interrupt.clone()).await?;
    print_diagnostics(&stack.config.sources, &planned.warnings);
    out!("{}", plan_view::render(&planned.plan));
    print_planned_outputs(&planned.plan);
    Ok(if detailed_exitcode && planned.plan.has_changes() {
        2
    } else {
        0
    })
}

fn print_planned_outputs(plan: &crate::plan::Plan) {
    if plan.destroy || plan.outputs.is_empty() || !plan.has_changes() {
        return;
    }
    outln!("\nChanges to Outputs:");
    for (name, value) in &plan.outputs {
        outln!("  + {name} = {value}");
    }
}

/// Saves apply's state through the backend. Apply saves synchronously
/// between steps; the backend is async, so the save blocks this worker
/// thread (the command line runs on the multi-threaded runtime).
struct BackendSink(Arc<dyn Backend>);

impl StateSink for BackendSink {
    fn save(&self, state: &State) -> Result<(), StateError> {
        let handle = tokio::runtime::Handle::current();
        tokio::task::block_in_place(|| handle.block_on(self.0.write(state)))
    }
}

async fn apply(args: &StackArgs, auto_approve: bool, destroy: bool) -> Result<i32, Report> {
    let interrupt = stop_on_signals()?;
    let (stack, backend) = load(args).await?;
    let operation = if destroy { "destroy" } else { "apply" };
    let work = apply_locked(&stack, &backend, args, auto_approve, destroy, &interrupt);
    locked(&backend, operation, &args.lock.options(), &interrupt, work).await
}

async fn apply_locked(
    stack: &Stack,
    backend: &Arc<dyn Backend>,
    args: &StackArgs,
    auto_approve: bool,
    destroy: bool,
    interrupt: &watch::Receiver<bool>,
) -> Result<i32, Report> {
    let prior = read_state(backend.as_ref()).await?;
    let aws = Arc::new(ops::aws_context(stack).await);
    let planned =
        until_interrupted(ops::plan(stack, &aws, prior, destroy), interrupt.clone()).await?;
    print_diagnostics(&stack.config.sources, &planned.warnings);
    out!("{}", plan_view::render(&planned.plan));
    if !planned.plan.has_changes() {
        outln!("\nApply complete! Resources: 0 added, 0 changed, 0 destroyed.");
        print_outputs_after_apply(&planned.state);
        return Ok(0);
    }
    if !auto_approve {
        // The prompt blocks on stdin, so it runs off the async threads and
        // Ctrl-C can still end the run (and release the lock).
        let answer = until_interrupted(
            async {
                Ok(tokio::task::spawn_blocking(move || confirm(destroy))
                    .await
                    .unwrap_or(false))
            },
            interrupt.clone(),
        )
        .await;
        if !matches!(answer, Ok(true)) {
            errln!("\nApply cancelled.");
            return Ok(1);
        }
    }
    outln!();

    let sink = BackendSink(backend.clone());
    let on_event = |event: Event<'_>| print_event(&event);
    let outcome = apply::apply(
        ApplyRequest {
            config: &stack.config,
            graph: &stack.graph,
            plan: &planned.plan,
            variables: stack.variables.clone(),
            data: planned.data.clone(),
            files: &ops::DiskFiles,
            default_tags: stack.provider.default_tags.clone(),
            aws,
            parallelism: usize::from(args.parallelism),
            interrupt: interrupt.clone(),
            sink: &sink,
            on_event: &on_event,
        },
        planned.state,
    )
    .await;

    if outcome.failures.is_empty() && !outcome.interrupted {
        let (add, change, destroyed) = planned.plan.summary();
        let verb = if destroy { "Destroy" } else { "Apply" };
        if destroy {
            outln!("\n{verb} complete! Resources: {destroyed} destroyed.");
        } else {
            outln!(
                "\n{verb} complete! Resources: {add} added, {change} changed, {destroyed} destroyed."
            );
            print_outputs_after_apply(&outcome.state);
        }
        return Ok(0);
    }
    let mut diags = Diagnostics::default();
    for failure in &outcome.failures {
        diags.push(crate::diag::Diagnostic::error(format!(
            "{}: {}",
            failure.address, failure.message
        )));
    }
    if outcome.interrupted {
        diags.push(
            crate::diag::Diagnostic::error("Apply interrupted").with_detail(
                "steps in flight finished and were saved; run apply again to continue",
            ),
        );
    }
    Err(Report {
        sources: Sources::default(),
        diags,
    })
}

/// A flag that becomes true on Ctrl-C (SIGINT) or SIGTERM. The handlers are
/// registered before this returns, so no signal can slip past them and kill
/// the run before it has saved its state and released its lock: call it
/// before the lock is taken. A second signal exits at once.
fn stop_on_signals() -> Result<watch::Receiver<bool>, Report> {
    use tokio::signal::unix::{SignalKind, signal};
    let (tx, rx) = watch::channel(false);
    let register = |kind: SignalKind| {
        signal(kind).map_err(|e| {
            Report::error(crate::diag::Diagnostic::error(format!(
                "Cannot install a signal handler: {e}"
            )))
        })
    };
    let (mut interrupt, mut terminate) = (
        register(SignalKind::interrupt())?,
        register(SignalKind::terminate())?,
    );
    tokio::spawn(async move {
        for signals_seen in 1.. {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
            if signals_seen > 1 {
                errln!("\nSecond interrupt: exiting now; the state lock may be left held.");
                std::process::exit(130);
            }
            let _ = tx.send(true);
        }
    });
    Ok(rx)
}

fn confirm(destroy: bool) -> bool {
    let question = if destroy {
        "Do you really want to destroy all resources?"
    } else {
        "Do you want to perform these actions?"
    };
    out!(
        "\n{question}\n  terrane will perform the actions described above.\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: "
    );
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).is_ok() && answer.trim() == "yes"
}

fn print_event(event: &Event<'_>) {
    match event {
        Event::Started { address, op } => outln!("{address}: {}...", op.progressive()),
        Event::Finished {
            address,
            op,
            elapsed,
            id,
        } => {
            let id = id.map(|id| format!(" [id={id}]")).unwrap_or_default();
            outln!(
                "{address}: {} complete after {}{id}",
                op.noun(),
                humantime::format_duration(Duration::from_secs(elapsed.as_secs()))
            );
        }
        // Failures are reported once, with the other errors, when the run ends.
        Event::Failed { .. } => {}
        Event::Stopping { reason } => errln!("Stopping: {reason}"),
    }
}

fn print_outputs_after_apply(state: &State) {
    if state.outputs.is_empty() {
        return;
    }
    outln!("\nOutputs:\n");
    for (name, output) in &state.outputs {
        let value = if output.sensitive {
            "<sensitive>".to_string()
        } else {
            output.value.to_string()
        };
        outln!("{name} = {value}");
    }
}

async fn output(
    dir: PathBuf,
    name: Option<String>,
    json: bool,
    state_path: Option<PathBuf>,
) -> Result<i32, Report> {
    let options = StackOptions {
        dir,
        state_path,
        ..StackOptions::default()
    };
    let stack = ops::load(&options)?;
    let opened = ops::open_backend(&stack.config, options.state_path.as_deref()).await?;
    print_diagnostics(&stack.config.sources, &opened.warnings);
    let state = read_state(opened.backend.as_ref()).await?;
    match name {
        Some(name) => {
            let Some(output) = state.outputs.get(&name) else {
                return Err(Report::error(
                    crate::diag::Diagnostic::error(format!("Output {name:?} not found"))
                        .with_hint("run apply first, or check the name with `terrane output`"),
                ));
            };
            if json {
                outln!("{}", output.value.to_json());
            } else {
                outln!("{}", output.value);
            }
        }
        None if json => {
            let all: serde_json::Map<String, serde_json::Value> = state
                .outputs
                .iter()
                .map(|(k, o)| {
                    (
                        k.clone(),
                        serde_json::json!({"sensitive": o.sensitive, "value": o.value.to_json()}),
                    )
                })
                .collect();
            outln!("{}", serde_json::to_string_pretty(&all).unwrap_or_default());
        }
        None => {
            if state.outputs.is_empty() {
                errln!("warning: No outputs found");
            }
            for (name, output) in &state.outputs {
                let value = if output.sensitive {
                    "<sensitive>".to_string()
                } else {
                    output.value.to_string()
                };
                outln!("{name} = {value}");
            }
        }
    }
    Ok(0)
}
