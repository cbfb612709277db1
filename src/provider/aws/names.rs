//! Names and ARNs: unique names for objects whose name the user may leave
//! out (`name_prefix`, `bucket_prefix`), and the pieces of an ARN that
//! resource types expose. Pure string work; no AWS calls.

/// The name to create an object with: the written `name`, else `prefix`
/// (or Terraform's default prefix) followed by a unique suffix, cut to
/// `max_len`.
///
/// The suffix comes from the create's client token, so a retried create
/// asks for the same name and AWS's name uniqueness makes it idempotent.
pub fn unique_name(
    written: Option<&str>,
    prefix: Option<&str>,
    default_prefix: &str,
    max_len: usize,
    client_token: &str,
) -> String {
    if let Some(name) = written.filter(|n| !n.is_empty()) {
        return name.to_string();
    }
    let prefix = prefix.unwrap_or(default_prefix);
    // Terraform's unique suffix is 26 characters; names must stay within
    // the service's limit and use only lower-case letters and digits here,
    // which every service accepts (S3 allows no upper case).
    let mut suffix: String = client_token
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if suffix.is_empty() {
        suffix = uuid::Uuid::new_v4().simple().to_string();
    }
    let room = max_len.saturating_sub(prefix.len()).min(26);
    format!("{prefix}{}", &suffix[..room.min(suffix.len())])
}

/// The AWS partition of a region (`aws`, `aws-cn`, `aws-us-gov`).
pub fn partition(region: Option<&str>) -> &'static str {
    match region {
        Some(r) if r.starts_with("cn-") => "aws-cn",
        Some(r) if r.starts_with("us-gov-") => "aws-us-gov",
        _ => "aws",
    }
}

/// The resource part of an ARN: everything after the fifth `:`
/// (`loadbalancer/app/web/123` in an ELB ARN).
pub fn arn_resource(arn: &str) -> &str {
    arn.splitn(6, ':').nth(5).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_names_win_and_generated_ones_fit() {
        assert_eq!(unique_name(Some("web"), Some("x-"), "tf-", 32, "t"), "web");
        let token = "6f1c2a9e-0b7d-4c41-9a8e-3b2f7d6c5e4a";
        let generated = unique_name(None, None, "tf-lb-", 32, token);
        assert_eq!(generated, "tf-lb-6f1c2a9e0b7d4c419a8e3b2f7d");
        assert_eq!(generated.len(), 32);
        assert_eq!(unique_name(None, Some("web-"), "tf-", 32, token).len(), 30);
        // The same token always yields the same name, so retries are idempotent.
        assert_eq!(generated, unique_name(None, None, "tf-lb-", 32, token));
    }

    #[test]
    fn arn_pieces() {
        let arn = "arn:aws:elasticloadbalancing:us-east-1:123:loadbalancer/app/web/abc";
        assert_eq!(arn_resource(arn), "loadbalancer/app/web/abc");
        assert_eq!(arn_resource("nonsense"), "");
        assert_eq!(partition(Some("cn-north-1")), "aws-cn");
        assert_eq!(partition(Some("us-east-1")), "aws");
    }
}

/// Splits a composite id such as `id/name/scope` into its `N` parts, or
/// fails naming the expected shape. The last part keeps any further
/// separators.
pub fn split_id<'a, const N: usize>(
    id: &'a str,
    separator: char,
    shape: &str,
) -> Result<[&'a str; N], crate::provider::ProviderError> {
    let parts: Vec<&str> = id.splitn(N, separator).collect();
    <[&str; N]>::try_from(parts)
        .ok()
        .filter(|parts| parts.iter().all(|p| !p.is_empty()))
        .ok_or_else(|| {
            crate::provider::ProviderError::new(
                crate::provider::ErrorKind::Validation,
                format!("malformed id {id:?}: expected {shape}"),
            )
        })
}

#[cfg(test)]
mod split_tests {
    use super::*;

    #[test]
    fn composite_ids_split_into_their_parts() {
        assert_eq!(
            split_id::<3>("a1/web/REGIONAL", '/', "ID/NAME/SCOPE").unwrap(),
            ["a1", "web", "REGIONAL"]
        );
        assert_eq!(
            split_id::<2>("arn:a,arn:b/c", ',', "A,B").unwrap(),
            ["arn:a", "arn:b/c"]
        );
        assert!(split_id::<3>("a1/web", '/', "ID/NAME/SCOPE").is_err());
        assert!(split_id::<2>(",b", ',', "A,B").is_err());
    }
}
