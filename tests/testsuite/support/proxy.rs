//! A fault-injecting HTTP proxy on loopback, between terrane and the
//! emulator: it delays every request, answers a chosen fraction of them
//! itself with a throttling error or a 500/503 (in the error shape of the
//! service the request is for, so the SDK reads the code as it would
//! AWS's), and can drop the connection after the emulator has carried out a
//! request (the lost-answer case). Every choice comes from one seeded
//! generator, so a run can be repeated. It also counts requests by service
//! and operation.
//!
//! hyper serves and forwards; this module only decides what to do with
//! each request.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};

/// What one request is, as far as the fault rules care.
#[derive(Clone, Debug)]
pub struct Call {
    /// The SigV4 service name (`ec2`, `iam`, `s3`, `eks`, ...).
    pub service: String,
    /// The API operation where the request names it (`CreateVpc` from a
    /// query body, `CreateWebACL` from `X-Amz-Target`), else `METHOD /path`.
    pub operation: String,
    pub method: String,
    pub path: String,
    /// The query string, without the `?`.
    pub query: String,
}

/// A rule that drops the connection, once, after the emulator answered a
/// request it matches.
pub type LoseAnswer = Box<dyn Fn(&Call) -> bool + Send + Sync>;

/// Answers a matching request with an AWS error, `(code, message)`, never
/// forwarding it (an object AWS reports still in use, say).
pub type Refuse = Box<dyn Fn(&Call) -> Option<(&'static str, &'static str)> + Send + Sync>;

/// How much longer a request waits before it is forwarded.
pub type Delay = Box<dyn Fn(&Call) -> Duration + Send + Sync>;

/// Rewrites the body of an answer (`None`: leave it as it is).
pub type Rewrite = Box<dyn Fn(&Call, &str) -> Option<String> + Send + Sync>;

/// The faults to inject.
#[derive(Default)]
pub struct Faults {
    pub seed: u64,
    /// Added before every request is forwarded.
    pub latency: Duration,
    /// Added before a matching request is forwarded, besides `latency`
    /// (slow EC2 calls beside quick S3 writes, say).
    pub delay: Option<Delay>,
    /// The fraction of requests answered with a throttling error, never
    /// forwarded.
    pub throttle: f64,
    /// The fraction answered with a 500 or a 503, never forwarded.
    pub server_error: f64,
    /// Each rule drops the answer of the first request it matches.
    pub lose_answers: Vec<LoseAnswer>,
    /// Changes answers on their way back (an answer missing a field).
    pub rewrite: Option<Rewrite>,
    /// Refuses every request it matches.
    pub refuse: Option<Refuse>,
}

struct Shared {
    faults: Faults,
    random: Seeded,
    fired: Vec<bool>,
    counts: BTreeMap<(String, String), usize>,
    /// Every request, when it arrived.
    timeline: Vec<(Instant, Call)>,
    injected: usize,
    lost: Vec<Call>,
    /// Every request that ended, from arrival to answer.
    spans: Vec<(Instant, Instant, Call)>,
}

/// Records a request's span when dropped, on every way out of `handle`
/// (an answer, an injected error, a dropped connection).
struct InFlight {
    state: Arc<Mutex<Shared>>,
    arrived: Instant,
    call: Call,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Ok(mut shared) = self.state.lock() {
            let span = (self.arrived, Instant::now(), self.call.clone());
            shared.spans.push(span);
        }
    }
}

pub struct Proxy {
    address: SocketAddr,
    shared: Arc<Mutex<Shared>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Proxy {
    /// Starts the proxy in front of `upstream` (the emulator's endpoint).
    pub fn start(upstream: String, faults: Faults) -> Proxy {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("proxy runtime");
        let shared = Arc::new(Mutex::new(Shared {
            random: Seeded(faults.seed),
            fired: vec![false; faults.lose_answers.len()],
            faults,
            counts: BTreeMap::new(),
            timeline: Vec::new(),
            injected: 0,
            lost: Vec::new(),
            spans: Vec::new(),
        }));
        // Bound here, served on the proxy's own runtime (a test may already
        // be running on one, where blocking on another is not allowed).
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        listener.set_nonblocking(true).expect("non-blocking");
        let address = listener.local_addr().expect("proxy address");
        let client: Client<HttpConnector, Full<Bytes>> =
            Client::builder(TokioExecutor::new()).build_http();
        let state = shared.clone();
        runtime.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (client, state, upstream) = (client.clone(), state.clone(), upstream.clone());
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        handle(request, client.clone(), state.clone(), upstream.clone())
                    });
                    // An error here is the dropped connection, on purpose.
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Proxy {
            address,
            shared,
            runtime: Some(runtime),
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Requests seen, by (service, operation).
    pub fn counts(&self) -> BTreeMap<(String, String), usize> {
        self.shared.lock().unwrap().counts.clone()
    }

    /// When each request that `chosen` accepts arrived, in order.
    pub fn arrivals(&self, chosen: impl Fn(&Call) -> bool) -> Vec<Instant> {
        let shared = self.shared.lock().unwrap();
        let times = shared.timeline.iter().filter(|(_, call)| chosen(call));
        times.map(|(at, _)| *at).collect()
    }

    /// How many requests the proxy answered with an error of its own.
    pub fn injected(&self) -> usize {
        self.shared.lock().unwrap().injected
    }

    /// The most requests `chosen` accepts that were in flight at once,
    /// between arrival and answer.
    pub fn most_at_once(&self, chosen: impl Fn(&Call) -> bool) -> usize {
        let shared = self.shared.lock().unwrap();
        // Ends sort before starts at the same instant: touching spans do
        // not overlap.
        let mut edges: Vec<(Instant, i32)> = Vec::new();
        for (arrived, answered, _) in shared.spans.iter().filter(|(_, _, call)| chosen(call)) {
            edges.extend([(*arrived, 1), (*answered, -1)]);
        }
        edges.sort();
        let (mut now, mut most) = (0i32, 0i32);
        for (_, step) in edges {
            now += step;
            most = most.max(now);
        }
        most as usize
    }

    /// The requests whose answers were dropped.
    pub fn lost(&self) -> Vec<Call> {
        self.shared.lock().unwrap().lost.clone()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// What to do with one request, drawn under the lock.
enum Decision {
    Forward { lose_answer: bool },
    Throttle,
    ServerError(StatusCode),
    Refuse(&'static str, &'static str),
}

async fn handle(
    request: Request<Incoming>,
    client: Client<HttpConnector, Full<Bytes>>,
    state: Arc<Mutex<Shared>>,
    upstream: String,
) -> Result<Response<Full<Bytes>>, std::io::Error> {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map_err(std::io::Error::other)?
        .to_bytes();
    let call = describe_call(&parts, &body);
    let _in_flight = InFlight {
        state: state.clone(),
        arrived: Instant::now(),
        call: call.clone(),
    };
    let (decision, latency) = {
        let mut shared = state.lock().unwrap();
        *shared
            .counts
            .entry((call.service.clone(), call.operation.clone()))
            .or_default() += 1;
        shared.timeline.push((Instant::now(), call.clone()));
        let roll = shared.random.fraction();
        let faults = &shared.faults;
        let refusal = faults.refuse.as_ref().and_then(|refuse| refuse(&call));
        let decision = if let Some((code, message)) = refusal {
            Decision::Refuse(code, message)
        } else if roll < faults.throttle {
            Decision::Throttle
        } else if roll < faults.throttle + faults.server_error {
            let status = if roll < faults.throttle + faults.server_error / 2.0 {
                StatusCode::INTERNAL_SERVER_ERROR
            } else {
                StatusCode::SERVICE_UNAVAILABLE
            };
            Decision::ServerError(status)
        } else {
            let rule = (0..faults.lose_answers.len())
                .find(|&i| !shared.fired[i] && (shared.faults.lose_answers[i])(&call));
            if let Some(i) = rule {
                shared.fired[i] = true;
            }
            Decision::Forward {
                lose_answer: rule.is_some(),
            }
        };
        if !matches!(decision, Decision::Forward { .. }) {
            shared.injected += 1;
        }
        let delay = shared
            .faults
            .delay
            .as_ref()
            .map_or(Duration::ZERO, |d| d(&call));
        (decision, shared.faults.latency + delay)
    };
    tokio::time::sleep(latency).await;
    match decision {
        Decision::Throttle => Ok(error_answer(&call.service, StatusCode::BAD_REQUEST, true)),
        Decision::ServerError(status) => Ok(error_answer(&call.service, status, false)),
        Decision::Refuse(code, message) => Ok(aws_error(
            &call.service,
            StatusCode::BAD_REQUEST,
            code,
            message,
        )),
        Decision::Forward { lose_answer } => {
            let mut forwarded = Request::builder().method(parts.method.clone()).uri(format!(
                "{upstream}{}",
                parts.uri.path_and_query().map_or("/", |p| p.as_str())
            ));
            for (name, value) in &parts.headers {
                if !is_hop_by_hop(name) {
                    forwarded = forwarded.header(name, value);
                }
            }
            let forwarded = forwarded
                .body(Full::new(body))
                .map_err(std::io::Error::other)?;
            let answer = client
                .request(forwarded)
                .await
                .map_err(std::io::Error::other)?;
            let (answer_parts, answer_body) = answer.into_parts();
            let answer_body = answer_body
                .collect()
                .await
                .map_err(std::io::Error::other)?
                .to_bytes();
            if lose_answer {
                state.lock().unwrap().lost.push(call);
                return Err(std::io::Error::other("answer dropped on purpose"));
            }
            let mut answer_parts = answer_parts;
            // The emulator closes every connection (`Connection: close`);
            // AWS keeps them open. A proxy does not pass such headers on, so
            // both tools keep their connections to the proxy, as with AWS.
            let hop_by_hop: Vec<_> = answer_parts
                .headers
                .keys()
                .filter(|name| is_hop_by_hop(name))
                .cloned()
                .collect();
            for name in hop_by_hop {
                answer_parts.headers.remove(name);
            }
            let rewritten = {
                let shared = state.lock().unwrap();
                let text = String::from_utf8_lossy(&answer_body);
                shared
                    .faults
                    .rewrite
                    .as_ref()
                    .and_then(|rewrite| rewrite(&call, &text))
            };
            let answer_body = match rewritten {
                Some(text) => {
                    answer_parts.headers.remove(hyper::header::CONTENT_LENGTH);
                    Bytes::from(text)
                }
                None => answer_body,
            };
            Ok(Response::from_parts(answer_parts, Full::new(answer_body)))
        }
    }
}

/// Headers about one connection (RFC 9110, 7.6.1), which a proxy answers
/// for itself and never forwards.
fn is_hop_by_hop(name: &hyper::header::HeaderName) -> bool {
    use hyper::header::{CONNECTION, PROXY_AUTHENTICATE, TE, TRAILER, TRANSFER_ENCODING, UPGRADE};
    [
        CONNECTION,
        PROXY_AUTHENTICATE,
        TE,
        TRAILER,
        TRANSFER_ENCODING,
        UPGRADE,
    ]
    .contains(name)
        || name.as_str().eq_ignore_ascii_case("keep-alive")
        || name.as_str().eq_ignore_ascii_case("proxy-connection")
}

/// The service (from the SigV4 credential scope) and operation of a request.
fn describe_call(parts: &hyper::http::request::Parts, body: &[u8]) -> Call {
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let service = header("authorization")
        .split("Credential=")
        .nth(1)
        .and_then(|scope| scope.split('/').nth(3))
        .unwrap_or("unknown")
        .to_string();
    let text = String::from_utf8_lossy(body);
    let from_query = text
        .split('&')
        .find_map(|pair| pair.strip_prefix("Action="))
        .map(str::to_string);
    let from_target = header("x-amz-target")
        .rsplit('.')
        .next()
        .filter(|t| !t.is_empty())
        .map(str::to_string);
    let method = parts.method.to_string();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().unwrap_or_default().to_string();
    let operation = from_query
        .or(from_target)
        .unwrap_or_else(|| format!("{method} {path}"));
    Call {
        service,
        operation,
        method,
        path,
        query,
    }
}

/// An error answer in the shape `service` answers errors in: a throttling
/// error, or an internal one with `status`.
fn error_answer(service: &str, status: StatusCode, throttle: bool) -> Response<Full<Bytes>> {
    let (code, message) = match (service, throttle) {
        ("ec2", true) => ("RequestLimitExceeded", "Request limit exceeded."),
        ("s3", true) => ("SlowDown", "Please reduce your request rate."),
        (_, true) => ("ThrottlingException", "Rate exceeded"),
        (_, false) if status == StatusCode::SERVICE_UNAVAILABLE => {
            ("ServiceUnavailable", "Service is unavailable.")
        }
        (_, false) => ("InternalFailure", "An internal error occurred."),
    };
    let status = match (service, throttle) {
        ("ec2" | "s3", true) => StatusCode::SERVICE_UNAVAILABLE,
        (_, true) => StatusCode::BAD_REQUEST,
        _ => status,
    };
    aws_error(service, status, code, message)
}

/// An error answer in the service's own protocol.
fn aws_error(
    service: &str,
    status: StatusCode,
    code: &str,
    message: &str,
) -> Response<Full<Bytes>> {
    let mut answer = Response::builder().status(status);
    let body = match service {
        "ec2" => format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>injected</RequestID></Response>"
        ),
        "s3" => format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message><RequestId>injected</RequestId></Error>"
        ),
        "iam" | "autoscaling" | "elasticloadbalancing" | "sts" | "route53" => format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>injected</RequestId></ErrorResponse>"
        ),
        // The JSON protocols (EKS, WAFv2) name the error in a header too.
        _ => {
            answer = answer
                .header("x-amzn-errortype", code)
                .header("content-type", "application/x-amz-json-1.1");
            format!("{{\"__type\":\"{code}\",\"message\":\"{message}\"}}")
        }
    };
    answer
        .header("x-amzn-requestid", "injected")
        .body(Full::new(Bytes::from(body)))
        .expect("error answer")
}

/// A small seeded generator (SplitMix64), so a run can be repeated.
pub struct Seeded(pub u64);

impl Seeded {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in [0, bound).
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }

    /// A fraction in [0, 1).
    pub fn fraction(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}
