//! SDK configuration and clients, built once per run.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use aws_config::{BehaviorVersion, Region, SdkConfig};

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
            $($name: OnceLock<$krate::Client>,)*
        }

        impl AwsContext {
            /// Builds clients over an already loaded SDK configuration.
            pub fn from_sdk_config(settings: AwsSettings, config: SdkConfig) -> AwsContext {
                AwsContext { settings, config, $($name: OnceLock::new(),)* }
            }

            $(
            pub fn $name(&self) -> &$krate::Client {
                self.$name.get_or_init(|| {
                    let mut builder = $krate::config::Builder::from(&self.config);
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
    elbv2: aws_sdk_elasticloadbalancingv2;
    eks: aws_sdk_eks;
    wafv2: aws_sdk_wafv2;
    route53: aws_sdk_route53;
}

impl AwsContext {
    /// Loads the SDK's usual configuration chain (environment, profiles, SSO,
    /// instance metadata, `AWS_ENDPOINT_URL`), with the provider block's region
    /// taking precedence. No AWS call is made here.
    pub async fn load(settings: AwsSettings) -> AwsContext {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(region) = &settings.region {
            loader = loader.region(Region::new(region.clone()));
        }
        AwsContext::from_sdk_config(settings, loader.load().await)
    }

    pub fn region(&self) -> Option<&str> {
        self.config.region().map(|r| r.as_ref())
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
