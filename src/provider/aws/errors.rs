//! The one place AWS errors are mapped into the engine's error kinds: the
//! code families every service shares, and the codes that a service uses
//! in its own sense. Types never remap a code themselves.

use aws_credential_types::provider::error::CredentialsError;
use aws_smithy_runtime_api::client::interceptors::context::InterceptorContext;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::client::retries::classifiers::{
    ClassifyRetry, RetryAction, RetryClassifierPriority,
};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::provider::{ErrorKind, ProviderError};

/// Maps any SDK error into a [`ProviderError`], keeping the AWS error code.
/// Failures to reach the endpoint at all are reported as such.
pub fn sdk_error<E>(err: SdkError<E, HttpResponse>) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match &err {
        SdkError::ServiceError(service) => {
            let inner = service.err();
            // An answer without an error AWS's shape carries (an HTML page
            // from a proxy, an emulator's crash) is told by its status,
            // never by the SDK's debug rendering of it.
            let message = inner.message().map(str::to_string).unwrap_or_else(|| {
                format!(
                    "AWS answered HTTP {} without an error message terrane could read",
                    service.raw().status().as_u16()
                )
            });
            let mut error = coded_error(inner.code(), message);
            if service.raw().status().is_server_error() && error.kind != ErrorKind::Throttled {
                // AWS failed inside: the request may have been carried out.
                error.kind = ErrorKind::Transient;
            }
            explain(error)
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
            if let Some(credentials) = source_of::<CredentialsError>(&err) {
                return missing_credentials(credentials);
            }
            ProviderError::new(
                ErrorKind::Transient,
                format!(
                    "could not reach AWS ({}): check the network, the region, and any endpoint override (AWS_ENDPOINT_URL, the provider block's `endpoints`)",
                    error_chain(&err)
                ),
            )
        }
        // An answer that could not be read: the request reached AWS.
        SdkError::ResponseError(_) => ProviderError::new(ErrorKind::Transient, error_chain(&err)),
        _ => ProviderError::new(ErrorKind::Other, error_chain(&err)),
    }
}

/// Tells the SDK not to retry a connection the endpoint refused: nothing
/// listens there (a wrong endpoint, no network), and retrying only delays
/// the error. A connection that dropped after the request went out is still
/// retried (creates look for their object first).
#[derive(Debug)]
pub struct RefusedConnections;

impl ClassifyRetry for RefusedConnections {
    fn classify_retry(&self, context: &InterceptorContext) -> RetryAction {
        let Some(Err(error)) = context.output_or_error() else {
            return RetryAction::NoActionIndicated;
        };
        let Some(connector) = error.as_connector_error() else {
            return RetryAction::NoActionIndicated;
        };
        let refused = causes(connector).any(|error| {
            error
                .downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
        });
        if refused {
            RetryAction::RetryForbidden
        } else {
            RetryAction::NoActionIndicated
        }
    }

    fn name(&self) -> &'static str {
        "terrane refused connections"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}

/// `err` and each of its sources, outermost first.
fn causes<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(err), |error| error.source())
}

/// The first error of type `T` among `err` and its sources.
fn source_of<'a, T: std::error::Error + 'static>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    causes(err).find_map(|error| error.downcast_ref::<T>())
}

/// No credentials anywhere the SDK looks: said once, with what to do,
/// instead of the chain's report of every provider it tried.
fn missing_credentials(error: &CredentialsError) -> ProviderError {
    let message = match error {
        CredentialsError::CredentialsNotLoaded(_) => {
            "No AWS credentials were found (not in the environment, a profile, web identity, ECS or instance metadata): set AWS_PROFILE (or the provider block's `profile`), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or sign in with `aws sso login`".to_string()
        }
        other => format!(
            "The AWS credentials could not be loaded ({}): check AWS_PROFILE, the profile files and the provider block's `profile` and `assume_role`",
            error_chain(other)
        ),
    };
    ProviderError::new(ErrorKind::Other, message)
}

/// Codes AWS answers when the credentials themselves are refused.
const REFUSED_CREDENTIALS: &[&str] = &[
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "AuthFailure",
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId",
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
    "InvalidToken",
];

/// Codes AWS answers when the credentials may not do what was asked.
const DENIED: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AuthorizationError",
    "Forbidden",
];

/// Rewrites the message of an error a person must act on as what happened
/// and what to do: refused credentials, a denied action, throttling that
/// outlasted the retries. Others keep AWS's own words.
fn explain(mut error: ProviderError) -> ProviderError {
    let code = error.code.clone().unwrap_or_default();
    let aws_says = error.message.trim().trim_end_matches('.').to_string();
    if REFUSED_CREDENTIALS.contains(&code.as_str()) {
        error.message = format!(
            "AWS refused the credentials ({aws_says}): they are wrong or expired; refresh them (a new session, `aws sso login`) or choose others with AWS_PROFILE or the provider block's `profile`"
        );
        error.kind = ErrorKind::Other;
    } else if DENIED.contains(&code.as_str()) {
        // EC2 appends an encoded explanation only STS can read.
        let (said, encoded) = match aws_says.split_once("Encoded authorization failure message:") {
            Some((said, _)) => (said.trim().trim_end_matches('.').to_string(), true),
            None => (aws_says.clone(), false),
        };
        let action = said
            .split_once("perform: ")
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .map(|a| a.trim_end_matches(['.', ',']).to_string());
        let resource = said
            .split_once("on resource: ")
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .map(|r| r.trim_end_matches(['.', ',']).to_string());
        let what = match (&action, &resource) {
            (Some(action), Some(resource)) => format!("{action} on {resource}"),
            (Some(action), None) => action.clone(),
            _ => "the request".to_string(),
        };
        let fix = match &action {
            Some(action) => format!(
                "allow {action} in an IAM policy of the user or role these credentials belong to"
            ),
            None => {
                "the IAM policies of the user or role these credentials belong to must allow it"
                    .to_string()
            }
        };
        let decode = if encoded {
            "; `aws sts decode-authorization-message` explains the encoded part"
        } else {
            ""
        };
        error.message = format!("AWS denied {what} ({said}): {fix}{decode}");
        error.kind = ErrorKind::Other;
    } else if error.kind == ErrorKind::Throttled {
        error.message = format!(
            "AWS kept throttling the calls until the retries ran out ({aws_says}): run again with fewer at once (--parallelism 5) or slower calls (TERRANE_RATE_LIMITS=0.5), or raise the provider block's `max_retries`"
        );
    }
    error
}

/// An error and its sources, each once, joined by ": " — what went wrong
/// in words, without the SDK's debug rendering of the error value.
fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in causes(err) {
        let text = cause.to_string();
        if !parts.iter().any(|part| part.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

/// The error AWS answered with `code` and `message`, classified.
pub fn coded_error(code: Option<&str>, message: String) -> ProviderError {
    ProviderError {
        kind: classify(code.unwrap_or_default(), &message),
        code: code.map(str::to_string),
        message,
    }
}

/// Maps an SDK builder's complaint (a required field left out) into a
/// Validation error: the configuration lacked something AWS needs.
pub fn build_error(err: aws_smithy_types::error::operation::BuildError) -> ProviderError {
    ProviderError::new(ErrorKind::Validation, format!("incomplete request: {err}"))
}

/// A value AWS's answer must carry, such as the id or ARN of the object a
/// create made; `missing` is the error when the answer leaves it out (e.g.
/// "CreateVpc returned no VPC id").
pub fn id_from_answer(
    value: Option<&str>,
    missing: impl Into<String>,
) -> Result<String, ProviderError> {
    value
        .map(str::to_string)
        .ok_or_else(|| ProviderError::new(ErrorKind::Other, missing))
}

/// Treats "already gone" as success, as deletes must: `Ok(None)` when the
/// call failed with NotFound.
pub fn ok_if_not_found<T>(result: Result<T, ProviderError>) -> Result<Option<T>, ProviderError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(err) if err.is_not_found() => Ok(None),
        Err(err) => Err(err),
    }
}

/// The outcome of a call that removes something (a delete, detach or
/// disassociate): its SDK error mapped, and "already gone" counted as done.
pub fn ok_if_already_gone<T, E>(
    result: Result<T, SdkError<E, HttpResponse>>,
) -> Result<(), ProviderError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    ok_if_not_found(result.map_err(sdk_error))?;
    Ok(())
}

/// A code that one service uses in its own sense, which the families in
/// [`classify`] would read wrongly. Where AWS gives one code several
/// meanings, `message` narrows the row: it applies only when the message
/// contains every fragment (in any case).
struct ServiceCode {
    code: &'static str,
    message: &'static [&'static str],
    kind: ErrorKind,
}

const EC2_CODES: &[ServiceCode] = &[
    // DetachInternetGateway of a gateway that is no longer attached:
    // nothing to undo.
    ServiceCode {
        code: "Gateway.NotAttached",
        message: &[],
        kind: ErrorKind::NotFound,
    },
    // AWS's answer for some launch templates that no longer exist, read
    // as "not found" by Terraform too.
    ServiceCode {
        code: "InvalidLaunchTemplateId.Malformed",
        message: &[],
        kind: ErrorKind::NotFound,
    },
];

const AUTOSCALING_CODES: &[ServiceCode] = &[
    // Auto Scaling reports a missing group as a ValidationError
    // ("AutoScalingGroup name not found").
    ServiceCode {
        code: "ValidationError",
        message: &["not found"],
        kind: ErrorKind::NotFound,
    },
    // A scaling activity still running; it ends on its own.
    ServiceCode {
        code: "ScalingActivityInProgress",
        message: &[],
        kind: ErrorKind::Conflict,
    },
];

const EKS_CODES: &[ServiceCode] = &[
    // A just-created IAM role that EKS cannot see or assume yet; that
    // clears within a minute or two.
    ServiceCode {
        code: "InvalidParameterException",
        message: &["role with name", "cannot be found"],
        kind: ErrorKind::Conflict,
    },
    ServiceCode {
        code: "InvalidParameterException",
        message: &["role could not be assumed"],
        kind: ErrorKind::Conflict,
    },
];

const ELB_CODES: &[ServiceCode] = &[
    // A server certificate made moments ago that ELB does not know yet:
    // worth trying again, as Terraform does for the create's timeout
    // (classic and v2 load balancers and listeners alike).
    ServiceCode {
        code: "CertificateNotFound",
        message: &[],
        kind: ErrorKind::Transient,
    },
];

const ROUTE53_CODES: &[ServiceCode] = &[
    // A CREATE of a record set that exists: someone else's (refused, as
    // Terraform refuses), or this create's own, carried out by a try whose
    // answer was lost; the engine looks before it decides.
    ServiceCode {
        code: "InvalidChangeBatch",
        message: &["already exists"],
        kind: ErrorKind::Conflict,
    },
];

/// Every service's own codes. An error does not say which service sent it,
/// so all are consulted: each code (with its message fragments) means the
/// same wherever terrane can meet it.
const SERVICE_CODES: &[&[ServiceCode]] = &[
    EC2_CODES,
    AUTOSCALING_CODES,
    EKS_CODES,
    ELB_CODES,
    ROUTE53_CODES,
];

/// Classifies an AWS error by its code: a service's own code first, then
/// the families the engine reacts to.
pub fn classify(code: &str, message: &str) -> ErrorKind {
    let message = message.to_lowercase();
    let own = SERVICE_CODES.iter().copied().flatten().find(|row| {
        row.code == code
            && row
                .message
                .iter()
                .all(|fragment| message.contains(fragment))
    });
    own.map_or_else(|| classify_family(code), |row| row.kind)
}

/// The families of codes the engine reacts to, by pattern: codes differ
/// per service, but mostly share these words.
fn classify_family(code: &str) -> ErrorKind {
    // WAFv2 says "WAFNonexistentItemException" for a missing web ACL.
    const NOT_FOUND: &[&str] = &[
        "NotFound",
        "NoSuch",
        "ResourceNotFoundException",
        "Nonexistent",
    ];
    const THROTTLED: &[&str] = &[
        "Throttling",
        "RequestLimitExceeded",
        "TooManyRequests",
        "SlowDown",
        "RequestThrottled",
    ];
    const CONFLICT: &[&str] = &[
        "DependencyViolation",
        "InUse",
        "Conflict",
        "IncorrectState",
        "InvalidState",
        "AlreadyExists",
        "Duplicate",
        "OptimisticLock",
        // WAFv2: a web ACL still associated, or one not yet visible to
        // AssociateWebACL; both clear on their own.
        "AssociatedItem",
        "UnavailableEntity",
    ];
    const VALIDATION: &[&str] = &[
        "InvalidParameter",
        "Validation",
        "Malformed",
        "InvalidInput",
    ];
    let matches = |patterns: &[&str]| patterns.iter().any(|p| code.contains(p));
    if matches(NOT_FOUND) {
        ErrorKind::NotFound
    } else if matches(THROTTLED) {
        ErrorKind::Throttled
    } else if matches(CONFLICT) {
        ErrorKind::Conflict
    } else if matches(VALIDATION) {
        ErrorKind::Validation
    } else {
        ErrorKind::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_set_that_exists_is_a_conflict_to_look_into() {
        assert_eq!(
            classify(
                "InvalidChangeBatch",
                "Tried to create resource record set [name='a.example.com.', type='A'] but it already exists"
            ),
            ErrorKind::Conflict
        );
        assert_ne!(
            classify(
                "InvalidChangeBatch",
                "RRSet with DNS name a. is not permitted"
            ),
            ErrorKind::Conflict
        );
    }

    #[test]
    fn classifies_common_codes() {
        let classify = |code| classify(code, "");
        assert_eq!(classify("InvalidVpcID.NotFound"), ErrorKind::NotFound);
        assert_eq!(classify("NoSuchBucket"), ErrorKind::NotFound);
        assert_eq!(classify("RequestLimitExceeded"), ErrorKind::Throttled);
        assert_eq!(classify("DependencyViolation"), ErrorKind::Conflict);
        assert_eq!(classify("InvalidParameterValue"), ErrorKind::Validation);
        assert_eq!(classify("UnauthorizedOperation"), ErrorKind::Other);
        assert_eq!(classify("WAFNonexistentItemException"), ErrorKind::NotFound);
        assert_eq!(classify("WAFOptimisticLockException"), ErrorKind::Conflict);
        assert_eq!(classify("WAFAssociatedItemException"), ErrorKind::Conflict);
    }

    #[test]
    fn service_codes_take_their_services_meaning() {
        assert_eq!(classify("Gateway.NotAttached", ""), ErrorKind::NotFound);
        assert_eq!(
            classify("InvalidLaunchTemplateId.Malformed", ""),
            ErrorKind::NotFound
        );
        assert_eq!(
            classify(
                "ValidationError",
                "AutoScalingGroup name not found - AutoScalingGroup web not found"
            ),
            ErrorKind::NotFound
        );
        assert_eq!(
            classify("ValidationError", "Max bound, 1, must be >= min bound, 2"),
            ErrorKind::Validation
        );
        assert_eq!(
            classify("ScalingActivityInProgress", ""),
            ErrorKind::Conflict
        );
        assert_eq!(classify("CertificateNotFound", ""), ErrorKind::Transient);
    }

    #[test]
    fn eks_role_propagation_is_a_conflict_other_invalid_parameters_are_not() {
        let kind = |message| classify("InvalidParameterException", message);
        assert_eq!(
            kind("Role could not be assumed because the trusted entity is not correct"),
            ErrorKind::Conflict
        );
        assert_eq!(
            kind("Role with name eks-role cannot be found."),
            ErrorKind::Conflict
        );
        assert_eq!(
            kind("Subnets specified must be in at least two different AZs"),
            ErrorKind::Validation
        );
    }

    #[test]
    fn a_denied_action_names_the_action_the_resource_and_the_fix() {
        let denied = explain(coded_error(
            Some("UnauthorizedOperation"),
            "You are not authorized to perform this operation. User: arn:aws:sts::123456789012:assumed-role/ci/run is not authorized to perform: ec2:CreateVpc on resource: arn:aws:ec2:us-east-1:123456789012:vpc/* because no identity-based policy allows the ec2:CreateVpc action. Encoded authorization failure message: AbC123".into(),
        ));
        assert!(
            denied.message.starts_with(
                "AWS denied ec2:CreateVpc on arn:aws:ec2:us-east-1:123456789012:vpc/* ("
            ),
            "{denied}"
        );
        assert!(
            denied
                .message
                .contains("allow ec2:CreateVpc in an IAM policy")
        );
        assert!(
            denied
                .message
                .contains("aws sts decode-authorization-message")
        );
        assert!(
            !denied.message.contains("AbC123"),
            "the encoded part is left out"
        );
        assert_eq!(denied.kind, ErrorKind::Other);

        let refused = explain(coded_error(
            Some("ExpiredToken"),
            "The security token included in the request is expired".into(),
        ));
        assert!(refused.message.starts_with("AWS refused the credentials"));

        let throttled = explain(coded_error(Some("Throttling"), "Rate exceeded".into()));
        assert_eq!(throttled.kind, ErrorKind::Throttled);
        assert!(throttled.message.contains("--parallelism"));

        let other = explain(coded_error(
            Some("InvalidParameterValue"),
            "Value (x) for parameter cidrBlock is invalid".into(),
        ));
        assert_eq!(
            other.message,
            "Value (x) for parameter cidrBlock is invalid"
        );
    }
}
