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
mod progress_view;
mod render;
mod state;
mod summary_md;
mod terraform_args;
mod workspace;

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use tokio::sync::watch;

use crate::apply::Event;
use crate::diag::{Diagnostics, Sources};
use crate::ops::{self, Applied, ApplyOptions, LockOptions, PlanOptions, Report, StackOptions, Ui};
use crate::plan::{Plan, PlanMode, TargetAddresses};
use crate::state::OutputState;

#[derive(Parser, Debug)]
#[command(
    name = "terrane",
    version,
    about = "Plan and apply AWS infrastructure described in Terraform's language"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Plain output even on a terminal (as NO_COLOR; Terraform's -no-color).
    #[arg(long, global = true)]
    no_color: bool,
    /// Terraform's -input. terrane never asks for variable values; with
    /// false, an apply that would ask for confirmation fails instead.
    #[arg(long, global = true, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    input: bool,
    /// At the end, print on stderr the AWS calls made (by service and
    /// operation, with retries) and terrane's own CPU time; as one JSON
    /// object with `--stats=json`, or when the command prints JSON.
    #[arg(long, global = true, value_name = "FORMAT", num_args = 0..=1, default_missing_value = "text")]
    stats: Option<StatsFormat>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq)]
enum StatsFormat {
    Text,
    Json,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check a stack's files without calling AWS. Variables without a value
    /// are checked as unknown, as `terraform validate` does.
    Validate {
        /// The stack directory.
        #[arg(default_value = ".")]
        dir: PathBuf,
        #[command(flatten)]
        variables: VarArgs,
        #[command(flatten)]
        limits: LimitArgs,
        #[command(flatten)]
        policy: PolicyArgs,
    },
    /// Show what apply would change.
    Plan {
        #[command(flatten)]
        stack: StackArgs,
        #[command(flatten)]
        planning: PlanArgs,
        /// Exit 0 when there are no changes, 2 when there are, 1 on error.
        #[arg(long)]
        detailed_exitcode: bool,
        /// Plan to destroy everything the stack manages.
        #[arg(long)]
        destroy: bool,
        /// Save the plan to this file, for `terrane apply FILE`.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Print the plan as JSON (the shape of `terraform show -json`)
        /// instead of the human plan.
        #[arg(long)]
        json: bool,
        /// Write resource blocks for import blocks that have none to this
        /// new file (in the stack's directory, so the plan includes them).
        #[arg(long, value_name = "FILE")]
        generate_config_out: Option<PathBuf>,
        /// Also write the plan as Markdown to FILE, for a pull request
        /// comment: counts, replacements and deletions first, every
        /// change, drift, policy findings.
        #[arg(long, value_name = "FILE")]
        summary_md: Option<PathBuf>,
    },
    /// Show a saved plan.
    Show {
        /// A plan file written by `terrane plan --out`.
        file: PathBuf,
        /// Print it as JSON (the shape of `terraform show -json`).
        #[arg(long)]
        json: bool,
    },
    /// Make AWS match the stack; `terrane apply FILE` carries out a saved
    /// plan exactly, without asking.
    Apply {
        #[command(flatten)]
        stack: StackArgs,
        #[command(flatten)]
        planning: PlanArgs,
        /// Don't ask for confirmation.
        #[arg(long)]
        auto_approve: bool,
    },
    /// Destroy everything the stack manages.
    Destroy {
        #[command(flatten)]
        stack: StackArgs,
        #[command(flatten)]
        planning: PlanArgs,
        /// Don't ask for confirmation.
        #[arg(long)]
        auto_approve: bool,
    },
    /// Bring an existing AWS object under management: read it and record
    /// it in state at ADDRESS (docs/import.md gives each type's ID).
    Import {
        /// The stack directory, then the address and the id; the directory
        /// may be left out.
        #[arg(num_args = 2..=3, value_names = ["DIR", "ADDRESS", "ID"], required = true)]
        args: Vec<String>,
        #[command(flatten)]
        variables: VarArgs,
        /// Use this state file instead of the stack's backend.
        #[arg(long)]
        state: Option<PathBuf>,
        #[command(flatten)]
        lock: LockArgs,
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
        /// Print NAME's value alone, a string without quotes, for scripts
        /// (Terraform's -raw; prints a sensitive value too, as Terraform).
        #[arg(long, conflicts_with = "json")]
        raw: bool,
        /// Print the value of a sensitive output (named by NAME) instead of
        /// hiding it.
        #[arg(long)]
        show_sensitive: bool,
        /// Use this state file instead of the stack's backend.
        #[arg(long)]
        state: Option<PathBuf>,
    },
    /// Evaluate expressions against the stack: one per line of standard
    /// input, with variables, locals and resource attributes from state.
    Console {
        /// The stack directory.
        #[arg(default_value = ".")]
        dir: PathBuf,
        #[command(flatten)]
        variables: VarArgs,
        /// Use this state file instead of the stack's backend.
        #[arg(long)]
        state: Option<PathBuf>,
    },
    /// Rewrite the stack's files in the canonical layout (`terraform fmt`'s).
    Fmt {
        /// The directory (or one file) to format.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Change nothing; exit 3 if a file is not canonically laid out.
        #[arg(long)]
        check: bool,
        /// Show the changes as unified diffs.
        #[arg(long)]
        diff: bool,
        /// Also format the files in subdirectories.
        #[arg(long)]
        recursive: bool,
    },
    /// List the resource types and data sources terrane supports, with
    /// their arguments and attributes.
    Types {
        /// Only this type (e.g. aws_vpc).
        name: Option<String>,
        /// Print them as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the resource graph in Graphviz DOT.
    Graph {
        /// The stack directory.
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Install the modules the stack calls (registry and git sources) and
    /// check that its state backend is reachable.
    Init {
        /// The stack directory.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Create a missing S3 state bucket, with versioning, default
        /// encryption and all public access blocked.
        #[arg(long)]
        create_state_bucket: bool,
        /// With false, install modules only and leave the backend alone
        /// (Terraform's -backend=false, for offline checks in CI).
        #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
        backend: bool,
        /// Use this state file instead of the stack's backend.
        #[arg(long)]
        state: Option<PathBuf>,
    },
    /// Remove a stale state lock, e.g. of a run that was killed.
    #[command(allow_missing_positional = true)]
    ForceUnlock {
        /// The stack directory.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// The lock ID the "locked" error names.
        lock_id: String,
        /// Use this state file instead of the stack's backend.
        #[arg(long)]
        state: Option<PathBuf>,
    },
    /// Inspect and repair state.
    #[command(subcommand)]
    State(state::StateCommand),
    /// Several states for one stack (`staging`, `production`), laid out
    /// as Terraform's workspaces.
    #[command(subcommand)]
    Workspace(workspace::WorkspaceCommand),
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

/// Limits that keep a mistake from exhausting the machine.
#[derive(Args, Debug, Clone)]
struct LimitArgs {
    /// The most instances one `count` or `for_each` may make.
    #[arg(long, value_name = "N", default_value_t = crate::lang::config::DEFAULT_MAX_INSTANCES)]
    max_instances: usize,
}

/// How the built-in policy checks fail a run.
#[derive(Args, Debug, Clone)]
struct PolicyArgs {
    /// Fail on policy findings of this severity or above (default: the
    /// policy file's `fail_on`, else `error`).
    #[arg(long, value_name = "SEVERITY", value_parser = ["warning", "error"])]
    policy_fail_on: Option<String>,
}

impl PolicyArgs {
    fn severity(&self) -> Option<crate::policy::Severity> {
        self.policy_fail_on
            .as_deref()
            .and_then(crate::policy::Severity::parse)
    }
}

/// `--var` and `--var-file`.
#[derive(Args, Debug, Clone)]
pub(crate) struct VarArgs {
    /// Set a variable: --var name=value (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub(crate) vars: Vec<String>,
    /// Read variables from a .tfvars file (repeatable).
    #[arg(long = "var-file", value_name = "FILE")]
    pub(crate) var_files: Vec<PathBuf>,
}

/// How to plan: refreshing or not.
#[derive(Args, Debug, Clone)]
struct PlanArgs {
    /// Only read objects back and propose recording what changed outside
    /// terrane in state; change nothing in AWS.
    #[arg(long, conflicts_with = "refresh")]
    refresh_only: bool,
    /// Read every object back from AWS before planning (`--refresh=false`
    /// plans from state alone).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    refresh: bool,
    /// Plan only this resource, instance or module, and what it depends
    /// on (repeatable). For exceptional situations: the plan is partial.
    #[arg(long = "target", value_name = "ADDRESS")]
    targets: Vec<String>,
    /// Plan everything except this resource, instance or module, and
    /// what depends on it (repeatable).
    #[arg(long = "exclude", value_name = "ADDRESS")]
    excludes: Vec<String>,
    /// Replace this instance even though nothing forces it (repeatable).
    #[arg(long = "replace", value_name = "ADDRESS")]
    replace: Vec<String>,
}

impl PlanArgs {
    fn options(&self, destroy: bool) -> PlanOptions {
        let mode = if self.refresh_only {
            PlanMode::RefreshOnly
        } else if !self.refresh {
            PlanMode::NoRefresh
        } else {
            PlanMode::Normal
        };
        PlanOptions {
            destroy,
            mode,
            out: None,
            targeting: TargetAddresses {
                targets: self.targets.clone(),
                excludes: self.excludes.clone(),
                replace: self.replace.clone(),
            },
            timestamp: None,
            generate_config_out: None,
            json: false,
        }
    }
}

#[derive(Args, Debug)]
struct StackArgs {
    /// The stack directory.
    #[arg(default_value = ".")]
    dir: PathBuf,
    #[command(flatten)]
    variables: VarArgs,
    /// At most this many operations at work at once; one that waits for
    /// AWS gives its place to the next meanwhile.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..))]
    parallelism: u16,
    /// Use this state file instead of the stack's backend.
    #[arg(long)]
    state: Option<PathBuf>,
    #[command(flatten)]
    lock: LockArgs,
    #[command(flatten)]
    limits: LimitArgs,
    #[command(flatten)]
    policy: PolicyArgs,
}

impl StackArgs {
    fn options(&self) -> StackOptions {
        StackOptions {
            dir: self.dir.clone(),
            vars: self.variables.vars.clone(),
            var_files: self.variables.var_files.clone(),
            state_path: self.state.clone(),
            lock: self.lock.options(),
            validate_only: false,
            max_instances: Some(self.limits.max_instances),
            policy_fail_on: self.policy.severity(),
            ..StackOptions::default()
        }
    }
}

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    use clap::CommandFactory;
    let flags = terraform_args::long_flags(&Cli::command());
    let args = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let normalised = match terraform_args::normalise(args, &flags, |name| std::env::var(name).ok())
    {
        Ok(normalised) => normalised,
        Err(message) => {
            errln!("error: {message}");
            return 1;
        }
    };
    if let Some(dir) = &normalised.chdir
        && let Err(e) = std::env::set_current_dir(dir)
    {
        errln!(
            "error: cannot change to the directory {} (-chdir): {e}",
            dir.display()
        );
        return 1;
    }
    let cli = match Cli::try_parse_from(normalised.args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => 0,
                _ => 1,
            };
        }
    };
    // One thread for everything: terrane's work per request is small next
    // to AWS's time, and on more threads the steps, their connections and
    // the apply loop wake each other across them. A worker per core cost a
    // 1,000-resource apply about a sixth more CPU than one worker, and one
    // worker beside the command's thread a tenth more than this (a
    // twentieth at 10,000 resources), for no less wall time
    // (bench/results/2026-12-05-one-worker-ad-hoc.md,
    // 2026-12-05-one-thread-ad-hoc.md). While requests are in flight,
    // nothing blocks it but the local disk: state saves are awaited, and
    // what must block (a confirmation prompt) goes to `spawn_blocking`.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(e) => {
            errln!("error: cannot start the async runtime: {e}");
            return 1;
        }
    };
    render::set_plain(cli.no_color);
    NO_INPUT.store(!cli.input, std::sync::atomic::Ordering::Relaxed);
    let stats = cli
        .stats
        .map(|format| format == StatsFormat::Json || prints_json(&cli.command));
    let result = runtime.block_on(run(cli));
    if let Some(json) = stats {
        print_stats(&ops::stats::run_stats(), json);
    }
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

/// Whether the command's own output is JSON.
fn prints_json(command: &Command) -> bool {
    match command {
        Command::Plan { json, .. } | Command::Output { json, .. } => *json,
        Command::Show { json, .. } => *json,
        _ => false,
    }
}

fn print_stats(stats: &ops::stats::RunStats, json: bool) {
    if json {
        errln!("{}", stats.to_json());
        return;
    }
    let total = stats.total();
    errln!(
        "\nStats: {} AWS calls, {} retries; terrane's CPU time {:.2} s user, {:.2} s system",
        total.calls,
        total.retries(),
        stats.user_cpu.as_secs_f64(),
        stats.system_cpu.as_secs_f64()
    );
    if let Some(path) = stats.critical_path {
        errln!(
            "Critical path: {} round trips to AWS, {:.2} s in AWS",
            path.round_trips,
            path.seconds_in_aws
        );
    }
    for ((service, operation), calls) in &stats.calls {
        let retries = match calls.retries() {
            0 => String::new(),
            n => format!(" ({n} retried)"),
        };
        errln!(
            "  {service:<28} {operation:<40} {:>6}{retries}",
            calls.calls
        );
    }
}

/// `--input=false`: nothing may be asked at the terminal.
static NO_INPUT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// `TF_IN_AUTOMATION` set: leave out the advice about which command to run
/// next, as Terraform does, since a pipeline decides that.
fn in_automation() -> bool {
    std::env::var_os("TF_IN_AUTOMATION").is_some_and(|v| !v.is_empty())
}

fn print_diagnostics(sources: &Sources, diags: &Diagnostics) {
    let color = render::use_color();
    for diag in diags.iter() {
        errln!("{}\n", render::diagnostic(sources, diag, color));
    }
}

async fn run(cli: Cli) -> Result<i32, Report> {
    match cli.command {
        Command::Validate {
            dir,
            variables,
            limits,
            policy,
        } => {
            let stack = ops::load(&StackOptions {
                dir,
                vars: variables.vars,
                var_files: variables.var_files,
                validate_only: true,
                max_instances: Some(limits.max_instances),
                policy_fail_on: policy.severity(),
                ..StackOptions::default()
            })?;
            print_diagnostics(&stack.config.sources, &stack.warnings);
            print_diagnostics(
                &stack.config.sources,
                &crate::policy::diagnostics(&stack.findings),
            );
            ops::policy::gate(&stack.findings, stack.policy.fail_on)?;
            outln!("Success! The configuration is valid.");
            Ok(0)
        }
        Command::Fmt {
            path,
            check,
            diff,
            recursive,
        } => {
            let changed = ops::fmt::format_files(&ops::fmt::FmtOptions {
                path,
                check,
                diff,
                recursive,
            })?;
            for file in &changed {
                outln!("{}", file.path.display());
                if let Some(diff) = &file.diff {
                    out!("{diff}");
                }
            }
            // Terraform's `fmt -check` exits 3 when a file needs formatting.
            Ok(if check && !changed.is_empty() { 3 } else { 0 })
        }
        Command::Types { name, json } => {
            let docs = ops::types::describe_types(name.as_deref())?;
            if json {
                outln!(
                    "{}",
                    serde_json::to_string_pretty(&docs).expect("types serialise")
                );
                return Ok(0);
            }
            for (i, doc) in docs.iter().enumerate() {
                if name.is_none() && i > 0 {
                    outln!();
                }
                outln!("{} {}", doc.kind, doc.name);
                let width = doc
                    .arguments
                    .iter()
                    .map(|a| a.name.len())
                    .max()
                    .unwrap_or(0);
                for argument in &doc.arguments {
                    let mut notes = argument.presence.clone();
                    if argument.forces_replacement {
                        notes.push_str(", forces replacement");
                    }
                    if argument.sensitive {
                        notes.push_str(", sensitive");
                    }
                    outln!("  {:width$}  {:14}  {notes}", argument.name, argument.ty);
                }
            }
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
            planning,
            detailed_exitcode,
            destroy,
            out,
            json,
            generate_config_out,
            summary_md,
        } => {
            let options = PlanOptions {
                out,
                generate_config_out,
                json,
                ..planning.options(destroy)
            };
            plan(&stack, &options, detailed_exitcode, summary_md.as_deref()).await
        }
        Command::Import {
            args,
            variables,
            state,
            lock,
        } => {
            let (dir, address, id) = match args.as_slice() {
                [address, id] => (PathBuf::from("."), address, id),
                [dir, address, id] => (PathBuf::from(dir), address, id),
                _ => unreachable!("clap takes two or three"),
            };
            let options = StackOptions {
                dir,
                vars: variables.vars,
                var_files: variables.var_files,
                state_path: state,
                lock: lock.options(),
                ..StackOptions::default()
            };
            let interrupt = stop_on_signals()?;
            let imported = ops::import::import(&options, address, id, interrupt, &Terminal).await?;
            outln!(
                "{}: Import prepared and recorded in state [id={}]\n\nImport successful!\n\nThe object is now managed by terrane. Run `terrane plan` to see how it differs from the configuration.",
                imported.address,
                imported.id
            );
            Ok(0)
        }
        Command::Show { file, json } => {
            let saved = ops::saved_plan::read(&file)?;
            if json {
                outln!("{}", saved.json);
            } else {
                let plan = saved.to_plan();
                out!("{}", plan_view::render(&plan));
                print_planned_outputs(&plan);
            }
            Ok(0)
        }
        Command::Apply {
            stack,
            planning,
            auto_approve,
        } => apply(&stack, planning.options(false), auto_approve).await,
        Command::Destroy {
            stack,
            planning,
            auto_approve,
        } => apply(&stack, planning.options(true), auto_approve).await,
        Command::Output {
            dir,
            name,
            json,
            raw,
            show_sensitive,
            state,
        } => {
            // `terrane output NAME`, as Terraform spells it: a lone argument
            // that is not a directory is the output's name.
            let (dir, name) = match name {
                None if !dir.is_dir() => (PathBuf::from("."), Some(dir.display().to_string())),
                name => (dir, name),
            };
            if raw && name.is_none() {
                return Err(Report::error(
                    crate::diag::Diagnostic::error("--raw needs the name of one output")
                        .with_hint("terrane output --raw NAME"),
                ));
            }
            let format = if raw {
                OutputFormat::Raw
            } else if json {
                OutputFormat::Json
            } else {
                OutputFormat::Hcl
            };
            output(dir, name, format, show_sensitive, state).await
        }
        Command::Console {
            dir,
            variables,
            state,
        } => {
            let options = StackOptions {
                dir,
                vars: variables.vars,
                var_files: variables.var_files,
                state_path: state,
                ..StackOptions::default()
            };
            console(ops::console(&options).await?)
        }
        Command::Init {
            dir,
            create_state_bucket,
            backend,
            state,
        } => state::init(&dir, create_state_bucket, backend, state.as_deref()).await,
        Command::ForceUnlock {
            dir,
            lock_id,
            state,
        } => state::force_unlock(&dir, &lock_id, state.as_deref()).await,
        Command::State(command) => state::run(command).await,
        Command::Workspace(command) => workspace::run(command).await,
    }
}

/// The terminal as the operations see it: warnings and the plan are printed
/// as soon as they are known, confirmation is read from stdin.
struct Terminal;

#[async_trait::async_trait]
impl Ui for Terminal {
    fn warnings(&self, sources: &Sources, diags: &Diagnostics) {
        print_diagnostics(sources, diags);
    }

    fn plan(&self, plan: &Plan) {
        out!("{}", plan_view::render(plan));
    }

    async fn confirm(&self, destroy: bool) -> bool {
        if NO_INPUT.load(std::sync::atomic::Ordering::Relaxed) {
            errln!(
                "error: the changes need confirmation, but --input=false forbids asking\n  = help: add --auto-approve (Terraform's -auto-approve), or apply a saved plan"
            );
            return false;
        }
        // The prompt blocks on stdin, so it runs off the async thread and
        // Ctrl-C can still end the run (and release the lock).
        tokio::task::spawn_blocking(move || confirm(destroy))
            .await
            .unwrap_or(false)
    }

    fn event(&self, event: &Event<'_>) {
        progress_view::on_event(event);
    }
}

async fn plan(
    args: &StackArgs,
    planning: &PlanOptions,
    detailed_exitcode: bool,
    summary_md: Option<&std::path::Path>,
) -> Result<i32, Report> {
    let interrupt = stop_on_signals()?;
    let outcome = ops::plan(&args.options(), planning, interrupt, &Terminal).await?;
    let plan = outcome.plan;
    if let Some(json) = &outcome.json {
        outln!("{json}");
    } else {
        out!("{}", plan_view::render(&plan));
        print_planned_outputs(&plan);
        if let Some(path) = &planning.out {
            if in_automation() {
                outln!("\nSaved the plan to {}.", path.display());
            } else {
                outln!(
                    "\nSaved the plan to {}. To carry out exactly these actions, run:\n    terrane apply {}",
                    path.display(),
                    path.display()
                );
            }
        }
    }
    if let Some(path) = summary_md {
        let name = ops::stack_name(&args.dir);
        let markdown = summary_md::render(&plan, &outcome.findings, &name);
        std::fs::write(path, markdown).map_err(|e| {
            Report::error(crate::diag::Diagnostic::error(format!(
                "Cannot write the summary to {}: {e}",
                path.display()
            )))
        })?;
    }
    ops::policy::gate(&outcome.findings, outcome.policy_fail_on)?;
    Ok(if detailed_exitcode && plan.has_changes() {
        2
    } else {
        0
    })
}

fn print_planned_outputs(plan: &Plan) {
    if plan.destroy || plan.outputs.is_empty() || !plan.has_changes() {
        return;
    }
    outln!("\nChanges to Outputs:");
    for (name, output) in &plan.outputs {
        let value = output.value.clone().mark_if(output.sensitive);
        outln!("  + {name} = {value}");
    }
}

async fn apply(args: &StackArgs, planning: PlanOptions, auto_approve: bool) -> Result<i32, Report> {
    let destroy = planning.destroy;
    // `terrane apply FILE`: a file where the stack directory goes.
    let saved = args.dir.is_file().then(|| args.dir.clone());
    if saved.is_some()
        && (destroy
            || planning.mode != PlanMode::Normal
            || planning.targeting != TargetAddresses::default())
    {
        return Err(Report::error(
            crate::diag::Diagnostic::error("A saved plan is applied as it was made")
                .with_detail("destroy, --refresh-only, --refresh, --target, --exclude and --replace cannot change it; apply it with `terrane apply FILE`")
                .with_hint("make a new plan with those options and `--out FILE`, then apply that"),
        ));
    }
    let options = ApplyOptions {
        stack: args.options(),
        plan: planning,
        saved,
        auto_approve,
        parallelism: usize::from(args.parallelism),
        interrupt: stop_on_signals()?,
    };
    let applied = ops::apply(&options, &Terminal).await;
    progress_view::finish();
    match applied? {
        Applied::Cancelled => {
            errln!("\nApply cancelled.");
            Ok(1)
        }
        Applied::Complete {
            no_changes,
            added,
            changed,
            destroyed,
            outputs,
        } => {
            if destroy && !no_changes {
                outln!("\nDestroy complete! Resources: {destroyed} destroyed.");
            } else {
                outln!(
                    "\nApply complete! Resources: {added} added, {changed} changed, {destroyed} destroyed."
                );
                if !outputs.is_empty() {
                    outln!("\nOutputs:\n");
                    print_outputs(&outputs);
                }
            }
            Ok(0)
        }
    }
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

/// `name = value` lines, sensitive values hidden.
fn print_outputs(outputs: &BTreeMap<String, OutputState>) {
    for (name, output) in outputs {
        let value = if output.sensitive {
            "<sensitive>".to_string()
        } else {
            output.value.to_string()
        };
        outln!("{name} = {value}");
    }
}

/// Reads expressions from standard input and prints each value as
/// `terraform console` does. At a terminal a problem is shown and the next
/// line read; from a pipe the first problem ends the run with exit code 1,
/// as in Terraform.
fn console(mut console: ops::Console) -> Result<i32, Report> {
    use std::io::IsTerminal;
    print_diagnostics(&console.sources, &console.warnings);
    let interactive = std::io::stdin().is_terminal();
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    loop {
        if interactive {
            out!("> ");
            let _ = std::io::stdout().flush();
        }
        let line = match lines.next() {
            None => return Ok(0),
            Some(Ok(line)) => line,
            Some(Err(e)) => {
                return Err(Report::error(crate::diag::Diagnostic::error(format!(
                    "Cannot read standard input: {e}"
                ))));
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        if interactive && matches!(line.trim(), "exit" | "quit") {
            return Ok(0);
        }
        match console.evaluate(&line) {
            Ok(value) => outln!("{}", render::console_value(&value, 0)),
            Err(diag) if interactive => {
                print_diagnostics(&console.sources, &Diagnostics::from(diag));
            }
            Err(diag) => {
                return Err(Report {
                    sources: std::mem::take(&mut console.sources),
                    diags: Diagnostics::from(diag),
                });
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum OutputFormat {
    Hcl,
    Json,
    Raw,
}

async fn output(
    dir: PathBuf,
    name: Option<String>,
    format: OutputFormat,
    show_sensitive: bool,
    state_path: Option<PathBuf>,
) -> Result<i32, Report> {
    let json = format == OutputFormat::Json;
    let options = StackOptions {
        dir,
        state_path,
        ..StackOptions::default()
    };
    let found = ops::output(&options, name.as_deref()).await?;
    print_diagnostics(&found.sources, &found.warnings);
    let outputs = found.outputs;
    match name {
        Some(name) => {
            for output in outputs.values() {
                if format == OutputFormat::Raw {
                    match output.value.to_string_lossless() {
                        Some(text) => out!("{text}"),
                        None => {
                            return Err(Report::error(
                                crate::diag::Diagnostic::error("Unsupported value for raw output")
                                    .with_detail(format!(
                                        "The output {name:?} is a {}; --raw prints only strings, numbers and bools.",
                                        output.value.type_name()
                                    ))
                                    .with_hint("use --json for other values"),
                            ));
                        }
                    }
                } else if output.sensitive && !show_sensitive {
                    outln!("(sensitive value)");
                    errln!("note: the output is sensitive; --show-sensitive prints its value");
                } else if json {
                    outln!("{}", output.value.to_json());
                } else {
                    outln!("{}", output.value);
                }
            }
        }
        None if json => {
            let all: serde_json::Map<String, serde_json::Value> = outputs
                .iter()
                .map(|(k, o)| {
                    (
                        k.clone(),
                        serde_json::json!({
                            "sensitive": o.sensitive,
                            "value": if o.sensitive && !show_sensitive {
                                serde_json::Value::Null
                            } else {
                                o.value.to_json()
                            },
                        }),
                    )
                })
                .collect();
            outln!("{}", serde_json::to_string_pretty(&all).unwrap_or_default());
        }
        None => {
            if outputs.is_empty() {
                errln!("warning: No outputs found");
            }
            print_outputs(&outputs);
        }
    }
    Ok(0)
}
