//! The one place AWS errors are mapped into the engine's error kinds.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::provider::{ErrorKind, ProviderError};

/// Maps any SDK error into a [`ProviderError`], keeping the AWS error code.
/// Failures to reach the endpoint at all are reported as such.
pub fn sdk_error<E, R>(err: SdkError<E, R>) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match &err {
        SdkError::ServiceError(service) => {
            let inner = service.err();
            let code = inner.code().map(str::to_string);
            let message = inner
                .message()
                .map(str::to_string)
                .unwrap_or_else(|| DisplayErrorContext(&err).to_string());
            ProviderError {
                kind: classify(code.as_deref().unwrap_or_default()),
                code,
                message,
            }
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => ProviderError::new(
            ErrorKind::Other,
            format!("could not reach AWS: {}", DisplayErrorContext(&err)),
        ),
        _ => ProviderError::new(ErrorKind::Other, DisplayErrorContext(&err).to_string()),
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
pub fn ok_if_already_gone<T, E, R>(result: Result<T, SdkError<E, R>>) -> Result<(), ProviderError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    ok_if_not_found(result.map_err(sdk_error))?;
    Ok(())
}

/// Classifies an AWS error code. Codes differ per service; these patterns
/// cover the families the engine reacts to.
pub fn classify(code: &str) -> ErrorKind {
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
    fn classifies_common_codes() {
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
}
