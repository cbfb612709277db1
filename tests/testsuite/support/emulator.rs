//! Starts a private moto server on a free loopback port for one test.
//!
//! Each test gets its own emulator process so tests can run in parallel
//! without seeing each other's objects. The process is killed on drop.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;

pub const REGION: &str = "us-east-1";

pub struct Emulator {
    child: Child,
    port: u16,
    log_path: PathBuf,
    recording_path: PathBuf,
    _dir: tempfile::TempDir,
}

/// The server `TERRANE_MOTO_SERVER` names instead of moto's, if any (set
/// but empty counts as unset).
pub fn replacement_server() -> Option<PathBuf> {
    std::env::var_os("TERRANE_MOTO_SERVER")
        .filter(|path| !path.is_empty())
        .map(PathBuf::from)
}

fn moto_server_path() -> PathBuf {
    replacement_server()
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/moto_server"))
}

/// How long the emulator takes to issue a DNS-validated certificate
/// (scripts/emulator.sh sets the same for the demo).
pub const ACM_VALIDATION_SECONDS: &str = "3";

impl Emulator {
    pub fn start() -> Emulator {
        Emulator::start_with(&[])
    }

    /// An emulator whose server also has `env` (moto's settings, such as
    /// `INITIAL_NO_AUTH_ACTION_COUNT`, which turns on its IAM checks).
    pub fn start_with(env: &[(&str, &str)]) -> Emulator {
        let server = moto_server_path();
        assert!(
            server.exists(),
            "the AWS emulator is not installed at {}: run scripts/install-emulator.sh (make test does this)",
            server.display()
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let log_path = dir.path().join("moto.log");
        let port = free_port();
        let recording_path = dir.path().join("requests.jsonl");
        let log = std::fs::File::create(&log_path).expect("moto log");
        let child = Command::new(&server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            // A requested certificate is issued this many seconds after it
            // was asked for (AWS: once its DNS records are seen).
            .env("MOTO_ACM_VALIDATION_WAIT", ACM_VALIDATION_SECONDS)
            // moto's request recorder keeps every request with its body, so
            // tests can check what was sent on the wire.
            .env("MOTO_ENABLE_RECORDING", "true")
            .env("MOTO_RECORDER_FILEPATH", &recording_path)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start moto_server");
        let mut emulator = Emulator {
            child,
            port,
            log_path,
            recording_path,
            _dir: dir,
        };
        if !emulator.wait_ready(Duration::from_secs(60)) {
            panic!(
                "moto_server did not become ready on port {port}; log:\n{}",
                std::fs::read_to_string(&emulator.log_path).unwrap_or_default()
            );
        }
        emulator
    }

    fn wait_ready(&mut self, timeout: Duration) -> bool {
        let started = Instant::now();
        while started.elapsed() < timeout {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if http_status(self.port, "GET", "/moto-api/").is_some_and(|s| s == 200) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    /// Clears every object (moto's `POST /moto-api/reset`), so one server
    /// can serve a test's several trials.
    pub fn reset(&self) {
        assert_eq!(
            http_status_within(
                self.port,
                "POST",
                "/moto-api/reset",
                Duration::from_secs(60)
            ),
            Some(200),
            "reset the emulator"
        );
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Environment for running the `terrane` binary against this emulator,
    /// isolated from the user's own AWS profile.
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ENDPOINT_URL", self.endpoint()),
            ("AWS_ACCESS_KEY_ID", "test".into()),
            ("AWS_SECRET_ACCESS_KEY", "test".into()),
            ("AWS_REGION", REGION.into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
            ("AWS_CONFIG_FILE", "/dev/null".into()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// SDK configuration for independent checks (and for driving resource
    /// types directly) against this emulator.
    pub fn sdk_config(&self) -> SdkConfig {
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(self.endpoint())
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(
                    Credentials::for_tests(),
                ),
            )
            .build()
    }

    pub fn ec2(&self) -> aws_sdk_ec2::Client {
        aws_sdk_ec2::Client::new(&self.sdk_config())
    }

    /// EC2 in another region, to check what a provider alias built there.
    pub fn ec2_in(&self, region: &'static str) -> aws_sdk_ec2::Client {
        let config = self
            .sdk_config()
            .into_builder()
            .region(Region::new(region))
            .build();
        aws_sdk_ec2::Client::new(&config)
    }

    pub fn iam(&self) -> aws_sdk_iam::Client {
        aws_sdk_iam::Client::new(&self.sdk_config())
    }

    pub fn autoscaling(&self) -> aws_sdk_autoscaling::Client {
        aws_sdk_autoscaling::Client::new(&self.sdk_config())
    }

    pub fn eks(&self) -> aws_sdk_eks::Client {
        aws_sdk_eks::Client::new(&self.sdk_config())
    }

    pub fn elb(&self) -> aws_sdk_elasticloadbalancing::Client {
        aws_sdk_elasticloadbalancing::Client::new(&self.sdk_config())
    }

    pub fn elbv2(&self) -> aws_sdk_elasticloadbalancingv2::Client {
        aws_sdk_elasticloadbalancingv2::Client::new(&self.sdk_config())
    }

    pub fn wafv2(&self) -> aws_sdk_wafv2::Client {
        aws_sdk_wafv2::Client::new(&self.sdk_config())
    }

    pub fn route53(&self) -> aws_sdk_route53::Client {
        aws_sdk_route53::Client::new(&self.sdk_config())
    }

    pub fn kms(&self) -> aws_sdk_kms::Client {
        aws_sdk_kms::Client::new(&self.sdk_config())
    }

    pub fn logs(&self) -> aws_sdk_cloudwatchlogs::Client {
        aws_sdk_cloudwatchlogs::Client::new(&self.sdk_config())
    }

    pub fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.sdk_config())
    }

    pub fn acm(&self) -> aws_sdk_acm::Client {
        aws_sdk_acm::Client::new(&self.sdk_config())
    }

    pub fn ssm(&self) -> aws_sdk_ssm::Client {
        aws_sdk_ssm::Client::new(&self.sdk_config())
    }

    /// S3 with path-style addressing, which the emulator needs.
    pub fn s3(&self) -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::config::Builder::from(&self.sdk_config())
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    /// Number of requests so far whose access-log line contains `needle`
    /// (e.g. a REST path such as `/2013-04-01/change/`).
    pub fn request_count_matching(&self, needle: &str) -> usize {
        std::fs::read_to_string(&self.log_path)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains(needle))
            .count()
    }

    /// Number of AWS API requests the emulator has served so far, from its
    /// access log (one line per request). Lines of error answers are
    /// coloured with ANSI escapes, which are removed before matching.
    pub fn request_count(&self) -> usize {
        std::fs::read_to_string(&self.log_path)
            .unwrap_or_default()
            .lines()
            .map(strip_ansi)
            .filter(|l| {
                l.contains("\"POST ")
                    || l.contains("\"GET ")
                    || l.contains("\"PUT ")
                    || l.contains("\"DELETE ")
                    || l.contains("\"HEAD ")
            })
            .filter(|l| !l.contains("/moto-api/"))
            .count()
    }
}

impl Emulator {
    /// How many requests of one query-protocol action (EC2, STS, IAM…)
    /// the emulator has served so far, e.g. `DescribeSubnets`.
    pub fn action_count(&self, action: &str) -> usize {
        let needle = format!("Action={action}&");
        self.request_bodies()
            .iter()
            .filter(|b| b.contains(&needle))
            .count()
    }

    /// The bodies of the AWS requests served so far, in order, from moto's
    /// request recorder (e.g. `Action=CreateNatGateway&ClientToken=...` for
    /// EC2's query protocol).
    pub fn request_bodies(&self) -> Vec<String> {
        std::fs::read_to_string(&self.recording_path)
            .unwrap_or_default()
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .map(|entry| {
                let body = entry["body"].as_str().unwrap_or_default();
                if entry["body_encoded"].as_bool() == Some(true) {
                    let bytes =
                        aws_smithy_types::base64::decode(body).expect("recorded body is base64");
                    String::from_utf8_lossy(&bytes).into_owned()
                } else {
                    body.to_string()
                }
            })
            .collect()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Removes ANSI colour sequences (`ESC [ ... m`).
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for end in chars.by_ref() {
                if end.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A minimal HTTP request over loopback; returns the status code.
fn http_status(port: u16, method: &str, path: &str) -> Option<u16> {
    http_status_within(port, method, path, Duration::from_secs(2))
}

fn http_status_within(port: u16, method: &str, path: &str, timeout: Duration) -> Option<u16> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(timeout)).ok()?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut buf = [0u8; 64];
    let n = stream.read(&mut buf).ok()?;
    let head = std::str::from_utf8(&buf[..n]).ok()?;
    head.split_whitespace().nth(1)?.parse().ok()
}
