//! `make bench`: terrane and Terraform 1.x with hashicorp/aws, side by side,
//! on the same stack directories against fresh emulators (docs/performance.md).
//! It measures the terrane binary `TERRANE_BIN` names (the Makefile builds
//! it in release); this harness itself is built in the dev profile, with
//! the tests' dependencies.
//!
//! Every run goes through one loopback proxy that counts requests by
//! service and operation for both tools alike, and can add latency to every
//! request. For each command it measures wall time, the peak resident
//! memory of the tool's whole process tree (Terraform's provider plugin
//! included), the CPU time of that tree, and the requests. It writes
//! `bench/results/latest.json` and `latest.md` (the table docs/performance.md
//! shows) and `docs/performance-scaling.svg` (time against resources).
//!
//! Settings, from the environment:
//! - `BENCH_SIZES`: synthetic stack sizes, default `100,1000,10000`.
//! - `BENCH_TERRAFORM_MAX`: the largest synthetic size Terraform runs
//!   (default 1000: larger ones take it hours against the emulator).
//! - `BENCH_LATENCY_MS`: latency of the latency runs, default 50.
//! - `BENCH_ONLY`: run only scenarios whose name contains this.
//! - `BENCH_KEEP_LOGS`: a directory to keep each command's output in.
//! - `BENCH_FROM`: a results file (`latest.json` or a dated copy) to write
//!   the table and plot from again, measuring nothing.
//! - `TERRANE_MOTO_SERVER`: another emulator server to start instead of the
//!   venv's `moto_server` (as for the tests), such as
//!   `bench/moto_indexed_tags.py` behind a wrapper; the table's header
//!   names it.

#[allow(dead_code)]
#[path = "../tests/testsuite/support/emulator.rs"]
mod emulator;
#[allow(dead_code)]
#[path = "../tests/testsuite/support/proxy.rs"]
mod proxy;
#[allow(dead_code)]
#[path = "../tests/testsuite/support/terraform.rs"]
mod terraform;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use emulator::Emulator;
use proxy::{Faults, Proxy};
use serde_json::{Value as Json, json};

const REPO: &str = env!("CARGO_MANIFEST_DIR");
/// The terrane binary measured: `TERRANE_BIN`, a release build.
static TERRANE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

#[derive(Clone, Copy, Debug, PartialEq)]
enum Tool {
    Terrane,
    Terraform,
}

impl Tool {
    fn name(self) -> &'static str {
        match self {
            Tool::Terrane => "terrane",
            Tool::Terraform => "terraform",
        }
    }
}

/// One measured command.
struct Measured {
    wall: Duration,
    cpu: Duration,
    peak_rss_mb: f64,
    requests: BTreeMap<(String, String), usize>,
    ok: bool,
    /// terrane's `--stats=json`, when it printed one.
    stats: Option<Json>,
    log_tail: String,
}

/// A stack directory prepared for one tool, with the emulator and proxy it
/// runs against.
struct Prepared {
    tool: Tool,
    dir: PathBuf,
    emulator: Emulator,
    proxy: Proxy,
    vars: Vec<String>,
    cli_config: Option<PathBuf>,
    _root: tempfile::TempDir,
}

fn main() {
    if let Ok(saved) = std::env::var("BENCH_FROM") {
        rewrite_results(Path::new(&saved));
        return;
    }
    let Ok(terrane) = std::env::var("TERRANE_BIN") else {
        eprintln!("side_by_side: set TERRANE_BIN to a release build of terrane; `make bench` does");
        std::process::exit(1);
    };
    let terrane = std::fs::canonicalize(&terrane).unwrap_or_else(|e| {
        eprintln!("side_by_side: TERRANE_BIN={terrane}: {e}");
        std::process::exit(1)
    });
    TERRANE.set(terrane).expect("set once");
    let only = std::env::var("BENCH_ONLY").ok();
    let sizes: Vec<usize> = std::env::var("BENCH_SIZES")
        .unwrap_or_else(|_| "100,1000,10000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let terraform_max: usize = std::env::var("BENCH_TERRAFORM_MAX")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);
    let latency = Duration::from_millis(
        std::env::var("BENCH_LATENCY_MS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(50),
    );
    let mirror = terraform::provider_mirror();
    let terraform_ok = terraform_version().is_some() && mirror.is_some();
    if !terraform_ok {
        eprintln!("terraform or its provider mirror is missing: measuring terrane alone");
    }

    let mut scenarios: Vec<Scenario> = vec![Scenario::production(Duration::ZERO)];
    for &size in &sizes {
        scenarios.push(Scenario::synthetic(
            size,
            Duration::ZERO,
            size <= terraform_max,
        ));
    }
    scenarios.push(Scenario::production(latency));
    scenarios.push(Scenario::synthetic(1000, latency, 1000 <= terraform_max));
    // terrane's apply against its own critical path, at 100 ms a request.
    let mut critical = Scenario::production(Duration::from_millis(100));
    critical.terraform = false;
    critical.commands = vec!["apply"];
    scenarios.push(critical);
    scenarios.retain(|s| only.as_deref().is_none_or(|o| s.name.contains(o)));

    let work = tempfile::tempdir().expect("work dir");
    let mut rows = Vec::new();
    for scenario in &scenarios {
        let stack = scenario.stack_dir(work.path());
        let mut measured: BTreeMap<(&str, &str), Measured> = BTreeMap::new();
        // Resources by type, from terrane's state after apply.
        let mut applied: BTreeMap<String, usize> = BTreeMap::new();
        for tool in [Tool::Terrane, Tool::Terraform] {
            if tool == Tool::Terraform && !(terraform_ok && scenario.terraform) {
                continue;
            }
            eprintln!("== {} with {}", scenario.name, tool.name());
            let prepared = prepare(tool, &stack, scenario, mirror.as_deref());
            for &command in &scenario.commands {
                let result = run(&prepared, command);
                eprintln!(
                    "   {command:<16} {:>8.2} s  {:>7.0} MB  {:>6} requests{}",
                    result.wall.as_secs_f64(),
                    result.peak_rss_mb,
                    result.requests.values().sum::<usize>(),
                    if result.ok { "" } else { "  FAILED" }
                );
                let failed = !result.ok;
                if tool == Tool::Terrane && command == "apply" {
                    applied = types_in_state(&prepared.dir.join("state/stack.json"));
                }
                measured.insert((tool.name(), command), result);
                if failed {
                    break;
                }
            }
        }
        rows.push(scenario.report(&measured, &applied));
    }
    write_results(&rows, &machine());
}

/// A stack and the commands run on it.
struct Scenario {
    name: String,
    latency: Duration,
    commands: Vec<&'static str>,
    terraform: bool,
    source: Source,
}

enum Source {
    Production,
    Synthetic(usize),
}

impl Scenario {
    fn production(latency: Duration) -> Scenario {
        Scenario {
            name: with_latency("production", latency),
            latency,
            commands: vec!["apply", "plan-no-change", "destroy"],
            terraform: true,
            source: Source::Production,
        }
    }

    fn synthetic(size: usize, latency: Duration, terraform: bool) -> Scenario {
        let commands = if latency.is_zero() {
            vec![
                "validate",
                "plan-empty",
                "apply",
                "plan-no-change",
                "destroy",
            ]
        } else {
            vec!["apply", "plan-no-change", "destroy"]
        };
        Scenario {
            name: with_latency(&format!("synthetic-{size}"), latency),
            latency,
            commands,
            terraform,
            source: Source::Synthetic(size),
        }
    }

    fn stack_dir(&self, work: &Path) -> PathBuf {
        match self.source {
            Source::Production => Path::new(REPO).join("stacks/production"),
            Source::Synthetic(size) => {
                let dir = work.join(format!("synthetic-{size}"));
                if !dir.exists() {
                    let status = Command::new("python3")
                        .arg(Path::new(REPO).join("bench/synthetic_stack.py"))
                        .arg(size.to_string())
                        .arg(&dir)
                        .status()
                        .expect("run bench/synthetic_stack.py");
                    assert!(status.success(), "the synthetic stack generator failed");
                }
                dir
            }
        }
    }

    fn vars(&self) -> Vec<String> {
        match self.source {
            Source::Production => vec!["name=bench".into()],
            Source::Synthetic(_) => Vec::new(),
        }
    }

    /// One row per command, with both tools' figures and their ratio.
    fn report(
        &self,
        measured: &BTreeMap<(&str, &str), Measured>,
        applied: &BTreeMap<String, usize>,
    ) -> Json {
        let mut commands = Vec::new();
        for &command in &self.commands {
            let of = |tool: Tool| measured.get(&(tool.name(), command));
            let figures = |m: Option<&Measured>| {
                m.map(|m| {
                    json!({
                        "ok": m.ok,
                        "wall_seconds": m.wall.as_secs_f64(),
                        "cpu_seconds": m.cpu.as_secs_f64(),
                        "peak_rss_mb": m.peak_rss_mb,
                        "requests": m.requests.values().sum::<usize>(),
                        "requests_by_operation": m.requests.iter()
                            .map(|((s, o), n)| (format!("{s}:{o}"), json!(n)))
                            .collect::<serde_json::Map<_, _>>(),
                        "critical_path": m.stats.as_ref().map(|s| s["critical_path"].clone()),
                        "log_tail": if m.ok { String::new() } else { m.log_tail.clone() },
                    })
                })
            };
            let ratio = match (of(Tool::Terrane), of(Tool::Terraform)) {
                (Some(a), Some(b)) if a.ok && b.ok && !b.wall.is_zero() => {
                    Some(a.wall.as_secs_f64() / b.wall.as_secs_f64())
                }
                _ => None,
            };
            commands.push(json!({
                "command": command,
                "terrane": figures(of(Tool::Terrane)),
                "terraform": figures(of(Tool::Terraform)),
                "wall_ratio_terrane_to_terraform": ratio,
            }));
        }
        let resources = match self.source {
            Source::Production => applied.values().sum(),
            Source::Synthetic(size) => size,
        };
        json!({
            "scenario": self.name,
            "resources": resources,
            "refresh_floor_requests": refresh_floor(applied),
            "latency_ms": self.latency.as_millis() as u64,
            "commands": commands,
        })
    }
}

fn with_latency(name: &str, latency: Duration) -> String {
    if latency.is_zero() {
        name.to_string()
    } else {
        format!("{name} @{}ms", latency.as_millis())
    }
}

/// A fresh emulator, a proxy in front of it, and a copy of the stack.
fn prepare(tool: Tool, stack: &Path, scenario: &Scenario, mirror: Option<&Path>) -> Prepared {
    // The request recorder would slow the emulator for both tools alike;
    // the proxy counts requests instead.
    let emulator = Emulator::start_with(&[("MOTO_ENABLE_RECORDING", "false")]);
    let proxy = Proxy::start(
        emulator.endpoint(),
        Faults {
            latency: scenario.latency,
            ..Faults::default()
        },
    );
    let root = tempfile::tempdir().expect("temp dir");
    let dir = root.path().join("stack");
    copy_tree(stack, &dir);
    let mut cli_config = None;
    if tool == Tool::Terraform {
        std::fs::write(
            dir.join("bench_override.tf"),
            terraform_override(stack, &proxy.endpoint()),
        )
        .expect("override file");
        let config = root.path().join("cli.tfrc");
        let cache = std::env::temp_dir().join("terrane-bench-plugin-cache");
        std::fs::create_dir_all(&cache).expect("plugin cache");
        std::fs::write(
            &config,
            format!(
                "plugin_cache_dir = {:?}\nprovider_installation {{\n  filesystem_mirror {{\n    path    = {:?}\n    include = [\"registry.terraform.io/hashicorp/aws\"]\n  }}\n  direct {{\n    exclude = [\"registry.terraform.io/hashicorp/aws\"]\n  }}\n}}\n",
                cache.display().to_string(),
                mirror.expect("checked").display().to_string()
            ),
        )
        .expect("cli config");
        cli_config = Some(config);
    }
    let prepared = Prepared {
        tool,
        dir,
        emulator,
        proxy,
        vars: scenario.vars(),
        cli_config,
        _root: root,
    };
    if tool == Tool::Terraform {
        let init = run_raw(&prepared, &["init", "-input=false", "-no-color"]);
        assert!(init.ok, "terraform init failed:\n{}", init.log_tail);
    }
    prepared
}

/// Terraform's provider blocks pointed at the proxy (an override file, so
/// the stack's own files stay as they are). terrane reads
/// `AWS_ENDPOINT_URL` instead.
fn terraform_override(stack: &Path, endpoint: &str) -> String {
    let mut text = terraform::provider_override(endpoint, None);
    let files = std::fs::read_dir(stack).expect("stack dir");
    let declares_dr = files
        .flatten()
        .any(|f| std::fs::read_to_string(f.path()).is_ok_and(|t| t.contains("alias  = \"dr\"")));
    if declares_dr {
        text.push_str(&terraform::provider_override(endpoint, Some("dr")));
    }
    text
}

/// The command line of `command` for the prepared tool.
fn args(prepared: &Prepared, command: &str) -> Vec<String> {
    let mut args: Vec<String> = match (prepared.tool, command) {
        (Tool::Terrane, "validate") => vec!["validate".into()],
        (Tool::Terrane, "plan-empty" | "plan-no-change") => vec!["plan".into()],
        (Tool::Terrane, "apply") => vec!["apply".into(), "--auto-approve".into()],
        (Tool::Terrane, "destroy") => vec!["destroy".into(), "--auto-approve".into()],
        (Tool::Terraform, "validate") => vec!["validate".into(), "-no-color".into()],
        (Tool::Terraform, "plan-empty" | "plan-no-change") => {
            vec!["plan".into(), "-input=false".into(), "-no-color".into()]
        }
        (Tool::Terraform, "apply" | "destroy") => vec![
            command.into(),
            "-auto-approve".into(),
            "-input=false".into(),
            "-no-color".into(),
        ],
        _ => unreachable!("unknown command {command}"),
    };
    if prepared.tool == Tool::Terrane {
        args.push(prepared.dir.display().to_string());
        args.push("--stats=json".into());
        args.push("--no-color".into());
    }
    if command != "validate" {
        for var in &prepared.vars {
            args.push(match prepared.tool {
                Tool::Terrane => "--var".into(),
                Tool::Terraform => "-var".into(),
            });
            args.push(var.clone());
        }
    }
    args
}

fn run(prepared: &Prepared, command: &str) -> Measured {
    let args = args(prepared, command);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut measured = run_raw(prepared, &args);
    if prepared.tool == Tool::Terrane {
        measured.stats = measured.log_tail.lines().rev().find_map(|l| {
            serde_json::from_str::<Json>(l)
                .ok()
                .filter(|j| j.is_object())
        });
    }
    measured
}

/// Runs the tool with `args` in the stack directory, measuring it.
fn run_raw(prepared: &Prepared, args: &[&str]) -> Measured {
    let program = match prepared.tool {
        Tool::Terrane => TERRANE.get().expect("set in main").clone(),
        Tool::Terraform => PathBuf::from("terraform"),
    };
    let log = prepared.dir.join("bench.log");
    let mut command = Command::new(program);
    command
        .args(args)
        .current_dir(&prepared.dir)
        .envs(prepared.emulator.env())
        .env("AWS_ENDPOINT_URL", prepared.proxy.endpoint())
        .env("TF_IN_AUTOMATION", "1")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&log).expect("log"))
        .stderr(
            std::fs::File::options()
                .append(true)
                .open(&log)
                .expect("log"),
        );
    if prepared.tool == Tool::Terrane {
        // The emulator never throttles, and Terraform limits nothing on its
        // side: like for like, terrane's client-side limits are off.
        command.env("TERRANE_RATE_LIMITS", "off");
    }
    if let Some(config) = &prepared.cli_config {
        command.env("TF_CLI_CONFIG_FILE", config);
    }
    let before_requests = prepared.proxy.counts();
    let before_cpu = children_cpu();
    let started = Instant::now();
    let mut child = command.spawn().expect("start the tool");
    let peak = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done, pid) = (peak.clone(), done.clone(), child.id());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(tree_rss_kb(pid), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    let status = child.wait().expect("wait for the tool");
    let wall = started.elapsed();
    done.store(true, Ordering::Relaxed);
    let _ = sampler.join();
    let cpu = children_cpu().saturating_sub(before_cpu);
    let mut requests = prepared.proxy.counts();
    for (key, before) in before_requests {
        if let Some(n) = requests.get_mut(&key) {
            *n -= before;
        }
    }
    requests.retain(|_, n| *n > 0);
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    if let Ok(keep) = std::env::var("BENCH_KEEP_LOGS") {
        // Named by when it ran, so that runs of several scenarios never
        // overwrite each other.
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |t| t.as_millis());
        let command = args.first().copied().unwrap_or("run");
        let name = format!("{stamp}-{}-{command}.log", prepared.tool.name());
        let _ = std::fs::create_dir_all(&keep);
        let _ = std::fs::write(Path::new(&keep).join(name), &text);
    }
    let tail: Vec<&str> = text.lines().rev().take(40).collect();
    Measured {
        wall,
        cpu,
        peak_rss_mb: peak.load(Ordering::Relaxed) as f64 / 1024.0,
        requests,
        ok: status.success(),
        stats: None,
        log_tail: tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
    }
}

/// CPU time (user + system) of every child this process has waited for.
fn children_cpu() -> Duration {
    // SAFETY: rusage is plain data that getrusage fills in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid pointer; RUSAGE_CHILDREN needs nothing else.
    if unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) } != 0 {
        return Duration::ZERO;
    }
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec.max(0) as u64) + Duration::from_micros(t.tv_usec.max(0) as u64)
    };
    time(usage.ru_utime) + time(usage.ru_stime)
}

/// The resident memory of `pid` and all its descendants, in KiB.
fn tree_rss_kb(pid: u32) -> u64 {
    let mut parents: BTreeMap<u32, u32> = BTreeMap::new();
    let mut rss: BTreeMap<u32, u64> = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    for entry in entries.flatten() {
        let Some(p) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(status) = std::fs::read_to_string(entry.path().join("status")) else {
            continue;
        };
        for line in status.lines() {
            if let Some(v) = line.strip_prefix("PPid:") {
                parents.insert(p, v.trim().parse().unwrap_or(0));
            } else if let Some(v) = line.strip_prefix("VmRSS:") {
                rss.insert(
                    p,
                    v.trim().trim_end_matches("kB").trim().parse().unwrap_or(0),
                );
            }
        }
    }
    let in_tree = |mut p: u32| {
        while p > 1 {
            if p == pid {
                return true;
            }
            p = parents.get(&p).copied().unwrap_or(0);
        }
        false
    };
    rss.iter()
        .filter(|(p, _)| in_tree(**p))
        .map(|(_, kb)| kb)
        .sum()
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let target = to.join(entry.file_name());
        let name = entry.file_name();
        if name == ".terraform" || name.to_string_lossy().ends_with(".tfstate") {
            continue;
        }
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

fn terraform_version() -> Option<String> {
    let output = Command::new("terraform").arg("version").output().ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    output
        .status
        .success()
        .then(|| text.lines().next().unwrap_or_default().to_string())
}

/// What the numbers were measured on.
fn machine() -> Json {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory_gb = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| (kb / 1024.0 / 1024.0).round());
    let date = Command::new("date")
        .arg("-u")
        .arg("+%Y-%m-%d %H:%M UTC")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    json!({
        "cpu": cpu,
        "cores": cores,
        "memory_gb": memory_gb,
        "date": date,
        "terraform": terraform_version(),
        "aws_provider": provider_version(),
        "terrane": env!("CARGO_PKG_VERSION"),
        "emulator": emulator::replacement_server()
            .map_or_else(|| "moto".into(), |server| server.display().to_string()),
    })
}

fn provider_version() -> Option<String> {
    let dir = terraform::provider_mirror()?.join("registry.terraform.io/hashicorp/aws");
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .max()
}

fn write_results(rows: &[Json], machine: &Json) {
    let dir = Path::new(REPO).join("bench/results");
    std::fs::create_dir_all(&dir).expect("results dir");
    let results = json!({ "machine": machine, "scenarios": rows });
    std::fs::write(
        dir.join("latest.json"),
        serde_json::to_string_pretty(&results).expect("json") + "\n",
    )
    .expect("write latest.json");
    let table = table(rows, machine);
    std::fs::write(dir.join("latest.md"), &table).expect("write latest.md");
    println!("{table}");
    plot(rows, &Path::new(REPO).join("docs/performance-scaling.svg"));
}

/// Writes the table and plot of a saved run again (`BENCH_FROM`), e.g.
/// after a partial run overwrote those of the last full one.
fn rewrite_results(saved: &Path) {
    let results: Json = std::fs::read_to_string(saved)
        .map_err(|e| e.to_string())
        .and_then(|text| serde_json::from_str(&text).map_err(|e| e.to_string()))
        .unwrap_or_else(|e| {
            eprintln!("side_by_side: BENCH_FROM={}: {e}", saved.display());
            std::process::exit(1)
        });
    let Some(rows) = results["scenarios"].as_array() else {
        eprintln!(
            "side_by_side: BENCH_FROM={}: no \"scenarios\" list",
            saved.display()
        );
        std::process::exit(1)
    };
    write_results(rows, &results["machine"]);
}

fn seconds(figures: &Json) -> String {
    match figures.get("wall_seconds").and_then(Json::as_f64) {
        Some(s) if figures["ok"] == true => format!("{s:.2}"),
        Some(_) => "failed".into(),
        None => "–".into(),
    }
}

/// The markdown table of a run.
fn table(rows: &[Json], machine: &Json) -> String {
    let mut out = format!(
        "Measured {} on {} ({} cores, {} GB), against {} through a counting proxy; {}, aws provider {}; terrane {} (release build).\n\n",
        machine["date"].as_str().unwrap_or_default(),
        machine["cpu"].as_str().unwrap_or_default(),
        machine["cores"],
        machine["memory_gb"],
        // Runs saved before the field was recorded all used moto.
        machine["emulator"].as_str().unwrap_or("moto"),
        machine["terraform"].as_str().unwrap_or("no terraform"),
        machine["aws_provider"].as_str().unwrap_or("–"),
        machine["terrane"].as_str().unwrap_or_default(),
    );
    out.push_str("| stack | resources | command | terrane s | terraform s | terrane / terraform | terrane requests | terraform requests | requests vs refresh floor (terrane, terraform) | terrane wall / critical path | terrane peak MB | terraform peak MB | terrane CPU s | terraform CPU s |\n");
    out.push_str("|---|---:|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|\n");
    for row in rows {
        for command in row["commands"].as_array().into_iter().flatten() {
            let (a, b) = (&command["terrane"], &command["terraform"]);
            let number = |v: &Json, key: &str, digits: usize| {
                v.get(key)
                    .and_then(Json::as_f64)
                    .map_or("–".to_string(), |x| format!("{x:.digits$}"))
            };
            let floor = row["refresh_floor_requests"]
                .as_f64()
                .filter(|_| command["command"] == "plan-no-change");
            let versus_floor = match floor {
                Some(floor) => {
                    let times = |v: &Json| {
                        v.get("requests")
                            .and_then(Json::as_f64)
                            .map_or("–".to_string(), |r| format!("{:.1}×", r / floor))
                    };
                    format!("{} of {floor}: {}, {}", "floor", times(a), times(b))
                }
                None => "–".into(),
            };
            let critical = a
                .get("critical_path")
                .and_then(|p| p.get("seconds_in_aws"))
                .and_then(Json::as_f64)
                .zip(a.get("wall_seconds").and_then(Json::as_f64))
                .filter(|(path, _)| *path > 0.0)
                .map_or("–".to_string(), |(path, wall)| {
                    format!("{:.2} ({wall:.1} s / {path:.1} s)", wall / path)
                });
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
                row["scenario"].as_str().unwrap_or_default(),
                row["resources"],
                command["command"].as_str().unwrap_or_default(),
                seconds(a),
                seconds(b),
                command["wall_ratio_terrane_to_terraform"]
                    .as_f64()
                    .map_or("–".to_string(), |r| format!("{r:.3}")),
                number(a, "requests", 0),
                number(b, "requests", 0),
                versus_floor,
                critical,
                number(a, "peak_rss_mb", 0),
                number(b, "peak_rss_mb", 0),
                number(a, "cpu_seconds", 2),
                number(b, "cpu_seconds", 2),
            ));
        }
    }
    out
}

/// Wall time against resources, log-log, for each tool's apply and
/// no-change plan on the synthetic stacks without added latency.
fn plot(rows: &[Json], path: &Path) {
    use plotters::prelude::*;
    let mut series: BTreeMap<(String, String), Vec<(f64, f64)>> = BTreeMap::new();
    for row in rows {
        if row["latency_ms"] != 0
            || !row["scenario"]
                .as_str()
                .unwrap_or_default()
                .starts_with("synthetic")
        {
            continue;
        }
        let resources = row["resources"].as_f64().unwrap_or(0.0);
        for command in row["commands"].as_array().into_iter().flatten() {
            let name = command["command"].as_str().unwrap_or_default();
            if !["validate", "apply", "plan-no-change"].contains(&name) {
                continue;
            }
            for tool in ["terrane", "terraform"] {
                let figures = &command[tool];
                if figures["ok"] == true {
                    series
                        .entry((tool.to_string(), name.to_string()))
                        .or_default()
                        .push((resources, figures["wall_seconds"].as_f64().unwrap_or(0.0)));
                }
            }
        }
    }
    if series.is_empty() {
        return;
    }
    let max_x = series.values().flatten().map(|p| p.0).fold(1.0, f64::max) * 1.5;
    let max_y = series.values().flatten().map(|p| p.1).fold(1.0, f64::max) * 2.0;
    let min_y = series
        .values()
        .flatten()
        .map(|p| p.1)
        .fold(max_y, f64::min)
        .max(0.001)
        / 2.0;
    let root = SVGBackend::new(path, (800, 520)).into_drawing_area();
    root.fill(&WHITE).expect("draw");
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Wall time against stack size (emulator, no added latency)",
            ("sans-serif", 20),
        )
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d((50f64..max_x).log_scale(), (min_y..max_y).log_scale())
        .expect("chart");
    chart
        .configure_mesh()
        .x_desc("resources")
        .y_desc("seconds")
        .draw()
        .expect("mesh");
    let colours = [&BLUE, &RED, &GREEN, &MAGENTA, &CYAN, &BLACK];
    for (i, ((tool, command), points)) in series.iter().enumerate() {
        let colour = colours[i % colours.len()];
        let style = ShapeStyle::from(colour).stroke_width(2);
        chart
            .draw_series(LineSeries::new(points.clone(), style))
            .expect("line")
            .label(format!("{tool} {command}"))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], style));
        chart
            .draw_series(points.iter().map(|p| Circle::new(*p, 3, colour.filled())))
            .expect("points");
    }
    chart
        .configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE.mix(0.9))
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .expect("legend");
    root.present().expect("write the plot");
}

/// Resources by type in a terrane state file.
fn types_in_state(path: &Path) -> BTreeMap<String, usize> {
    let mut types = BTreeMap::new();
    let Ok(text) = std::fs::read_to_string(path) else {
        return types;
    };
    let state: Json = serde_json::from_str(&text).unwrap_or_default();
    for resource in state["resources"].as_array().into_iter().flatten() {
        if let Some(t) = resource["type"].as_str() {
            *types.entry(t.to_string()).or_default() += 1;
        }
    }
    types
}

/// The fewest requests a full refresh of these resources needs: per type,
/// one batched Describe per page (of the API's largest page), plus the
/// per-object reads AWS offers no batch for. Types not listed count one read
/// per object, a lower bound for APIs that read one object per call.
fn refresh_floor(types: &BTreeMap<String, usize>) -> Option<u64> {
    if types.is_empty() {
        return None;
    }
    let pages = |n: usize, page: usize| n.div_ceil(page) as u64;
    let floor = types
        .iter()
        .map(|(t, &n)| match t.as_str() {
            // DescribeVpcs, plus the default security group, main route
            // table and default network ACL (each one batched call), and
            // DescribeVpcAttribute three times per VPC (DNS support, DNS
            // hostnames, address usage metrics), as both tools read them.
            "aws_vpc" => 4 * pages(n, 1000) + 3 * n as u64,
            // One batched Describe each (1,000 a page).
            "aws_subnet"
            | "aws_security_group"
            | "aws_route_table"
            | "aws_internet_gateway"
            | "aws_eip"
            | "aws_nat_gateway"
            | "aws_route"
            | "aws_route_table_association"
            | "aws_vpc_security_group_ingress_rule"
            | "aws_vpc_security_group_egress_rule"
            | "aws_security_group_rule" => pages(n, 1000),
            // DescribeLaunchTemplates, plus each template's version.
            "aws_launch_template" => pages(n, 200) + n as u64,
            "aws_autoscaling_group" => pages(n, 100),
            // DescribeLoadBalancers / TargetGroups (20 names a call) and
            // DescribeTags (20 a call), plus attributes per object.
            "aws_lb" | "aws_lb_target_group" => 2 * pages(n, 20) + n as u64,
            // A listener: one Describe, and its attributes one call each.
            "aws_lb_listener" => 1 + n as u64,
            // One Describe per listener holds its rules.
            "aws_lb_listener_rule" => 1,
            // Records: one listing per zone (300 a page).
            "aws_route53_record" => pages(n, 300),
            _ => n as u64,
        })
        .sum();
    Some(floor)
}
