//! A recorded AWS conversation, for APIs the emulator lacks (EKS add-ons,
//! access entries, node group version updates): the SDK's HTTP client is
//! replaced by one that checks each request against the next expected
//! exchange (method, path, fragments its body must hold) and answers with
//! the response given, written in the shapes of the AWS API reference.
//!
//! What it proves: the requests a resource type sends and how it reads
//! AWS's documented answers. What it cannot: that AWS accepts them.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::{Response, StatusCode};
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::RetryConfig;
use terrane::provider::aws::{AwsContext, AwsSettings};

use super::fixtures::STACK;

/// One request the conversation expects, and AWS's answer to it.
#[derive(Debug)]
pub struct Exchange {
    method: &'static str,
    path: String,
    body_holds: Vec<String>,
    status: u16,
    answer: String,
}

impl Exchange {
    /// `method path` answered with 200 and `answer` (JSON).
    pub fn new(method: &'static str, path: impl Into<String>, answer: impl Into<String>) -> Self {
        Exchange {
            method,
            path: path.into(),
            body_holds: Vec::new(),
            status: 200,
            answer: answer.into(),
        }
    }

    /// The request's body must hold `fragment` (compact JSON, as the SDK
    /// writes it).
    pub fn body_holds(mut self, fragment: impl Into<String>) -> Self {
        self.body_holds.push(fragment.into());
        self
    }

    /// Answered with this status instead (an error's JSON in `answer`).
    pub fn status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }
}

/// The conversation: exchanges in the order they must happen.
#[derive(Clone, Debug)]
pub struct Replay {
    expected: Arc<Mutex<VecDeque<Exchange>>>,
}

impl Replay {
    pub fn new(exchanges: Vec<Exchange>) -> Replay {
        Replay {
            expected: Arc::new(Mutex::new(exchanges.into())),
        }
    }

    /// A provider context whose every call goes to this conversation (no
    /// retries, so an unexpected call fails at once).
    pub fn context(&self) -> AwsContext {
        let config = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(SharedCredentialsProvider::new(Credentials::for_tests()))
            .retry_config(RetryConfig::disabled())
            .http_client(self.clone())
            .build();
        let settings = AwsSettings {
            stack: STACK.into(),
            ..Default::default()
        };
        AwsContext::from_sdk_config(settings, config)
    }

    /// Every expected exchange happened.
    pub fn assert_done(&self) {
        let left = self.expected.lock().unwrap();
        assert!(
            left.is_empty(),
            "expected requests never sent: {:?}",
            left.iter()
                .map(|e| format!("{} {}", e.method, e.path))
                .collect::<Vec<_>>()
        );
    }
}

impl HttpClient for Replay {
    fn http_connector(
        &self,
        _settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

impl HttpConnector for Replay {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let method = request.method().to_string();
        let uri = request.uri().to_string();
        let path = uri
            .split_once("amazonaws.com")
            .map_or(uri.as_str(), |(_, path)| path)
            .to_string();
        let body = request
            .body()
            .bytes()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default();
        let next = self.expected.lock().unwrap().pop_front();
        let Some(next) = next else {
            panic!("unexpected request: {method} {path} {body}");
        };
        assert_eq!(
            (method.as_str(), path.as_str()),
            (next.method, next.path.as_str()),
            "request out of order (body: {body})"
        );
        for fragment in &next.body_holds {
            assert!(
                body.contains(fragment.as_str()),
                "{method} {path}: the body lacks {fragment}: {body}"
            );
        }
        let response = Response::new(
            StatusCode::try_from(next.status).expect("a status"),
            SdkBody::from(next.answer),
        );
        HttpConnectorFuture::ready(Ok(response))
    }
}
