//! Applying a plan: every step starts as soon as the steps it depends on are
//! done (not level by level), at most `parallelism` at once.
//!
//! State is saved after every completed step, and a create is recorded as
//! pending before it starts, so nothing done is forgotten and an interrupted
//! create leaves a trace. On a failure or an interrupt, no new step starts;
//! steps in flight finish and are saved. Progress is reported as [`Event`]s;
//! this module never prints.

mod read_back;
pub mod steps;
mod values;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use petgraph::Direction;
use petgraph::visit::EdgeRef;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use crate::diag::Diagnostics;
use crate::lang::Config;
use crate::lang::block_eval::{BlockEvaluator, with_marks};
use crate::lang::eval::{Clock, FileReader};
use crate::plan::diff::{ID, derive_tags, keep_unreported, proposed, settle_computed};
use crate::plan::{Plan, ResourceChange, ignore_changes, redact, sensitive_strings};
use crate::provider::aws::Timeouts;
use crate::provider::aws::stats::{CriticalPath, StepRequests};
use crate::provider::{
    self, AwsContext, CreateRequest, ErrorKind, Found, ProviderError, Providers, ResourceType,
};
use crate::retry::{self, Backoff};
use crate::state::{OutputState, PendingOperation, ResourceState, State, StateError};
use crate::value::{Attrs, Value};
use read_back::ReadBatcher;
pub use steps::{Op, Step, StepGraph};
use values::Freshness;

/// Progress, for the command line to show.
#[derive(Debug)]
pub enum Event<'a> {
    /// The run is about to start this many steps.
    Begin {
        steps: usize,
    },
    Started {
        address: &'a str,
        op: Op,
        /// What the step waits for while it runs (`progress`).
        note: &'a crate::progress::Note,
    },
    Finished {
        address: &'a str,
        op: Op,
        elapsed: Duration,
        id: Option<&'a str>,
    },
    Failed {
        address: &'a str,
        op: Op,
        error: &'a str,
    },
    Stopping {
        reason: &'a str,
    },
}

/// Where state goes after every step. Saves are async, as the backends
/// are: an S3 write is awaited on the one thread the apply runs on, with
/// the steps in flight going on meanwhile. `commit` touches only the local
/// disk and is a plain call.
#[async_trait::async_trait]
pub trait StateSink: Sync {
    /// Saves the whole state (at the end of the run).
    async fn save(&self, state: &State) -> Result<(), StateError>;

    /// Saves what one step changed about `address` (a journal append
    /// where the backend keeps one), durably once [`StateSink::commit`]
    /// returns; a sink without a journal saves it at once.
    async fn stage(&self, state: &State, address: &str) -> Result<(), StateError> {
        let _ = address;
        self.save(state).await
    }

    /// Makes every step staged since the last commit durable, all with
    /// one sync.
    fn commit(&self) -> Result<(), StateError> {
        Ok(())
    }

    /// When steps `record` kept back must be saved (`flush`), if any wait.
    fn write_due(&self) -> Option<Instant> {
        None
    }

    /// Saves the whole state as it stands, holding every recorded step.
    async fn flush(&self, state: &State) -> Result<(), StateError> {
        self.save(state).await
    }
}

pub struct ApplyRequest<'a> {
    pub config: &'a Config,
    pub graph: &'a crate::graph::Graph,
    pub plan: &'a Plan,
    pub variables: BTreeMap<String, Value>,
    pub data: crate::plan::DataValues,
    pub files: &'a dyn FileReader,
    /// The AWS clients of each provider configuration.
    pub aws: Providers,
    pub parallelism: usize,
    /// Becomes true when the run should stop (Ctrl-C).
    pub interrupt: watch::Receiver<bool>,
    pub sink: &'a dyn StateSink,
    pub on_event: &'a (dyn Fn(Event<'_>) + Sync),
    /// The time of the run (Unix seconds): `timestamp()`, `uuid()` and
    /// `bcrypt()` have values while applying.
    pub now: i64,
}

#[derive(Debug)]
pub struct Failure {
    pub address: String,
    pub message: String,
}

pub struct ApplyOutcome {
    pub state: State,
    pub failures: Vec<Failure>,
    pub interrupted: bool,
    /// Failed `check` assertions, evaluated with the applied values.
    pub warnings: Diagnostics,
}

/// How long a delete keeps retrying while AWS reports the object in use
/// (e.g. a subnet whose NAT gateway's network interface is still
/// detaching), unless the instance's `timeouts { delete }` says otherwise.
const CONFLICT_RETRY_LIMIT: Duration = Duration::from_secs(300);
/// Reading a just-created object back (EC2 is eventually consistent): six
/// tries over about eight seconds.
const READ_BACK: Backoff =
    Backoff::doubling(Duration::from_millis(250), Duration::from_secs(8)).tries(6);
/// Between tries of a throttled or conflicting call.
const ENGINE_RETRY: Backoff =
    Backoff::doubling(Duration::from_millis(500), Duration::from_secs(15)).full_jitter();
/// Throttling is retried this many times, then reported.
const MAX_THROTTLE_RETRIES: u32 = 8;
/// A create that fails with throttling or an unknown outcome is tried this
/// many times in all (looking for its object between tries).
const MAX_CREATE_TRIES: u32 = 10;
/// How long the records of creates that finished may wait for a sync when
/// no step starts to share it. The pending create synced before each
/// create call already makes losing the machine in this window lose no
/// object (the next run adopts it); the wait only delays announcing them.
/// A finished update or delete is synced at once: an update may have
/// changed the object's id.
const FINISHED_SYNC_WITHIN: Duration = Duration::from_millis(100);

/// What a finished step reports back to the scheduler.
struct StepResult {
    step: usize,
    outcome: Result<Option<Attrs>, ProviderError>,
    elapsed: Duration,
    /// The step's parallelism slot, released once its result is staged.
    _slot: Option<tokio::sync::OwnedSemaphorePermit>,
}

pub async fn apply(req: ApplyRequest<'_>, mut state: State) -> ApplyOutcome {
    let graph = steps::build(req.plan);
    let mut evaluator = BlockEvaluator::new(req.config, req.files, req.variables.clone());
    evaluator.set_clock(Clock {
        plan: req.plan.timestamp,
        now: Some(req.now),
    });
    seed_evaluator(&req, &state, &mut evaluator);
    let mut freshness = Freshness::new(req.graph);

    let mut waiting: Vec<usize> = graph
        .node_indices()
        .map(|n| graph.edges_directed(n, Direction::Incoming).count())
        .collect();
    (req.on_event)(Event::Begin {
        steps: graph.node_weights().flatten().count(),
    });
    let mut ready = Ready::new(steps::chain_lengths(&graph));
    for index in (0..waiting.len()).filter(|&i| waiting[i] == 0) {
        ready.push(index);
    }
    let mut running: JoinSet<StepResult> = JoinSet::new();
    let mut failures = Vec::new();
    let mut interrupt = req.interrupt.clone();
    let mut interrupted = *interrupt.borrow();
    let mut stopping = interrupted;
    // A step holds one of these while it works, and gives it back while it
    // sleeps (waiting for AWS, backing off): `retry::sleep`.
    let slots = Arc::new(Semaphore::new(req.parallelism.max(1)));
    let reads = Arc::new(ReadBatcher::default());
    let mut write_failed = false;
    let requests: Vec<Arc<StepRequests>> = (0..waiting.len()).map(|_| Arc::default()).collect();

    // Steps finished since the last commit, announced once it is done.
    let mut finished: Vec<Finished<'_>> = Vec::new();
    // When they must be committed if no step starts before then.
    let mut commit_by: Option<Instant> = None;
    // A step other than a create finished since the last commit: no wait.
    let mut commit_at_once = false;
    loop {
        // A write already due goes before any step starts, so that no step
        // starts while the bucket refuses the state: the run stops first.
        if !write_failed
            && req
                .sink
                .write_due()
                .is_some_and(|due| due <= Instant::now())
        {
            flush_held_back(
                &req,
                &state,
                &mut failures,
                &mut stopping,
                &mut write_failed,
            )
            .await;
        }
        let mut starting = Vec::new();
        while !stopping && !ready.is_empty() {
            let Ok(permit) = slots.clone().try_acquire_owned() else {
                break;
            };
            let Some(index) = ready.pop() else { break };
            let step = graph[petgraph::graph::NodeIndex::new(index)].expect("only steps are ready");
            let change = &req.plan.resource_changes[step.change];
            if let (Some(index), false) = (change.resource, step.op == Op::Delete)
                && freshness.refresh_for(req.graph, &mut evaluator, index)
            {
                // What the block depends on changed (or this is its first
                // step): its instances are made again.
                evaluator.keep_instances(index);
            }
            match start_step(&req, &mut evaluator, &mut state, step, change, &reads).await {
                Ok(task) => starting.push((index, step, change, permit, task)),
                Err(message) => {
                    (req.on_event)(Event::Failed {
                        address: &change.address,
                        op: step.op,
                        error: &message,
                    });
                    failures.push(Failure {
                        address: change.address.clone(),
                        message,
                    });
                    stopping = true;
                }
            }
        }
        // One sync makes durable what the steps that finished and those
        // about to start staged (group commit): the finished count as done
        // only now, and the started send nothing to AWS before it. With
        // none starting, the finished wait a little for a turn that starts
        // one: when AWS answers one step at a time, four syncs in ten are
        // otherwise for finished steps alone.
        let last_turn = starting.is_empty() && running.is_empty();
        let commit_now = !starting.is_empty()
            || last_turn
            || commit_at_once
            || commit_by.is_some_and(|by| Instant::now() >= by);
        if commit_now {
            commit_by = None;
            commit_at_once = false;
            if let Err(e) = req.sink.commit() {
                failures.push(Failure {
                    address: "(state)".into(),
                    message: e.to_string(),
                });
                if !stopping {
                    (req.on_event)(Event::Stopping {
                        reason: "the state could not be saved; waiting for steps in flight",
                    });
                }
                stopping = true;
                // Nothing was sent for them: their pending creates go too.
                for (_, step, change, _, _) in starting.drain(..) {
                    state.pending.retain(|p| p.address != change.address);
                    (req.on_event)(Event::Failed {
                        address: &change.address,
                        op: step.op,
                        error: "not started: the state could not be saved",
                    });
                }
            }
            for done in finished.drain(..) {
                (req.on_event)(Event::Finished {
                    address: done.address,
                    op: done.op,
                    elapsed: done.elapsed,
                    id: done.id.as_deref(),
                });
            }
        } else if !finished.is_empty() {
            commit_by.get_or_insert_with(|| Instant::now() + FINISHED_SYNC_WITHIN);
        }
        for (index, step, change, permit, task) in starting {
            let note = crate::progress::Note::default();
            (req.on_event)(Event::Started {
                address: &change.address,
                op: step.op,
                note: &note,
            });
            let slots = slots.clone();
            let requests = requests[index].clone();
            running.spawn(async move {
                let started = Instant::now();
                let (outcome, slot) = provider::aws::stats::recording_requests(
                    requests,
                    crate::progress::with_note(note, retry::holding_slot(slots, permit, task)),
                )
                .await;
                StepResult {
                    step: index,
                    outcome,
                    elapsed: started.elapsed(),
                    _slot: slot,
                }
            });
        }
        if running.is_empty() {
            break;
        }
        // After a failed write, only the final save tries again (and
        // reports again): the loop must not retry on every turn.
        let write_due = req.sink.write_due().filter(|_| !write_failed);
        tokio::select! {
            // A finished step first: its slot frees only once it is recorded.
            biased;
            joined = running.join_next() => {
                // With every other step that has finished by now: their
                // records share the next commit.
                let mut results = Vec::from_iter(joined);
                while let Some(more) = running.try_join_next() {
                    results.push(more);
                }
                for joined in results {
                    let result = match joined {
                        Ok(result) => result,
                        Err(panic) => {
                            failures.push(Failure { address: "(internal)".into(), message: format!("a task failed: {panic}") });
                            stopping = true;
                            continue;
                        }
                    };
                    let node = petgraph::graph::NodeIndex::new(result.step);
                    let step = graph[node].expect("only steps run");
                    let change = &req.plan.resource_changes[step.change];
                    commit_at_once |= !matches!(step.op, Op::Create | Op::Read);
                    let finished_step = finish_step(&req, &mut evaluator, &mut state, step, change, result.outcome).await;
                    if let Some(index) = change.resource {
                        freshness.changed(req.graph, req.config, index);
                    }
                    match finished_step {
                        Ok(id) => {
                            finished.push(Finished { address: &change.address, op: step.op, elapsed: result.elapsed, id });
                            release(&graph, result.step, &mut waiting, &mut ready);
                        }
                        Err(message) => {
                            (req.on_event)(Event::Failed { address: &change.address, op: step.op, error: &message });
                            failures.push(Failure { address: change.address.clone(), message });
                            if !stopping {
                                (req.on_event)(Event::Stopping { reason: "a step failed; waiting for steps in flight" });
                            }
                            stopping = true;
                        }
                    }
                }
            }
            // A slot came free while every step in flight holds on (one is
            // sleeping): start the next step with it.
            free = slots.clone().acquire_owned(), if !stopping && !ready.is_empty() => {
                drop(free);
            }
            // Finished steps waited long enough for one to start.
            _ = tokio::time::sleep_until(commit_by.unwrap_or_else(Instant::now).into()), if commit_by.is_some() => {}
            // Steps the backend holds back (batched writes) are saved
            // while the run waits for AWS, not only when the next ends.
            _ = tokio::time::sleep_until(write_due.unwrap_or_else(Instant::now).into()), if write_due.is_some() => {
                flush_held_back(&req, &state, &mut failures, &mut stopping, &mut write_failed).await;
            }
            changed = interrupt.changed(), if !interrupted => {
                if changed.is_ok() && *interrupt.borrow() {
                    interrupted = true;
                    stopping = true;
                    (req.on_event)(Event::Stopping { reason: "interrupt received; waiting for steps in flight to finish" });
                }
            }
        }
    }

    provider::aws::stats::record_critical_path(critical_path(&graph, &requests));
    let mut warnings = Diagnostics::default();
    if failures.is_empty() && !interrupted {
        freshness.refresh_all(req.graph, &mut evaluator);
        state.outputs = final_outputs(&req, &evaluator);
        for index in 0..req.config.checks.len() {
            warnings.extend(evaluator.eval_check(index));
        }
    }
    // The whole state, with every step the journal recorded, after a
    // failure too. Outputs change only when every step succeeded.
    if let Err(e) = save(&req, &mut state).await {
        failures.push(Failure {
            address: "(state)".into(),
            message: e.to_string(),
        });
    }
    ApplyOutcome {
        state,
        failures,
        interrupted,
        warnings,
    }
}

/// Writes what the backend holds back (batched writes). A failure stops
/// the run, and only the final save tries again.
async fn flush_held_back(
    req: &ApplyRequest<'_>,
    state: &State,
    failures: &mut Vec<Failure>,
    stopping: &mut bool,
    write_failed: &mut bool,
) {
    if let Err(e) = req.sink.flush(state).await {
        *write_failed = true;
        failures.push(Failure {
            address: "(state)".into(),
            message: e.to_string(),
        });
        if !*stopping {
            (req.on_event)(Event::Stopping {
                reason: "the state could not be saved; waiting for steps in flight",
            });
        }
        *stopping = true;
    }
}

/// A step that finished, to announce once its record is committed.
struct Finished<'a> {
    address: &'a str,
    op: Op,
    elapsed: Duration,
    id: Option<String>,
}

/// The steps free to start: the one heading the longest chain of steps
/// first, then in plan (address) order.
struct Ready {
    chain_lengths: Vec<usize>,
    steps: BinaryHeap<(usize, Reverse<usize>)>,
}

impl Ready {
    fn new(chain_lengths: Vec<usize>) -> Ready {
        Ready {
            chain_lengths,
            steps: BinaryHeap::new(),
        }
    }

    fn push(&mut self, step: usize) {
        self.steps.push((self.chain_lengths[step], Reverse(step)));
    }

    fn pop(&mut self) -> Option<usize> {
        self.steps.pop().map(|(_, Reverse(step))| step)
    }

    fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

/// `done` is finished: whatever waited only for it is ready now. A join
/// is done as soon as what it joins is, so it never waits in `ready`.
fn release(graph: &StepGraph, done: usize, waiting: &mut [usize], ready: &mut Ready) {
    let node = petgraph::graph::NodeIndex::new(done);
    for edge in graph.edges_directed(node, Direction::Outgoing) {
        let next = edge.target().index();
        waiting[next] -= 1;
        if waiting[next] == 0 {
            match graph[edge.target()] {
                Some(_) => ready.push(next),
                None => release(graph, next, waiting, ready),
            }
        }
    }
}

/// The longest chain of dependent steps, by round trips and by time in
/// AWS (see `StepRequests`): about the least wall time the apply could have
/// taken after its plan.
fn critical_path(graph: &StepGraph, requests: &[Arc<StepRequests>]) -> CriticalPath {
    let Ok(order) = petgraph::algo::toposort(graph, None) else {
        return CriticalPath::default();
    };
    let mut longest = vec![CriticalPath::default(); requests.len()];
    for node in order {
        let mut path = CriticalPath::default();
        for edge in graph.edges_directed(node, Direction::Incoming) {
            let before = longest[edge.source().index()];
            path.round_trips = path.round_trips.max(before.round_trips);
            path.seconds_in_aws = path.seconds_in_aws.max(before.seconds_in_aws);
        }
        path.round_trips += requests[node.index()].round_trips();
        path.seconds_in_aws += requests[node.index()].seconds_in_aws();
        longest[node.index()] = path;
    }
    longest
        .into_iter()
        .fold(CriticalPath::default(), |most, path| CriticalPath {
            round_trips: most.round_trips.max(path.round_trips),
            seconds_in_aws: most.seconds_in_aws.max(path.seconds_in_aws),
        })
}

async fn save(req: &ApplyRequest<'_>, state: &mut State) -> Result<(), StateError> {
    state.serial += 1;
    req.sink.save(state).await
}

/// Saves one step's change to `address`, durable at the scheduler's next
/// commit (which comes before any step that follows is sent to AWS).
async fn stage(req: &ApplyRequest<'_>, state: &mut State, address: &str) -> Result<(), StateError> {
    state.serial += 1;
    let staged = req.sink.stage(state, address).await;
    if staged.is_err() {
        // Not in the journal: the records after it continue the serials
        // replay follows.
        state.serial -= 1;
    }
    staged
}

/// Resource values as they stand before anything runs: unchanged instances
/// from state, the rest as planned.
fn seed_evaluator(req: &ApplyRequest<'_>, state: &State, evaluator: &mut BlockEvaluator<'_>) {
    for (&index, instances) in &req.data {
        evaluator.set_instances(index, instances.clone());
    }
    for change in &req.plan.resource_changes {
        let Some(index) = change.resource else {
            continue;
        };
        let value = match state.resource(&change.address) {
            Some(current) if change.action == crate::plan::Action::NoOp => {
                with_marks(current.attributes.clone(), &change.sensitive)
            }
            _ => change
                .after
                .clone()
                .map_or(Value::Unknown, |after| with_marks(after, &change.sensitive)),
        };
        evaluator.set_instance(index, change.addr.key.clone(), value);
    }
}

type StepFuture = std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<Option<Attrs>, ProviderError>> + Send>,
>;

/// Prepares a step in the scheduler (evaluation, pending record) and returns
/// the AWS work to run concurrently.
async fn start_step(
    req: &ApplyRequest<'_>,
    evaluator: &mut BlockEvaluator<'_>,
    state: &mut State,
    step: Step,
    change: &ResourceChange,
    reads: &Arc<ReadBatcher>,
) -> Result<StepFuture, String> {
    let resource_type = || {
        provider::resource_type(&change.type_name)
            .ok_or_else(|| format!("unsupported resource type {:?}", change.type_name))
    };
    let address = change.address.clone();
    match step.op {
        Op::Read => start_read(req, evaluator, change),
        Op::Delete => {
            let resource_type = resource_type()?;
            let current = if deletes_deposed(change) {
                state.deposed.iter().find(|r| r.address == change.address)
            } else {
                state.resource(&change.address)
            };
            let prior = current
                .map(|r| r.attributes.clone())
                .or_else(|| change.before.clone())
                .ok_or_else(|| format!("{} is not in state", change.address))?;
            if resource_type.is_local() {
                return Ok(Box::pin(async move {
                    resource_type.delete_local(&prior).await?;
                    Ok(None)
                }));
            }
            let aws = req.aws.get(&change.provider)?.clone();
            // As in Terraform's providers, the delete timeout bounds the
            // retries of an object still in use.
            let limit = Timeouts::from_attrs(&prior, Timeouts::all(CONFLICT_RETRY_LIMIT)).delete;
            Ok(Box::pin(async move {
                retry(|| resource_type.delete(&aws, &prior), limit).await?;
                Ok(None)
            }))
        }
        Op::Create | Op::Update => {
            let resource_type = resource_type()?;
            let planned = final_values(req, evaluator, step, change, state)?;
            if resource_type.is_local() {
                // Lives only in state: made here, nothing to read back.
                let prior = match step.op {
                    Op::Update => state
                        .resource(&change.address)
                        .map(|r| r.attributes.clone()),
                    _ => None,
                };
                return Ok(Box::pin(async move {
                    let mut attrs = resource_type.apply_local(prior.as_ref(), &planned).await?;
                    let id = attrs.get(ID).cloned().unwrap_or(Value::string(&address));
                    attrs.insert(ID.to_string(), id);
                    Ok(Some(attrs))
                }));
            }
            let aws = req.aws.get(&change.provider)?.clone();
            let reader = Reader {
                batcher: reads.clone(),
                resource_type,
                provider: change.provider.clone(),
                aws: aws.clone(),
            };
            if step.op == Op::Update {
                let prior = state
                    .resource(&change.address)
                    .map(|r| r.attributes.clone())
                    .ok_or_else(|| format!("{} is not in state", change.address))?;
                return Ok(Box::pin(async move {
                    // The id can change: an association moved to another
                    // route table gets a new one.
                    let id =
                        retry_value(|| resource_type.update_returning_id(&aws, &prior, &planned))
                            .await?;
                    // Read as it is: an update writes only what differs
                    // from the prior state, which may be older than AWS's.
                    let mut attrs = reader.read_back(&id, None).await?;
                    keep_unreported(&mut attrs, &planned);
                    Ok(Some(attrs))
                }));
            }
            let client_token = uuid::Uuid::new_v4().to_string();
            let started = std::time::SystemTime::now();
            state.pending.retain(|p| p.address != change.address);
            state.pending.push(PendingOperation {
                address: change.address.clone(),
                operation: "create".into(),
                client_token: client_token.clone(),
                started_at: humantime::format_rfc3339_seconds(started).to_string(),
                planned: Some(Box::new(ResourceState {
                    address: change.address.clone(),
                    type_name: change.type_name.clone(),
                    id: String::new(),
                    attributes: planned.clone(),
                    dependencies: change.dependencies.clone(),
                    provider: change.provider.clone(),
                    sensitive_attributes: change.sensitive.clone(),
                })),
            });
            if let Err(e) = stage(req, state, &change.address).await {
                // Nothing is sent: no create is pending.
                state.pending.retain(|p| p.address != change.address);
                return Err(format!("could not record the pending create in state: {e}"));
            }
            Ok(Box::pin(async move {
                let request = CreateRequest {
                    planned: &planned,
                    address: &address,
                    client_token: &client_token,
                    started,
                };
                let (id, adopted) = create_or_adopt(resource_type, &aws, &request).await?;
                // An adopted object is read as it is: its create may have
                // stopped before writing all it planned.
                let written = (!adopted).then_some(&planned);
                let mut attrs = reader.read_back(&id, written).await?;
                if adopted {
                    // The create's answer was lost after AWS made the object:
                    // whatever the create had yet to do is done as an update,
                    // with computed values as AWS made them.
                    let settled = settle_computed(resource_type.schema(), &planned, &attrs);
                    let id =
                        retry_value(|| resource_type.update_returning_id(&aws, &attrs, &settled))
                            .await?;
                    attrs = reader.read_back(&id, Some(&settled)).await?;
                }
                keep_unreported(&mut attrs, &planned);
                Ok(Some(attrs))
            }))
        }
    }
}

/// A data source read during apply: its arguments evaluated now that what
/// it depends on is applied, then read from AWS.
fn start_read(
    req: &ApplyRequest<'_>,
    evaluator: &mut BlockEvaluator<'_>,
    change: &ResourceChange,
) -> Result<StepFuture, String> {
    let index = change
        .resource
        .ok_or("no configuration for this data source")?;
    let resource = &req.config.resources[index];
    let source = provider::data_source_type(&resource.type_name)
        .ok_or_else(|| format!("unsupported data source {:?}", resource.type_name))?;
    let args = evaluate_now(evaluator, index, change, source.schema())?;
    if let Some((name, _)) = args.iter().find(|(_, v)| !v.is_wholly_known()) {
        return Err(format!(
            "the value of {name:?} is still unknown at apply time"
        ));
    }
    let aws = req.aws.get(&change.provider)?.clone();
    Ok(Box::pin(async move {
        let attrs = retry_value(|| source.read(&aws, &args)).await?;
        Ok(Some(attrs))
    }))
}

/// One instance's arguments, evaluated with the values known now: the
/// scheduler refreshes what the step depends on before it starts
/// (`Freshness::refresh_for`).
fn evaluate_now(
    evaluator: &mut BlockEvaluator<'_>,
    index: usize,
    change: &ResourceChange,
    schema: &provider::Schema,
) -> Result<Attrs, String> {
    let instance = evaluator
        .expand_one(index, &change.addr.key)
        .map_err(|d| d.summary)?
        .ok_or("the instance is no longer in the configuration")?;
    evaluator
        .eval_instance(index, &instance, schema)
        .map(|args| args.attrs)
        .map_err(|diags| {
            diags
                .iter()
                .map(|d| {
                    format!(
                        "{}{}",
                        d.summary,
                        d.detail
                            .as_deref()
                            .map(|x| format!(": {x}"))
                            .unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        })
}

/// The arguments to send: the configuration evaluated now that everything it
/// depends on is applied.
fn final_values(
    req: &ApplyRequest<'_>,
    evaluator: &mut BlockEvaluator<'_>,
    step: Step,
    change: &ResourceChange,
    state: &State,
) -> Result<Attrs, String> {
    let index = change
        .resource
        .ok_or("no configuration for this resource")?;
    let schema = provider::resource_type(&change.type_name)
        .ok_or("unsupported resource type")?
        .schema();
    let mut config = evaluate_now(evaluator, index, change, schema)?;
    let prior = match step.op {
        Op::Update => state.resource(&change.address).map(|r| &r.attributes),
        _ => None,
    };
    if let Some(prior) = prior {
        ignore_changes(&req.config.resources[index].lifecycle, &mut config, prior);
    }
    if let Some((name, _)) = config.iter().find(|(_, v)| !v.is_wholly_known()) {
        return Err(format!(
            "the value of {name:?} is still unknown at apply time"
        ));
    }
    let default_tags = &req.aws.get(&change.provider)?.settings.default_tags;
    let mut planned = proposed(schema, &config, prior, default_tags);
    planned.remove(ID);
    // Computed values the provider fills in are not sent, at any depth.
    Ok(without_unknowns(planned))
}

/// Removes unknown values from an object and the objects nested in it, so a
/// block keeps its known arguments when one of its computed ones is unknown.
fn without_unknowns(attrs: Attrs) -> Attrs {
    fn strip(value: Value) -> Option<Value> {
        match value {
            Value::Unknown => None,
            Value::Map(map) => Some(Value::Map(without_unknowns(map.into_attrs()).into())),
            Value::List(items) => Some(Value::List(items.into_iter().filter_map(strip).collect())),
            other => Some(other),
        }
    }
    attrs
        .into_iter()
        .filter_map(|(k, v)| Some((k, strip(v)?)))
        .collect()
}

/// Records a finished step in state and saves it. Returns the object's id.
async fn finish_step(
    req: &ApplyRequest<'_>,
    evaluator: &mut BlockEvaluator<'_>,
    state: &mut State,
    step: Step,
    change: &ResourceChange,
    outcome: Result<Option<Attrs>, ProviderError>,
) -> Result<Option<String>, String> {
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(error) => {
            if step.op == Op::Create && error.kind == ErrorKind::Validation {
                // AWS rejected the request: nothing was created.
                state.pending.retain(|p| p.address != change.address);
                let _ = stage(req, state, &change.address).await;
            }
            // AWS may quote the request: keep sensitive values out.
            return Err(redact(&error.to_string(), &sensitive_strings(change)));
        }
    };
    let id = match (step.op, outcome) {
        // What it read is for the steps after it; state keeps no data.
        (Op::Read, Some(attrs)) => {
            let id = attrs.get(ID).and_then(Value::as_str).map(str::to_string);
            if let Some(index) = change.resource {
                let value = with_marks(attrs, &change.sensitive);
                evaluator.set_instance(index, change.addr.key.clone(), value);
            }
            return Ok(id);
        }
        (Op::Delete, _) if deletes_deposed(change) => {
            state.deposed.retain(|r| r.address != change.address);
            None
        }
        (Op::Delete, _) => {
            state.remove(&change.address);
            if let Some(index) = change.resource
                && change.action == crate::plan::Action::Delete
            {
                evaluator.remove_instance(index, &change.addr.key);
            }
            None
        }
        (_, Some(mut attrs)) => {
            let configured_tags = change.after.as_ref().and_then(|a| a.get("tags")).cloned();
            let settings = &req.aws.get(&change.provider)?.settings;
            derive_tags(&mut attrs, configured_tags.as_ref(), &settings.default_tags);
            settings.ignore_tags.strip(&mut attrs);
            let id = attrs
                .get(ID)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            state.pending.retain(|p| p.address != change.address);
            if step.op == Op::Create
                && change.action == crate::plan::Action::CreateThenDelete
                && let Some(old) = state.remove(&change.address)
            {
                // The old object waits for its delete step; recorded, so a
                // run that stops in between deletes it next time.
                state.deposed.push(old);
            }
            state.upsert(ResourceState {
                address: change.address.clone(),
                type_name: change.type_name.clone(),
                id: id.clone(),
                attributes: attrs.clone(),
                dependencies: change.dependencies.clone(),
                provider: change.provider.clone(),
                sensitive_attributes: change.sensitive.clone(),
            });
            if let Some(index) = change.resource {
                let value = with_marks(attrs, &change.sensitive);
                evaluator.set_instance(index, change.addr.key.clone(), value.clone());
                let failed = evaluator.check_postconditions(index, &change.addr.key, value);
                if let Some(message) = failed {
                    stage(req, state, &change.address).await.map_err(|e| {
                        format!("the step succeeded but state could not be saved: {e}")
                    })?;
                    return Err(redact(&message, &sensitive_strings(change)));
                }
            }
            Some(id)
        }
        (_, None) => None,
    };
    stage(req, state, &change.address)
        .await
        .map_err(|e| format!("the step succeeded but state could not be saved: {e}"))?;
    Ok(id)
}

/// Whether a delete step deletes a deposed object (the old one of a
/// create-before-destroy replacement) rather than the current one.
fn deletes_deposed(change: &ResourceChange) -> bool {
    change.deposed || change.action == crate::plan::Action::CreateThenDelete
}

/// Creates, sending each request once (the SDK does not retry it): a
/// create whose answer never came (a dropped connection, a timeout, a 5xx)
/// may have made its object, so before trying again the engine looks for
/// it, and adopts what it finds instead of making a second one. Returns the
/// id and whether it was adopted.
async fn create_or_adopt(
    resource_type: &dyn ResourceType,
    aws: &AwsContext,
    request: &CreateRequest<'_>,
) -> Result<(String, bool), ProviderError> {
    let mut delays = ENGINE_RETRY.tries(MAX_CREATE_TRIES).start();
    loop {
        let error = match resource_type.create(aws.single_attempt(), request).await {
            Ok(id) => return Ok((id, false)),
            Err(error) => error,
        };
        if error.kind == ErrorKind::Validation {
            return Err(refused_after_made(resource_type, aws, request, error).await);
        }
        let try_again = error.is_retryable();
        // A name already taken may be this create's own object, made by an
        // earlier try whose answer was lost, or by a killed run whose
        // request AWS carried out only after the next run had looked.
        if !try_again && error.kind != ErrorKind::Conflict {
            return Err(error);
        }
        match retry_value(|| resource_type.find_created(aws, request)).await? {
            Found::Ours(id) => return Ok((id, true)),
            Found::Foreign(id) => {
                return Err(ProviderError::new(
                    ErrorKind::Conflict,
                    format!(
                        "{id} has the name this create asked for but was not made by this stack ({error})"
                    ),
                ));
            }
            Found::Nothing if try_again => {}
            Found::Nothing => return Err(error),
        }
        match delays.next_wait() {
            Some(wait) => retry::sleep(wait).await,
            None => return Err(error),
        }
    }
}

/// A create refused as invalid made nothing, unless the refusal came from
/// a call after the one that made the object (a setting written once the
/// object exists). Then the object is this create's, and the error says so
/// as a kind that keeps the pending create in state: the next run adopts
/// the object rather than forgetting it.
async fn refused_after_made(
    resource_type: &dyn ResourceType,
    aws: &AwsContext,
    request: &CreateRequest<'_>,
    error: ProviderError,
) -> ProviderError {
    match resource_type.find_created(aws, request).await {
        Ok(Found::Ours(id)) => ProviderError {
            kind: ErrorKind::Other,
            message: format!(
                "{} ({id} was made before this was refused; it stays in state as a pending create, which the next apply takes up)",
                error.message
            ),
            ..error
        },
        _ => error,
    }
}

/// Reads a step's object back once AWS has made or changed it.
struct Reader {
    batcher: Arc<ReadBatcher>,
    resource_type: &'static dyn ResourceType,
    provider: String,
    aws: Arc<AwsContext>,
}

impl Reader {
    /// The object `id` as AWS now reports it, waiting out eventual
    /// consistency; batched with other steps' reads of the same type.
    /// `written`: what this apply's create wrote to it, for the type's
    /// `read_written` (`None`: read it all, as a refresh does).
    async fn read_back(&self, id: &str, written: Option<&Attrs>) -> Result<Attrs, ProviderError> {
        let found = retry::poll(READ_BACK, || {
            self.batcher
                .read(self.resource_type, &self.provider, &self.aws, id, written)
        })
        .await?;
        let mut attrs = found.ok_or_else(|| {
            ProviderError::new(
                ErrorKind::NotFound,
                format!("{id} was accepted by AWS but cannot be read back"),
            )
        })?;
        attrs.insert(ID.to_string(), Value::string(id));
        Ok(attrs)
    }
}

/// Retries throttling always (bounded), and conflicts for up to
/// `conflict_limit` — the engine's one retry policy for every type.
async fn retry<T, F, Fut>(operation: F, conflict_limit: Duration) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ProviderError>>,
{
    let started = Instant::now();
    let mut throttled = 0;
    retry::retry(ENGINE_RETRY, operation, |e: &ProviderError| match e.kind {
        ErrorKind::Throttled => {
            throttled += 1;
            throttled <= MAX_THROTTLE_RETRIES
        }
        ErrorKind::Conflict => started.elapsed() < conflict_limit,
        _ => false,
    })
    .await
}

/// Retries throttling only: for creates and updates, where a conflict is
/// the user's to resolve.
async fn retry_value<T, F, Fut>(operation: F) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ProviderError>>,
{
    retry(operation, Duration::ZERO).await
}

/// The root module's outputs, from values refreshed after the last step.
fn final_outputs(
    req: &ApplyRequest<'_>,
    evaluator: &BlockEvaluator<'_>,
) -> BTreeMap<String, OutputState> {
    let mut outputs = BTreeMap::new();
    for (index, output) in req.config.outputs.iter().enumerate() {
        if output.module != crate::lang::ROOT {
            continue;
        }
        if let Ok(value) = evaluator.eval_output(index)
            && value.is_wholly_known()
        {
            let (value, _) = value.unmark_deep();
            outputs.insert(
                output.name.clone(),
                OutputState {
                    value,
                    sensitive: output.sensitive,
                },
            );
        }
    }
    outputs
}
