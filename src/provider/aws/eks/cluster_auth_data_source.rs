//! Data source `aws_eks_cluster_auth`: a token the Kubernetes API of an EKS
//! cluster accepts, as `aws eks get-token` and Terraform's provider make
//! it: `k8s-aws-v1.` and the base64url of an STS GetCallerIdentity URL
//! presigned for 60 seconds, with the cluster name in the signed
//! `x-k8s-aws-id` header. Made locally from the provider's credentials: no
//! call to AWS, the cluster itself verifies it with STS.

use std::sync::LazyLock;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use aws_sigv4::http_request::{
    SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::provider::aws::AwsContext;
use crate::provider::aws::convert::required_str;
use crate::provider::schema::{Attribute, Schema, Type};
use crate::provider::{DataSourceType, ErrorKind, ProviderError};
use crate::value::{Attrs, Value};

pub struct EksClusterAuthDataSource;

/// How long the presigned URL, and so the token, is valid: what the
/// Kubernetes authenticator expects.
const TOKEN_LIFETIME: Duration = Duration::from_secs(60);
const TOKEN_PREFIX: &str = "k8s-aws-v1.";
const CLUSTER_HEADER: &str = "x-k8s-aws-id";

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::new(
        vec![
            Attribute::required("name", Type::String),
            Attribute::computed("id", Type::String),
            Attribute::computed("token", Type::String).sensitive(),
        ],
        vec![],
    )
});

/// The token for `cluster`, signed with `identity` at `now`.
fn token(
    sts_url: &str,
    region: &str,
    cluster: &str,
    identity: &Identity,
    now: SystemTime,
) -> Result<String, ProviderError> {
    let failed = |e: &dyn std::fmt::Display| {
        ProviderError::new(
            ErrorKind::Other,
            format!("the EKS token could not be signed: {e}"),
        )
    };
    let url = format!(
        "{}/?Action=GetCallerIdentity&Version=2011-06-15",
        sts_url.trim_end_matches('/')
    );
    let uri: http::Uri = url.parse().map_err(|e| failed(&e))?;
    let host = uri
        .authority()
        .map(|a| a.as_str().to_string())
        .unwrap_or_default();
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(TOKEN_LIFETIME);
    let params = v4::SigningParams::builder()
        .identity(identity)
        .region(region)
        .name("sts")
        .time(now)
        .settings(settings)
        .build()
        .map_err(|e| failed(&e))?
        .into();
    let headers = [("host", host.as_str()), (CLUSTER_HEADER, cluster)];
    let signable = SignableRequest::new(
        "GET",
        url.as_str(),
        headers.into_iter(),
        SignableBody::Bytes(&[]),
    )
    .map_err(|e| failed(&e))?;
    let (instructions, _signature) = sign(signable, &params)
        .map_err(|e| failed(&e))?
        .into_parts();
    let mut request = http::Request::builder()
        .method("GET")
        .uri(&url)
        .body(())
        .map_err(|e| failed(&e))?;
    instructions.apply_to_request_http1x(&mut request);
    Ok(format!(
        "{TOKEN_PREFIX}{}",
        URL_SAFE_NO_PAD.encode(request.uri().to_string())
    ))
}

#[async_trait]
impl DataSourceType for EksClusterAuthDataSource {
    fn type_name(&self) -> &'static str {
        "aws_eks_cluster_auth"
    }

    fn schema(&self) -> &'static Schema {
        &SCHEMA
    }

    async fn read(&self, aws: &AwsContext, args: &Attrs) -> Result<Attrs, ProviderError> {
        let cluster = required_str(args, "name")?;
        let identity: Identity = aws.credentials().await?.into();
        let region = aws.region().unwrap_or("us-east-1");
        let token = token(
            &aws.sts_url(),
            region,
            cluster,
            &identity,
            SystemTime::now(),
        )?;
        let mut out = args.clone();
        out.insert("id".into(), Value::string(cluster));
        out.insert("token".into(), Value::string(token));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_credential_types::Credentials;

    #[test]
    fn the_token_is_a_presigned_get_caller_identity_naming_the_cluster() {
        let identity: Identity =
            Credentials::new("AKIDEXAMPLE", "secret", None, None, "test").into();
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600);
        let token = token(
            "https://sts.eu-west-1.amazonaws.com",
            "eu-west-1",
            "shop",
            &identity,
            at,
        )
        .unwrap();
        let encoded = token.strip_prefix(TOKEN_PREFIX).expect("prefix");
        let url = String::from_utf8(URL_SAFE_NO_PAD.decode(encoded).unwrap()).unwrap();
        assert!(url.starts_with(
            "https://sts.eu-west-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&"
        ));
        for part in [
            "X-Amz-Algorithm=AWS4-HMAC-SHA256",
            "X-Amz-Credential=AKIDEXAMPLE%2F20260101%2Feu-west-1%2Fsts%2Faws4_request",
            "X-Amz-Date=20260101T000000Z",
            "X-Amz-Expires=60",
            "X-Amz-SignedHeaders=host%3Bx-k8s-aws-id",
            "X-Amz-Signature=",
        ] {
            assert!(url.contains(part), "{part} in {url}");
        }
        let again = super::token(
            "https://sts.eu-west-1.amazonaws.com",
            "eu-west-1",
            "other",
            &identity,
            at,
        )
        .unwrap();
        assert_ne!(token, again, "the cluster name is signed");
    }
}
