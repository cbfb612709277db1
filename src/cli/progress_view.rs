//! Apply and destroy as they happen. On a terminal: a line per operation in
//! flight with its action, its time so far and what it waits for ("waiting
//! for NAT gateway nat-1 to become available, 40s"), an overall bar, and at
//! the end the slowest operations (indicatif draws them). Elsewhere (CI
//! logs): one timestamped line per start and per finish. Colour only on a
//! terminal, and never with `NO_COLOR` or `--no-color`.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::apply::{Event, Op};
use crate::progress::Note;

/// How many of the slowest operations the summary names.
const SLOWEST: usize = 3;

/// One operation in flight, drawn live.
struct InFlight {
    bar: ProgressBar,
    note: Note,
    started: Instant,
    op: Op,
}

/// The live drawing: the bars and the thread that keeps their text fresh.
struct Live {
    multi: MultiProgress,
    overall: ProgressBar,
    in_flight: Arc<Mutex<BTreeMap<String, InFlight>>>,
    stop: Arc<AtomicBool>,
    refresher: Option<std::thread::JoinHandle<()>>,
}

#[derive(Default)]
struct Run {
    live: Option<Live>,
    /// (address, operation, how long it took), as they finished.
    finished: Vec<(String, Op, Duration)>,
}

static RUN: Mutex<Option<Run>> = Mutex::new(None);

/// Whether progress is drawn live: on a terminal that can redraw.
fn live() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
}

fn coloured() -> bool {
    super::render::use_color_on(std::io::stdout().is_terminal())
}

/// Shows one event of an apply or destroy.
pub fn on_event(event: &Event<'_>) {
    let mut guard = RUN.lock().unwrap_or_else(|e| e.into_inner());
    let run = guard.get_or_insert_with(Run::default);
    match event {
        Event::Begin { steps } => {
            if live() && run.live.is_none() {
                run.live = Some(start_live(*steps as u64));
            }
        }
        Event::Started { address, op, note } => match &run.live {
            Some(live) => {
                let bar = live
                    .multi
                    .insert_before(&live.overall, ProgressBar::new_spinner());
                bar.set_style(spinner_style());
                bar.set_prefix(address.to_string());
                bar.set_message(op.progressive().to_lowercase());
                bar.enable_steady_tick(Duration::from_millis(120));
                lock(&live.in_flight).insert(
                    address.to_string(),
                    InFlight {
                        bar,
                        note: (*note).clone(),
                        started: Instant::now(),
                        op: *op,
                    },
                );
            }
            None => plain(&format!("{address}: {}...", op.progressive())),
        },
        Event::Finished {
            address,
            op,
            elapsed,
            id,
        } => {
            let id = id.map(|id| format!(" [id={id}]")).unwrap_or_default();
            let line = format!(
                "{address}: {} complete after {}{id}",
                op.noun(),
                seconds(*elapsed)
            );
            run.finished.push((address.to_string(), *op, *elapsed));
            match &run.live {
                Some(live) => {
                    end_bar(live, address);
                    live.overall.inc(1);
                    let _ = live.multi.println(line);
                }
                None => plain(&line),
            }
        }
        Event::Failed { address, op, .. } => {
            let line = format!("{address}: {} failed", op.noun());
            match &run.live {
                Some(live) => {
                    end_bar(live, address);
                    let _ = live.multi.println(line);
                }
                // The error itself is reported once, when the run ends.
                None => plain(&line),
            }
        }
        Event::Stopping { reason } => match &run.live {
            Some(live) => {
                let _ = live.multi.println(format!("Stopping: {reason}"));
            }
            None => errln!("Stopping: {reason}"),
        },
    }
}

/// Ends the drawing and names the slowest operations; a no-op when no
/// apply ran.
pub fn finish() {
    let Some(run) = RUN.lock().unwrap_or_else(|e| e.into_inner()).take() else {
        return;
    };
    if let Some(mut live) = run.live {
        live.stop.store(true, Ordering::Relaxed);
        if let Some(refresher) = live.refresher.take() {
            let _ = refresher.join();
        }
        for (_, flight) in std::mem::take(&mut *lock(&live.in_flight)) {
            flight.bar.finish_and_clear();
        }
        live.overall.finish_and_clear();
        let _ = live.multi.clear();
    }
    let mut slowest = run.finished;
    if slowest.is_empty() {
        return;
    }
    slowest.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    let named: Vec<String> = slowest
        .iter()
        .take(SLOWEST)
        .map(|(address, op, took)| {
            format!(
                "{address} ({} {})",
                op.noun().to_lowercase(),
                seconds(*took)
            )
        })
        .collect();
    outln!("Slowest: {}", named.join(", "));
}

fn start_live(steps: u64) -> Live {
    let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stdout());
    let overall = multi.add(ProgressBar::new(steps));
    let template = if coloured() {
        "{bar:30.cyan/blue} {pos}/{len} operations, {elapsed}"
    } else {
        "{bar:30} {pos}/{len} operations, {elapsed}"
    };
    overall.set_style(
        ProgressStyle::with_template(template)
            .expect("a valid template")
            .progress_chars("=> "),
    );
    overall.enable_steady_tick(Duration::from_millis(500));
    let in_flight: Arc<Mutex<BTreeMap<String, InFlight>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let refresher = {
        let (in_flight, stop) = (in_flight.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                for flight in lock(&in_flight).values() {
                    flight.bar.set_message(describe(flight));
                }
                std::thread::sleep(Duration::from_millis(250));
            }
        })
    };
    Live {
        multi,
        overall,
        in_flight,
        stop,
        refresher: Some(refresher),
    }
}

/// "creating 12s, waiting for NAT gateway nat-1 to become available, 10s".
fn describe(flight: &InFlight) -> String {
    let mut text = format!(
        "{} {}",
        flight.op.progressive().to_lowercase(),
        seconds(flight.started.elapsed())
    );
    if let Some((what, since)) = flight.note.waiting() {
        text.push_str(&format!(
            ", waiting for {what}, {}",
            seconds(since.elapsed())
        ));
    }
    text
}

fn spinner_style() -> ProgressStyle {
    let template = if coloured() {
        "{spinner:.green} {prefix:.bold} {msg}"
    } else {
        "{spinner} {prefix} {msg}"
    };
    ProgressStyle::with_template(template).expect("a valid template")
}

fn end_bar(live: &Live, address: &str) {
    if let Some(flight) = lock(&live.in_flight).remove(address) {
        flight.bar.finish_and_clear();
        live.multi.remove(&flight.bar);
    }
}

/// A line for a log: the time (UTC, to the second), then the text.
fn plain(text: &str) {
    outln!(
        "{} {text}",
        humantime::format_rfc3339_seconds(SystemTime::now())
    );
}

fn seconds(elapsed: Duration) -> String {
    humantime::format_duration(Duration::from_secs(elapsed.as_secs())).to_string()
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
