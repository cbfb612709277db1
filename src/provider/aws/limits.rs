//! Client-side rate limits: a token bucket per service and class of
//! operation (reads, changes), sized to AWS's published API throttling, so
//! that a large apply stays under AWS's limits instead of being throttled
//! and backing off. Every request of a provider configuration's clients
//! waits for a token in the HTTP connector they share; the operation's
//! name, which decides its class, is put on the request by an interceptor.
//!
//! The rates, per account and region as AWS counts them (a bucket of
//! `burst` tokens refilled at `per_second`). EC2 gives every API its own
//! bucket, at its class's rate ("each API is evaluated individually"), so
//! CreateVpc and CreateSubnet never wait for each other; the other services
//! publish no per-API rates, and their reads (and their changes) share one
//! bucket:
//!
//! | service | reads | changes | source |
//! |---|---|---|---|
//! | ec2 | 100, 20/s | 50, 5/s | EC2 API throttling, request token buckets (non-mutating; mutating), per API |
//! | route53 | 5, 5/s | 5, 5/s | Route 53 quotas: five requests per second per account |
//! | iam | 20, 10/s | 10, 5/s | not published per operation; IAM is a global, low-rate API |
//! | autoscaling, elasticloadbalancing, eks, wafv2 | 40, 10/s | 20, 5/s | not published per operation; below what throttles in practice |
//!
//! S3, STS and the Resource Groups Tagging API are not limited (S3's limits
//! are per key prefix and far above what a stack asks for; the other two
//! are called a few times a run). `TERRANE_RATE_LIMITS` scales every rate and burst
//! (`0.5` halves them), or turns the limits `off`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, Metadata};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// Whether an operation reads or changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    Read,
    Change,
}

impl Class {
    /// By the operation's name, as AWS's throttling classes go.
    pub fn of(operation: &str) -> Class {
        const READS: &[&str] = &["Describe", "List", "Get", "Head"];
        if READS.iter().any(|prefix| operation.starts_with(prefix)) {
            Class::Read
        } else {
            Class::Change
        }
    }
}

/// A token bucket's size and refill.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rate {
    pub burst: f64,
    pub per_second: f64,
}

/// The name the table above keys a service by, from the SDK's name for
/// it ("Auto Scaling", "Route 53", "Elastic Load Balancing v2"): in small
/// letters without spaces, the two load balancing APIs as one.
fn service_key(sdk_name: &str) -> String {
    let key: String = sdk_name
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    match key.as_str() {
        "elasticloadbalancingv2" => "elasticloadbalancing".to_string(),
        _ => key,
    }
}

/// The published (or chosen) rate of a service's class; `None`: unlimited.
fn rate(service: &str, class: Class) -> Option<Rate> {
    let (burst, per_second) = match (service, class) {
        ("ec2", Class::Read) => (100.0, 20.0),
        ("ec2", Class::Change) => (50.0, 5.0),
        ("route53", _) => (5.0, 5.0),
        ("iam", Class::Read) => (20.0, 10.0),
        ("iam", Class::Change) => (10.0, 5.0),
        ("autoscaling" | "elasticloadbalancing" | "eks" | "wafv2", Class::Read) => (40.0, 10.0),
        ("autoscaling" | "elasticloadbalancing" | "eks" | "wafv2", Class::Change) => (20.0, 5.0),
        _ => return None,
    };
    Some(Rate { burst, per_second })
}

/// How the limits apply: scaled, or off.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Limiting {
    Off,
    /// Every rate and burst times this.
    Scaled(f64),
}

impl Default for Limiting {
    fn default() -> Self {
        Limiting::Scaled(1.0)
    }
}

impl Limiting {
    /// `TERRANE_RATE_LIMITS`'s value: `off`, or a positive factor.
    pub fn parse(text: &str) -> Result<Limiting, String> {
        match text.trim() {
            "off" => Ok(Limiting::Off),
            number => match number.parse::<f64>() {
                Ok(factor) if factor > 0.0 && factor.is_finite() => Ok(Limiting::Scaled(factor)),
                _ => Err(format!(
                    "TERRANE_RATE_LIMITS must be `off` or a positive number, not {text:?}"
                )),
            },
        }
    }
}

struct Bucket {
    rate: Rate,
    tokens: f64,
    refilled: Instant,
}

impl Bucket {
    /// Takes a token, and says how long to wait before using it: tokens
    /// may go below zero, which queues the callers in order.
    fn take(&mut self, now: Instant) -> Duration {
        let elapsed = now.saturating_duration_since(self.refilled).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate.per_second).min(self.rate.burst);
        self.refilled = now;
        self.tokens -= 1.0;
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.tokens / self.rate.per_second)
        }
    }
}

/// The buckets of one provider configuration (an account and region).
pub struct RateLimits {
    limiting: Limiting,
    /// By service and either operation (EC2) or class (the rest).
    buckets: Mutex<BTreeMap<(String, String), Bucket>>,
}

impl RateLimits {
    pub fn new(limiting: Limiting) -> RateLimits {
        RateLimits {
            limiting,
            buckets: Mutex::new(BTreeMap::new()),
        }
    }

    /// How long a call of `operation` on `service` waits for its token.
    pub fn reserve(&self, service: &str, operation: &str, now: Instant) -> Duration {
        let Limiting::Scaled(factor) = self.limiting else {
            return Duration::ZERO;
        };
        let class = Class::of(operation);
        let Some(rate) = rate(service, class) else {
            return Duration::ZERO;
        };
        let rate = Rate {
            burst: (rate.burst * factor).max(1.0),
            per_second: rate.per_second * factor,
        };
        let Ok(mut buckets) = self.buckets.lock() else {
            return Duration::ZERO;
        };
        // EC2 throttles each API on its own, with its class's rate; the
        // other services publish no per-API rates, so a class shares one.
        let bucket = match service {
            "ec2" => operation.to_string(),
            _ => format!("{class:?}"),
        };
        buckets
            .entry((service.to_string(), bucket))
            .or_insert(Bucket {
                rate,
                tokens: rate.burst,
                refilled: now,
            })
            .take(now)
    }
}

impl std::fmt::Debug for RateLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimits")
            .field("limiting", &self.limiting)
            .finish_non_exhaustive()
    }
}

/// The operation a request is for, put on it before it is sent.
#[derive(Clone, Debug)]
struct Operation {
    service: String,
    name: String,
}

/// The interceptor that labels each request with its operation.
#[derive(Debug)]
pub struct LabelOperation;

impl Intercept for LabelOperation {
    fn name(&self) -> &'static str {
        "terrane operation label"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(metadata) = cfg.load::<Metadata>() {
            let operation = Operation {
                service: service_key(metadata.service()),
                name: metadata.name().to_string(),
            };
            context.request_mut().add_extension(operation);
        }
        Ok(())
    }
}

/// The SDK's own default HTTPS client (hyper 1, rustls over aws-lc, proxy
/// settings from the environment), built as `aws-smithy-runtime` builds it
/// for the current behaviour version; that function is private, and the
/// client must be in hand to be wrapped.
pub fn default_https_client() -> SharedHttpClient {
    use aws_smithy_http_client::proxy::ProxyConfig;
    use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
    use aws_smithy_http_client::{Builder, ConnectorBuilder};
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut connector =
            ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    })
}

/// An HTTP client that waits for a token before each request it sends.
#[derive(Debug)]
pub struct LimitedClient {
    pub inner: SharedHttpClient,
    pub limits: Arc<RateLimits>,
}

impl HttpClient for LimitedClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(LimitedConnector {
            inner: self.inner.http_connector(settings, components),
            limits: self.limits.clone(),
        })
    }
}

#[derive(Debug)]
struct LimitedConnector {
    inner: SharedHttpConnector,
    limits: Arc<RateLimits>,
}

impl HttpConnector for LimitedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let wait = request
            .extension::<Operation>()
            .map_or(Duration::ZERO, |op| {
                self.limits.reserve(&op.service, &op.name, Instant::now())
            });
        let inner = self.inner.clone();
        HttpConnectorFuture::new(async move {
            if !wait.is_zero() {
                crate::retry::sleep(wait).await;
            }
            inner.call(request).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn millis(waits: &[Duration]) -> Vec<u64> {
        waits
            .iter()
            .map(|w| (w.as_secs_f64() * 1000.0).round() as u64)
            .collect()
    }

    #[test]
    fn operations_fall_into_reads_and_changes() {
        assert_eq!(Class::of("DescribeVpcs"), Class::Read);
        assert_eq!(Class::of("ListRoles"), Class::Read);
        assert_eq!(Class::of("GetRole"), Class::Read);
        assert_eq!(Class::of("CreateVpc"), Class::Change);
        assert_eq!(Class::of("DeleteSubnet"), Class::Change);
    }

    #[test]
    fn a_burst_is_free_and_then_calls_queue_at_the_refill_rate() {
        let limits = RateLimits::new(Limiting::default());
        let start = Instant::now();
        let waits: Vec<Duration> = (0..53)
            .map(|_| limits.reserve("ec2", "CreateVpc", start))
            .collect();
        assert!(waits[..50].iter().all(|w| w.is_zero()), "the burst of 50");
        // Then one every 200 ms (5 per second), in order.
        assert_eq!(millis(&waits[50..]), [200, 400, 600]);
        // Reads have a bucket of their own.
        assert_eq!(limits.reserve("ec2", "DescribeVpcs", start), Duration::ZERO);
        // So does each other EC2 API: CreateSubnet waits for no CreateVpc.
        assert_eq!(limits.reserve("ec2", "CreateSubnet", start), Duration::ZERO);
        // Time refills: a second later, five tokens are back, minus the
        // three already owed.
        let later = start + Duration::from_secs(1);
        assert_eq!(limits.reserve("ec2", "CreateVpc", later), Duration::ZERO);
        assert_eq!(limits.reserve("ec2", "CreateVpc", later), Duration::ZERO);
        assert!(!limits.reserve("ec2", "CreateVpc", later).is_zero());
        // Elsewhere a class shares one bucket.
        let iam: Vec<Duration> = (0..11)
            .map(|n| {
                limits.reserve(
                    "iam",
                    if n % 2 == 0 { "CreateRole" } else { "TagRole" },
                    start,
                )
            })
            .collect();
        assert!(iam[..10].iter().all(|w| w.is_zero()));
        assert!(!iam[10].is_zero(), "IAM's changes share a bucket of 10");
    }

    #[test]
    fn the_sdks_service_names_find_their_rates() {
        for (sdk_name, key) in [
            ("EC2", "ec2"),
            ("Auto Scaling", "autoscaling"),
            ("Route 53", "route53"),
            ("Elastic Load Balancing", "elasticloadbalancing"),
            ("Elastic Load Balancing v2", "elasticloadbalancing"),
            ("WAFV2", "wafv2"),
            ("EKS", "eks"),
            ("IAM", "iam"),
        ] {
            assert_eq!(service_key(sdk_name), key);
            assert!(rate(key, Class::Change).is_some(), "{sdk_name}");
        }
    }

    #[test]
    fn limits_scale_or_turn_off_and_some_services_are_unlimited() {
        let start = Instant::now();
        let half = RateLimits::new(Limiting::parse("0.1").unwrap());
        let waits: Vec<Duration> = (0..6)
            .map(|_| half.reserve("ec2", "CreateVpc", start))
            .collect();
        assert!(waits[..5].iter().all(|w| w.is_zero()));
        assert_eq!(millis(&waits[5..]), [2000]);
        let off = RateLimits::new(Limiting::parse("off").unwrap());
        assert!((0..500).all(|_| off.reserve("ec2", "CreateVpc", start).is_zero()));
        let s3 = RateLimits::new(Limiting::default());
        assert!((0..500).all(|_| s3.reserve("s3", "PutObject", start).is_zero()));
        assert!(Limiting::parse("-1").is_err());
        assert!(Limiting::parse("fast").is_err());
    }
}
