//! SDK configuration and clients, built once per run.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use super::coalesce::SharedDescribes;
use super::limits::{LimitedClient, Limiting, RateLimits};
use crate::provider::{ErrorKind, ProviderError};
use aws_config::retry::RetryConfig;
use aws_config::stalled_stream_protection::StalledStreamProtectionConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};

/// What the `provider "aws"` block and the command line say about AWS.
#[derive(Clone, Debug, Default)]
pub struct AwsSettings {
    pub region: Option<String>,
    /// Per-service endpoint overrides from `endpoints {}` (service name → URL).
    pub endpoints: BTreeMap<String, String>,
    /// The provider's `default_tags { tags = {...} }`.
    pub default_tags: BTreeMap<String, String>,
    /// The stack's name, written as the `terrane:stack` tag.
    pub stack: String,
    pub credentials: CredentialSettings,
    /// Tags managed outside the stack, never shown as differences.
    pub ignore_tags: IgnoreTags,
    /// The provider block's `max_retries` (`None`: the environment's
    /// `AWS_MAX_ATTEMPTS`, else [`DEFAULT_MAX_RETRIES`]).
    pub max_retries: Option<u32>,
    /// Client-side rate limits (`TERRANE_RATE_LIMITS`).
    pub rate_limits: Limiting,
    /// The stack's directory: where a relative path an argument names (an
    /// object's `source`) is found, as Terraform finds it in the directory
    /// it runs in. Empty: the process's own.
    pub working_dir: std::path::PathBuf,
}

/// Retries of a call that failed for a passing reason, unless the provider
/// block or the environment says otherwise. The SDK's own default (2) lets
/// one call in a thousand fail at a 10% fault rate; Terraform's (25) keeps
/// a mistyped endpoint waiting for minutes.
pub const DEFAULT_MAX_RETRIES: u32 = 9;

/// Where credentials come from, beyond the SDK's usual chain: the
/// provider block's `profile`, profile files and `assume_role`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CredentialSettings {
    pub profile: Option<String>,
    pub shared_config_files: Vec<String>,
    pub shared_credentials_files: Vec<String>,
    pub assume_role: Option<AssumeRole>,
}

/// `assume_role { role_arn, session_name, external_id }`.
#[derive(Clone, Debug, PartialEq)]
pub struct AssumeRole {
    pub role_arn: String,
    pub session_name: Option<String>,
    pub external_id: Option<String>,
}

/// `ignore_tags { keys, key_prefixes }`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IgnoreTags {
    pub keys: Vec<String>,
    pub key_prefixes: Vec<String>,
}

impl IgnoreTags {
    pub fn ignores(&self, key: &str) -> bool {
        self.keys.iter().any(|k| k == key) || self.key_prefixes.iter().any(|p| key.starts_with(p))
    }

    /// Leaves the ignored tags out of an object read from AWS, so they are
    /// never a difference (and so never removed by an update).
    pub fn strip(&self, attrs: &mut crate::value::Attrs) {
        if self.keys.is_empty() && self.key_prefixes.is_empty() {
            return;
        }
        for name in ["tags", "tags_all"] {
            if let Some(crate::value::Value::Map(tags)) = attrs.get_mut(name) {
                tags.retain(|key, _| !self.ignores(key));
            }
        }
    }
}

/// Declares the per-service clients: a lazily built field and an accessor
/// each, honouring the endpoint override for that service.
macro_rules! service_clients {
    ($($name:ident: $krate:ident $(, $extra:ident)?;)*) => {
        /// Shared by every resource operation of a run: SDK config plus lazily
        /// built clients, one per service.
        pub struct AwsContext {
            pub settings: AwsSettings,
            config: SdkConfig,
            /// The same clients without the SDK's retries, made when first
            /// asked for.
            single_attempt: OnceLock<Box<AwsContext>>,
            /// The rate limits every client of this context shares.
            limits: Arc<RateLimits>,
            /// Describe calls that concurrent steps share. The
            /// `single_attempt` clients have their own: a shared call is
            /// made with one set of clients, and their retries.
            shared: SharedDescribes,
            /// The credentials' account, asked of STS once.
            account: tokio::sync::OnceCell<String>,
            $($name: OnceLock<$krate::Client>,)*
        }

        impl AwsContext {
            /// Builds clients over an already loaded SDK configuration.
            pub fn from_sdk_config(settings: AwsSettings, config: SdkConfig) -> AwsContext {
                let limits = Arc::new(RateLimits::new(settings.rate_limits));
                AwsContext::sharing_limits(settings, config, limits)
            }

            fn sharing_limits(
                settings: AwsSettings,
                config: SdkConfig,
                limits: Arc<RateLimits>,
            ) -> AwsContext {
                AwsContext {
                    settings,
                    config,
                    single_attempt: OnceLock::new(),
                    limits,
                    shared: SharedDescribes::default(),
                    account: tokio::sync::OnceCell::new(),
                    $($name: OnceLock::new(),)*
                }
            }

            $(
            pub fn $name(&self) -> &$krate::Client {
                self.$name.get_or_init(|| {
                    let mut builder = $krate::config::Builder::from(&self.config)
                        .interceptor(super::stats::CallCounter)
                        .interceptor(super::limits::LabelOperation)
                        .retry_classifier(super::errors::RefusedConnections);
                    let inner = self
                        .config
                        .http_client()
                        .unwrap_or_else(super::limits::default_https_client);
                    builder = builder
                        .http_client(LimitedClient {
                            inner,
                            limits: self.limits.clone(),
                        })
                        // The limiter waits where the SDK measures upload
                        // throughput, which would read the wait as a stall;
                        // requests here are small, answers keep their check.
                        .stalled_stream_protection(
                            StalledStreamProtectionConfig::enabled()
                                .upload_enabled(false)
                                .build(),
                        );
                    if let Some(url) = self.endpoint(stringify!($name)) {
                        builder = builder.endpoint_url(url)$(.$extra(true))?;
                    }
                    $krate::Client::from_conf(builder.build())
                })
            }
            )*
        }
    };
}

// S3 uses path-style addressing whenever the endpoint is overridden, since
// emulators and private endpoints don't serve bucket subdomains.
service_clients! {
    ec2: aws_sdk_ec2;
    s3: aws_sdk_s3, force_path_style;
    iam: aws_sdk_iam;
    autoscaling: aws_sdk_autoscaling;
    elb: aws_sdk_elasticloadbalancing;
    elbv2: aws_sdk_elasticloadbalancingv2;
    eks: aws_sdk_eks;
    wafv2: aws_sdk_wafv2;
    route53: aws_sdk_route53;
    sts: aws_sdk_sts;
    tagging: aws_sdk_resourcegroupstagging;
    dynamodb: aws_sdk_dynamodb;
    kms: aws_sdk_kms;
    logs: aws_sdk_cloudwatchlogs;
    acm: aws_sdk_acm;
    ssm: aws_sdk_ssm;
}

impl AwsContext {
    /// These clients with the SDK's retries turned off, for creates: a create
    /// whose answer was lost may have made its object, and sending it again
    /// blindly would make a second one, so the engine looks for the object
    /// before it tries again (`apply`'s `create_or_adopt`).
    pub fn single_attempt(&self) -> &AwsContext {
        self.single_attempt.get_or_init(|| {
            let config = self
                .config
                .to_builder()
                .retry_config(RetryConfig::disabled())
                .build();
            Box::new(AwsContext::sharing_limits(
                self.settings.clone(),
                config,
                self.limits.clone(),
            ))
        })
    }

    /// Describe calls that concurrent steps share (see
    /// [`coalesce`](super::coalesce)): for the polls of a wait, which
    /// otherwise cost a call per object.
    pub fn shared_describes(&self) -> &SharedDescribes {
        &self.shared
    }

    /// Loads the SDK's usual configuration chain (environment, profiles, SSO,
    /// instance metadata, `AWS_ENDPOINT_URL`), with the provider block's region
    /// taking precedence. No AWS call is made here.
    pub async fn load(settings: AwsSettings) -> AwsContext {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(region) = &settings.region {
            loader = loader.region(Region::new(region.clone()));
        }
        let credentials = &settings.credentials;
        if let Some(profile) = &credentials.profile {
            loader = loader.profile_name(profile);
        }
        if !credentials.shared_config_files.is_empty()
            || !credentials.shared_credentials_files.is_empty()
        {
            // Naming one kind of file keeps the default of the other, as
            // in Terraform.
            let mut files = EnvConfigFiles::builder()
                .include_default_config_file(credentials.shared_config_files.is_empty())
                .include_default_credentials_file(credentials.shared_credentials_files.is_empty());
            for path in &credentials.shared_config_files {
                files = files.with_file(EnvConfigFileKind::Config, path);
            }
            for path in &credentials.shared_credentials_files {
                files = files.with_file(EnvConfigFileKind::Credentials, path);
            }
            loader = loader.profile_files(files.build());
        }
        // The SDK's standard mode: exponential backoff with full jitter,
        // throttling and transient errors (5xx, timeouts, dropped
        // connections) retried, others never.
        let retries = settings.max_retries.or_else(|| {
            std::env::var_os("AWS_MAX_ATTEMPTS")
                .is_none()
                .then_some(DEFAULT_MAX_RETRIES)
        });
        if let Some(retries) = retries {
            loader = loader.retry_config(RetryConfig::standard().with_max_attempts(retries + 1));
        }
        let base = loader.load().await;
        let config = match &credentials.assume_role {
            None => base,
            Some(role) => {
                // The role is assumed with the chain's credentials, through
                // STS at the chain's endpoint; the SDK renews it as needed.
                let mut assume = AssumeRoleProvider::builder(&role.role_arn)
                    .session_name(role.session_name.as_deref().unwrap_or("terrane"))
                    .configure(&base);
                if let Some(external_id) = &role.external_id {
                    assume = assume.external_id(external_id);
                }
                let provider = assume.build().await;
                base.into_builder()
                    .credentials_provider(SharedCredentialsProvider::new(provider))
                    .build()
            }
        };
        AwsContext::from_sdk_config(settings, config)
    }

    /// The account the credentials belong to (STS GetCallerIdentity, asked
    /// once per context).
    pub async fn account_id(&self) -> Result<String, crate::provider::ProviderError> {
        self.account
            .get_or_try_init(|| async {
                let identity = self
                    .sts()
                    .get_caller_identity()
                    .send()
                    .await
                    .map_err(super::errors::sdk_error)?;
                Ok(identity.account().unwrap_or_default().to_string())
            })
            .await
            .cloned()
    }

    pub fn region(&self) -> Option<&str> {
        self.config.region().map(|r| r.as_ref())
    }

    /// The provider's credentials, resolved now: for a request terrane
    /// signs itself rather than sends (the EKS token's presigned URL).
    pub async fn credentials(&self) -> Result<aws_credential_types::Credentials, ProviderError> {
        use aws_credential_types::provider::ProvideCredentials as _;
        let provider = self.config.credentials_provider().ok_or_else(|| {
            ProviderError::new(ErrorKind::Other, "no AWS credentials are configured")
        })?;
        provider.provide_credentials().await.map_err(|e| {
            ProviderError::new(
                ErrorKind::Other,
                format!("the AWS credentials could not be loaded: {e}"),
            )
        })
    }

    /// STS's URL for this provider: its `endpoints` override, or the
    /// region's own endpoint.
    pub fn sts_url(&self) -> String {
        self.endpoint("sts").unwrap_or_else(|| {
            let region = self.region().unwrap_or("us-east-1");
            let suffix = super::regions::partition(region).dns_suffix;
            format!("https://sts.{region}.{suffix}")
        })
    }

    /// The endpoint for one service: the provider's `endpoints {}` entry, else
    /// the chain's (`AWS_ENDPOINT_URL`), else AWS's own.
    fn endpoint(&self, service: &str) -> Option<String> {
        self.settings
            .endpoints
            .get(service)
            .cloned()
            .or_else(|| self.config.endpoint_url().map(str::to_string))
    }
}
